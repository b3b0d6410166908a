"""Keyboard review (issue 15, item 5) in Chromium against a real `tensorboard --logdir`.

↑/↓ move the run under review (its cells outlined, its row scrolled into view, full screen
following it), 1-9 hide and show the first nine classes of the masks (pixels read back from the
mask canvas), `b` bookmarks exactly the cell under the pointer (kept in the link, listed,
reopened after a reload, a click goes back to it), Space asks the Compare view to flip, `?`
lists every key, and none of them act while typing in the run filter.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, sample_image, screenshot, until
from tests.browser.test_panel import hash_state
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RUNS = [f"run{r:02d}" for r in range(10)]
STEPS = (0, 1, 2)
CLASSES = {0: "background", 1: "cat", 2: "dog", 3: "bird"}
# A 32x32 mask: a background band on top, then cat | dog | bird side by side.
DOG = (16, 20)
CAT = (4, 20)


def mask() -> np.ndarray:
    m = np.zeros((32, 32), np.uint8)
    m[8:, :11] = 1
    m[8:, 11:22] = 2
    m[8:, 22:] = 3
    return m


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    root = tmp_path_factory.mktemp("review")
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / "logs" / run)) as w:
            for step in STEPS:
                img = mp.Image(sample_image(r, step, 0, 32), masks={"pred": mp.Mask(mask(), CLASSES)})
                w.add("seg", img, step=step)
    with serving(root / "logs", root / "tb.log") as tb:
        yield tb


def cell(frame: Any, run: str, step: int) -> Any:
    ready = '[data-state="ready"]'
    return frame.locator(f'.mp-cell[data-run="{run}"][data-tag="seg"][data-step="{step}"]{ready}')


def open_grid(page: Any, server: TensorBoardServer, state: str = "tags=seg") -> Any:
    frame = open_media_tab(page, server.url, state)
    cell(frame, "run02", 1).wait_for(timeout=90_000)
    return frame


def outlined(frame: Any, run: str) -> bool:
    """Whether the cells of `run` show the current-run outline."""
    first = frame.locator(f'.mp-cell[data-run="{run}"]').first
    style = first.evaluate("c => getComputedStyle(c).outlineStyle")
    return bool(style == "solid")


def in_view(frame: Any, selector: str) -> bool:
    """Whether the element is mounted and wholly inside the scrolled panel's visible area."""
    return bool(frame.locator(".mp-main").evaluate(
        """(m, sel) => { const el = m.querySelector(sel); if (!el) return false;
           const a = m.getBoundingClientRect(), b = el.getBoundingClientRect();
           return b.top >= a.top - 1 && b.bottom <= a.bottom + 1; }""", selector))


def marks(page: Any) -> list[list[Any]]:
    text = urllib.parse.parse_qs(hash_state(page)).get("marks", ["[]"])[0]
    return json.loads(text)


def pins(page: Any) -> list[list[Any]]:
    return json.loads(urllib.parse.parse_qs(hash_state(page)).get("pins", ["[]"])[0])


def marked(loc: Any) -> bool:
    """The bookmark's folded corner on a cell."""
    return loc.evaluate("c => getComputedStyle(c, '::before').content") not in ("none", "normal")


def alpha(frame: Any, run: str, xy: tuple[int, int]) -> int:
    """Alpha of the mask canvas at mask pixel `xy` in the step-1 cell of `run`."""
    canvas = cell(frame, run, 1).locator('canvas[data-layer="pred"]').first
    read = "(c, [x, y]) => c.getContext('2d').getImageData(x, y, 1, 1).data[3]"
    return int(canvas.evaluate(read, list(xy)))


def test_up_down_move_the_run_under_review_grid_and_full_screen(page: Any, server: TensorBoardServer) -> None:
    frame = open_grid(page, server)
    assert not any(outlined(frame, r) for r in ("run00", "run01"))
    # From TensorBoard's page, without a click into the frame.
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    page.keyboard.press("ArrowDown")
    until(lambda: outlined(frame, "run00"), "↓ makes the first run current")
    assert not outlined(frame, "run01")
    assert not in_view(frame, '.mp-axis-run[data-value="run08"]')
    for _ in range(8):
        page.keyboard.press("ArrowDown")
    until(lambda: in_view(frame, '.mp-axis-run[data-value="run08"]'), "run08's row scrolled into view")
    until(lambda: outlined(frame, "run08"), "run08 is current")
    page.keyboard.press("ArrowUp")
    until(lambda: outlined(frame, "run07"), "↑ goes back a run")
    assert not outlined(frame, "run08")
    # The run under review is in the link: opened anew, the link outlines it and ↓ goes on from it.
    until(lambda: urllib.parse.parse_qs(hash_state(page)).get("review") == ["run07"], "the run in the link")
    frame = open_media_tab(page, server.url, hash_state(page), fresh=True)
    cell(frame, "run07", 1).wait_for(timeout=90_000)
    until(lambda: outlined(frame, "run07"), "the link's run outlined")
    until(lambda: in_view(frame, '.mp-axis-run[data-value="run07"]'), "and scrolled into view")
    # Full screen shows the run under review and moves it: one notion of "current run".
    target = cell(frame, "run07", 1)
    target.hover()
    target.get_by_role("button", name="Full screen").first.click()
    box = frame.locator(".mp-lightbox")
    box.wait_for(timeout=10_000)
    assert box.get_attribute("data-run") == "run07"
    page.keyboard.press("ArrowDown")
    until(lambda: box.get_attribute("data-run") == "run08", "↓ in full screen shows the next run")
    assert outlined(frame, "run08")
    box.get_by_role("button", name="Next run").click()
    until(lambda: box.get_attribute("data-run") == "run09", "the full-screen run button")
    until(lambda: outlined(frame, "run09"), "the grid follows full screen's run")
    # `b` in full screen bookmarks the item it shows (at the step of the cell it was opened on).
    assert box.get_attribute("data-step") == "1"
    page.keyboard.press("b")
    until(lambda: marks(page) == [["run09", "seg", 1, 0]], "b bookmarks the full-screen item")
    page.keyboard.press("Escape")
    until(lambda: box.count() == 0, "Escape closes full screen")
    assert not page.errors


