"""A large record's payload, read from its file only where the index walk looks.

The index needs a record's headers (step, tag, each item's header), not its payload bytes:
for a large record in a local file the scanner hands the walk a buffer the size of the
payload in which only the pages the walk asks for (`ensure`) have been read. The buffer is an
anonymous memory map: pages never read hold zeros and cost no memory, and the pages read are
zeroed again before the next record (and given back when the refresh ends). A walker that
strays into a page it did not ask for therefore sees zeros, never another record's bytes, and
zeros are no valid field key (field number 0), so it fails rather than misreads. Whatever
the walk cannot do piecewise raises `NeedWhole`, and the scanner reads that record whole.
"""

from __future__ import annotations

import mmap

from tb_media_panel.store.files import LocalRangeReader

PAGE = mmap.PAGESIZE
READ_PAGES = 2  # pages read at least per miss: an item's header usually fits
_ZEROS = bytes(READ_PAGES * PAGE)


class NeedWhole(Exception):
    """This record's walk needs the whole payload (e.g. several values in one event)."""


class SparsePayload:
    """One reusable map; `start` points it at a record, `ensure` reads the spans walked."""

    def __init__(self) -> None:
        self.buf: mmap.mmap | None = None
        self._view: memoryview | None = None
        self._loaded = bytearray()  # per page of the current record: read from the file
        self._reader: LocalRangeReader | None = None
        self._offset = 0
        self.length = 0
        # a span known to be read, for the walkers' quick test before calling `ensure`
        self.lo = 0
        self.hi = 0
        self._read: list[tuple[int, int]] = []  # spans read for the current record

    def start(self, reader: LocalRangeReader, offset: int, length: int) -> mmap.mmap:
        """Point at the `length` payload bytes at file `offset`; returns the (unread) buffer."""
        if self.buf is None or len(self.buf) < length:
            self.close()
            self.buf = mmap.mmap(-1, max(length, PAGE))
            self._view = memoryview(self.buf)
        self._reader = reader
        self._offset = offset
        self.length = length
        self._loaded = bytearray(-(-length // PAGE))
        self.lo = self.hi = 0
        return self.buf

    def ensure(self, start: int, stop: int) -> None:
        """Read [start, stop) of the payload (clipped to it) into the buffer, if not yet."""
        stop = min(stop, self.length)
        if start >= stop or (self.lo <= start and stop <= self.hi):
            return
        assert self._view is not None and self._reader is not None
        loaded = self._loaded
        first, last = start // PAGE, (stop - 1) // PAGE
        page = first
        while page <= last:
            if loaded[page]:
                page += 1
                continue
            end = page + 1
            while end < len(loaded) and not loaded[end] and (end <= last or end < page + READ_PAGES):
                end += 1
            a, b = page * PAGE, min(end * PAGE, self.length)
            if self._reader.readinto(self._offset + a, self._view[a:b]) != b - a:
                raise OSError(f"file ends inside the record at byte {self._offset + b}")
            loaded[page:end] = b"\x01" * (end - page)
            self._read.append((a, b))
            page = end
        while page < len(loaded) and loaded[page]:
            page += 1
        self.lo, self.hi = first * PAGE, min(page * PAGE, self.length)

    def finish(self) -> None:
        """Zero what was read for this record, so that it never shows through the next."""
        assert self._view is not None or not self._read
        for a, b in self._read:
            for at in range(a, b, len(_ZEROS)):
                size = min(len(_ZEROS), b - at)
                self._view[at : at + size] = _ZEROS[:size]
        self._read.clear()
        self._reader = None
        self.length = self.lo = self.hi = 0

    def close(self) -> None:
        """Give the map back (the end of a scan)."""
        if self._view is not None:
            self._view.release()
            self._view = None
        if self.buf is not None:
            self.buf.close()
            self.buf = None
