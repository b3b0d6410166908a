"""Listing and ranged reads of event files: plain OS calls locally, TensorBoard's gfile remotely.

TensorBoard's TF-free gfile (`tensorflow_stub`) is used for remote paths even when
TensorFlow is installed: it reads `s3://` through boto3 and other schemes through fsspec,
while TensorFlow's own gfile dropped S3. Local paths skip gfile, which reopens the file
on every read.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Any, Protocol

EVENT_FILE_MARKER = "tfevents"


def is_remote(path: str) -> bool:
    return "://" in path


def is_event_file_name(name: str) -> bool:
    return EVENT_FILE_MARKER in name


@dataclass(frozen=True)
class EventFileListing:
    run: str  # "." for the logdir itself, else the relative directory with "/" separators
    path: str  # full path or URL


class RangeReader(Protocol):
    def read(self, offset: int, size: int) -> bytes: ...

    def close(self) -> None: ...


class LocalRangeReader:
    def __init__(self, path: str) -> None:
        self._file = open(path, "rb", buffering=0)

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self._file.fileno(), size, offset)

    def readinto(self, offset: int, view: memoryview) -> int:
        """Fill `view` from `offset` (short only at the end of the file); bytes read."""
        fd = self._file.fileno()
        got = 0
        while got < len(view):
            n = os.preadv(fd, [view[got:]], offset + got)
            if n <= 0:
                break
            got += n
        return got

    def close(self) -> None:
        self._file.close()


class RemoteRangeReader:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fs = _remote_filesystem(path)

    def read(self, offset: int, size: int) -> bytes:
        if size <= 0:
            return b""
        # S3 continues from "byte_offset", fsspec from "opaque_offset"; S3 ranges are inclusive
        # and may return one byte more than asked.
        token = {"byte_offset": offset, "opaque_offset": offset}
        data, _ = self._fs.read(self._path, True, size, token)
        return bytes(data[:size])

    def close(self) -> None:
        return None


def read_into(reader: RangeReader, offset: int, view: memoryview) -> int:
    """Fill `view` from `offset` without an intermediate copy where the reader allows."""
    if isinstance(reader, LocalRangeReader):
        return reader.readinto(offset, view)
    data = reader.read(offset, len(view))
    view[: len(data)] = data
    return len(data)


def open_reader(path: str) -> RangeReader:
    return RemoteRangeReader(path) if is_remote(path) else LocalRangeReader(path)


def read_range(path: str, offset: int, size: int) -> bytes:
    reader = open_reader(path)
    try:
        return reader.read(offset, size)
    finally:
        reader.close()


def file_status(path: str) -> tuple[int, str] | None:
    """The file's size and identity, or None when it is gone.

    The identity (device, inode, modification time; "" for remote files, whose gfile stat
    gives only a size) changes when the file is rewritten: with an unchanged size, that
    is a file replaced by one of the same length, which the size alone cannot show.
    """
    try:
        if not is_remote(path):
            st = os.stat(path)
            return st.st_size, f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}"
        return int(_remote_filesystem(path).stat(path).length), ""
    except Exception:  # gone, unreadable, or a remote error: treat as absent this round
        return None


def _gfile() -> Any:
    from tensorboard.compat.tensorflow_stub.io import gfile

    return gfile


def _remote_filesystem(path: str) -> Any:
    return _gfile().get_filesystem(path)


class ListingError(OSError):
    """The logdir could not be listed (a remote error): what was indexed stays as it is."""


def list_event_files(logdir: str) -> list[EventFileListing]:
    """Every event file under `logdir`, with its run name, sorted by run then file name.

    Raises ListingError when a remote logdir cannot be listed: an empty answer would mean
    "every file is gone"."""
    if not is_remote(logdir):
        return _list_local(logdir)
    try:
        return _list_s3(logdir) if logdir.startswith("s3://") else _list_gfile_walk(logdir)
    except Exception as exc:
        raise ListingError(f"could not list {logdir}: {type(exc).__name__}: {exc}") from exc


def _run_name(relative_dir: str) -> str:
    relative_dir = relative_dir.strip("/")
    return relative_dir if relative_dir else "."


def printable_name(name: str) -> str:
    """A directory name as valid Unicode: bytes that are not UTF-8 (which Python decodes to
    lone surrogates, which neither JSON nor a browser URL can carry back) as `\\xNN`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _list_local(logdir: str) -> list[EventFileListing]:
    """Follows symlinks, but each real directory once (as RustBoard does): a link to `.` or
    to a parent would otherwise be walked without end."""
    found: list[EventFileListing] = []
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(logdir, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:  # gone or unreadable since it was listed
            dirnames.clear()
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        rel = os.path.relpath(dirpath, logdir)
        run = "." if rel == "." else printable_name(rel.replace(os.sep, "/"))
        for name in sorted(filenames):
            if is_event_file_name(name):
                found.append(EventFileListing(run, os.path.join(dirpath, name)))
    return sorted(found, key=lambda f: (f.run, f.path))


def _list_s3(logdir: str) -> list[EventFileListing]:
    base = logdir.rstrip("/") + "/"
    keys = _remote_filesystem(logdir).glob(base + "*")  # one paginated listing of the prefix
    found = []
    for key in keys:
        rel = key[len(base) :]
        directory, name = posixpath.split(rel)
        if is_event_file_name(name):
            found.append(EventFileListing(_run_name(directory), key))
    return sorted(found, key=lambda f: (f.run, f.path))


def _list_gfile_walk(logdir: str) -> list[EventFileListing]:
    gfile = _gfile()
    base = logdir.rstrip("/")
    found = []

    def fail(error: Exception) -> None:  # gfile.walk would skip a directory it cannot list
        raise error

    for dirpath, _dirs, filenames in gfile.walk(base, onerror=fail):
        rel = dirpath[len(base) :]
        for name in filenames:
            if is_event_file_name(name):
                found.append(EventFileListing(_run_name(rel), posixpath.join(dirpath, name)))
    return sorted(found, key=lambda f: (f.run, f.path))
