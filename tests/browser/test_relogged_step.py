"""A step logged again (a restarted job writing the step on screen once more) redraws the cell
already showing it: its step count and last step stay the same, yet the picture changed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from tests.browser.conftest import open_media_tab, until
from tests.browser.test_panel import CARD, current_step, settled

RED, BLUE = (220, 20, 20), (20, 20, 220)


def solid(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.tile(np.array(rgb, dtype=np.uint8), (32, 32, 1))


def shown_pixel(frame: Any, step: str) -> list[int] | None:
    """The centre pixel of the image the cell at `step` shows, once it is loaded."""
    cell = f'{CARD.format("samples")} .mp-cell[data-step="{step}"]'
    img = frame.locator(f"{cell} .mp-cell-content:not([hidden]) img")
    if not img.count():
        return None
    return img.first.evaluate(
        """i => { if (!i.complete || !i.naturalWidth) return null;
                  const c = document.createElement('canvas');
                  c.width = i.naturalWidth; c.height = i.naturalHeight;
                  const g = c.getContext('2d'); g.drawImage(i, 0, 0);
                  return Array.from(g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data.slice(0, 3)); }"""
    )


def served_pixel(server: Any) -> tuple[int, ...]:
    from PIL import Image

    _, _, body = server.get("data?run=train&tag=samples&step=3&index=0")
    return tuple(Image.open(io.BytesIO(body)).convert("RGB").getpixel((16, 16)))


def close(pixel: list[int] | None, rgb: tuple[int, int, int]) -> bool:
    return pixel is not None and all(abs(a - b) <= 8 for a, b in zip(pixel, rgb, strict=True))


def test_a_step_logged_again_redraws_the_cell_on_screen(
    page: Any, tensorboard_factory: Any, tmp_path: Path
) -> None:
    import tb_media_panel as mp

    logdir = tmp_path / "relog"
    with mp.Writer(str(logdir / "train")) as w:
        for step in range(4):
            w.add("samples", mp.Image(solid(RED)), step=step)
    server = tensorboard_factory(logdir, "--reload_interval", "1")
    frame = open_media_tab(page, server.url)
    until(lambda: current_step(frame) == "3", "the latest step, 3, is shown")
    until(lambda: settled(frame, "samples"), "the cells load")
    until(lambda: close(shown_pixel(frame, "3"), RED), "step 3 shows the first picture")
    # a later file of the run logs step 3 again: TensorBoard shows the new record
    with mp.Writer(str(logdir / "train"), filename_suffix=".again") as w:
        w.add("samples", mp.Image(solid(BLUE)), step=3)
    until(lambda: served_pixel(server) == BLUE, "the server answers step 3 with the new record", timeout=30)
    until(lambda: close(shown_pixel(frame, "3"), BLUE), "step 3 is redrawn with the new picture", timeout=30)
    assert current_step(frame) == "3"
    assert not page.errors
