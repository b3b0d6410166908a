"""The plugin's own reader of event files: scanner, index and item reads (no TensorBoard loaders).

Independent of the media classes: it needs only `records.py` and the item proto.
"""

from tb_media_panel.store.index import (
    DEFAULT_MAX_STEPS,
    CorruptRecord,
    LogdirIndex,
    SeriesWindow,
    TagSummary,
    window,
)
from tb_media_panel.store.items import MediaReader, NotFound, Payload

__all__ = [
    "DEFAULT_MAX_STEPS",
    "CorruptRecord",
    "LogdirIndex",
    "MediaReader",
    "NotFound",
    "Payload",
    "SeriesWindow",
    "TagSummary",
    "window",
]
