"""Damaged, foreign, oversized, replaced and vanishing event files: the panel keeps serving.

For each kind of damage: every readable step is still listed and readable byte for byte, the
bad part is skipped and counted in the `runs` route's `skipped_records`, it is logged once,
and no request answers 500. The important cases run against a real `tensorboard --logdir`
(both `--load_fast` modes); the rest go through werkzeug's test client on the plugin's apps.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import shutil
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.summary import metadata, tensor_proto

TAG = "samples"


# ---- building files -----------------------------------------------------------------


def pixels(step: int) -> np.ndarray:
    """A picture that says which step it belongs to."""
    image = np.zeros((6, 8, 3), np.uint8)
    image[..., 0] = step % 256
    image[..., 1] = (step * 7) % 256
    image[:, : 1 + step % 8, 2] = 200
    return image


def write_steps(run_dir: Path, steps: range | list[int], tag: str = TAG) -> Path:
    """One event file written by mp.Writer: a file-version record, then one record per step."""
    before = set(run_dir.iterdir()) if run_dir.exists() else set()
    with mp.Writer(str(run_dir)) as writer:
        for step in steps:
            writer.add(tag, mp.Image(pixels(step), caption=f"step {step}"), step=step)
    (path,) = [p for p in run_dir.iterdir() if "tfevents" in p.name and p not in before]
    return path


def record_starts(data: bytes) -> list[int]:
    """Byte offset of every TFRecord of an intact file."""
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        pos += 12 + int.from_bytes(data[pos : pos + 8], "little") + 4
    return starts


def media_record(step: int, blobs: list[bytes], tag: str = TAG) -> bytes:
    value = summary_pb2.Summary.Value(tag=tag, metadata=metadata(), tensor=tensor_proto(blobs))
    event = event_pb2.Event(wall_time=2.0, step=step, summary=summary_pb2.Summary(value=[value]))
    return frame_record(event.SerializeToString())


def legacy_image_record(step: int, png: bytes, tag: str = "legacy") -> bytes:
    image = tb_summary_pb2.Summary.Image(height=6, width=8, colorspace=3, encoded_image_string=png)
    value = tb_summary_pb2.Summary.Value(tag=tag, image=image)
    event = event_pb2.Event(wall_time=3.0, step=step, summary=summary_pb2.Summary(value=[value]))
    return frame_record(event.SerializeToString())


def png_of(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(image).save(out, format="PNG")
    return out.getvalue()


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB"))


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xA5
    path.write_bytes(bytes(data))


def insert_at_record(path: Path, record: int, extra: bytes) -> None:
    data = path.read_bytes()
    at = record_starts(data)[record]
    path.write_bytes(data[:at] + extra + data[at:])


def noise_png_steps(run_dir: Path, steps: range, big_step: int) -> None:
    """Small images, except a ~200 kB noise image at `big_step` (over a 0.05 MiB record limit)."""
    noise = np.random.default_rng(3).integers(0, 255, (256, 256, 3), dtype=np.uint8)
    with mp.Writer(str(run_dir)) as writer:
        for step in steps:
            image = noise if step == big_step else pixels(step)
            writer.add(TAG, mp.Image(image, caption=f"step {step}"), step=step)


# Each damaged run: (builder, steps still readable, records skipped).
Damage = Callable[[Path], None]


def truncated_last_record(run: Path) -> None:
    path = write_steps(run, range(5))
    path.write_bytes(path.read_bytes()[:-9])


def bad_crc_mid_file(run: Path) -> None:
    path = write_steps(run, range(6))
    flip(path, record_starts(path.read_bytes())[3] + 30)  # step 2's payload


def bad_length_mid_file(run: Path) -> None:
    path = write_steps(run, range(6))
    flip(path, record_starts(path.read_bytes())[4] + 1)  # step 3's length field


def zero_length_file(run: Path) -> None:
    write_steps(run, range(3))
    (run / "events.out.tfevents.0000000001.empty").write_bytes(b"")


def non_event_file_named_like_one(run: Path) -> None:
    write_steps(run, range(3))
    (run / "events.out.tfevents.0000000002.notes").write_text(
        json.dumps({"lr": 0.1, "comment": "not an event file"}) * 50
    )


def random_garbage_file(run: Path) -> None:
    write_steps(run, range(3))
    (run / "events.out.tfevents.0000000003.garbage").write_bytes(random.Random(5).randbytes(70_000))


def garbage_between_records(run: Path) -> None:
    path = write_steps(run, range(5))
    insert_at_record(path, 3, random.Random(6).randbytes(3000))  # before step 2's record


def malformed_media_records(run: Path) -> None:
    path = write_steps(run, range(5))
    with open(path, "ab") as f:
        f.write(media_record(10, [b"\xff\xff\xff garbage"]))  # not a protobuf message
        f.write(media_record(11, [b"\x08\x01\x12\x05bogus"]))  # a kind nobody knows
        f.write(media_record(12, [b"\x08\x01\x12\x05image\xfa\x01\x20abc"]))  # data cut short
        f.write(media_record(13, [b""]))  # empty item record, no kind


def oversized_record(run: Path) -> None:
    noise_png_steps(run, range(5), big_step=2)


DAMAGES: dict[str, tuple[Damage, list[int], int]] = {
    "truncated": (truncated_last_record, [0, 1, 2, 3], 0),
    "bad_crc": (bad_crc_mid_file, [0, 1, 3, 4, 5], 1),
    "bad_length": (bad_length_mid_file, [0, 1, 2, 4, 5], 1),
    "zero_length": (zero_length_file, [0, 1, 2], 0),
    "not_events": (non_event_file_named_like_one, [0, 1, 2], 0),
    "garbage_file": (random_garbage_file, [0, 1, 2], 0),
    "garbage_inside": (garbage_between_records, [0, 1, 2, 3, 4], 1),
    "malformed_item": (malformed_media_records, [0, 1, 2, 3, 4], 4),
    "oversized": (oversized_record, [0, 1, 3, 4], 1),
}
MAX_RECORD_MB = 0.05


def build_damaged_logdir(root: Path) -> Path:
    for name, (damage, _, _) in DAMAGES.items():
        damage(root / name)
    write_steps(root / "healthy", range(4))
    return root


# ---- reading it back, the same way over HTTP or the test client ----------------------

Get = Callable[[str], tuple[int, bytes]]


def get_json(get: Get, route: str) -> Any:
    status, body = get(route)
    assert status == 200, (route, status, body[:300])
    return json.loads(body)


def check_everything_readable(get: Get) -> None:
    runs = {r["name"]: r["skipped_records"] for r in get_json(get, "runs")["runs"]}
    expected = {name: skipped for name, (_, _, skipped) in DAMAGES.items()}
    assert runs == {**expected, "healthy": 0}
    for name, (_, steps, _) in {**DAMAGES, "healthy": (write_steps, [0, 1, 2, 3], 0)}.items():
        series = get_json(get, f"series?tag={TAG}&run={name}")
        assert series["runs"][name]["steps"] == steps, name
        for step in steps:
            items = get_json(get, f"items?run={name}&tag={TAG}&step={step}")["items"]
            assert [i["caption"] for i in items] == [f"step {step}"], (name, step)
            status, png = get(f"data?run={name}&tag={TAG}&step={step}&index=0")
            assert status == 200, (name, step, png[:200])
            assert (decoded(png) == pixels(step)).all(), (name, step)


def client_get(plugin: MediaPanelPlugin) -> Get:
    apps = plugin.get_plugin_apps()

    def get(route: str) -> tuple[int, bytes]:
        response = Client(apps["/" + route.split("?")[0]]).get("/" + route)
        return response.status_code, response.get_data()

    return get


def plugin_for(logdir: Path, max_record_mb: float = MAX_RECORD_MB) -> MediaPanelPlugin:
    return MediaPanelPlugin(
        TBContext(logdir=str(logdir)), max_record_bytes=int(max_record_mb * (1 << 20))
    )


# ---- real tensorboard ---------------------------------------------------------------


@pytest.fixture(scope="module")
def damaged_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_damaged_logdir(tmp_path_factory.mktemp("damaged"))


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_damaged_logdir_through_tensorboard(
    damaged_logdir: Path, tensorboard_factory: Any, load_fast: str
) -> None:
    server = tensorboard_factory(
        damaged_logdir, f"--load_fast={load_fast}", f"--media_panel_max_record_mb={MAX_RECORD_MB}"
    )

    def get(route: str) -> tuple[int, bytes]:
        status, _, body = server.get(route)
        return status, body

    check_everything_readable(get)
    for _ in range(3):  # refreshes, on request and in the background, do not count again
        get_json(get, "reload")
    time.sleep(2.5)
    check_everything_readable(get)
    # TensorBoard itself is still up beside the plugin
    with urllib.request.urlopen(server.url + "/data/runs", timeout=30) as response:
        assert sorted(json.loads(response.read())) == sorted([*DAMAGES, "healthy"])
    log = server.log_text()
    assert "Traceback" not in log
    assert log.count("fails its CRC check") == 1
    assert log.count("over the limit of") == 1
    assert log.count("corrupt record header") == 2  # bad_length and garbage_inside


def test_large_corrupt_record_is_never_served_through_tensorboard(
    tmp_path: Path, tensorboard_factory: Any
) -> None:
    """A large record's payload CRC is checked when its bytes are first read, not when it
    is indexed: the panel's first look at it reports the bad CRC in that cell, then the step
    is gone and counted, and the good steps around it are untouched."""
    noise = np.random.default_rng(4).integers(0, 255, (2, 160, 160, 3), dtype=np.uint8)
    with mp.Writer(str(tmp_path / "big")) as writer:
        for step in range(5):
            writer.add(TAG, mp.Image(noise[step % 2], caption=f"step {step}"), step=step)
    (path,) = (tmp_path / "big").iterdir()
    start = record_starts(path.read_bytes())[3]  # step 2, after the file-version record
    assert int.from_bytes(path.read_bytes()[start : start + 8], "little") >= 64 << 10
    flip(path, start + 40_000)  # inside the PNG: the record still parses
    server = tensorboard_factory(tmp_path, "--load_fast=false")
    assert server.get_json(f"series?tag={TAG}&run=big")["runs"]["big"]["steps"] == [0, 1, 2, 3, 4]

    query = "&".join(f"run=big&tag={TAG}&step={step}" for step in range(5))
    results = server.get_json(f"items_batch?{query}")["results"]
    assert [r.get("error", "")[:40] for r in results] == [""] * 2 + [
        f"record at byte {start} fails its CRC check"[:40]
    ] + [""] * 2
    assert [r["items"][0]["caption"] for i, r in enumerate(results) if i != 2] == [
        f"step {s}" for s in (0, 1, 3, 4)
    ]
    assert server.get_json(f"series?tag={TAG}&run=big")["runs"]["big"]["steps"] == [0, 1, 3, 4]
    assert server.get_json("runs")["runs"] == [{"name": "big", "skipped_records": 1}]
    status, _, body = server.get(f"data?run=big&tag={TAG}&step=2&index=0")
    assert status == 404, body
    status, _, png = server.get(f"data?run=big&tag={TAG}&step=3&index=0")
    assert status == 200 and (decoded(png) == noise[1]).all()
    log = server.log_text()
    assert log.count("fails its CRC check") == 1 and "Traceback" not in log


# ---- the test client: the same logdir, logging, and the damage cases one by one ----


def test_damaged_logdir_through_the_routes_logs_each_problem_once(
    damaged_logdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tb_media_panel")
    plugin = plugin_for(damaged_logdir)
    get = client_get(plugin)
    try:
        check_everything_readable(get)
        for _ in range(3):
            get_json(get, "reload")
        check_everything_readable(get)
    finally:
        plugin.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == len(set(warnings)), warnings
    for name, (_, _, skipped) in DAMAGES.items():
        mentioning = [w for w in warnings if f"/{name}/" in w]
        assert len(mentioning) >= skipped, (name, warnings)
    assert not any("could not read" in w for w in warnings), warnings


def test_corrupt_tail_counted_once_then_records_written_after_it_appear(tmp_path: Path) -> None:
    path = write_steps(tmp_path / "run", range(3))
    with open(path, "ab") as f:
        f.write(random.Random(1).randbytes(500))
    plugin = plugin_for(tmp_path)
    get = client_get(plugin)
    try:
        assert get_json(get, "runs")["runs"] == [{"name": "run", "skipped_records": 1}]
        get_json(get, "reload")
        assert get_json(get, "runs")["runs"] == [{"name": "run", "skipped_records": 1}]
        with open(path, "ab") as f:
            f.write(media_record(7, [mp_item_bytes(7)]))
        assert get_json(get, "reload")["runs"] == [{"name": "run", "skipped_records": 1}]
        assert get_json(get, f"series?tag={TAG}")["runs"]["run"]["steps"] == [0, 1, 2, 7]
        assert get(f"data?run=run&tag={TAG}&step=7&index=0")[1] == png_of(pixels(7))
    finally:
        plugin.stop()


def mp_item_bytes(step: int) -> bytes:
    from tb_media_panel.proto import media_pb2

    return media_pb2.MediaItem(
        version=1, kind="image", mime="image/png", format="png", caption=f"step {step}",
        width=8, height=6, data=png_of(pixels(step)),
    ).SerializeToString()


def test_malformed_legacy_records_are_skipped_and_the_rest_of_the_file_read(tmp_path: Path) -> None:
    """Records of TensorBoard's own plugins whose contents are broken: each skipped and counted."""
    bad_mesh = tb_summary_pb2.SummaryMetadata()
    bad_mesh.plugin_data.plugin_name = "mesh"
    bad_mesh.plugin_data.content = b"\xff\xff\xff\xff"  # not a MeshPluginData
    images_meta = tb_summary_pb2.SummaryMetadata()
    images_meta.plugin_data.plugin_name = "images"
    records = [
        frame_record(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()),
        legacy_image_record(0, png_of(pixels(0))),
        frame_record(
            event_pb2.Event(
                step=1,
                summary=summary_pb2.Summary(
                    value=[
                        tb_summary_pb2.Summary.Value(
                            tag="cloud_VERTEX", metadata=bad_mesh, tensor=tensor_proto([b"x"])
                        )
                    ]
                ),
            ).SerializeToString()
        ),
        frame_record(
            event_pb2.Event(
                step=2,
                summary=summary_pb2.Summary(
                    value=[
                        tb_summary_pb2.Summary.Value(
                            tag="blobs", metadata=images_meta, tensor=tensor_proto([b"8"])
                        )
                    ]
                ),
            ).SerializeToString()
        ),
        legacy_image_record(3, png_of(pixels(3))),
    ]
    run = tmp_path / "torch_run"
    run.mkdir()
    (run / "events.out.tfevents.1.host").write_bytes(b"".join(records))
    plugin = plugin_for(tmp_path)
    get = client_get(plugin)
    try:
        assert get_json(get, "runs")["runs"] == [{"name": "torch_run", "skipped_records": 2}]
        assert get_json(get, "series?tag=legacy")["runs"]["torch_run"]["steps"] == [0, 3]
        assert get("data?run=torch_run&tag=legacy&step=3&index=0")[1] == png_of(pixels(3))
    finally:
        plugin.stop()


