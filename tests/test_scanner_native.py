"""The native scanner core and the pure-Python scanner index the same from the same bytes.

Every test here runs on both (the native core is what users get when the package built with
a compiler; pure Python where it did not, or with TB_MEDIA_PANEL_PURE_PYTHON=1). The native
core keeps the records the index never uses (scalars, histograms...) out of Python: the
tests count what still reaches it.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.store import LogdirIndex, MediaReader, native
from tb_media_panel.store.events import RunIndex
from tb_media_panel.store.scanner import scan_records
from tb_media_panel.tfrecord import frame_record, masked_crc32c, record_header
from tests.conftest import require, unavailable
from tests.test_fuzz import BytesReader, event_payloads, fuzz, mutated, tiny_png
from tests.test_store import header_record, media_event
from tests.test_store_scan import INLINE, MAX_RECORD, damaged_file, scan

IMPLEMENTATIONS = ("native", "python")
RUN = "run"


@contextlib.contextmanager
def using(implementation: str) -> Iterator[None]:
    """Scan with this implementation inside the block."""
    if implementation == "native" and native.CORE is None:
        unavailable(f"the native scanner core is not built: {native.WHY_NOT}")
    saved = native.CORE
    if implementation == "python":
        native.CORE = None
    try:
        yield
    finally:
        native.CORE = saved


@pytest.fixture(params=IMPLEMENTATIONS)
def implementation(request: pytest.FixtureRequest) -> Iterator[str]:
    with using(request.param):
        yield request.param


def index_dump(logdir: Path, **kwargs: Any) -> dict[str, Any]:
    """What a user can see of a logdir: runs, skipped counts, tags, steps and item metadata."""
    index = LogdirIndex(str(logdir), **kwargs)
    index.refresh()
    reader = MediaReader(index)
    dump: dict[str, Any] = {}
    for run in index.run_names():
        tags: dict[str, Any] = {}
        for summary in index.tag_summaries([run]):
            series = index.series(run, summary.tag)
            assert series is not None
            steps = index.step_table(series).steps.tolist()
            shown = []
            for step in steps:
                try:
                    shown.append((step, reader.items(run, summary.tag, step)))
                except Exception as exc:  # what a route would answer for it
                    shown.append((step, f"{type(exc).__name__}: {exc}"))
            tags[summary.tag] = (summary, shown)
        dump[run] = (index.skipped_records(run), tags)
    return dump


def steps_of(dump: dict[str, Any], run: str, tag: str) -> list[int]:
    return [step for step, _ in dump[run][1][tag][1]]


# ---- framing -------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [12, 100, 4096, 1 << 20])
def test_damaged_file_frames_the_same(implementation: str, chunk_bytes: int) -> None:
    data, good = damaged_file()
    outcome, seen = scan(data, chunk_bytes, background=False)
    assert [payload for _, payload in seen] == good
    # a bad CRC, an oversized record and a corrupt header; the tail is left for later
    assert outcome.records == len(good) and outcome.skipped == 3
    assert outcome.next_offset == len(data) - len(frame_record(b"w" * 400)) + 7
    background, background_seen = scan(data, chunk_bytes, background=True)
    assert (background, background_seen) == (outcome, seen)


@pytest.mark.parametrize("crc", ["sse4.2", "table"])
def test_native_crc_matches_the_crc32c_package(crc: str) -> None:
    with using("native"):
        core = native.CORE
        assert core is not None
        try:
            before = core.use_crc(crc)
        except ValueError:
            # CI's machines are x86-64 with SSE4.2: there the hardware path must be tested.
            unavailable("this CPU has no CRC32 instruction (the table path is tested instead)")
        try:
            _check_crcs(core)
        finally:
            core.use_crc(before)


def _check_crcs(core: Any) -> None:
    rng = random.Random(5)
    data = bytearray(rng.randbytes(5000))
    for _ in range(300):  # every alignment and tail length the hardware loop splits on
        start = rng.randrange(0, 2000)
        end = start + rng.choice((0, 1, 7, 8, 9, 15, 16, 63, rng.randrange(0, 3000)))
        assert core.masked_crc(data, start, end) == masked_crc32c(bytes(data[start:end]))
    assert core.extend(core.extend(0, bytes(data[:77])), bytes(data[77:])) == core.extend(0, bytes(data))
    with pytest.raises(ValueError, match="outside the buffer"):
        core.masked_crc(data, 10, 6000)


# ---- real writers: same index, and scalars stay out of Python ------------------------


def _write_with_tensorboardx_and_torch(logdir: Path) -> None:
    tensorboardx = require("tensorboardX")
    require("torch")
    from torch.utils import tensorboard as torch_tb

    rng = np.random.default_rng(0)
    for name, module in (("tbx", tensorboardx), ("torch", torch_tb)):
        writer = module.SummaryWriter(str(logdir / name))
        for step in range(30):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
            writer.add_scalar("lr", 0.1, step)
            writer.add_scalars("pair", {"a": step, "b": -step}, step)
            writer.add_histogram("weights", rng.normal(size=50), step)
            if step % 10 == 0:
                writer.add_image("sample", rng.integers(0, 255, (3, 8, 8), dtype=np.uint8), step)
                writer.add_text("note", f"step **{step}**", step)
                if name == "torch":  # tensorboardX encodes audio with soundfile, not installed
                    writer.add_audio("tone", np.sin(np.arange(800) / 5.0).astype(np.float32), step, 8000)
        writer.add_hparams({"lr": 0.1}, {"hp/loss": 0.5})
        writer.close()
        # a restarted job (purge_step): a SessionLog START and a second file_version
        again = module.SummaryWriter(str(logdir / f"{name}-restarted"), purge_step=20)
        for step in range(20, 25):
            again.add_scalar("loss", 2.0, step)
            again.add_image("sample", np.zeros((3, 8, 8), np.uint8), step)
        again.close()


def test_real_writers_index_the_same_and_only_media_reach_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_with_tensorboardx_and_torch(tmp_path)
    events: list[bytes] = []
    real = RunIndex.add_event

    def counting(self: RunIndex, buf: Any, start: int, end: int, *rest: Any, **kw: Any) -> bool:
        events.append(bytes(buf[start:end]))
        return real(self, buf, start, end, *rest, **kw)

    monkeypatch.setattr(RunIndex, "add_event", counting)
    dumps = {}
    handed: dict[str, list[bytes]] = {}
    for name in IMPLEMENTATIONS:
        with using(name):
            events.clear()
            dumps[name] = index_dump(tmp_path)
            handed[name] = list(events)
    assert dumps["native"] == dumps["python"]
    for run in ("tbx", "torch"):
        assert steps_of(dumps["native"], run, "sample") == [0, 10, 20]
        assert steps_of(dumps["native"], f"{run}-restarted", "sample") == [20, 21, 22, 23, 24]
        assert "note" in dumps["native"][run][1]
    assert "tone" in dumps["native"]["torch"][1]
    # every record reaches Python without the core; with it only media, file versions, session
    # logs and the first metadata of a tag (hparams' plugin data) do: never a scalar or histogram
    assert len(handed["python"]) > 300 and len(handed["native"]) < len(handed["python"]) / 5
    kinds = []
    for payload in handed["native"]:
        event = event_pb2.Event.FromString(payload)
        what = event.WhichOneof("what")
        if what == "summary":
            value = event.summary.value[0]
            what = value.WhichOneof("value") or "metadata"
            if what in ("tensor", "metadata"):
                what = value.metadata.plugin_data.plugin_name or value.tag
        kinds.append(what)
    assert set(kinds) <= {"file_version", "session_log", "image", "audio", "text", "hparams"}, kinds
    assert kinds.count("image") == 2 * 8 and kinds.count("session_log") == 2


def _tensor_event(step: int, tag: str, plugin: str, blobs: list[bytes], *, extra: bytes = b"") -> bytes:
    """A tensor value with its plugin's metadata on every record, as TF2 writes scalars."""
    from tb_media_panel.summary import tensor_proto

    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = plugin
    value = summary_pb2.Summary.Value(tag=tag, metadata=meta, tensor=tensor_proto(blobs))
    event = event_pb2.Event(wall_time=1.0 + step, step=step, summary=summary_pb2.Summary(value=[value]))
    return event.SerializeToString() + extra


