"""The logdir index: runs -> tags -> steps -> item locations, refreshed incrementally.

Each event file remembers how far it was scanned; a refresh lists the logdir, scans only
new bytes, starts over on a file that shrank or whose first bytes changed (rotation), and
drops files and runs that disappeared.

A refresh never makes readers wait for the whole logdir: it reads a slice of one file per
run at a time, round-robin over the runs (slices double per turn, so big files soon go in
big reads), and readers see each record as soon as it is indexed, never half of one. A
run's files are read in name order, one after the other, so what is shown while indexing
is always what the finished index shows up to some point: no step twice, none out of order.

Every read of indexed bytes goes through `read`, which checks the payload CRC of the record
holding them: every time for small records (cheap; a record overwritten in place since it
was indexed is never served damaged), once for large ones the scan left unchecked (see
scanner.py). A corrupt one is dropped from the index, counted as skipped, and never served.

Skipped records are counted per file, so a file read again (rewritten, touched) is not
counted twice, and a corrupt header that later becomes a valid record is no longer counted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from tb_media_panel.store.crc import check_payload
from tb_media_panel.store.events import RunIndex
from tb_media_panel.store.files import (
    ListingError,
    file_status,
    list_event_files,
    open_reader,
    printable_name,
    read_range,
)
from tb_media_panel.store.results import IndexProgress, SeriesWindow, TagSummary
from tb_media_panel.store.scanner import (
    CHECK_ON_READ_MIN_BYTES,
    FOOTER_BYTES,
    HEADER_BYTES,
    ScanBuffers,
    scan_records,
)
from tb_media_panel.store.series import PURGE_PER_TAG, AnySeries, RunLog, StepTable
from tb_media_panel.store.sparse import SparsePayload
from tb_media_panel.tfrecord import masked_crc32c

logger = logging.getLogger(__name__)

DEFAULT_MAX_RECORD_BYTES = 1 << 30
FINGERPRINT_BYTES = 64
DEFAULT_MAX_STEPS = 1000
# Bytes of a file read in its first turn of a refresh (doubling each turn after): small, so
# that every run shows within a fraction of a second, wherever it is in the listing.
FIRST_SLICE_BYTES = 1 << 20

UNCHECKED, INTACT, CORRUPT = 0, 1, 2


class CorruptRecord(LookupError):
    """Indexed bytes whose record fails its CRC check (the index has dropped it). `path` and
    `offset` (of its header) say which record; the message, also an HTTP answer, names no path."""

    def __init__(self, message: str, path: str = "", offset: int = -1) -> None:
        super().__init__(message)
        self.path, self.offset = path, offset


class RecordSpans:
    """Payload spans of a file's indexed records, in file order."""

    def __init__(self, length_type: str) -> None:
        self.starts = array("q")
        self.lengths = array(length_type)

    def add(self, start: int, length: int) -> None:
        self.starts.append(start)
        self.lengths.append(length)

    def find(self, offset: int) -> int | None:
        """The record holding `offset`, if it is one of these."""
        i = bisect_right(self.starts, offset) - 1
        return i if i >= 0 and offset < self.starts[i] + self.lengths[i] else None


class SmallRecords(RecordSpans):
    """Indexed records under CHECK_ON_READ_MIN_BYTES, whose CRC every read checks again:
    12 bytes a record holding media."""

    def __init__(self) -> None:
        super().__init__("I")


class UncheckedRecords(RecordSpans):
    """Large indexed records whose CRC the scan left to the first read, with what that read
    found. 17 bytes a record."""

    def __init__(self) -> None:
        super().__init__("q")
        self.status = bytearray()

    def add(self, start: int, length: int) -> None:
        super().add(start, length)
        self.status.append(UNCHECKED)


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
    small: SmallRecords = field(default_factory=SmallRecords)
    skipped: int = 0  # records of this incarnation skipped, counted in its run's total
    corrupt: set[int] = field(default_factory=set)  # records found corrupt when read


