"""The scanner framed on a worker thread gives what it gives inline; ETags follow file identity."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tb_media_panel.compat import event_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.store import CorruptRecord, LogdirIndex, MediaReader
from tb_media_panel.store.scanner import ScanBuffers, ScanOutcome, scan_records
from tests.test_store import media_event, write_run

INLINE = 1 << 62  # background_min_bytes that keeps a scan on the caller's thread
MAX_RECORD = 5000


class BytesReader:
    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.data = data
        self.fail_after = fail_after

    def read(self, offset: int, size: int) -> bytes:
        if self.fail_after is not None and offset + size > self.fail_after:
            raise OSError("connection reset")
        return self.data[offset : offset + max(size, 0)]

    def close(self) -> None:
        return None


def damaged_file() -> tuple[bytes, list[bytes]]:
    """Every kind of damage the scanner handles, around records smaller and larger than the
    chunks used below; returns the file and the payloads that must be indexed, in order."""
    good = [bytes([i]) * size for i, size in enumerate((10, 700, 3, 2500, 64, 1, 900))]
    parts = [frame_record(good[0]), frame_record(good[1])]
    bad_crc = bytearray(frame_record(b"x" * 300))
    bad_crc[-1] ^= 0xFF
    parts.append(bytes(bad_crc))
    parts += [frame_record(good[2]), frame_record(b"y" * (MAX_RECORD + 1))]
    parts.append(frame_record(good[3]))
    corrupt_header = bytearray(frame_record(b"z" * 50))
    corrupt_header[9] ^= 0xFF  # the length's CRC: resync finds the next record
    parts += [bytes(corrupt_header), b"\x07" * 37]
    parts += [frame_record(p) for p in good[4:]]
    parts.append(frame_record(b"w" * 400)[:-7])  # truncated tail
    return b"".join(parts), good


def scan(
    data: bytes, chunk_bytes: int, background: bool, buffers: ScanBuffers | None = None
) -> tuple[ScanOutcome, list[tuple[int, bytes]]]:
    seen: list[tuple[int, bytes]] = []

    def on_record(buf: bytearray, start: int, end: int, base: int, checked: bool, sparse: object) -> None:
        seen.append((base + start, bytes(buf[start:end])))

    outcome = scan_records(
        BytesReader(data),
        0,
        len(data),
        on_record,
        MAX_RECORD,
        chunk_bytes=chunk_bytes,
        background_min_bytes=0 if background else INLINE,
        buffers=buffers,
    )
    return outcome, seen


@pytest.mark.parametrize("chunk_bytes", [12, 100, 1000, 4096, 1 << 20])
def test_background_framing_matches_inline_framing(chunk_bytes: int) -> None:
    data, good = damaged_file()
    inline, inline_seen = scan(data, chunk_bytes, background=False)
    background, background_seen = scan(data, chunk_bytes, background=True)
    assert [payload for _, payload in inline_seen] == good
    assert background_seen == inline_seen
    assert background == inline
    # a bad CRC, an oversized record and a corrupt header; the tail is left for later
    assert inline.records == len(good) and inline.skipped == 3
    assert inline.next_offset == len(data) - len(frame_record(b"w" * 400)) + 7
    assert not inline.stuck


def test_corrupt_header_with_nothing_after_it_stops_there_either_way() -> None:
    head = frame_record(b"a" * 40)
    data = head + b"\xff" * 30
    for background in (False, True):
        outcome, seen = scan(data, 16, background)
        assert [p for _, p in seen] == [b"a" * 40]
        assert outcome.stuck and outcome.next_offset == len(head) and outcome.skipped == 1


def test_buffers_are_reused_from_scan_to_scan() -> None:
    data, good = damaged_file()
    buffers = ScanBuffers()
    for background in (True, False, True):
        _, seen = scan(data, 1000, background, buffers)
        assert [p for _, p in seen] == good
        assert buffers.spares  # handed back for the next scan


def _scan_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "media-panel-scan"]


def test_callback_error_stops_the_worker_and_propagates() -> None:
    data, _ = damaged_file()
    calls = 0

    def on_record(buf: bytearray, start: int, end: int, base: int, checked: bool, sparse: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("index bug")

    with pytest.raises(RuntimeError, match="index bug"):
        scan_records(
            BytesReader(data), 0, len(data), on_record, MAX_RECORD, chunk_bytes=12,
            background_min_bytes=0,
        )
    assert not _scan_threads()


def test_read_error_on_the_worker_is_raised_to_the_caller() -> None:
    data, _ = damaged_file()
    with pytest.raises(OSError, match="connection reset"):
        scan_records(
            BytesReader(data, fail_after=len(data) // 2),
            0,
            len(data),
            lambda *_: None,
            MAX_RECORD,
            chunk_bytes=100,
            background_min_bytes=0,
        )
    assert not _scan_threads()


def test_large_file_is_indexed_the_same_on_a_worker_thread(tmp_path: Path) -> None:
    """Through LogdirIndex: a file over the background threshold gives the same series."""
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(300), items=3, size=20_000)
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    reader = MediaReader(index)
    assert reader.items("run", "samples", 299).items[2].caption == "299:2"
    payload = reader.data("run", "samples", 123, 1)
    assert payload.read(0, payload.size) == bytes([123]) * 20_001


def _mixed_large_records(path: Path) -> None:
    """Large records of every shape the index reads, some it can walk from their headers
    alone and some it must read whole, with a damaged and a truncated one among them."""
    from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2

    from tb_media_panel.compat import summary_pb2
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto

    def event(step: int, *values: summary_pb2.Summary.Value) -> bytes:
        summary = summary_pb2.Summary(value=list(values))
        return frame_record(
            event_pb2.Event(wall_time=step + 0.5, step=step, summary=summary).SerializeToString()
        )

    def item(step: int, i: int, size: int, **extra: object) -> bytes:
        return media_pb2.MediaItem(
            version=1, kind="video", mime="video/mp4", format="mp4", caption=f"{step}:{i}",
            data=bytes([step % 256]) * size, **extra,
        ).SerializeToString()

    def media(tag: str, blobs: list[bytes]) -> summary_pb2.Summary.Value:
        return summary_pb2.Summary.Value(tag=tag, metadata=metadata(), tensor=tensor_proto(blobs))

    images = tb_summary_pb2.SummaryMetadata()
    images.plugin_data.plugin_name = "images"
    png = b"\x89PNG\r\n\x1a\n" + bytes(90_000)
    records = [frame_record(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())]
    for step in range(6):
        # one value, several items; the second with a header longer than a page (its title)
        items = [item(step, 0, 70_000), item(step, 1, 50_000, title="t" * 9000)]
        records.append(event(step, media("clips", items)))
    records.append(event(6, media("clips", [item(6, 0, 80_000)]), media("other", [item(6, 1, 80_000)])))
    image = tb_summary_pb2.Summary.Image(height=5, width=7, colorspace=3, encoded_image_string=png)
    records.append(event(7, tb_summary_pb2.Summary.Value(tag="legacy", image=image)))
    blobs = tensor_proto([b"7", b"5", png])
    records.append(event(8, tb_summary_pb2.Summary.Value(tag="tf_images", metadata=images, tensor=blobs)))
    damaged = bytearray(event(9, media("clips", [item(9, 0, 90_000)])))
    damaged[40_000] ^= 0xFF
    records.append(bytes(damaged))
    unreadable = bytearray(event(10, media("clips", [item(10, 0, 90_000)])))
    unreadable[12] = 0x07  # wire type 7: no readable event, whatever else
    records.append(bytes(unreadable))
    records.append(event(11, media("clips", [item(11, 0, 90_000)]))[:-100])  # still being written
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(records))


def _index_dump(root: Path) -> dict[str, object]:
    index = LogdirIndex(str(root))
    index.refresh()
    reader = MediaReader(index)
    dump: dict[str, object] = {"skipped": index.skipped_records("run")}

    def items(tag: str, step: int) -> object:
        try:
            return reader.items("run", tag, step)
        except CorruptRecord as exc:
            return str(exc)

    for summary in index.tag_summaries(["run"]):
        series = index.series("run", summary.tag)
        assert series is not None
        steps = index.step_table(series).steps.tolist()
        dump[summary.tag] = (summary, [(s, items(summary.tag, s)) for s in steps])
    dump["skipped after reading"] = index.skipped_records("run")
    return dump


def test_large_records_indexed_from_their_headers_give_what_reading_them_whole_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tb_media_panel.store import scanner

    _mixed_large_records(tmp_path / "run" / "events.out.tfevents.1")
    monkeypatch.setattr(scanner, "IN_FILE_MIN_BYTES", 1 << 62)
    whole = _index_dump(tmp_path)
    monkeypatch.setattr(scanner, "IN_FILE_MIN_BYTES", 64 << 10)
    # reads of 64 KiB, so that no large record comes in the read of another
    monkeypatch.setitem(scanner.scan_records.__kwdefaults__, "chunk_bytes", 64 << 10)
    calls: list[str] = []
    for name in ("_index_in_file", "_index_whole"):
        real = getattr(scanner, name)
        monkeypatch.setattr(scanner, name, lambda *a, name=name, real=real: calls.append(name) or real(*a))
    in_file = _index_dump(tmp_path)
    # every record but the file-version one and the cut-off tail is left in the file; those
    # with two values and the unreadable one are then read whole
    assert calls.count("_index_in_file") == 11 and calls.count("_index_whole") == 2
    assert in_file == whole
    assert (whole["skipped"], whole["skipped after reading"]) == (1, 2)  # unreadable, then damaged
    assert "record at byte" in dict(whole["clips"][1])[9]  # type: ignore[index]
    assert [s for s, _ in whole["clips"][1]] == [0, 1, 2, 3, 4, 5, 6, 9]  # type: ignore[index]
    assert {"legacy", "tf_images", "other"} <= set(whole)


# ---- ETags and file identity ----------------------------------------------------------


def _rewrite_in_place(path: Path, wall_time: float, fill: int) -> None:
    """Same records at the same offsets, other bytes; truncated and rewritten, same inode."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(
            frame_record(
                event_pb2.Event(wall_time=wall_time, file_version="brain.Event:2")
                .SerializeToString()
            )
        )
        for step in range(3):
            f.write(media_event("samples", step, [bytes([fill]) * 100, bytes([fill]) * 101]))


