"""Walks the TFRecord framing of one event file from a byte offset, checking CRCs.

Reads in large chunks (one sequential pass, so the index costs about one read of the
file), hands every intact record to a callback with its absolute position, and reports
where to resume: a truncated tail is left for the next scan, a record with a bad CRC or
over the size limit is skipped and counted.

Every header CRC is checked here, and the payload CRC of every record under
`CHECK_ON_READ_MIN_BYTES`. A larger record's payload CRC is left to whoever reads its bytes
(the index checks it before serving any of them), as RustBoard leaves it unchecked: checking
it here costs as much as reading it again, while the index needs only its headers. Any record
the callback cannot read has its payload CRC checked, to say which of the two went wrong.

A very large record (a video, a big point cloud) in a local file that is not already in the
read buffer is not read with the rest: the index walks its headers through
`sparse.SparsePayload`, which reads only those, so its payload is never copied (the framer
reads just far enough to find the next header).

The framing runs in the native core (native.py, _scan.c) when it is built: it checks the
CRCs and walks each event far enough to tell whether the index may use it, and only those
records reach Python; the others (scalars, histograms, graphs...) are only counted. It stops
at any record that is not ordinary (damaged, over the limit, past the buffer), which this
module's own loop then handles as it handles every record without the core.

A header whose CRC holds but whose length cannot be right (over `max_record_bytes` with no
record after it, or past the end of the file with intact records inside what it claims) is
resynchronised past, as a corrupt one is, and counted.

A small scan runs on the caller's thread. On a large one a worker thread reads and frames
the next chunk while the caller indexes this one: reads are native calls that release the
GIL, so the two overlap on two cores. The outcome is the same either way.
"""

from __future__ import annotations

import mmap
import os
import queue
import struct
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import NamedTuple

from tb_media_panel.records import PLUGIN_NAME
from tb_media_panel.store import native
from tb_media_panel.store.crc import SpanChecker
from tb_media_panel.store.events import LEGACY_SOURCES, UNNAMED_TAG
from tb_media_panel.store.files import LocalRangeReader, RangeReader, read_into
from tb_media_panel.store.sparse import NeedWhole, SparsePayload
from tb_media_panel.tfrecord import FOOTER_BYTES, HEADER, HEADER_BYTES, masked_crc32c

CHUNK_BYTES = 4 << 20
# Below this a worker thread costs more than the overlap saves (and most tails are small).
BACKGROUND_MIN_BYTES = 2 * CHUNK_BYTES
# Chunks alive at once on a background scan: being read, being indexed, and one spare.
BACKGROUND_BUFFERS = 3
# Records at least this large have their payload CRC checked when read, not when scanned.
CHECK_ON_READ_MIN_BYTES = 64 << 10
# Records at least this large, in a local file and not already in the read buffer, are
# indexed from their headers alone: below it, the reads and walk this takes cost about as
# much as copying the payload (measured: even at ~550 KB records).
IN_FILE_MIN_BYTES = 1 << 20
# What the framer reads past a record it left in the file: enough for the next header.
PROBE_BYTES = 4096
RESYNC_LIMIT_BYTES = 1 << 20  # how far past a corrupt header to look for the next record
# Plugins whose tensors the index reads (events.py RunIndex._add_value): the native core hands
# Python every tensor of a tag logged with one of these, and of a tag not known yet.
MEDIA_PLUGINS = frozenset((PLUGIN_NAME, *LEGACY_SOURCES))

_U32 = struct.Struct("<I")

# on_record(window, payload_start, payload_end, window_offset, checked, sparse): positions
# index `window`, a buffer reused for the next records (copy what must outlive the call);
# window_offset is the absolute file offset of window[0]; `checked` is False for a payload
# whose CRC is left to its reader; with `sparse`, `window` holds only what is asked of it
# (sparse.py). Raises ValueError on a bad payload, NeedWhole only with `sparse`.
RecordCallback = Callable[[bytearray | mmap.mmap, int, int, int, bool, SparsePayload | None], None]


@dataclass
class ScanOutcome:
    next_offset: int
    records: int = 0
    skipped: int = 0
    not_an_event_file: bool = False
    stuck: bool = False  # stopped at a corrupt header with no intact record after it (yet)
    problems: list[str] = field(default_factory=list)


