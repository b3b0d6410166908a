"""Per-tag step tables and item locations, kept in compact typed arrays (no payload bytes).

An item costs about 40 bytes of index (file, offset, lengths, kind, format, size hints) and a
step about 24, whatever the size of the media, so memory does not grow with logged bytes.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tb_media_panel.records import KINDS
from tb_media_panel.store.wire import varint_size

KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}

# How an item's bytes are laid out in the event record.
LAYOUT_MEDIA_ITEM = 0  # a serialized MediaItem (string_val element); payload is its `data`
LAYOUT_RAW = 1  # the payload itself (legacy image / audio bytes)
LAYOUT_TEXT_TENSOR = 2  # a TensorProto of strings (text plugin)

# Formats sniffed from legacy payloads; media_panel items carry their own format and MIME.
FORMATS = ("", "png", "jpeg", "gif", "webp", "bmp", "wav", "txt")
FORMAT_CODES = {name: code for code, name in enumerate(FORMATS)}
MIME_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "wav": "audio/wav",
    "txt": "text/plain; charset=utf-8",
    "ply": "application/ply",
    "": "application/octet-stream",
}


def sniff_format(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(b"GIF8"):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"BM"):
        return "bmp"
    return ""


# The path of each file of a run by file id: TensorBoard reads a run's files in name order.
FileOrder = Mapping[int, str]


def read_order(files: np.ndarray, offsets: np.ndarray, file_order: FileOrder) -> np.ndarray:
    """Row numbers in the order TensorBoard reads the rows' records: file names, then offsets."""
    unique = np.unique(files)
    if len(unique) < 2:
        return np.argsort(offsets, kind="stable")
    by_name = sorted(range(len(unique)), key=lambda i: (file_order.get(int(unique[i]), ""), i))
    rank = np.empty(len(unique), dtype=np.int64)
    rank[by_name] = np.arange(len(unique))
    return np.lexsort((offsets, rank[np.searchsorted(unique, files)]))


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


@dataclass(frozen=True)
class StepTable:
    """Distinct logged steps in ascending order, with the row holding each."""

    steps: np.ndarray  # int64
    counts: np.ndarray  # int64, items per step
    wall_times: np.ndarray  # float64


