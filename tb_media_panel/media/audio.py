"""Audio: waveforms encoded as 16-bit PCM WAV, or wav/mp3/ogg/flac files kept as-is."""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np

from tb_media_panel.media.base import (
    Media,
    check_caption,
    check_finite,
    describe,
    is_path,
    read_file,
    to_numpy,
)
from tb_media_panel.proto import media_pb2

# A (channels, samples) array passed where (samples, channels) is expected would otherwise
# become a file of thousands of channels; real recordings have far fewer than this.
_MAX_CHANNELS = 32

_MIMES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac"}
_EXTENSIONS = {
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
    ".flac": "flac",
}


def _sniff(blob: bytes) -> str | None:
    """The audio format of file bytes, from their magic numbers."""
    if blob[:4] == b"RIFF" and blob[8:12] == b"WAVE":
        return "wav"
    if blob[:4] == b"OggS":
        return "ogg"
    if blob[:4] == b"fLaC":
        return "flac"
    if blob[:3] == b"ID3" or (len(blob) > 1 and blob[0] == 0xFF and blob[1] & 0xE0 == 0xE0):
        return "mp3"  # an ID3 tag, or an MPEG audio frame sync
    return None


def _probe(blob: bytes, fmt: str, argument: str) -> tuple[int, int, float]:
    """-> (sample_rate, channels, duration in s); `wave` for PCM WAV, PyAV for the rest."""
    if fmt == "wav":
        try:
            with wave.open(io.BytesIO(blob)) as wav:
                rate, channels = wav.getframerate(), wav.getnchannels()
                return rate, channels, wav.getnframes() / rate
        except (wave.Error, EOFError):
            pass  # e.g. float or A-law WAV, which `wave` does not read: ask FFmpeg
    import av

    try:
        with av.open(io.BytesIO(blob)) as container:
            if not container.streams.audio:
                raise ValueError(f"{argument}: expected a file with an audio stream, found none")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or stream.sample_rate
            channels = stream.codec_context.channels
            if container.duration:
                duration = container.duration / 1e6
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
    except av.FFmpegError as exc:
        raise ValueError(f"{argument}: could not read the {fmt} file: {exc}") from None
    if not rate:
        raise ValueError(f"{argument}: could not find a sample rate in the {fmt} file")
    return rate, channels, duration


def _read_audio_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(
            f"data: expected an audio file ({', '.join(sorted(_EXTENSIONS))}), "
            f"got {str(path)!r} with unknown extension {suffix!r}"
        )
    blob = read_file(path, "data")
    fmt = _EXTENSIONS[suffix]
    found = _sniff(blob)
    if found != fmt:
        raise ValueError(
            f"data: file {str(path)!r} has extension {suffix!r} (expected {fmt} content) "
            f"but its bytes are {found or 'not a known audio format'}"
        )
    return blob, fmt


def to_int16(samples: np.ndarray, argument: str) -> np.ndarray:
    """1-D or (samples, channels) float in [-1, 1] or int16 -> (samples, channels) int16."""
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[0] == 0 or not 1 <= samples.shape[1] <= _MAX_CHANNELS:
        raise ValueError(
            f"{argument}: expected a non-empty 1-D array or a (samples, channels) array with "
            f"1..{_MAX_CHANNELS} channels (transpose a (channels, samples) array with .T), "
            f"got {describe(samples)}"
        )
    if samples.dtype == np.int16:
        return samples
    if samples.dtype.kind != "f":
        raise TypeError(
            f"{argument}: expected float samples in [-1, 1] or int16 samples, "
            f"got {describe(samples)}"
        )
    check_finite(samples, argument)
    low, high = float(samples.min()), float(samples.max())
    if low < -1 or high > 1:
        raise ValueError(
            f"{argument}: expected float samples in [-1, 1], got values in [{low:g}, {high:g}]"
        )
    return np.round(samples.astype(np.float64) * 32767).astype(np.int16)


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """(samples, channels) int16 -> a 16-bit PCM WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(samples.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return out.getvalue()


class Audio(Media):
    """Audio from a waveform (1-D or (samples, channels); float in [-1, 1] or int16; stored as
    16-bit WAV, floats scaled by 32767) or a wav/mp3/ogg/flac file (bytes kept as they are)."""

    kind = "audio"

    def __init__(
        self, data: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        caption_text = check_caption(caption)
        if sample_rate is not None:
            if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
                raise TypeError(
                    f"sample_rate: expected a positive int (Hz), got {describe(sample_rate)}"
                )
            if not 0 < sample_rate <= 0xFFFFFFFF:
                raise ValueError(f"sample_rate: expected a positive int (Hz), got {sample_rate}")
        if is_path(data):
            blob, fmt = _read_audio_file(data)
            rate, channels, duration = _probe(blob, fmt, "data")
            if sample_rate is not None and sample_rate != rate:
                raise ValueError(
                    f"sample_rate: the file {str(data)!r} is {rate} Hz, "
                    f"got sample_rate={sample_rate} (leave it out for files)"
                )
        elif isinstance(data, bytes):
            raise TypeError(
                "data: expected an array or a file path, got bytes (write them to a file)"
            )
        else:
            samples = to_int16(to_numpy(data, "data"), "data")
            if sample_rate is None:
                raise ValueError(
                    "sample_rate: expected the sample rate (Hz) of the array, got None"
                )
            fmt, rate, channels = "wav", int(sample_rate), samples.shape[1]
            blob = encode_wav(samples, rate)
            duration = samples.shape[0] / rate
        record = media_pb2.MediaItem(
            mime=_MIMES[fmt],
            format=fmt,
            caption=caption_text,
            sample_rate=rate,
            channels=channels,
            duration=duration,
            data=blob,
        )
        super().__init__(record)
