"""mp.Video: encoding with PyAV, video files kept byte-exact, and every bad input."""

from __future__ import annotations

import io
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import tb_media_panel as mp
from tests.test_media_image import write_and_read

COLOURS = np.array([[220, 30, 30], [30, 220, 30], [30, 30, 220], [220, 220, 30]], dtype=np.uint8)


def colour_frames(count: int, height: int, width: int) -> np.ndarray:
    """Solid frames cycling red, green, blue, yellow: order and channel swaps show in decoding."""
    return np.stack([np.broadcast_to(COLOURS[i % 4], (height, width, 3)) for i in range(count)])


def decode(blob: bytes) -> tuple[list[np.ndarray], Fraction, list[float]]:
    """All frames as RGB arrays, the stream's average rate, and each frame's time in seconds."""
    with av.open(io.BytesIO(blob)) as container:
        stream = container.streams.video[0]
        frames, times = [], []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * frame.time_base))
        return frames, stream.average_rate, times


def assert_colours(frames: list[np.ndarray]) -> None:
    for i, frame in enumerate(frames):
        mean = frame.reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(mean, COLOURS[i % 4], atol=8, err_msg=f"frame {i}")


@pytest.mark.parametrize(
    ("fmt", "mime", "fps"),
    [("mp4", "video/mp4", 7.5), ("webm", "video/webm", 12), ("gif", "image/gif", 10)],
)
def test_frames_encode_to_a_playable_file(tmp_path: Path, fmt: str, mime: str, fps: float) -> None:
    frames = colour_frames(9, 32, 48)
    (record,) = write_and_read(tmp_path, mp.Video(frames, fps=fps, format=fmt, caption="clip"))
    assert (record.kind, record.format, record.mime, record.caption) == ("video", fmt, mime, "clip")
    assert (record.width, record.height, record.frames) == (48, 32, 9)
    assert record.fps == fps
    assert record.duration == pytest.approx(9 / fps)
    decoded, rate, times = decode(record.data)
    assert len(decoded) == 9
    assert rate == Fraction(fps)
    np.testing.assert_allclose(times, np.arange(9) / fps, atol=0.011)  # GIF: 1/100 s ticks
    assert decoded[0].shape == (32, 48, 3)
    assert_colours(decoded)


def test_mp4_is_h264_yuv420p_with_the_index_first(tmp_path: Path) -> None:
    (record,) = write_and_read(tmp_path, mp.Video(colour_frames(3, 16, 16), format="mp4"))
    # +faststart: the moov box precedes mdat, so a browser can play before the download ends.
    assert record.data.index(b"moov") < record.data.index(b"mdat")
    with av.open(io.BytesIO(record.data)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_webm_is_vp9(tmp_path: Path) -> None:
    (record,) = write_and_read(tmp_path, mp.Video(colour_frames(2, 16, 16), format="webm"))
    with av.open(io.BytesIO(record.data)) as container:
        assert container.streams.video[0].codec_context.name == "vp9"


def test_odd_sizes_are_padded_for_mp4_and_the_record_holds_the_encoded_size(tmp_path: Path) -> None:
    frames = colour_frames(4, 15, 21)
    records = write_and_read(tmp_path, [mp.Video(frames, format=f) for f in ("mp4", "webm", "gif")])
    assert [(r.width, r.height) for r in records] == [(22, 16), (21, 15), (21, 15)]
    for record in records:
        decoded, _, _ = decode(record.data)
        assert decoded[0].shape == (record.height, record.width, 3)
        assert_colours(decoded)


def test_channels_first_grey_and_alpha_inputs(tmp_path: Path) -> None:
    rgb = colour_frames(4, 8, 12)
    grey = np.full((3, 8, 12, 1), 200, dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((4, 8, 12, 1), 7, np.uint8)], axis=-1)
    items = [
        mp.Video(np.moveaxis(rgb, -1, 1), format="gif"),  # T x C x H x W
        mp.Video(grey, format="gif"),
        mp.Video(rgba, format="gif"),
    ]
    first, second, third = (decode(r.data)[0] for r in write_and_read(tmp_path, items))
    assert_colours(first)
    assert len(second) == 3 and all((f == 200).all() for f in second)
    assert_colours(third)


def test_float_frames_in_unit_range_are_scaled(tmp_path: Path) -> None:
    frames = colour_frames(4, 8, 8).astype(np.float32) / 255
    (record,) = write_and_read(tmp_path, mp.Video(frames, format="gif"))
    assert_colours(decode(record.data)[0])


def test_torch_tensor_in_add_video_layout(tmp_path: Path) -> None:
    import torch

    # torch's SummaryWriter.add_video takes N x T x C x H x W floats in [0, 1].
    frames = torch.from_numpy(np.moveaxis(colour_frames(5, 16, 16), -1, 1).copy()).float() / 255
    (record,) = write_and_read(tmp_path, mp.Video(frames[None], fps=5, format="mp4"))
    decoded, rate, _ = decode(record.data)
    assert (len(decoded), rate) == (5, 5)
    assert_colours(decoded)


