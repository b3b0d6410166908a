"""What the query layer answers, as typed values: the runs with the index's progress, tag
summaries, series windows, the items of a step with everything known of each, and batches.

Nothing here knows JSON: the HTTP layer (`tb_media_panel/http_json.py`) alone turns these
into the bodies of docs/http-api.md, and `mp.Reader` hands them to Python callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tb_media_panel.store.decode.text import TextTable
from tb_media_panel.store.series import ItemLocation


@dataclass(frozen=True)
class IndexProgress:
    """How far the latest refresh got through what it listed. `done` once it has indexed
    every complete record there; a refresh that finds nothing new stays done."""

    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    done: bool = False


@dataclass(frozen=True, slots=True)
class RunInfo:
    name: str
    skipped_records: int  # records skipped as corrupt or oversized


@dataclass(frozen=True, slots=True)
class RunList:
    generation: int  # changes whenever the index does; taken before the rest (see runs())
    runs: list[RunInfo]  # sorted by name
    progress: IndexProgress
    warnings: list[str]  # what kept the latest refresh from seeing the logdir


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
    description: str  # the summary description logged with the tag (markdown), or ""
    # Changes whenever the series does, so the panel redraws what is on screen. A token, not
    # content: two indexes of the same bytes hold equal summaries whatever their versions.
    version: int = field(compare=False)


@dataclass(frozen=True)
class SeriesWindow:
    steps: np.ndarray
    counts: np.ndarray
    wall_times: np.ndarray
    total: int


@dataclass(frozen=True, slots=True)
class RunSeries:
    window: SeriesWindow
    purged: int


@dataclass(frozen=True, slots=True)
class SeriesAnswer:
    """The window of one tag in each asked run that has it; `errors` per unknown run."""

    tag: str
    step_min: int | None
    step_max: int | None
    runs: dict[str, RunSeries]
    errors: dict[str, str]


# ---- item descriptions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassLabel:
    id: int
    name: str
    color: str | None  # "#rrggbb" as logged, None when none


@dataclass(frozen=True, slots=True)
class MaskMeta:
    name: str
    width: int
    height: int
    class_labels: tuple[ClassLabel, ...]


@dataclass(frozen=True, slots=True)
class Box:
    min_x: float
    min_y: float
    max_x: float
    max_y: float
    class_id: int
    scores: dict[str, float]
    caption: str


@dataclass(frozen=True, slots=True)
class BoxLayer:
    name: str
    domain: str  # "fraction" or "pixel"
    class_labels: tuple[ClassLabel, ...]
    boxes: tuple[Box, ...]


@dataclass(frozen=True, slots=True)
class CloudBox:
    center: tuple[float, ...]
    size: tuple[float, ...]
    rotation: tuple[float, ...]  # quaternion w x y z
    label: str
    score: float | None
    color: tuple[int, ...] | None  # rgb


@dataclass(frozen=True, slots=True)
class CloudVector:
    start: tuple[float, ...]
    end: tuple[float, ...]
    color: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class PointCloudMeta:
    num_points: int
    label_bytes: int  # width of a class id in `labels`; 0 when there are none
    has_colors: bool
    class_labels: tuple[ClassLabel, ...]
    boxes: tuple[CloudBox, ...]
    vectors: tuple[CloudVector, ...]


@dataclass(frozen=True, slots=True)
class HeatmapMeta:
    """A scalar layer (a heatmap over an image, or a scalar image's own values); `dtype` is the
    served one (see HEATMAP_CONTRACT: float16 is served as float32)."""

    name: str
    width: int
    height: int
    dtype: str
    vmin: float | None
    vmax: float | None
    colormap: str
    min: float
    max: float
    p01: float
    p99: float
    nan_count: int
    role: str
    of: str


@dataclass(frozen=True, slots=True)
class ItemMeta:
    """Everything known of one item without decoding its payload."""

    index: int
    kind: str
    mime: str  # the served type, checked against the payload's first bytes (formats.py)
    format: str
    caption: str
    size: int  # bytes the data route serves
    width: int
    height: int
    fps: float
    frames: int
    sample_rate: int
    channels: int
    duration: float
    title: str
    key: str  # content key of the bytes behind the item (items.content_key)
    masks: tuple[MaskMeta, ...] = ()
    boxes: tuple[BoxLayer, ...] = ()
    point_cloud: PointCloudMeta | None = None
    heatmaps: tuple[HeatmapMeta, ...] = ()
    values: HeatmapMeta | None = None  # a scalar image's own values
    text: TextTable | None = None  # TensorBoard text summaries: the table its dashboard shows
    # The bytes the data route serves, when the read that described the item brought them
    # (a small record is read whole for its CRC check anyway); else where they are in the
    # event file (`location`, a payload stored as is), or None: served as converted (text
    # tables, meshes), read them with `data`.
    payload: bytes | None = field(default=None, repr=False)
    location: ItemLocation | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class StepItems:
    run: str
    tag: str
    step: int
    wall_time: float
    items: list[ItemMeta]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One address of an items batch: its items (`found`), no step at or before it (`found`
    None, no `error`), or what was wrong with it."""

    run: str
    tag: str
    step: int  # the step answered, or the one asked for (beyond int64 when a client rounded)
    found: StepItems | None = None
    inline: dict[int, bytes] = field(default_factory=dict)  # item index -> image bytes
    error: str = ""
