"""Every media kind round-trips through every writer: mp.Writer, torch, tensorboardX and TF."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tb_media_panel as mp
from tb_media_panel.compat import summary_pb2
from tests.conftest import require
from tests.writer_helpers import read_media


def sample_items() -> dict[str, list[mp.media.base.Media]]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
    mask = rng.integers(0, 3, (16, 24), dtype=np.uint8)
    return {
        "image": [
            mp.Image(
                image,
                caption="rgb",
                masks={"prediction": mp.Mask(mask, {0: "bg", 1: "a", 2: "b"})},
                boxes={"prediction": mp.Boxes([{
                    "position": {"min_x": 0.1, "min_y": 0.2, "max_x": 0.5, "max_y": 0.6},
                    "class_id": 1,
                    "scores": {"score": 0.75},
                }])},
            ),
            mp.Image(image[:, :, 0]),
        ],
        "video": [mp.Video(rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8), fps=2)],
        "audio": [mp.Audio(np.sin(np.linspace(0, 100, 1600)).astype(np.float32), sample_rate=16000)],
        "pointcloud": [mp.PointCloud(rng.normal(size=(100, 3)).astype(np.float32),
                                     colors=rng.integers(0, 256, (100, 3), dtype=np.uint8))],
        "object3d": [mp.Object3D(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", format="obj")],
        "molecule": [mp.Molecule("3\nwater\nO 0 0 0\nH 0.76 0.59 0\nH -0.76 0.59 0\n", format="xyz")],
        "html": [mp.Html("<p id=x>hi</p><script>document.getElementById('x').textContent='ok'</script>")],
    }


def expected(items: dict[str, list[mp.media.base.Media]]) -> dict[tuple[str, int], list[bytes]]:
    return {
        (f"media/{kind}", 3): [m.to_record().SerializeToString() for m in ms] for kind, ms in items.items()
    }


def as_bytes(found: dict) -> dict[tuple[str, int], list[bytes]]:
    return {key: [item.SerializeToString() for item in items] for key, items in found.items()}


def test_mp_writer_round_trip(tmp_path: Path) -> None:
    items = sample_items()
    with mp.Writer(str(tmp_path)) as w:
        for kind, media in items.items():
            w.add(f"media/{kind}", media, step=3)
    assert as_bytes(read_media(tmp_path)) == expected(items)


@pytest.mark.parametrize("module", ["torch.utils.tensorboard", "tensorboardX"])
def test_framework_summary_writer_round_trip(tmp_path: Path, module: str) -> None:
    require(module.split(".")[0])
    SummaryWriter = importlib.import_module(module).SummaryWriter

    items = sample_items()
    writer = SummaryWriter(str(tmp_path))
    for kind, media in items.items():
        mp.log(writer, f"media/{kind}", media, step=3)
    writer.close()
    assert as_bytes(read_media(tmp_path)) == expected(items)


def test_tf_summary_write_eager_and_in_tf_function(tmp_path: Path) -> None:
    require("tensorflow")
    # TensorFlow runs in its own process: importing it here would slow every other test.
    script = textwrap.dedent(
        f"""
        import tensorflow as tf
        from tests.test_writers import sample_items
        import tb_media_panel as mp

        items = sample_items()
        writer = tf.summary.create_file_writer({str(tmp_path)!r})
        with writer.as_default():
            for kind, media in items.items():
                if kind != "html":
                    assert bool(mp.summary.write(f"media/{{kind}}", media, step=3))

            @tf.function
            def log_html(step):
                return mp.summary.write("media/html", items["html"], step=step)

            assert bool(log_html(tf.constant(3, dtype=tf.int64)))
        writer.close()
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parent.parent,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert as_bytes(read_media(tmp_path)) == expected(sample_items())


def test_summary_pb_sets_plugin_and_blob_sequence() -> None:
    summary = mp.summary.pb("t", mp.Html("<b>x</b>"))
    value = summary.value[0]
    assert value.metadata.plugin_data.plugin_name == "media_panel"
    assert value.metadata.data_class == summary_pb2.DATA_CLASS_BLOB_SEQUENCE
    assert [d.size for d in value.tensor.tensor_shape.dim] == [1]
    assert value.tensor.string_val[0] == mp.Html("<b>x</b>").to_record().SerializeToString()


def test_list_is_the_index_axis_without_cap(tmp_path: Path) -> None:
    batch = [mp.Html(f"<p>{i}</p>") for i in range(250)]
    with mp.Writer(str(tmp_path)) as w:
        w.add("many", batch, step=0)
    items = read_media(tmp_path)[("many", 0)]
    assert [it.data.decode() for it in items] == [f"<p>{i}</p>" for i in range(250)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w: w.add("", mp.Html("x"), 0), "tag"),
        (lambda w: w.add("t", mp.Html("x"), -1), "step"),
        (lambda w: w.add("t", mp.Html("x"), 1.5), "step"),
        (lambda w: w.add("t", "not media", 0), "media_or_list"),
        (lambda w: w.add("t", [], 0), "media_or_list"),
        (lambda w: w.add("t", [mp.Html("x"), 3], 0), "media_or_list[1]"),
    ],
)
def test_writer_rejects_bad_arguments_and_writes_nothing(tmp_path: Path, call, message: str) -> None:
    with mp.Writer(str(tmp_path)) as w:
        w.add("good", mp.Html("<p>kept</p>"), 1)
        with pytest.raises((TypeError, ValueError), match=message.replace("[", r"\[")):
            call(w)
    assert list(read_media(tmp_path)) == [("good", 1)]


def test_log_rejects_unknown_writer() -> None:
    with pytest.raises(TypeError, match=r"writer: expected an mp\.Writer"):
        mp.log(object(), "t", mp.Html("x"), 0)


@pytest.mark.parametrize("step", [0, 1, 127, 128, 2**40])
@pytest.mark.parametrize("sizes", [[0], [1, 5], [127, 128, 300], [70000], [3] * 200])
def test_hand_encoded_event_matches_protobuf(step: int, sizes: list[int]) -> None:
    from tb_media_panel.compat import event_pb2
    from tb_media_panel.eventfile import summary_event_chunks
    from tb_media_panel.summary import metadata, metadata_bytes, tensor_proto

    blobs = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    value = summary_pb2.Summary.Value(tag="a/tag·é", metadata=metadata(), tensor=tensor_proto(blobs))
    event = event_pb2.Event(wall_time=1234.5, step=step, summary=summary_pb2.Summary(value=[value]))
    chunks = summary_event_chunks(1234.5, step, "a/tag·é", metadata_bytes(), blobs)
    assert b"".join(chunks) == event.SerializeToString()