@pytest.mark.parametrize(
    ("name", "fmt", "mime", "size", "frames", "fps", "duration"),
    [
        ("video_flower.mp4", "mp4", "video/mp4", (960, 540), 150, 30000 / 1001, 5.055),
        ("video_flower.webm", "webm", "video/webm", (960, 540), 150, 30000 / 1001, 5.059),
        ("animation_horse_muybridge.gif", "gif", "image/gif", (220, 165), 8, 12.5, 0.64),
    ],
)
def test_video_files_are_kept_byte_exact_and_probed(
    tmp_path: Path,
    fixture_path,
    name: str,
    fmt: str,
    mime: str,
    size: tuple[int, int],
    frames: int,
    fps: float,
    duration: float,
) -> None:
    path = fixture_path(name)
    (record,) = write_and_read(tmp_path, mp.Video(path, caption=name))
    assert record.data == path.read_bytes()
    assert (record.format, record.mime, record.caption) == (fmt, mime, name)
    assert (record.width, record.height) == size
    assert record.frames == frames
    assert record.fps == pytest.approx(fps)
    assert record.duration == pytest.approx(duration, abs=0.01)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8, 2), (2, 8, 8, 5), (2, 2, 8, 8, 3)], ids=str)
def test_wrong_rank_or_channels_is_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(
        ValueError,
        match=r"data: expected a TxHxWxC or TxCxHxW array with C = 1, 3 or 4, got .*"
        + repr(shape).replace("(", r"\(").replace(")", r"\)"),
    ):
        mp.Video(np.zeros(shape, np.uint8))


def test_empty_video_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"data: expected at least one non-empty frame"):
        mp.Video(np.zeros((0, 8, 8, 3), np.uint8))


def test_non_finite_and_out_of_range_frames_are_rejected() -> None:
    frames = np.full((2, 4, 4, 3), 0.5)
    frames[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"data: expected finite values, got 1 NaN"):
        mp.Video(frames)
    with pytest.raises(ValueError, match=r"data: expected float values in \[0, 1\]"):
        mp.Video(np.full((2, 4, 4, 3), 2.0))


@pytest.mark.parametrize("fps", [0, -1, float("nan"), float("inf")])
def test_non_positive_fps_is_rejected(fps: float) -> None:
    with pytest.raises(ValueError, match=r"fps: expected a positive number, got"):
        mp.Video(colour_frames(2, 4, 4), fps=fps)


def test_fps_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"fps: expected a positive number, got str"):
        mp.Video(colour_frames(2, 4, 4), fps="4")


def test_gif_faster_than_browsers_play_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"fps: expected at most 50 for format='gif', got 60"):
        mp.Video(colour_frames(2, 4, 4), fps=60, format="gif")


@pytest.mark.parametrize("fmt", ["avi", "MP4", "mkv", ""])
def test_unknown_format_is_rejected(fmt: str) -> None:
    with pytest.raises(ValueError, match=rf"format: expected one of mp4, webm, gif, got {fmt!r}"):
        mp.Video(colour_frames(2, 4, 4), format=fmt)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"data: expected a path to an existing file, got .*gone.mp4"
    ):
        mp.Video(tmp_path / "gone.mp4")


def test_unknown_extension_is_rejected(tmp_path: Path, fixture_path) -> None:
    path = tmp_path / "clip.avi"
    shutil.copyfile(fixture_path("video_flower.mp4"), path)
    with pytest.raises(ValueError, match=r"data: expected a video file .*unknown extension '.avi'"):
        mp.Video(path)


@pytest.mark.parametrize(
    ("source", "target", "pattern"),
    [
        (
            "video_flower.webm",
            "clip.mp4",
            r"extension '.mp4' \(expected isobmff content\) but its bytes are matroska",
        ),
        (
            "video_flower.mp4",
            "clip.gif",
            r"extension '.gif' \(expected gif content\) but its bytes are isobmff",
        ),
        (
            "image_gecko_cc0.jpg",
            "clip.webm",
            r"extension '.webm' .* but its bytes are not a known video container",
        ),
    ],
)
def test_file_whose_bytes_do_not_match_its_extension_is_rejected(
    tmp_path: Path, fixture_path, source: str, target: str, pattern: str
) -> None:
    path = tmp_path / target
    shutil.copyfile(fixture_path(source), path)
    with pytest.raises(ValueError, match=pattern):
        mp.Video(path)


def test_corrupt_video_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(ValueError, match=r"data: could not read the video file"):
        mp.Video(path)


def test_other_data_types_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"data: expected an array or a file path, got bytes"):
        mp.Video(b"\x00\x00\x00\x18ftyp")
    with pytest.raises(TypeError, match=r"data: expected an array or tensor, got object"):
        mp.Video(object())
    with pytest.raises(TypeError, match=r"caption: expected a str or None, got int"):
        mp.Video(colour_frames(2, 4, 4), caption=1)
