"""mp.Reader: every media kind read back as it was logged, by mp.Writer, torch, tensorboardX and
tf.summary; the steps the panel shows; unknown names; damaged records."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.store import CorruptRecord
from tb_media_panel.store.scanner import CHECK_ON_READ_MIN_BYTES
from tests.conftest import require
from tests.test_media_video import assert_colours, colour_frames
from tests.test_s3_logdir import s3_server  # noqa: F401  (a fixture)

RNG = np.random.default_rng(17)
RGB = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)
RGBA = RNG.integers(0, 256, (7, 9, 4), dtype=np.uint8)
GREY = RNG.integers(0, 256, (5, 8), dtype=np.uint8)
CLASS_IDS = RNG.integers(0, 3, (12, 10))
WAVE_SAMPLES = (np.sin(np.arange(1600) / 7.0)[:, None] * [0.5, -0.25]).astype(np.float32)
BOXES = [
    {
        "position": {"min_x": 0.125, "min_y": 0.25, "max_x": 0.5, "max_y": 0.75},
        "domain": "fraction",
        "class_id": 1,
        "scores": {"confidence": 0.875},
        "box_caption": "cat 0.88",
    },
    {
        "position": {"min_x": 0.5, "min_y": 0.0, "max_x": 1.0, "max_y": 0.5},
        "domain": "fraction",
        "class_id": 2,
        "scores": {},
        "box_caption": "",
    },
]


POINTS = RNG.random((50, 3))
POINT_COLORS = RNG.integers(0, 256, (50, 3), dtype=np.uint8)
CLOUD = mp.PointCloud(
    POINTS,
    colors=POINT_COLORS,
    labels=np.arange(50) % 3,
    class_labels={0: "road", 1: "car", 2: "tree"},
    boxes=[mp.Box3D((1, 2, 3), (0.5, 1, 2), label="car", score=0.5, color=(255, 0, 0))],
    vectors=[((0, 0, 0), (1, 1, 1), (0, 255, 0))],
    caption="lidar",
)
LOGGED: dict[str, Any] = {}  # media made from fixture files, by tag


def wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return pcm.reshape(-1, wav.getnchannels())


@pytest.fixture(scope="module")
def mp_logdir(tmp_path_factory: pytest.TempPathFactory, fixture_path) -> Path:
    root = tmp_path_factory.mktemp("mp")
    grey16 = (np.arange(40, dtype=np.uint16).reshape(5, 8) * 1601).astype(np.uint16)
    Image.fromarray(grey16).save(root / "grey16.png")
    with mp.Writer(str(root / "run")) as writer:
        for step in (0, 5, 10):
            writer.add(
                "segmentation",
                [
                    mp.Image(
                        RGB,
                        caption=f"sample {step}",
                        masks={"prediction": mp.Mask(CLASS_IDS, {0: "sky", 1: "cat", 2: "dog"})},
                        boxes={"detections": mp.Boxes(BOXES, {1: "cat", 2: "dog"})},
                    ),
                    mp.Image(RGBA),
                    mp.Image(GREY),
                ],
                step=step,
            )
        writer.add("image/grey16", mp.Image(str(root / "grey16.png")), step=0)
        writer.add("image/jpeg", mp.Image(fixture_path("image_gecko_cc0.jpg")), step=0)
        writer.add(
            "video/frames",
            [mp.Video(colour_frames(6, 16, 24), fps=6, format=f) for f in ("mp4", "webm", "gif")],
            step=1,
        )
        writer.add("video/file", mp.Video(fixture_path("video_flower.mp4"), caption="flower"), step=2)
        writer.add("audio/wave", mp.Audio(WAVE_SAMPLES, sample_rate=8000, caption="tone"), step=3)
        writer.add("audio/file", mp.Audio(fixture_path("audio_jfk_speech_16k.wav")), step=3)
        writer.add("cloud", CLOUD, step=4)
        writer.add("cloud/many_labels", mp.PointCloud(RNG.random((3, 3)), labels=[0, 300, 70000]), step=4)
        writer.add("mesh", mp.Object3D(fixture_path("mesh_bunny_binary_le.ply")), step=6)
        writer.add("mesh/gltf", duck := mp.Object3D(fixture_path("model_duck_embedded.gltf")), step=6)
        LOGGED["mesh/gltf"] = duck
        writer.add("protein", mp.Molecule(fixture_path("protein_1crn.pdb")), step=7)
        writer.add("page", mp.Html("<p>hello <b>world</b></p>", caption="report"), step=8)
    return root


def test_lists_runs_tags_and_steps_of_mp_logs(mp_logdir: Path) -> None:
    reader = mp.Reader(mp_logdir)
    assert reader.runs() == ["run"]
    assert reader.tags("run") == {
        "audio/file": "audio",
        "audio/wave": "audio",
        "cloud": "pointcloud",
        "cloud/many_labels": "pointcloud",
        "image/grey16": "image",
        "image/jpeg": "image",
        "mesh": "object3d",
        "mesh/gltf": "object3d",
        "page": "html",
        "protein": "molecule",
        "segmentation": "image",
        "video/file": "video",
        "video/frames": "video",
    }
    assert reader.steps("run", "segmentation") == [0, 5, 10]
    items = reader.items("run", "segmentation", 5)
    assert [(i.kind, i.step, i.index, i.format, i.mime) for i in items] == [
        ("image", 5, 0, "png", "image/png"),
        ("image", 5, 1, "png", "image/png"),
        ("image", 5, 2, "png", "image/png"),
    ]


def test_images_masks_and_boxes_read_back_as_logged(mp_logdir: Path, fixture_path) -> None:
    reader = mp.Reader(str(mp_logdir))
    rgb, rgba, grey = reader.items("run", "segmentation", 10)
    assert (rgb.caption, rgb.width, rgb.height) == ("sample 10", 10, 12)
    pixels = rgb.to_numpy()
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, RGB)
    assert np.array_equal(rgba.to_numpy(), RGBA)
    assert grey.to_numpy().shape == (5, 8) and np.array_equal(grey.to_numpy(), GREY)
    assert rgb.bytes == mp.Image(RGB).to_record().data  # the PNG exactly as stored

    assert list(rgb.masks) == ["prediction"]
    assert np.array_equal(rgb.masks["prediction"], CLASS_IDS)
    assert rgb.class_labels("prediction") == {0: "sky", 1: "cat", 2: "dog"}
    assert rgb.class_labels("detections") == {1: "cat", 2: "dog"}
    assert rgb.boxes == {"detections": BOXES}  # values chosen exact in float32
    again = mp.Boxes(rgb.boxes["detections"], rgb.class_labels("detections"))
    assert again.to_layer("detections") == mp.Boxes(BOXES, {1: "cat", 2: "dog"}).to_layer("detections")
    assert rgba.masks == {} and rgba.boxes == {}

    (grey16,) = reader.items("run", "image/grey16", 0)
    scalar = grey16.to_numpy()
    assert scalar.dtype == np.uint16  # the stored dtype of a one-channel image
    assert np.array_equal(scalar, np.asarray(Image.open(mp_logdir / "grey16.png")))

    (jpeg,) = reader.items("run", "image/jpeg", 0)
    gecko = fixture_path("image_gecko_cc0.jpg")
    assert (jpeg.format, jpeg.mime) == ("jpeg", "image/jpeg")
    assert jpeg.bytes == gecko.read_bytes()
    assert np.array_equal(jpeg.to_numpy(), np.asarray(Image.open(gecko).convert("RGB")))


def test_png_files_of_every_colour_type_read_back_as_pil_reads_them(tmp_path: Path) -> None:
    """8-bit L, RGB and RGBA go through libspng (fast), the rest through PIL: one array either way."""
    pixels = RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    made = {
        "rgb_interlaced": (Image.fromarray(pixels[:, :, :3]), {"transparency": (1, 2, 3), "interlace": 1}),
        "grey": (Image.fromarray(pixels[:, :, 0]), {}),
        "rgba": (Image.fromarray(pixels), {}),
        "grey_alpha": (Image.fromarray(pixels).convert("LA"), {}),
        "palette": (Image.fromarray(pixels[:, :, :3]).convert("P"), {}),
    }
    with mp.Writer(str(tmp_path / "run")) as writer:
        for name, (image, options) in made.items():
            image.save(tmp_path / f"{name}.png", **options)
            writer.add(name, mp.Image(str(tmp_path / f"{name}.png")), step=0)
    reader = mp.Reader(tmp_path)
    for name in made:
        (item,) = reader.items("run", name, 0)
        with Image.open(tmp_path / f"{name}.png") as expected:
            want = np.asarray(expected.convert("RGB") if expected.mode == "P" else expected)
        got = item.to_numpy()
        assert got.dtype == want.dtype and np.array_equal(got, want), name


def test_videos_read_back_as_frames(mp_logdir: Path, fixture_path) -> None:
    reader = mp.Reader(mp_logdir)
    clips = reader.items("run", "video/frames", 1)
    assert [(c.format, c.fps, c.frames, c.width, c.height) for c in clips] == [
        ("mp4", 6, 6, 24, 16),
        ("webm", 6, 6, 24, 16),
        ("gif", 6, 6, 24, 16),
    ]
    for clip in clips:
        frames = clip.to_numpy()
        assert frames.shape == (6, 16, 24, 3) and frames.dtype == np.uint8
        assert_colours(list(frames))
    assert np.array_equal(clips[2].to_numpy(), colour_frames(6, 16, 24))  # GIF: lossless here

    (flower,) = reader.items("run", "video/file", 2)
    assert flower.bytes == fixture_path("video_flower.mp4").read_bytes()
    assert (flower.caption, flower.mime, flower.width, flower.height) == ("flower", "video/mp4", 960, 540)


def test_audio_reads_back_as_float_samples(mp_logdir: Path, fixture_path) -> None:
    reader = mp.Reader(mp_logdir)
    (tone,) = reader.items("run", "audio/wave", 3)
    assert (tone.sample_rate, tone.channels, tone.caption, tone.mime) == (8000, 2, "tone", "audio/wav")
    assert tone.duration == pytest.approx(0.2)
    samples = tone.to_numpy()
    assert samples.dtype == np.float32 and samples.shape == (1600, 2)
    np.testing.assert_allclose(samples, WAVE_SAMPLES, atol=0.5 / 32767 + 1e-7)

    (speech,) = reader.items("run", "audio/file", 3)
    wav = fixture_path("audio_jfk_speech_16k.wav")
    assert speech.bytes == wav.read_bytes() and speech.sample_rate == 16000
    np.testing.assert_array_equal(speech.to_numpy(), wav_samples(wav) / np.float32(32767))


def test_point_clouds_read_back_with_their_annotations(mp_logdir: Path) -> None:
    reader = mp.Reader(mp_logdir)
    (item,) = reader.items("run", "cloud", 4)
    cloud = item.point_cloud
    assert item.caption == "lidar" and item.bytes == b""
    assert cloud.positions.dtype == np.float32 and cloud.positions.shape == (50, 3)
    assert np.array_equal(cloud.positions, POINTS.astype(np.float32))
    assert np.array_equal(item.to_numpy(), cloud.positions)
    assert cloud.colors is not None and np.array_equal(cloud.colors, POINT_COLORS)
    assert cloud.labels is not None and np.array_equal(cloud.labels, np.arange(50) % 3)
    assert cloud.class_labels == {0: "road", 1: "car", 2: "tree"}
    assert cloud.boxes == [
        {
            "center": [1.0, 2.0, 3.0],
            "size": [0.5, 1.0, 2.0],
            "rotation": [1.0, 0.0, 0.0, 0.0],
            "label": "car",
            "score": 0.5,
            "color": [255, 0, 0],
        }
    ]
    assert cloud.vectors == [{"start": [0.0] * 3, "end": [1.0] * 3, "color": [0, 255, 0]}]

    (wide,) = reader.items("run", "cloud/many_labels", 4)
    labels = wide.point_cloud.labels
    assert labels is not None and labels.dtype == np.uint32
    assert labels.tolist() == [0, 300, 70000] and wide.point_cloud.colors is None


def test_files_read_back_byte_exact(mp_logdir: Path, fixture_path) -> None:
    reader = mp.Reader(mp_logdir)
    (ply,) = reader.items("run", "mesh", 6)
    assert ply.bytes == fixture_path("mesh_bunny_binary_le.ply").read_bytes()
    assert ply.format == "ply"
    (gltf,) = reader.items("run", "mesh/gltf", 6)
    assert gltf.bytes == LOGGED["mesh/gltf"].to_record().data
    (protein,) = reader.items("run", "protein", 7)
    assert protein.text == fixture_path("protein_1crn.pdb").read_text()
    assert protein.format == "pdb" and protein.title
    (page,) = reader.items("run", "page", 8)
    assert (page.text, page.caption, page.kind) == ("<p>hello <b>world</b></p>", "report", "html")
    with pytest.raises(TypeError, match="item of kind 'html' has no array form"):
        page.to_numpy()
    with pytest.raises(TypeError, match="not a point cloud"):
        _ = ply.point_cloud


def test_unknown_run_tag_step_and_layer_raise_key_error(mp_logdir: Path) -> None:
    reader = mp.Reader(mp_logdir)
    with pytest.raises(KeyError, match="unknown run 'nope'"):
        reader.tags("nope")
    with pytest.raises(KeyError, match="unknown run 'nope'"):
        reader.items("nope", "segmentation", 0)
    with pytest.raises(KeyError, match="run 'run' has no media tag 'missing'"):
        reader.steps("run", "missing")
    with pytest.raises(KeyError, match="tag 'segmentation' of run 'run' has no step 6"):
        reader.items("run", "segmentation", 6)
    with pytest.raises(TypeError, match="step: expected an int, got str"):
        reader.items("run", "segmentation", "5")  # type: ignore[arg-type]
    (item, *_) = reader.items("run", "segmentation", 0)
    with pytest.raises(KeyError, match="no mask or box layer 'truth'"):
        item.class_labels("truth")


def test_steps_are_those_the_panel_shows_after_a_restart(tmp_path: Path) -> None:
    run = tmp_path / "job"
    with mp.Writer(str(run), filename_suffix=".1") as writer:
        for step in range(5):
            writer.add("samples", mp.Image(np.full((2, 2), step, np.uint8)), step=step)
    with mp.Writer(str(run), filename_suffix=".2") as writer:  # restarted from step 2
        for step in (2, 3):
            writer.add("samples", mp.Image(np.full((2, 2), 100 + step, np.uint8)), step=step)

    reader = mp.Reader(tmp_path)
    panel = MediaPanelPlugin(TBContext(logdir=str(tmp_path))).get_plugin_apps()
    shown = Client(panel["/series"]).get("/series?tag=samples&run=job").get_json()
    assert reader.steps("job", "samples") == shown["runs"]["job"]["steps"] == [0, 1, 2, 3]
    assert reader.steps("job", "samples", include_purged=True) == [0, 1, 2, 3, 4]
    (second_job,) = reader.items("job", "samples", 3)
    assert second_job.to_numpy()[0, 0] == 103


def test_a_record_damaged_after_indexing_names_its_file_and_offset(tmp_path: Path) -> None:
    run = tmp_path / "run"
    large = RNG.integers(0, 256, (200, 200, 3), dtype=np.uint8)  # a record the scan leaves unchecked
    with mp.Writer(str(run)) as writer:
        writer.add("small", mp.Image(RGB), step=0)
        writer.add("large", mp.Image(large), step=0)
    (event_file,) = run.iterdir()
    data = event_file.read_bytes()
    reader = mp.Reader(tmp_path)
    small_bytes = reader.items("run", "small", 0)[0].bytes
    assert len(data) > CHECK_ON_READ_MIN_BYTES

    damaged = bytearray(data)
    small_at = data.index(small_bytes)
    large_png = mp.Image(large).to_record().data
    large_at = data.index(large_png[-4000:])
    for at in (small_at + 100, large_at + 1000):  # in place: the same size, so not indexed again
        damaged[at] ^= 0xFF
    event_file.write_bytes(bytes(damaged))
    for tag in ("small", "large"):
        with pytest.raises(CorruptRecord, match=rf"{event_file}: record at byte \d+ fails its CRC") as err:
            reader.items("run", tag, 0)[0].bytes  # noqa: B018
        assert err.value.path == str(event_file)
        header = err.value.offset
        length = int.from_bytes(data[header : header + 8], "little")
        assert header < (small_at if tag == "small" else large_at) < header + 12 + length
    with pytest.raises(KeyError, match="no media tag 'large'"):  # dropped from the index: never served
        reader.items("run", "large", 0)


def test_a_large_damaged_record_fails_before_its_bytes(tmp_path: Path) -> None:
    """A record over CHECK_ON_READ_MIN_BYTES is indexed from its header; its first read checks it."""
    large = RNG.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    with mp.Writer(str(tmp_path / "run")) as writer:
        writer.add("large", mp.Image(large), step=0)
    (event_file,) = (tmp_path / "run").iterdir()
    damaged = bytearray(event_file.read_bytes())
    damaged[-200] ^= 0xFF  # in the PNG, before the record's footer
    event_file.write_bytes(bytes(damaged))
    reader = mp.Reader(tmp_path)
    assert reader.steps("run", "large") == [0]
    with pytest.raises(CorruptRecord, match=rf"{event_file}: record at byte \d+ fails its CRC") as err:
        reader.items("run", "large", 0)
    header = err.value.offset
    assert header + 12 + int.from_bytes(damaged[header : header + 8], "little") + 4 == len(damaged)


TORCH_PIXELS = RNG.integers(0, 256, (3, 6, 8), dtype=np.uint8)  # CHW, as add_image takes by default


@pytest.fixture(scope="module")
def framework_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("frameworks")
    torch_tb = require("torch.utils.tensorboard").utils.tensorboard
    with torch_tb.SummaryWriter(str(root / "torch")) as writer:
        writer.add_image("image", TORCH_PIXELS, 1)
        writer.add_audio("audio", WAVE_SAMPLES[:, 0], 2, sample_rate=8000)
        writer.add_video("video", colour_frames(4, 8, 8).transpose(0, 3, 1, 2)[None] / 255.0, 3, fps=4)
        writer.add_mesh(
            "mesh",
            vertices=np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]], np.float32),
            colors=np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]]]),
            faces=np.array([[[0, 1, 2], [0, 2, 3]]]),
            global_step=4,
        )
        writer.add_mesh("points", vertices=np.array([[[1, 2, 3], [4, 5, 6]]], np.float32), global_step=4)
        writer.add_text("note", "hello **world**", 5)

    tbx = require("tensorboardX")
    with tbx.SummaryWriter(str(root / "tbx")) as tbx_writer:
        tbx_writer.add_image("image", TORCH_PIXELS, 1)
        tbx_writer.add_video("video", colour_frames(4, 8, 8).transpose(0, 3, 1, 2)[None], 2, fps=4)
        tbx_writer.add_text("note", "tbx text", 2)

    if importlib.util.find_spec("tensorflow") is None:  # checked without importing it here
        require("tensorflow")
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import tensorflow as tf
        with tf.summary.create_file_writer(sys.argv[1]).as_default():
            images = np.load(sys.argv[2])
            tf.summary.image("images", images, step=7, max_outputs=3)
            tf.summary.audio("audio", np.load(sys.argv[3])[None], 8000, step=7)
            tf.summary.text("text", "tf note", step=7)
            tf.summary.text("table", tf.constant([["a", "b"], ["c", "d"]]), step=8)
        """
    )
    np.save(root / "images.npy", RNG.integers(0, 256, (2, 4, 5, 3), dtype=np.uint8))
    np.save(root / "audio.npy", WAVE_SAMPLES)
    subprocess.run(
        [sys.executable, "-c", script, str(root / "tf"), str(root / "images.npy"), str(root / "audio.npy")],
        check=True,
        capture_output=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    return root


def test_torch_logs_read_back(framework_logdir: Path) -> None:
    reader = mp.Reader(framework_logdir)
    assert reader.tags("torch") == {
        "audio": "audio",
        "image": "image",
        "mesh": "object3d",
        "note": "text",
        "points": "pointcloud",
        "video": "video",
    }
    (image,) = reader.items("torch", "image", 1)
    assert (image.source, image.format, image.width, image.height) == ("images", "png", 8, 6)
    assert np.array_equal(image.to_numpy(), TORCH_PIXELS.transpose(1, 2, 0))

    (audio,) = reader.items("torch", "audio", 2)
    assert (audio.sample_rate, audio.channels, audio.mime) == (8000, 1, "audio/wav")
    np.testing.assert_allclose(audio.to_numpy(), WAVE_SAMPLES[:, :1], atol=1 / 32767)

    (video,) = reader.items("torch", "video", 3)
    assert (video.kind, video.format, video.mime) == ("video", "gif", "image/gif")
    frames = video.to_numpy()
    assert frames.shape == (4, 8, 8, 3)
    assert_colours(list(frames))

    (mesh,) = reader.items("torch", "mesh", 4)
    assert mesh.bytes.startswith(b"ply\nformat binary_little_endian 1.0\nelement vertex 4\n")
    (points,) = reader.items("torch", "points", 4)
    assert points.to_numpy().tolist() == [[1, 2, 3], [4, 5, 6]] and points.point_cloud.colors is None

    (note,) = reader.items("torch", "note", 5)
    assert note.text == "hello **world**"
    assert note.to_numpy() == np.array("hello **world**")


def test_tensorboardx_logs_read_back(framework_logdir: Path) -> None:
    reader = mp.Reader(framework_logdir)
    (image,) = reader.items("tbx", "image", 1)
    assert np.array_equal(image.to_numpy(), TORCH_PIXELS.transpose(1, 2, 0))
    (video,) = reader.items("tbx", "video", 2)
    assert video.format == "gif"
    assert_colours(list(video.to_numpy()))
    (note,) = reader.items("tbx", "note", 2)
    assert note.text == "tbx text"


def test_tf_summary_logs_read_back(framework_logdir: Path) -> None:
    reader = mp.Reader(framework_logdir)
    assert reader.tags("tf") == {"audio": "audio", "images": "image", "table": "text", "text": "text"}
    logged = np.load(framework_logdir / "images.npy")
    images = reader.items("tf", "images", 7)
    assert [(i.index, i.width, i.height) for i in images] == [(0, 5, 4), (1, 5, 4)]
    for item, pixels in zip(images, logged, strict=True):
        assert np.array_equal(item.to_numpy(), pixels)
    (audio,) = reader.items("tf", "audio", 7)
    assert (audio.sample_rate, audio.channels) == (8000, 2)
    np.testing.assert_allclose(audio.to_numpy(), WAVE_SAMPLES, atol=1 / 32767)
    (text,) = reader.items("tf", "text", 7)
    assert text.text == "tf note"
    (table,) = reader.items("tf", "table", 8)
    assert table.to_numpy().tolist() == [["a", "b"], ["c", "d"]]


def test_reads_an_s3_logdir(s3_server: Any) -> None:  # noqa: F811  (the fixture)
    with mp.Writer("s3://bucket/reader/train") as writer:
        writer.add("samples", [mp.Image(RGB, caption="remote"), mp.Image(GREY)], step=3)
    reader = mp.Reader("s3://bucket/reader")
    assert reader.runs() == ["train"]
    first, second = reader.items("train", "samples", 3)
    assert first.caption == "remote" and np.array_equal(first.to_numpy(), RGB)
    assert np.array_equal(second.to_numpy(), GREY)


def test_reads_an_fsspec_logdir() -> None:
    with mp.Writer("memory://reader-test/run") as writer:
        writer.add("samples", mp.Image(RGB, caption="in memory"), step=2)
    reader = mp.Reader("memory://reader-test")
    assert reader.runs() == ["run"] and reader.steps("run", "samples") == [2]
    (item,) = reader.items("run", "samples", 2)
    assert item.caption == "in memory" and np.array_equal(item.to_numpy(), RGB)
