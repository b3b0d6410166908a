"""What several benchmark modules share: the browser set-up, a TensorBoard to measure against,
small generated logdirs and the `--quick` command line.

Browser figures come from headless Chromium with `--disable-gpu` (WebGL is software) in a
1400x900 viewport, against a real `tensorboard --logdir` on loopback.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FRAME = 'iframe[src*="plugin_entry.html?name=media_panel"]'
VIEWPORT = {"width": 1400, "height": 900}

# True when every cell inside the visible panel area has settled (cells mounted ahead of a
# scroll do not count) and, when `step` is not null, shows that step; images decoded.
# What kept ALL_READY false, for the error of a benchmark that timed out.
UNSETTLED = """() => ({
  runs: document.querySelector('.mp-runs .mp-count')?.textContent,
  status: document.querySelector('.mp-main')?.innerText.slice(0, 200),
  cells: [...document.querySelectorAll('.mp-cell')].slice(0, 12).map(c => [c.dataset.run, c.dataset.step,
    c.dataset.requestedStep, c.dataset.state]),
})"""

ALL_READY = """(step) => {
  const area = document.querySelector('.mp-main');
  if (!area) return false;
  const main = area.getBoundingClientRect();
  const cells = [...document.querySelectorAll('.mp-cell')].filter(c => {
    const r = c.getBoundingClientRect();
    return r.bottom > main.top && r.top < main.bottom && r.right > main.left && r.left < main.right;
  });
  return cells.length > 0 && cells.every(c => c.dataset.state !== 'loading'
    && (step === null || (c.dataset.requestedStep === String(step) && c.dataset.step === String(step)))
    && (c.dataset.state !== 'ready'
        || (c.querySelector('.mp-cell-content:not([hidden]) img')?.complete ?? true)));
}"""

# How many cells are inside the visible panel area.
VISIBLE_CELLS = """() => {
  const main = document.querySelector('.mp-main').getBoundingClientRect();
  return [...document.querySelectorAll('.mp-cell')].filter(c => {
    const r = c.getBoundingClientRect();
    return r.bottom > main.top && r.top < main.bottom && r.right > main.left && r.left < main.right;
  }).length;
}"""


def media_url(url: str, state: str = "") -> str:
    """TensorBoard's Media tab; `state` is the panel's own URL state (`mode=gallery&by=run`)."""
    return f"{url}/#media_panel" + (f"&mp={urllib.parse.quote(state, safe='')}" if state else "")


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@contextmanager
def serving(logdir: Path, work: Path, extra_args: list[str] | None = None) -> Iterator[Any]:
    """A real TensorBoard on `logdir` whose plugin has indexed it before any measurement."""
    from tests.tb_server import serving as started

    with started(logdir, work / f"tb-{logdir.name}.log", extra_args or []) as server:
        server.get_json("tags")
        yield server


def media_frame(page: Any, timeout: float = 60.0) -> Any:
    """The Media tab's frame, once its iframe has navigated to the plugin's entry page."""
    deadline = time.monotonic() + timeout
    page.wait_for_selector(FRAME, timeout=timeout * 1e3)
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "plugin_entry.html" in frame.url:
                return frame
        page.wait_for_timeout(20)
    raise RuntimeError("the Media tab's iframe never loaded")


def open_panel(browser: Any, url: str) -> tuple[Any, Any, Any, float]:
    """(context, page, frame, ms from navigation until every visible cell is painted), in a
    fresh browser context (nothing cached)."""
    context, page, frame, ms, _ = open_panel_timed(browser, url)
    return context, page, frame, ms


def open_panel_timed(browser: Any, url: str) -> tuple[Any, Any, Any, float, float]:
    """open_panel's answer and, last, the ms TensorBoard's own page took before it asked for
    the Media tab's frame: its bundle and first requests, the same whatever the plugin does."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    asked: list[float] = []
    page.on("request", lambda r: asked.append(time.perf_counter()) if "plugin_entry.html" in r.url else None)
    t0 = time.perf_counter()
    page.goto(url)
    frame = media_frame(page)
    try:
        frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=120_000)
    except Exception as e:
        raise RuntimeError(f"the panel never settled: {frame.evaluate(UNSETTLED)}") from e
    done = time.perf_counter()
    return context, page, frame, (done - t0) * 1e3, (asked[0] - t0) * 1e3


def tiny_png(size: int = 8, value: int = 90) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def image_item(png: bytes, width: int = 0, height: int = 0) -> bytes:
    """A serialized MediaItem holding one PNG."""
    from tb_media_panel.proto import media_pb2

    return media_pb2.MediaItem(
        version=1, kind="image", mime="image/png", format="png", data=png, width=width, height=height
    ).SerializeToString()


def write_one_item_run(run_dir: Path, tag: str, blob: bytes, steps: int, stride: int = 1) -> None:
    """One run of `steps` media_panel events of `tag`, one item `blob` each, steps 0, stride, …;
    framed directly, the bytes `mp.Writer` writes, fast enough for 100k steps."""
    from tb_media_panel.eventfile import EventFileWriter, summary_event_chunks
    from tb_media_panel.summary import metadata_bytes

    meta = metadata_bytes()
    writer = EventFileWriter(str(run_dir))
    for step in range(steps):
        writer.write_chunks(summary_event_chunks(1.7e9 + step, step * stride, tag, meta, [blob]))
    writer.close()


def quick_parser(doc: str | None) -> argparse.ArgumentParser:
    """A suite's command line: its docstring's first line and `--quick`."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the sizes `make bench-quick` uses")
    return parser


def print_figures(figures: dict[str, float]) -> None:
    for name, value in figures.items():
        print(f"{name:40s} {value:12.4g}")


def quick_cli(run: Callable[[bool], dict[str, float]], doc: str | None) -> None:
    """`python -m benchmarks.<suite> [--quick]`: the suite's figures, one a line."""
    print_figures(run(quick_parser(doc).parse_args().quick))