def test_metadata_on_every_record_reaches_python_once_per_tag(tmp_path: Path) -> None:
    """TF2 logs a scalar's plugin metadata with every record: the first registers the tag,
    and the core tells the others apart before Python has seen it (all in one read)."""
    png = tiny_png()
    payloads = [_tensor_event(s, f"loss{s % 4}", "scalars", [b"0.5"]) for s in range(400)]
    payloads += [_tensor_event(s, "pics", "images", [b"3", b"2", png]) for s in range(5)]
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "events.out.tfevents.1").write_bytes(_framed_file(payloads))
    handed = {}
    dumps = {}
    for name in IMPLEMENTATIONS:
        with using(name):
            run = RunIndex(RUN)
            calls: list[int] = []

            def on_record(buf: Any, start: int, end: int, base: int, checked: bool, sparse: Any) -> None:
                calls.append(base + start)  # noqa: B023 (called right here)
                run.add_event(buf, start, end, base, 0, sparse)  # noqa: B023

            data = (tmp_path / RUN / "events.out.tfevents.1").read_bytes()
            scan_records(
                BytesReader(data), 0, len(data), on_record, 1 << 20, background_min_bytes=INLINE,
                tag_plugins=run.tag_plugins,
            )  # fmt: skip
            handed[name] = len(calls)
            dumps[name] = index_dump(tmp_path)
    assert dumps["native"] == dumps["python"]
    assert steps_of(dumps["native"], RUN, "pics") == [0, 1, 2, 3, 4]
    assert handed == {"python": 406, "native": 1 + 4 + 5}  # file version, each tag once, images


