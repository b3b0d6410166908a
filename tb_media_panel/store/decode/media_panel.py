"""media_panel: blob sequences of serialized MediaItems (records.py), one per logged item.

MediaItem{kind=2, …, data=31}: the index keeps where each item is, its kind and the lengths
of what comes before its `data` and of `data`; the header is decoded when the item is read.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import KINDS, MAX_SCALAR_PIXELS, SCALAR_DTYPES
from tb_media_panel.store.decode.common import KEY_ROOM, string_spans
from tb_media_panel.store.results import HeatmapMeta
from tb_media_panel.store.series import MediaItems
from tb_media_panel.store.sparse import SparsePayload
from tb_media_panel.store.wire import LENGTH_DELIMITED, VARINT, WireError, read_varint

_KIND_CODES_BY_NAME = {name.encode(): code for code, name in enumerate(KINDS)}


def decode(
    buf: bytearray | bytes, tensor: tuple[int, int], sparse: SparsePayload | None
) -> MediaItems:
    """Every item of a record, walked before any is stored: a bad one skips the record."""
    items = MediaItems([], [], [], [], [])
    for s, e in string_spans(buf, tensor[0], tensor[1], sparse):
        kind, header_length, data_length = item_header(buf, s, e, sparse)
        items.positions.append(s)
        items.lengths.append(e - s)
        items.kinds.append(kind)
        items.header_lengths.append(header_length)
        items.data_lengths.append(data_length)
    return items


def item_header(
    buf: bytearray | bytes, start: int, end: int, sparse: SparsePayload | None = None
) -> tuple[int, int, int]:
    """(kind code, bytes before the `data` field, payload length) of a serialized MediaItem.

    An inlined field walk with one-byte varints read in place: this runs once per logged
    item and dominates index time.
    """
    kind = -1
    header_length = end - start
    data_length = 0
    pos = start
    readable = end if sparse is None else -1  # how far what was asked of `sparse` reaches
    while pos < end:
        if pos + KEY_ROOM > readable and sparse is not None:
            sparse.ensure(pos, pos + KEY_ROOM)
            readable = sparse.hi
        key_start = pos
        key = buf[pos]
        if key < 8:  # field number 0, as the zeros of an unread sparse page also read
            raise WireError("field number 0 in a media item")
        if key < 0x80:
            pos += 1
        elif pos + 1 < end and buf[pos + 1] < 0x80:
            key = (key & 0x7F) | buf[pos + 1] << 7
            pos += 2
        else:
            key, pos = read_varint(buf, pos, end)
        wire_type = key & 7
        if wire_type == LENGTH_DELIMITED:
            if pos + 1 < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            elif pos + 2 < end and buf[pos + 1] < 0x80:  # two bytes: lengths up to 16 KiB
                length = (buf[pos] & 0x7F) | buf[pos + 1] << 7
                pos += 2
            elif pos + 3 < end and buf[pos + 2] < 0x80:  # three bytes: up to 2 MiB, photos
                length = (buf[pos] & 0x7F) | (buf[pos + 1] & 0x7F) << 7 | buf[pos + 2] << 14
                pos += 3
            else:
                length, pos = read_varint(buf, pos, end)
            if pos + length > end:
                raise WireError(f"media item field {key >> 3} runs past its end")
            if key == 0x12:  # field 2, kind
                if pos + length > readable and sparse is not None:
                    sparse.ensure(pos, pos + length)
                kind = _KIND_CODES_BY_NAME.get(bytes(buf[pos : pos + length]), -2)
            elif key == 0xFA:  # field 31 (two-byte key 0xFA 0x01), data
                header_length = key_start - start
                data_length = length
            pos += length
        elif wire_type == VARINT:
            if pos < end and buf[pos] < 0x80:
                pos += 1
            elif pos + 1 < end and buf[pos + 1] < 0x80:  # sizes such as width 256
                pos += 2
            else:
                _, pos = read_varint(buf, pos, end)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type} in a media item")
    if pos != end:
        raise WireError("media item runs past its end")
    if kind < 0:
        raise WireError("media item of unknown kind" if kind == -2 else "media item without kind")
    return kind, header_length, data_length


# ---- scalar layers (heatmaps, mask confidences, scalar images' values) -------------------

# Deflate cannot expand past ~1032:1, so a stream this much shorter than the size its layer
# declares is refused before anything is inflated.
MAX_DEFLATE_RATIO = 1040


def scalar_meta(layer: media_pb2.ScalarLayer, width: int, height: int) -> HeatmapMeta | None:
    """A layer's description (HeatmapMeta of docs/http-api.md); None when it is unusable or
    not of its image's `width` x `height`."""
    if not _scalar_size(layer) or (layer.width, layer.height) != (width, height):
        return None
    return HeatmapMeta(
        name=layer.name,
        width=layer.width,
        height=layer.height,
        dtype="float32" if layer.dtype == "float16" else layer.dtype,  # the served dtype
        vmin=_finite_or_none(layer.vmin) if layer.HasField("vmin") else None,
        vmax=_finite_or_none(layer.vmax) if layer.HasField("vmax") else None,
        colormap=layer.colormap,
        min=layer.min,
        max=layer.max,
        p01=layer.p01,
        p99=layer.p99,
        nan_count=layer.nan_count,
        role=layer.role,
        of=layer.of,
    )


def scalar_values(layer: media_pb2.ScalarLayer) -> bytes:
    """The layer's HxW values as served: little-endian, row-major, float16 widened to float32
    (exactly); ValueError when the layer is malformed."""
    array = scalar_array(layer)
    return (array.astype("<f4") if array.dtype == np.float16 else array).tobytes()


def scalar_array(layer: media_pb2.ScalarLayer) -> np.ndarray:
    """The layer's HxW array in its stored dtype, inflating at most its declared size;
    ValueError when the layer is malformed."""
    size = _scalar_size(layer)
    if not size:
        raise ValueError(
            f"expected a known dtype and 1..{MAX_SCALAR_PIXELS} values, got dtype "
            f"{layer.dtype[:20]!r} and {layer.width}x{layer.height}"
        )
    if size > len(layer.data) * MAX_DEFLATE_RATIO + 64:
        raise ValueError(f"{len(layer.data)} compressed bytes cannot hold the declared {size}")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(layer.data, size)
        if not inflater.eof and len(raw) == size:  # the stream's end and checksum may remain
            extra = inflater.decompress(inflater.unconsumed_tail, 1)
            if extra:
                raise ValueError(f"values hold more than the declared {size} bytes")
    except zlib.error as exc:
        raise ValueError(f"values unreadable: {exc}") from None
    if len(raw) != size or not inflater.eof:
        raise ValueError(f"expected {size} bytes of values, got a stream of another size")
    return np.frombuffer(raw, SCALAR_DTYPES[layer.dtype]).reshape(layer.height, layer.width)


def _scalar_size(layer: media_pb2.ScalarLayer) -> int:
    """Bytes of the stored array, or 0 for an unknown dtype or size out of range."""
    dtype = SCALAR_DTYPES.get(layer.dtype)
    pixels = layer.width * layer.height
    if dtype is None or not 0 < pixels <= MAX_SCALAR_PIXELS:
        return 0
    return pixels * np.dtype(dtype).itemsize


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
