"""The event-file index: damaged, growing, rotated and foreign files, re-logged steps, windows."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tb_media_panel.store import CorruptRecord, LogdirIndex, MediaReader, NotFound, window
from tb_media_panel.store.scanner import CHECK_ON_READ_MIN_BYTES
from tb_media_panel.store.series import StepTable
from tb_media_panel.summary import metadata, tensor_proto


def media_event(tag: str, step: int, payloads: list[bytes]) -> bytes:
    blobs = [
        media_pb2.MediaItem(
            version=1, kind="image", mime="image/png", format="png", caption=f"{step}:{i}", data=p
        ).SerializeToString()
        for i, p in enumerate(payloads)
    ]
    value = summary_pb2.Summary.Value(tag=tag, metadata=metadata(), tensor=tensor_proto(blobs))
    event = event_pb2.Event(
        wall_time=1.5 + step, step=step, summary=summary_pb2.Summary(value=[value])
    )
    return frame_record(event.SerializeToString())


def header_record() -> bytes:
    return frame_record(
        event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()
    )


def write_run(
    path: Path, steps: range, tag: str = "samples", items: int = 2, size: int = 100
) -> list[int]:
    """Writes an event file; returns the byte offset where each step's record starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    starts = []
    with open(path, "wb") as f:
        f.write(header_record())
        for step in steps:
            starts.append(f.tell())
            f.write(
                media_event(tag, step, [bytes([step % 256]) * (size + i) for i in range(items)])
            )
    return starts


def indexed(logdir: Path, **kwargs: int) -> LogdirIndex:
    index = LogdirIndex(str(logdir), **kwargs)
    index.refresh()
    return index


def steps_of(index: LogdirIndex, run: str, tag: str = "samples") -> list[int]:
    series = index.series(run, tag)
    assert series is not None
    return index.step_table(series).steps.tolist()


def test_a_step_logged_as_an_empty_list_answers_no_items(tmp_path: Path) -> None:
    run = tmp_path / "run" / "events.out.tfevents.1"
    run.parent.mkdir()
    run.write_bytes(header_record() + media_event("samples", 4, []) + media_event("samples", 5, [b"x"]))
    reader = MediaReader(indexed(tmp_path))
    empty = reader.items("run", "samples", 4)
    assert (empty.step, empty.items) == (4, [])
    (batch,) = reader.items_batch([("run", "samples", 4)], earlier=False, inline_max=0, inline_total=0)
    assert batch.found == empty and not batch.error


def test_items_read_back_exactly(tmp_path: Path) -> None:
    write_run(tmp_path / "a" / "events.out.tfevents.1", range(3), items=3)
    reader = MediaReader(indexed(tmp_path))
    meta = reader.items("a", "samples", 2)
    assert [m.caption for m in meta.items] == ["2:0", "2:1", "2:2"]
    assert [m.size for m in meta.items] == [100, 101, 102]
    assert meta.wall_time == 3.5
    payload = reader.data("a", "samples", 2, 1)
    assert payload.read(0, payload.size) == bytes([2]) * 101
    assert payload.read(10, 20) == bytes([2]) * 10


def test_truncated_tail_is_skipped_then_picked_up_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(5))
    full = path.read_bytes()
    path.write_bytes(full[:-7])  # the last record is cut off
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1, 2, 3]
    assert index.skipped_records("run") == 0
    path.write_bytes(full)
    index.refresh()
    assert steps_of(index, "run") == [0, 1, 2, 3, 4]
    assert index.skipped_records("run") == 0


def test_bad_payload_crc_mid_file_skips_one_record_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(6))
    data = bytearray(path.read_bytes())
    data[starts[2] + 40] ^= 0xFF
    path.write_bytes(bytes(data))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1, 3, 4, 5]
    assert index.skipped_records("run") == 1


LARGE = CHECK_ON_READ_MIN_BYTES  # two items of this size: a record whose CRC is checked on read


def test_large_record_with_a_bad_payload_is_never_served_then_dropped_and_counted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(4), size=LARGE)
    data = bytearray(path.read_bytes())
    data[starts[2] + 5000] ^= 0xFF  # inside step 2's first payload: the record still parses
    path.write_bytes(bytes(data))
    index = indexed(tmp_path)
    reader = MediaReader(index)
    assert steps_of(index, "run") == [0, 1, 2, 3]  # not checked yet
    assert index.skipped_records("run") == 0
    payload = reader.data("run", "samples", 3, 1)  # a sound record reads back whole
    assert payload.read(0, payload.size) == bytes([3]) * (LARGE + 1)
    with pytest.raises(CorruptRecord, match=f"record at byte {starts[2]} fails its CRC check"):
        reader.data("run", "samples", 2, 1).read(0, 10)  # the other item of the record too
    assert steps_of(index, "run") == [0, 1, 3]
    assert index.skipped_records("run") == 1
    with pytest.raises(NotFound):
        reader.items("run", "samples", 2)
    index.refresh()  # unchanged file: nothing comes back, nothing counted again
    assert steps_of(index, "run") == [0, 1, 3]
    assert index.skipped_records("run") == 1


