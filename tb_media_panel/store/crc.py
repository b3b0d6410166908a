"""Masked CRC32C of a span of a reusable buffer, without copying the span out, and of a
record's payload in a file.

A span is checked by the native core when it is in use (native.py), else by the `crc32c`
package, which takes a memoryview of the span; both release the GIL on long spans.
"""

from __future__ import annotations

from tb_media_panel.store import native
from tb_media_panel.store.files import RangeReader
from tb_media_panel.tfrecord import crc32c_extend, mask_crc, masked_crc32c

CHECK_PIECE_BYTES = 8 << 20  # a large record is checked piece by piece, never held whole


class SpanChecker:
    """Masked CRC32C of `buffer[start:end]` for one bytearray (which must not be resized)."""

    def __init__(self, buffer: bytearray) -> None:
        self._buffer = buffer
        self._view = memoryview(buffer)

    def masked_crc(self, start: int, end: int) -> int:
        core = native.CORE
        if core is not None:
            return int(core.masked_crc(self._buffer, start, end))
        return masked_crc32c(self._view[start:end])


def check_payload(
    reader: RangeReader, start: int, length: int, keep: tuple[int, int]
) -> tuple[bool, bytes]:
    """Whether the `length` payload bytes at `start` match the CRC in the footer after them,
    and the bytes at file offsets [keep[0], keep[1]) of it, gathered on the way so that the
    caller need not read them again.

    Raises FileNotFoundError when the file is shorter than the payload."""
    stop = start + length
    if length <= CHECK_PIECE_BYTES:  # the usual case: payload and footer in one read
        data = reader.read(start, length + 4)
        if len(data) != length + 4:
            raise FileNotFoundError(f"file ends at byte {start + len(data)}, inside an indexed record")
        intact = masked_crc32c(memoryview(data)[:length]) == int.from_bytes(data[length:], "little")
        return intact, data[max(keep[0], start) - start : min(keep[1], stop) - start]
    crc = 0
    kept = bytearray()
    pos = start
    while pos < stop:
        piece = reader.read(pos, min(CHECK_PIECE_BYTES, stop - pos))
        if not piece:
            raise FileNotFoundError(f"file ends at byte {pos}, inside an indexed record")
        crc = crc32c_extend(crc, piece)
        lo, hi = max(keep[0], pos), min(keep[1], pos + len(piece))
        if lo < hi:
            kept += piece[lo - pos : hi - pos]
        pos += len(piece)
    footer = reader.read(stop, 4)
    if len(footer) != 4:
        raise FileNotFoundError(f"file ends at byte {stop}, inside an indexed record")
    return mask_crc(crc) == int.from_bytes(footer, "little"), bytes(kept)
