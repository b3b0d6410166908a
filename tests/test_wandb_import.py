"""`tb-media-panel import-wandb` and `mp.log(writer, tag, wandb_object)` on a run logged for real
by `wandb` in offline mode: every item, its annotations and every step come through."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tb_media_panel as mp
from tb_media_panel.cli import main
from tests.wandb_runs import (
    BOX_CORNERS,
    CLASS_LABELS,
    POINTS,
    RUN_NAME,
    STEPS,
    TAGS,
    logged_wandb_run,
    mask,
    picture,
    scalars,
)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return logged_wandb_run(tmp_path_factory)


@pytest.fixture(scope="module")
def imported(logged: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    logdir = tmp_path_factory.mktemp("imported")
    with pytest.warns(UserWarning, match="class ids \\[0\\]"):  # W&B leaves the background unlabelled
        assert main(["import-wandb", str(logged[0]), "--logdir", str(logdir)]) == 0
    return logdir


def only(reader: Any, run: str, tag: str, step: int) -> Any:
    (item,) = reader.items(run, tag, step)
    return item


def check_media(reader: Any, run: str, steps: dict[str, list[int]]) -> None:
    """What a user logged with wandb, as the panel serves it."""
    assert reader.tags(run) == {tag: kind for tag, (kind, _) in TAGS.items()}
    for tag, want in steps.items():
        assert reader.steps(run, tag) == want, tag
    image = only(reader, run, "pred", steps["pred"][-1])
    assert image.caption == "val 2" and (image.width, image.height) == (48, 32)  # logged at step 2
    assert sorted(image.masks) == ["ground_truth", "prediction"]
    np.testing.assert_array_equal(image.masks["prediction"], mask(2))
    assert image.class_labels("prediction") == CLASS_LABELS
    assert image.class_labels("ground_truth") == CLASS_LABELS
    np.testing.assert_array_equal(image.masks["ground_truth"], mask(0))
    boxes = image.boxes["detections"]
    assert image.class_labels("detections") == CLASS_LABELS
    assert [b["class_id"] for b in boxes] == [1, 2]
    assert boxes[0]["box_caption"] == "cat 0.9" and boxes[0]["scores"] == {"confidence": pytest.approx(0.9)}
    # the pixel box of a layer of fraction boxes, in the layer's domain: middle (24, 8), 8 x 6 of 48 x 32
    pos = boxes[1]["position"]
    assert (pos["min_x"], pos["max_x"]) == (pytest.approx(20 / 48), pytest.approx(28 / 48))
    assert (pos["min_y"], pos["max_y"]) == (pytest.approx(5 / 32), pytest.approx(11 / 32))

    plain, annotated = reader.items(run, "batch", steps["batch"][0])[::-1]
    assert plain.caption == "plain" and not plain.masks and not plain.boxes
    np.testing.assert_array_equal(annotated.masks["prediction"], mask(0))

    video = only(reader, run, "rollout", steps["rollout"][0])
    assert video.format == "gif" and video.to_numpy().shape[:3] == (6, 32, 48)
    speech = only(reader, run, "speech", steps["speech"][0])
    assert speech.caption == "tone" and speech.sample_rate == 8000
    assert speech.to_numpy().shape[0] == 8000

    model = only(reader, run, "model", steps["model"][0])
    assert model.kind == "object3d" and model.format in ("gltf", "glb")
    cloud = only(reader, run, "lidar", steps["lidar"][0]).point_cloud
    np.testing.assert_allclose(cloud.positions, POINTS[:, :3])
    np.testing.assert_array_equal(cloud.labels, POINTS[:, 3])
    (box,) = cloud.boxes
    assert box["label"] == "car" and box["score"] == pytest.approx(0.8)
    np.testing.assert_allclose(box["center"], [0, 0, 0.5], atol=1e-6)
    # the oriented box has the logged corners: center + R(rotation) @ (+-size / 2)
    assert sorted(box["size"]) == pytest.approx([1, 1, 2])
    w, x, y, z = box["rotation"]
    rotation = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])
    signs = np.array(list(np.ndindex(2, 2, 2))) * 2 - 1
    corners = np.asarray(box["center"]) + (signs * np.asarray(box["size"]) / 2) @ rotation.T
    assert sorted(map(tuple, corners.round(5) + 0.0)) == sorted(map(tuple, np.array(BOX_CORNERS, float)))

    protein = only(reader, run, "protein", steps["protein"][0])
    assert protein.format == "pdb" and "CRAMBIN" in protein.text
    report = only(reader, run, "report", steps["report"][0])
    assert report.text == "<h1 id='t'>Report</h1>"  # without the stylesheet wandb prepends from its servers


def test_import_writes_every_item_and_step(imported: Path) -> None:
    reader = mp.Reader(str(imported))
    assert reader.runs() == [RUN_NAME]
    check_media(reader, RUN_NAME, {tag: steps for tag, (_, steps) in TAGS.items()})
    for step in TAGS["pred"][1]:  # each step its own picture, caption and predicted mask
        image = only(reader, RUN_NAME, "pred", step)
        assert image.caption == f"val {step}"
        np.testing.assert_array_equal(image.masks["prediction"], mask(step))
        np.testing.assert_array_equal(image.to_numpy(), picture(step))


def test_import_writes_scalars_as_tensorboard_scalars(imported: Path) -> None:
    found = scalars(imported / RUN_NAME)
    assert sorted(found) == ["acc", "loss"]
    assert [step for step, _ in found["loss"]] == list(STEPS)
    assert [value for _, value in found["loss"]] == pytest.approx([1.0 / (s + 1) for s in STEPS])
    assert found["acc"] == [(s, pytest.approx(0.25 * s)) for s in STEPS]


def test_wandb_objects_log_through_mp_log(logged: tuple[Path, Path]) -> None:
    reader = mp.Reader(str(logged[1]))
    assert reader.runs() == ["objects"]
    check_media(reader, "objects", {tag: [5] for tag in TAGS})


def test_cut_off_record_log_imports_what_precedes_the_cut(
    logged: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "offline-run-cut"
    shutil.copytree(logged[0], run_dir)
    (log,) = run_dir.glob("*.wandb")
    data = log.read_bytes()
    log.write_bytes(data[: len(data) // 2])  # a crashed job's log
    with pytest.warns(UserWarning):
        assert main(["import-wandb", str(run_dir), "--logdir", str(tmp_path / "out")]) == 0
    reader = mp.Reader(str(tmp_path / "out"))
    steps = reader.steps(RUN_NAME, "pred")
    assert steps and steps == list(range(len(steps)))
    assert "damaged bytes of the record log" in capsys.readouterr().err


def test_not_a_run_directory_is_an_error_naming_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["import-wandb", str(tmp_path), "--logdir", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "PATH: expected a W&B run directory" in err and str(tmp_path) in err


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (every field the import reads is one)."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while n >= 0x80:
            out.append(n & 0x7F | 0x80)
            n >>= 7
        return bytes(out + bytes([n]))

    return varint(number << 3 | 2) + varint(len(payload)) + payload


def write_record_log(path: Path, records: list[bytes]) -> None:
    """A `.wandb` log of small records, framed as wandb frames them (each fits its block)."""
    from tb_media_panel.wandb_import import FILE_HEADER

    out = bytearray(FILE_HEADER)
    for data in records:
        out += struct.pack("<IHB", zlib.crc32(b"\x01" + data), len(data), 1) + data
    path.write_bytes(bytes(out))


def history_item(path: list[str], value_json: str) -> bytes:
    # HistoryItem: nested_key = 2 (repeated), value_json = 16 (wandb_internal.proto)
    return b"".join(field(2, part.encode()) for part in path) + field(16, value_json.encode())


def test_paths_outside_the_run_and_hostile_names_stay_out(tmp_path: Path) -> None:
    from tb_media_panel.wandb_import import import_run

    secret = tmp_path / "secret.png"  # a real image, outside the run's files/
    secret.write_bytes(mp.Image(np.zeros((2, 2), np.uint8)).to_record().data)
    run_dir = tmp_path / "wandb" / "offline-run-x"
    (run_dir / "files").mkdir(parents=True)
    items = [
        history_item(["img", "_type"], '"image-file"'),
        history_item(["img", "path"], '"../../../secret.png"'),
        history_item(["loss"], "0.5"),
        history_item(["deep"], "[" * 12_000 + "]" * 12_000),  # json's recursion limit
        history_item(["_step"], "0"),
    ]
    # Record.run = 17 (RunRecord: run_id = 1, display_name = 8); Record.history = 2 (item = 1)
    write_record_log(run_dir / "run-x.wandb", [
        field(17, field(1, b"x") + field(8, b"../../escaped")),
        field(2, b"".join(field(1, item) for item in items)),
    ])
    result = import_run(run_dir, str(tmp_path / "out"))
    assert Path(result.run_dir) == tmp_path / "out" / "escaped"
    assert result.media == 0 and "img" in result.skipped and "secret.png" in result.skipped["img"]
    assert scalars(Path(result.run_dir)) == {"loss": [(0, 0.5)]}