def test_non_finite_numbers_in_an_item_record_still_answer_json(tmp_path: Path) -> None:
    from tb_media_panel.proto import media_pb2

    item = media_pb2.MediaItem(
        version=1, kind="video", mime="video/mp4", format="mp4", fps=float("nan"),
        duration=float("inf"), data=b"\x00\x00\x00\x18ftypmp42",
    )
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.out.tfevents.1.host").write_bytes(
        media_record(4, [item.SerializeToString()], tag="clips")
    )
    plugin = plugin_for(tmp_path)
    get = client_get(plugin)
    try:
        status, body = get("items?run=run&tag=clips&step=4")
        assert status == 200, body
        (meta,) = json.loads(body)["items"]
        assert meta["kind"] == "video" and meta["fps"] == 0 and meta["duration"] == 0
    finally:
        plugin.stop()


ITEM_ROUTES = ("items?{a}", "data?{a}&index=0", "html?{a}&index=0", "mask?{a}&index=0&layer=0",
               "points?{a}&index=0&array=positions")


def test_run_directory_deleted_while_served_answers_404_never_500(tmp_path: Path) -> None:
    write_steps(tmp_path / "kept", range(3))
    gone = tmp_path / "gone"
    write_steps(gone, range(3))
    with open(gone / "events.out.tfevents.2.legacy", "wb") as f:
        f.write(legacy_image_record(1, png_of(pixels(1))))
    plugin = plugin_for(tmp_path)
    get = client_get(plugin)
    try:
        assert [r["name"] for r in get_json(get, "runs")["runs"]] == ["gone", "kept"]
        assert get("data?run=gone&tag=legacy&step=1&index=0")[0] == 200
        shutil.rmtree(gone)
        # before any refresh the index still lists the run, but its bytes are gone: every route
        # that reads them (items too: it reads the step's record once) answers 404, never a 500
        for tag in (TAG, "legacy"):
            for route in ITEM_ROUTES:
                status, body = get(route.format(a=f"run=gone&tag={tag}&step=1"))
                assert status == 404, (route, tag, status, body[:200])
                assert json.loads(body)["error"]
        check_kept = get_json(get, f"series?tag={TAG}&run=kept")
        assert check_kept["runs"]["kept"]["steps"] == [0, 1, 2]
        assert [r["name"] for r in get_json(get, "reload")["runs"]] == ["kept"]
        assert get(f"items?run=gone&tag={TAG}&step=1")[0] == 404
        assert (decoded(get(f"data?run=kept&tag={TAG}&step=2&index=0")[1]) == pixels(2)).all()
    finally:
        plugin.stop()


