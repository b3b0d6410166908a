"""What several decoders share: TensorProto walks and payload format sniffing.

TensorProto{dtype=1, tensor_shape=2{dim=2{size=1}}, string_val=8}.
"""

from __future__ import annotations

from tb_media_panel.store.sparse import SparsePayload
from tb_media_panel.store.wire import (
    LENGTH_DELIMITED,
    VARINT,
    WireError,
    as_int64,
    fields,
    read_varint,
)

# Bytes read ahead of a field's key in a sparse record: the key, a length or varint, a double.
KEY_ROOM = 24
SNIFF_BYTES = 16


def skip_field(buf: bytes, pos: int, end: int) -> int:
    """The position after the field whose key starts at `pos`, checked as `fields` does."""
    key, pos = read_varint(buf, pos, end)
    number, wire_type = key >> 3, key & 7
    if number == 0:
        raise WireError("field number 0")
    if wire_type == VARINT:
        return read_varint(buf, pos, end)[1]
    if wire_type == LENGTH_DELIMITED:
        length, pos = read_varint(buf, pos, end)
        stop = pos + length
    elif wire_type == 1:
        stop = pos + 8
    elif wire_type == 5:
        stop = pos + 4
    else:
        raise WireError(f"unsupported wire type {wire_type} in field {number}")
    if stop > end:
        raise WireError(f"field {number} runs past the end of the message")
    return stop


def tensor_shape(buf: bytes, tensor: tuple[int, int]) -> tuple[int, ...]:
    dims: list[int] = []
    for number, wire_type, value, _ in fields(buf, tensor[0], tensor[1]):
        if number == 2 and wire_type == LENGTH_DELIMITED:
            for n2, w2, v2, _ in fields(buf, value[0], value[1]):
                if n2 == 2 and w2 == LENGTH_DELIMITED:
                    size = 0
                    for n3, w3, v3, _ in fields(buf, v2[0], v2[1]):
                        if n3 == 1 and w3 == VARINT:
                            size = as_int64(v3)
                    dims.append(size)
    return tuple(dims)


def string_spans(
    buf: bytearray | bytes, pos: int, end: int, sparse: SparsePayload | None = None
) -> list[tuple[int, int]]:
    """Spans of the `string_val` elements (field 8) of a TensorProto; other fields skipped.

    Inlined one-byte varints: this runs once per item, on the index's hot path.
    """
    spans: list[tuple[int, int]] = []
    readable = end if sparse is None else -1  # how far what was asked of `sparse` reaches
    while pos < end:
        if pos + KEY_ROOM > readable and sparse is not None:
            sparse.ensure(pos, pos + KEY_ROOM)
            readable = sparse.hi
        key = buf[pos]
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
            stop = pos + length
            if stop > end:
                raise WireError(f"tensor field {key >> 3} runs past its end")
            if key == 0x42:  # field 8, length-delimited
                spans.append((pos, stop))
            pos = stop
        elif key >> 3 == 0:
            raise WireError("field number 0")
        elif wire_type == VARINT:
            _, pos = read_varint(buf, pos, end)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type} in a tensor")
    if pos != end:
        raise WireError("tensor runs past its end")
    return spans