class _InFile(NamedTuple):
    """A large record left in the file: its start and payload length."""

    start: int
    length: int


class _Problem(NamedTuple):
    message: str
    counted: bool  # a skipped record, as opposed to a note about one already counted


# A record: (record start, payload start, payload end, payload CRC left unchecked or -1),
# positions in the chunk.
_Record = tuple[int, int, int, int]
# An entry: a record, a large record left in the file, a problem, or a count of records framed
# and left out by the native core (the index would not use them).
_Entry = _Record | _InFile | _Problem | int


class _Buffer:
    __slots__ = ("crc", "data", "view")

    def __init__(self, size: int) -> None:
        self.data = bytearray(size)
        self.view = memoryview(self.data)
        self.crc = SpanChecker(self.data)


@dataclass
class _Chunk:
    """Framed records of one buffer, in file order; `base` is the file offset of data[0]."""

    buffer: _Buffer
    base: int
    entries: list[_Entry]


class _Cancelled(Exception):
    """The caller stopped reading chunks (it raised); the framer ends quietly."""


class ScanBuffers:
    """Buffers left over from earlier scans, for the next one to fill again.

    A fresh buffer costs a page fault and zeroing per page, about as much as reading into
    it: one refresh passes the same spares to the scan of each of its files.
    """

    def __init__(self) -> None:
        self.spares: list[_Buffer] = []
        self.sparse = SparsePayload()


class _Pool:
    """Buffers the framer may fill: at most `count`, each back once its chunk is indexed."""

    def __init__(self, size: int, count: int, spares: ScanBuffers) -> None:
        self._size = size
        self._unmade = count
        self._spares = spares
        self._free: queue.SimpleQueue[_Buffer | None] = queue.SimpleQueue()

    def take(self) -> _Buffer:
        try:
            buffer = self._free.get_nowait()
        except queue.Empty:
            if self._unmade:
                self._unmade -= 1
                spares = self._spares.spares
                return spares.pop() if spares else _Buffer(self._size)
            buffer = self._free.get()
        if buffer is None:
            raise _Cancelled
        return buffer

    def give(self, buffer: _Buffer) -> None:
        self._free.put(buffer)

    def cancel(self) -> None:
        self._free.put(None)

    def keep_spares(self) -> None:
        """Hand the buffers given back so far to the next scan."""
        while True:
            try:
                buffer = self._free.get_nowait()
            except queue.Empty:
                return
            if buffer is not None:
                self._spares.spares.append(buffer)


class _Window:
    """The framer's sliding view of the file, [start, start + filled), in one buffer.

    Once its chunk is handed over, the buffer belongs to the indexing side until given
    back to the pool; the next load takes another and carries over the unfinished record.
    """

    def __init__(self, reader: RangeReader, start: int, pool: _Pool, chunk: int) -> None:
        self.reader = reader
        self.pool = pool
        self.chunk = chunk
        self.readahead = chunk  # bytes to read at the next load, if more than it needs
        self.buffer = pool.take()
        self.start = start
        self.filled = 0
        self.handed_over = False
        self.entries: list[_Entry] = []

    def covers(self, offset: int, size: int) -> bool:
        return self.start <= offset and offset + size <= self.start + self.filled

    def handover(self) -> Iterator[_Chunk]:
        """The chunk of records framed so far, if any (this buffer is then read-only)."""
        if self.entries:
            yield _Chunk(self.buffer, self.start, self.entries)
            self.entries = []
            self.handed_over = True

    def release(self) -> None:
        """Give the buffer back unless its chunk was handed over (then the indexer will)."""
        if not self.handed_over:
            self.pool.give(self.buffer)
            self.handed_over = True

    def load(self, offset: int, size: int) -> bool:
        """Make [offset, offset + size) available; False when the file ends before that.

        Call `handover` first: positions of records framed so far refer to the old buffer.
        """
        end = self.start + self.filled
        kept = end - offset if self.start <= offset < end else 0
        at = offset - self.start
        want = max(self.readahead, size)
        self.readahead = self.chunk
        old = self.buffer
        new = self.pool.take() if self.handed_over else old
        if len(new.data) < want:
            new = _Buffer(want)  # a record larger than a chunk: this one replaces the small one
        if kept:
            new.view[:kept] = old.view[at : at + kept]  # memmove when `new` is `old`
        got = read_into(self.reader, offset + kept, new.view[kept:want])
        self.buffer = new
        self.handed_over = False
        self.start = offset
        self.filled = kept + got
        return self.filled >= size