def test_full_screen_of_a_middle_cell_steps_and_changes_run_from_that_cell(
    page: Any, server: TensorBoardServer
) -> None:
    frame = open_grid(page, server)  # the slider on the latest step, 2
    target = cell(frame, "run03", 1)
    target.hover()
    target.get_by_role("button", name="Full screen").first.click()
    box = frame.locator(".mp-lightbox")
    box.wait_for(timeout=10_000)
    assert (box.get_attribute("data-run"), box.get_attribute("data-step")) == ("run03", "1")
    slider = lambda: urllib.parse.parse_qs(hash_state(page)).get("step")  # noqa: E731
    until(lambda: slider() == ["1"], "the slider follows the cell's step")
    page.keyboard.press("ArrowRight")
    until(lambda: box.get_attribute("data-step") == "2", "→ shows the step after the cell's")
    page.keyboard.press("ArrowLeft")
    until(lambda: box.get_attribute("data-step") == "1", "← back to it")
    page.keyboard.press("ArrowDown")
    until(lambda: box.get_attribute("data-run") == "run04", "↓ shows the next run")
    assert box.get_attribute("data-step") == "1", "at the step shown, not the latest"
    page.keyboard.press("Escape")
    assert not page.errors


def test_number_keys_toggle_classes_and_b_bookmarks_the_cell_under_the_pointer(
    page: Any, server: TensorBoardServer
) -> None:
    frame = open_grid(page, server)
    until(lambda: alpha(frame, "run02", DOG) == 255, "the dog pixel is painted")
    assert alpha(frame, "run02", CAT) == 255
    cell(frame, "run02", 1).hover()
    page.keyboard.press("2")  # the second class after background: dog
    until(lambda: alpha(frame, "run02", DOG) == 0, "2 hides the dog class")
    assert alpha(frame, "run02", CAT) == 255
    until(lambda: alpha(frame, "run03", DOG) == 0, "in every cell of the card")
    page.keyboard.press("2")
    until(lambda: alpha(frame, "run02", DOG) == 255, "2 again shows it")
    page.keyboard.press("1")
    until(lambda: alpha(frame, "run02", CAT) == 0, "1 hides the cat class")
    page.keyboard.press("1")
    until(lambda: alpha(frame, "run02", CAT) == 255, "1 again shows it")
    # The class menu of a middle cell names each class's key; a click on a class name toggles it.
    middle = cell(frame, "run03", 1)
    middle.hover()
    middle.get_by_role("button", name="Layers, classes, boxes and view").click()
    menu = frame.locator('[role="dialog"]:popover-open')
    rows = {n: menu.locator(f'[data-class-id="{i}"]') for i, n in CLASSES.items()}
    keys = {n: r.locator("kbd").all_inner_texts() for n, r in rows.items()}
    assert keys == {"background": [], "cat": ["1"], "dog": ["2"], "bird": ["3"]}
    rows["dog"].locator(".name").click()
    until(lambda: alpha(frame, "run03", DOG) == 0, "a click on the name hides the dog class")
    assert not rows["dog"].get_by_role("checkbox", name="dog").is_checked()
    rows["dog"].locator(".name").click()
    until(lambda: alpha(frame, "run03", DOG) == 255, "and shows it again")
    page.keyboard.press("Escape")

    # `b` over the middle of the grid: exactly that run, tag, step and index.
    middle = cell(frame, "run04", 1)
    middle.hover()
    page.keyboard.press("b")
    until(lambda: marks(page) == [["run04", "seg", 1, 0]], "the bookmark is in the link")
    assert marked(middle)
    for run, step in (("run03", 1), ("run05", 1), ("run04", 0), ("run04", 2)):
        assert not marked(cell(frame, run, step)), (run, step)
    assert "Bookmarked: run04 · seg · step 1 · #0" in frame.locator(".mp-toast").inner_text()
    page.reload()
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    cell(frame, "run04", 1).wait_for(timeout=90_000)
    until(lambda: marked(cell(frame, "run04", 1)), "a reload keeps the bookmark")
    button = frame.get_by_role("button", name="Bookmarks")
    assert button.locator(".mp-bookmark-count").inner_text() == "1"
    # Away from it, then back through the list.
    page.keyboard.press("Home")
    frame.locator(".mp-main").evaluate("m => m.scrollTo(0, m.scrollHeight)")
    until(lambda: not in_view(frame, '.mp-cell[data-run="run04"][data-step="1"]'), "scrolled away")
    button.click()
    row = frame.locator(".mp-bookmark")
    assert row.count() == 1 and "run04 · seg · step 1 · #0" in row.inner_text()
    row.locator(".mp-bookmark-go").click()
    until(lambda: in_view(frame, '.mp-cell[data-run="run04"][data-step="1"]'), "the bookmarked cell is shown")
    until(lambda: frame.locator(".mp-step-value").inner_text().strip() == "1", "the slider at its step")
    assert outlined(frame, "run04")
    # Pinned from the list into the Compare view's pins.
    button.click()
    cell(frame, "run03", 1).hover()  # the pointer's probe and the row highlight in the picture
    screenshot(page, "review-bookmarks.png")
    frame.locator(".mp-bookmark").get_by_role("button", name="pin").click()
    until(lambda: "pins=" in hash_state(page), "pinned")
    assert pins(page) == [["run04", "seg", 1, 0]]
    page.keyboard.press("Escape")
    cell(frame, "run02", 2).hover()
    page.keyboard.press("b")
    until(lambda: len(marks(page)) == 2, "a second bookmark")
    button.click()
    frame.get_by_role("button", name="Pin all").click()
    both = [["run04", "seg", 1, 0], ["run02", "seg", 2, 0]]
    until(lambda: pins(page) == both, "Pin all pins the rest, in order")
    until(lambda: frame.locator(".mp-bookmark").count() == 0, "and closes the list (over the Compare bar)")
    # `b` again removes it.
    cell(frame, "run04", 1).hover()
    page.keyboard.press("b")
    until(lambda: marks(page) == [["run02", "seg", 2, 0]], "b again removes the bookmark")
    assert not marked(cell(frame, "run04", 1))
    assert not page.errors


