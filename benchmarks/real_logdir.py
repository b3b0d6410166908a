"""A real, scalar-heavy logdir indexed side by side with RustBoard; the scan rate of small records.

The logdir (issue 12): RUNS runs x STEPS steps; every step 4 scalars (`add_scalar` of loss,
accuracy, lr and grad_norm) and every 1,000 steps a 64x64 RGB noise image (`add_image`); half
the runs as tensorboardX's SummaryWriter writes them, half as torch's. Full: 10 x 50,000 =
2M scalar records and 500 images (~91 MB); quick: 10 x 5,000.

The records are built with the writers' own summary functions (`tensorboardX.summary`,
`torch.utils.tensorboard.summary`) and framed here, because writing 2M scalars through a
SummaryWriter takes minutes; before use, the first steps are written through both real
SummaryWriters too and must come out byte for byte the same. The logdir is cached in the
temp directory under its recipe, so repeated runs skip writing it.

- real_logdir_index_vs_rustboard: our `LogdirIndex.refresh()` (in process, warm cache) ÷
  RustBoard's load cycle on the same logdir (`tensorboard --load_fast=true`, its own
  "Finished load cycle" time; every run's last scalar step checked visible); medians.
- real_logdir_index_s, real_logdir_rustboard_s: the two times.
- scan_records_per_s: `scan_records` over one tensorboardX run file (200k scalar records in
  the full run) on the caller's thread, with the index's own callback: records per second.
- scan_records_per_s_pure_python: the same with TB_MEDIA_PANEL_PURE_PYTHON's scanner (anchor).

    .venv/bin/python -m benchmarks.real_logdir [--quick]
"""

from __future__ import annotations

import json
import shutil
import statistics
import struct
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
from benchmarks.index_speed import load_cycle_seconds  # noqa: E402

RUNS = 10
SCALARS = ("loss", "accuracy", "lr", "grad_norm")
IMAGE_EVERY = 1000
IMAGE_SIZE = 64
WALL_TIME = 1.7e9
CHECK_STEPS = 3  # steps written through the real SummaryWriters to check the bytes
WRITERS = ("tensorboardX", "torch")


def _summaries(writer: str) -> tuple[Any, Any, Any]:
    """The writer's own `scalar` and `image` summary functions and its Event class."""
    if writer == "tensorboardX":
        from tensorboardX import summary
        from tensorboardX.proto import event_pb2
    else:
        from tensorboard.compat.proto import event_pb2
        from torch.utils.tensorboard import summary
    return summary.scalar, summary.image, event_pb2.Event


def _scalar_value(tag_index: int, step: int) -> float:
    return 1.0 / (1 + step + tag_index)


