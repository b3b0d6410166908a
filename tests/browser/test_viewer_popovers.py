"""Cell menus in the middle of a grid, in Chromium against a real `tensorboard --logdir`.

A cell's menu (mask layers and classes, point-cloud colours ...) opens from a button in the
cell's corner. It must sit above every other cell, stay inside the window, and be usable in every
row and column, at every cell size, in grid, gallery, compare and full-screen cards: it once drew
under the next row's images, which took its clicks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import SCREENSHOTS, open_media_tab, until
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RUNS = ("run_a", "run_b", "run_c")
STEPS = (0, 1, 2, 3, 4)
N_CLASSES = 14
W, H = 40, 30


def segmentation(r: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """A picture and a mask with every class in a vertical band, shifted per run and step."""
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([x * 6, y * 8, np.full_like(x, 40 * r + 20)], axis=-1).clip(0, 255).astype(np.uint8)
    mask = ((x * N_CLASSES // W + step + r) % N_CLASSES).astype(np.uint16)
    return img, mask


def write_logdir(root: Path) -> Path:
    mp = require("tb_media_panel")
    labels = {i: f"class_{i:02d}" for i in range(N_CLASSES)}
    rng = np.random.default_rng(1)
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / run)) as w:
            for step in STEPS:
                img, mask = segmentation(r, step)
                masks = {
                    "prediction": mp.Mask(mask, labels),
                    "truth": mp.Mask(np.roll(mask, 2, axis=1), labels),
                }
                w.add("seg", mp.Image(img, masks=masks), step=step)
                w.add("seg_b", mp.Image(img[::-1].copy(), masks=masks), step=step)
                cloud = rng.normal(size=(400, 3)).astype(np.float32)
                w.add(
                    "cloud",
                    mp.PointCloud(
                        cloud, labels=(cloud[:, 2] > 0).astype(np.uint8), class_labels={0: "low", 1: "high"}
                    ),
                    step=step,
                )
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("popovers")
    with serving(write_logdir(root / "logs"), root / "tb.log") as tb:
        yield tb


def cells_to_check(frame: Any, tag: str) -> list[Any]:
    """Row 2 of 3 in the middle column (the middle of the grid), row 1 of the same column and row 2
    of the first column, each scrolled into view: which element paints over which depends on where
    a cell is (the row labels sit left of the first column) and on the order cells mounted."""
    sel = f'.mp-cell[data-tag="{tag}"][data-state="ready"]'
    until(lambda: frame.locator(sel).count() >= 6, f"{tag} cells ready")
    cols = sorted({int(c) for c in frame.locator(sel).evaluate_all("els => els.map(e => e.dataset.col)")})
    rows = sorted({int(r) for r in frame.locator(sel).evaluate_all("els => els.map(e => e.dataset.row)")})
    assert len(rows) >= 3, f"expected 3 rows of {tag}, got {rows}"
    out = []
    for row, col in ((rows[1], cols[len(cols) // 2]), (rows[0], cols[len(cols) // 2]), (rows[1], cols[0])):
        cell = frame.locator(f'{sel}[data-row="{row}"][data-col="{col}"]')
        cell.scroll_into_view_if_needed()
        out.append((f"r{row}c{col}", cell))
    return out


def open_menu(frame: Any, cell: Any, control: str) -> tuple[Any, Any]:
    cell.hover()
    button = cell.locator(f'button[data-control="{control}"]')
    assert button.get_attribute("aria-haspopup") == "dialog"
    button.click()
    dialog = frame.locator('[role="dialog"]:visible')
    until(lambda: dialog.count() == 1, "the menu opens", timeout=10)
    assert button.get_attribute("aria-expanded") == "true"
    return button, dialog


def assert_usable(frame: Any, dialog: Any, controls: str) -> None:
    """Inside the window, and each control is the topmost element at its centre (nothing covers it)."""
    box = dialog.evaluate(
        "d => { const r = d.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight]; }"
    )
    left, top, right, bottom, vw, vh = box
    assert left >= 0 and top >= 0 and right <= vw + 0.5 and bottom <= vh + 0.5, f"menu off screen: {box}"
    covered = dialog.evaluate(
        """(d, sel) => [...d.querySelectorAll(sel)].map(el => {
             el.scrollIntoView({block: 'nearest'});
             const r = el.getBoundingClientRect();
             const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             const ok = hit && (el === hit || el.contains(hit) || hit.contains(el));
             return ok ? null : [el.outerHTML.slice(0, 60), hit && hit.className];
           }).filter(x => x)""",
        controls,
    )
    assert not covered, f"controls covered by other elements: {covered[:3]}"


def check_menu(page: Any, frame: Any, cell: Any, control: str, controls: str, name: str) -> None:
    button, dialog = open_menu(frame, cell, control)
    assert_usable(frame, dialog, controls)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"popover-{name}.png"))
    # A real click on a control deep in the list: no other cell takes it.
    target = dialog.locator(controls).last
    target.scroll_into_view_if_needed()
    target.click(timeout=5_000)
    expanded = frame.locator(".mp-card.mp-expanded").count()
    page.keyboard.press("Escape")
    until(lambda: dialog.count() == 0, "Escape closes the menu", timeout=10)
    assert button.get_attribute("aria-expanded") == "false"
    assert button.evaluate("b => b.ownerDocument.activeElement === b"), "focus goes back to the menu button"
    # Escape closes the menu only: a full-screen card behind it stays full screen.
    assert frame.locator(".mp-card.mp-expanded").count() == expanded


MASK_CONTROLS = "[data-class-id] input[type=checkbox], [data-layer] input[type=range]"


@pytest.mark.parametrize(
    ("viewport", "cell"),
    [((1600, 1000), 48), ((1600, 1000), 128), ((1280, 800), 128), ((1280, 800), 256)],
)
def test_mask_menu_in_the_middle_of_the_grid_is_above_every_cell(
    server: TensorBoardServer, page: Any, viewport: tuple[int, int], cell: int
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    frame = open_media_tab(page, server.url, f"tags=%5Eseg%24&cell={cell}")
    for where, target in cells_to_check(frame, "seg"):
        check_menu(page, frame, target, "drawer", MASK_CONTROLS, f"mask-{cell}-{viewport[0]}-{where}")
    assert not page.errors


@pytest.mark.parametrize(
    ("state", "tag"),
    [
        ("tags=%5Eseg%24&mode=gallery&by=run&cell=128", "seg"),
        ("tags=%5Eseg&cmp=seg&cmp=seg_b&cell=128", "seg_b"),
        ("tags=%5Eseg%24&expanded=seg&cell=128", "seg"),
    ],
    ids=["gallery", "compare", "full-screen"],
)
def test_mask_menu_in_gallery_compare_and_full_screen(
    server: TensorBoardServer, page: Any, state: str, tag: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    frame = open_media_tab(page, server.url, state)
    sel = f'.mp-cell[data-tag="{tag}"][data-state="ready"]'
    until(lambda: frame.locator(sel).count() >= 2, "cells ready")
    # The cell nearest the middle of the window.
    idx = frame.locator(sel).evaluate_all(
        "els => { const d = e => { const r = e.getBoundingClientRect();"
        " return Math.hypot((r.left + r.right) / 2 - innerWidth / 2,"
        " (r.top + r.bottom) / 2 - innerHeight / 2); };"
        " let best = 0; els.forEach((e, i) => { if (d(e) < d(els[best])) best = i; }); return best; }"
    )
    check_menu(
        page, frame, frame.locator(sel).nth(idx), "drawer", MASK_CONTROLS, state.split("&")[1].split("=")[0]
    )
    assert not page.errors


@pytest.mark.parametrize(("viewport", "cell"), [((1600, 1000), 128), ((1280, 800), 48), ((1280, 800), 256)])
def test_point_cloud_menu_in_the_middle_of_the_grid(
    server: TensorBoardServer, page: Any, viewport: tuple[int, int], cell: int
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    frame = open_media_tab(page, server.url, f"tags=%5Ecloud%24&cell={cell}")
    for where, target in cells_to_check(frame, "cloud"):
        check_menu(page, frame, target, "menu", "select, input", f"cloud-{cell}-{viewport[0]}-{where}")
    assert not page.errors
