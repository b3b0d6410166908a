"""Masked CRC32C of a span of a reusable buffer, without copying the span out, and of a
record's payload in a file.

google-crc32c's Python function accepts only `bytes`, so checking a record inside a read
buffer would first copy it: that copy cost more than the read itself. Its C extension is
linked to the native library, whose `crc32c_extend` we call through ctypes with a pointer
into the buffer. Where that symbol cannot be found, the span is copied and checked the
portable way.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import google_crc32c

from tb_media_panel.eventfile import mask_crc, masked_crc32c
from tb_media_panel.store.files import RangeReader

CHECK_PIECE_BYTES = 8 << 20  # a large record is checked piece by piece, never held whole
# Spans at least this long are checked with the GIL released, so another thread runs Python
# meanwhile; shorter ones keep it: giving it up and waiting to get it back costs more (up to
# the 5 ms switch interval when the other thread is busy) than checking a few KB.
RELEASE_GIL_MIN_BYTES = 256 << 10

_Extend = Callable[[int, int, int], int]


def _native_extend(loader: type[ctypes.CDLL]) -> _Extend | None:
    try:
        from google_crc32c import _crc32c  # type: ignore[attr-defined]

        extend = loader(_crc32c.__file__).crc32c_extend
    except (ImportError, OSError, AttributeError):
        return None
    extend.restype = ctypes.c_uint32
    extend.argtypes = [ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
    return extend  # type: ignore[no-any-return]


_EXTEND = _native_extend(ctypes.CDLL)  # releases the GIL during the call
_EXTEND_HOLDING_GIL = _native_extend(ctypes.PyDLL)


class SpanChecker:
    """Masked CRC32C of `buffer[start:end]` for one bytearray (which must not be resized)."""

    def __init__(self, buffer: bytearray) -> None:
        self._buffer = buffer
        self._address = (
            ctypes.addressof(ctypes.c_char.from_buffer(buffer))
            if _EXTEND is not None and _EXTEND_HOLDING_GIL is not None and len(buffer)
            else None
        )

    def masked_crc(self, start: int, end: int) -> int:
        if self._address is None or _EXTEND is None or _EXTEND_HOLDING_GIL is None:
            return masked_crc32c(bytes(self._buffer[start:end]))
        size = end - start
        extend = _EXTEND if size >= RELEASE_GIL_MIN_BYTES else _EXTEND_HOLDING_GIL
        return mask_crc(extend(0, self._address + start, size))


def check_payload(
    reader: RangeReader, start: int, length: int, keep: tuple[int, int]
) -> tuple[bool, bytes]:
    """Whether the `length` payload bytes at `start` match the CRC in the footer after them,
    and the bytes at file offsets [keep[0], keep[1]) of it, gathered on the way so that the
    caller need not read them again.

    Raises FileNotFoundError when the file is shorter than the payload."""
    crc = 0
    kept = bytearray()
    pos, stop = start, start + length
    while pos < stop:
        piece = reader.read(pos, min(CHECK_PIECE_BYTES, stop - pos))
        if not piece:
            raise FileNotFoundError(f"file ends at byte {pos}, inside an indexed record")
        crc = google_crc32c.extend(crc, piece)
        lo, hi = max(keep[0], pos), min(keep[1], pos + len(piece))
        if lo < hi:
            kept += piece[lo - pos : hi - pos]
        pos += len(piece)
    footer = reader.read(stop, 4)
    if len(footer) != 4:
        raise FileNotFoundError(f"file ends at byte {stop}, inside an indexed record")
    return mask_crc(crc) == int.from_bytes(footer, "little"), bytes(kept)


def native() -> bool:
    """Whether spans are checked in place (for diagnostics and tests)."""
    return _EXTEND is not None and _EXTEND_HOLDING_GIL is not None