def test_files_replaced_rotated_and_deleted_while_tensorboard_serves(
    tmp_path: Path, tensorboard_factory: Any
) -> None:
    logdir = tmp_path / "logs"
    replaced = write_steps(logdir / "replaced", range(5))
    write_steps(logdir / "rotated", range(3))
    write_steps(logdir / "deleted", range(2))
    server = tensorboard_factory(logdir)
    assert [r["name"] for r in server.get_json("runs")["runs"]] == ["deleted", "replaced", "rotated"]
    assert server.get_json(f"series?tag={TAG}&run=replaced")["runs"]["replaced"]["steps"] == [
        0, 1, 2, 3, 4,
    ]

    # replaced: a new, shorter file atomically takes the old one's name
    scratch = write_steps(tmp_path / "scratch", [20, 21])
    os.replace(scratch, replaced)
    # rotated: the writer closes its file and continues in a new one
    write_steps(logdir / "rotated", range(3, 6))
    shutil.rmtree(logdir / "deleted")

    deadline = time.monotonic() + 30
    runs: list[str] = []
    while time.monotonic() < deadline:
        runs = [r["name"] for r in server.get_json("runs")["runs"]]
        steps = server.get_json(f"series?tag={TAG}")["runs"]
        if runs == ["replaced", "rotated"] and steps["replaced"]["steps"] == [20, 21] and (
            steps["rotated"]["steps"] == [0, 1, 2, 3, 4, 5]
        ):
            break
        time.sleep(0.3)
    assert runs == ["replaced", "rotated"]
    series = server.get_json(f"series?tag={TAG}")["runs"]
    assert series["replaced"]["steps"] == [20, 21]
    assert series["rotated"]["steps"] == [0, 1, 2, 3, 4, 5]
    for run, step in (("replaced", 21), ("rotated", 1), ("rotated", 5)):
        status, _, body = server.get(f"data?run={run}&tag={TAG}&step={step}&index=0")
        assert status == 200
        assert (decoded(body) == pixels(step)).all()
    assert server.get(f"items?run=deleted&tag={TAG}&step=0")[0] == 404
    assert server.get(f"items?run=replaced&tag={TAG}&step=3")[0] == 404
    assert all(r["skipped_records"] == 0 for r in server.get_json("runs")["runs"])
    assert "Traceback" not in server.log_text()


