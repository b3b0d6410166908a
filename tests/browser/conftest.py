"""Browser fixtures: headless Chromium driven by Playwright against a real `tensorboard --logdir`.

Reusable by every browser test:
- `browser` (session): Chromium at /usr/bin/chromium (or $CHROMIUM); missing -> skip, or fail in CI.
- `page`: a fresh 1400x900 page per test; console errors are collected in `page.errors`.
- `open_media_tab(page, url, state="")` -> the FrameLocator of the Media tab's iframe, once the
  panel has rendered; `state` is the panel's encoded settings (what it writes after `&mp=`).
- `screenshot(page, name)`: a picture of the page, into docs/screenshots/ under
  `make screenshots` only (elsewhere into the temp dir, so `make test` leaves the tree as it was).
- `write_media_logdir(path)`: several runs of images, video, audio and HTML written with mp.Writer.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import require, unavailable

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# `make test` never writes tracked files: pictures go to the temp dir unless `make screenshots`
# (TB_MEDIA_SCREENSHOTS=1) asks for the docs' copies to be refreshed.
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("TB_MEDIA_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "tb-media-panel-screenshots"
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require("playwright")
    from playwright import sync_api

    exe = chromium_path()
    if exe is None:
        unavailable("Chromium not found at /usr/bin/chromium or $CHROMIUM")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


def media_tab_url(url: str, state: str = "") -> str:
    return f"{url}/#media_panel" + (f"&mp={urllib.parse.quote(state, safe='')}" if state else "")


def open_media_tab(page: Any, url: str, state: str = "", timeout: float = 60_000, fresh: bool = False) -> Any:
    """Open TensorBoard at the Media tab; return the plugin iframe's FrameLocator once rendered.
    `fresh`: a new page load (as a link opened in a new tab), not the open page following a new hash."""
    if fresh:
        page.goto("about:blank")
    page.goto(media_tab_url(url, state))
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    frame.locator(".mp-root").wait_for(timeout=timeout)
    return frame


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def sample_image(run: int, step: int, index: int, size: int = 64) -> np.ndarray:
    """A recognisable picture per (run, step, index): hue by run, a bar that grows with step."""
    y, x = np.mgrid[0:size, 0:size]
    hue = (run * 0.23 + index * 0.07) % 1.0
    base = np.stack(
        [
            127 + 127 * np.sin(2 * math.pi * (hue + 0.0)) * np.ones_like(x),
            127 + 127 * np.sin(2 * math.pi * (hue + 0.33)) * np.ones_like(x),
            127 + 127 * np.sin(2 * math.pi * (hue + 0.66)) * np.ones_like(x),
        ],
        axis=-1,
    )
    ring = np.hypot(x - size / 2, y - size / 2) < (4 + step % 97 * size / 240 + index * 2)
    base[ring] = 255 - base[ring]
    base[: size // 8, : max(1, int(size * ((step % 101) / 100)))] = 30
    return base.clip(0, 255).astype(np.uint8)


RUNS = ("baseline", "lr_0.01", "wide_net")
STEPS = (0, 10, 20, 30, 40, 50)


def write_media_logdir(root: Path, fixture_path: Any = None) -> Path:
    """Three runs; `samples`: 4 images per step at 0..50 (wide_net lacks step 50, so it shows 40
    as the nearest earlier); `rollout` videos, `speech` audio and `report` HTML at steps 0 and 50."""
    mp = require("tb_media_panel")
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / run)) as w:
            for step in STEPS:
                if run == "wide_net" and step == 50:
                    continue
                w.add(
                    "samples",
                    [mp.Image(sample_image(r, step, i), caption=f"sample {i}") for i in range(4)],
                    step=step,
                )
            for step in (0, 50):
                t = np.linspace(0, 1, 8000, dtype=np.float32)
                tone = 0.5 * np.sin(2 * math.pi * (220 + 110 * r + step) * t) * np.exp(-3 * t)
                w.add("speech", mp.Audio(tone, sample_rate=8000, caption=f"{run} tone"), step=step)
                frames = np.stack([sample_image(r, step + f * 5, 0, 64) for f in range(12)])
                w.add("rollout", mp.Video(frames, fps=6), step=step)
                w.add(
                    "report",
                    mp.Html(
                        "<html><body style='font-family:sans-serif'>"
                        f"<h3 id='title'>Report {run} @ {step}</h3><p id='dyn'></p>"
                        "<script>document.getElementById('dyn').textContent = 'script ran ' + (6*7);"
                        "</script></body></html>"
                    ),
                    step=step,
                )
    return root


@pytest.fixture(scope="session")
def media_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_media_logdir(tmp_path_factory.mktemp("media_logdir"))


@pytest.fixture(scope="session")
def media_server(media_logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One TensorBoard on `media_logdir` shared by the tests that only read it."""
    from tests.tb_server import TensorBoardServer

    server = TensorBoardServer(str(media_logdir), [], log_path=tmp_path_factory.mktemp("tb") / "tb.log")
    server.start()
    yield server
    server.stop()


def until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Wait for a condition the user would see; fail naming it."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {what} (last: {last!r})")