def scan_records(
    reader: RangeReader,
    start: int,
    end: int,
    on_record: RecordCallback,
    max_record_bytes: int,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    background_min_bytes: int | None = None,
    buffers: ScanBuffers | None = None,
    tag_plugins: dict[str, tuple[str, bytes]] | None = None,
) -> ScanOutcome:
    """Scan records that lie entirely in [start, end); `end` is the file size seen now.

    `buffers`: spares to reuse, and to leave this scan's buffers in for the next scan.
    `tag_plugins`: the run's RunIndex.tag_plugins, read as the scan goes; with it the native
    core hands over only the records the index may use (see _scan.c), and counts the others
    in `records`. Without it, or without the core, every intact record is handed over.
    `background_min_bytes`: scans at least this large use worker threads (default: from
    `BACKGROUND_MIN_BYTES` when a core looks idle, else never).
    """
    outcome = ScanOutcome(next_offset=start)
    if background_min_bytes is None:
        background_min_bytes = BACKGROUND_MIN_BYTES if _idle_core() else 1 << 62
    background = end - start >= background_min_bytes
    chunk = max(min(chunk_bytes, end - start), HEADER_BYTES)  # small scans, small buffer
    buffers = buffers or ScanBuffers()
    pool = _Pool(chunk, BACKGROUND_BUFFERS if background else 1, buffers)
    chunks = _frames(reader, start, end, max_record_bytes, pool, chunk, outcome, tag_plugins)
    if background:
        chunks = _in_background(chunks, pool)
    for framed in chunks:
        data = framed.buffer.data
        base = framed.base
        for entry in framed.entries:
            if type(entry) is int:
                outcome.records += entry
            elif isinstance(entry, _Problem):
                outcome.skipped += entry.counted
                outcome.problems.append(entry.message)
            elif isinstance(entry, _InFile):
                _index_in_file(reader, entry, on_record, buffers.sparse, outcome)
            else:
                assert isinstance(entry, tuple)
                record_start, payload_start, payload_end, unchecked_crc = entry
                try:
                    on_record(data, payload_start, payload_end, base, unchecked_crc < 0, None)
                    outcome.records += 1
                except _UNREADABLE as exc:
                    bad_crc = unchecked_crc >= 0 and (
                        framed.buffer.crc.masked_crc(payload_start, payload_end) != unchecked_crc
                    )
                    _skip_unreadable(outcome, base + record_start, exc, bad_crc)
        pool.give(framed.buffer)
    pool.keep_spares()
    return outcome


_UNREADABLE = (ValueError, IndexError, UnicodeDecodeError, struct.error)


def _skip_unreadable(outcome: ScanOutcome, pos: int, exc: Exception, bad_crc: bool) -> None:
    outcome.skipped += 1
    if bad_crc:
        outcome.problems.append(_bad_crc(pos).message)
    else:
        outcome.problems.append(f"record at byte {pos} is not a readable event: {exc}")


def _index_in_file(
    reader: RangeReader,
    record: _InFile,
    on_record: RecordCallback,
    sparse: SparsePayload,
    outcome: ScanOutcome,
) -> None:
    """Index a large record through its headers alone or, where that cannot be, whole."""
    payload = record.start + HEADER_BYTES
    assert isinstance(reader, LocalRangeReader)
    try:
        on_record(sparse.start(reader, payload, record.length), 0, record.length, payload, False, sparse)
        outcome.records += 1
        return
    except (NeedWhole, *_UNREADABLE):
        pass  # read whole below: indexed, or skipped and counted, as a whole scan would
    finally:
        sparse.finish()
    _index_whole(reader, record, on_record, outcome)


