"""Many runs, and the first answer on a real logdir, through a real `tensorboard`.

- scale_1000_runs_list_ms: 1,000 runs, each one event file with a 64x64 image tag over 3
  steps (mp.Writer). After the plugin has indexed the logdir (its `reload` route), the median
  time of the two requests the panel makes to list what there is: `runs`, then `tags` of
  every run. scale_1000_runs_index_s: that `reload`.
- runs_10k_list_ms: the same two requests with 10,000 runs (each a copy of one 8x8-image run
  of 3 steps, so writing the logdir takes seconds); quick: 2,000 runs.
  runs_10k_first_list_ms: the first of them, cold: TensorBoard started, the logdir indexed
  (`reload`), then the first `runs` + `tags` (what a user opening the tab waits for).
- real_logdir_first_tags_ms: cold start on the mixed logdir of benchmarks/real_logdir.py
  (10 runs x 50,000 steps of 4 scalars + a 64x64 image every 1,000, tensorboardX and torch;
  quick: 5,000 steps): from the moment TensorBoard answers HTTP (its page `/`, which no
  plugin sees), the browser's first `plugins_listing` (which starts the panel's indexing),
  then `tags` until an answer lists a run; median of 3 server starts (quick: 1), page cache warm.
  real_logdir_first_tags_runs: how many runs that first answer listed (anchor).

    .venv/bin/python -m benchmarks.scale_runs [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import urllib.request
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


def copy_runs(root: Path, runs: int, steps: int = 3) -> None:
    """`runs` runs, each a copy of one small run's event file."""
    import tb_media_panel as mp

    image = mp.Image(np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8))
    with mp.Writer(str(root / "run_00000")) as writer:
        for step in range(steps):
            writer.add("samples", image, step)
    (source,) = (root / "run_00000").glob("*tfevents*")
    data = source.read_bytes()
    for r in range(1, runs):
        run = root / f"run_{r:05d}"
        run.mkdir()
        (run / source.name).write_bytes(data)


def list_ms(root: Path, runs: int, repeats: int, log: Path) -> tuple[float, float, float]:
    """Seconds to index the logdir (`reload`), the ms of the first `runs` + `tags` after it,
    and their median ms over `repeats` (the first included)."""
    from tests.tb_server import TensorBoardServer

    server = TensorBoardServer(str(root), ["--reload_interval", "0"], log_path=log)
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
    return index_s, times[0], statistics.median(times)


def first_tags_ms(logdir: Path, log: Path) -> tuple[float, int]:
    """ms from TensorBoard's first HTTP answer to the first `tags` answer listing a run."""
    from tests.tb_server import TensorBoardServer

    server = TensorBoardServer(str(logdir), [], log_path=log)
    server.start(timeout=180, ready_path="/")
    try:
        t0 = time.perf_counter()
        with urllib.request.urlopen(server.url + "/data/plugins_listing", timeout=60):
            pass
        while True:
            tags = server.get_json("tags")["tags"]
            if tags:
                return (time.perf_counter() - t0) * 1e3, len({t["run"] for t in tags})
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("no run listed in `tags` after 120 s")
            time.sleep(0.01)
    finally:
        server.stop()


def run(quick: bool) -> dict[str, float]:
    from benchmarks.real_logdir import cached_logdir

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tbmp-scale-") as tmp:
        work = Path(tmp)
        runs = 100 if quick else 1000
        write_runs(work / "logdir", runs)
        index_s, _, ms = list_ms(work / "logdir", runs, 5 if quick else 15, work / "tb.log")
        results["scale_1000_runs_list_ms"] = ms
        results["scale_1000_runs_index_s"] = index_s

        many = 2000 if quick else 10_000
        copy_runs(work / "many", many)
        _, first_ms, ms = list_ms(work / "many", many, 5, work / "tb-many.log")
        results["runs_10k_list_ms"] = ms
        results["runs_10k_first_list_ms"] = first_ms

        logdir = cached_logdir(5000 if quick else 50_000)
        starts = 1 if quick else 3  # a TensorBoard start costs seconds
        firsts = [first_tags_ms(logdir, work / f"tb-first-{i}.log") for i in range(starts)]
        results["real_logdir_first_tags_ms"] = statistics.median(ms for ms, _ in firsts)
        results["real_logdir_first_tags_runs"] = min(runs for _, runs in firsts)
    return results


if __name__ == "__main__":
    quick_cli(run, __doc__)
