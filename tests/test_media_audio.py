"""mp.Audio: waveforms to 16-bit WAV, audio files kept byte-exact and probed, bad input."""

from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import av
import numpy as np
import pytest

import tb_media_panel as mp
from tests.test_media_image import write_and_read


def wav_samples(blob: bytes) -> tuple[np.ndarray, int, int]:
    """(samples x channels int16, sample rate, sample width in bytes) read by the stdlib."""
    with wave.open(io.BytesIO(blob)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        channels = wav.getnchannels()
        return frames.reshape(-1, channels), wav.getframerate(), wav.getsampwidth()


def encode_with_ffmpeg(source: Path, target: Path, fmt: str, codec: str) -> None:
    """Re-encode a WAV with PyAV's real codecs, to have mp3/ogg/flac files to log."""
    with av.open(str(source)) as inp, av.open(str(target), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=inp.streams.audio[0].sample_rate)
        stream.layout = "mono"
        for frame in inp.decode(audio=0):
            frame.pts = None
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_float_waveform_round_trips_within_int16_quantisation(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    waveform = 0.8 * np.sin(2 * np.pi * 440 * t)
    waveform[:3] = [1.0, -1.0, 0.0]
    (record,) = write_and_read(tmp_path, mp.Audio(waveform, sample_rate=8000, caption="A4"))
    assert (record.kind, record.format, record.mime, record.caption) == (
        "audio",
        "wav",
        "audio/wav",
        "A4",
    )
    assert (record.sample_rate, record.channels, record.duration) == (8000, 1, 1.0)
    samples, rate, width = wav_samples(record.data)
    assert (rate, width, samples.shape) == (8000, 2, (8000, 1))
    np.testing.assert_allclose(samples[:, 0] / 32767, waveform, atol=0.5 / 32767 + 1e-12)
    assert list(samples[:3, 0]) == [32767, -32767, 0]


def test_stereo_int16_is_kept_exactly(tmp_path: Path) -> None:
    samples = np.random.default_rng(3).integers(-32768, 32768, (4410, 2)).astype(np.int16)
    (record,) = write_and_read(tmp_path, mp.Audio(samples, sample_rate=44100))
    assert (record.channels, record.sample_rate) == (2, 44100)
    assert record.duration == pytest.approx(0.1)
    got, _, _ = wav_samples(record.data)
    np.testing.assert_array_equal(got, samples)


def test_torch_waveform_is_accepted(tmp_path: Path) -> None:
    import torch

    waveform = torch.linspace(-1, 1, 1600)
    (record,) = write_and_read(tmp_path, mp.Audio(waveform, sample_rate=16000))
    got, _, _ = wav_samples(record.data)
    np.testing.assert_allclose(got[:, 0] / 32767, waveform.numpy(), atol=0.5 / 32767 + 1e-7)


def test_wav_fixture_is_kept_byte_exact(tmp_path: Path, fixture_path) -> None:
    path = fixture_path("audio_jfk_speech_16k.wav")
    (record,) = write_and_read(tmp_path, mp.Audio(path, caption="ask not"))
    assert record.data == path.read_bytes()
    assert (record.format, record.mime) == ("wav", "audio/wav")
    assert (record.sample_rate, record.channels, record.duration) == (16000, 1, 11.0)


def test_matching_sample_rate_for_a_file_is_accepted(fixture_path) -> None:
    item = mp.Audio(fixture_path("audio_jfk_speech_16k.wav"), sample_rate=16000)
    assert item.to_record().sample_rate == 16000


@pytest.mark.parametrize(
    ("suffix", "fmt", "codec", "mime"),
    [
        (".flac", "flac", "flac", "audio/flac"),
        (".mp3", "mp3", "libmp3lame", "audio/mpeg"),
        (".ogg", "ogg", "libopus", "audio/ogg"),
    ],
)
def test_compressed_files_are_kept_and_probed(
    tmp_path: Path, fixture_path, suffix: str, fmt: str, codec: str, mime: str
) -> None:
    path = tmp_path / f"jfk{suffix}"
    encode_with_ffmpeg(fixture_path("audio_jfk_speech_16k.wav"), path, fmt, codec)
    (record,) = write_and_read(tmp_path / "logs", mp.Audio(path))
    assert record.data == path.read_bytes()
    assert (record.format, record.mime, record.channels) == (fmt, mime, 1)
    # Opus always runs at 48 kHz; the others keep the source's 16 kHz.
    assert record.sample_rate == (48000 if codec == "libopus" else 16000)
    assert record.duration == pytest.approx(11.0, abs=0.1)


def test_float_wav_file_is_probed_by_ffmpeg(tmp_path: Path, fixture_path) -> None:
    path = tmp_path / "float.wav"
    encode_with_ffmpeg(fixture_path("audio_jfk_speech_16k.wav"), path, "wav", "pcm_f32le")
    record = mp.Audio(path).to_record()
    assert (record.sample_rate, record.channels) == (16000, 1)
    assert record.duration == pytest.approx(11.0, abs=0.01)


# --- bad input ------------------------------------------------------------------------------


def test_array_without_sample_rate_is_rejected() -> None:
    with pytest.raises(
        ValueError, match=r"sample_rate: expected the sample rate \(Hz\) of the array, got None"
    ):
        mp.Audio(np.zeros(100))


@pytest.mark.parametrize(
    ("rate", "error"),
    [
        (0, ValueError),
        (-8000, ValueError),
        (16000.0, TypeError),
        ("16k", TypeError),
        (True, TypeError),
    ],
)
def test_bad_sample_rate_is_rejected(rate: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"sample_rate: expected a positive int \(Hz\), got"):
        mp.Audio(np.zeros(100), sample_rate=rate)


def test_sample_rate_contradicting_the_file_is_rejected(fixture_path) -> None:
    with pytest.raises(
        ValueError, match=r"sample_rate: the file .* is 16000 Hz, got sample_rate=44100"
    ):
        mp.Audio(fixture_path("audio_jfk_speech_16k.wav"), sample_rate=44100)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_samples_are_rejected(bad: float) -> None:
    waveform = np.zeros(50)
    waveform[10] = bad
    with pytest.raises(ValueError, match=r"data: expected finite values, got 1 NaN or inf"):
        mp.Audio(waveform, sample_rate=8000)


def test_float_samples_outside_unit_range_are_rejected() -> None:
    with pytest.raises(
        ValueError, match=r"data: expected float samples in \[-1, 1\], got values in \[-1.5, 0\]"
    ):
        mp.Audio(np.array([-1.5, 0.0]), sample_rate=8000)


@pytest.mark.parametrize(
    "shape",
    [(0,), (10, 0), (2, 3, 4), (2, 16000)],
    ids=["empty", "no-channels", "rank3", "channels-first"],
)
def test_wrong_rank_or_channel_count_is_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(
        ValueError, match=r"data: expected a non-empty 1-D array or a \(samples, channels\) array"
    ):
        mp.Audio(np.zeros(shape, np.float32), sample_rate=8000)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_integer_samples_other_than_int16_are_rejected(dtype: type) -> None:
    with pytest.raises(
        TypeError, match=r"data: expected float samples in \[-1, 1\] or int16 samples"
    ):
        mp.Audio(np.zeros(10, dtype), sample_rate=8000)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"data: expected a path to an existing file, got .*nothing.wav"
    ):
        mp.Audio(tmp_path / "nothing.wav")


def test_unknown_extension_is_rejected(tmp_path: Path, fixture_path) -> None:
    path = tmp_path / "speech.aiff"
    shutil.copyfile(fixture_path("audio_jfk_speech_16k.wav"), path)
    with pytest.raises(
        ValueError, match=r"data: expected an audio file .*unknown extension '.aiff'"
    ):
        mp.Audio(path)


@pytest.mark.parametrize(
    ("source", "target", "pattern"),
    [
        (
            "audio_jfk_speech_16k.wav",
            "speech.mp3",
            r"extension '.mp3' \(expected mp3 content\) but its bytes are wav",
        ),
        (
            "video_flower.webm",
            "speech.ogg",
            r"extension '.ogg' .* but its bytes are not a known audio format",
        ),
        (
            "image_gecko_cc0.jpg",
            "speech.wav",
            r"extension '.wav' .* but its bytes are not a known audio format",
        ),
    ],
)
def test_file_whose_bytes_do_not_match_its_extension_is_rejected(
    tmp_path: Path, fixture_path, source: str, target: str, pattern: str
) -> None:
    path = tmp_path / target
    shutil.copyfile(fixture_path(source), path)
    with pytest.raises(ValueError, match=pattern):
        mp.Audio(path)


def test_corrupt_audio_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.flac"
    path.write_bytes(b"fLaC" + b"\x00" * 10)
    with pytest.raises(ValueError, match=r"data: could not read the flac file"):
        mp.Audio(path)


def test_other_data_types_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"data: expected an array or a file path, got bytes"):
        mp.Audio(b"RIFF", sample_rate=8000)
    with pytest.raises(TypeError, match=r"caption: expected a str or None"):
        mp.Audio(np.zeros(4), sample_rate=8000, caption=["x"])
