"""media_panel: blob sequences of serialized MediaItems (records.py), one per logged item.

MediaItem{kind=2, …, data=31}: the index keeps where each item is, its kind and the lengths
of what comes before its `data` and of `data`; the header is decoded when the item is read.
"""

from __future__ import annotations

from tb_media_panel.records import KINDS
from tb_media_panel.store.decode.common import KEY_ROOM, string_spans
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
