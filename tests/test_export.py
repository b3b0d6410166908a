"""`tb-media-panel export`: videos over steps, zips of the payloads with a manifest, contact
sheets, and the errors of a selection that holds nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import tb_media_panel as mp
from tb_media_panel.cli import main
from tests.test_media_video import COLOURS

STEPS = (0, 10, 20, 30, 40)


def frame(step: int, height: int = 32, width: int = 48) -> np.ndarray:
    """A solid colour per step, and a white square whose place tells the frames apart."""
    pixels = np.broadcast_to(COLOURS[(step // 10) % 4], (height, width, 3)).copy()
    pixels[4:12, 4 + step // 10 * 4 : 12 + step // 10 * 4] = 255
    return pixels


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    for run, offset in (("a", 0), ("b/seed1", 1)):
        with mp.Writer(str(root / run)) as writer:
            for step in STEPS:
                writer.add(
                    "samples",
                    [
                        mp.Image(
                            frame(step + offset * 10),
                            caption=f"{run} {step}",
                            masks={"pred": mp.Mask(np.eye(32, 48, dtype=np.uint8), {0: "bg", 1: "line"})},
                        ),
                        mp.Image(np.full((6, 8), step, np.uint8)),
                    ],
                    step=step,
                )
            writer.add("sound", mp.Audio(np.zeros(800, np.float32), sample_rate=8000, caption="hush"), step=5)
            writer.add("cloud", mp.PointCloud(np.arange(12.0).reshape(4, 3), labels=[0, 1, 1, 0]), step=5)
            writer.add("page", mp.Html("<p>report</p>"), step=5)
    return root


def decoded_frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.mark.parametrize(
    ("suffix", "codec", "tolerance"), [(".gif", "gif", 0), (".mp4", "h264", 3), (".webm", "vp9", 3)]
)
def test_video_has_one_frame_per_logged_step(
    logdir: Path, tmp_path: Path, suffix: str, codec: str, tolerance: int
) -> None:
    out = tmp_path / f"samples{suffix}"
    args = ["export", "--logdir", str(logdir), "--run", "a", "--tag", "samples", "--index", "0"]
    assert main([*args, "--steps", "10:30", "--fps", "5", "--to", str(out)]) == 0
    data = out.read_bytes()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == codec
        assert float(stream.average_rate) == 5
    frames = decoded_frames(data)
    assert len(frames) == 3  # steps 10, 20 and 30
    for got, step in zip(frames, (10, 20, 30), strict=True):
        assert got.shape == (32, 48, 3)
        errors = {s: np.abs(got.astype(int) - frame(s).astype(int)).mean() for s in STEPS}
        assert errors[step] <= tolerance and min(errors, key=errors.__getitem__) == step
        if tolerance == 0:
            assert np.array_equal(got, frame(step))


def test_a_video_of_several_items_a_step_or_several_runs_is_refused(
    logdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "x.mp4")
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--logdir", str(logdir), "--run", "a", "--tag", "samples", "--to", out])
    assert exit_.value.code == 1
    assert "one frame per step: pick one item of each with --index" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--logdir", str(logdir), "--tag", "samples", "--index", "0", "--to", out])
    assert "one run and one tag" in capsys.readouterr().err


def test_zip_holds_the_payloads_as_stored_and_a_complete_manifest(logdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.zip"
    tags = ["--tag", "samples", "--tag", "sound", "--tag", "cloud", "--tag", "page"]
    assert main(["export", "--logdir", str(logdir), "--run", "a", *tags, "--to", str(out)]) == 0
    reader = mp.Reader(logdir)
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        entries = manifest["items"]
        assert manifest["logdir"] == str(logdir)
        expected = [
            *(f"a/samples/{s}-{i}.png" for s in STEPS for i in (0, 1)),
            "a/sound/5-0.wav",
            "a/cloud/5-0.npz",
            "a/page/5-0.html",
        ]
        assert sorted(e["path"] for e in entries) == sorted(expected)
        masks = {f"a/samples/{s}-0.mask.pred.png" for s in STEPS}
        assert names == {*expected, *masks, "manifest.json"}
        for entry in entries:
            (item,) = [
                i
                for i in reader.items(entry["run"], entry["tag"], entry["step"])
                if i.index == entry["index"]
            ]
            assert {k: entry[k] for k in item.metadata if k != "masks"} == {
                k: v for k, v in item.metadata.items() if k != "masks"
            }
            assert entry["wall_time"] == item.wall_time and entry["source"] == "media_panel"
            if item.kind == "pointcloud":
                arrays = np.load(io.BytesIO(archive.read(entry["path"])))
                assert np.array_equal(arrays["positions"], np.arange(12.0, dtype=np.float32).reshape(4, 3))
                assert arrays["labels"].tolist() == [0, 1, 1, 0]
            else:
                assert archive.read(entry["path"]) == item.bytes
            for layer in entry["masks"]:
                ids = np.asarray(Image.open(io.BytesIO(archive.read(layer["path"]))))
                assert np.array_equal(ids, item.masks[layer["name"]])
                assert layer["class_labels"] == [
                    {"id": 0, "name": "bg", "color": None},
                    {"id": 1, "name": "line", "color": None},
                ]
        (sound,) = [e for e in entries if e["tag"] == "sound"]
        assert (sound["caption"], sound["sample_rate"], sound["kind"]) == ("hush", 8000, "audio")


def test_contact_sheet_lays_runs_by_steps_with_labels(logdir: Path, tmp_path: Path) -> None:
    from tb_media_panel.export import Selection, contact_sheet, select

    reader = mp.Reader(logdir)
    sheet = contact_sheet(select(reader, Selection(None, ["samples"], index=0, step_min=10)), ("run", "step"))
    assert sheet.rows == ["a", "b/seed1"]
    assert sheet.columns == ["step 10", "step 20", "step 30", "step 40"]
    lefts = sorted({box[0] for box in sheet.cells.values()})
    tops = sorted({box[1] for box in sheet.cells.values()})
    assert len(sheet.cells) == 8 and len(lefts) == 4 and len(tops) == 2
    assert set(np.diff(lefts)) == {48 + 4} and set(np.diff(tops)) == {32 + 4}  # cell + padding
    assert sheet.image.size == (lefts[-1] + 48 + 4, tops[-1] + 32 + 4)
    pixels = np.asarray(sheet.image)
    for (r, c), (x, y, w, h) in sheet.cells.items():
        step = 10 * (c + 1) + 10 * r  # run b logs each step's frame shifted by one
        assert np.array_equal(pixels[y : y + h, x : x + w], frame(step))
    # labels: ink left of the first column on each row, and above each column
    assert (pixels[tops[0] : tops[0] + 16, : lefts[0] - 4] < 128).any()
    assert (pixels[tops[1] : tops[1] + 16, : lefts[0] - 4] < 128).any()
    for x in lefts:
        assert (pixels[: tops[0] - 4, x : x + 48] < 128).any()
    assert not (pixels[: tops[0] - 4, : lefts[0] - 4] < 128).any()  # the corner stays blank

    out = tmp_path / "sheet.png"
    args = ["export", "--logdir", str(logdir), "--tag", "samples", "--index", "1", "--grid", "step,run"]
    assert main([*args, "--to", str(out)]) == 0
    saved = Image.open(out)
    step_by_run = contact_sheet(select(reader, Selection(None, ["samples"], index=1)), ("step", "run"))
    assert step_by_run.rows == [f"step {s}" for s in STEPS] and step_by_run.columns == ["a", "b/seed1"]
    assert saved.size == step_by_run.image.size
    assert np.array_equal(np.asarray(saved), np.asarray(step_by_run.image))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--tag", "samples", "--steps", "100:200"],
            "nothing to export: no items in tag 'samples' of every run, steps 100:200",
        ),
        (
            ["--tag", "samples", "--index", "5"],
            "nothing to export: no items in tag 'samples' of every run, steps :, index 5",
        ),
        (["--tag", "nothing"], "no run has the tag 'nothing'"),
        (["--tag", "samples", "--run", "zz"], "unknown run 'zz'"),
    ],
)
def test_an_empty_selection_is_a_clear_error(
    logdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "out.zip"
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--logdir", str(logdir), *extra, "--to", str(out)])
    assert exit_.value.code == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--steps", "3:1"], "argument --steps: expected the first step at most the last, got '3:1'"),
        (["--steps", "a:b"], "argument --steps: expected A:B, A: or :B with integer steps"),
        (["--grid", "run,run"], "argument --grid: expected two different axes of run, tag, step, index"),
        (["--index", "-1"], "argument --index: expected an integer >= 0, got '-1'"),
    ],
)
def test_bad_arguments_name_themselves(
    logdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--logdir", str(logdir), "--tag", "samples", *extra, "--to", str(tmp_path / "o.zip")])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_an_unknown_output_type_is_refused(
    logdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--logdir", str(logdir), "--tag", "samples", "--to", str(tmp_path / "o.tiff")])
    assert "--to: expected a file ending in one of .gif, .mp4, .webm, .png, .zip" in capsys.readouterr().err


def test_overlay_burns_masks_and_boxes_in_as_the_panel_draws_them(tmp_path: Path) -> None:
    ids = np.zeros((128, 160), np.uint8)
    ids[20:60, 30:90] = 1
    ids[70:100, 100:150] = 2
    labels = {0: "background", 1: "cat", 2: {"name": "dog", "color": "#00ff00"}}
    boxes = [{"position": {"min_x": 0.25, "min_y": 0.25, "max_x": 0.5, "max_y": 0.5}, "class_id": 1}]
    with mp.Writer(str(tmp_path / "run")) as writer:
        image = mp.Image(
            np.full((128, 160, 3), 100, np.uint8),
            masks={"pred": mp.Mask(ids, labels)},
            boxes={"det": mp.Boxes(boxes, {1: "cat"})},
        )
        writer.add("seg", image, step=0)
    out = tmp_path / "over.png"
    args = ["export", "--logdir", str(tmp_path), "--tag", "seg", "--overlay", "--to", str(out)]
    assert main(args) == 0
    plain = tmp_path / "plain.png"
    assert main([*args[:-3], "--to", str(plain)]) == 0
    sheet, unmarked = np.asarray(Image.open(out)), np.asarray(Image.open(plain))
    assert sheet.shape == unmarked.shape
    # where the image sits: the plain sheet's grey
    ys, xs = np.nonzero((unmarked == 100).all(axis=2))
    top, left = ys.min(), xs.min()
    cell = sheet[top : top + 128, left : left + 160].astype(int)

    def blended(rgb: tuple[int, int, int]) -> list[int]:
        return [round(0.6 * c + 0.4 * 100) for c in rgb]

    assert cell[110, 5].tolist() == [100, 100, 100]  # background class 0: hidden
    assert cell[50, 80].tolist() == blended((0x3C, 0xB4, 0x4B))  # class 1: the panel's palette
    assert cell[85, 140].tolist() == blended((0, 255, 0))  # class 2: its logged colour
    # the box: a 2-pixel outline in its class colour from (40, 32) to (80, 64), a caption above
    assert cell[45, 40].tolist() == cell[45, 41].tolist() == [0x3C, 0xB4, 0x4B]
    assert cell[45, 42].tolist() == blended((0x3C, 0xB4, 0x4B))  # inside: the mask again
    assert (cell[18:31, 40:60] == [0x3C, 0xB4, 0x4B]).all(axis=2).mean() > 0.5  # caption background
    assert (cell[18:31, 40:60] > 220).all(axis=2).any()  # and its white text


def test_zip_names_stay_inside_and_apart(tmp_path: Path) -> None:
    for run, tag in (("a/b", "c"), ("a", "b/c"), ("a", "../../escape"), ("a", "..\\win:name")):
        with mp.Writer(str(tmp_path / "logs" / run), filename_suffix=f".{len(tag)}") as writer:
            writer.add(tag, mp.Image(np.full((2, 2), len(tag), np.uint8)), step=1)
    out = tmp_path / "names.zip"
    tags = ["--tag", "c", "--tag", "b/c", "--tag", "../../escape", "--tag", "..\\win:name"]
    assert main(["export", "--logdir", str(tmp_path / "logs"), *tags, "--to", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        paths = [e["path"] for e in json.loads(archive.read("manifest.json"))["items"]]
        assert sorted(paths) == sorted(
            [
                "a/_/_/escape/1-0.png",
                "a/b/c/1-0.png",
                "a/b/c/1-0~.png",
                "a/.._win_name/1-0.png",
            ]
        )
        assert sorted(archive.namelist()) == sorted([*paths, "manifest.json"])
