"""The panel's state in Chromium against a real `tensorboard --logdir`: shared links, history,
zoom and the slider's step, per-card layouts, the keyboard, and the cards a comparison makes."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import open_media_tab, sample_image, until
from tests.browser.test_panel import (
    CARD,
    cells,
    col_labels,
    current_step,
    drag,
    hash_state,
    row_labels,
    settled,
    texts,
    write_pairs_logdir,
    x_of,
)

FRAME = 'iframe[src*="plugin_entry.html?name=media_panel"]'
LONG_STEPS = list(range(0, 5000, 100))


def write_long_logdir(root: Path) -> Path:
    """Two runs of two tags of small images at steps 0, 100, …, 4900 (50 steps): zoom windows, and
    tall cards that scroll inside a page that scrolls too."""
    import tb_media_panel as mp

    for r, run in enumerate(("alpha", "beta")):
        with mp.Writer(str(root / run)) as w:
            for step in LONG_STEPS:
                w.add("frames", mp.Image(sample_image(r, step // 100, 0, 16)), step=step)
                w.add("thumbs", mp.Image(sample_image(r, step // 100, 1, 16)), step=step)
    return root


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.tb_server import TensorBoardServer

    logdir = write_long_logdir(tmp_path_factory.mktemp("long_logdir"))
    server = TensorBoardServer(str(logdir), [], log_path=tmp_path_factory.mktemp("tb") / "tb.log")
    server.start()
    yield server
    server.stop()


def set_parent_hash(page: Any, state: str) -> None:
    """What pasting a shared link of the same TensorBoard into the address bar does."""
    page.evaluate("h => { location.hash = h; }", "#media_panel&mp=" + urllib.parse.quote(state, safe=""))


def zoom_label(frame: Any) -> str:
    return frame.locator(".mp-zoom-info span").first.inner_text().strip()


def latest_shown(frame: Any) -> bool:
    live = frame.locator(".mp-live")
    return live.count() > 0 and live.first.is_visible()


# ---- item 3: links and history ----------------------------------------------------------------


def test_pasted_link_reopens_its_view_and_is_not_overwritten(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples")
    until(lambda: row_labels(frame, "samples") == ["baseline", "lr_0.01", "wide_net"], "default grid")
    set_parent_hash(page, "tags=samples&x=run&y=step&step=20")
    until(lambda: col_labels(frame, "samples") == ["baseline", "lr_0.01", "wide_net"], "the link's axes")
    until(lambda: current_step(frame) == "20", "the link's step")
    assert frame.locator('select[aria-label="x axis"]').input_value() == "run"
    # The next interaction starts from the link's view, not from the one before it.
    frame.get_by_role("button", name="Next step").click()
    until(lambda: current_step(frame) == "30", "next step after the link's")
    state = hash_state(page)
    assert "x=run" in state and "y=step" in state and "step=30" in state, state
    assert not page.errors


def test_back_and_forward_step_through_view_changes(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples")
    until(lambda: row_labels(frame, "samples") == ["baseline", "lr_0.01", "wide_net"], "default grid")
    frame.get_by_role("button", name="Gallery").click()
    until(lambda: "mode=gallery" in hash_state(page), "gallery in the link")
    # Slider moves replace the entry: Back undoes the view change, not each step.
    frame.get_by_role("button", name="Previous step").click()
    frame.get_by_role("button", name="Previous step").click()
    until(lambda: current_step(frame) == "30", "slider at 30")
    frame.locator('select[aria-label="Tile by"]').select_option("run")
    until(lambda: "by=run" in hash_state(page), "tile by run in the link")
    page.go_back()
    until(
        lambda: frame.locator('select[aria-label="Tile by"]').input_value() == "index",
        "Back: tiles by index again",
    )
    assert frame.get_by_role("button", name="Gallery").get_attribute("aria-pressed") == "true"
    assert current_step(frame) == "30"
    page.go_back()
    until(
        lambda: frame.get_by_role("button", name="Grid").get_attribute("aria-pressed") == "true",
        "Back: grid again",
    )
    until(lambda: row_labels(frame, "samples") == ["baseline", "lr_0.01", "wide_net"], "the grid's rows")
    page.go_forward()
    until(
        lambda: frame.get_by_role("button", name="Gallery").get_attribute("aria-pressed") == "true",
        "Forward: gallery",
    )
    assert "media_panel" in page.url
    assert not page.errors


def test_back_reaches_the_default_view_and_a_tab_switch_keeps_the_view(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url)
    until(lambda: frame.locator("[data-card]").count() == 4, "a card per tag")
    frame.get_by_role("button", name="Gallery").click()
    until(lambda: "mode=gallery" in hash_state(page), "gallery in the link")
    page.go_back()
    until(
        lambda: frame.get_by_role("button", name="Grid").get_attribute("aria-pressed") == "true",
        "Back: the defaults",
    )
    page.go_forward()
    until(
        lambda: frame.get_by_role("button", name="Gallery").get_attribute("aria-pressed") == "true", "Forward"
    )
    # TensorBoard writes a bare hash on going to another tab and back: the view stays, and
    # the address bar gets it back.
    page.evaluate("() => { location.hash = '#scalars'; }")
    page.evaluate("() => { location.hash = '#media_panel'; }")
    until(lambda: "mode=gallery" in hash_state(page), "the view back in the address bar")
    assert frame.get_by_role("button", name="Gallery").get_attribute("aria-pressed") == "true"
    assert not page.errors


def test_copy_link_copies_the_view(page: Any, media_server: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    frame = open_media_tab(page, media_server.url, "tags=samples&x=index")
    until(lambda: col_labels(frame, "samples") == ["#0", "#1", "#2", "#3"], "items across")
    frame.get_by_role("button", name="Copy link").click()
    link = page.evaluate("location.href")
    until(lambda: page.evaluate("navigator.clipboard.readText()") == link, "the clipboard holds the link")
    assert "x%3Dindex" in link
    # The copied link opens the same view in a new tab.
    other = page.context.new_page()
    frame2 = open_media_tab(other, link.split("#")[0].rstrip("/"), hash_state(page))
    until(lambda: col_labels(frame2, "samples") == ["#0", "#1", "#2", "#3"], "the link opens the view")
    other.close()


# ---- item 6: zoom keeps the step ------------------------------------------------------------


def test_zoom_keeps_the_step_or_takes_the_nearest_and_labels_exact_bounds(
    page: Any, long_server: Any
) -> None:
    frame = open_media_tab(page, long_server.url, "x=run&y=index")
    until(lambda: current_step(frame) == "4900", "the slider starts at the latest step")
    until(lambda: settled(frame, "frames"), "frames loaded")
    assert latest_shown(frame)
    canvas = frame.locator(".mp-timeline-canvas")
    box = canvas.bounding_box()
    drag(page, box, x_of(box, 1000, 0, 4900), x_of(box, 3000, 0, 4900))
    until(lambda: "zoom=" in hash_state(page), "brushing zooms")
    until(lambda: zoom_label(frame) == "1000\u20133000", "the window's exact bounds")
    # 4900 is outside the window: the nearest logged step in it, which is not the latest.
    until(lambda: current_step(frame) == "3000", "the nearest step in the window")
    assert not latest_shown(frame), "3000 is not the latest step (4900 is)"
    frame.get_by_role("button", name="Reset zoom").click()
    until(lambda: current_step(frame) == "4900", "back at the latest step after reset")
    assert latest_shown(frame)
    # A step inside the window stays.
    frame.locator(".mp-timeline").focus()
    for _ in range(29):
        page.keyboard.press("ArrowLeft")
    until(lambda: current_step(frame) == "2000", "slider at 2000")
    box = canvas.bounding_box()
    drag(page, box, x_of(box, 1000, 0, 4900), x_of(box, 3000, 0, 4900))
    until(lambda: zoom_label(frame) == "1000\u20133000", "zoomed again")
    assert current_step(frame) == "2000"
    assert not latest_shown(frame)
    assert not page.errors


# ---- item 10: per-card layouts ----------------------------------------------------------------


def card_dialog(frame: Any, card: str) -> Any:
    frame.locator(CARD.format(card)).get_by_role("button", name="Card layout").click()
    dialog = frame.get_by_role("dialog", name=f"Layout of {card}")
    dialog.wait_for()
    return dialog


def test_each_card_overrides_the_defaults_and_the_link_keeps_it(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=^(samples|rollout)$")
    until(lambda: col_labels(frame, "samples") == ["0", "10", "20", "30", "40", "50"], "samples by step")
    dialog = card_dialog(frame, "samples")
    dialog.locator('select[aria-label="x axis"]').select_option("index")
    until(lambda: col_labels(frame, "samples") == ["#0", "#1", "#2", "#3"], "samples by item")
    assert col_labels(frame, "rollout") == ["0", "50"], "the other card keeps the defaults"
    dialog.locator('input[aria-label="Cell size"]').fill("64")
    dialog.locator('input[aria-label="Cell size"]').dispatch_event("change")
    until(
        lambda: (
            (settled(frame, "samples") or [{}])
            and frame.locator(f"{CARD.format('samples')} .mp-cell").first.bounding_box()["width"] == 64
        ),
        "samples cells at 64 px",
    )
    page.keyboard.press("Escape")
    until(lambda: frame.get_by_role("dialog").count() == 0, "Escape closes the card's layout")
    assert (
        frame.locator(CARD.format("samples"))
        .get_by_role("button", name="Card layout")
        .evaluate("b => b.ownerDocument.activeElement === b")
    ), "focus returns to the button"
    assert frame.locator(f"{CARD.format('rollout')} .mp-cell").first.bounding_box()["width"] == 128
    # The global toolbar sets the defaults: the other card follows it, the overridden one does not.
    frame.locator('select[aria-label="x axis"]').first.select_option("run")
    until(
        lambda: col_labels(frame, "rollout") == ["baseline", "lr_0.01", "wide_net"],
        "rollout follows the default x axis",
    )
    assert col_labels(frame, "samples") == ["#0", "#1", "#2", "#3"], "samples keeps its own x axis"
    state = hash_state(page)
    page.reload()
    frame = page.frame_locator(FRAME)
    frame.locator(".mp-root").wait_for()
    until(lambda: col_labels(frame, "samples") == ["#0", "#1", "#2", "#3"], "the override survives a reload")
    until(lambda: settled(frame, "samples"), "samples loaded")
    assert frame.locator(f"{CARD.format('samples')} .mp-cell").first.bounding_box()["width"] == 64
    assert hash_state(page) == state
    # Back to the defaults.
    card_dialog(frame, "samples").get_by_role("button", name="Use defaults").click()
    until(
        lambda: col_labels(frame, "samples") == ["baseline", "lr_0.01", "wide_net"],
        "samples follows the defaults again",
    )
    assert not page.errors


def test_card_height_resizes_apart_from_its_cells(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples&x=index&y=step")
    until(lambda: settled(frame, "samples"), "samples loaded")
    card = frame.locator(CARD.format("samples"))
    before = card.bounding_box()["height"]
    cell = frame.locator(f"{CARD.format('samples')} .mp-cell").first.bounding_box()["width"]
    edge = card.locator(".mp-resize-height")
    edge.scroll_into_view_if_needed()
    box = edge.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 300, steps=5)
    page.mouse.up()
    until(lambda: card.bounding_box()["height"] < before - 200, "the card is shorter")
    assert frame.locator(f"{CARD.format('samples')} .mp-cell").first.bounding_box()["width"] == cell
    cards = json.loads(urllib.parse.parse_qs(hash_state(page))["cards"][0])
    assert cards["samples"]["height"] < before - 200, cards
    until(lambda: settled(frame, "samples"), "cells shown in the shorter card")
    assert not page.errors


def test_wheel_scrolls_the_page_unless_the_card_is_focused(page: Any, long_server: Any) -> None:
    frame = open_media_tab(page, long_server.url, "x=run&y=step")
    until(lambda: settled(frame, "frames"), "frames loaded")
    scroller = frame.locator(f"{CARD.format('frames')} .mp-grid-scroll")
    assert "mp-grid-tall" in (frame.locator(f"{CARD.format('frames')} .mp-grid").get_attribute("class") or "")
    main = frame.locator(".mp-main")
    box = scroller.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 200)
    until(lambda: main.evaluate("m => m.scrollTop") > 0, "the page scrolls")
    assert scroller.evaluate("s => s.scrollTop") == 0, "the card did not scroll"
    # Once the card is focused, the wheel scrolls it.
    frame.locator(f"{CARD.format('frames')} .mp-card-title").click()
    top = main.evaluate("m => m.scrollTop")
    box = scroller.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 200)
    until(lambda: scroller.evaluate("s => s.scrollTop") > 0, "the focused card scrolls")
    assert main.evaluate("m => m.scrollTop") == top
    assert not page.errors


# ---- item 11: keyboard ------------------------------------------------------------------------


def test_arrows_work_without_a_click_into_the_frame_home_end_and_help(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples")
    until(lambda: current_step(frame) == "50", "at the latest step")
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    page.keyboard.press("ArrowLeft")
    until(lambda: current_step(frame) == "40", "← in TensorBoard's page steps back")
    page.keyboard.press("Home")
    until(lambda: current_step(frame) == "0", "Home: the first step")
    page.keyboard.press("End")
    until(lambda: current_step(frame) == "50", "End: the last step")
    frame.locator(".mp-timeline").focus()
    page.keyboard.press("Home")
    until(lambda: current_step(frame) == "0", "Home inside the frame")
    # Keys typed into a text field are text, not shortcuts.
    frame.get_by_role("searchbox", name="Filter tags").fill("sam")
    frame.get_by_role("searchbox", name="Filter tags").press("End")
    frame.get_by_role("searchbox", name="Filter tags").press("ArrowLeft")
    assert current_step(frame) == "0"
    frame.locator(".mp-timeline").focus()
    page.keyboard.press("?")
    help_ = frame.get_by_role("dialog", name="Keyboard shortcuts")
    help_.wait_for()
    listed = help_.inner_text()
    for key in ("←", "→", "Home", "End", "Esc", "?"):
        assert key in listed, (key, listed)
    page.keyboard.press("Escape")
    until(lambda: help_.count() == 0, "Escape closes the shortcuts")
    assert not page.errors


# ---- item 13: comparing with tag on an axis ---------------------------------------------------


def test_x_tag_while_comparing_shows_each_tag_once(
    page: Any, tensorboard_factory: Any, tmp_path: Path
) -> None:
    write_pairs_logdir(tmp_path / "pairs")
    server = tensorboard_factory(tmp_path / "pairs")
    frame = open_media_tab(page, server.url, "x=tag&cmp=seg/prediction&cmp=seg/ground_truth")
    until(lambda: settled(frame, "compare"), "comparison loaded")
    until(lambda: frame.locator("[data-card]").count() >= 1, "cards built")
    columns = frame.locator(".mp-grid-inner .mp-axis-label").evaluate_all(
        "els => els.map(e => e.dataset.value)"
    )
    assert sorted(columns) == ["curves", "seg/ground_truth", "seg/prediction"], columns
    assert texts(frame, ".mp-card-title").count("All tags") <= 1
    assert len(cells(frame, "compare")) == 4
    assert not page.errors
