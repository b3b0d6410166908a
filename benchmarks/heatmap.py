"""Heatmaps logged per second: `mp.Writer.add(mp.Heatmap(...))` of 512x512 float32 arrays.

- heatmap_log_per_s: a smooth field plus sensor noise (a depth or attention map as models emit
  them), a few NaN; one heatmap per step into a fresh logdir, validation, statistics,
  compression and the final close included; median of repeats.
- heatmap_log_per_cpu_s (anchor): the same per second of this process's CPU time, which a
  loaded machine inflates far less than the wall clock (the writer is single-threaded).
- heatmap_bytes_per_log: event-file bytes per logged heatmap (goal of issue 16:
  <= 1.05 MB).

    .venv/bin/python -m benchmarks.heatmap [--quick]
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

SIZE = 512


def make_heatmaps(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    maps = []
    for i in range(count):
        field = 3 + np.sin(6 * xx + i / 10) + np.cos(4 * yy) + 0.02 * rng.standard_normal((SIZE, SIZE))
        field = field.astype(np.float32)
        field[: 1 + i % 8, :16] = np.nan
        maps.append(field)
    return maps


def log_once(maps: list[np.ndarray]) -> tuple[float, float, int]:
    import tb_media_panel as mp

    with tempfile.TemporaryDirectory(prefix="bench_heatmap_") as logdir:
        start, cpu = time.perf_counter(), time.process_time()
        with mp.Writer(logdir) as writer:
            for step, values in enumerate(maps):
                writer.add("depth", mp.Heatmap(values), step)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in Path(logdir).iterdir())
    return seconds, cpu, size


def run(quick: bool) -> dict[str, float]:
    count, repeats = (40, 2) if quick else (200, 3)
    maps = make_heatmaps(count)
    log_once(maps[:1])  # warm up: the writer's lazy imports
    runs = [log_once(maps) for _ in range(repeats)]
    return {
        "heatmap_log_per_s": count / statistics.median(s for s, _, _ in runs),
        "heatmap_log_per_cpu_s": count / statistics.median(c for _, c, _ in runs),
        "heatmap_bytes_per_log": runs[0][2] / count,
    }


if __name__ == "__main__":
    quick_cli(run, __doc__)
