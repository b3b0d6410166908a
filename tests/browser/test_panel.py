"""The Media tab in Chromium against a real `tensorboard --logdir`: what a user sees and does."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from tests.browser.conftest import RUNS, open_media_tab, sample_image, screenshot, until

CARD = '[data-card="{}"]'


def texts(frame: Any, selector: str) -> list[str]:
    return [t.strip() for t in frame.locator(selector).all_inner_texts()]


def row_labels(frame: Any, card: str) -> list[str]:
    return texts(frame, f"{CARD.format(card)} .mp-grid-rowlabels .mp-axis-text")


def col_labels(frame: Any, card: str) -> list[str]:
    return texts(frame, f"{CARD.format(card)} .mp-grid-inner .mp-axis-label .mp-axis-text")


def cells(frame: Any, card: str) -> list[dict[str, str]]:
    """Mounted cells of a card: run, requested and shown step, state, image URL."""
    return frame.locator(f"{CARD.format(card)} .mp-cell").evaluate_all(
        """els => els.map(e => ({run: e.dataset.run, step: e.dataset.step, requested: e.dataset.requestedStep,
                 state: e.dataset.state, earlier: e.classList.contains('mp-earlier'),
                 badge: e.querySelector('.mp-cell-badge').textContent,
                 src: (e.querySelector('.mp-cell-content:not([hidden]) img') || {}).src || ''}))"""
    )


def show_card(frame: Any, card: str) -> None:
    """Click the tag in the tag list, which scrolls its card into view (cells mount when visible)."""
    frame.locator(".mp-tag-btn", has=frame.locator(".mp-tag-name", has_text=card)).first.click()


def settled(frame: Any, card: str) -> list[dict[str, str]] | None:
    cs = cells(frame, card)
    return cs if cs and all(c["state"] != "loading" for c in cs) else None


def current_step(frame: Any) -> str:
    return frame.locator(".mp-step-value").inner_text().strip()


def hash_state(page: Any) -> str:
    # The page's own address, not Playwright's `page.url`: that follows a pushState only once
    # Playwright handles its event, which a wait that only reads it never lets happen.
    frag = urllib.parse.urlsplit(page.evaluate("location.href")).fragment
    for part in frag.split("&"):
        if part.startswith("mp="):
            return urllib.parse.unquote(part[3:])
    return ""


def test_switching_axes_relabels_the_grid(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url)
    until(lambda: settled(frame, "report"), "first card loaded")
    screenshot(page, "panel-overview.png")
    show_card(frame, "samples")
    until(lambda: row_labels(frame, "samples") == list(RUNS), "x=step/y=run: one row per run")
    assert col_labels(frame, "samples") == ["0", "10", "20", "30", "40", "50"]
    until(lambda: settled(frame, "samples"), "samples cells loaded")
    screenshot(page, "grid-x-step-y-run.png")

    frame.locator('select[aria-label="x axis"]').select_option("index")
    frame.locator('select[aria-label="y axis"]').select_option("step")
    until(lambda: "mode" not in hash_state(page) and "y=step" in hash_state(page), "settings applied")
    show_card(frame, "samples")
    until(
        lambda: col_labels(frame, "samples")[:4] == ["#0", "#1", "#2", "#3"],
        "x=index: columns are item indices",
    )
    # run is on no axis: one labelled section per run, rows are steps
    assert row_labels(frame, "samples")[:6] == ["0", "10", "20", "30", "40", "50"]
    assert texts(frame, f"{CARD.format('samples')} .mp-section-title") == list(RUNS)
    show_card(frame, "samples")
    until(lambda: settled(frame, "samples"), "samples cells loaded")
    screenshot(page, "grid-x-index-y-step.png")

    frame.locator('select[aria-label="x axis"]').select_option("run")
    frame.locator('select[aria-label="y axis"]').select_option("index")
    show_card(frame, "samples")
    until(lambda: col_labels(frame, "samples") == list(RUNS), "x=run: columns are runs")
    assert row_labels(frame, "samples") == ["#0", "#1", "#2", "#3"]
    assert not page.errors


def test_slider_changes_images_in_every_card(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "x=run&y=index")
    until(lambda: current_step(frame) == "50", "slider starts at the latest step")
    cards = ["report", "rollout", "samples", "speech"]
    before = {}
    for card in cards:
        show_card(frame, card)
        before[card] = until(lambda card=card: settled(frame, card), f"{card} loaded")
    # wide_net has no step 50: it shows step 40, marked as the nearest earlier
    wide = [c for c in before["samples"] if c["run"] == "wide_net"]
    assert wide and all(c["earlier"] and c["step"] == "40" and "40" in c["badge"] for c in wide)
    assert all(not c["earlier"] and c["step"] == "50" for c in before["samples"] if c["run"] != "wide_net")

    frame.locator(".mp-timeline").focus()
    page.keyboard.press("ArrowLeft")
    until(lambda: current_step(frame) == "40", "← moves the slider to the previous logged step")
    after = {}
    for card in cards:
        show_card(frame, card)

        def moved(card: str = card) -> Any:
            now = settled(frame, card)
            return now if now and all(c["requested"] == "40" for c in now) else None

        after[card] = until(moved, f"{card} follows the slider")
    samples = after["samples"]
    assert all(c["step"] == "40" and not c["earlier"] for c in samples)
    assert {c["src"] for c in samples}.isdisjoint(
        {c["src"] for c in before["samples"] if c["run"] != "wide_net"}
    )
    for card in ("report", "rollout", "speech"):  # logged at 0 and 50 only: step 40 shows step 0
        assert all(c["step"] == "0" and c["earlier"] for c in after[card]), card

    # clicking the track far left snaps to the first logged step
    box = frame.locator(".mp-timeline-canvas").bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 48)
    until(lambda: current_step(frame) == "0", "clicking the track snaps to step 0")
    show_card(frame, "samples")
    until(lambda: (s := settled(frame, "samples")) and all(c["step"] == "0" for c in s), "samples at step 0")
    assert not page.errors


def drag(page: Any, box: dict[str, float], x0: float, x1: float, y: float = 10) -> None:
    page.mouse.move(box["x"] + x0, box["y"] + y)
    page.mouse.down()
    page.mouse.move(box["x"] + (x0 + x1) / 2, box["y"] + y, steps=3)
    page.mouse.move(box["x"] + x1, box["y"] + y, steps=3)
    page.mouse.up()


def x_of(box: dict[str, float], step: float, lo: float, hi: float) -> float:
    return 12 + (step - lo) / (hi - lo) * (box["width"] - 24)


def test_brush_zooms_and_reset_restores(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples")
    until(lambda: col_labels(frame, "samples") == ["0", "10", "20", "30", "40", "50"], "all steps shown")
    canvas = frame.locator(".mp-timeline-canvas")
    box = canvas.bounding_box()
    drag(page, box, x_of(box, 8, 0, 50), x_of(box, 32, 0, 50))
    until(lambda: col_labels(frame, "samples") == ["10", "20", "30"], "brushing 8-32 zooms to steps 10-30")
    assert "zoom=" in hash_state(page)
    assert frame.get_by_role("button", name="Reset zoom").is_visible()
    screenshot(page, "timeline-zoomed.png")
    # zoom again inside the zoomed window
    box = canvas.bounding_box()
    lo, hi = (int(v) for v in hash_state(page).split("zoom=")[1].split("&")[0].split("-"))
    drag(page, box, x_of(box, 15, lo, hi), x_of(box, 25, lo, hi))
    until(lambda: col_labels(frame, "samples") == ["20"], "a second brush zooms further")
    frame.get_by_role("button", name="Reset zoom").click()
    until(
        lambda: col_labels(frame, "samples") == ["0", "10", "20", "30", "40", "50"], "reset shows every step"
    )
    assert "zoom=" not in hash_state(page)
    # wheel zoom on the axis, then double-click resets
    canvas.hover()
    page.mouse.wheel(0, -300)
    until(lambda: len(col_labels(frame, "samples")) < 6, "wheel zooms in")
    canvas.dblclick(position={"x": 100, "y": 10})
    until(lambda: len(col_labels(frame, "samples")) == 6, "double-click resets the zoom")
    assert not page.errors


def test_url_round_trips_the_settings(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url)
    show_card(frame, "samples")
    until(lambda: row_labels(frame, "samples") == list(RUNS), "default grid")
    frame.get_by_role("button", name="Gallery").click()
    frame.locator('select[aria-label="Tile by"]').select_option("run")
    frame.get_by_role("checkbox", name="lr_0.01").uncheck()
    frame.locator(".mp-timeline").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    until(lambda: current_step(frame) == "30", "slider at 30")
    frame.get_by_role("searchbox", name="Filter tags").fill("^(samples|speech)$")
    until(lambda: frame.locator("[data-card]").count() == 2, "tag filter leaves two cards")
    state = hash_state(page)
    for part in ("mode=gallery", "by=run", "off=lr_0.01", "step=30", "tags="):
        assert part in state, (part, state)

    page.reload()
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    frame.locator(".mp-root").wait_for()
    until(lambda: current_step(frame) == "30", "the step survives the reload")
    assert frame.locator('select[aria-label="Tile by"]').input_value() == "run"
    assert frame.get_by_role("button", name="Gallery").get_attribute("aria-pressed") == "true"
    assert not frame.get_by_role("checkbox", name="lr_0.01").is_checked()
    assert frame.get_by_role("searchbox", name="Filter tags").input_value() == "^(samples|speech)$"
    until(
        lambda: texts(frame, f"{CARD.format('samples')} .mp-tile-label") == ["baseline", "wide_net"],
        "gallery tiles one per shown run",
    )
    until(lambda: settled(frame, "samples"), "gallery loaded")
    screenshot(page, "gallery-by-run.png")
    assert hash_state(page) == state


def test_video_plays_audio_shows_waveform_html_renders(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "x=run&y=index&tags=rollout%7Cspeech%7Creport")
    for card in ("report", "rollout", "speech"):
        show_card(frame, card)
        until(lambda card=card: settled(frame, card), f"{card} loaded")
    show_card(frame, "rollout")
    video = frame.locator(f"{CARD.format('rollout')} video").first
    video.wait_for()
    frame.locator(f"{CARD.format('rollout')} .mp-play").first.click()
    until(lambda: video.evaluate("v => v.currentTime") > 0.2, "the video plays (currentTime advances)")
    assert video.evaluate("v => !v.paused && v.videoWidth") == 64

    show_card(frame, "speech")
    wave = frame.locator(f"{CARD.format('speech')} canvas.mp-wave").first
    # waveform bars are drawn in blue on a light background
    blue = wave.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+2] > 150 && d[i] < 80) n++; return n; }""")
    assert blue > 100, blue
    frame.locator(f"{CARD.format('speech')} .mp-spec-toggle").first.click()
    assert wave.get_attribute("aria-label").startswith("Spectrogram")

    show_card(frame, "report")
    html = frame.locator(f"{CARD.format('report')} iframe.mp-html").first
    assert html.get_attribute("sandbox") == "allow-scripts"
    inner = frame.frame_locator(f"{CARD.format('report')} iframe.mp-html").first
    until(lambda: inner.locator("#dyn").inner_text() == "script ran 42", "the HTML's script ran")
    assert inner.locator("#title").inner_text().startswith("Report baseline")
    screenshot(page, "video-audio-html.png")
    assert not page.errors


