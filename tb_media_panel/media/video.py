"""Video: frame arrays encoded with PyAV (H.264 mp4, VP9 webm, GIF), or video files kept as-is."""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from tb_media_panel.media.base import Media, check_caption, describe, is_path, read_file, to_numpy
from tb_media_panel.media.image import to_uint8
from tb_media_panel.proto import media_pb2

_MIMES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "gif": "image/gif",
}
_ENCODABLE = ("mp4", "webm", "gif")
# Extension -> (format, container family its bytes must belong to).
_EXTENSIONS = {
    ".mp4": ("mp4", "isobmff"),
    ".m4v": ("mp4", "isobmff"),
    ".mov": ("mov", "isobmff"),
    ".webm": ("webm", "matroska"),
    ".mkv": ("mkv", "matroska"),
    ".gif": ("gif", "gif"),
}


def _container_family(blob: bytes) -> str | None:
    if blob[4:8] == b"ftyp":
        return "isobmff"
    if blob[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if blob[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def probe(blob: bytes, argument: str) -> tuple[int, int, float, int, float]:
    """-> (width, height, fps, frames, duration in s) of the first video stream, read by PyAV."""
    import av

    try:
        with av.open(io.BytesIO(blob)) as container:
            if not container.streams.video:
                raise ValueError(f"{argument}: expected a file with a video stream, found none")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            rate = stream.average_rate or stream.guessed_rate
            frames = stream.frames
            if not frames:  # WebM/Matroska headers carry no frame count: count packets
                frames = sum(1 for p in container.demux(stream) if p.size)
            duration = container.duration / 1e6 if container.duration else 0.0
    except av.FFmpegError as exc:
        raise ValueError(f"{argument}: could not read the video file: {exc}") from None
    fps = float(rate) if rate else (frames / duration if duration else 0.0)
    if not duration and fps:
        duration = frames / fps
    return width, height, fps, frames, duration


def _read_video_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(
            f"data: expected a video file ({', '.join(sorted(_EXTENSIONS))}), "
            f"got {str(path)!r} with unknown extension {suffix!r}"
        )
    blob = read_file(path, "data")
    fmt, family = _EXTENSIONS[suffix]
    found = _container_family(blob)
    if found != family:
        raise ValueError(
            f"data: file {str(path)!r} has extension {suffix!r} (expected {family} content) "
            f"but its bytes are {found or 'not a known video container'}"
        )
    return blob, fmt


def to_thwc(array: np.ndarray, argument: str) -> np.ndarray:
    """TxHxWxC or TxCxHxW (C = 1, 3, 4; a leading batch axis of 1 is dropped) -> TxHxWx3 RGB."""
    if array.ndim == 5 and array.shape[0] == 1:
        array = array[0]  # torch add_video's N x T x C x H x W with N = 1
    if array.ndim == 4 and array.shape[1] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.moveaxis(array, 1, -1)
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"{argument}: expected a TxHxWxC or TxCxHxW array with C = 1, 3 or 4, "
            f"got {describe(array)}"
        )
    if 0 in array.shape:
        raise ValueError(
            f"{argument}: expected at least one non-empty frame, got {describe(array)}"
        )
    if array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    return array[..., :3]  # browsers play no alpha in H.264 or GIF: drop it


def _gif_frames(frames: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """RGB frames -> (palette indices, 256x4 ARGB palette) per frame, one palette for all.

    A shared palette avoids flicker, and FFmpeg's GIF encoder skips regions whose palette
    indices did not change, which is only right when every frame has the same palette.
    """
    from PIL import Image as PILImage

    # Build the palette from at most ~1M pixels spread over the clip.
    step = max(1, len(frames) * frames.shape[1] * frames.shape[2] // 1_000_000)
    sample = frames[::step].reshape(-1, frames.shape[2], 3)
    reference = PILImage.fromarray(sample).quantize(256, method=PILImage.Quantize.FASTOCTREE)
    rgb = np.asarray(reference.getpalette() or [], dtype=np.uint8).reshape(-1, 3)[:256]
    palette = np.zeros((256, 4), dtype=np.uint8)
    palette[:, 0] = 255
    palette[: len(rgb), 1:] = rgb
    return [
        (
            np.asarray(
                PILImage.fromarray(frame).quantize(palette=reference, dither=PILImage.Dither.NONE)
            ),
            palette,
        )
        for frame in frames
    ]


def encode_video(frames: np.ndarray, fps: float, fmt: str) -> tuple[bytes, int, int]:
    """TxHxWx3 uint8 -> (file bytes, width, height) as H.264 mp4, VP9 webm or GIF."""
    height, width = frames.shape[1:3]
    return write_video(_gif_frames(frames) if fmt == "gif" else frames, width, height, fps, fmt)


def write_video(
    frames: Iterable[Any], width: int, height: int, fps: float, fmt: str
) -> tuple[bytes, int, int]:
    """Frames encoded one at a time as they come (HxWx3 uint8 of width x height; GIF: the
    (indices, palette) pairs of `_gif_frames`) -> (file bytes, encoded width, height)."""
    import av

    # yuv420p halves chroma resolution, so H.264 needs even sizes: replicate the last row/col.
    pad_h, pad_w = (height % 2, width % 2) if fmt == "mp4" else (0, 0)
    rate = Fraction(fps).limit_denominator(1001)
    with tempfile.TemporaryDirectory(prefix="tb_media_video_") as tmp:
        # mp4's +faststart rewrites the file to put the index first (playback before the
        # download ends), which needs a real file, not a BytesIO.
        path = os.path.join(tmp, f"video.{fmt}")
        options = {"movflags": "+faststart"} if fmt == "mp4" else {}
        with av.open(path, "w", format=fmt, options=options) as container:
            if fmt == "mp4":
                stream = container.add_stream("libx264", rate=rate)
                stream.pix_fmt = "yuv420p"
                # zerolatency (no lookahead, no B-frames, sliced threads): the same quality
                # and 6 % more bytes than veryfast, 3-4x faster on 2 loaded cores (100 frames
                # of 256x256: 0.25 s against 1.0-1.5 s at a load of 7)
                stream.options = {"preset": "superfast", "tune": "zerolatency", "crf": "20"}
            elif fmt == "webm":
                stream = container.add_stream("libvpx-vp9", rate=rate)
                stream.pix_fmt = "yuv420p"
                stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"}
            else:
                stream = container.add_stream("gif", rate=rate)
                stream.pix_fmt = "pal8"
            stream.width, stream.height = width + pad_w, height + pad_h
            pixel_format = "pal8" if fmt == "gif" else "rgb24"
            for pixels in frames:
                if pad_h or pad_w:
                    pixels = np.pad(pixels, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
                container.mux(
                    stream.encode(av.VideoFrame.from_ndarray(pixels, format=pixel_format))
                )
            container.mux(stream.encode(None))
        return Path(path).read_bytes(), width + pad_w, height + pad_h


class Video(Media):
    """A video from frames (TxHxWxC or TxCxHxW; uint8 or float in [0, 1]) or a video/GIF file.

    Frames are encoded as `format`: "mp4" (H.264, yuv420p; odd sizes padded by one replicated
    row/column, and the record holds the encoded size), "webm" (VP9) or "gif". A file's bytes
    are kept as they are and its fps, frame count and size are read from it (`fps` and `format`
    then do not apply).
    """

    kind = "video"

    def __init__(
        self, data: Any, fps: float = 4, format: str = "mp4", caption: str | None = None
    ) -> None:
        caption_text = check_caption(caption)
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)):
            raise TypeError(f"fps: expected a positive number, got {describe(fps)}")
        if not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"fps: expected a positive number, got {fps}")
        if format not in _ENCODABLE:
            raise ValueError(f"format: expected one of {', '.join(_ENCODABLE)}, got {format!r}")
        if format == "gif" and fps > 50 and not is_path(data):
            # GIF delays are in 1/100 s and browsers slow delays under 2/100 s to 1/10 s.
            raise ValueError(f"fps: expected at most 50 for format='gif', got {fps}")
        if is_path(data):
            blob, fmt = _read_video_file(data)
            width, height, file_fps, frames, duration = probe(blob, "data")
        elif isinstance(data, bytes):
            raise TypeError(
                "data: expected an array or a file path, got bytes (write them to a file)"
            )
        else:
            array = to_thwc(to_numpy(data, "data"), "data")
            pixels = to_uint8(array, False, "data")
            fmt, frames, file_fps = format, len(pixels), float(fps)
            blob, width, height = encode_video(pixels, file_fps, fmt)
            duration = frames / file_fps
        record = media_pb2.MediaItem(
            mime=_MIMES[fmt],
            format=fmt,
            caption=caption_text,
            width=width,
            height=height,
            fps=file_fps,
            frames=frames,
            duration=duration,
            data=blob,
        )
        super().__init__(record)
