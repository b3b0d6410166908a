"""Full screen for every kind, in Chromium against a real `tensorboard --logdir`: it follows the
slider (← as well), steps and runs back and forth from its own bar, and downloads what it shows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, sample_image, screenshot, until
from tests.conftest import require, require_fixtures_dir
from tests.tb_server import TensorBoardServer, serving

RUNS = ("run_a", "run_b", "run_c")
STEPS = (0, 10, 20)


def write_logdir(root: Path) -> Path:
    mp = require("tb_media_panel")
    fixtures = require_fixtures_dir()
    aspirin = (fixtures / "molecule_aspirin_3d.sdf").read_text()
    rng = np.random.default_rng(3)
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / run)) as w:
            for step in STEPS:
                img = sample_image(r, step, 0, 48)
                mask = (np.arange(48)[None, :].repeat(48, 0) * 3 // 48).astype(np.uint16)
                w.add("image", mp.Image(img), step=step)
                w.add(
                    "masks", mp.Image(img, masks={"pred": mp.Mask(mask, {0: "a", 1: "b", 2: "c"})}), step=step
                )
                t = np.linspace(0, 1, 4000, dtype=np.float32)
                w.add("audio", mp.Audio(0.4 * np.sin(2 * math.pi * 330 * t), sample_rate=4000), step=step)
                w.add("video", mp.Video(np.stack([img] * 4), fps=4), step=step)
                w.add("mesh", mp.Object3D(str(fixtures / "model_box_embedded.gltf")), step=step)
                w.add("cloud", mp.PointCloud(rng.normal(size=(200, 3)).astype(np.float32)), step=step)
                w.add("molecule", mp.Molecule(aspirin, format="sdf"), step=step)
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("fullscreen")
    with serving(write_logdir(root / "logs"), root / "tb.log") as tb:
        yield tb


def open_full_screen(frame: Any, tag: str) -> Any:
    """Opens the middle cell (run_b, step 10) full screen; returns the dialog."""
    cell = frame.locator(f'.mp-cell[data-tag="{tag}"][data-run="run_b"][data-step="10"][data-state="ready"]')
    cell.wait_for(timeout=90_000)
    cell.hover()
    cell.get_by_role("button", name="Full screen").first.click()
    frame.get_by_role("dialog", name=f"run_b · {tag} · step 10 · #0 full screen").wait_for(timeout=10_000)
    # Its name changes with the item shown: held by its place from here on.
    return frame.locator('.mp-lightbox[role="dialog"]')


def test_image_full_screen_follows_the_slider_and_steps_through_runs(
    server: TensorBoardServer, page: Any
) -> None:
    frame = open_media_tab(page, server.url, "tags=%5Eimage%24&step=10")
    dialog = open_full_screen(frame, "image")
    # ← in full screen moves the panel's slider; the view shows the new step, not the old one.
    page.keyboard.press("ArrowLeft")
    until(lambda: dialog.get_attribute("data-step") == "0", "← shows step 0 full screen", timeout=15)
    assert "step 0" in dialog.get_attribute("aria-label")
    dialog.get_by_role("button", name="Next step").click()
    until(lambda: dialog.get_attribute("data-step") == "10", "next step inside full screen", timeout=15)
    dialog.get_by_role("button", name="Next run").click()
    until(lambda: dialog.get_attribute("data-run") == "run_c", "next run inside full screen", timeout=15)
    # The picture shown is run_c's at step 10, and the download is that item.
    img = dialog.locator(".mp-lightbox-img")
    until(lambda: img.evaluate("i => i.complete && i.naturalWidth") == 48, "the image loads", timeout=15)
    href = dialog.get_by_role("link", name="Download", exact=True).get_attribute("href")
    assert "run=run_c" in href and "step=10" in href and "download=1" in href
    screenshot(page, "full-screen-image.png")
    page.keyboard.press("Escape")
    until(lambda: frame.get_by_role("dialog").count() == 0, "Escape closes full screen", timeout=10)
    assert not page.errors


@pytest.mark.parametrize("tag", ["masks", "audio", "video", "mesh", "cloud", "molecule"])
def test_every_kind_opens_full_screen_with_its_controls_and_a_download(
    server: TensorBoardServer, page: Any, tag: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    frame = open_media_tab(page, server.url, f"tags=%5E{tag}%24&step=10&cell=160")
    dialog = open_full_screen(frame, tag)
    content = dialog.locator(".mp-cell-content")
    until(lambda: content.locator("canvas, img, video, audio, svg").count() > 0, f"{tag} drawn full screen")
    box = content.bounding_box()
    assert box["width"] > 1000 and box["height"] > 600, f"{tag} fills the screen: {box}"
    href = dialog.get_by_role("link", name="Download", exact=True).get_attribute("href")
    assert "run=run_b" in href and "download=1" in href
    # The kind's own controls come along: a menu for annotated and 3D items, playback for media.
    if tag in ("masks", "mesh", "cloud", "molecule"):
        menu = content.locator('button[aria-haspopup="dialog"]')
        menu.click()
        until(lambda: frame.locator('.vc-pop[role="dialog"]:visible').count() == 1, "its menu opens over it")
        page.keyboard.press("Escape")
        assert dialog.is_visible(), "Escape closes the menu, not the full-screen view"
    else:
        assert content.get_by_role("button", name="Play").count() == 1
    dialog.get_by_role("button", name="Previous step").click()
    until(lambda: dialog.get_attribute("data-step") == "0", f"{tag}: previous step inside full screen")
    screenshot(page, f"full-screen-{tag}.png")
    page.keyboard.press("Escape")
    until(lambda: frame.get_by_role("dialog").count() == 0, "Escape closes full screen", timeout=10)
    assert not page.errors