def test_large_record_that_fails_to_parse_is_checked_and_reported_as_a_bad_crc(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(3), size=LARGE)
    data = bytearray(path.read_bytes())
    data[starts[1] + 12] ^= 0xFF  # the event's first key: no longer a readable event
    path.write_bytes(bytes(data))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 2]
    assert index.skipped_records("run") == 1
    assert f"record at byte {starts[1]} fails its CRC check" in caplog.text


def test_bad_header_mid_file_resyncs_at_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(6))
    data = bytearray(path.read_bytes())
    data[starts[3] + 2] ^= 0x55  # the record's length field
    path.write_bytes(bytes(data))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1, 2, 4, 5]
    assert index.skipped_records("run") == 1
    index.refresh()  # nothing changed: not counted twice
    assert index.skipped_records("run") == 1


def test_growing_file_is_read_from_where_the_last_scan_stopped(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(3))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1, 2]
    with open(path, "ab") as f:
        f.write(media_event("samples", 3, [b"x"]))
        f.write(media_event("other", 7, [b"y"]))
    index.refresh()
    assert steps_of(index, "run") == [0, 1, 2, 3]
    assert steps_of(index, "run", "other") == [7]
    assert MediaReader(index).data("run", "other", 7, 0).read(0, 1) == b"y"


def test_new_runs_and_files_appear_and_deleted_ones_go(tmp_path: Path) -> None:
    write_run(tmp_path / "a" / "events.out.tfevents.1", range(2))
    index = indexed(tmp_path)
    assert index.run_names() == ["a"]
    write_run(tmp_path / "b" / "nested" / "events.out.tfevents.1", range(4))
    write_run(tmp_path / "a" / "events.out.tfevents.2", range(10, 12))
    index.refresh()
    assert index.run_names() == ["a", "b/nested"]
    assert steps_of(index, "a") == [0, 1, 10, 11]
    os.remove(tmp_path / "a" / "events.out.tfevents.1")
    index.refresh()
    assert steps_of(index, "a") == [10, 11]
    os.remove(tmp_path / "b" / "nested" / "events.out.tfevents.1")
    index.refresh()
    assert index.run_names() == ["a"]


def test_rotated_file_replaced_by_a_shorter_one_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(5))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1, 2, 3, 4]
    write_run(path, range(100, 102))
    index.refresh()
    assert steps_of(index, "run") == [100, 101]
    assert MediaReader(index).items("run", "samples", 101).items[0].caption == "101:0"


def test_file_rewritten_with_same_length_but_other_content_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(3))
    index = indexed(tmp_path)
    first_bytes = path.read_bytes()
    # same size, new content: a different first event (wall time) and different steps
    replaced = frame_record(
        event_pb2.Event(wall_time=9.0, file_version="brain.Event:2").SerializeToString()
    )
    with open(path, "wb") as f:
        f.write(replaced)
        for step in (5, 6, 7):
            f.write(
                media_event("samples", step, [bytes([step % 256]) * 100, bytes([step % 256]) * 101])
            )
        f.write(b"\0" * max(0, len(first_bytes) - f.tell()))
    index.refresh()
    assert steps_of(index, "run") == [5, 6, 7]


def test_non_event_files_are_ignored(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.out.tfevents.notes").write_bytes(os.urandom(5000))
    (run / "events.out.tfevents.empty").write_bytes(b"")
    write_run(run / "events.out.tfevents.1", range(2))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 1]
    assert index.skipped_records("run") == 0


def test_record_over_the_size_limit_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    with open(path.parent.mkdir(parents=True) or path, "wb") as f:
        f.write(header_record())
        f.write(media_event("samples", 0, [b"a" * 100]))
        f.write(media_event("samples", 1, [b"b" * 50_000]))
        f.write(media_event("samples", 2, [b"c" * 100]))
    index = indexed(tmp_path, max_record_bytes=10_000)
    assert steps_of(index, "run") == [0, 2]
    assert index.skipped_records("run") == 1


def test_malformed_media_record_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    bad_value = summary_pb2.Summary.Value(
        tag="samples", metadata=metadata(), tensor=tensor_proto([b"\x12\xff\xff\xff"])
    )
    bad = event_pb2.Event(step=1, summary=summary_pb2.Summary(value=[bad_value]))
    with open(path.parent.mkdir(parents=True) or path, "wb") as f:
        f.write(header_record())
        f.write(media_event("samples", 0, [b"a"]))
        f.write(frame_record(bad.SerializeToString()))
        f.write(media_event("samples", 2, [b"c"]))
    index = indexed(tmp_path)
    assert steps_of(index, "run") == [0, 2]
    assert index.skipped_records("run") == 1


