"""`make bench-quick`'s code path, so the benchmark suite cannot rot.

Checks that every metric is produced as a finite number — not that goals are met: timings
belong in benchmarks/, never in a test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_produce_every_metric(tmp_path: Path) -> None:
    from benchmarks.run import GOALS

    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    result = json.loads(output.read_text())
    metrics = result["metrics"]
    missing = [name for name in GOALS if name not in metrics]
    assert not missing, f"metrics not produced: {missing}"
    for name, value in metrics.items():
        assert isinstance(value, float) and math.isfinite(value), (name, value)
    machine = result["machine"]
    for key in ("cpu_count", "cpu_model", "python", "tensorboard", "load_average_start", "date"):
        assert key in machine, key
    assert "errors" not in result
