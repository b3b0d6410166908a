"""Listing the runs and tags of a logdir with 1,000 runs, through a real `tensorboard`.

Each run has one event file with a 64x64 image tag over 3 steps. After the plugin has
indexed the logdir (its `reload` route), `scale_1000_runs_list_ms` is the median time of the
two requests the panel makes to list what there is: `runs`, then `tags` of every run.

    .venv/bin/python -m benchmarks.scale_runs [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import quick_cli


def write_runs(root: Path, runs: int, steps: int = 3) -> None:
    import tb_media_panel as mp

    image = mp.Image(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    for r in range(runs):
        with mp.Writer(str(root / f"run_{r:04d}")) as writer:
            for step in range(steps):
                writer.add("samples", image, step)


def run(quick: bool) -> dict[str, float]:
    from tests.tb_server import TensorBoardServer

    runs = 100 if quick else 1000
    repeats = 5 if quick else 15
    with tempfile.TemporaryDirectory(prefix="tbmp-scale-") as tmp:
        logdir = Path(tmp) / "logdir"
        write_runs(logdir, runs)
        server = TensorBoardServer(str(logdir), ["--reload_interval", "0"], log_path=Path(tmp) / "tb.log")
        server.start()
        try:
            start = time.perf_counter()
            assert len(server.get_json("reload")["runs"]) == runs
            index_s = time.perf_counter() - start
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                names = [r["name"] for r in server.get_json("runs")["runs"]]
                tags = server.get_json("tags")["tags"]
                times.append((time.perf_counter() - t0) * 1e3)
                assert len(names) == runs and len(tags) == runs
        finally:
            server.stop()
    return {"scale_1000_runs_list_ms": statistics.median(times), "scale_1000_runs_index_s": index_s}


if __name__ == "__main__":
    quick_cli(run, __doc__)
