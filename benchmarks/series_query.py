"""Time of the `series` route on a 100k-step tag (goal: < 20 ms), as the timeline zoom uses it.

Writes one run with a 100,000-step media_panel tag (one small item per step), indexes it
with the plugin, and times `series` requests through the plugin's WSGI app: the whole range
and zoomed windows, with max_steps 1000. Prints the median and the worst of each.

    .venv/bin/python benchmarks/series_query.py [--steps 100000] [--repeats 50]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import image_item, write_one_item_run


def write_run(root: Path, steps: int) -> None:
    """One run `run` of a `steps`-step tag `samples`, steps 0, 3, 6, …, one 64-byte item each."""
    write_one_item_run(root / "run", "samples", image_item(b"\x89PNG" + bytes(60)), steps, stride=3)


def measure(steps: int, repeats: int) -> tuple[float, dict[str, list[float]]]:
    """(index seconds, milliseconds of each repeat of each query) on a fresh `steps`-step run."""
    from tensorboard.plugins.base_plugin import TBContext
    from werkzeug.test import Client

    from tb_media_panel.plugin import MediaPanelPlugin

    work = Path(tempfile.mkdtemp(prefix="tbmp-series-"))
    try:
        write_run(work, steps)
        plugin = MediaPanelPlugin(TBContext(logdir=str(work)))
        start = time.perf_counter()
        plugin.ensure_indexed()
        index_s = time.perf_counter() - start
        client = Client(plugin.get_plugin_apps()["/series"])
        last = (steps - 1) * 3
        queries = {
            "whole range": "tag=samples&run=run&max_steps=1000",
            "half window": f"tag=samples&run=run&step_min={last // 4}&step_max={3 * last // 4}"
            "&max_steps=1000",
            "narrow window": f"tag=samples&run=run&step_min={last // 2}&step_max={last // 2 + 3000}"
            "&max_steps=1000",
        }
        timings: dict[str, list[float]] = {}
        for name, query in queries.items():
            times = timings[name] = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                response = client.get("/series?" + query)
                response.get_data()
                times.append((time.perf_counter() - t0) * 1e3)
                assert response.status_code == 200
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return index_s, timings


def run(quick: bool) -> dict[str, float]:
    """`series_query_ms_p50`: median over every query of the 100k-step tag (10k when quick)."""
    _, timings = measure(10_000 if quick else 100_000, 20 if quick else 50)
    every = [t for times in timings.values() for t in times]
    return {"series_query_ms_p50": statistics.median(every), "series_query_ms_max": max(every)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    index_s, timings = measure(args.steps, args.repeats)
    print(f"indexed {args.steps} steps in {index_s:.2f} s")
    for name, times in timings.items():
        print(
            f"series {name:13s}: median {statistics.median(times):6.2f} ms, "
            f"worst {max(times):6.2f} ms (goal < 20 ms)"
        )


if __name__ == "__main__":
    main()
