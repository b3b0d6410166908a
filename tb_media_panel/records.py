"""The one record format: a serialized `MediaItem` per logged item (see docs/format.md)."""

from __future__ import annotations

from typing import Final

from tb_media_panel.proto import media_pb2

PLUGIN_NAME: Final = "media_panel"
FORMAT_VERSION: Final = 1
KINDS: Final = ("image", "video", "audio", "object3d", "pointcloud", "molecule", "html", "text")
# ScalarLayer.dtype -> its little-endian numpy dtype; float16 is served as float32 (browsers
# have no Float16Array everywhere), exactly.
SCALAR_DTYPES: Final = {
    "float32": "<f4",
    "float16": "<f2",
    "uint8": "u1",
    "uint16": "<u2",
    "int8": "i1",
    "int16": "<i2",
    "int32": "<i4",
    "uint32": "<u4",
}
# Largest scalar layer (pixels) written or read: 8192x8192, 256 MiB as float32.
MAX_SCALAR_PIXELS: Final = 1 << 26

MediaItem = media_pb2.MediaItem


def decode_item(data: bytes) -> media_pb2.MediaItem:
    """Parse one item record; raises ValueError when the bytes are not a valid record."""
    item = media_pb2.MediaItem()
    try:
        item.ParseFromString(data)
    except Exception as exc:  # protobuf raises its own DecodeError, and others on garbage
        raise ValueError(f"not a media_panel item record: {exc}") from exc
    if item.version > FORMAT_VERSION:
        raise ValueError(
            f"item record version {item.version} is newer than this reader ({FORMAT_VERSION}); "
            "upgrade tb-media-panel"
        )
    if item.kind not in KINDS:
        raise ValueError(f"item record has unknown kind {item.kind!r}; expected one of {KINDS}")
    return item
