"""The panel's "Export as video": the /export_video route answers an MP4 download of one
series over a span of steps, within bounds, and a clear 400/404 for anything else."""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
from tensorboard.plugins.base_plugin import TBContext

import tb_media_panel as mp
from tb_media_panel import export
from tb_media_panel.compat import summary_pb2
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.summary import metadata, tensor_proto
from tests.test_export import STEPS, decoded_frames, frame
from tests.test_fuzz import event, file_of
from tests.test_plugin_routes import Routes

DAMAGED = 20  # the step whose payload is damaged in run "damaged"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export_route")
    with mp.Writer(str(root / "a")) as writer:
        for step in STEPS:
            mask = np.zeros((32, 48), np.uint8)
            mask[20:, :] = 1
            writer.add(
                "samples",
                [mp.Image(frame(step), masks={"pred": mp.Mask(mask, {0: "bg", 1: "thing"})}),
                 mp.Image(np.full((6, 8), step, np.uint8))],
                step=step,
            )
        writer.add("sound", mp.Audio(np.zeros(800, np.float32), sample_rate=8000), step=5)
        for step in range(export.MAX_PANEL_STEPS + 1):
            writer.add("long", mp.Image(np.full((2, 2), step % 256, np.uint8)), step=step)
    with mp.Writer(str(root / "damaged")) as writer:
        for step in STEPS:
            writer.add("samples", mp.Image(frame(step)), step=step)
    # an image record whose payload (with its CRCs right) is no image: starts like a PNG, then junk
    record = mp.Image(frame(0)).to_record()
    record.data = b"\x89PNG\r\n\x1a\n" + b"junk" * 40
    (root / "junk").mkdir()
    tensor = tensor_proto([record.SerializeToString()])
    value = summary_pb2.Summary.Value(tag="samples", metadata=metadata(), tensor=tensor)
    (root / "junk" / "events.out.tfevents.1.junk").write_bytes(file_of([event(0, value), event(1, value)]))
    return root


@pytest.fixture(scope="module")
def routes(logdir: Path) -> Routes:
    return Routes(MediaPanelPlugin(TBContext(logdir=str(logdir))))


def error(routes: Routes, query: str, status: int) -> str:
    response = routes.get("export_video", query)
    assert response.status_code == status, response.get_data()
    assert response.content_type == "application/json"
    return str(json.loads(response.get_data())["error"])


def test_a_row_exports_as_an_mp4_download_of_its_steps_in_order(routes: Routes) -> None:
    response = routes.get("export_video", "run=a&tag=samples&index=0&steps=10:30&fps=5")
    assert response.status_code == 200, response.get_data()
    assert response.content_type == "video/mp4"
    assert response.headers["Content-Disposition"] == 'attachment; filename="a-samples-10-30.mp4"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    data = response.get_data()
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert float(container.streams.video[0].average_rate) == 5
    frames = decoded_frames(data)
    assert len(frames) == 3
    for got, step in zip(frames, (10, 20, 30), strict=True):
        errors = {s: np.abs(got.astype(int) - frame(s).astype(int)).mean() for s in STEPS}
        assert errors[step] <= 3 and min(errors, key=errors.__getitem__) == step
    # no steps: every logged step of the series
    assert len(decoded_frames(routes.get("export_video", "run=a&tag=samples").get_data())) == len(STEPS)


def test_overlay_burns_the_mask_in(routes: Routes) -> None:
    plain = decoded_frames(routes.get("export_video", "run=a&tag=samples&steps=0").get_data())[0]
    shown = decoded_frames(routes.get("export_video", "run=a&tag=samples&steps=0&overlay=1").get_data())[0]
    # class 1 covers rows 20..31 (class 0, "bg", stays clear), in its palette colour at 60 %
    assert np.abs(shown[:16].astype(int) - plain[:16]).mean() < 2
    assert np.abs(shown[22:].astype(int) - plain[22:]).mean() > 20


def test_more_steps_than_the_bound_is_a_clear_400(routes: Routes) -> None:
    limit = export.MAX_PANEL_STEPS
    message = error(routes, "run=a&tag=long", 400)
    assert f"at most {limit} steps a video, got {limit + 1}" in message
    assert routes.get("export_video", f"run=a&tag=long&steps=1:{limit}").status_code == 200


def test_more_pixels_than_the_bound_is_a_clear_400(
    routes: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "MAX_PANEL_PIXELS", 32 * 48 * 2)
    assert "got 4,608 (3 frames of up to 48x32)" in error(routes, "run=a&tag=samples&steps=10:30", 400)


@pytest.mark.parametrize(
    ("query", "status", "expected"),
    [
        ("tag=samples", 400, "missing parameter 'run'"),
        ("run=a", 400, "missing parameter 'tag'"),
        ("run=nope&tag=samples", 404, "unknown run 'nope'"),
        ("run=a&tag=nope", 404, "run 'a' has no media tag 'nope'"),
        ("run=a&tag=sound", 400, "tag 'sound' of run 'a' holds audio items"),
        ("run=a&tag=samples&steps=x:y", 400, "parameter 'steps': expected A:B"),
        ("run=a&tag=samples&steps=30:10", 400, "the first step at most the last"),
        ("run=a&tag=samples&steps=" + "1" * 61, 400, "parameter 'steps' must be A:B"),
        ("run=a&tag=samples&steps=1000:2000", 400, "nothing to export: no items in tag 'samples'"),
        ("run=a&tag=samples&index=7", 400, "nothing to export"),
        ("run=a&tag=samples&index=-1", 400, "parameter 'index' must be between 0"),
        ("run=a&tag=samples&fps=0", 400, "parameter 'fps' must be between 1 and 60"),
        ("run=a&tag=samples&overlay=2", 400, "parameter 'overlay' must be 0 or 1"),
    ],
)
def test_bad_requests_name_the_argument(routes: Routes, query: str, status: int, expected: str) -> None:
    assert expected in error(routes, query, status)


def test_a_record_damaged_after_indexing_is_a_404_that_names_no_path(
    routes: Routes, logdir: Path
) -> None:
    assert routes.get("export_video", "run=damaged&tag=samples").status_code == 200  # indexed
    payload = mp.Reader(logdir).items("damaged", "samples", DAMAGED)[0].bytes
    (event_file,) = (logdir / "damaged").iterdir()
    data = bytearray(event_file.read_bytes())
    data[data.index(payload) + len(payload) // 2] ^= 0xFF  # the record's CRC no longer matches
    event_file.write_bytes(bytes(data))
    message = error(routes, "run=damaged&tag=samples", 404)
    assert "a damaged record" in message and str(logdir) not in message
    # the steps before it still export
    frames = decoded_frames(routes.get("export_video", "run=damaged&tag=samples&steps=0:10").get_data())
    assert len(frames) == 2


def test_a_payload_that_is_no_image_is_a_400_naming_its_step(routes: Routes) -> None:
    message = error(routes, "run=junk&tag=samples", 400)
    assert "step 0 of tag 'samples' of run 'junk' could not be decoded" in message