@pytest.mark.parametrize(
    "first, then, indexed",
    [("scalars", "images", False), ("images", "scalars", True), ("images*", "scalars", True)],
    ids=["scalars-first", "images-first", "images-first-with-a-field-only-python-reads"],
)
def test_the_first_plugin_of_a_tag_wins_either_way(
    implementation: str, tmp_path: Path, first: str, then: str, indexed: bool
) -> None:
    """A tag's plugin is the first one logged for it (events.py), also when the records that
    say so are framed before Python has indexed any: one of them carries a 10-byte varint
    field the core cannot read but Python skips, so the core stops predicting there."""
    png = tiny_png()
    huge_varint_field = b"\x58" + b"\xff" * 9 + b"\x7f"  # field 11, varint past 64 bits
    extra = huge_varint_field if first.endswith("*") else b""
    payloads = [_tensor_event(0, "x", first.rstrip("*"), [b"3", b"2", png], extra=extra)]
    payloads += [_tensor_event(s, "x", then, [b"3", b"2", png]) for s in range(1, 4)]
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "events.out.tfevents.1").write_bytes(_framed_file(payloads))
    dump = index_dump(tmp_path)
    assert ("x" in dump[RUN][1]) == indexed
    if indexed:
        assert steps_of(dump, RUN, "x") == [0, 1, 2, 3]


# ---- issue 13 item 9: a forged header must not hide later records ---------------------


def _forged_header(length: int) -> bytes:
    """A header with a valid CRC whose length is a lie (no payload follows it)."""
    return record_header(length)


@pytest.mark.parametrize(
    ("claim", "steps", "inside"),
    [(1 << 40, 6, False), (MAX_RECORD + 1, 40, True), (3000, 6, False)],
    ids=["1TiB", "over-the-limit-inside-the-file", "past-the-end"],
)
def test_forged_header_with_a_valid_crc_hides_no_later_record(
    implementation: str, tmp_path: Path, claim: int, steps: int, inside: bool
) -> None:
    path = tmp_path / RUN / "events.out.tfevents.1"
    path.parent.mkdir()
    records = [media_event("samples", step, [bytes([step]) * 200]) for step in range(steps)]
    head = header_record() + b"".join(records[:2])
    path.write_bytes(head + _forged_header(claim) + b"".join(records[2:]))
    assert (len(head) + 16 + claim <= path.stat().st_size) == inside
    dump = index_dump(tmp_path, max_record_bytes=MAX_RECORD)
    assert steps_of(dump, RUN, "samples") == list(range(steps))
    assert dump[RUN][0] == 1  # the forged header, counted once
    again = index_dump(tmp_path, max_record_bytes=MAX_RECORD)
    assert again == dump