def _etag_and_bytes(index: LogdirIndex) -> tuple[str, bytes]:
    payload = MediaReader(index).data("run", "samples", 1, 0)
    return payload.etag, payload.read(0, payload.size)


def test_etag_changes_when_a_file_is_replaced_with_other_bytes(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    path.parent.mkdir()
    path.touch()
    _rewrite_in_place(path, 1.0, 1)
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    before = _etag_and_bytes(index)
    assert before[1] == b"\x01" * 100
    _rewrite_in_place(path, 2.0, 2)  # same size: noticed by its first bytes
    index.refresh()
    after = _etag_and_bytes(index)
    assert after[1] == b"\x02" * 100
    assert after[0] != before[0]


def test_etag_is_stable_for_an_untouched_file_and_changes_for_one_replaced_meanwhile(
    tmp_path: Path,
) -> None:
    """Across server restarts: the same file keeps its ETags (browser caches stay good);
    one rewritten while the server was down, even with the same first bytes, does not."""
    path = tmp_path / "run" / "events.out.tfevents.1"
    path.parent.mkdir()
    path.touch()
    _rewrite_in_place(path, 1.0, 1)
    first = LogdirIndex(str(tmp_path))
    first.refresh()
    again = LogdirIndex(str(tmp_path))
    again.refresh()
    assert _etag_and_bytes(again) == _etag_and_bytes(first)

    stat = path.stat()
    _rewrite_in_place(path, 1.0, 3)  # identical first bytes and size, other payloads
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    restarted = LogdirIndex(str(tmp_path))
    restarted.refresh()
    etag, data = _etag_and_bytes(restarted)
    assert data == b"\x03" * 100
    assert etag != _etag_and_bytes(first)[0]