def test_step_appended_to_live_run_appears(page: Any, tensorboard_factory: Any, tmp_path: Path) -> None:
    import tb_media_panel as mp

    logdir = tmp_path / "live"
    with mp.Writer(str(logdir / "train")) as w:
        for step in (0, 1, 2):
            w.add("samples", mp.Image(sample_image(0, step, 0)), step=step)
    server = tensorboard_factory(logdir)
    frame = open_media_tab(page, server.url)
    until(lambda: current_step(frame) == "2", "latest step shown")
    with mp.Writer(str(logdir / "train"), filename_suffix=".more") as w:
        w.add("samples", mp.Image(sample_image(0, 7, 0)), step=7)
    until(lambda: current_step(frame) == "7", "the new step appears without a reload", timeout=60)
    until(lambda: "7" in col_labels(frame, "samples"), "the new step gets a column")
    until(lambda: (s := settled(frame, "samples")) and any(c["step"] == "7" for c in s), "its image loads")


def test_many_steps_spread_evenly_and_dom_stays_bounded(
    page: Any, tensorboard_factory: Any, tmp_path: Path
) -> None:
    import tb_media_panel as mp

    logdir = tmp_path / "long"
    tiny = np.zeros((8, 8, 3), np.uint8)
    with mp.Writer(str(logdir / "run"), flush_secs=1e9) as w:
        for step in range(0, 30000, 10):
            w.add("frames", mp.Image(tiny), step=step)
    server = tensorboard_factory(logdir)
    frame = open_media_tab(page, server.url, "cell=64&spread=1")  # steps spread to fit the width
    until(lambda: len(col_labels(frame, "frames")) > 5, "step columns")
    steps = [
        int(v)
        for v in frame.locator(f"{CARD.format('frames')} .mp-grid-inner .mp-axis-label").evaluate_all(
            "els => els.map(e => e.dataset.value)"
        )
    ]
    assert steps[0] == 0 and steps[-1] == 29990, steps
    gaps = np.diff(steps)
    assert gaps.max() - gaps.min() <= 0.1 * gaps.mean(), steps
    # y=step: a row for every step of the window, scrolled inside the card; only the rows on
    # screen are in the DOM, however many steps exist
    frame.locator('select[aria-label="x axis"]').select_option("index")
    frame.locator('select[aria-label="y axis"]').select_option("step")
    until(lambda: settled(frame, "frames"), "rows loaded")
    grid = frame.locator(f"{CARD.format('frames')} .mp-grid-scroll")
    assert grid.evaluate("g => g.scrollHeight > 100 * g.clientHeight"), "a thousand rows to scroll"
    assert grid.evaluate("g => g.getBoundingClientRect().bottom <= innerHeight"), "the grid fits the screen"
    mounted = frame.locator(f"{CARD.format('frames')} .mp-cell").count()
    assert 0 < mounted <= 20, mounted
    grid.evaluate("g => g.scrollTop = g.scrollHeight / 2")
    until(
        lambda: (s := settled(frame, "frames")) and any(14000 < int(c["step"]) < 16000 for c in s),
        "rows in the middle of the run mount when scrolled to",
    )
    assert frame.locator(f"{CARD.format('frames')} .mp-cell").count() <= 20
    labels = [int(v) for v in frame.locator(f"{CARD.format('frames')} .mp-grid-rowlabels .mp-axis-label")
              .evaluate_all("els => els.map(e => e.dataset.value)")]
    assert np.diff(labels).max() <= 40, labels  # neighbouring rows are neighbouring steps
    # the column labels (item indices) stay pinned at the top of the scrolled grid, over the cells
    heads = frame.locator(f"{CARD.format('frames')} .mp-grid-inner .mp-axis-label")
    assert heads.count() >= 1
    top = grid.bounding_box()["y"]
    for i in range(heads.count()):
        box = heads.nth(i).bounding_box()
        assert abs(box["y"] - top) <= 1, (box, top)
    on_top = heads.evaluate_all(
        """els => els.map(el => {
            const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return top?.closest('.mp-axis-label') === el;
        })"""
    )
    assert all(on_top), "the labels are drawn over the cells scrolled under them"
    grid.evaluate("g => g.scrollTop = g.scrollHeight")
    until(
        lambda: (s := settled(frame, "frames")) and any(c["step"] == "29990" for c in s),
        "the last step is the last row",
    )
    assert frame.locator(f"{CARD.format('frames')} .mp-cell").count() <= 20


