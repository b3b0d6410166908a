"""Just enough of the protobuf wire format to walk event headers without copying payloads.

Positions are indices into one `bytes` object; a length-delimited field is returned as its
(start, end) span so callers can record file offsets and skip payload bytes untouched.
"""

from __future__ import annotations

import struct

_F64 = struct.Struct("<d")
_F32 = struct.Struct("<f")

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos < end and buf[pos] < 0x80:  # one-byte varints are most keys and lengths
        return buf[pos], pos + 1
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError("varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def varint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def as_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def fields(buf: bytes, pos: int, end: int):
    """Yield (field_number, wire_type, value, key_start) over a message span.

    `value` is an int for varints, the (start, end) span for length-delimited fields, and
    the start position for fixed32/fixed64 (decode with `fixed64_double`/`fixed32_float`).
    """
    while pos < end:
        key_start = pos
        key, pos = read_varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield number, wire_type, value, key_start
        elif wire_type == LENGTH_DELIMITED:
            length, pos = read_varint(buf, pos, end)
            stop = pos + length
            if stop > end:
                raise WireError(f"field {number} runs past the end of the message")
            yield number, wire_type, (pos, stop), key_start
            pos = stop
        elif wire_type == FIXED64:
            if pos + 8 > end:
                raise WireError(f"field {number} runs past the end of the message")
            yield number, wire_type, pos, key_start
            pos += 8
        elif wire_type == FIXED32:
            if pos + 4 > end:
                raise WireError(f"field {number} runs past the end of the message")
            yield number, wire_type, pos, key_start
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type} in field {number}")


def fixed64_double(buf: bytes, pos: int) -> float:
    return float(_F64.unpack_from(buf, pos)[0])


def fixed32_float(buf: bytes, pos: int) -> float:
    return float(_F32.unpack_from(buf, pos)[0])
