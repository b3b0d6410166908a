"""Logged names with bidi overrides and zero-width characters, as the viewers show them.

In Chromium against a real `tensorboard --logdir`: a caption, a mask layer's name and a class
name carrying U+202E (right-to-left override) and U+200B (zero-width space) show those
characters as visible code points in the grid, in the cell's menu and in full screen, so
"cap\u202etxt.exe" cannot pass for "capexe.txt" anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, sample_image, until
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RLO, ZWSP = "\u202e", "\u200b"
RUN = f"run{RLO}gnp.exe{ZWSP}"
CAPTION = f"cap{RLO}txt.exe{ZWSP}"
LAYER = f"pred{ZWSP}"
CLASS = f"cat{RLO}god"


def shown(text: str) -> str:
    """What the panel draws for `text`: each invisible character as its code point in angle quotes."""
    return text.replace(RLO, "\u2039U+202E\u203a").replace(ZWSP, "\u2039U+200B\u203a")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    root = tmp_path_factory.mktemp("names")
    logs = root / "logs"
    mask = (np.arange(32)[None, :].repeat(32, 0) * 2 // 32).astype(np.uint16)
    for r, run in enumerate((RUN, "other")):
        with mp.Writer(str(Path(logs) / run)) as w:
            for step in (0, 1):
                img = sample_image(r, step, 0, 32)
                w.add("plain", mp.Image(img, caption=CAPTION), step=step)
                seg = mp.Image(img, masks={LAYER: mp.Mask(mask, {0: "bg", 1: CLASS})}, caption=CAPTION)
                w.add("seg", seg, step=step)
    with serving(logs, root / "tb.log") as tb:
        yield tb


def test_captions_layers_and_class_names_show_their_invisible_characters(
    server: TensorBoardServer, page: Any
) -> None:
    frame = open_media_tab(page, server.url)
    ready = '.mp-cell[data-tag="{}"][data-run="{}"][data-step="1"][data-state="ready"]'
    cell = frame.locator(ready.format("plain", RUN))
    cell.wait_for(timeout=90_000)
    # In the grid: the caption under the picture.
    assert cell.locator(".mp-caption").inner_text() == shown(CAPTION)
    # The cell's menu: the mask layer and its classes.
    seg = frame.locator(ready.format("seg", RUN))
    seg.wait_for(timeout=90_000)
    # An image with masks shows its caption under the picture too.
    assert seg.locator(".mp-caption").inner_text() == shown(CAPTION)
    seg.hover()
    seg.locator('button[data-control="drawer"]').click()
    dialog = frame.locator('[role="dialog"]:visible')
    until(lambda: dialog.count() == 1, "the layers menu opens", timeout=10)
    menu = dialog.inner_text()
    assert shown(LAYER) in menu and shown(CLASS) in menu, menu
    assert RLO not in menu and ZWSP not in menu, menu
    page.keyboard.press("Escape")
    until(lambda: dialog.count() == 0, "Escape closes the menu", timeout=10)
    # Full screen names the item (run · tag · step) and shows its caption.
    cell.hover()
    cell.get_by_role("button", name="Full screen").first.click()
    full = frame.locator('.mp-lightbox[role="dialog"]')
    full.wait_for(timeout=10_000)
    title = full.locator(".mp-lightbox-title").inner_text()
    caption = full.locator(".mp-lightbox-caption").inner_text()
    assert title.startswith(shown(RUN) + " \u00b7 plain"), title
    assert caption == shown(CAPTION), caption
    # An image with masks writes its own caption full screen: it shows once, not twice.
    page.keyboard.press("Escape")
    until(lambda: full.count() == 0, "full screen closed", timeout=10)
    seg.hover()
    seg.get_by_role("button", name="Full screen").first.click()
    full.wait_for(timeout=10_000)
    captions = full.locator(".mp-caption:visible, .mp-lightbox-caption:visible")
    until(lambda: captions.count() == 1, "one caption", timeout=10)
    assert captions.inner_text() == shown(CAPTION)
    assert not page.errors
