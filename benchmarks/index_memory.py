"""Server RSS growth and index speed for a logdir of about 1 GB of images.

Writes runs of real PNG images (64x64 noise, about 12 KB each, 4 per step: many small
items is the hard case for an index) as mp.Writer records, starts a real
`tensorboard --load_fast=true` on an empty logdir, measures its RSS (psutil), moves the runs
in, calls the plugin's `reload` route (which indexes everything) and measures RSS again.
Also times a plain sequential read of the same files for the index-speed ratio.
Goals: RSS growth <= 2 % of the logdir bytes; index MB/s >= 0.5 x sequential read MB/s.

`run()` (suite `memory` of benchmarks/run.py) measures the index's RAM per media item:
`index_bytes_per_item` = max-RSS growth of a fresh process indexing 10M tiny media_panel
items (10 runs, 4 items a step, 8-byte payloads; 1M with --quick), then listing its tags, ÷
items. Goal <= 32.

    .venv/bin/python benchmarks/index_memory.py [--gb 1.0] [--runs 4]
    .venv/bin/python -m benchmarks.index_memory --per-item [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def png_pool(count: int = 64, size: int = 64) -> list[bytes]:
    from PIL import Image

    rng = np.random.default_rng(0)
    pool = []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buffer, "PNG")
        pool.append(buffer.getvalue())
    return pool


def write_logdir(
    root: Path,
    total_bytes: int,
    runs: int,
    items_per_step: int = 4,
    pool: list[bytes] | None = None,
    size: int = 64,
) -> int:
    """mp.Writer-format runs of `size`-pixel PNGs from `pool` (default: 64x64 noise)."""
    from tb_media_panel.compat import event_pb2, summary_pb2
    from tb_media_panel.eventfile import EventFileWriter
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto

    def summary(blobs: list[bytes]) -> summary_pb2.Summary:
        value = summary_pb2.Summary.Value(
            tag="samples", metadata=metadata(), tensor=tensor_proto(blobs)
        )
        return summary_pb2.Summary(value=[value])

    pool = pool or png_pool()
    records = [
        media_pb2.MediaItem(
            version=1,
            kind="image",
            mime="image/png",
            format="png",
            width=size,
            height=size,
            caption=f"sample {i}",
            data=png,
        ).SerializeToString()
        for i, png in enumerate(pool)
    ]
    per_run = total_bytes // runs
    for r in range(runs):
        writer = EventFileWriter(str(root / f"run{r}"))
        step = 0
        while Path(writer.path).stat().st_size < per_run:
            for _ in range(16):  # check the size often: large images fill a run fast
                blobs = [
                    records[(step * items_per_step + k) % len(records)]
                    for k in range(items_per_step)
                ]
                event = event_pb2.Event(wall_time=time.time(), step=step, summary=summary(blobs))
                writer.write_event(event)
                step += 1
            writer.flush()
        writer.close()
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def sequential_read_seconds(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted(root.rglob("*tfevents*")):
        with open(path, "rb", buffering=0) as f:
            while f.read(8 << 20):
                pass
    return time.perf_counter() - start


def server_rss_growth(staging: Path, work: Path) -> dict[str, float]:
    """Start `tensorboard --load_fast=true` on an empty logdir, move the runs of `staging` in,
    index them through the plugin's `reload` route; the server's RSS before and after.

    The runs stay in `work / "logdir"` afterwards."""
    import psutil

    from tests.tb_server import TensorBoardServer

    logdir = work / "logdir"
    logdir.mkdir(exist_ok=True)
    server = TensorBoardServer(
        str(logdir), ["--load_fast=true", "--reload_interval", "0"], log_path=work / "tb.log"
    )
    server.start()
    try:
        assert server.get_json("runs")["runs"] == []
        process = psutil.Process(server.proc.pid)
        rss_before = process.memory_info().rss
        for run in sorted(staging.iterdir()):
            run.rename(logdir / run.name)
        start = time.perf_counter()
        runs = server.get_json("reload")["runs"]
        index_s = time.perf_counter() - start
        tags = server.get_json("tags")["tags"]
        rss_after = process.memory_info().rss
    finally:
        server.stop()
    return {
        "rss_before": rss_before,
        "rss_after": rss_after,
        "index_s": index_s,
        "runs": len(runs),
        "items": sum(t["step_count"] * t["max_items"] for t in tags),
    }


def write_tiny_items(root: Path, runs: int, steps: int, items_per_step: int = 4) -> int:
    """`runs` runs of a `steps`-step media_panel tag, `items_per_step` 8-byte items a step;
    events framed by hand (the same bytes mp.Writer writes), as 10M items must be fast."""
    from tb_media_panel.compat import event_pb2, summary_pb2
    from tb_media_panel.eventfile import _varint
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto
    from tb_media_panel.tfrecord import frame_record

    blob = media_pb2.MediaItem(
        version=1, kind="image", mime="image/png", format="png", data=b"\x89PNG\r\n\x1a\n"
    ).SerializeToString()
    tensor = tensor_proto([blob] * items_per_step)
    first = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="samples", metadata=metadata(), tensor=tensor)]
    ).SerializeToString()
    later = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="samples", tensor=tensor)]
    ).SerializeToString()
    head = event_pb2.Event(wall_time=1.7e9).SerializeToString()  # field 1 first on the wire
    for r in range(runs):
        (root / f"run{r}").mkdir(parents=True)
        with open(root / f"run{r}" / "events.out.tfevents.1700000000.bench", "wb") as f:
            chunk = []
            for step in range(steps):
                summary = first if step == 0 else later
                event = head + b"\x10" + _varint(step) + b"\x2a" + _varint(len(summary)) + summary
                chunk.append(frame_record(event))
                if len(chunk) == 4096:
                    f.write(b"".join(chunk))
                    chunk = []
            f.write(b"".join(chunk))
    return runs * steps * items_per_step


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def index_rss_child(logdir: str, warmup: str) -> None:
    """In a fresh process: RSS before and max RSS after indexing `logdir` and listing its tags
    (imports and first-use costs paid on `warmup` first), as JSON on stdout."""
    import gc
    import resource

    from tb_media_panel.store import LogdirIndex

    small = LogdirIndex(warmup)
    small.refresh()
    small.tag_summaries(small.run_names())
    del small
    gc.collect()
    before = _rss_bytes()
    index = LogdirIndex(logdir)
    start = time.perf_counter()
    index.refresh()
    seconds = time.perf_counter() - start
    tags = index.tag_summaries(index.run_names())
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    items = sum(t.step_count * t.max_items for t in tags)
    print(json.dumps({"before": before, "peak": peak, "after": _rss_bytes(), "items": items,
                      "index_s": seconds}))


def bytes_per_item(items: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="tbmp-per-item-"))
    try:
        written = write_tiny_items(work / "logdir", runs=10, steps=items // 40)
        write_tiny_items(work / "warmup", runs=1, steps=10)
        child = subprocess.run(
            [sys.executable, "-c",
             "import sys; from benchmarks.index_memory import index_rss_child; "
             "index_rss_child(sys.argv[1], sys.argv[2])",
             str(work / "logdir"), str(work / "warmup")],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent,
        )
        found = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert found["items"] == written, (found, written)
    return {
        "index_bytes_per_item": (found["peak"] - found["before"]) / written,
        "index_resident_bytes_per_item": (found["after"] - found["before"]) / written,
    }


def run(quick: bool) -> dict[str, float]:
    return bytes_per_item(1_000_000 if quick else 10_000_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--per-item", action="store_true", help="index_bytes_per_item only")
    parser.add_argument("--quick", action="store_true", help="with --per-item: 1M items")
    args = parser.parse_args()
    if args.per_item:
        from benchmarks.common import print_figures

        print_figures(run(args.quick))
        return

    work = Path(tempfile.mkdtemp(prefix="tbmp-bench-"))
    try:
        staging = work / "staging"
        staging.mkdir()
        total = write_logdir(staging, int(args.gb * (1 << 30)), args.runs)
        read_s = min(sequential_read_seconds(staging) for _ in range(2))  # warm page cache
        found = server_rss_growth(staging, work)
        rss_before, rss_after, index_s = found["rss_before"], found["rss_after"], found["index_s"]
        items = int(found["items"])
        growth = rss_after - rss_before
        mb = total / 1e6
        print(
            f"logdir: {mb:.0f} MB in {found['runs']:.0f} runs, {items} items "
            f"({total / max(items, 1) / 1e3:.1f} KB each)"
        )
        print(
            f"RSS before index: {rss_before / 1e6:.1f} MB, after: {rss_after / 1e6:.1f} MB, "
            f"growth {growth / 1e6:.1f} MB = {100 * growth / total:.2f} % of logdir (goal <= 2 %)"
        )
        print(
            f"index: {index_s:.2f} s = {mb / index_s:.0f} MB/s; sequential read (warm cache): "
            f"{read_s:.2f} s = {mb / read_s:.0f} MB/s; ratio {read_s / index_s:.2f} (goal >= 0.5)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
