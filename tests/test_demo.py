"""The demo as a new user meets it: `tb-media-panel demo` writes runs that the Media tab lists
with every media kind, media that change over steps and differ between runs, and the CLI
refuses bad arguments with a message naming them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tb_media_panel.cli import main
from tests.conftest import require
from tests.tb_server import free_port

DEMO_DEPENDENCIES = ("torch", "skimage", "sklearn", "PeptideBuilder", "trimesh", "rdkit", "open3d")
MEDIA_RUN_KINDS = {"image", "video", "audio", "object3d", "pointcloud", "molecule", "html"}


@pytest.fixture(scope="module")
def demo_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick demo written once through the CLI, as `make demo` would (without serving)."""
    for module in DEMO_DEPENDENCIES:
        require(module)
    logdir = tmp_path_factory.mktemp("demo") / "logdir"
    assert main(["demo", "--logdir", str(logdir), "--quick", "--no-serve"]) == 0
    return logdir


@pytest.fixture(scope="module")
def served(demo_logdir: Path, tmp_path_factory: pytest.TempPathFactory):
    from tests.tb_server import TensorBoardServer

    log = tmp_path_factory.mktemp("tb") / "tb.log"
    server = TensorBoardServer(str(demo_logdir), [], log_path=log)
    server.start()
    yield server
    server.stop()


def query(server, route: str, **params: object) -> dict:
    return server.get_json(f"{route}?{urllib.parse.urlencode(params, doseq=True)}")


def tags_by_run(server) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for tag in server.get_json("tags")["tags"]:
        out.setdefault(tag["run"], {})[tag["tag"]] = tag
    return out


def items(server, run: str, tag: str, step: int) -> list[dict]:
    return query(server, "items", run=run, tag=tag, step=step)["items"]


def payload(server, run: str, tag: str, step: int, index: int = 0) -> bytes:
    params = urllib.parse.urlencode({"run": run, "tag": tag, "step": step, "index": index})
    status, _, body = server.get(f"data?{params}")
    assert status == 200, body[:300]
    return body


def content(server, run: str, tag: str, step: int) -> bytes:
    """What a cell shows: the payload, or for point clouds the per-point classes."""
    if tag.startswith("pointcloud/"):
        params = urllib.parse.urlencode({"run": run, "tag": tag, "step": step, "index": 0, "array": "labels"})
        status, _, body = server.get(f"points?{params}")
        assert status == 200, body[:300]
        return body
    return payload(server, run, tag, step)


def steps(server, run: str, tag: str) -> list[int]:
    return query(server, "series", tag=tag, run=run)["runs"][run]["steps"]


def test_demo_runs_show_every_media_kind(served) -> None:
    from tb_media_panel.demo import RUN_NAMES

    runs = tags_by_run(served)
    assert sorted(runs) == sorted(RUN_NAMES)
    for run in ("lr=0.001", "lr=0.003", "lr=0.01"):
        kinds = {t["kind"] for t in runs[run].values()}
        assert kinds == MEDIA_RUN_KINDS, run
        # Every trained scenario logs more than one step, so the slider has something to show.
        for tag in (
            "digits/reconstructions",
            "segmentation/validation",
            "pointcloud/predicted",
            "structure/predicted",
            "mesh/fitted_shape",
            "rollout/episode",
            "audio/generated",
            "report/summary",
        ):
            assert runs[run][tag]["step_count"] >= 3, (run, tag)
    legacy = runs["legacy_torch_writer"]
    assert {t["kind"] for t in legacy.values()} == {"image", "video", "audio", "object3d", "text"}
    assert {t["source"] for t in legacy.values()} == {"images", "audio", "mesh", "text"}


def test_batches_are_the_index_axis(served) -> None:
    runs = tags_by_run(served)
    assert runs["lr=0.01"]["digits/reconstructions"]["max_items"] > 1
    assert runs["lr=0.01"]["mesh/formats"]["max_items"] == 5
    formats = {i["format"] for i in items(served, "lr=0.01", "mesh/formats", 0)}
    assert formats == {"obj", "gltf", "glb", "ply", "stl"}


def test_segmentation_has_prediction_and_ground_truth_masks_and_boxes(served) -> None:
    run, tag = "lr=0.01", "segmentation/validation"
    first, last = steps(served, run, tag)[0], steps(served, run, tag)[-1]
    for item in items(served, run, tag, last):
        assert {m["name"] for m in item["masks"]} == {"prediction", "ground_truth"}
        layers = {b["name"]: b for b in item["boxes"]}
        assert set(layers) == {"prediction", "ground_truth"}
        assert layers["ground_truth"]["boxes"], "every validation photo has shapes"
        # a probability mask (its confidence layer) and the scene's depth in metres, NaN beyond range
        depth, confidence = item["heatmaps"]
        assert (depth["name"], depth["nan_count"] > 0) == ("depth", True)
        assert (confidence["role"], confidence["of"]) == ("confidence", "prediction")
        for box in layers["prediction"]["boxes"]:
            assert 0.0 <= box["scores"]["score"] <= 1.0

    # The predicted masks change as the net trains.
    def mask(step: int) -> bytes:
        params = urllib.parse.urlencode(
            {"run": run, "tag": tag, "step": step, "index": 0, "layer": "prediction"}
        )
        status, _, body = served.get(f"mask?{params}")
        assert status == 200
        return body

    assert mask(first) != mask(last)
    depth_mm = items(served, run, "segmentation/depth_mm", 0)
    assert {(i["format"], i["values"]["dtype"]) for i in depth_mm} == {("scalar", "uint16")}