def test_relogged_step_answers_with_the_last_record(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    with open(path.parent.mkdir(parents=True) or path, "wb") as f:
        f.write(header_record())
        for step, payload in ((1, b"old"), (2, b"two"), (1, b"new"), (3, b"three")):
            f.write(media_event("samples", step, [payload]))
    reader = MediaReader(indexed(tmp_path))
    # the second step 1 purges the first job's 1 and 2, as TensorBoard does (see test_purge.py)
    assert steps_of(reader.index, "run") == [1, 3]
    payload = reader.data("run", "samples", 1, 0)
    assert payload.read(0, payload.size) == b"new"
    payload = reader.data("run", "samples", 2, 0)  # purged, still readable when asked for
    assert payload.read(0, payload.size) == b"two"


def test_unknown_addresses_raise_not_found(tmp_path: Path) -> None:
    write_run(tmp_path / "run" / "events.out.tfevents.1", range(2))
    reader = MediaReader(indexed(tmp_path))
    for args in (
        ("nope", "samples", 0, 0),
        ("run", "nope", 0, 0),
        ("run", "samples", 9, 0),
        ("run", "samples", 0, 2),
    ):
        with pytest.raises(NotFound):
            reader.data(*args)


def test_index_holds_no_payload_bytes(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(50), items=4, size=5000)
    index = indexed(tmp_path)
    series = index.series("run", "samples")
    assert 0 < series.held_bytes() < 0.02 * os.path.getsize(path)


def test_small_items_cost_under_20_bytes_of_index_each(tmp_path: Path) -> None:
    """Columns of 40,000 small items (4 a step): offsets relative to their record, 16-bit
    lengths while they fit, per-series constants once (benchmarks: index_bytes_per_item)."""
    write_run(tmp_path / "run" / "events.out.tfevents.1", range(10_000), items=4, size=8)
    series = indexed(tmp_path).series("run", "samples")
    assert series.held_bytes() / 40_000 < 20


def test_media_item_header_slice_decodes_without_payload(tmp_path: Path) -> None:
    write_run(tmp_path / "run" / "events.out.tfevents.1", range(1))
    index = indexed(tmp_path)
    series = index.series("run", "samples")
    _, items = series.items_at(0)
    header = index.read(items[0].file_id, items[0].offset, items[0].header_length)
    record = decode_item(header)
    assert record.caption == "0:0" and record.data == b""


def table(steps: list[int]) -> StepTable:
    arr = np.array(steps, dtype=np.int64)
    return StepTable(arr, np.ones_like(arr), np.zeros(len(arr)))


def test_window_keeps_first_and_last_and_spreads_evenly() -> None:
    steps = list(range(0, 100_000, 1))
    picked = window(table(steps), None, None, 11)
    got = picked.steps.tolist()
    assert len(got) == 11 and got[0] == 0 and got[-1] == 99_999
    assert set(np.diff(got).tolist()) <= {9999, 10000}
    assert picked.total == 100_000
    inside = window(table(steps), 500, 1_500, 3)
    assert inside.steps.tolist() == [500, 1000, 1500] and inside.total == 1001


def test_window_bounds_are_inclusive_and_may_be_empty() -> None:
    steps = [3, 7, 20, 21, 400]
    assert window(table(steps), 7, 21, 1000).steps.tolist() == [7, 20, 21]
    assert window(table(steps), 8, 19, 1000).total == 0
    assert window(table(steps), None, None, 2).steps.tolist() == [3, 400]


def test_file_that_starts_with_a_partial_first_record_is_read_once_complete(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(3))
    full = path.read_bytes()
    path.write_bytes(full[:10])  # a writer has just created the file
    index = indexed(tmp_path)
    assert index.run_names() == ["run"] and index.series("run", "samples") is None
    path.write_bytes(full[:40])
    index.refresh()
    path.write_bytes(full)
    index.refresh()
    assert steps_of(index, "run") == [0, 1, 2]
    assert index.skipped_records("run") == 0


def test_value_without_a_tag_is_listed_under_a_name_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    path.parent.mkdir()
    path.write_bytes(header_record() + media_event("", 3, [b"abc"]))
    index = indexed(tmp_path)
    assert [t.tag for t in index.tag_summaries(["run"])] == ["(unnamed)"]
    assert MediaReader(index).data("run", "(unnamed)", 3, 0).read(0, 3) == b"abc"
