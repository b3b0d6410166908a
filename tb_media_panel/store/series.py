"""Series storage: per-tag step rows and item locations in compact columns (no payload bytes).

What decoders (`store/decode/`) found in a record is appended here as one row (the record's
step, wall time and offset) and its items (where each is inside the record). Per item: its
offset inside the record, length and kind, plus the MediaItem header and payload lengths for
media_panel items (9 bytes in all while offsets and lengths fit in 16 bits, 17 after) or the
format, size hints and caption of a built-in plugin's item. Per row: step, wall time, first
item and record offset (28 bytes); the file of each run of rows from one file once. The rows
are numpy columns, so the steps TensorBoard shows are views of them when they are already in
order (the usual case): no copy per query.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count as counter
from typing import NamedTuple

import numpy as np

from tb_media_panel.records import KINDS
from tb_media_panel.store.wire import varint_size

KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}

# How an item's bytes are laid out in the event record.
LAYOUT_MEDIA_ITEM = 0  # a serialized MediaItem (string_val element); payload is its `data`
LAYOUT_RAW = 1  # the payload itself (legacy image / audio bytes)
LAYOUT_TEXT_TENSOR = 2  # a TensorProto of strings (text plugin)
LAYOUTS = {"media_panel": LAYOUT_MEDIA_ITEM, "text": LAYOUT_TEXT_TENSOR}  # others: raw

# Formats sniffed from legacy payloads; media_panel items carry their own format and MIME.
FORMATS = ("", "png", "jpeg", "gif", "webp", "bmp", "wav", "txt")
FORMAT_CODES = {name: code for code, name in enumerate(FORMATS)}
# Item offsets and lengths are kept in 32 bits, relative to their record: events.py skips
# records this large.
MAX_RECORD_BYTES = 1 << 32
# Series versions: one process-wide sequence, so a series dropped and indexed again never
# repeats a version it had (the panel redraws a tag whose versions changed)
_VERSIONS = counter(1)


class MediaItems(NamedTuple):
    """The MediaItems of one record, as columns (positions in the decoder's buffer)."""

    positions: list[int]
    lengths: list[int]
    kinds: list[int]  # KIND_CODES
    header_lengths: list[int]  # bytes before the `data` field
    data_lengths: list[int]


class Item(NamedTuple):
    """One item a built-in plugin logged (positions in the decoder's buffer)."""

    position: int
    length: int
    kind: str
    format: str = ""
    width: int = 0
    height: int = 0
    caption_position: int = 0  # a legacy audio label, none when caption_length is 0
    caption_length: int = 0


# Which records of a tag TensorBoard shows, by loader (see RunLog).
PURGE_PER_TAG = "per_tag"  # RustBoard, TensorBoard's default: reservoir.rs preemption
PURGE_ON_RESTART = "restart"  # the Python loader (--load_fast=false, s3://…)
PURGE_NONE = "none"  # the Python loader with --purge_orphaned_data=false


@dataclass
class RunLog:
    """What of a run decides which of its records TensorBoard shows.

    RustBoard: within a tag, a record at step s hides the records read before it at steps
    >= s. The Python loader (plugin_event_accumulator): a SessionLog.START after the run's
    first, in a file_version >= 2 file, hides the records read before it at steps >= its
    step, in every tag. Both read a run's files in name order.
    """

    purge: str = PURGE_PER_TAG
    file_order: dict[int, str] = field(default_factory=dict)  # path by file id
    file_version: float = 0.0  # of the latest `file_version` event read
    # SessionLog.STARTs read in file_version >= 2 files: file id, record offset, step
    starts: list[tuple[int, int, int]] = field(default_factory=list)
    generation: int = 0  # changes with `starts`: series' cached tables key on it

    def session_start(self, file_id: int, offset: int, step: int) -> bool:
        """A SessionLog.START read; whether the run now has a restart."""
        if self.file_version < 2:  # the Python loader looks at out-of-order steps instead
            return False
        self.starts.append((file_id, offset, step))
        self.generation += 1
        return len(self.starts) > 1

    def forget_file(self, file_id: int) -> None:
        self.file_order.pop(file_id, None)
        self.starts = [s for s in self.starts if s[0] != file_id]
        self.generation += 1

    def restarts(self) -> np.ndarray:
        """(read-order key, step) of each START after the run's first (the first is none),
        in read order."""
        marks = np.array(self.starts, dtype=np.int64).reshape(-1, 3)
        keys = self.ranks(marks[:, 0]) << 40 | marks[:, 1]  # offsets under 1 TiB
        by_key = np.argsort(keys)[1:]
        return np.stack((keys[by_key], marks[by_key, 2]), axis=1)

    def ranks(self, files: np.ndarray) -> np.ndarray:
        """Rank of each file id in TensorBoard's read order (by name)."""
        by_name = sorted(self.file_order, key=lambda f: (self.file_order[f], f))
        rank = {f: i for i, f in enumerate(by_name)}
        unique, where = np.unique(files, return_inverse=True)
        return np.array([rank.get(int(f), -1) for f in unique], dtype=np.int64)[where]


def read_order(files: np.ndarray, log: RunLog) -> np.ndarray:
    """Row numbers in the order TensorBoard reads the rows' records: by file name, then as
    appended (a file is scanned forward, so that is the order of offsets in it)."""
    if len(np.unique(files)) < 2:
        return np.arange(len(files))
    return np.argsort(log.ranks(files), kind="stable")


def restarted_rows(
    steps: np.ndarray, files: np.ndarray, offsets: np.ndarray, log: RunLog
) -> np.ndarray:
    """Which rows a later restart (RunLog.restarts) hides: read before it, at its step or
    after."""
    marks = log.restarts()
    later_min = np.minimum.accumulate(marks[::-1, 1])[::-1]
    later_min = np.append(later_min, np.iinfo(np.int64).max)
    first_after = np.searchsorted(marks[:, 0], log.ranks(files) << 40 | offsets, side="right")
    return steps >= later_min[first_after]


def shown_rows(steps: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The rows TensorBoard shows, ascending by step: those whose step is below the step of
    every row read after them (`order` is the read order)."""
    ordered = steps[order]
    if not len(ordered):
        return order
    later_min = np.minimum.accumulate(ordered[::-1])[::-1]
    shown = np.ones(len(ordered), dtype=bool)
    shown[:-1] = ordered[:-1] < later_min[1:]
    return order[shown]


def last_rows(steps: np.ndarray, order: np.ndarray) -> np.ndarray:
    """For every distinct step, ascending, the last row read at it."""
    ordered = steps[order]
    by_step = np.argsort(ordered, kind="stable")
    sorted_steps = ordered[by_step]
    last_of_each = np.ones(len(sorted_steps), dtype=bool)
    last_of_each[:-1] = sorted_steps[:-1] != sorted_steps[1:]
    return order[by_step[last_of_each]]


@dataclass(frozen=True)
class ItemLocation:
    """Where one item's bytes are, and what the scan learned about it."""

    file_id: int
    offset: int  # absolute offset of the element (MediaItem, raw payload or TensorProto)
    length: int
    layout: int
    kind: str
    format: str  # sniffed format for legacy items, "" for MediaItems
    header_length: int  # MediaItem: bytes before the `data` field
    data_length: int  # payload bytes
    width: int
    height: int
    caption_offset: int  # legacy audio label, 0 when none
    caption_length: int

    @property
    def data_offset(self) -> int:
        """Absolute offset of the payload bytes."""
        if self.layout != LAYOUT_MEDIA_ITEM:
            return self.offset
        # header, then the `data` key (field 31: two bytes) and its length varint
        return self.offset + self.header_length + 2 + varint_size(self.data_length)


class Summary(NamedTuple):
    """What `tags` says of a series (the steps TensorBoard shows)."""

    step_count: int
    first_step: int
    last_step: int
    max_items: int
    purged: int
    version: int  # changes whenever the series does (a step logged again, a record dropped)


@dataclass(frozen=True)
class StepTable:
    """Distinct logged steps in ascending order, with the row holding each."""

    steps: np.ndarray  # int64
    counts: np.ndarray  # int64, items per step
    wall_times: np.ndarray  # float64


class _Widening:
    """Unsigned ints in 16 bits each until one needs 32: most items' offsets in their record and
    lengths fit in 16, so an index of many small items takes half the room."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values = array("H")

    def append(self, value: int) -> None:
        if value > 0xFFFF and self.values.typecode == "H":
            self.values = array("I", self.values)
        self.values.append(value)

    def extend(self, values: list[int]) -> None:
        if self.values.typecode == "H" and values and max(values) > 0xFFFF:
            self.values = array("I", self.values)
        self.values.extend(values)

    def __getitem__(self, i: int) -> int:
        return self.values[i]

    def __len__(self) -> int:
        return len(self.values)


class _Rows:
    """Growable numpy columns of one value per row; a reader's `view` stays valid (and
    unchanged) while rows are appended, as growing copies into a new buffer."""

    def __init__(self, dtype: str) -> None:
        self.data = np.empty(16, dtype=dtype)

    def view(self, n: int) -> np.ndarray:
        return self.data[:n]

    def put(self, n: int, value: float) -> None:
        if n == len(self.data):
            grown = np.empty(n + (n >> 2) + 16, dtype=self.data.dtype)
            grown[:n] = self.data
            self.data = grown
        self.data[n] = value

    def keep(self, n: int, kept: np.ndarray) -> None:
        self.data = np.concatenate((self.data[:n][kept], np.empty(16, self.data.dtype)))


class Series:
    """The steps and items of one (run, tag) from a single source."""

    def __init__(self, tag: str, source: str, log: RunLog | None = None) -> None:
        self.tag = tag
        self.source = source
        self.layout = LAYOUTS.get(source, LAYOUT_RAW)
        self._log = RunLog() if log is None else log  # the run's
        # one row per logged (step, record); `_rows` of them
        self._rows = 0
        self._steps = _Rows("i8")
        self._wall_times = _Rows("f8")
        self._first_item = _Rows("u4")
        self._record_offset = _Rows("i8")  # absolute offset of the record's payload
        # runs of rows from one file: the first row of each and its file
        self._segment_rows = array("q")
        self._segment_files = array("I")
        # True while rows were appended at rising steps from files in name order: the table
        # TensorBoard shows is then every row, as they are
        self._in_order = True
        # one value per item
        self._offset = _Widening()  # from the record's payload
        self._length = _Widening()
        self._kind = array("B")
        if self.layout == LAYOUT_MEDIA_ITEM:
            self._header_length = _Widening()
            self._data_length = _Widening()
        elif self.layout == LAYOUT_RAW:
            self._format = array("B")
            self._width = array("I")
            self._height = array("I")
            self._caption_offset = array("I")
            self._caption_length = array("I")
        self._tables: dict[tuple[bool, int], tuple[StepTable, np.ndarray]] = {}
        self._max_count = 0  # most items in one row: `summary` of 10,000 runs reads no columns
        self.version = next(_VERSIONS)
        self.first_kind = ""
        self.description = ""  # the first SummaryMetadata.summary_description (markdown)

    def _item_columns(self) -> list[array]:
        """The arrays of every item column (those of `_Widening` ones as they are now)."""
        columns = (
            getattr(self, name, None)
            for name in (
                "_offset",
                "_length",
                "_kind",
                "_header_length",
                "_data_length",
                "_format",
                "_width",
                "_height",
                "_caption_offset",
                "_caption_length",
            )
        )
        return [c.values if isinstance(c, _Widening) else c for c in columns if c is not None]

    def add_media_items(
        self, step: int, wall_time: float, file_id: int, record: int, origin: int, items: MediaItems
    ) -> None:
        """A record's MediaItems; `record` is the absolute offset of its payload, at `origin`
        in the decoder's buffer. One call per column: this runs for every record indexed."""
        count = len(items.positions)
        if count:
            self._offset.extend([p - origin for p in items.positions])
            self._length.extend(items.lengths)
            self._kind.extend(items.kinds)
            self._header_length.extend(items.header_lengths)
            self._data_length.extend(items.data_lengths)
            if not self.first_kind:
                self.first_kind = KINDS[items.kinds[0]]
        self._add_row(step, wall_time, file_id, record, count)

    def add_items(
        self, step: int, wall_time: float, file_id: int, record: int, origin: int, items: Sequence[Item]
    ) -> None:
        """A record's items of a built-in plugin (see `add_media_items`)."""
        for item in items:
            self._offset.append(item.position - origin)
            self._length.append(item.length)
            self._kind.append(KIND_CODES[item.kind])
            if self.layout == LAYOUT_RAW:
                self._format.append(FORMAT_CODES.get(item.format, 0))
                self._width.append(item.width)
                self._height.append(item.height)
                self._caption_offset.append(
                    item.caption_position - origin if item.caption_length else 0
                )
                self._caption_length.append(item.caption_length)
        if items and not self.first_kind:
            self.first_kind = items[0].kind
        self._add_row(step, wall_time, file_id, record, len(items))

    def _add_row(self, step: int, wall_time: float, file_id: int, record: int, count: int) -> None:
        n = self._rows
        if not self._segment_files or self._segment_files[-1] != file_id:
            if self._segment_files and self._name(file_id) < self._name(self._segment_files[-1]):
                self._in_order = False
            self._segment_rows.append(n)
            self._segment_files.append(file_id)
        if n and step <= self._steps.data[n - 1]:
            self._in_order = False
        self._wall_times.put(n, wall_time)
        self._first_item.put(n, len(self._offset) - count)
        self._record_offset.put(n, record)
        self._steps.put(n, step)
        self._rows = n + 1  # last: readers size the table by it
        if count > self._max_count:
            self._max_count = count
        self.version = next(_VERSIONS)
        self._tables.clear()

    def _name(self, file_id: int) -> str:
        return self._log.file_order.get(file_id, "")

    def _row_files(self, n: int) -> np.ndarray:
        starts = np.frombuffer(self._segment_rows, dtype=np.int64) if self._segment_rows else None
        if starts is None:
            return np.zeros(0, dtype=np.int64)
        lengths = np.diff(np.append(starts, n))
        return np.repeat(np.frombuffer(self._segment_files, dtype=np.uint32), lengths)

    def drop_items(self, file_id: int, start: int = 0, stop: int | None = None) -> None:
        """Remove the records of a file (rotated or deleted) at offsets in [start, stop), all
        by default, with their items."""
        n = self._rows
        offsets = self._record_offset.view(n)
        dropped = (self._row_files(n) == file_id) & (offsets >= start)
        if stop is not None:
            dropped &= offsets < stop
        if not dropped.any():
            return
        kept = ~dropped
        firsts = self._first_item.view(n)
        counts = np.diff(np.append(firsts, len(self._offset)))
        kept_items = np.repeat(kept, counts)
        for column in self._item_columns():
            values = np.frombuffer(column, dtype=column.typecode)[kept_items].tobytes()
            del column[:]
            column.frombytes(values)
        files = self._row_files(n)[kept]
        new_firsts = np.cumsum(counts[kept]) - counts[kept]
        for rows in (self._steps, self._wall_times, self._record_offset):
            rows.keep(n, kept)
        self._first_item.keep(n, kept)
        self._first_item.data[: len(new_firsts)] = new_firsts
        self._rows = int(kept.sum())
        del self._segment_rows[:], self._segment_files[:]
        if len(files):
            changes = np.flatnonzero(np.diff(files)) + 1
            self._segment_rows.extend(np.concatenate(([0], changes)).tolist())
            self._segment_files.extend(files[np.concatenate(([0], changes))].tolist())
        steps = self._steps.view(self._rows)
        segment_names = [self._name(f) for f in self._segment_files]
        self._in_order = bool(np.all(np.diff(steps) > 0)) and segment_names == sorted(segment_names)
        self._max_count = int(counts[kept].max()) if self._rows else 0
        self.version = next(_VERSIONS)
        self._tables.clear()

    def __len__(self) -> int:
        return self._rows

    def held_bytes(self) -> int:
        """Bytes of the columns (allocated, so with room to grow), tables cached aside."""
        rows = (self._steps, self._wall_times, self._first_item, self._record_offset)
        arrays = [*self._item_columns(), self._segment_rows, self._segment_files]
        return sum(r.data.nbytes for r in rows) + sum(a.buffer_info()[1] * a.itemsize for a in arrays)

    def purged(self) -> int:
        """Logged records hidden because a later record of the tag went back to their step or
        before (a restarted job): what TensorBoard hides too."""
        if self._in_order and not self._restarts():
            return 0
        return self._rows - len(self.table()[0].steps)

    def summary(self) -> Summary | None:
        """The shown steps' summary, None if there are none. Rows in order (the usual case)
        are all shown: then it is kept as rows are added, not computed from the columns."""
        n = self._rows
        if self._in_order and not self._restarts():
            if not n:
                return None
            steps = self._steps.data
            return Summary(n, int(steps[0]), int(steps[n - 1]), self._max_count, 0, self.version)
        return _table_summary(self, self.version)

    def _counts(self, rows: np.ndarray | None, n: int) -> np.ndarray:
        counts = np.diff(np.append(self._first_item.view(n), len(self._offset)))
        return counts if rows is None else counts[rows]

    def _restarts(self) -> int:
        """0 if no restart of the run may hide rows of this series (RunLog), else a key
        that changes with them."""
        log = self._log
        return log.generation if log.purge == PURGE_ON_RESTART and len(log.starts) > 1 else 0

    def table(self, include_purged: bool = False) -> tuple[StepTable, np.ndarray | None]:
        """Steps ascending and the row answering each (None: row i answers step i). By
        default the steps TensorBoard shows (RunLog); with `include_purged`, every logged
        step. A step logged more than once is answered by its last record."""
        n = self._rows
        restarts = self._restarts()
        if self._in_order and not restarts:  # views of the columns: nothing copied or cached
            steps, walls = self._steps.view(n), self._wall_times.view(n)
            return StepTable(steps, self._counts(None, n), walls), None
        table = self._tables.get((include_purged, restarts))
        if table is None:
            steps = self._steps.view(n)
            files = self._row_files(n)
            order = read_order(files, self._log)
            if include_purged or self._log.purge == PURGE_NONE:
                rows = last_rows(steps, order)
            elif self._log.purge == PURGE_PER_TAG:
                rows = shown_rows(steps, order)
            else:
                offsets = self._record_offset.view(n)
                kept = order[~restarted_rows(steps, files, offsets, self._log)[order]]
                rows = last_rows(steps, kept)
            walls = self._wall_times.view(n)[rows]
            table = (StepTable(steps[rows], self._counts(rows, n), walls), rows)
            self._tables[(include_purged, restarts)] = table
        return table

    def items_at(self, step: int) -> tuple[float, list[ItemLocation]] | None:
        """The items of the last record logged at `step`, shown or purged."""
        n = self._rows
        if self._in_order and not self._restarts():
            steps, rows = self._steps.view(n), None
        else:
            table, rows = self.table(include_purged=True)
            steps = table.steps
        i = int(np.searchsorted(steps, step))
        if i >= len(steps) or steps[i] != step:
            return None
        row = i if rows is None else int(rows[i])
        first = int(self._first_item.data[row])
        stop = int(self._first_item.data[row + 1]) if row + 1 < n else len(self._offset)
        file_id = self._segment_files[bisect_right(self._segment_rows, row) - 1]
        record = int(self._record_offset.data[row])
        return float(self._wall_times.data[row]), [
            self._location(j, file_id, record) for j in range(first, stop)
        ]

    def _location(self, j: int, file_id: int, record: int) -> ItemLocation:
        offset = record + self._offset[j]
        length = self._length[j]
        fmt, width, height, caption_offset, caption_length = "", 0, 0, 0, 0
        header_length, data_length = 0, length
        if self.layout == LAYOUT_MEDIA_ITEM:
            header_length, data_length = self._header_length[j], self._data_length[j]
        elif self.layout == LAYOUT_RAW:
            fmt, width, height = FORMATS[self._format[j]], self._width[j], self._height[j]
            caption_length = self._caption_length[j]
            caption_offset = record + self._caption_offset[j] if caption_length else 0
        else:
            fmt, data_length = "txt", 0
        return ItemLocation(
            file_id=file_id,
            offset=offset,
            length=length,
            layout=self.layout,
            kind=KINDS[self._kind[j]],
            format=fmt,
            header_length=header_length,
            data_length=data_length,
            width=width,
            height=height,
            caption_offset=caption_offset,
            caption_length=caption_length,
        )


@dataclass(frozen=True)
class MeshPart:
    """One logged `_VERTEX`/`_FACE`/`_COLOR` tensor of a mesh summary."""

    file_id: int
    offset: int  # absolute offset of the TensorProto
    length: int
    shape: tuple[int, ...]


@dataclass
class MeshStep:
    wall_time: float
    parts: dict[str, MeshPart]  # "VERTEX" / "FACE" / "COLOR"

    @property
    def batch(self) -> int:
        vertex = self.parts.get("VERTEX")
        return vertex.shape[0] if vertex is not None and vertex.shape else 0


class MeshSeries:
    """The mesh plugin's per-component tensors of one name, combined into items per step.

    Meshes are few and small in number of records, so a dict per step is fine here. A part
    logged at step s purges the steps after s (a restarted job), in the order parts are indexed.
    """

    source = "mesh"

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.steps: dict[int, MeshStep] = {}
        self.purged_steps: dict[int, MeshStep] = {}  # hidden by a later part at a lower step
        self.description = ""
        self.version = next(_VERSIONS)
        self._tables: dict[bool, tuple[StepTable, np.ndarray]] = {}

    @property
    def first_kind(self) -> str:
        for step in self.steps.values():
            return "object3d" if "FACE" in step.parts else "pointcloud"
        return "pointcloud"

    def add_part(self, step: int, wall_time: float, component: str, part: MeshPart) -> None:
        for later in [s for s in self.steps if s > step]:
            self.purged_steps[later] = self.steps.pop(later)
        entry = self.steps.get(step)
        if entry is None or component in entry.parts:  # a re-logged step starts over
            entry = self.steps[step] = MeshStep(wall_time, {})
        self.purged_steps.pop(step, None)
        entry.parts[component] = part
        entry.wall_time = wall_time
        self.version = next(_VERSIONS)
        self._tables.clear()

    def drop_items(self, file_id: int, start: int = 0, stop: int | None = None) -> None:
        for steps in (self.steps, self.purged_steps):
            for step in list(steps):
                parts = steps[step].parts
                dropped = [
                    n
                    for n, p in parts.items()
                    if p.file_id == file_id
                    and start <= p.offset
                    and (stop is None or p.offset < stop)
                ]
                for name in dropped:
                    del parts[name]
                if not parts:
                    del steps[step]
        self.version = next(_VERSIONS)
        self._tables.clear()

    def __len__(self) -> int:
        return len(self.steps)

    def purged(self) -> int:
        return sum(1 for e in self.purged_steps.values() if e.batch > 0)

    def table(self, include_purged: bool = False) -> tuple[StepTable, np.ndarray]:
        table = self._tables.get(include_purged)
        if table is None:
            found = {**self.purged_steps, **self.steps} if include_purged else self.steps
            ordered = sorted(s for s, e in found.items() if e.batch > 0)
            steps = np.array(ordered, dtype=np.int64)
            counts = np.array([found[s].batch for s in ordered], dtype=np.int64)
            walls = np.array([found[s].wall_time for s in ordered], dtype=np.float64)
            table = (StepTable(steps, counts, walls), np.arange(len(ordered)))
            self._tables[include_purged] = table
        return table

    def summary(self) -> Summary | None:
        return _table_summary(self, self.version)

    def step_at(self, step: int) -> MeshStep | None:
        entry = self.steps.get(step) or self.purged_steps.get(step)
        return entry if entry is not None and entry.batch > 0 else None


AnySeries = Series | MeshSeries


def _table_summary(series: AnySeries, version: int) -> Summary | None:
    """The summary computed from the table of shown steps."""
    table, _ = series.table()
    if not len(table.steps):
        return None
    steps = table.steps
    return Summary(
        len(steps), int(steps[0]), int(steps[-1]), int(table.counts.max()), series.purged(), version
    )