def test_media_change_over_steps_and_differ_between_runs(served) -> None:
    for tag in (
        "digits/samples",
        "structure/predicted",
        "mesh/fitted_shape",
        "audio/generated",
        "pointcloud/predicted",
        "rollout/episode",
    ):
        logged = steps(served, "lr=0.003", tag)
        assert content(served, "lr=0.003", tag, logged[0]) != content(served, "lr=0.003", tag, logged[-1]), (
            tag
        )
        assert content(served, "lr=0.001", tag, logged[-1]) != content(served, "lr=0.01", tag, logged[-1]), (
            tag
        )


def test_protein_prediction_pairs_with_the_truth(served) -> None:
    run = "lr=0.01"
    assert steps(served, run, "structure/true") == steps(served, run, "structure/predicted")
    logged = steps(served, run, "structure/predicted")
    captions = [items(served, run, "structure/predicted", s)[0]["caption"] for s in logged]
    rmsd = [float(c.split()[2]) for c in captions]  # "C-alpha RMSD 3.2 Å"
    assert rmsd[-1] < rmsd[0]
    assert payload(served, run, "structure/true", logged[0]).startswith(b"ATOM")


def test_html_report_has_a_script(served) -> None:
    logged = steps(served, "lr=0.001", "report/summary")
    page = payload(served, "lr=0.001", "report/summary", logged[-1]).decode()
    assert "<script>" in page and "<canvas" in page and "lr=0.001" in page


def test_second_run_reuses_the_complete_logdir(demo_logdir: Path, capsys) -> None:
    from tb_media_panel.demo import is_complete, write_demo

    before = sorted(p.stat().st_mtime_ns for p in demo_logdir.rglob("*"))
    assert main(["demo", "--logdir", str(demo_logdir), "--quick", "--no-serve"]) == 0
    assert "reusing" in capsys.readouterr().out
    assert sorted(p.stat().st_mtime_ns for p in demo_logdir.rglob("*")) == before
    assert write_demo(demo_logdir, quick=True, progress=None) is False
    # A quick demo does not stand in for the full one.
    assert not is_complete(demo_logdir, quick=False)


def test_a_marker_from_another_version_is_not_complete(tmp_path: Path) -> None:
    from tb_media_panel.demo import DEMO_VERSION, MARKER_NAME, is_complete

    (tmp_path / MARKER_NAME).write_text(json.dumps({"version": DEMO_VERSION, "quick": False}))
    assert is_complete(tmp_path) and is_complete(tmp_path, quick=True)
    (tmp_path / MARKER_NAME).write_text(json.dumps({"version": DEMO_VERSION - 1, "quick": False}))
    assert not is_complete(tmp_path)
    (tmp_path / MARKER_NAME).write_text("not json")
    assert not is_complete(tmp_path)


def test_a_demo_of_an_older_version_is_replaced_in_place(tmp_path: Path) -> None:
    from tb_media_panel.demo import DEMO_VERSION, MARKER_NAME, RUN_NAMES, is_complete, write_demo

    for module in DEMO_DEPENDENCIES:
        require(module)
    logdir = tmp_path / "logdir"
    (logdir / "lr=0.5").mkdir(parents=True)  # a run an older demo had
    (logdir / MARKER_NAME).write_text(json.dumps({"version": DEMO_VERSION - 1, "quick": True}))
    inode = logdir.stat().st_ino
    assert write_demo(logdir, quick=True, progress=None) is True
    assert is_complete(logdir, quick=True)
    assert sorted(p.name for p in logdir.iterdir() if p.is_dir()) == sorted(RUN_NAMES)
    assert logdir.stat().st_ino == inode  # the same directory: a TensorBoard watching it keeps working
    assert not any(p.name.endswith(".writing") for p in tmp_path.iterdir())


def test_serving_prints_the_url_and_starts_tensorboard(demo_logdir: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tb_media_panel.cli",
        "demo",
        "--logdir",
        str(demo_logdir),
        "--quick",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert any(f"http://127.0.0.1:{port}/#media_panel" in line for line in lines), lines
        deadline = time.monotonic() + 90
        while True:
            try:
                url = f"http://127.0.0.1:{port}/data/plugin/media_panel/runs"
                with urllib.request.urlopen(url, timeout=2) as response:
                    runs = json.loads(response.read())["runs"]
                break
            except OSError:
                assert proc.poll() is None, "tensorboard exited"
                assert time.monotonic() < deadline, "tensorboard did not answer"
                time.sleep(0.3)
        assert "legacy_torch_writer" in {r["name"] for r in runs}
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo"], "--logdir"),
        (
            ["demo", "--logdir", "x", "--port", "abc"],
            "argument --port: expected an integer in 1..65535, got 'abc'",
        ),
        (
            ["demo", "--logdir", "x", "--port", "70000"],
            "argument --port: expected an integer in 1..65535, got 70000",
        ),
        (["demo", "--logdir", ""], "argument --logdir: expected a directory path"),
        (["demo", "--logdir", "x", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["dmeo"], "invalid choice: 'dmeo'"),
    ],
)
def test_cli_rejects_bad_arguments(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_without_a_command_prints_help(capsys) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


def test_cli_refuses_a_logdir_holding_other_runs(tmp_path: Path, capsys) -> None:
    (tmp_path / "my_experiment").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--logdir", str(tmp_path), "--no-serve", "--quick"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--logdir" in err and "not empty" in err
    assert (tmp_path / "my_experiment").is_dir()  # untouched


def test_cli_refuses_a_busy_port_before_writing(tmp_path: Path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            main(["demo", "--logdir", str(tmp_path / "new"), "--quick", "--port", str(port)])
    assert exit_info.value.code == 2
    assert f"--port: port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # nothing written