def test_a_record_still_being_written_is_neither_counted_nor_skipped(
    implementation: str, tmp_path: Path
) -> None:
    """The other side of resynchronising past a header that claims bytes past the end."""
    path = tmp_path / RUN / "events.out.tfevents.1"
    path.parent.mkdir()
    last = media_event("samples", 2, [b"z" * 2000])
    path.write_bytes(header_record() + media_event("samples", 1, [b"y" * 40]) + last[:900])
    index = LogdirIndex(str(tmp_path), max_record_bytes=MAX_RECORD)
    index.refresh()
    assert index.skipped_records(RUN) == 0
    with open(path, "ab") as f:
        f.write(last[900:])
    index.refresh()
    series = index.series(RUN, "samples")
    assert series is not None and index.step_table(series).steps.tolist() == [1, 2]
    assert index.skipped_records(RUN) == 0


def _ignore(*_: object) -> None:
    return None


def test_a_scan_that_ends_inside_a_record_leaves_it_to_the_next(implementation: str) -> None:
    """Progressive indexing scans a file in slices: a record cut by a slice's end, whatever
    its size, is neither skipped nor counted, and the next scan starts at it."""
    big = frame_record(b"q" * (MAX_RECORD + 10))
    records = [frame_record(b"a" * 50), frame_record(b"b" * 3000), big, frame_record(b"c" * 40)]
    data = b"".join(records)
    starts = [sum(len(r) for r in records[:i]) for i in range(len(records))]
    for record in (1, 2):
        for cut in (starts[record] + 5, starts[record] + 500):
            outcome = scan_records(
                BytesReader(data), 0, cut, _ignore, MAX_RECORD, background_min_bytes=INLINE
            )
            assert (outcome.next_offset, outcome.skipped, outcome.stuck) == (starts[record], 0, False)
            assert outcome.records == record and not outcome.problems


def test_a_genuine_record_over_the_limit_is_skipped_whole(implementation: str, tmp_path: Path) -> None:
    path = tmp_path / RUN / "events.out.tfevents.1"
    path.parent.mkdir()
    big = media_event("samples", 1, [b"q" * (MAX_RECORD + 10)])
    path.write_bytes(
        header_record() + media_event("samples", 0, [b"a"]) + big + media_event("samples", 2, [b"b"])
    )
    dump = index_dump(tmp_path, max_record_bytes=MAX_RECORD)
    assert steps_of(dump, RUN, "samples") == [0, 2] and dump[RUN][0] == 1


# ---- which implementation runs ---------------------------------------------------------


def test_environment_variable_forces_pure_python_and_the_log_says_so(tmp_path: Path) -> None:
    code = (
        "import logging; logging.basicConfig(level=logging.INFO, format='%(message)s');"
        "from tb_media_panel.store import LogdirIndex, native;"
        f"LogdirIndex({str(tmp_path)!r}).refresh(); LogdirIndex({str(tmp_path)!r}).refresh();"
        "print('core', native.CORE is not None)"
    )
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "events.out.tfevents.1").write_bytes(header_record())
    for forced, expected in (("1", "core False"), ("", "core True")):
        env = {**os.environ, native.PURE_PYTHON_ENV: forced}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == expected, done.stderr
        says = "pure-Python scanner in use" if forced else "native scanner core in use"
        assert done.stderr.count(says) == 1, done.stderr  # once, however many scans


# ---- fuzzing: native and Python agree on mutated files, and the core never overruns ------