def test_a_tiny_mesh_record_claiming_a_huge_shape_allocates_nothing_big(tmp_path: Path) -> None:
    """A tensor shape filled from one repeated value: 600 MB of vertices from a 60-byte record."""
    import tracemalloc

    from tensorboard.plugins.mesh import plugin_data_pb2

    from tb_media_panel.compat import tensor_pb2, tensor_shape_pb2, types_pb2

    mesh_meta = tb_summary_pb2.SummaryMetadata()
    mesh_meta.plugin_data.plugin_name = "mesh"
    mesh_meta.plugin_data.content = plugin_data_pb2.MeshPluginData(
        name="cloud", content_type=plugin_data_pb2.MeshPluginData.VERTEX
    ).SerializeToString()
    vertices = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in (1, 50_000_000, 3)]
        ),
        float_val=[0.5],
    )
    value = tb_summary_pb2.Summary.Value(tag="cloud_VERTEX", metadata=mesh_meta, tensor=vertices)
    event = event_pb2.Event(step=0, summary=summary_pb2.Summary(value=[value]))
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.out.tfevents.1.host").write_bytes(frame_record(event.SerializeToString()))
    plugin = plugin_for(tmp_path)
    get = client_get(plugin)
    try:
        tracemalloc.start()
        statuses = [
            get("items?run=run&tag=cloud&step=0")[0],
            get("points?run=run&tag=cloud&step=0&index=0&array=positions")[0],
        ]
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert statuses == [404, 404]
        assert peak < 32 << 20
        # skipped when indexed: its shape is not backed by its bytes (test_decoder_bounds.py)
        assert get_json(get, "runs")["runs"] == [{"name": "run", "skipped_records": 1}]
    finally:
        plugin.stop()
