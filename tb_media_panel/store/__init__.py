"""The plugin's own reader of event files: scanner, index, and the query layer with its typed
results (no TensorBoard loaders, no JSON: http_json.py builds that).

Independent of the media classes: it needs only `records.py` and the item proto.
"""

from tb_media_panel.store.index import (
    DEFAULT_MAX_STEPS,
    CorruptRecord,
    LogdirIndex,
    window,
)
from tb_media_panel.store.items import MediaReader, NotFound, Payload
from tb_media_panel.store.results import (
    BatchResult,
    ItemMeta,
    RunList,
    SeriesAnswer,
    SeriesWindow,
    StepItems,
    TagSummary,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "BatchResult",
    "CorruptRecord",
    "ItemMeta",
    "LogdirIndex",
    "MediaReader",
    "NotFound",
    "Payload",
    "RunList",
    "SeriesAnswer",
    "SeriesWindow",
    "StepItems",
    "TagSummary",
    "window",
]
