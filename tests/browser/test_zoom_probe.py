"""Locked pan and zoom and the pixel probe, read back pixel by pixel in a real TensorBoard.

Every image of a card follows one zoom: at 8x a logged pixel fills an 8x8 square of one colour
(nearest neighbour) at the same place in every cell; dragging pans them all; a mask's edge stays
on its image pixel's edge; the zoom is in the link and a reloaded link shows the same view. The
probe, hovered over a cell in the middle of the grid, shows in every cell the exact RGBA that
was logged (alpha below 255 too) and the class name and id of every mask layer."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, screenshot, until
from tests.browser.test_panel import CARD, hash_state, settled

SIZE = 32
RUNS = ("a", "b", "c")
STEPS = (0, 1, 2)
#: The pixel the probe reads: its row is translucent, so RGBA must be exact (no premultiply).
PROBE = (21, 29)
CLASSES = {0: "background", 1: "cat", 2: "dog"}
#: The "cat" rectangle of every mask (x0, y0, x1, y1), its left edge on image column 8.
CAT = (8, 4, 24, 20)


def picture(r: int, step: int) -> np.ndarray:
    """RGBA: red by column, green by row, blue by run and step; rows 28..31 translucent."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    rgba = np.zeros((SIZE, SIZE, 4), np.uint8)
    rgba[..., 0] = x * 8
    rgba[..., 1] = y * 8
    rgba[..., 2] = 40 * r + 10 * step + 3
    rgba[..., 3] = 255
    rgba[28:, :, 3] = 97 + x[28:] * 3
    return rgba


def mask(r: int, step: int) -> np.ndarray:
    ids = np.full((SIZE, SIZE), 2, np.uint8)
    ids[:, :4] = 0
    x0, y0, x1, y1 = CAT
    ids[y0:y1, x0:x1] = 1
    ids[PROBE[1], PROBE[0]] = (r + step) % 3  # the probed pixel's class differs per cell
    return ids


def write_logdir(root: Path) -> Path:
    """Three runs x three steps of `photo` (plain RGBA) and `seg` (RGB with a mask and a box)."""
    import tb_media_panel as mp

    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / run)) as w:
            for step in STEPS:
                w.add("photo", mp.Image(picture(r, step)), step=step)
                box = {"position": {"min_x": 0.5, "min_y": 0.5, "max_x": 0.75, "max_y": 0.75}, "class_id": 2}
                w.add(
                    "seg",
                    mp.Image(
                        picture(r, step)[..., :3],
                        masks={"pred": mp.Mask(mask(r, step), CLASSES)},
                        boxes={"det": mp.Boxes([box], CLASSES)},
                    ),
                    step=step,
                )
    return root


@pytest.fixture(scope="module")
def zoom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.tb_server import serving

    root = write_logdir(tmp_path_factory.mktemp("zoom"))
    with serving(root, tmp_path_factory.mktemp("tb") / "tb.log") as server:
        yield server


Box = dict[str, float]
VIEWPORT = {"photo": ".mp-image-frame", "seg": ".ai-stage"}


def cell(frame: Any, card: str, run: str, step: int) -> Any:
    return frame.locator(f'{CARD.format(card)} .mp-cell[data-run="{run}"][data-step="{step}"]')


def viewports(frame: Any, card: str) -> dict[tuple[str, int], Box]:
    """The image viewport of every ready cell of `card`, by (run, step), in page pixels."""
    out: dict[tuple[str, int], Box] = {}
    for run in RUNS:
        for step in STEPS:
            el = cell(frame, card, run, step).locator(VIEWPORT[card])
            box = el.bounding_box() if el.count() == 1 else None
            if box:
                out[(run, step)] = box
    return out


def ready(frame: Any, card: str) -> dict[tuple[str, int], Box] | None:
    if not settled(frame, card):
        return None
    v = viewports(frame, card)
    return v if len(v) == len(RUNS) * len(STEPS) else None


def grab(page: Any) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)


def block(shot: np.ndarray, box: Box, t: list[float], x: int, y: int) -> np.ndarray:
    """The screen square of image pixel (x, y) under transform t = [scale, tx, ty] (centre-anchored),
    less a pixel at each edge (the viewport may sit at a fractional page position)."""
    s, tx, ty = t
    left = box["x"] + box["width"] / 2 + (x - tx) * s
    top = box["y"] + box["height"] / 2 + (y - ty) * s
    return shot[int(np.ceil(top)) + 1 : int(top + s) - 1, int(np.ceil(left)) + 1 : int(left + s) - 1]