def _mixed_payloads() -> list[bytes]:
    """Events of every kind a logdir holds: media of every format, scalars, histograms,
    a tensor scalar with plugin metadata, file versions and session logs."""
    payloads = [p for name in sorted(event_payloads()) for p in event_payloads()[name]]
    scalar = summary_pb2.Summary.Value(tag="loss", simple_value=0.5)
    payloads.append(event_pb2.Event(step=3, summary=summary_pb2.Summary(value=[scalar])).SerializeToString())
    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = "scalars"
    tensor_scalar = summary_pb2.Summary.Value(tag="acc", metadata=meta)
    tensor_scalar.tensor.dtype = 1
    tensor_scalar.tensor.float_val.append(0.25)
    payloads.append(
        event_pb2.Event(step=4, summary=summary_pb2.Summary(value=[tensor_scalar])).SerializeToString()
    )
    payloads.append(event_pb2.Event(wall_time=2.0, file_version="brain.Event:2").SerializeToString())
    start = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
    payloads.append(event_pb2.Event(step=1, session_log=start).SerializeToString())
    return payloads


_PAYLOADS = _mixed_payloads()


def _framed_file(payloads: list[bytes]) -> bytes:
    return header_record() + b"".join(frame_record(p) for p in payloads)


def _outcomes(data: bytes) -> dict[str, Any]:
    """Per implementation: the scan outcome and the run's index, scanned as LogdirIndex does
    (with the run's tag plugins) and with a small chunk, so records straddle reads."""
    found = {}
    for name in IMPLEMENTATIONS:
        with using(name):
            run = RunIndex(RUN)

            def on_record(buf: Any, start: int, end: int, base: int, checked: bool, sparse: Any) -> None:
                run.add_event(buf, start, end, base, 0, sparse)  # noqa: B023 (called right here)

            outcome = scan_records(
                BytesReader(data), 0, len(data), on_record, 1 << 20, chunk_bytes=256,
                background_min_bytes=INLINE, tag_plugins=run.tag_plugins,
            )  # fmt: skip
            series = {
                tag: (s.table(True)[0].steps.tolist(), s.table(True)[0].counts.tolist())
                for tag, s in sorted(run.series.items())
            }
            found[name] = (outcome, series, dict(run.tag_plugins))
    return found


@fuzz
@given(
    st.one_of(
        st.lists(st.sampled_from(_PAYLOADS), max_size=8).map(_framed_file).flatmap(mutated),
        st.lists(
            st.one_of(st.sampled_from(_PAYLOADS), st.sampled_from(_PAYLOADS).flatmap(mutated)), max_size=6
        ).map(_framed_file),
        st.binary(max_size=400),
    )
)
def test_native_and_python_scanners_agree_on_mutated_files(data: bytes) -> None:
    found = _outcomes(data)
    assert found["native"] == found["python"]


@fuzz
@given(st.binary(max_size=300), st.integers(0, 300), st.integers(0, 400))
def test_native_walk_never_reads_past_its_buffer(data: bytes, at: int, end: int) -> None:
    """Arbitrary bytes and positions: the core raises ValueError or frames within them."""
    with using("native"):
        core = native.CORE
        assert core is not None
        buffer = bytearray(data)
        entries: list[Any] = []
        try:
            walked, dropped, _ = core.walk(
                buffer, at, len(buffer), end, 1 << 20, 64, {}, {}, True, frozenset(), "x", entries
            )
        except ValueError:
            assert at > len(buffer)
            return
        assert at <= walked <= len(buffer) and dropped >= 0
        assert all(0 <= e[0] < e[1] <= e[2] <= len(buffer) - 4 for e in entries)
        found = core.find_header(buffer, 0, len(buffer) - 12, end) if len(buffer) >= 12 else -1
        assert -1 <= found <= max(len(buffer) - 12, -1)


def test_scanner_fuzz_files_can_be_written(tmp_path: Path) -> None:
    """The mixed payloads are real events a LogdirIndex indexes the same both ways."""
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "events.out.tfevents.1").write_bytes(_framed_file(_PAYLOADS))
    dumps = {}
    for name in IMPLEMENTATIONS:
        with using(name):
            dumps[name] = index_dump(tmp_path)
    assert dumps["native"] == dumps["python"]
    assert {"t", "i", "li", "a", "la", "note"} <= set(dumps["native"][RUN][1])
