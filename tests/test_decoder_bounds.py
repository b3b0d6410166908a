"""A small record never costs unbounded memory or time: every count a decoder acts on is bounded
by the bytes that back it (mesh, images, audio, text), whatever shape the record claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins.mesh import plugin_data_pb2
from tensorboard.util import tensor_util

from tb_media_panel import http_json
from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.store import LogdirIndex, MediaReader

MESH = plugin_data_pb2.MeshPluginData


def plugin_meta(name: str, content: bytes = b"") -> tb_summary_pb2.SummaryMetadata:
    meta = tb_summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = name
    meta.plugin_data.content = content
    return meta


def shaped(dtype: int, shape: tuple[int, ...], **values: Any) -> tensor_pb2.TensorProto:
    """A TensorProto claiming `shape`, whatever its values hold."""
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in shape]
    return tensor_pb2.TensorProto(
        dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims), **values
    )


def mesh_value(part: str, tensor: tensor_pb2.TensorProto, name: str = "m") -> Any:
    content = MESH(name=name, content_type=getattr(MESH, part)).SerializeToString()
    return summary_pb2.Summary.Value(
        tag=f"{name}_{part}", metadata=plugin_meta("mesh", content), tensor=tensor
    )


def write(path: Path, values_per_step: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for step, values in enumerate(values_per_step):
            event = event_pb2.Event(
                wall_time=1.0 + step, step=step, summary=summary_pb2.Summary(value=values)
            )
            f.write(frame_record(event.SerializeToString()))


def indexed(logdir: Path) -> LogdirIndex:
    index = LogdirIndex(str(logdir))
    index.refresh()
    return index


@pytest.mark.parametrize("batch", [10**12, 100_000])
def test_mesh_batch_of_empty_meshes_is_skipped_not_listed(tmp_path: Path, batch: int) -> None:
    empty = shaped(types_pb2.DT_FLOAT, (batch, 0, 3))
    assert len(empty.SerializeToString()) < 20  # the whole record is about 61 bytes
    good = tensor_util.make_tensor_proto(np.arange(24, dtype=np.float32).reshape(2, 4, 3))
    write(
        tmp_path / "run" / "events.out.tfevents.1",
        [[mesh_value("VERTEX", empty, "bomb")], [mesh_value("VERTEX", good, "fine")]],
    )
    index = indexed(tmp_path)
    summaries = {s.tag: s for s in index.tag_summaries(["run"])}
    assert set(summaries) == {"fine"}  # no batch of a trillion items, no loop over it
    assert summaries["fine"].max_items == 2
    assert index.skipped_records("run") == 1
    items = MediaReader(index).items("run", "fine", 1).items
    assert [item.point_cloud.num_points for item in items if item.point_cloud] == [4, 4]


def test_mesh_claiming_more_vertices_than_its_bytes_hold_is_skipped(tmp_path: Path) -> None:
    # TensorProto fills a shape from one repeated value: 12 bytes claiming 3 million floats
    filled = shaped(types_pb2.DT_FLOAT, (1, 10**6, 3), float_val=[1.0])
    write(tmp_path / "run" / "events.out.tfevents.1", [[mesh_value("VERTEX", filled)]])
    index = indexed(tmp_path)
    assert index.tag_summaries(["run"]) == []
    assert index.skipped_records("run") == 1


def test_mesh_items_json_is_bounded_by_the_record(tmp_path: Path) -> None:
    """A mesh step answers with JSON of a size in proportion to its record, read once."""
    vertices = np.zeros((2000, 1, 3), dtype=np.float32)  # 2000 one-point clouds, 24 KB
    write(
        tmp_path / "run" / "events.out.tfevents.1",
        [[mesh_value("VERTEX", tensor_util.make_tensor_proto(vertices))]],
    )
    index = indexed(tmp_path)
    record_bytes = (tmp_path / "run" / "events.out.tfevents.1").stat().st_size
    reads: list[int] = []
    read = index.read

    def counted(file_id: int, offset: int, size: int) -> bytes:
        reads.append(size)
        return read(file_id, offset, size)

    index.read = counted  # type: ignore[method-assign]
    answer = MediaReader(index).items("run", "m", 0)
    assert len(answer.items) == 2000
    assert len(json.dumps(http_json.step_items(answer))) < 1000 * record_bytes
    assert sum(reads) <= 2 * record_bytes  # the tensor is read and decoded once, not per item


def strings(shape: tuple[int, ...], values: list[bytes]) -> tensor_pb2.TensorProto:
    return shaped(types_pb2.DT_STRING, shape, string_val=values)


def png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(out, format="PNG")
    return out.getvalue()


def wav() -> bytes:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8)
    return out.getvalue()


def test_images_audio_and_text_count_what_they_hold_not_what_their_shape_claims(
    tmp_path: Path,
) -> None:
    huge = 10**12
    write(
        tmp_path / "run" / "events.out.tfevents.1",
        [
            [
                summary_pb2.Summary.Value(
                    tag="img",
                    metadata=plugin_meta("images"),
                    tensor=strings((huge,), [b"3", b"2", png()]),
                ),
                summary_pb2.Summary.Value(
                    tag="snd",
                    metadata=plugin_meta("audio"),
                    tensor=strings((huge, 2), [wav(), b"label"]),
                ),
                summary_pb2.Summary.Value(
                    tag="txt",
                    metadata=plugin_meta("text"),
                    tensor=strings((huge, huge), [b"only", b"two"]),
                ),
            ]
        ],
    )
    index = indexed(tmp_path)
    summaries = {s.tag: s.max_items for s in index.tag_summaries(["run"])}
    assert summaries == {"img": 1, "snd": 1, "txt": 1}
    reader = MediaReader(index)
    assert reader.items("run", "snd", 0).items[0].caption == "label"
    text = reader.data("run", "txt", 0, 0)
    assert text.read(0, text.size) == b"only\ntwo"


def test_a_legacy_image_without_encoded_bytes_is_not_listed(tmp_path: Path) -> None:
    """Found by the fuzzer: an image value with no encoded image once gave an item offset
    before its record and broke the scan of the whole file."""
    run = tmp_path / "run"
    run.mkdir()
    events = []
    for step, encoded in ((1, b""), (2, b"\x89PNG\r\n\x1a\n")):
        image = summary_pb2.Summary.Image(height=2, width=3, colorspace=3, encoded_image_string=encoded)
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="pic", image=image)])
        events.append(event_pb2.Event(step=step, wall_time=1.0, summary=summary))
    (run / "events.out.tfevents.1").write_bytes(b"".join(frame_record(e.SerializeToString()) for e in events))
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    summaries = {t.tag: t for t in index.tag_summaries(["run"])}
    assert summaries["pic"].step_count == 1 and summaries["pic"].first_step == 2, summaries