class LogdirIndex:
    def __init__(
        self,
        logdir: str,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        first_slice_bytes: int = FIRST_SLICE_BYTES,
        purge: str = PURGE_PER_TAG,
    ) -> None:
        self.logdir = logdir
        self.purge = purge  # which records TensorBoard's loader shows (series.RunLog)
        self.max_record_bytes = max_record_bytes
        self.first_slice_bytes = first_slice_bytes
        self._progress = IndexProgress()
        self._warnings: list[str] = []
        self._caught_up = threading.Event()  # set when a refresh first ends
        # tag summaries per run, until the run changes: `tags` of 10,000 runs is one lookup each
        self._summaries: dict[str, list[TagSummary]] = {}
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
        """List the logdir and index what is new, a slice of one file per run at a time."""
        with self._refresh_lock:
            try:
                listing = list_event_files(self.logdir)
            except ListingError as exc:  # keep what was indexed: the files are likely still there
                logger.warning("media_panel: %s; keeping the runs indexed before", exc)
                with self._lock:
                    self._warnings = [f"{exc}; showing what was indexed before"]
                    self._progress = replace(self._progress, done=True)
                self._caught_up.set()
                return
            statuses = [file_status(entry.path) for entry in listing]
            seen_runs = {entry.run for entry in listing}
            seen_paths = {entry.path for entry in listing}
            with self._lock:
                self._warnings = []
                for path in [p for p in self._files if p not in seen_paths]:
                    self._forget_file(path)
                for run in [r for r in self._runs if r not in seen_runs]:
                    del self._runs[run]
                    self._summaries.pop(run, None)
            # per run, its files that have new bytes, in name order (TensorBoard's read order)
            work: dict[str, deque[tuple[FileState, int]]] = {}
            bytes_done = 0
            for entry, status in zip(listing, statuses, strict=True):
                state = None
                if status is not None:
                    try:
                        state = self._prepare(entry.run, entry.path, *status)
                    except Exception:  # a remote hiccup must not stop the rest
                        logger.warning("media_panel: could not read %s", entry.path, exc_info=True)
                if state is None:
                    bytes_done += status[0] if status else 0
                else:
                    bytes_done += state.offset
                    work.setdefault(entry.run, deque()).append((state, status[0]))
            queued = sum(len(files) for files in work.values())
            bytes_total = sum(status[0] for status in statuses if status)
            with self._lock:
                self._progress = IndexProgress(
                    len(listing) - queued, len(listing), bytes_done, bytes_total, not queued
                )
            self._index_round_robin(work)
            with self._lock:
                self._progress = IndexProgress(
                    len(listing), len(listing), bytes_total, bytes_total, True
                )
            self.last_refresh = time.monotonic()
            self._caught_up.set()

    def _index_round_robin(self, work: dict[str, deque[tuple[FileState, int]]]) -> None:
        """A slice of each run's current file per turn until every file is caught up."""
        slices = {id(state): self.first_slice_bytes for files in work.values() for state, _ in files}
        buffers = ScanBuffers()  # reused slice to slice, freed when the refresh ends
        try:
            while work:
                for run_name in list(work):
                    files = work[run_name]
                    state, size = files[0]
                    before = state.offset
                    budget = slices[id(state)]
                    slices[id(state)] = budget * 2
                    try:
                        finished = self._scan_slice(state, size, budget, buffers)
                    except Exception:  # an unreadable file must not stop the rest
                        logger.warning("media_panel: could not read %s", state.path, exc_info=True)
                        finished = True
                    if finished:
                        files.popleft()
                        if not files:
                            del work[run_name]
                    with self._lock:
                        done = self._progress
                        self._progress = replace(
                            done,
                            files_done=done.files_done + finished,
                            bytes_done=done.bytes_done + (size if finished else state.offset) - before,
                        )
        finally:
            buffers.sparse.close()

    def _forget_file(self, path: str) -> None:
        state = self._files.pop(path)
        run = self._runs.get(state.run)
        if run is not None:
            run.drop_items(state.file_id)
            run.skipped_records -= state.skipped
        self._summaries.pop(state.run, None)
        self._states.pop(state.file_id, None)

    def _new_state(self, path: str, run: str) -> FileState:
        state = FileState(self._next_file_id, path, run)
        self._next_file_id += 1
        self._files[path] = state
        self._states[state.file_id] = state
        run_index = self._runs.get(run)
        if run_index is not None:
            run_index.name_file(state.file_id, path)  # the run's read order changes
        self._summaries.pop(run, None)
        return state

    def _prepare(self, run_name: str, path: str, size: int, identity: str) -> FileState | None:
        """The file's state, started over if the file was replaced; None when it has no new
        bytes to scan. Its run is listed from now on."""
        with self._lock:
            if run_name not in self._runs:
                self._runs[run_name] = RunIndex(run_name, log=RunLog(purge=self.purge))
            state = self._files.get(path) or self._new_state(path, run_name)
        if size == state.size and identity == state.identity and state.fingerprint is not None:
            return None
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
            return None
        return state

    def _scan_slice(self, state: FileState, size: int, budget: int, buffers: ScanBuffers) -> bool:
        """Scan about `budget` more bytes of the file; whether it is now caught up with `size`."""
        start = state.offset
        end = min(size, start + budget)
        self._scan(state, start, end, buffers)
        if not state.ignored and end < size:
            if state.stuck_at is None and state.offset == start:
                # the next record is larger than the slice: take it whole
                self._scan(state, start, self._record_end(state.path, start, size), buffers)
            if state.stuck_at is None and state.offset > start:
                return False
            # a corrupt stretch, which may run past the slice: look for a record in the rest
            self._scan(state, state.offset, size, buffers)
        state.size = size
        return True

    @staticmethod
    def _record_end(path: str, start: int, size: int) -> int:
        """Where the record at `start` ends by its header (the scan checks the header)."""
        length = int.from_bytes(read_range(path, start, 8), "little")
        return min(size, start + HEADER_BYTES + length + FOOTER_BYTES)

    def _scan(self, state: FileState, start: int, end: int, buffers: ScanBuffers) -> None:
        """Index the records in [start, end) of the file, from `state.offset` == `start`."""
        with self._lock:
            run = self._runs[state.run]
        reader = open_reader(state.path)
        file_id = state.file_id
        unchecked, small = state.unchecked, state.small

        def on_record(
            buf: bytes, start: int, end: int, base: int, checked: bool, sparse: SparsePayload | None
        ) -> None:
            with self._lock:
                if run.add_event(buf, start, end, base, file_id, sparse):
                    self._summaries.pop(run.name, None)
                    if not checked:
                        unchecked.add(base + start, end - start)
                    elif end - start < CHECK_ON_READ_MIN_BYTES:
                        small.add(base + start, end - start)

        try:
            outcome = scan_records(
                reader,
                start,
                end,
                on_record,
                self.max_record_bytes,
                buffers=buffers,
                tag_plugins=run.tag_plugins,  # the native core then keeps non-media out of Python
            )
        finally:
            reader.close()
        if outcome.not_an_event_file:
            state.ignored = True
            logger.info("media_panel: %s is not an event file; ignored", state.path)
            return
        skipped = outcome.skipped
        if state.stuck_at == start:
            skipped -= 1  # the corrupt header it stopped at was counted then (again above if so)
        state.stuck_at = outcome.next_offset if outcome.stuck else None
        if skipped:
            with self._lock:
                state.skipped += skipped
                run.skipped_records += skipped
        if skipped > 0:
            for problem in outcome.problems:
                logger.warning("media_panel: %s: %s", state.path, problem)
        state.offset = outcome.next_offset

    def _fingerprint(self, path: str, length: int) -> int:
        return masked_crc32c(read_range(path, 0, length))

    # ---- queries -------------------------------------------------------------------

    def run_names(self) -> list[str]:
        with self._lock:
            return sorted(self._runs)

    def progress(self) -> IndexProgress:
        with self._lock:
            return self._progress

    def warnings(self) -> list[str]:
        """What kept the latest refresh from seeing the logdir (a failed remote listing)."""
        with self._lock:
            return list(self._warnings)

    def wait_caught_up(self, timeout: float) -> bool:
        """Wait at most `timeout` seconds for the first refresh to end; whether it has."""
        return self._caught_up.wait(timeout)

    def skipped_records(self, run: str) -> int:
        """0 for a run gone since it was listed (a refresh runs beside every request)."""
        with self._lock:
            found = self._runs.get(run)
            return 0 if found is None else found.skipped_records

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
                summaries = self._summaries.get(run_name)
                if summaries is None:
                    summaries = self._summaries[run_name] = _summarize(run)
                found.extend(summaries)
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
            return None if state is None else f"{printable_name(state.path)}|{state.generation}"

    def state(self) -> tuple[int, ...]:
        """Numbers that change whenever the index does, in O(files) additions: file ids are
        never reused and only grow, so a file gone, added or replaced changes their count or
        sum; a file read further moves its offset; a record found corrupt when read changes
        the skipped count."""
        with self._lock:
            states = self._states.values()
            return (
                len(states),
                sum(s.file_id for s in states),
                sum(s.offset for s in states),
                sum(r.skipped_records for r in self._runs.values()),
            )

    def generation(self) -> int:
        """A number that changes whenever the index does (a 48-bit digest of `state`)."""
        digest = hashlib.sha1(repr(self.state()).encode()).digest()
        return int.from_bytes(digest[:6], "big")

    def read(self, file_id: int, offset: int, size: int) -> bytes:
        """Indexed bytes of a file, once their record is known to be intact."""
        with self._lock:
            state = self._states.get(file_id)
            if state is None:
                raise FileNotFoundError(f"event file {file_id} is gone")
            large = state.unchecked.find(offset)
            if large is not None:
                status = state.unchecked.status[large]
                span = state.unchecked.starts[large], state.unchecked.lengths[large]
            else:  # a small record is checked at every read
                small = state.small.find(offset)
                status = INTACT if small is None else UNCHECKED
                span = (0, 0) if small is None else (state.small.starts[small], state.small.lengths[small])
        if status == INTACT:
            data = read_range(state.path, offset, size)
        else:  # the check reads the whole record: the bytes asked for come with it
            data = self._check_record(state, large, status, span, (offset, offset + size))
        if len(data) != size:
            raise FileNotFoundError(f"{state.path} is shorter than indexed")
        return data

    def _check_record(
        self,
        state: FileState,
        large: int | None,
        status: int,
        span: tuple[int, int],
        keep: tuple[int, int],
    ) -> bytes:
        """Check the CRC of the indexed record with payload `span` and return its bytes at
        file offsets `keep`; a corrupt one is dropped from the index and counted (once),
        and raises CorruptRecord. `large`: its row in state.unchecked, which keeps the answer."""
        start, length = span
        problem = f"record at byte {start - HEADER_BYTES} fails its CRC check"
        if status != CORRUPT:
            reader = open_reader(state.path)
            try:
                intact, kept = check_payload(reader, start, length, keep)
            finally:
                reader.close()
            with self._lock:
                if self._states.get(state.file_id) is not state:
                    raise FileNotFoundError(f"{state.path} was replaced while being read")
                if intact:
                    if large is not None:
                        state.unchecked.status[large] = INTACT
                    return kept
                if large is not None:
                    state.unchecked.status[large] = CORRUPT
                if start not in state.corrupt:  # not found by another request
                    state.corrupt.add(start)
                    state.skipped += 1
                    run = self._runs.get(state.run)
                    if run is not None:
                        run.drop_items(state.file_id, start, start + length)
                        run.skipped_records += 1
                    self._summaries.pop(state.run, None)
                    logger.warning("media_panel: %s: %s", state.path, problem)
        raise CorruptRecord(
            f"{problem} in run {state.run!r}; it is skipped", state.path, start - HEADER_BYTES
        )


def _summarize(run: RunIndex) -> list[TagSummary]:
    found = []
    for tag, series in sorted(run.series.items()):
        summary = series.summary()
        if summary is None:
            continue
        found.append(
            TagSummary(
                run=run.name,
                tag=tag,
                kind=series.first_kind or "image",
                source=series.source,
                step_count=summary.step_count,
                first_step=summary.first_step,
                last_step=summary.last_step,
                max_items=summary.max_items,
                purged=summary.purged,
                description=series.description,
                version=summary.version,
            )
        )
    return found


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