def _index_whole(
    reader: RangeReader, record: _InFile, on_record: RecordCallback, outcome: ScanOutcome
) -> None:
    payload = record.start + HEADER_BYTES
    whole = bytearray(record.length + FOOTER_BYTES)
    if read_into(reader, payload, memoryview(whole)) != len(whole):
        raise OSError(f"file ends inside the record at byte {record.start}")
    try:
        on_record(whole, 0, record.length, payload, False, None)
        outcome.records += 1
    except _UNREADABLE as exc:
        (crc,) = _U32.unpack_from(whole, record.length)
        bad_crc = masked_crc32c(memoryview(whole)[: record.length]) != crc
        _skip_unreadable(outcome, record.start, exc, bad_crc)


def _idle_core() -> bool:
    """Whether another core is likely free now: on a busy machine the worker threads only
    take turns with this one, and their handoffs cost more than the overlap saves."""
    try:
        cores = len(os.sched_getaffinity(0))
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not Linux, or no load average
        cores, load = os.cpu_count() or 1, 0.0
    return cores >= 2 and load <= cores - 1


def _in_background(chunks: Iterator[_Chunk], pool: _Pool) -> Iterator[_Chunk]:
    """`chunks`, produced on a worker thread that is done with the reader when this ends."""
    handoff: queue.SimpleQueue[_Chunk | BaseException | None] = queue.SimpleQueue()

    def produce() -> None:
        try:
            for framed in chunks:
                handoff.put(framed)
            handoff.put(None)
        except _Cancelled:
            handoff.put(None)  # a checker reading these chunks ends too
            return
        except BaseException as exc:  # a read error: raised again on the caller's side
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="media-panel-scan", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        pool.cancel()  # wakes a framer waiting for a buffer, if the caller stopped early
        worker.join()


def _frames(
    reader: RangeReader,
    start: int,
    end: int,
    max_record_bytes: int,
    pool: _Pool,
    chunk: int,
    outcome: ScanOutcome,
    tag_plugins: dict[str, tuple[str, bytes]] | None,
) -> Iterator[_Chunk]:
    """Chunks of framed records; sets where to resume (and why it stopped) on `outcome`."""
    in_place = isinstance(reader, LocalRangeReader)
    core = native.core()
    window = _Window(reader, start, pool, chunk)
    # The core's notes of tags registered by records framed but not yet indexed (see _scan.c).
    pending: dict[str, tuple[str]] = {}
    predicting = True
    pos = start
    while pos + HEADER_BYTES <= end:
        if not window.covers(pos, HEADER_BYTES):
            yield from window.handover()
            if not window.load(pos, HEADER_BYTES):
                break
        at = pos - window.start
        if core is not None:  # ordinary records up to the first that is not, if any
            walked, dropped, predicting = core.walk(
                window.buffer.data, at, window.filled, end - window.start, max_record_bytes,
                CHECK_ON_READ_MIN_BYTES, tag_plugins, pending, predicting, MEDIA_PLUGINS,
                UNNAMED_TAG, window.entries,
            )  # fmt: skip
            if dropped:
                window.entries.append(dropped)
            if walked != at:
                pos = outcome.next_offset = window.start + walked
                continue
        length, header_crc = HEADER.unpack_from(window.buffer.data, at)
        problem = None if window.buffer.crc.masked_crc(at, at + 8) == header_crc else "corrupt"
        record_end = pos + HEADER_BYTES + length + FOOTER_BYTES
        past_file_end = False
        if problem is None and record_end > end:
            if _file_has(reader, window, record_end - 1):
                break  # all there, past the end of this scan: the caller's to take
            past_file_end = True
        if problem is None and length > max_record_bytes:
            if not past_file_end and _record_starts(reader, window, record_end):
                window.entries.append(
                    _Problem(
                        f"record at byte {pos} has {length} bytes, over the limit of "
                        f"{max_record_bytes}",
                        True,
                    )
                )
                pos = outcome.next_offset = record_end
                continue
            problem = f"claims {length} bytes, over the limit of {max_record_bytes}, and no record follows"
        if problem is not None:
            if pos == 0 and problem == "corrupt":
                outcome.not_an_event_file = True
                window.release()
                return
            resumed = yield from _resync(window, pos + 1, end, core)
            window.entries.append(
                _Problem(
                    f"corrupt record header at byte {pos}"
                    if problem == "corrupt"
                    else f"record header at byte {pos} {problem}",
                    True,
                )
            )
            if resumed is None:
                outcome.next_offset = pos
                outcome.stuck = True
                window.entries.append(
                    _Problem(f"no intact record found after byte {pos}; stopped there", False)
                )
                break
            pos = outcome.next_offset = resumed
            continue
        if past_file_end:
            # Still being written, or cut off (picked up when complete), unless intact records
            # follow inside what it claims: then its header lies.
            resumed = yield from _resync(window, pos + 1, end, core)
            if resumed is None:
                break
            window.entries.append(
                _Problem(
                    f"record header at byte {pos} claims {length} bytes, past the end of the "
                    f"file, yet a record starts at byte {resumed}",
                    True,
                )
            )
            pos = outcome.next_offset = resumed
            continue
        if not window.covers(pos, record_end - pos):
            if in_place and length >= IN_FILE_MIN_BYTES:
                window.entries.append(_InFile(pos, length))
                predicting = False  # Python may register tags from it that the core never saw
                window.readahead = PROBE_BYTES
                pos = outcome.next_offset = record_end
                continue
            yield from window.handover()
            if not window.load(pos, record_end - pos):
                break
            if core is not None:
                continue  # the core frames it, now that it is in the buffer
        at = pos - window.start
        payload_start = at + HEADER_BYTES
        payload_end = payload_start + length
        buffer = window.buffer
        (payload_crc,) = _U32.unpack_from(buffer.data, payload_end)
        if length >= CHECK_ON_READ_MIN_BYTES:
            window.entries.append((at, payload_start, payload_end, payload_crc))
        elif buffer.crc.masked_crc(payload_start, payload_end) != payload_crc:
            window.entries.append(_bad_crc(pos))
        else:
            window.entries.append((at, payload_start, payload_end, -1))
        pos = outcome.next_offset = record_end
    yield from window.handover()
    window.release()


