"""`tags` summaries are kept as records are indexed: they must equal the ones built from the
steps TensorBoard shows (the step table), through restarts, purges and damaged records."""

from __future__ import annotations

from pathlib import Path

import pytest

from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.proto import media_pb2
from tb_media_panel.store import CorruptRecord, LogdirIndex, MediaReader
from tb_media_panel.store.series import PURGE_NONE, PURGE_ON_RESTART, PURGE_PER_TAG
from tb_media_panel.summary import metadata, tensor_proto

VERSION = frame_record(event_pb2.Event(file_version="brain.Event:2").SerializeToString())


def record(tag: str, step: int, items: int, payload: bytes = b"px") -> bytes:
    value = summary_pb2.Summary.Value(
        tag=tag,
        metadata=metadata(),
        tensor=tensor_proto(
            [
                media_pb2.MediaItem(
                    version=1, kind="image", mime="image/png", format="png", data=payload + bytes([i])
                ).SerializeToString()
                for i in range(items)
            ]
        ),
    )
    event = event_pb2.Event(wall_time=1.0 + step, step=step, summary=summary_pb2.Summary(value=[value]))
    return frame_record(event.SerializeToString())


def session_start(step: int) -> bytes:
    event = event_pb2.Event(wall_time=1.0, step=step, session_log=event_pb2.SessionLog(status=1))
    return frame_record(event.SerializeToString())


def from_scratch(index: LogdirIndex, run: str) -> dict[str, tuple[int, ...]]:
    """(step_count, first, last, max_items, purged) of each tag, from the shown step table."""
    found = {}
    for s in index.tag_summaries([run]):
        series = index.series(run, s.tag)
        assert series is not None
        table = index.step_table(series)
        if len(table.steps):
            found[s.tag] = (
                len(table.steps),
                int(table.steps[0]),
                int(table.steps[-1]),
                int(table.counts.max()),
                index.purged(series),
            )
    return found


def kept(index: LogdirIndex, run: str) -> dict[str, tuple[int, ...]]:
    return {
        s.tag: (s.step_count, s.first_step, s.last_step, s.max_items, s.purged)
        for s in index.tag_summaries([run])
    }


def append(path: Path, *records: bytes) -> None:
    with path.open("ab") as f:
        f.write(b"".join(records))


@pytest.mark.parametrize("purge", [PURGE_PER_TAG, PURGE_ON_RESTART, PURGE_NONE])
def test_kept_summaries_equal_those_built_from_scratch(tmp_path: Path, purge: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    late, early = run / "events.out.tfevents.2", run / "events.out.tfevents.1"
    index = LogdirIndex(str(tmp_path), purge=purge)
    versions: list[dict[str, int]] = []

    def check() -> None:
        index.refresh()
        assert kept(index, "run") == from_scratch(index, "run")
        versions.append({s.tag: s.version for s in index.tag_summaries(["run"])})

    # in order, item counts going up and down: max_items kept as rows come
    append(late, VERSION, session_start(0), *(record("a", s, 1 + s % 3) for s in range(6)))
    append(late, record("b", 0, 2))
    check()
    append(late, *(record("a", s, 1) for s in range(6, 9)))
    check()
    assert versions[-1]["a"] != versions[-2]["a"] and versions[-1]["b"] == versions[-2]["b"]
    # step 4 logged again: purges 5..8 per tag (RustBoard), or is one more record at a step
    append(late, record("a", 4, 5, b"again"))
    check()
    assert versions[-1]["a"] != versions[-2]["a"]
    # a restart in a file earlier in name order, indexed later
    append(early, VERSION, session_start(0), *(record(t, s, 4) for s in range(12) for t in "ab"))
    check()
    append(late, session_start(20), *(record("a", s, 1) for s in range(20, 23)))
    check()


def test_a_damaged_record_dropped_at_reading_leaves_the_summary_exact(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    path = run / "events.out.tfevents.1"
    # a large record's CRC is checked when read, a small one's when indexed
    widest = record("a", 3, 7, b"wide" + bytes(70_000))
    small = record("a", 5, 9, b"small")
    append(path, *(record("a", s, 2) for s in range(3)), widest, record("a", 4, 3), small)
    data = bytearray(path.read_bytes())
    for mark in (b"wide", b"small"):
        data[data.index(mark) + 1] ^= 0xFF  # the payload no longer matches its CRC
    path.write_bytes(bytes(data))
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    before = index.tag_summaries(["run"])[0]
    assert (before.step_count, before.max_items) == (5, 7)  # the large one not yet read
    with pytest.raises(CorruptRecord):
        MediaReader(index).data("run", "a", 3, 0)
    (after,) = index.tag_summaries(["run"])
    assert kept(index, "run") == from_scratch(index, "run") == {"a": (4, 0, 4, 3, 0)}
    assert after.version != before.version
