"""Getting media out of the panel, in Chromium against a real `tensorboard --logdir`: a card's
"Download view as PNG" (cells at their logged resolution, masks and boxes as shown, labels) and a row's
"Export as video" (an MP4 of the row's steps, encoded by the server)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_media_tab, screenshot
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RUNS = ("a", "b")
STEPS = (0, 10, 20)
W, H = 24, 16  # logged size: far smaller than a cell on screen, and not square
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
OPACITY = 0.5  # set in the panel (the default is 0.6)


def colour(run: int, step: int) -> tuple[int, int, int]:
    return (30 + 90 * (step // 10), 60 + 120 * run, 140)


def image(run: int, step: int) -> np.ndarray:
    return np.broadcast_to(colour(run, step), (H, W, 3)).astype(np.uint8)


def mask() -> np.ndarray:
    ids = np.zeros((H, W), np.uint8)  # class 0, "background", is hidden by default
    ids[2:6, 2:8] = 1  # cat, red, shown
    ids[10:14, 14:20] = 2  # dog, blue, hidden in the panel
    return ids


def boxes() -> dict[str, Any]:
    mp = require("tb_media_panel")
    car = {"name": "car", "color": "#00ff00"}

    def box(x0: int, y0: int, x1: int, y1: int, score: float) -> dict[str, Any]:
        position = {"min_x": x0, "min_y": y0, "max_x": x1, "max_y": y1}
        return {"position": position, "domain": "pixel", "class_id": 3, "scores": {"score": score}}

    found, weak = box(12, 1, 22, 9, 0.9), box(2, 8, 10, 15, 0.2)
    return {"det": mp.Boxes([found, weak], class_labels={3: car})}


def write_logdir(root: Path) -> Path:
    mp = require("tb_media_panel")
    labels = {0: "background", 1: {"name": "cat", "color": "#ff0000"}, 2: {"name": "dog", "color": "#0000ff"}}
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / run)) as writer:
            for step in STEPS:
                seg = mp.Image(image(r, step), masks={"pred": mp.Mask(mask(), labels)}, boxes=boxes())
                writer.add("seg", seg, step=step)
                writer.add("plain", mp.Image(image(r, step)[::-1, ::-1].copy()), step=step)
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("export_panel")
    with serving(write_logdir(root / "logs"), root / "tb.log") as tb:
        yield tb


VIEWER = {
    "seg.layerOpacity": {"pred": OPACITY},
    "seg.hiddenClasses": {"2": True},
    "box.thresholds": {"score": 0.5},
}


@pytest.fixture(scope="module")
def shown(browser: Any, server: TensorBoardServer) -> Iterator[tuple[Any, Any]]:
    """One page for the module (a page load is seconds on a loaded machine): both cards, steps
    across, runs down, the masks at OPACITY with "dog" hidden."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    state = "tags=^(seg|plain)$&x=step&y=run&cell=120&viewer=" + json.dumps(VIEWER)
    frame = open_media_tab(page, server.url, state)
    for tag in ("seg", "plain"):
        cells = frame.locator(f'.mp-card[data-card="{tag}"] .mp-cell[data-state="ready"]')
        cells.nth(len(RUNS) * len(STEPS) - 1).wait_for(timeout=60_000)
    yield page, frame
    context.close()


def cell_boxes(png: np.ndarray) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """(run, step) -> left, top, right, bottom of the pixels of that cell's image colour."""
    found = {}
    for r in range(len(RUNS)):
        for step in STEPS:
            ys, xs = np.nonzero(np.all(np.abs(png[:, :, :3].astype(int) - colour(r, step)) <= 1, axis=2))
            assert len(xs), f"no pixel of run {RUNS[r]} step {step}'s colour"
            found[(r, step)] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return found


def test_download_view_as_png_has_the_logged_pixels_with_masks_as_shown(shown: tuple[Any, Any]) -> None:
    page, frame = shown
    card = frame.locator('.mp-card[data-card="seg"]')
    card.locator(".mp-card-layout-btn").click()
    button = frame.locator('.mp-card-menu [data-control="download-png"]')
    button.wait_for()
    card.locator(".mp-grid-rowlabels .mp-axis-label").first.hover()  # shows its mp4 control
    screenshot(page, "card-menu-export.png")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "seg.png"
    png = np.asarray(Image.open(io.BytesIO(Path(download.value.path()).read_bytes())).convert("RGB"))

    boxes = cell_boxes(png)
    # every cell at its logged size (not the 120 px it has on screen), runs down, steps across
    assert {(b[2] - b[0], b[3] - b[1]) for b in boxes.values()} == {(W, H)}
    lefts = [boxes[(0, s)][0] for s in STEPS]
    tops = [boxes[(r, 0)][1] for r in range(len(RUNS))]
    for r in range(len(RUNS)):
        assert [boxes[(r, s)][:2] for s in STEPS] == [(left, tops[r]) for left in lefts]
    gap = lefts[1] - lefts[0] - W
    assert 0 < gap <= 8 and lefts[2] - lefts[1] - W == gap and tops[1] - tops[0] - H == gap
    # labels: step headers above the cells, run names left of them, a margin of one gap after
    assert png.shape[1] == lefts[-1] + W + gap and png.shape[0] == tops[-1] + H + gap
    assert (png[: tops[0] - gap, lefts[0] :].min(axis=2) < 100).any(), "no column labels"
    assert (png[tops[0] :, : lefts[0] - gap].min(axis=2) < 100).any(), "no row labels"
    assert tops[0] > 2 * gap and lefts[0] > 2 * gap

    for (r, step), (x, y, _, _) in boxes.items():
        base = np.array(colour(r, step))
        cat = png[y + 3, x + 4].astype(int)  # class 1 at the shown opacity
        assert np.abs(cat - (OPACITY * np.array(RED) + (1 - OPACITY) * base)).max() <= 2, cat
        dog = png[y + 12, x + 16].astype(int)  # class 2, hidden: the image itself
        assert np.abs(dog - base).max() <= 1, dog
        # the box over the score threshold is outlined in its class colour; the one under it is not
        assert np.abs(png[y + 6, x + 12].astype(int) - GREEN).max() <= 2, png[y + 6, x + 12]
        assert np.abs(png[y + 11, x + 2].astype(int) - base).max() <= 1, png[y + 11, x + 2]
    assert not page.errors


def test_export_row_as_video_gives_the_logged_images_in_step_order(shown: tuple[Any, Any]) -> None:
    import av

    page, frame = shown
    card = frame.locator('.mp-card[data-card="plain"]')
    row = card.locator(".mp-grid-rowlabels .mp-axis-label", has_text="b")
    button = row.locator('button[aria-label="Export as video"]')
    # the columns are one step across the runs: no video there
    assert card.locator('.mp-grid-inner .mp-axis-label button[aria-label="Export as video"]').count() == 0
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "b-plain-0-20.mp4"
    data = Path(download.value.path()).read_bytes()
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == len(STEPS)
    for got, step in zip(frames, STEPS, strict=True):
        assert got.shape == (H, W, 3)
        assert np.abs(got.astype(int) - image(1, step)[::-1, ::-1]).mean() <= 3, step
    assert not page.errors
