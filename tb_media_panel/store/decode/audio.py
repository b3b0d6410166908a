"""audio: `tf.summary.audio` blob sequences ([k, 2] of encoded audio and label) and the legacy
`Summary.Audio` (encoded_audio_string=4); WAV headers read when an item is described.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tb_media_panel.store.decode.common import SNIFF_BYTES, string_spans, tensor_shape
from tb_media_panel.store.formats import sniff_format
from tb_media_panel.store.series import Item
from tb_media_panel.store.wire import LENGTH_DELIMITED, fields


def decode_blobs(buf: bytes, tensor: tuple[int, int]) -> list[Item]:
    shape = tensor_shape(buf, tensor)
    strings = string_spans(buf, tensor[0], tensor[1])
    paired = len(shape) == 2 and shape[1] == 2
    stride = 2 if paired else 1
    items = []
    for i in range(0, len(strings) - stride + 1, stride):
        s, e = strings[i]
        label = strings[i + 1] if paired else (0, 0)
        fmt = sniff_format(buf[s : s + SNIFF_BYTES])
        items.append(Item(s, e - s, "audio", fmt, 0, 0, label[0], label[1] - label[0]))
    return items


def decode_legacy(buf: bytes, audio: tuple[int, int]) -> list[Item]:
    payload = (0, 0)
    for number, wire_type, value, _ in fields(buf, audio[0], audio[1]):
        if number == 4 and wire_type == LENGTH_DELIMITED:
            payload = value
    s, e = payload
    return [Item(s, e - s, "audio", sniff_format(buf[s : s + SNIFF_BYTES]))]


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    duration: float


def wav_info(head: bytes) -> WavInfo | None:
    """Sample rate, channels and duration from the first bytes of a WAV file."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    sample_rate = channels = byte_rate = 0
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        (chunk_size,) = struct.unpack_from("<I", head, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt " and body + 16 <= len(head):
            _, channels, sample_rate, byte_rate = struct.unpack_from("<HHII", head, body)
        elif chunk_id == b"data":
            duration = chunk_size / byte_rate if byte_rate else 0.0
            return WavInfo(sample_rate, channels, duration)
        pos = body + chunk_size + (chunk_size & 1)
    return WavInfo(sample_rate, channels, 0.0) if sample_rate else None