def test_space_flips_compare_help_lists_every_key_and_typing_is_not_a_shortcut(
    page: Any, server: TensorBoardServer
) -> None:
    pins = json.dumps([["run01", "seg", 1, 0], ["run02", "seg", 1, 0]])
    cv = json.dumps({"open": True, "mode": "flicker", "interval": 0})
    frame = open_media_tab(page, server.url, urllib.parse.urlencode({"tags": "seg", "pins": pins, "cv": cv}))
    shown = frame.locator('.cv-stage[data-ready="1"]')
    shown.wait_for(timeout=60_000)
    assert shown.get_attribute("data-showing") == "a"
    main = frame.locator(".mp-main")
    top = main.evaluate("m => m.scrollTop")
    # From TensorBoard's page: the Compare view's flicker shows B, and the page does not scroll.
    page.keyboard.press(" ")
    until(lambda: shown.get_attribute("data-showing") == "b", "Space flips to B")
    page.keyboard.press(" ")
    until(lambda: shown.get_attribute("data-showing") == "a", "and back to A")
    assert main.evaluate("m => m.scrollTop") == top
    # A focused button keeps its Space (it presses the button instead).
    frame.get_by_role("button", name="Keyboard shortcuts").focus()
    page.keyboard.press(" ")
    help_ = frame.get_by_role("dialog", name="Keyboard shortcuts")
    help_.wait_for()
    assert shown.get_attribute("data-showing") == "a"
    listed = help_.inner_text()
    for key in ("←", "→", "↑", "↓", "Home", "End", "1", "9", "b", "Space", "Esc", "?"):
        assert key in listed, (key, listed)
    screenshot(page, "review-shortcuts.png")
    page.keyboard.press("Escape")
    until(lambda: help_.count() == 0, "Escape closes the shortcuts")

    # Typing in the run filter: text, not shortcuts.
    shown.hover()
    search = frame.get_by_role("searchbox", name="Filter runs")
    search.click()
    for key in ("ArrowDown", "b", "2", " "):
        search.press(key)
    assert search.input_value() == "b2 "
    search.fill("")
    frame.locator('.mp-cell[data-state="ready"]').first.wait_for()
    assert shown.get_attribute("data-showing") == "a"
    solid = frame.locator(".mp-cell").evaluate_all(
        "cs => cs.filter(c => getComputedStyle(c).outlineStyle === 'solid').length")
    assert solid == 0
    assert marks(page) == []
    assert "hiddenClasses" not in hash_state(page)
    assert not page.errors