class Series:
    """The steps and items of one (run, tag) from a single source."""

    def __init__(self, tag: str, source: str, file_order: FileOrder | None = None) -> None:
        self.tag = tag
        self.source = source
        self._file_order: FileOrder = {} if file_order is None else file_order  # the run's
        # one row per logged (step, record), with where the record is: rows count in the order
        # TensorBoard reads them (file names, then offsets), which may not be the scan's order
        self._steps = array("q")
        self._wall_times = array("d")
        self._first_item = array("Q")
        self._item_count = array("I")
        self._row_file = array("I")
        self._row_offset = array("q")
        # one row per item
        self._file = array("I")
        self._offset = array("q")
        self._length = array("Q")
        self._layout = array("B")
        self._kind = array("B")
        self._format = array("B")
        self._header_length = array("Q")
        self._data_length = array("Q")
        self._width = array("I")
        self._height = array("I")
        self._caption_offset = array("q")
        self._caption_length = array("I")
        self._tables: dict[bool, tuple[StepTable, np.ndarray]] = {}
        self.first_kind = ""

    def add_item(
        self,
        file_id: int,
        offset: int,
        length: int,
        layout: int,
        kind: str,
        fmt: str = "",
        header_length: int = 0,
        data_length: int = 0,
        width: int = 0,
        height: int = 0,
        caption_offset: int = 0,
        caption_length: int = 0,
    ) -> None:
        """Append an item; `add_step` then claims the items appended since the last step."""
        self._file.append(file_id)
        self._offset.append(offset)
        self._length.append(length)
        self._layout.append(layout)
        self._kind.append(KIND_CODES[kind])
        self._format.append(FORMAT_CODES.get(fmt, 0))
        self._header_length.append(header_length)
        self._data_length.append(data_length)
        self._width.append(width)
        self._height.append(height)
        self._caption_offset.append(caption_offset)
        self._caption_length.append(caption_length)
        if not self.first_kind:
            self.first_kind = kind

    def add_media_items(
        self,
        file_id: int,
        offsets: list[int],
        lengths: list[int],
        kinds: list[int],
        header_lengths: list[int],
        data_lengths: list[int],
    ) -> None:
        """Append the MediaItems of one record at once (kinds as codes): one call per
        column instead of one per item, as this runs for every record indexed."""
        count = len(offsets)
        if not count:
            return
        zeros = bytes(count)
        self._file.extend(array("I", (file_id,)) * count)
        self._offset.extend(offsets)
        self._length.extend(lengths)
        self._layout.extend(array("B", (LAYOUT_MEDIA_ITEM,)) * count)
        self._kind.extend(kinds)
        self._format.frombytes(zeros)
        self._header_length.extend(header_lengths)
        self._data_length.extend(data_lengths)
        for column in (self._width, self._height, self._caption_offset, self._caption_length):
            column.extend(array(column.typecode, (0,)) * count)
        if not self.first_kind:
            self.first_kind = KINDS[kinds[0]]

    def pending_items(self) -> int:
        start = self._first_item[-1] + self._item_count[-1] if self._steps else 0
        return len(self._file) - start

    def add_step(self, step: int, wall_time: float, file_id: int, record_offset: int) -> None:
        """Claim the pending items for a record at `step` that starts at `record_offset`."""
        count = self.pending_items()
        self._first_item.append(len(self._file) - count)
        self._item_count.append(count)
        self._wall_times.append(wall_time)
        self._row_file.append(file_id)
        self._row_offset.append(record_offset)
        self._steps.append(step)  # last: readers size the table by this array
        self._tables.clear()

    def _item_columns(self) -> tuple[array, ...]:
        return (
            self._file,
            self._offset,
            self._length,
            self._layout,
            self._kind,
            self._format,
            self._header_length,
            self._data_length,
            self._width,
            self._height,
            self._caption_offset,
            self._caption_length,
        )

    def drop_items(self, file_id: int, start: int = 0, stop: int | None = None) -> None:
        """Remove the items of a file (rotated or deleted) at offsets in [start, stop), all
        by default, and steps left empty by it."""
        offsets = np.array(self._offset, dtype=np.int64)  # copies: the columns shrink below
        dropped = (np.array(self._file, dtype=np.uint32) == file_id) & (offsets >= start)
        if stop is not None:
            dropped &= offsets < stop
        keep_items = ~dropped
        if keep_items.all():
            return
        new_index = np.cumsum(keep_items) - 1
        columns = self._item_columns()
        for column in columns:
            kept = [column[i] for i in np.flatnonzero(keep_items)]
            del column[:]
            column.extend(kept)
        row_columns = self._row_columns()
        old_rows = [list(column) for column in row_columns]
        for column in row_columns:
            del column[:]
        for step, wall, first, count, row_file, row_offset in zip(*old_rows, strict=True):
            kept_rows = np.flatnonzero(keep_items[first : first + count])
            if count and not len(kept_rows):
                continue
            self._first_item.append(int(new_index[first + kept_rows[0]]) if len(kept_rows) else 0)
            self._item_count.append(len(kept_rows))
            self._wall_times.append(wall)
            self._row_file.append(row_file)
            self._row_offset.append(row_offset)
            self._steps.append(step)
        self._tables.clear()

    def _row_columns(self) -> tuple[array, ...]:
        return (
            self._steps,
            self._wall_times,
            self._first_item,
            self._item_count,
            self._row_file,
            self._row_offset,
        )

    def __len__(self) -> int:
        return len(self._steps)

    def purged(self) -> int:
        """Logged records hidden because a later record of the tag went back to their step or
        before (a restarted job): what TensorBoard hides too."""
        return len(self._steps) - len(self.table()[0].steps)

    def table(self, include_purged: bool = False) -> tuple[StepTable, np.ndarray]:
        """Steps ascending and the row answering each. By default the steps TensorBoard 2.21
        shows: a record at step s hides the tag's earlier records at steps >= s (RustBoard's
        preemption, reservoir.rs). With `include_purged`, every logged step, each answered by
        its last record."""
        table = self._tables.get(include_purged)
        if table is None:
            rows_total = len(self._steps)
            steps = np.array(self._steps[:rows_total], dtype=np.int64)
            order = read_order(
                np.array(self._row_file[:rows_total], dtype=np.int64),
                np.array(self._row_offset[:rows_total], dtype=np.int64),
                self._file_order,
            )
            rows = (shown_rows if not include_purged else last_rows)(steps, order)
            counts = np.array(self._item_count[:rows_total], dtype=np.int64)[rows]
            walls = np.array(self._wall_times[:rows_total], dtype=np.float64)[rows]
            table = self._tables[include_purged] = (StepTable(steps[rows], counts, walls), rows)
        return table

    def items_at(self, step: int) -> tuple[float, list[ItemLocation]] | None:
        """The items of the last record logged at `step`, shown or purged."""
        table, rows = self.table(include_purged=True)
        i = int(np.searchsorted(table.steps, step))
        if i >= len(table.steps) or table.steps[i] != step:
            return None
        row = int(rows[i])
        first, count = int(self._first_item[row]), int(self._item_count[row])
        return float(self._wall_times[row]), [
            self._location(j) for j in range(first, first + count)
        ]

    def _location(self, j: int) -> ItemLocation:
        return ItemLocation(
            file_id=self._file[j],
            offset=self._offset[j],
            length=self._length[j],
            layout=self._layout[j],
            kind=KINDS[self._kind[j]],
            format=FORMATS[self._format[j]],
            header_length=self._header_length[j],
            data_length=self._data_length[j],
            width=self._width[j],
            height=self._height[j],
            caption_offset=self._caption_offset[j],
            caption_length=self._caption_length[j],
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

    def step_at(self, step: int) -> MeshStep | None:
        entry = self.steps.get(step) or self.purged_steps.get(step)
        return entry if entry is not None and entry.batch > 0 else None


AnySeries = Series | MeshSeries
