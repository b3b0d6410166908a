"""The logdir index: runs -> tags -> steps -> item locations, refreshed incrementally.

Each event file remembers how far it was scanned; a refresh lists the logdir, scans only
new bytes, starts over on a file that shrank or whose first bytes changed (rotation), and
drops files and runs that disappeared.

Every read of indexed bytes goes through `read`, which first checks the payload CRC of a
record the scan left unchecked (see scanner.py): a corrupt one is dropped from the index,
counted as skipped, and never served.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tb_media_panel.store.crc import check_payload
from tb_media_panel.store.events import RunIndex
from tb_media_panel.store.files import (
    file_status,
    list_event_files,
    open_reader,
    read_range,
)
from tb_media_panel.store.scanner import HEADER_BYTES, ScanBuffers, scan_records
from tb_media_panel.store.series import AnySeries, StepTable
from tb_media_panel.store.sparse import SparsePayload
from tb_media_panel.tfrecord import masked_crc32c

logger = logging.getLogger(__name__)

DEFAULT_MAX_RECORD_BYTES = 1 << 30
FINGERPRINT_BYTES = 64
DEFAULT_MAX_STEPS = 1000

UNCHECKED, INTACT, CORRUPT = 0, 1, 2


class CorruptRecord(LookupError):
    """Indexed bytes whose record fails its CRC check (the index has dropped it)."""


class UncheckedRecords:
    """Payload spans of a file's indexed records whose CRC the scan left to the first read,
    in file order, with what that read found. 17 bytes a record, only for large records."""

    def __init__(self) -> None:
        self.starts = array("q")
        self.lengths = array("q")
        self.status = bytearray()

    def add(self, start: int, length: int) -> None:
        self.starts.append(start)
        self.lengths.append(length)
        self.status.append(UNCHECKED)

    def find(self, offset: int) -> int | None:
        """The record holding `offset`, if it is one of these."""
        i = bisect_right(self.starts, offset) - 1
        return i if i >= 0 and offset < self.starts[i] + self.lengths[i] else None


@dataclass
class FileState:
    file_id: int
    path: str
    run: str
    offset: int = 0  # where the next scan starts
    size: int = 0  # size seen at the last scan
    fingerprint: int | None = None  # CRC of the first bytes, to notice a replaced file
    fingerprint_length: int = 0
    ignored: bool = False  # not an event file
    stuck_at: int | None = None  # a counted corrupt header with nothing readable after it yet
    identity: str = ""  # device, inode and mtime seen at the last scan ("" remotely)
    # Which incarnation of the file at `path` this is, for ETags: a file replaced with
    # other bytes at the same offsets must not answer with the ETag of the old bytes.
    generation: str = ""
    unchecked: UncheckedRecords = field(default_factory=UncheckedRecords)


@dataclass(frozen=True)
class TagSummary:
    run: str
    tag: str
    kind: str
    source: str
    step_count: int
    first_step: int
    last_step: int
    max_items: int
    purged: int  # logged steps hidden, as TensorBoard hides them (a restarted job)


@dataclass(frozen=True)
class SeriesWindow:
    steps: np.ndarray
    counts: np.ndarray
    wall_times: np.ndarray
    total: int


class LogdirIndex:
    def __init__(self, logdir: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        self.logdir = logdir
        self.max_record_bytes = max_record_bytes
        self._runs: dict[str, RunIndex] = {}
        self._files: dict[str, FileState] = {}
        self._states: dict[int, FileState] = {}
        self._replacements: dict[str, int] = {}  # per path, times seen replaced
        self._next_file_id = 0
        self._lock = threading.Lock()  # guards the index structures
        self._refresh_lock = threading.Lock()  # one refresh at a time
        self.last_refresh: float | None = None

    # ---- refresh -------------------------------------------------------------------

    def refresh(self) -> None:
        with self._refresh_lock:
            listing = list_event_files(self.logdir)
            seen_runs = {entry.run for entry in listing}
            seen_paths = {entry.path for entry in listing}
            with self._lock:
                for path in [p for p in self._files if p not in seen_paths]:
                    self._forget_file(path)
                for run in [r for r in self._runs if r not in seen_runs]:
                    del self._runs[run]
            buffers = ScanBuffers()  # reused file to file, freed when the refresh ends
            try:
                for entry in listing:
                    try:
                        self._refresh_file(entry.run, entry.path, buffers)
                    except Exception:  # a remote hiccup or an unreadable file must not stop the rest
                        logger.warning("media_panel: could not read %s", entry.path, exc_info=True)
            finally:
                buffers.sparse.close()
            self.last_refresh = time.monotonic()

    def _forget_file(self, path: str) -> None:
        state = self._files.pop(path)
        for run in self._runs.values():
            run.drop_items(state.file_id)
        self._states.pop(state.file_id, None)

    def _new_state(self, path: str, run: str) -> FileState:
        state = FileState(self._next_file_id, path, run)
        self._next_file_id += 1
        self._files[path] = state
        self._states[state.file_id] = state
        run_index = self._runs.get(run)
        if run_index is not None:
            run_index.name_file(state.file_id, path)
        return state

    def _refresh_file(self, run_name: str, path: str, buffers: ScanBuffers) -> None:
        status = file_status(path)
        if status is None:
            return
        size, identity = status
        with self._lock:
            run = self._runs.get(run_name)
            if run is None:
                run = self._runs[run_name] = RunIndex(run_name)
            state = self._files.get(path) or self._new_state(path, run_name)
        if size == state.size and identity == state.identity and state.fingerprint is not None:
            return
        if state.fingerprint is not None and (
            size < state.size
            or (size == state.size and identity != state.identity)  # rewritten, same length
            or self._fingerprint(path, state.fingerprint_length) != state.fingerprint
        ):
            logger.info("media_panel: %s was replaced; reading it again", path)
            with self._lock:
                self._forget_file(path)
                state = self._new_state(path, run_name)
                self._replacements[path] = self._replacements.get(path, 0) + 1
        if (state.fingerprint is None or state.fingerprint_length < FINGERPRINT_BYTES) and size:
            first_sight = state.fingerprint is None
            state.fingerprint_length = min(size, FINGERPRINT_BYTES)
            state.fingerprint = self._fingerprint(path, state.fingerprint_length)
            if first_sight:
                # the identity at first sight keeps ETags across restarts for an untouched
                # file; remote files have none: their first bytes, size at first sight and
                # the replacements seen tell incarnations apart
                state.generation = (
                    f"{identity}:{state.fingerprint}:{size}:{self._replacements.get(path, 0)}"
                )
        state.identity = identity
        if state.ignored or size <= state.offset:
            state.size = size
            return
        reader = open_reader(path)
        file_id = state.file_id
        unchecked = state.unchecked

        def on_record(
            buf: bytes, start: int, end: int, base: int, checked: bool, sparse: SparsePayload | None
        ) -> None:
            with self._lock:
                if run.add_event(buf, start, end, base, file_id, sparse) and not checked:
                    unchecked.add(base + start, end - start)

        try:
            outcome = scan_records(
                reader,
                state.offset,
                size,
                on_record,
                self.max_record_bytes,
                buffers=buffers,
                tag_plugins=run.tag_plugins,
            )
        finally:
            reader.close()
        state.size = size
        if outcome.not_an_event_file:
            state.ignored = True
            logger.info("media_panel: %s is not an event file; ignored", path)
            return
        skipped = outcome.skipped
        if state.stuck_at == state.offset and skipped:
            skipped -= 1  # the corrupt header we stopped at last time was counted then
        state.stuck_at = outcome.next_offset if outcome.stuck else None
        if skipped:
            with self._lock:
                run.skipped_records += skipped
            for problem in outcome.problems:
                logger.warning("media_panel: %s: %s", path, problem)
        state.offset = outcome.next_offset

    def _fingerprint(self, path: str, length: int) -> int:
        return masked_crc32c(read_range(path, 0, length))

    # ---- queries -------------------------------------------------------------------

    def run_names(self) -> list[str]:
        with self._lock:
            return sorted(self._runs)

    def skipped_records(self, run: str) -> int:
        with self._lock:
            return self._runs[run].skipped_records

    def has_run(self, run: str) -> bool:
        with self._lock:
            return run in self._runs

    def has_media(self) -> bool:
        with self._lock:
            return any(len(s) for r in self._runs.values() for s in r.series.values())

    def tag_summaries(self, runs: Iterable[str]) -> list[TagSummary]:
        found = []
        with self._lock:
            for run_name in runs:
                run = self._runs.get(run_name)
                if run is None:
                    continue
                for tag, series in sorted(run.series.items()):
                    table, _ = series.table()
                    if not len(table.steps):
                        continue
                    found.append(
                        TagSummary(
                            run=run_name,
                            tag=tag,
                            kind=series.first_kind or "image",
                            source=series.source,
                            step_count=len(table.steps),
                            first_step=int(table.steps[0]),
                            last_step=int(table.steps[-1]),
                            max_items=int(table.counts.max()),
                            purged=series.purged(),
                        )
                    )
        return found

    def series(self, run: str, tag: str) -> AnySeries | None:
        with self._lock:
            found = self._runs.get(run)
            return None if found is None else found.series.get(tag)

    def step_table(self, series: AnySeries, include_purged: bool = False) -> StepTable:
        """The steps TensorBoard shows, or with `include_purged` every logged step."""
        with self._lock:
            return series.table(include_purged)[0]

    def purged(self, series: AnySeries) -> int:
        with self._lock:
            return series.purged()

    def locked(self) -> threading.Lock:
        """Hold while reading a series' rows: the scanner appends to them concurrently."""
        return self._lock

    def file_token(self, file_id: int) -> str | None:
        """Path and generation of an indexed file: part of the ETag of every item in it."""
        with self._lock:
            state = self._states.get(file_id)
            return None if state is None else f"{state.path}|{state.generation}"

    def read(self, file_id: int, offset: int, size: int) -> bytes:
        """Indexed bytes of a file, once their record is known to be intact."""
        with self._lock:
            state = self._states.get(file_id)
            record = None if state is None else state.unchecked.find(offset)
            status = INTACT if state is None or record is None else state.unchecked.status[record]
        if state is None:
            raise FileNotFoundError(f"event file {file_id} is gone")
        if status == INTACT:
            data = read_range(state.path, offset, size)
        else:  # the check reads the whole record: the bytes asked for come with it
            data = self._check_record(state, record, status, (offset, offset + size))
        if len(data) != size:
            raise FileNotFoundError(f"{state.path} is shorter than indexed")
        return data

    def _check_record(
        self, state: FileState, record: int, status: int, keep: tuple[int, int]
    ) -> bytes:
        """Check the CRC of an indexed record left unchecked by the scan and return its bytes
        at file offsets `keep`; a corrupt one is dropped from the index and counted (once),
        and raises CorruptRecord."""
        start = state.unchecked.starts[record]
        length = state.unchecked.lengths[record]
        problem = f"record at byte {start - HEADER_BYTES} fails its CRC check"
        if status == UNCHECKED:
            reader = open_reader(state.path)
            try:
                intact, kept = check_payload(reader, start, length, keep)
            finally:
                reader.close()
            with self._lock:
                if self._states.get(state.file_id) is not state:
                    raise FileNotFoundError(f"{state.path} was replaced while being read")
                if intact:
                    state.unchecked.status[record] = INTACT
                    return kept
                if state.unchecked.status[record] != CORRUPT:  # not found by another request
                    state.unchecked.status[record] = CORRUPT
                    run = self._runs.get(state.run)
                    if run is not None:
                        run.drop_items(state.file_id, start, start + length)
                        run.skipped_records += 1
                    logger.warning("media_panel: %s: %s", state.path, problem)
        raise CorruptRecord(f"{problem} in run {state.run!r}; it is skipped")


def window(
    table: StepTable, step_min: int | None, step_max: int | None, max_steps: int
) -> SeriesWindow:
    """At most `max_steps` logged steps in [step_min, step_max], evenly spread over the
    logged steps there, always including the first and the last of them."""
    steps = table.steps
    lo = 0 if step_min is None else int(np.searchsorted(steps, step_min, side="left"))
    hi = len(steps) if step_max is None else int(np.searchsorted(steps, step_max, side="right"))
    total = max(hi - lo, 0)
    if total <= max_steps:
        picked = np.arange(lo, lo + total)
    else:
        picked = np.unique(np.rint(np.linspace(lo, hi - 1, max_steps)).astype(np.int64))
    return SeriesWindow(steps[picked], table.counts[picked], table.wall_times[picked], total)
