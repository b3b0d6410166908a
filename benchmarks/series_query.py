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
import tempfile
import time
from pathlib import Path


def write_run(root: Path, steps: int) -> None:
    from tb_media_panel.compat import event_pb2, summary_pb2
    from tb_media_panel.eventfile import EventFileWriter
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto

    blob = media_pb2.MediaItem(
        version=1, kind="image", mime="image/png", format="png", data=b"\x89PNG" + bytes(60)
    ).SerializeToString()
    writer = EventFileWriter(str(root / "run"))
    for step in range(steps):
        value = summary_pb2.Summary.Value(
            tag="samples", metadata=metadata(), tensor=tensor_proto([blob])
        )
        writer.write_event(
            event_pb2.Event(
                wall_time=1.7e9 + step, step=step * 3, summary=summary_pb2.Summary(value=[value])
            )
        )
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    from tensorboard.plugins.base_plugin import TBContext
    from werkzeug.test import Client

    from tb_media_panel.plugin import MediaPanelPlugin

    work = Path(tempfile.mkdtemp(prefix="tbmp-series-"))
    try:
        write_run(work, args.steps)
        plugin = MediaPanelPlugin(TBContext(logdir=str(work)))
        start = time.perf_counter()
        plugin.ensure_indexed()
        print(f"indexed {args.steps} steps in {time.perf_counter() - start:.2f} s")
        client = Client(plugin.get_plugin_apps()["/series"])
        last = (args.steps - 1) * 3
        queries = {
            "whole range": "tag=samples&run=run&max_steps=1000",
            "half window": f"tag=samples&run=run&step_min={last // 4}&step_max={3 * last // 4}"
            "&max_steps=1000",
            "narrow window": f"tag=samples&run=run&step_min={last // 2}&step_max={last // 2 + 3000}"
            "&max_steps=1000",
        }
        for name, query in queries.items():
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                response = client.get("/series?" + query)
                response.get_data()
                times.append((time.perf_counter() - t0) * 1e3)
                assert response.status_code == 200
            print(
                f"series {name:13s}: median {statistics.median(times):6.2f} ms, "
                f"worst {max(times):6.2f} ms (goal < 20 ms)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
