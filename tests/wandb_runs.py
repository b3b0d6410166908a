"""A W&B run logged for real by `wandb` in offline mode (no network), shared by the import tests
and the browser test: every media type the import converts, and scalars over several steps.

Logged in a subprocess so that wandb's service process and its environment stay out of pytest's.
The same script also logs the wandb objects straight through `mp.log` into `direct/`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_fixtures_dir, unavailable

RUN_NAME = "seg-run"
STEPS = (0, 1, 2, 3)
# What each tag holds after the import: its kind and the steps it was logged at.
TAGS = {
    "pred": ("image", [0, 1, 2]),
    "batch": ("image", [3]),
    "rollout": ("video", [1]),
    "speech": ("audio", [1]),
    "model": ("object3d", [2]),
    "lidar": ("pointcloud", [2]),
    "protein": ("molecule", [3]),
    "report": ("html", [3]),
}
CLASS_LABELS = {1: "cat", 2: "dog"}


def mask(step: int) -> np.ndarray:
    ids = np.zeros((32, 48), np.uint8)
    ids[4 : 12 + step, 5:20] = 1
    ids[20:30, 30:40] = 2
    return ids


def picture(step: int) -> np.ndarray:
    y, x = np.mgrid[0:32, 0:48]
    return np.stack([x * 5, y * 7, np.full_like(x, 40 * step)], -1).astype(np.uint8)


POINTS = np.array([[x, y, z, c] for c in (1, 2, 3) for x, y, z in np.ndindex(3, 3, 2)], np.float64)
# A 2 x 1 x 1 box turned 90 degrees about z, its corners in no particular order (as W&B allows).
BOX_CORNERS = [[0.5, -1, 0], [0.5, 1, 0], [-0.5, -1, 0], [-0.5, 1, 0],
               [0.5, -1, 1], [-0.5, 1, 1], [0.5, 1, 1], [-0.5, -1, 1]]

SCRIPT = """
import sys, numpy as np, wandb
import tb_media_panel as mp
from tests.wandb_runs import picture, mask, POINTS, BOX_CORNERS, CLASS_LABELS, STEPS
F = sys.argv[1]
run = wandb.init(project="import-test", name="seg-run", mode="offline", dir=sys.argv[2])
box_data = [
    {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.5}, "class_id": 1,
     "box_caption": "cat 0.9", "scores": {"confidence": 0.9}},
    {"position": {"middle": [24, 8], "width": 8, "height": 6}, "domain": "pixel", "class_id": 2,
     "scores": {"confidence": 0.5}},
]
def image(step):
    return wandb.Image(picture(step), caption=f"val {step}", masks={
        "prediction": {"mask_data": mask(step), "class_labels": CLASS_LABELS},
        "ground_truth": {"mask_data": mask(0), "class_labels": CLASS_LABELS}},
        boxes={"detections": {"box_data": box_data, "class_labels": CLASS_LABELS}})
objects = {}
for step in STEPS:
    row = {"loss": 1.0 / (step + 1), "acc": 0.25 * step}
    if step < 3:
        row["pred"] = objects["pred"] = image(step)
    if step == 1:
        frames = np.stack([picture(t) for t in range(6)]).transpose(0, 3, 1, 2)
        row["rollout"] = objects["rollout"] = wandb.Video(frames, fps=3, format="gif")
        tone = (0.5 * np.sin(np.linspace(0, 2000, 8000))).astype(np.float32)
        row["speech"] = objects["speech"] = wandb.Audio(tone, sample_rate=8000, caption="tone")
    if step == 2:
        gltf = open(F + "/model_box_embedded.gltf")
        row["model"] = objects["model"] = wandb.Object3D(gltf, file_type="gltf")
        car = {"corners": BOX_CORNERS, "label": "car", "color": [255, 0, 0], "score": 0.8}
        scene = {"type": "lidar/beta", "points": POINTS, "boxes": np.array([car])}
        row["lidar"] = objects["lidar"] = wandb.Object3D(scene)
    if step == 3:
        row["protein"] = objects["protein"] = wandb.Molecule(F + "/protein_1crn.pdb")
        row["report"] = objects["report"] = wandb.Html("<h1 id='t'>Report</h1>")
        row["batch"] = [image(0), wandb.Image(picture(3), caption="plain")]
    run.log(row, step=step)
run.finish()
with mp.Writer(sys.argv[3] + "/objects") as w:
    for tag, obj in objects.items():
        mp.log(w, tag, obj, step=5)
    mp.log(w, "batch", row["batch"], step=5)
"""


def logged_wandb_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The run, logged once per test session (wandb takes seconds to start and finish);
    returns (its W&B run directory, the `mp.log` logdir)."""
    root = tmp_path_factory.getbasetemp() / "wandb-offline-run"
    if not list(root.glob("wandb/offline-run-*")):
        root.mkdir(exist_ok=True)
        _log(root)
    (run_dir,) = (root / "wandb").glob("offline-run-*")
    return run_dir, root / "direct"


def _log(root: Path) -> None:
    for module in ("wandb", "soundfile"):
        if importlib.util.find_spec(module) is None:
            unavailable(f"{module} is not installed (pip install -e '.[wandb]')")
    fixtures = require_fixtures_dir()
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "PYTHONPATH": str(repo),
           "WANDB_DISABLE_GIT": "true", "WANDB_CONFIG_DIR": str(root / "config")}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(fixtures), str(root), str(root / "direct")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value)]} of the scalars in a run directory's event files, read without
    TensorFlow (TensorBoard's loaders import it when it is installed: seconds per process)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.util import tensor_util

    from tb_media_panel.tfrecord import FOOTER_BYTES, HEADER, HEADER_BYTES

    found: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(run_dir.glob("*tfevents*")):
        data, pos = path.read_bytes(), 0
        while pos + HEADER_BYTES <= len(data):
            (length, _) = HEADER.unpack_from(data, pos)
            event = event_pb2.Event.FromString(data[pos + HEADER_BYTES : pos + HEADER_BYTES + length])
            pos += HEADER_BYTES + length + FOOTER_BYTES
            for value in event.summary.value:
                if value.WhichOneof("value") == "simple_value":
                    found.setdefault(value.tag, []).append((event.step, value.simple_value))
                elif value.metadata.plugin_data.plugin_name == "scalars":
                    number = float(tensor_util.make_ndarray(value.tensor))
                    found.setdefault(value.tag, []).append((event.step, number))
    return found
