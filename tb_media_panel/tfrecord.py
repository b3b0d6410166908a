"""TFRecord framing and its CRC32C: one module for the writer (eventfile.py) and the reader
(store/).

A record is: uint64 length, masked CRC32C of those 8 bytes, the payload, masked CRC32C of the
payload (all little-endian). The `crc32c` package checks in hardware where the CPU can, and
takes any buffer (a span of a read buffer is checked without copying it out).
"""

from __future__ import annotations

import struct

import crc32c

HEADER_BYTES = 12  # uint64 length + masked CRC32C of the length
FOOTER_BYTES = 4  # masked CRC32C of the payload
HEADER = struct.Struct("<QI")
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8

Buffer = bytes | bytearray | memoryview


def crc32c_extend(crc: int, data: Buffer) -> int:
    """The (unmasked) CRC32C of `data`, continuing `crc`."""
    return int(crc32c.crc32c(data, crc))


def mask_crc(crc: int) -> int:
    """TFRecord's masking of a CRC32C."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: Buffer) -> int:
    return mask_crc(crc32c_extend(0, data))


def record_header(length: int) -> bytes:
    """The 12 bytes before a payload of `length` bytes."""
    size = _U64.pack(length)
    return size + _U32.pack(masked_crc32c(size))


def frame_record(payload: bytes) -> bytes:
    """One TFRecord: length, CRC of the length, payload, CRC of the payload."""
    return b"".join((record_header(len(payload)), payload, _U32.pack(masked_crc32c(payload))))
