"""Camera sync reaches every cell, the ones shown as stills too (issue 14 item 8), in Chromium
against a real `tensorboard --logdir`.

At most 8 molecule viewers stay live; the other cells show a picture of their last frame. Turning
one cell with camera sync on must turn them all, so each still is drawn again at the synced view
(once the drag ends: frames are costly in software WebGL).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, screenshot, until
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RUNS = 2
STEPS = 6  # 12 molecule cells: more than the 8 live viewers


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fixture_path: Any) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    aspirin = Path(fixture_path("molecule_aspirin_3d.sdf")).read_text()
    root = tmp_path_factory.mktemp("sync_stills")
    for r in range(RUNS):
        with mp.Writer(str(root / "logs" / f"run_{r}")) as w:
            for s in range(STEPS):
                # The same molecule everywhere: cells at one view show one picture.
                w.add("mol", mp.Molecule(aspirin, format="sdf"), step=s)
    with serving(root / "logs", root / "tb.log") as tb:
        yield tb


def grey(locator: Any) -> np.ndarray:
    require("PIL")
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L")).astype(int)


def test_turning_a_molecule_turns_the_cells_shown_as_stills(server: TensorBoardServer, page: Any) -> None:
    # 128 px: all six step columns fit beside the row labels (a wider grid scrolls to the latest
    # step, and a cell under the pinned labels cannot be dragged).
    frame = open_media_tab(page, server.url, "tags=^mol$&cell=128")
    cells = frame.locator('.mp-cell[data-tag="mol"]')
    live = frame.locator('.mp-cell[data-tag="mol"]:has(.mol-host[data-live="1"] canvas)')
    stills = frame.locator('.mp-cell[data-tag="mol"]:has(img.mol-still[src]:visible)')
    until(lambda: cells.count() == RUNS * STEPS, "twelve molecule cells")
    until(lambda: live.count() == 8 and stills.count() == RUNS * STEPS - 8, "8 live cells, 4 stills")
    page.wait_for_timeout(500)

    # Camera sync over the whole grid (the default is by row).
    leader = live.first
    leader.hover()
    leader.locator('[data-control="menu"]').click()
    leader.locator('[data-control="camera-sync"]').select_option("grid")
    page.mouse.click(800, 850)  # outside the menu: closes it
    until(lambda: frame.locator(".vc-pop:visible").count() == 0, "the cell menu closed", timeout=5)

    # Changing a setting redraws the cells: wait until the same cells stay live for a second.
    def names(loc: Any) -> list[tuple[str | None, str | None]]:
        return sorted((c.get_attribute("data-run"), c.get_attribute("data-step")) for c in loc.all())

    seen: list[Any] = [None]

    def settled() -> bool:
        now = (names(live), names(stills))
        same, seen[0] = now == seen[0], now
        page.wait_for_timeout(1000)
        return same and len(now[0]) == 8

    until(settled, "the live cells settled after the setting changed", timeout=30)
    still_names = names(stills)
    follower = live.nth(1)

    def cell(run: str | None, step: str | None) -> Any:
        return frame.locator(f'.mp-cell[data-tag="mol"][data-run="{run}"][data-step="{step}"] .v3d-root')

    before = {n: grey(cell(*n)) for n in still_names}
    leader_before = grey(leader.locator(".v3d-root"))
    box = leader.locator(".mol-host").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 12 * i, y + 5 * i)
    page.mouse.up()
    page.mouse.move(0, 0)  # pointing at a still would wake it

    target = follower.locator(".v3d-root")
    # The drag turned the leader (else every check below would hold with nothing turned)...
    until(lambda: np.abs(grey(leader.locator(".v3d-root")) - leader_before).mean() > 2, "the leader turned")
    until(
        lambda: np.abs(grey(target) - grey(leader.locator(".v3d-root"))).mean() < 1.5,
        "a live follower turned",
    )
    # Every still shows the synced view: it changed...
    for n in still_names:
        until(
            lambda n=n: np.abs(grey(cell(*n)) - before[n]).mean() > 2,
            f"the still {n} drawn again at the synced view",
            timeout=20,
        )
    # ... and shows what the live cells show (the same molecule at the same size and view).
    live_pictures = [grey(cell(*n)) for n in names(live)]
    for run, step in still_names:
        diff = min(np.abs(grey(cell(run, step)) - twin).mean() for twin in live_pictures)
        assert diff < 1.5, f"still {(run, step)} differs from every live cell by {diff:.2f}"
    # The stills stayed stills and the live viewers stayed live: redrawing them evicted nobody.
    assert live.count() == 8
    assert stills.count() == RUNS * STEPS - 8
    assert not page.errors


def test_card_full_screen_fills_the_window_below_the_toolbar_and_slider(media_server: Any, page: Any) -> None:
    """Issue 14 item 9: a card's full screen keeps the toolbar and step slider usable, and its
    cells grow to use the room instead of staying at 128 px."""
    frame = open_media_tab(page, media_server.url, "tags=^samples$&x=index&y=run&cell=128")
    card = frame.locator(".mp-card[data-card]").first
    card.locator('.mp-cell[data-state="ready"]').first.wait_for(timeout=60_000)
    small = card.locator(".mp-cell").first.bounding_box()
    assert small is not None and small["width"] <= 130
    card.locator('button[title="Full screen"]').click()
    full = frame.locator(".mp-card.mp-expanded")
    full.wait_for(timeout=10_000)
    header = frame.locator(".mp-header").bounding_box()
    box = full.bounding_box()
    iframe = page.locator('iframe[src*="plugin_entry.html?name=media_panel"]').bounding_box()
    assert header is not None and box is not None and iframe is not None
    # The toolbar and the slider show above the card, which fills the rest of the window.
    assert box["y"] >= header["y"] + header["height"] - 1
    assert abs(box["x"] - iframe["x"]) <= 1 and abs(box["width"] - iframe["width"]) <= 1
    assert abs(box["y"] + box["height"] - (iframe["y"] + iframe["height"])) <= 1
    # The cells grew to use the room.
    until(
        lambda: (card_cell := full.locator(".mp-cell").first.bounding_box()) and card_cell["width"] > 160,
        "full-screen cells larger than 128 px",
        timeout=10,
    )
    screenshot(page, "card-full-screen.png")
    # The slider is still usable: stepping back changes the step the cells show.
    before = full.locator(".mp-cell").first.get_attribute("data-step")
    frame.locator('button[aria-label="Previous step"]').click()
    until(
        lambda: full.locator(".mp-cell").first.get_attribute("data-step") != before,
        "the step moved with the card full screen",
        timeout=10,
    )
    assert full.count() == 1, "the card stays full screen"
    assert not page.errors


# The card's own scroller (its height is capped) and the page's: to their ends.
SCROLL_TO_END = """card => {
  for (const el of [...card.querySelectorAll('*'), card.closest('.mp-main')]) {
    const o = getComputedStyle(el).overflowY;
    const scrolls = (o === 'auto' || o === 'scroll') && el.scrollHeight > el.clientHeight + 1;
    if (scrolls) el.scrollTop = el.scrollHeight;
  }
}"""


@pytest.fixture(scope="module")
def cloud_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    rng = np.random.default_rng(5)
    # A lopsided cloud (a long bar and a blob): any turn changes its picture.
    cloud = np.concatenate(
        [rng.normal(size=(400, 3)) * [3.0, 0.3, 0.3], rng.normal(size=(200, 3)) * 0.5 + [2, 1.5, 0]]
    ).astype(np.float32)
    root = tmp_path_factory.mktemp("sync_clouds")
    for r in range(RUNS):
        with mp.Writer(str(root / "logs" / f"run_{r}")) as w:
            for s in range(STEPS):
                w.add("cloud", mp.PointCloud(cloud), step=s)
    with serving(root / "logs", root / "tb.log") as tb:
        yield tb


def test_turning_a_point_cloud_turns_the_cells_off_screen_too(
    cloud_server: TensorBoardServer, page: Any
) -> None:
    # 6 rows of 300 px cells: the last rows are below the window when the first one is turned.
    frame = open_media_tab(page, cloud_server.url, "tags=^cloud$&x=run&y=step&cell=300")

    def canvas(run: int, step: int) -> Any:
        return frame.locator(
            f'.mp-cell[data-tag="cloud"][data-run="run_{run}"][data-step="{step}"] canvas.v3d-canvas'
        )

    leader = canvas(0, 0)
    until(lambda: leader.get_attribute("data-quality") == "full", "the first cloud drawn")
    leader.hover()
    cell0 = frame.locator('.mp-cell[data-tag="cloud"][data-run="run_0"][data-step="0"]')
    cell0.locator('[data-control="menu"]').click()
    cell0.locator('[data-control="camera-sync"]').select_option("grid")
    page.mouse.click(5, 880)  # outside the menu: closes it
    until(lambda: frame.locator(".vc-pop:visible").count() == 0, "the cell menu closed", timeout=5)
    home = grey(leader)
    box = leader.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 150, y + 40, steps=8)
    page.mouse.up()
    page.mouse.move(0, 0)
    until(lambda: leader.get_attribute("data-quality") == "full", "the leader at rest")
    page.wait_for_timeout(400)
    turned = grey(leader)
    assert np.abs(turned - home).mean() > 2, "the drag turned the leader"
    for run, step in ((1, 0), (0, STEPS - 1), (1, STEPS - 1)):
        if step == STEPS - 1:  # not on the page yet (the grid mounts the rows near the window)
            frame.locator(".mp-card").first.evaluate(SCROLL_TO_END)
        c = canvas(run, step)
        until(
            lambda c=c: c.get_attribute("data-quality") == "full" and np.abs(grey(c) - turned).mean() < 1.5,
            f"run_{run} step {step} shows the leader's view",
            timeout=20,
        )
    assert not page.errors


def test_molecules_that_come_on_the_page_after_a_turn_take_the_turned_view(
    server: TensorBoardServer, page: Any
) -> None:
    # 6 rows of 300 px cells: the last rows are mounted only once scrolled to.
    frame = open_media_tab(page, server.url, "tags=^mol$&x=run&y=step&cell=300")

    def root(run: int, step: int) -> Any:
        return frame.locator(f'.mp-cell[data-tag="mol"][data-run="run_{run}"][data-step="{step}"] .v3d-root')

    leader = root(0, 0)
    leader.locator('.mol-host[data-live="1"] canvas').wait_for(timeout=60_000)
    assert root(0, STEPS - 1).count() == 0, "the last row is not on the page yet"
    cell0 = frame.locator('.mp-cell[data-tag="mol"][data-run="run_0"][data-step="0"]')
    cell0.hover()
    cell0.locator('[data-control="menu"]').click()
    cell0.locator('[data-control="camera-sync"]').select_option("grid")
    page.mouse.click(5, 880)  # outside the menu: closes it
    until(lambda: frame.locator(".vc-pop:visible").count() == 0, "the cell menu closed", timeout=5)
    page.wait_for_timeout(500)
    home = grey(leader)
    box = leader.locator(".mol-host").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 12 * i, y + 5 * i)
    page.mouse.up()
    page.mouse.move(0, 0)
    page.wait_for_timeout(1000)
    turned = grey(leader)
    assert np.abs(turned - home).mean() > 2, "the drag turned the leader"
    frame.locator(".mp-card").first.evaluate(SCROLL_TO_END)
    late = root(0, STEPS - 1)
    late.locator('.mol-host[data-live="1"] canvas, img.mol-still[src]').first.wait_for(timeout=30_000)
    until(
        lambda: np.abs(grey(late) - turned).mean() < 1.5,
        "the molecule mounted after the turn shows the turned view",
        timeout=20,
    )
    assert not page.errors