def test_full_screen_zoom_pan_and_download_of_the_original(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples&x=index&y=run")
    until(lambda: settled(frame, "samples"), "samples loaded")
    cell = frame.locator(f'{CARD.format("samples")} .mp-cell[data-run="lr_0.01"][data-col="2"]')
    cell.hover()
    with page.expect_download() as download:
        cell.get_by_role("link", name="Download the original").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename.endswith(".png")
    from PIL import Image as PILImage

    assert np.array_equal(np.asarray(PILImage.open(saved).convert("RGB")), sample_image(1, 50, 2))

    cell.hover()
    cell.get_by_role("button", name="Full screen").click()
    box = frame.get_by_role("dialog", name="lr_0.01 · samples · step 50 · #2 full screen")
    img = box.locator(".mp-lightbox-img")
    until(lambda: img.evaluate("i => i.complete && i.naturalWidth") == 64, "the original loads full screen")
    zoom = box.locator(".mp-lightbox-zoom")
    until(lambda: zoom.inner_text().endswith("%"), "zoom shown")
    fit = int(zoom.inner_text()[:-1])
    assert fit > 300, "a 64 px image is fitted to the screen"
    screenshot(page, "image-full-screen.png")
    stage = box.locator(".mp-lightbox-stage").bounding_box()
    before = img.bounding_box()
    page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
    page.mouse.wheel(0, -400)
    until(lambda: int(zoom.inner_text()[:-1]) > fit, "the wheel zooms in")
    assert img.bounding_box()["width"] > before["width"] * 1.3
    zoomed = img.bounding_box()
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] / 2 + 120, stage["y"] + stage["height"] / 2 + 60, steps=4)
    page.mouse.up()
    moved = img.bounding_box()
    assert abs(moved["x"] - zoomed["x"] - 120) < 2 and abs(moved["y"] - zoomed["y"] - 60) < 2, "drag pans"
    box.get_by_role("button", name="1:1").click()
    until(lambda: zoom.inner_text() == "100%", "1:1 shows the original pixels")
    assert round(img.bounding_box()["width"]) == 64
    page.keyboard.press("Escape")
    until(lambda: frame.get_by_role("dialog").count() == 0, "Escape closes full screen")
    assert not page.errors


