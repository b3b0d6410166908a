"""Index speed and memory on a ~1 GB image logdir, side by side with RustBoard.

Two logdirs hold the same PNGs (256x256 RGB, camera-like: gradient + noise, ~137 KB each,
4 per step, 4 runs): one written as `mp.Writer` records, one as torch `add_image` writes them
(a legacy `Summary.Value.image` per event, tags `samples/0..3`), framed by our writer so it is
fast to produce (the bytes are the same as torch's).

- index_throughput_ratio: sequential read MB/s (8 MiB reads, warm cache) / our index MB/s
  (`LogdirIndex.refresh()` in process, warm cache); medians of repeats, interleaved.
- index_time_vs_rustboard: our index time of the mp.Writer logdir (median of 3 refreshes
  right before each RustBoard load) / RustBoard's load time
  of the add_image logdir (real `tensorboard --load_fast=true --samples_per_plugin
  images=<steps>`, i.e. all samples; RustBoard's own "Finished load cycle" time, checked by
  polling its images route: every step visible).
- rss_growth_fraction: our plugin's server RSS growth after indexing / logdir bytes.
- tensorboard_rss_fraction: RustBoard's (TensorBoard + data server processes) RSS with the
  add_image logdir loaded minus on an empty logdir, / logdir bytes.
- index_throughput_ratio_small_items: the ratio again on 64x64 noise PNGs (12.5 KB items),
  the hard case for a per-item index.
- index_throughput_ratio_large_items: the ratio again on 1024x1024 noise PNGs (3.1 MB items,
  the size of a short video), which the index reads only the headers of.

    .venv/bin/python -m benchmarks.index_speed [--quick]
"""

from __future__ import annotations

import io
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import quick_cli  # noqa: E402
from benchmarks.index_memory import (  # noqa: E402
    png_pool,
    sequential_read_seconds,
    server_rss_growth,
    write_logdir,
)
from benchmarks.log_images import make_images  # noqa: E402

IMAGE_SIZE = 256
ITEMS_PER_STEP = 4
RUNS = 4
_CYCLE = re.compile(r"Finished load cycle \(([\d.]+)(s|ms|µs|us|ns)\)")
_UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def realistic_pool(count: int = 16) -> list[bytes]:
    from PIL import Image

    pool = []
    for image in make_images(count, IMAGE_SIZE):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "PNG")
        pool.append(buffer.getvalue())
    return pool


def write_add_image_logdir(root: Path, pool: list[bytes], steps_per_run: int) -> int:
    """What `SummaryWriter.add_image(f"samples/{k}", image, step)` writes, k < ITEMS_PER_STEP."""
    from tb_media_panel.compat import event_pb2, summary_pb2
    from tb_media_panel.eventfile import EventFileWriter

    for r in range(RUNS):
        writer = EventFileWriter(str(root / f"run{r}"))
        for step in range(steps_per_run):
            for k in range(ITEMS_PER_STEP):
                png = pool[(step * ITEMS_PER_STEP + k) % len(pool)]
                image = summary_pb2.Summary.Image(
                    height=IMAGE_SIZE, width=IMAGE_SIZE, colorspace=3, encoded_image_string=png
                )
                value = summary_pb2.Summary.Value(tag=f"samples/{k}", image=image)
                writer.write_event(
                    event_pb2.Event(
                        wall_time=1.7e9 + step, step=step, summary=summary_pb2.Summary(value=[value])
                    )
                )
        writer.close()
    return logdir_bytes(root)


def logdir_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*tfevents*"))


def our_index_seconds(root: Path) -> tuple[float, int]:
    from tb_media_panel.store import LogdirIndex

    start = time.perf_counter()
    index = LogdirIndex(str(root))
    index.refresh()
    seconds = time.perf_counter() - start
    tags = index.tag_summaries(index.run_names())
    return seconds, sum(t.step_count for t in tags)


def read_and_index(root: Path, repeats: int) -> tuple[float, float, int]:
    """Median sequential-read and index seconds, interleaved so both see the same load."""
    sequential_read_seconds(root)  # warm the page cache
    reads, indexes = [], []
    steps = 0
    for _ in range(repeats):
        reads.append(sequential_read_seconds(root))
        seconds, steps = our_index_seconds(root)
        indexes.append(seconds)
    return statistics.median(reads), statistics.median(indexes), steps


