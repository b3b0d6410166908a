"""images: `tf.summary.image` blob sequences ([width, height, encoded image…]) and the legacy
`Summary.Image` that torch's `add_image` and `add_video` (a GIF) write.

Summary.Image{height=1, width=2, colorspace=3, encoded_image_string=4}.
"""

from __future__ import annotations

from tb_media_panel.store.decode.common import KEY_ROOM, SNIFF_BYTES, string_spans
from tb_media_panel.store.formats import sniff_format
from tb_media_panel.store.series import Item
from tb_media_panel.store.sparse import SparsePayload
from tb_media_panel.store.wire import LENGTH_DELIMITED, VARINT, WireError, fields


def _item(buf: bytes, s: int, e: int, width: int, height: int) -> Item:
    fmt = sniff_format(buf[s : s + SNIFF_BYTES])
    return Item(s, e - s, "video" if fmt == "gif" else "image", fmt, width, height)


def decode_blobs(buf: bytes, tensor: tuple[int, int], sparse: SparsePayload | None) -> list[Item]:
    strings = string_spans(buf, tensor[0], tensor[1], sparse)
    if len(strings) < 2:
        raise WireError("images tensor without width and height")
    if sparse is not None:  # the two sizes and the first bytes of each image
        for s, e in strings[:2]:
            sparse.ensure(s, e)
        for s, _ in strings[2:]:
            sparse.ensure(s, s + SNIFF_BYTES)
    width = _ascii_int(buf, strings[0])
    height = _ascii_int(buf, strings[1])
    return [_item(buf, s, e, width, height) for s, e in strings[2:]]


def decode_legacy(buf: bytes, image: tuple[int, int], sparse: SparsePayload | None) -> list[Item]:
    height = width = 0
    payload = (0, 0)
    if sparse is not None:  # height, width, colorspace, then the encoded image: last
        sparse.ensure(image[0], image[0] + KEY_ROOM * 3)
    for number, wire_type, value, _ in fields(buf, image[0], image[1]):
        if number == 1 and wire_type == VARINT:
            height = value
        elif number == 2 and wire_type == VARINT:
            width = value
        elif number == 4 and wire_type == LENGTH_DELIMITED:
            payload = value
    s, e = payload
    if e == 0:  # no encoded image (a damaged or foreign value): nothing to show
        return []
    if sparse is not None:
        sparse.ensure(s, s + SNIFF_BYTES)
    return [_item(buf, s, e, width, height)]


def _ascii_int(buf: bytes, span: tuple[int, int]) -> int:
    text = buf[span[0] : span[1]]
    return int(text) if text.isdigit() and len(text) < 10 else 0