def write_pairs_logdir(root: Path) -> None:
    """Two runs logging a segmentation prediction next to its ground truth, and a loss image."""
    import tb_media_panel as mp

    for r, run in enumerate(("unet", "deeplab")):
        with mp.Writer(str(root / run)) as w:
            for step in (0, 100, 200):
                truth = sample_image(0, 60, 0)
                w.add("seg/ground_truth", mp.Image(truth), step=step)
                w.add("seg/prediction", mp.Image(sample_image(r + 2, step // 4, 0)), step=step)
                w.add("curves", mp.Image(sample_image(r, step, 1)), step=step)


def test_compare_prediction_next_to_ground_truth(page: Any, tensorboard_factory: Any, tmp_path: Path) -> None:
    write_pairs_logdir(tmp_path / "pairs")
    server = tensorboard_factory(tmp_path / "pairs")
    frame = open_media_tab(page, server.url)
    chip = frame.get_by_role("button", name="Compare seg: prediction ↔ ground_truth")
    chip.click()
    card = frame.locator(CARD.format("compare"))
    title = card.locator(".mp-card-title")
    until(lambda: title.inner_text() == "prediction vs ground_truth", "comparison card")
    assert frame.locator("[data-card]").first.get_attribute("data-card") == "compare"
    assert "cmp=seg%2Fprediction&cmp=seg%2Fground_truth" in hash_state(page)
    until(lambda: settled(frame, "compare"), "comparison loaded")
    # x = step, y = run: each step's column pair shows prediction then ground truth
    subs = texts(frame, f"{CARD.format('compare')} .mp-grid-inner .mp-axis-sub")
    assert subs == ["prediction", "ground_truth"] * 3, subs
    assert [t for t in col_labels(frame, "compare") if t] == ["0", "100", "200"]
    assert row_labels(frame, "compare") == ["deeplab", "unet"]
    assert len(cells(frame, "compare")) == 12
    tags = frame.locator(f"{CARD.format('compare')} .mp-cell").evaluate_all(
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), e.dataset.tag, e.dataset.step])"
    )
    for row, col, tag, step in tags:
        assert tag == ("seg/prediction" if col % 2 == 0 else "seg/ground_truth"), (row, col, tag)
        assert step == ["0", "100", "200"][col // 2]
    screenshot(page, "compare-tags.png")
    # ticking a tag in the list edits the comparison; the URL keeps it
    frame.get_by_role("checkbox", name="Compare curves").check()
    until(lambda: title.inner_text() == "seg/prediction vs seg/ground_truth vs curves", "a third tag joins")
    page.reload()
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    card = frame.locator(CARD.format("compare"))
    until(lambda: card.count() == 1 and "curves" in card.locator(".mp-card-title").inner_text(),
          "the comparison survives a reload")
    card.get_by_role("button", name="Stop comparing").click()
    until(lambda: frame.locator(CARD.format("compare")).count() == 0, "closing the comparison card")
    assert not page.errors


def test_card_corner_sets_width_and_cards_sit_side_by_side(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=samples%7Cspeech")
    until(lambda: settled(frame, "samples"), "samples loaded")
    samples = frame.locator(CARD.format("samples"))
    speech = frame.locator(CARD.format("speech"))
    full = samples.bounding_box()["width"]
    for name in ("samples", "speech"):
        corner = frame.locator(CARD.format(name)).locator(".mp-resize")
        corner.scroll_into_view_if_needed()
        handle = corner.bounding_box()
        x, y = handle["x"] + 7, handle["y"] + 7
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - full / 2 - 20, y + 40, steps=5)
        page.mouse.up()
        until(lambda name=name: frame.locator(CARD.format(name)).bounding_box()["width"] < full / 2,
              f"{name} card narrower")
    until(lambda: abs(samples.bounding_box()["y"] - speech.bounding_box()["y"]) < 2, "cards side by side")
    assert "widths=" in hash_state(page)
    cell = frame.locator(f"{CARD.format('samples')} .mp-cell").first.bounding_box()
    assert 140 <= cell["width"] <= 156, "dragging down grew the cells (128 + 40 / 2 px)"
    until(lambda: settled(frame, "samples"), "samples reloaded")
    screenshot(page, "cards-side-by-side.png")
    assert not page.errors


def test_video_scrubs_in_a_small_cell(page: Any, media_server: Any) -> None:
    frame = open_media_tab(page, media_server.url, "tags=rollout&x=run&y=index&cell=128")
    until(lambda: settled(frame, "rollout"), "videos loaded")
    cell = frame.locator(f"{CARD.format('rollout')} .mp-cell").first
    video = cell.locator("video")
    until(lambda: video.evaluate("v => v.readyState >= 1"), "video metadata")
    scrub = cell.get_by_role("slider", name="Frame")
    assert scrub.bounding_box()["width"] >= 110, "the frame slider spans the small cell"
    box = video.bounding_box()
    page.mouse.move(box["x"] + 4, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    until(lambda: scrub.input_value() in ("9", "10"), "dragging across the picture scrubs to ~80 %")
    assert video.evaluate("v => v.paused"), "scrubbing pauses"
    assert cell.locator(".mp-media-time").inner_text() in ("10/12", "11/12")
    assert not page.errors