def uniform(b: np.ndarray) -> list[int] | None:
    """The one colour of a block, or None when it has more than one (blended, misplaced)."""
    colours = np.unique(b.reshape(-1, 3), axis=0)
    return [int(c) for c in colours[0]] if b.size and len(colours) == 1 else None


def view_of(page: Any) -> dict[str, list[float]]:
    q = urllib.parse.parse_qs(hash_state(page))
    return json.loads(q["view"][0]) if "view" in q else {}


def state(tags: str, view: dict[str, list[float]] | None = None) -> str:
    s = f"tags={tags}&cell=160"
    return s + (f"&view={urllib.parse.quote(json.dumps(view))}" if view else "")


def drag_by(page: Any, box: Box, dx: float, dy: float) -> tuple[float, float]:
    """Drags from 40 px into the cell's box by (dx, dy); returns where the drag began."""
    x0, y0 = box["x"] + 40, box["y"] + 40
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + dx, y0 + dy, steps=4)
    page.mouse.up()
    return x0, y0


def expect_blocks(page: Any, frame: Any, t: list[float], x: int, y: int) -> None:
    """In every photo cell, image pixel (x, y) and its neighbours fill whole squares of their
    logged colour: one transform for every cell, nearest-neighbour."""
    boxes = until(lambda: ready(frame, "photo"), "the photo cells show")
    shot = grab(page)
    for (run, step), box in boxes.items():
        r = RUNS.index(run)
        for dx in (-1, 0, 1):
            got = uniform(block(shot, box, t, x + dx, y))
            want = [int(v) for v in picture(r, step)[y, x + dx, :3]]
            assert got == want, f"{run} step {step}: pixel ({x + dx}, {y}) at {t[0]}x is {got}, logged {want}"