def _image(step: int) -> Any:
    import numpy as np

    return np.random.default_rng(step).integers(0, 256, (3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)


def _run_records(writer: str, steps: int) -> list[bytes]:
    """Event payloads in the order the SummaryWriter writes them, after its file_version."""
    scalar, image, event_type = _summaries(writer)
    # One Summary per tag from the writer's function; only the value and step change.
    templates = [scalar(tag, 0.5) for tag in SCALARS]
    payloads = []
    for step in range(steps):
        wall_time = WALL_TIME + step * 0.01
        for i, template in enumerate(templates):
            template.value[0].simple_value = _scalar_value(i, step)
            event = event_type(wall_time=wall_time, step=step, summary=template)
            payloads.append(event.SerializeToString())
        if step % IMAGE_EVERY == 0:
            summary = image("sample", _image(step), dataformats="CHW")
            payloads.append(event_type(wall_time=wall_time, step=step, summary=summary).SerializeToString())
    return payloads


def _write_real(writer: str, logdir: Path, steps: int) -> None:
    if writer == "tensorboardX":
        from tensorboardX import SummaryWriter
    else:
        from torch.utils.tensorboard import SummaryWriter
    w = SummaryWriter(str(logdir))
    for step in range(steps):
        wall_time = WALL_TIME + step * 0.01
        for i, tag in enumerate(SCALARS):
            w.add_scalar(tag, _scalar_value(i, step), step, walltime=wall_time)
        if step % IMAGE_EVERY == 0:
            w.add_image("sample", _image(step), step, walltime=wall_time)
    w.close()


def _records_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        out.append(data[pos + 12 : pos + 12 + length])
        pos += 16 + length
    return out


def check_records_match_the_real_writers(work: Path) -> None:
    for writer in WRITERS:
        real = work / f"real-{writer}"
        _write_real(writer, real, CHECK_STEPS)
        (path,) = real.glob("*tfevents*")
        written = _records_of(path)[1:]  # after the file_version record
        if written != _run_records(writer, CHECK_STEPS):
            raise RuntimeError(f"the benchmark's {writer} records differ from what {writer} writes")
        shutil.rmtree(real)


def write_logdir(root: Path, steps: int) -> int:
    from tensorboard.compat.proto import event_pb2

    from tb_media_panel.tfrecord import frame_record

    for r in range(RUNS):
        writer = WRITERS[r % 2]
        run = root / f"run{r}"
        run.mkdir(parents=True)
        version = event_pb2.Event(wall_time=WALL_TIME, file_version="brain.Event:2").SerializeToString()
        with open(run / f"events.out.tfevents.{int(WALL_TIME)}.bench.{r}.0", "wb") as f:
            f.write(frame_record(version))
            f.write(b"".join(frame_record(p) for p in _run_records(writer, steps)))
    return sum(f.stat().st_size for f in root.rglob("*tfevents*"))


def cached_logdir(steps: int) -> Path:
    """The logdir for this recipe, written once into the temp directory."""
    recipe = f"tbmp-real-logdir-v1-{RUNS}x{steps}-img{IMAGE_EVERY}-{IMAGE_SIZE}"
    root = Path(tempfile.gettempdir()) / recipe
    if (root / "complete").exists():
        return root / "logdir"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    check_records_match_the_real_writers(root)
    write_logdir(root / "logdir", steps)
    (root / "complete").touch()
    return root / "logdir"


def index_seconds(logdir: Path, steps: int) -> float:
    from tb_media_panel.store import LogdirIndex

    start = time.perf_counter()
    index = LogdirIndex(str(logdir))
    index.refresh()
    seconds = time.perf_counter() - start
    summaries = index.tag_summaries(index.run_names())
    images = sum(s.step_count for s in summaries)
    if len(index.run_names()) != RUNS or images != RUNS * len(range(0, steps, IMAGE_EVERY)):
        raise RuntimeError(f"index shows {images} images in {len(index.run_names())} runs")
    return seconds


def rustboard_seconds(logdir: Path, work: Path, steps: int) -> float:
    from tests.tb_server import TensorBoardServer

    server = TensorBoardServer(
        str(logdir),
        ["--load_fast=true", "--verbosity", "20"],
        log_path=work / f"rb-{time.monotonic_ns()}.log",
    )
    server.start()
    try:
        seconds = load_cycle_seconds(server)
        for r in range(RUNS):  # loaded to the end, every run
            query = urllib.parse.urlencode({"run": f"run{r}", "tag": "loss"})
            with urllib.request.urlopen(f"{server.url}/data/plugin/scalars/scalars?{query}") as response:
                found = json.loads(response.read())
            if not found or found[-1][1] != steps - 1:
                raise RuntimeError(f"RustBoard shows run{r} loss up to {found[-1:] if found else None}")
    finally:
        server.stop()
    return seconds


def scan_rate(path: Path, repeats: int) -> float:
    """Records per second of scan_records over `path`, inline, into a RunIndex."""
    from tb_media_panel.store.events import RunIndex
    from tb_media_panel.store.files import open_reader
    from tb_media_panel.store.scanner import scan_records

    size = path.stat().st_size
    rates = []
    for _ in range(repeats):
        run = RunIndex("run")

        def on_record(buf: Any, start: int, end: int, base: int, checked: bool, sparse: Any) -> None:
            run.add_event(buf, start, end, base, 0, sparse)  # noqa: B023 (called during the scan)

        reader = open_reader(str(path))
        t0 = time.perf_counter()
        outcome = scan_records(
            reader, 0, size, on_record, 1 << 30, background_min_bytes=1 << 62, tag_plugins=run.tag_plugins
        )
        seconds = time.perf_counter() - t0
        reader.close()
        rates.append(outcome.records / seconds)
    return statistics.median(rates)


def run(quick: bool) -> dict[str, float]:
    from tb_media_panel.store import native

    steps = 5000 if quick else 50_000
    repeats = 3 if quick else 5
    logdir = cached_logdir(steps)
    work = Path(tempfile.mkdtemp(prefix="tbmp-real-logdir-"))
    try:
        index_seconds(logdir, steps)  # warm the page cache
        ours, theirs = [], []
        for _ in range(1 if quick else 3):  # interleaved: both see the same load
            ours.append(index_seconds(logdir, steps))
            theirs.append(rustboard_seconds(logdir, work, steps))
        (first_run,) = (logdir / "run0").glob("*tfevents*")
        native_rate = scan_rate(first_run, repeats)
        saved, native.CORE = native.CORE, None
        try:
            python_rate = scan_rate(first_run, 1)
        finally:
            native.CORE = saved
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    return {
        "real_logdir_index_vs_rustboard": ours_s / theirs_s,
        "real_logdir_index_s": ours_s,
        "real_logdir_rustboard_s": theirs_s,
        "scan_records_per_s": native_rate,
        "scan_records_per_s_pure_python": python_rate,
    }


if __name__ == "__main__":
    quick_cli(run, __doc__)
