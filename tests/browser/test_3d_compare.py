"""3D compare in Chromium against a real `tensorboard --logdir`: a prediction's point cloud
against its truth shows which points changed class, with exact counts, in every cell of the
grid; a predicted protein against its truth shows the RMSD after superposition."""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, screenshot, until
from tests.conftest import require, require_fixtures_dir
from tests.tb_server import TensorBoardServer, serving

POINTS = 2000
CLASSES = {0: "ground", 1: "car", 2: "person", 3: "tree"}
# Points relabelled in each run's prediction: run -> {(truth class, predicted class): count}.
CHANGES = {
    "run_a": {(1, 0): 120, (3, 2): 37},
    "run_b": {(0, 1): 64},
    "run_c": {},
}
# The viewer's colour of a changed point (pointcloud.ts CHANGED_RGB).
CHANGED_RGB = (255, 61, 0)
# Crambin's prediction: the truth scaled by this about its C-alpha centroid, then turned and moved.
SCALE = 1.05


def scan() -> tuple[np.ndarray, np.ndarray]:
    """A flat grid of points (seen from any side as a patch) with classes in bands."""
    side = int(np.ceil(np.sqrt(POINTS)))
    ij = np.stack(np.unravel_index(np.arange(POINTS), (side, side)), axis=1).astype(np.float32)
    xyz = np.concatenate([ij * 0.1, np.zeros((POINTS, 1), np.float32)], axis=1)
    labels = (np.arange(POINTS) * 4 // POINTS).astype(np.uint8)
    return xyz, labels


def predicted(truth: np.ndarray, changes: dict[tuple[int, int], int]) -> np.ndarray:
    pred = truth.copy()
    for (src, dst), count in changes.items():
        where = np.flatnonzero(truth == src)[:count]
        assert len(where) == count
        pred[where] = dst
    return pred


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    x, y, z = axis / np.linalg.norm(axis)
    c, s, t = np.cos(angle), np.sin(angle), 1 - np.cos(angle)
    return np.array(
        [
            [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
            [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
            [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
        ]
    )


def pdb_atoms(text: str) -> tuple[list[int], np.ndarray, list[bool]]:
    """Line numbers, coordinates and C-alpha flags of a PDB's ATOM/HETATM records (first model)."""
    rows, xyz, ca = [], [], []
    for i, line in enumerate(text.splitlines()):
        if line.startswith("ENDMDL"):
            break
        if line.startswith(("ATOM  ", "HETATM")):
            rows.append(i)
            xyz.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
            ca.append(line.startswith("ATOM  ") and line[12:16].strip() == "CA")
    return rows, np.array(xyz), ca


def with_coordinates(text: str, rows: list[int], xyz: np.ndarray) -> str:
    lines = text.splitlines()
    for i, (x, y, z) in zip(rows, xyz, strict=True):
        lines[i] = f"{lines[i][:30]}{x:8.3f}{y:8.3f}{z:8.3f}{lines[i][54:]}"
    return "\n".join(lines) + "\n"


def perturbed_protein(text: str) -> tuple[str, float, int]:
    """The truth scaled about its C-alpha centroid by SCALE (whose best superposition is no rotation, so
    its C-alpha RMSD is |SCALE - 1| times their radius of gyration), then rigidly turned and moved."""
    rows, xyz, ca = pdb_atoms(text)
    c_alpha = xyz[np.array(ca)]
    centre = c_alpha.mean(axis=0)
    moved = (xyz - centre) * SCALE @ rotation(np.array([1.0, 2.0, -1.0]), 1.1).T + [6.0, -4.0, 3.0]
    pred = with_coordinates(text, rows, moved)
    gyration = float(np.sqrt(((c_alpha - centre) ** 2).sum(axis=1).mean()))
    expected = abs(SCALE - 1) * gyration
    # Writing 3 decimals moves the RMSD by far less than this: the readout's 2 decimals are sure.
    assert abs((expected * 100) % 1 - 0.5) > 0.1
    return pred, expected, int(np.sum(ca))


def noisy_protein(text: str) -> tuple[str, float]:
    """The truth with every atom jittered, turned and moved; its C-alpha RMSD after superposition
    as Biopython's Superimposer (an independent implementation) finds it."""
    require("Bio")
    from Bio.PDB import PDBParser, Superimposer

    rows, xyz, _ = pdb_atoms(text)
    jitter = np.random.default_rng(3).normal(0, 0.6, size=xyz.shape)
    moved = (xyz + jitter) @ rotation(np.array([-2.0, 1.0, 0.5]), 2.4).T + [-20.0, 5.0, 11.0]
    pred = with_coordinates(text, rows, moved)
    parser = PDBParser(QUIET=True)

    def c_alphas(pdb: str, name: str) -> list[Any]:
        return [a for a in parser.get_structure(name, io.StringIO(pdb)).get_atoms() if a.get_id() == "CA"]

    sup = Superimposer()
    sup.set_atoms(c_alphas(text, "truth"), c_alphas(pred, "pred"))
    return pred, float(sup.rms)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float], int]:
    mp = require("tb_media_panel")
    root = tmp_path_factory.mktemp("compare3d")
    xyz, truth = scan()
    protein = (require_fixtures_dir() / "protein_1crn.pdb").read_text()
    scaled, scaled_rmsd, n_ca = perturbed_protein(protein)
    noisy, noisy_rmsd = noisy_protein(protein)
    folds = {"run_a": scaled, "run_b": noisy}
    for run, changes in CHANGES.items():
        with mp.Writer(str(root / "logs" / run)) as w:
            w.add("scan/true", mp.PointCloud(xyz, labels=truth, class_labels=CLASSES), step=0)
            w.add(
                "scan/pred",
                mp.PointCloud(xyz, labels=predicted(truth, changes), class_labels=CLASSES),
                step=0,
            )
            if run == "run_a":
                # A prediction of another size: nothing to pair point by point.
                w.add("lidar/true", mp.PointCloud(xyz, labels=truth, class_labels=CLASSES), step=0)
                w.add(
                    "lidar/pred", mp.PointCloud(xyz[:-10], labels=truth[:-10], class_labels=CLASSES), step=0
                )
            if run in folds:
                w.add("fold/true", mp.Molecule(protein, format="pdb"), step=0)
                w.add("fold/pred", mp.Molecule(folds[run], format="pdb"), step=0)
    return root, {"run_a": scaled_rmsd, "run_b": noisy_rmsd}, n_ca


@pytest.fixture(scope="module")
def server(logdir: tuple[Path, dict[str, float], int]) -> Iterator[TensorBoardServer]:
    root = logdir[0]
    with serving(root / "logs", root / "tb.log") as tb:
        yield tb


def cell(frame: Any, run: str, tag: str) -> Any:
    c = frame.locator(f'.mp-cell[data-run="{run}"][data-tag="{tag}"][data-state="ready"]')
    c.wait_for(timeout=90_000)
    return c


# How many pixels of a cell's 3D picture (its canvas, not the legend over it) are in the
# changed points' colour.
CHANGED_PIXELS = """(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const [r, g, b] = RGB;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (Math.abs(d[i] - r) <= 8 && Math.abs(d[i + 1] - g) <= 8 && Math.abs(d[i + 2] - b) <= 8) n++;
  return n;
}""".replace("RGB", str(list(CHANGED_RGB)))


def changed_pixels(locator: Any) -> int:
    return int(locator.locator("canvas.v3d-canvas").first.evaluate(CHANGED_PIXELS))


def expected_summary(changes: dict[tuple[int, int], int]) -> str:
    n = sum(changes.values())
    digits = 2 if 0 < n * 100 < POINTS else 1  # under 1%, two decimals
    return f"{n:,} of {POINTS:,} points changed class ({100 * n / POINTS:.{digits}f}%)"


def test_changed_points_counts_and_colours_in_every_cell(server: TensorBoardServer, page: Any) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    frame = open_media_tab(page, server.url, "tags=%5E(scan|lidar)/pred%24&x=run&y=tag&cell=330")
    cells = {run: cell(frame, run, "scan/pred") for run in CHANGES}
    lidar = cell(frame, "run_a", "lidar/pred")
    before = {run: changed_pixels(c) for run, c in cells.items()}
    assert before == {run: 0 for run in CHANGES}, "nothing is drawn in the changed colour before asking"

    # Turned on in the first cell: the overlay of its truth, then its changed points.
    first = cells["run_a"]
    first.hover()
    first.locator('button[data-control="menu"]').click()
    menu = frame.locator('[role="dialog"]:popover-open')
    menu.locator('[data-overlay="scan/true"] input[type=checkbox]').check()
    menu.locator('[data-control="changed-points"] input[type=checkbox]').check()
    until(
        lambda: menu.locator('[data-control="changed-summary"]').count() == 1,
        "the menu's changed-points summary",
    )
    assert menu.locator('[data-control="changed-summary"]').inner_text() == expected_summary(CHANGES["run_a"])
    rows = {
        r.get_attribute("data-change"): r.inner_text().split("\n")
        for r in menu.locator("[data-change]").all()
    }
    assert rows == {
        f"{a}>{b}": [f"{CLASSES[a]} → {CLASSES[b]}", f"{n:,}"] for (a, b), n in CHANGES["run_a"].items()
    }
    page.keyboard.press("Escape")

    # Every cell of the grid compares its own pair (the settings are grid-wide).
    for run, changes in CHANGES.items():
        readout = cells[run].locator('.v3d-readout[data-control="changed-points"]')
        until(lambda r=readout: r.count() == 1, f"{run}'s changed-points readout")
        assert readout.inner_text() == expected_summary(changes)
        assert readout.get_attribute("title") == expected_summary(changes)  # a small cell shows "N changed"
    # Each changed point is a square of at least 2x2 pixels in the changed colour (a few may
    # overlap): none changed, none drawn.
    for run, changes in CHANGES.items():
        n = sum(changes.values())
        until(
            lambda c=cells[run], n=n: 3 * n <= changed_pixels(c) <= 4 * n,
            f"{run}'s {n} changed points drawn in the changed colour",
        )
    # The in-cell legend (a large cell) counts both sides.
    legend = first.locator(".v3d-panel")
    changed_a = sum(CHANGES["run_a"].values())
    assert "changed class" in legend.inner_text() and f"{POINTS - changed_a:,}" in legend.inner_text()

    screenshot(page, "compare-3d-changed-points.png")

    # A prediction of another size says why it is not compared.
    lidar.hover()
    lidar.locator('button[data-control="menu"]').click()
    menu.locator('[data-overlay="lidar/true"] input[type=checkbox]').check()
    readout = lidar.locator('.v3d-readout[data-control="changed-points"]')
    until(lambda: readout.count() == 1, "lidar's readout")
    assert readout.inner_text() == (
        "Changed points: the clouds differ in size (2,000 and 1,990 points): points are paired by their order"
    )
    page.keyboard.press("Escape")
    assert changed_pixels(lidar) == 0

    # Full screen shows the same comparison.
    first.hover()
    first.locator('[data-control="fullscreen"]').click()
    box = frame.locator(".mp-lightbox")
    full = box.locator('.v3d-readout[data-control="changed-points"]')
    until(lambda: full.count() == 1, "the changed-points readout in full screen")
    assert full.inner_text() == expected_summary(CHANGES["run_a"])
    until(
        lambda: changed_pixels(box) >= 3 * changed_a, "full screen draws the changed points in their colour"
    )
    assert not page.errors


def test_number_keys_hide_point_cloud_classes_in_every_cell(server: TensorBoardServer, page: Any) -> None:
    frame = open_media_tab(page, server.url, "tags=%5Escan/true%24&x=run&y=tag")
    cells = {run: cell(frame, run, "scan/true") for run in CHANGES}

    def shown() -> dict[str, int]:
        return {run: int(c.locator("[data-shown-points]").get_attribute("data-shown-points") or -1)
                for run, c in cells.items()}

    until(lambda: shown() == {run: POINTS for run in CHANGES}, "every point drawn")
    cells["run_b"].hover()  # the middle cell
    page.keyboard.press("2")  # the second class: car (ground, class 0, is named: not background)
    per_class = POINTS // len(CLASSES)
    until(lambda: shown() == {run: POINTS - per_class for run in CHANGES}, "2 hides the cars in every cell")
    assert "pc.hiddenClasses" in urllib.parse.unquote(page.evaluate("location.hash"))
    page.keyboard.press("1")
    until(lambda: shown() == {run: POINTS - 2 * per_class for run in CHANGES}, "1 hides the ground too")
    page.keyboard.press("2")
    page.keyboard.press("1")
    until(lambda: shown() == {run: POINTS for run in CHANGES}, "pressed again, they show again")


def test_protein_rmsd_after_superposition(
    server: TensorBoardServer, logdir: tuple[Path, dict[str, float], int], page: Any
) -> None:
    _, rmsd, n_ca = logdir
    page.set_viewport_size({"width": 1280, "height": 800})
    # Only the predictions' cards: each overlays its truth (red truth, blue prediction).
    frame = open_media_tab(page, server.url, "tags=%5Efold/pred%24&x=run&y=tag&cell=360")
    for run, expected in rmsd.items():
        pred = cell(frame, run, "fold/pred")
        readout = pred.locator('.v3d-readout[data-control="rmsd"]')
        until(lambda r=readout: r.count() == 1, f"the RMSD readout over {run}'s predicted fold")
        assert readout.inner_text() == f"RMSD {expected:.2f} Å (after superposition, {n_ca} C\u03b1 atoms)"
        until(
            lambda p=pred: p.locator(".mol-host[data-frames]").count() == 1, f"{run}'s overlaid folds drawn"
        )

    # Superposed, the truth (red) lies over the prediction (blue) instead of beside it.
    pred = cell(frame, "run_a", "fold/pred")
    apart = colour_gap(pred)
    assert apart > 40, f"as logged, the prediction is moved away from the truth ({apart:.0f} px)"
    pred.hover()
    pred.locator('button[data-control="menu"]').click()
    menu = frame.locator('[role="dialog"]:popover-open')
    menu.locator('[data-control="superpose"] input[type=checkbox]').check()
    page.keyboard.press("Escape")
    # (Not 0: the red shows only where it peeks out from under the blue.)
    until(lambda: colour_gap(pred) < apart / 5, "the truth drawn superposed on the prediction")
    screenshot(page, "compare-3d-rmsd.png")
    assert not page.errors


def colour_gap(locator: Any) -> float:
    """Pixels between the centres of the red (truth) and the blue (prediction) parts of a cell."""
    require("PIL")
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    red = (r > 90) & (r > 2 * g) & (r > 2 * b)
    blue = (b > 90) & (b > 2 * r) & (b > 1.3 * g)
    ys, xs = np.mgrid[: img.shape[0], : img.shape[1]]
    if red.sum() < 200 or blue.sum() < 200:
        return float("inf")
    centre = lambda m: np.array([xs[m].mean(), ys[m].mean()])  # noqa: E731
    return float(np.linalg.norm(centre(red) - centre(blue)))