def _file_has(reader: RangeReader, window: _Window, offset: int) -> bool:
    """Whether the file holds a byte at `offset` (which may lie past the scan's end)."""
    return window.covers(offset, 1) or len(reader.read(offset, 1)) == 1


def _record_starts(reader: RangeReader, window: _Window, offset: int) -> bool:
    """Whether `offset`, inside the file or at its end, is its end or the start of an intact
    record header."""
    if window.covers(offset, HEADER_BYTES):
        at = offset - window.start
        header = bytes(window.buffer.view[at : at + HEADER_BYTES])
    else:
        header = reader.read(offset, HEADER_BYTES)
    if not header:
        return True
    if len(header) != HEADER_BYTES:
        return False
    return masked_crc32c(header[:8]) == HEADER.unpack(header)[1]


def _bad_crc(pos: int) -> _Problem:
    return _Problem(f"record at byte {pos} fails its CRC check", True)


def _resync(
    window: _Window, start: int, end: int, core: ModuleType | None
) -> Generator[_Chunk, None, int | None]:
    """The next offset after a corrupt header where an intact record header begins (the
    generator's return value), or None; yields chunks handed over on the way."""
    limit = min(end - HEADER_BYTES, start + RESYNC_LIMIT_BYTES)
    pos = start
    while pos <= limit:
        if not window.covers(pos, HEADER_BYTES):
            yield from window.handover()
            if not window.load(pos, HEADER_BYTES):
                return None
        base = window.start
        last = min(limit, base + window.filled - HEADER_BYTES)  # the last header in the buffer
        if core is not None:
            found = core.find_header(window.buffer.data, pos - base, last - base, end - base)
        else:
            found = _find_header(window.buffer, pos - base, last - base, end - base)
        if found >= 0:
            return base + found
        pos = last + 1
    return None


def _find_header(buffer: _Buffer, at: int, last: int, end: int) -> int:
    """The first p in [at, last] where an intact header of a record that fits before `end`
    begins, or -1 (positions in `buffer`); what the native core's find_header does."""
    data = buffer.data
    for p in range(at, last + 1):
        length, header_crc = HEADER.unpack_from(data, p)
        if length <= end - p and buffer.crc.masked_crc(p, p + 8) == header_crc:
            return p
    return -1
