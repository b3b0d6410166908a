"""The demo in the Media tab as a newcomer sees it, and the README's demo screenshots.

One quick demo logdir is written and served for the module; each test opens a view of it a
user would pick (the panel's URL state: runs, tags, axes, cell size), waits until every cell
is ready and painted, checks what a user would notice (the expected kinds, media that change
between the first and the last logged step, no error on the page) and then writes the picture
into docs/screenshots/demo-*.png.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tb_media_panel.cli import TOUR_STATE
from tests.browser.conftest import open_media_tab, screenshot, until
from tests.conftest import require
from tests.test_demo import DEMO_DEPENDENCIES

pytestmark = pytest.mark.browser

CELL_FIELDS = """els => els.map(e => {
  const r = e.getBoundingClientRect();
  return {run: e.dataset.run, tag: e.dataset.tag, step: e.dataset.step, state: e.dataset.state,
          kind: e.dataset.kind || '', text: e.innerText, x: r.x, y: r.y, w: r.width, h: r.height};
})"""

# The left and right edges of each cell's 3D readout (RMSD, changed points), null without one.
READOUTS = """els => els.map(e => {
  const r = e.querySelector('.v3d-readout')?.getBoundingClientRect();
  return r && r.width ? [r.left, r.right] : null;
})"""


@pytest.fixture(scope="module")
def steps() -> list[int]:
    from tb_media_panel.demo.config import DemoConfig

    return DemoConfig.make(True).logged_steps()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`tb-media-panel demo --quick` written once, served by a real TensorBoard; always stopped."""
    for module in DEMO_DEPENDENCIES:
        require(module)
    from tb_media_panel.demo import write_demo
    from tests.tb_server import TensorBoardServer

    logdir = tmp_path_factory.mktemp("demo") / "logdir"
    assert write_demo(logdir, quick=True, progress=None)
    server = TensorBoardServer(str(logdir), [], log_path=tmp_path_factory.mktemp("tb") / "tb.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Kinds drawn on an opaque canvas of one background colour, from edge to edge of the cell.
SCENE_KINDS = ("molecule", "object3d", "pointcloud")


def inner_box(cell: dict[str, Any]) -> tuple[int, int, int, int]:
    """The cell's rectangle on the screenshot, less its border."""
    x, y, w, h = cell["x"], cell["y"], cell["w"], cell["h"]
    return int(x) + 2, int(y) + 2, int(x + w) - 2, int(y + h) - 2


class Shown:
    """The cells of the open view with their pixels, once every one is ready and painted."""

    def __init__(self, cells: list[dict[str, Any]], image: Any) -> None:
        self.cells = cells
        self.image = image

    def pixels(self, cell: dict[str, Any]) -> bytes:
        return self.image.crop(inner_box(cell)).tobytes()

    def drawn(self, cell: dict[str, Any]) -> float:
        """The share of the cell's pixels not of its most common colour (its background): counting
        colours instead called a point cloud blank, its points being a few flat class colours."""
        counts = self.image.crop(inner_box(cell)).getcolors(maxcolors=1 << 20) or []
        total = sum(n for n, _ in counts)
        return 1 - max(n for n, _ in counts) / total if total else 0.0

    def top_marks(self, cell: dict[str, Any]) -> list[tuple[int, int, int]]:
        """Colours along the top rows of a 3D or molecule cell other than its scene's even
        background: marks of the cell's chrome (a run-colour strip under an opaque canvas once
        left two dots at its top corners)."""
        x, y = math.ceil(cell["x"]), math.ceil(cell["y"])
        strip = np.asarray(self.image.crop((x, y, int(cell["x"] + cell["w"]), y + 4)))
        if cell.get("readout"):
            left, right = (int(v) - x for v in cell["readout"])
            strip = np.concatenate([strip[:, : max(0, left - 2)], strip[:, right + 2 :]], axis=1)
        colours = {tuple(int(v) for v in px) for px in strip.reshape(-1, 3)}
        # The background is the lightest colour; anti-aliased rounded corners stay close to it.
        background = max(colours, key=sum)
        return [c for c in colours if max(abs(a - b) for a, b in zip(c, background, strict=True)) > 12]

    def sides_clear(self, cell: dict[str, Any]) -> bool:
        """Nothing drawn in the outer columns of a 3D or molecule cell: the scene fits its width
        (3Dmol fitted molecules to the height only, clipping them in portrait cells)."""
        x0, y0, x1, y1 = inner_box(cell)
        px = np.asarray(self.image.crop((x0, y0, x1, y1))).astype(int)
        background = px[0, px.shape[1] // 2]
        edges = np.concatenate([px[:, :3], px[:, -3:]], axis=1)
        return bool((np.abs(edges - background).max(axis=-1) <= 24).all())

    def where(self, **fields: str) -> list[dict[str, Any]]:
        """Matching cells, left to right then top to bottom."""
        found = [c for c in self.cells if all(c[k] == v for k, v in fields.items())]
        return sorted(found, key=lambda c: (round(c["y"]), c["x"]))

    def rows(self) -> list[list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for c in self.cells:
            out.setdefault(round(c["y"]), []).append(c)
        return [sorted(r, key=lambda c: c["x"]) for _, r in sorted(out.items())]


def show(page: Any, url: str, state: str, expected_cells: int, moving_kinds: tuple[str, ...] = ()) -> Shown:
    """Open the Media tab at `state`; wait for `expected_cells` ready cells, all in the viewport,
    and for their pixels to stop changing (3D scenes and molecules paint after loading)."""
    from PIL import Image

    frame = open_media_tab(page, url, state)
    cells_el = frame.locator(".mp-cell")

    def ready() -> list[dict[str, Any]] | None:
        cells = cells_el.evaluate_all(CELL_FIELDS)
        if len(cells) != expected_cells or any(c["state"] == "loading" for c in cells):
            return None
        return cells

    cells = until(ready, f"{expected_cells} cells loaded for {state}")
    # The rectangles are the iframe's; the screenshot is the page's, with TensorBoard's header above.
    origin = page.locator('iframe[src*="plugin_entry.html?name=media_panel"]').bounding_box()
    for c in cells:
        c["x"] += origin["x"]
        c["y"] += origin["y"]
    assert [c for c in cells if c["state"] != "ready"] == [], "every cell shows its item"
    for c in cells:
        assert c["y"] >= 0 and c["y"] + c["h"] <= 900 and c["x"] + c["w"] <= 1400, f"cell off screen: {c}"
    page.mouse.move(1, 899)  # no cell hovered: the screenshot shows media, not hover controls
    previous: list[Any] = [None]

    def painted() -> Shown | None:
        shot = Shown(cells, Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
        still = [shot.pixels(c) for c in cells if c["kind"] not in moving_kinds]
        stable, previous[0] = still == previous[0], still
        return shot if stable else None

    shown = until(painted, "cells painted and still")
    # A readout (RMSD of an overlaid pair) is meant to sit in the top corner: not a stray mark.
    for c, edges in zip(cells, cells_el.evaluate_all(READOUTS), strict=True):
        c["readout"] = None if edges is None else [v + origin["x"] for v in edges]
    assert frame.locator(".mp-notice-error").count() == 0
    assert [t for t in frame.locator(".mp-filter-error").all_inner_texts() if t.strip()] == []
    assert page.errors == []
    for c in cells:
        assert shown.drawn(c) > 0.005, f"a blank cell: {c['run']} {c['tag']} step {c['step']}"
        if c["kind"] in SCENE_KINDS:
            marks = shown.top_marks(c)
            assert not marks, f"marks along the top of {c['tag']} step {c['step']}: {marks}"
            assert shown.sides_clear(c), f"{c['tag']} step {c['step']} runs off the cell's sides"
    return shown


def changed_over_steps(shown: Shown, steps: list[int], **fields: str) -> None:
    """The cell at the first logged step looks different from the one at the last."""
    first = shown.where(step=str(steps[0]), **fields)
    last = shown.where(step=str(steps[-1]), **fields)
    assert first and last, fields
    assert shown.pixels(first[0]) != shown.pixels(last[0]), f"{fields}: unchanged from step {steps[0]}"


def save(page: Any, name: str) -> Path:
    path = screenshot(page, name)
    assert path.stat().st_size > 20_000, f"{name} looks empty"
    return path


def test_overview_one_run_four_kinds_over_steps(page: Any, demo_server: Any, steps: list[int]) -> None:
    """The README's first picture: one run's masks, point cloud, protein and mesh improving step by step."""
    tags = ("mesh/fitted_shape", "pointcloud/predicted", "segmentation/validation", "structure/predicted")
    # The tour `tb-media-panel demo` prints.
    shown = show(page, demo_server.url, TOUR_STATE, len(tags) * len(steps))
    rows = shown.rows()
    assert [[c["tag"] for c in row] for row in rows] == [list(tags)] * len(steps), "x = tag, y = step"
    assert [row[0]["step"] for row in rows] == [str(s) for s in steps]
    kinds = {c["tag"]: c["kind"] for c in shown.cells}
    assert kinds == dict(zip(tags, ("object3d", "pointcloud", "image", "molecule"), strict=True))
    for tag in tags:
        changed_over_steps(shown, steps, tag=tag)
    save(page, "demo-overview.png")


def test_segmentation_over_steps_and_runs(page: Any, demo_server: Any, steps: list[int]) -> None:
    runs = ("lr=0.001", "lr=0.003", "lr=0.01")
    shown = show(page, demo_server.url, "tags=^segmentation/validation$&cell=196", len(runs) * len(steps))
    assert [row[0]["run"] for row in shown.rows()] == list(runs), "one row per run"
    assert all(c["kind"] == "image" and "mIoU" in c["text"] for c in shown.cells), "every mask is scored"
    for run in runs:
        changed_over_steps(shown, steps, run=run)
    last = [shown.pixels(c) for c in shown.where(step=str(steps[-1]))]
    assert len(set(last)) > 1, "runs with different learning rates predict different masks"
    save(page, "demo-segmentation.png")


def test_protein_prediction_over_the_truth(page: Any, demo_server: Any, steps: list[int]) -> None:
    runs = ("lr=0.001", "lr=0.01")
    state = "runs=^lr=0.0(01|1)$&tags=^structure/predicted$|^structure/true$&cell=300"
    # The predicted card, with the true structure overlaid in each cell, fills the screen; the
    # true card below it mounts no cells until scrolled to.
    shown = show(page, demo_server.url, state, len(runs) * len(steps))
    assert {c["tag"] for c in shown.cells} == {"structure/predicted"}
    assert all(c["kind"] == "molecule" for c in shown.cells)
    for run in runs:
        changed_over_steps(shown, steps, run=run)
    save(page, "demo-structures.png")


def test_point_cloud_prediction_and_truth(page: Any, demo_server: Any, steps: list[int]) -> None:
    state = "runs=^lr=0.003$&tags=^pointcloud/&x=step&y=tag&cell=290"
    shown = show(page, demo_server.url, state, 2 * len(steps))
    assert [row[0]["tag"] for row in shown.rows()] == ["pointcloud/predicted", "pointcloud/true"]
    assert all(c["kind"] == "pointcloud" for c in shown.cells)
    changed_over_steps(shown, steps, tag="pointcloud/predicted")
    for c in shown.cells:
        # Labelled points start coloured by class, not in the scan's grey intensity ...
        px = np.asarray(shown.image.crop(inner_box(c))).astype(int)
        background = px[0, 0]
        drawn = np.abs(px - background).max(axis=-1) > 12
        hue = px.max(axis=-1) - px.min(axis=-1) > 40
        assert (drawn & hue).sum() > 0.5 * drawn.sum(), f"grey points in {c['tag']} step {c['step']}"
        # ... and the scene fills the cell: its drawn extent spans most of the width and height.
        ys, xs = np.nonzero(drawn)
        w, h = drawn.shape[1], drawn.shape[0]
        assert xs.max() - xs.min() > 0.8 * w and ys.max() - ys.min() > 0.5 * h, f"a small scene: {c}"
    save(page, "demo-pointcloud.png")


def test_3d_models_in_every_format(page: Any, demo_server: Any, steps: list[int]) -> None:
    state = "runs=^lr=0.01$&tags=^mesh/formats$&x=index&y=step&cell=180"
    shown = show(page, demo_server.url, state, 5 * len(steps))
    rows = shown.rows()
    assert [row[0]["step"] for row in rows] == [str(s) for s in steps]
    assert all(c["kind"] == "object3d" for c in shown.cells)
    for row in rows:  # OBJ, glTF, PLY, STL, GLB: five different models side by side
        assert len({shown.pixels(c) for c in row}) == 5
    for first, last in zip(rows[0], rows[-1], strict=True):  # each model turns over the steps
        assert shown.pixels(first) != shown.pixels(last)
    save(page, "demo-3d-models.png")


def test_legacy_torch_logs_in_the_media_tab(page: Any, demo_server: Any, steps: list[int]) -> None:
    """A run written only with torch's SummaryWriter: add_image, add_images, add_mesh, add_audio,
    add_text and add_video, all in one card (x = tag, y = step)."""
    kinds = {
        "legacy/cat": "image",
        "legacy/digit_samples": "image",
        "legacy/fitted_shape": "object3d",
        "legacy/generated": "audio",
        "legacy/notes": "text",
        "legacy/rollout": "video",
    }
    state = "runs=^legacy&x=tag&y=step&cell=160"
    shown = show(page, demo_server.url, state, len(kinds) * len(steps), moving_kinds=("video",))
    assert {c["run"] for c in shown.cells} == {"legacy_torch_writer"}
    assert {c["tag"]: c["kind"] for c in shown.cells} == kinds
    assert "Legacy run" in shown.where(tag="legacy/notes")[0]["text"]
    # add_text is markdown, as TensorBoard's text tab shows it: a heading, code and a table.
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    notes = frame.locator('.mp-cell[data-tag="legacy/notes"]')
    first = notes.first.locator(".mp-md")
    assert first.locator("h3").inner_text() == "Legacy run"
    assert first.locator("table tbody tr").count() == 6
    assert "`" not in first.inner_text() and "|" not in first.inner_text()
    # Later steps show step 0's notes with a "step 0" badge, which must not cover the text.
    later = notes.filter(has=frame.locator(".mp-cell-badge:not(:empty)"))
    assert later.count() == len(steps) - 1
    for i in range(later.count()):
        badge = later.nth(i).locator(".mp-cell-badge").bounding_box()
        heading = later.nth(i).locator(".mp-md h3").bounding_box()
        assert badge["y"] + badge["height"] <= heading["y"], (badge, heading)
    for tag in ("legacy/cat", "legacy/digit_samples", "legacy/fitted_shape", "legacy/generated"):
        changed_over_steps(shown, steps, tag=tag)
    save(page, "demo-legacy.png")
