"""Walks the TFRecord framing of one event file from a byte offset, checking both CRCs.

Reads in large chunks (one sequential pass, so the index costs about one read of the
file), hands every intact record to a callback with its absolute position, and reports
where to resume: a truncated tail is left for the next scan, a record with a bad CRC or
over the size limit is skipped and counted.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from tb_media_panel.store.crc import SpanChecker
from tb_media_panel.store.files import RangeReader, read_into

CHUNK_BYTES = 8 << 20
HEADER_BYTES = 12  # uint64 length + masked CRC32C of the length
FOOTER_BYTES = 4  # masked CRC32C of the payload
RESYNC_LIMIT_BYTES = 1 << 20  # how far past a corrupt header to look for the next record

_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")

# on_record(window, payload_start, payload_end, window_offset): positions index `window`, a
# buffer reused for the next records (copy what must outlive the call); window_offset is the
# absolute file offset of window[0]. Raises ValueError on a bad payload.
RecordCallback = Callable[[bytearray, int, int, int], None]


@dataclass
class ScanOutcome:
    next_offset: int
    records: int = 0
    skipped: int = 0
    not_an_event_file: bool = False
    stuck: bool = False  # stopped at a corrupt header with no intact record after it (yet)
    problems: list[str] = field(default_factory=list)


class _Window:
    """A sliding view of the file, [start, start + filled), in one reused bytearray.

    Reading into the same buffer and checking CRCs in place keeps the bytes in the CPU
    cache between the read and the check, and copies nothing per record.
    """

    def __init__(self, reader: RangeReader, start: int, end: int) -> None:
        self.reader = reader
        self.start = start
        self.filled = 0
        self.chunk = max(min(CHUNK_BYTES, end - start), HEADER_BYTES)  # small files, small buffer
        self.data = bytearray(self.chunk)
        self.crc = SpanChecker(self.data)

    def ensure(self, offset: int, size: int) -> bool:
        """Make [offset, offset + size) available; False when the file ends before that."""
        end = self.start + self.filled
        if offset >= self.start and offset + size <= end:
            return True
        kept = end - offset if self.start <= offset < end else 0
        at = offset - self.start
        want = max(self.chunk, size)
        if want > len(self.data):
            grown = bytearray(want)
            grown[:kept] = self.data[at : at + kept]
            self.data = grown
            self.crc = SpanChecker(grown)
        elif kept:
            self.data[:kept] = self.data[at : at + kept]  # same length: no resize
        got = read_into(self.reader, offset + kept, memoryview(self.data)[kept:want])
        self.start = offset
        self.filled = kept + got
        return self.filled >= size


def scan_records(
    reader: RangeReader,
    start: int,
    end: int,
    on_record: RecordCallback,
    max_record_bytes: int,
) -> ScanOutcome:
    """Scan records that lie entirely in [start, end); `end` is the file size seen now."""
    window = _Window(reader, start, end)
    outcome = ScanOutcome(next_offset=start)
    pos = start
    while pos + HEADER_BYTES <= end:
        if not window.ensure(pos, HEADER_BYTES):
            break
        at = pos - window.start
        length, header_crc = _HEADER.unpack_from(window.data, at)
        if window.crc.masked_crc(at, at + 8) != header_crc:
            if pos == 0:
                outcome.not_an_event_file = True
                return outcome
            resumed = _resync(window, pos + 1, end)
            outcome.skipped += 1
            outcome.problems.append(f"corrupt record header at byte {pos}")
            if resumed is None:
                outcome.next_offset = pos
                outcome.stuck = True
                outcome.problems.append(f"no intact record found after byte {pos}; stopped there")
                return outcome
            pos = resumed
            outcome.next_offset = pos
            continue
        record_end = pos + HEADER_BYTES + length + FOOTER_BYTES
        if record_end > end:
            break  # still being written, or cut off: picked up when complete
        if length > max_record_bytes:
            outcome.skipped += 1
            outcome.problems.append(
                f"record at byte {pos} has {length} bytes, over the limit of {max_record_bytes}"
            )
            pos = outcome.next_offset = record_end
            continue
        if not window.ensure(pos, record_end - pos):
            break
        at = pos - window.start
        payload_start = at + HEADER_BYTES
        payload_end = payload_start + length
        data = window.data
        (payload_crc,) = _U32.unpack_from(data, payload_end)
        if window.crc.masked_crc(payload_start, payload_end) != payload_crc:
            outcome.skipped += 1
            outcome.problems.append(f"record at byte {pos} fails its CRC check")
        else:
            try:
                on_record(data, payload_start, payload_end, window.start)
                outcome.records += 1
            except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                outcome.skipped += 1
                outcome.problems.append(f"record at byte {pos} is not a readable event: {exc}")
        pos = outcome.next_offset = record_end
    return outcome


def _resync(window: _Window, start: int, end: int) -> int | None:
    """The next offset after a corrupt header where an intact record header begins."""
    limit = min(end - HEADER_BYTES, start + RESYNC_LIMIT_BYTES)
    pos = start
    while pos <= limit:
        if not window.ensure(pos, HEADER_BYTES):
            return None
        at = pos - window.start
        length, header_crc = _HEADER.unpack_from(window.data, at)
        if length <= end - pos and window.crc.masked_crc(at, at + 8) == header_crc:
            return pos
        pos += 1
    return None