def test_zoom_and_pan_are_locked_across_the_card_kept_in_the_link_and_masks_stay_aligned(
    page: Any, zoom_server: Any
) -> None:
    frame = open_media_tab(page, zoom_server.url, state("^photo$"))
    boxes = until(lambda: ready(frame, "photo"), "the photo cells show")
    middle = boxes[("b", 1)]
    # Ctrl + wheel over the middle cell zooms every image cell of the card about the pointer
    page.mouse.move(middle["x"] + middle["width"] / 2, middle["y"] + middle["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    zoomed = until(lambda: view_of(page).get("photo"), "the zoom lands in the link")
    assert zoomed[0] > min(middle["width"], middle["height"]) / SIZE, "zoomed in beyond fit"
    planes = frame.locator(f"{CARD.format('photo')} img.vt-plane")
    until(lambda: planes.count() == 9, "every photo cell is zoomed")
    transforms = set(planes.evaluate_all("els => els.map(e => e.style.transform)"))
    assert len(transforms) == 1, f"one transform for every cell, got {transforms}"

    # a link at 8x centred on (16, 16): pixel (21, 10) is an 8x8 square of its logged colour
    t = [8, 16, 16]
    frame = open_media_tab(page, zoom_server.url, state("^photo$", {"photo": t}))
    expect_blocks(page, frame, t, 21, 10)
    # dragging one cell by (16, 8) px pans them all by (2, 1) image pixels, and into the link
    boxes = until(lambda: ready(frame, "photo"), "the photo cells show")
    drag_by(page, boxes[("b", 1)], 16, 8)
    until(lambda: view_of(page).get("photo") == [8, 14, 15], "the pan lands in the link")
    expect_blocks(page, frame, [8, 14, 15], 21, 10)
    # a reloaded link shows the same view
    link = hash_state(page)
    frame = open_media_tab(page, zoom_server.url, link)
    expect_blocks(page, frame, [8, 14, 15], 21, 10)
    # double-click resets every cell to fit, and the link forgets the zoom
    boxes = until(lambda: ready(frame, "photo"), "the photo cells show")
    cell(frame, "photo", "c", 2).locator(".mp-image-frame").dblclick(position={"x": 50, "y": 50})
    until(lambda: "photo" not in view_of(page), "the link is back to fit")
    until(lambda: planes.count() == 0, "every cell fits again")

    # masks at 8x: the "cat" rectangle's left edge is the edge between image columns 7 and 8
    t = [8, 12, 12]
    frame = open_media_tab(page, zoom_server.url, state("^seg$", {"seg": t}))
    boxes = until(lambda: ready(frame, "seg"), "the seg cells show")
    until(lambda: frame.locator(f"{CARD.format('seg')} canvas[data-layer=pred]").count() == 9, "masks drawn")
    shot = grab(page)
    for (run, step), box in boxes.items():
        cols = [uniform(block(shot, box, t, x, 10)) for x in (6, 7, 8, 9)]
        assert all(c is not None for c in cols), f"{run} step {step}: a mask edge inside a pixel {cols}"
        c6, c7, c8, c9 = (np.array(c) for c in cols)
        # the dog tint on 6 and 7, the cat tint on 8 and 9: the step of colour between 7 and 8
        # is not the image's own column step (the one between 6 and 7, and 8 and 9)
        assert list(c7 - c6) == list(c9 - c8), f"{run} step {step}: {cols}"
        assert list(c8 - c7) != list(c7 - c6), f"{run} step {step}: the mask edge is not on column 8 {cols}"
    # Cells with masks pan and reset as the plain ones do: a drag on the middle cell, a double-click.
    x0, y0 = drag_by(page, boxes[("b", 1)], 16, 8)
    until(lambda: view_of(page).get("seg") == [8, 10, 11], "a masked cell's pan lands in the link")
    page.mouse.dblclick(x0, y0)
    until(lambda: "seg" not in view_of(page), "a double-click on a masked cell fits again")


def probe_lines(frame: Any, card: str) -> dict[tuple[str, int], str]:
    """What the probe shows in each cell (the label of the cells not hovered)."""
    out = {}
    for run in RUNS:
        for step in STEPS:
            layer = cell(frame, card, run, step).locator(".pp-layer")
            if layer.count():
                out[(run, step)] = layer.first.get_attribute("data-value") or ""
    return out


def hover_pixel(page: Any, box: Box, x: int, y: int) -> None:
    """The pointer on image pixel (x, y)'s centre of a fitted cell."""
    s = min(box["width"], box["height"]) / SIZE
    page.mouse.move(
        box["x"] + (box["width"] - SIZE * s) / 2 + (x + 0.5) * s,
        box["y"] + (box["height"] - SIZE * s) / 2 + (y + 0.5) * s,
    )


def test_the_probe_shows_the_logged_rgba_and_class_in_every_cell(page: Any, zoom_server: Any) -> None:
    x, y = PROBE
    frame = open_media_tab(page, zoom_server.url, state("^photo$"))
    boxes = until(lambda: ready(frame, "photo"), "the photo cells show")
    hover_pixel(page, boxes[("b", 1)], x, y)
    want = {
        (run, step): "RGBA {} {} {} {}".format(*picture(RUNS.index(run), step)[y, x])
        for run in RUNS
        for step in STEPS
    }
    until(lambda: probe_lines(frame, "photo") == want, "every cell's exact RGBA")
    tip = frame.locator(".pp-tip")
    assert tip.get_attribute("data-text") == f"x {x}, y {y}\n{want[('b', 1)]}"

    frame = open_media_tab(page, zoom_server.url, state("^seg$"))
    boxes = until(lambda: ready(frame, "seg"), "the seg cells show")
    hover_pixel(page, boxes[("b", 1)], x, y)

    def seg_line(run: str, step: int) -> str:
        r = RUNS.index(run)
        cls = mask(r, step)[y, x]
        return "RGB {} {} {}\npred: {} ({})".format(*picture(r, step)[y, x, :3], CLASSES[int(cls)], cls)

    want = {(run, step): seg_line(run, step) for run in RUNS for step in STEPS}
    until(lambda: probe_lines(frame, "seg") == want, "every cell's exact RGB and class")

    # the picture for the README: the seg card at 10x (the cat's corner, the box's), probed in the middle
    frame = open_media_tab(page, zoom_server.url, state("^seg$", {"seg": [10, 12, 10]}))
    boxes = until(lambda: ready(frame, "seg"), "the seg cells show")
    b = boxes[("b", 1)]
    page.mouse.move(b["x"] + b["width"] / 2 - 25, b["y"] + b["height"] / 2 - 45)
    until(lambda: len(probe_lines(frame, "seg")) == 9, "the probe in every cell")
    screenshot(page, "zoom-probe.png")