def _tree_rss(pid: int) -> int:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def load_cycle_seconds(server: Any) -> float:
    """RustBoard's own time for its first load cycle, from its log (a TensorBoardServer
    started with --load_fast=true --verbosity 20)."""
    deadline = time.monotonic() + 600
    cycle = None
    while cycle is None and time.monotonic() < deadline:
        cycle = _CYCLE.search(server.log_text())
        time.sleep(0.05)
    if cycle is None:
        raise RuntimeError(f"RustBoard never finished loading:\n{server.log_text()[-2000:]}")
    return float(cycle.group(1)) * _UNITS[cycle.group(2)]


def rustboard_load(logdir: Path, work: Path, steps_per_run: int) -> tuple[float, int]:
    """(RustBoard's load-cycle seconds, RSS of TensorBoard + data server once loaded)."""
    from tests.tb_server import TensorBoardServer

    log = work / f"tb-rust-{time.monotonic_ns()}.log"
    server = TensorBoardServer(
        str(logdir),
        # images=0 means "all" to RustBoard but also downsample=0 in the images route, which then
        # shows nothing (#5550): keeping exactly every step is the same data, visible.
        [
            "--load_fast=true",
            "--samples_per_plugin",
            f"images={max(steps_per_run, 1)}",
            "--verbosity",
            "20",
        ],
        log_path=log,
    )
    server.start()
    try:
        seconds = load_cycle_seconds(server)
        if any(logdir.iterdir()):  # every step of every run visible, all samples kept
            for r in range(RUNS):
                query = urllib.parse.urlencode({"run": f"run{r}", "tag": "samples/0", "sample": 0})
                found = _get_json(f"{server.url}/data/plugin/images/images?{query}")
                if not isinstance(found, list) or len(found) != steps_per_run:
                    raise RuntimeError(f"RustBoard shows {len(found)} of {steps_per_run} steps")
        rss = _tree_rss(server.proc.pid)
    finally:
        server.stop()
    return seconds, rss


def run(quick: bool) -> dict[str, float]:
    total_target = (64 << 20) if quick else (1 << 30)
    repeats = 3 if quick else 5
    pool = realistic_pool()
    work = Path(tempfile.mkdtemp(prefix="tbmp-index-speed-"))
    try:
        media, legacy, small, large, empty = (
            work / n for n in ("media", "legacy", "small", "large", "empty")
        )
        for d in (media, legacy, small, large, empty):
            d.mkdir()
        media_bytes = write_logdir(media, total_target, RUNS, ITEMS_PER_STEP, pool, IMAGE_SIZE)
        read_s, index_s, media_steps = read_and_index(media, repeats)
        steps_per_run = media_steps // RUNS
        legacy_bytes = write_add_image_logdir(legacy, pool, steps_per_run)
        _, legacy_index_s, _ = read_and_index(legacy, repeats)

        rust_times, rust_rss, empty_rss, ours_beside = [], [], [], []
        for _ in range(1 if quick else 3):
            # timed right before each RustBoard load, so the ratio's two sides see the same
            # load: this machine's load moves within a run, by several times at times
            ours_beside.extend(our_index_seconds(media)[0] for _ in range(3))
            seconds, rss = rustboard_load(legacy, work, steps_per_run)
            rust_times.append(seconds)
            rust_rss.append(rss)
            empty_rss.append(rustboard_load(empty, work, 0)[1])

        write_logdir(small, total_target // 4, RUNS)
        small_read_s, small_index_s, _ = read_and_index(small, repeats)
        shutil.rmtree(small)
        write_logdir(large, total_target // 4, RUNS, 1, png_pool(4, 1024), 1024)
        large_read_s, large_index_s, _ = read_and_index(large, repeats)
        shutil.rmtree(large)

        staging = work / "staging"
        media.rename(staging)
        rss = server_rss_growth(staging, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rust_s = statistics.median(rust_times)
    return {
        "index_throughput_ratio": read_s / index_s,
        "index_time_vs_rustboard": statistics.median(ours_beside) / rust_s,
        "rss_growth_fraction": (rss["rss_after"] - rss["rss_before"]) / media_bytes,
        "tensorboard_rss_fraction": (statistics.median(rust_rss) - statistics.median(empty_rss))
        / legacy_bytes,
        "index_mb_per_s": media_bytes / index_s / 1e6,
        "read_mb_per_s": media_bytes / read_s / 1e6,
        "index_s": index_s,
        "rustboard_load_s": rust_s,
        "index_add_image_logs_vs_rustboard": legacy_index_s / rust_s,
        "index_throughput_ratio_small_items": small_read_s / small_index_s,
        "index_throughput_ratio_large_items": large_read_s / large_index_s,
        "logdir_mb": media_bytes / 1e6,
    }


if __name__ == "__main__":
    quick_cli(run, __doc__)
