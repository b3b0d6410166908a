"""The panel in headless Chromium against a real `tensorboard --logdir` (loopback only).

- grid_first_paint_ms: 20 runs x 50 steps of 128x128 images; from navigation to the Media tab
  until every grid cell on screen (x = step, y = run) shows its decoded image. Median of runs,
  each in a fresh browser context (no cache).
- step_change_ms_p50: the gallery tiled by run; pressing an arrow key until every cell on
  screen shows the new step's image, over steps not seen before; median.
- max_dom_nodes: 20 runs x 100k steps loaded; the most elements in the panel's document over
  first paint, step changes and scrolling the grid to its end.
- pointcloud_1m_first_frame_ms: one 1M-point cloud (xyz + rgb); from the start of its first
  `points` request (Resource Timing) to the first frame the shared WebGL renderer drew
  (software GL: Chromium runs with --disable-gpu here). Median of fresh contexts.

    .venv/bin/python -m benchmarks.browser_metrics [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FRAME = 'iframe[src*="plugin_entry.html?name=media_panel"]'
VIEWPORT = {"width": 1400, "height": 900}

# Every cell inside the visible panel area settled (cells mounted ahead of a scroll do not
# count) and, when `step` is given, showing that step; images decoded.
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

PRESS = "k => document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}))"
STEP_CHANGE = (
    "async ([key, target]) => { const ready = "
    + ALL_READY
    + """;
  const t0 = performance.now();
  document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  while (!ready(target)) await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""
)

DOM_NODES = "document.getElementsByTagName('*').length"

FIRST_FRAME = """() => {
  const canvas = document.querySelector('canvas.v3d-canvas[data-first-frame-ms]');
  if (!canvas) return null;
  const request = performance.getEntriesByType('resource').find(e => e.name.includes('/points?'));
  return request ? Number(canvas.dataset.firstFrameMs) - request.startTime : null;
}"""


def media_url(url: str, state: str = "") -> str:
    return f"{url}/#media_panel" + (f"&mp={urllib.parse.quote(state, safe='')}" if state else "")


def write_image_runs(root: Path, runs: int, steps: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    for r in range(runs):
        with mp.Writer(str(root / f"run_{r:02d}")) as writer:
            for s in range(steps):
                image = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
                writer.add("samples", mp.Image(image), step=s * 100)


def write_long_runs(root: Path, runs: int, steps: int) -> None:
    """`runs` runs of `steps` steps of one tiny image each, framed directly (fast to write)."""
    import io

    from PIL import Image

    from tb_media_panel.eventfile import EventFileWriter, summary_event_chunks
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata_bytes

    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 128, dtype=np.uint8)).save(buffer, "PNG")
    blob = media_pb2.MediaItem(
        version=1,
        kind="image",
        mime="image/png",
        format="png",
        width=8,
        height=8,
        data=buffer.getvalue(),
    ).SerializeToString()
    meta = metadata_bytes()
    for r in range(runs):
        writer = EventFileWriter(str(root / f"run_{r:02d}"))
        for step in range(steps):
            # TensorBoard keeps the first value's metadata per series; later ones may omit it
            chunks = summary_event_chunks(1.7e9 + step, step, "samples", meta if step == 0 else b"", [blob])
            writer.write_chunks(chunks)
        writer.close()


def write_cloud(root: Path, points: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    xyz = rng.normal(scale=20.0, size=(points, 3)).astype(np.float32)
    rgb = rng.integers(0, 256, size=(points, 3), dtype=np.uint8)
    with mp.Writer(str(root / "run")) as writer:
        writer.add("cloud", mp.PointCloud(xyz, colors=rgb), step=0)


@contextmanager
def serving(logdir: Path, work: Path) -> Iterator[Any]:
    from tests.tb_server import TensorBoardServer

    server = TensorBoardServer(str(logdir), [], log_path=work / f"tb-{logdir.name}.log")
    server.start()
    try:
        server.get_json("tags")  # the plugin has indexed the logdir before any measurement
        yield server
    finally:
        server.stop()


def media_frame(page: Any, timeout: float = 60.0) -> Any:
    """The plugin's iframe, once it has navigated to its entry page."""
    deadline = time.monotonic() + timeout
    page.wait_for_selector(FRAME, timeout=timeout * 1e3)
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "plugin_entry.html" in frame.url:
                return frame
        page.wait_for_timeout(20)
    raise RuntimeError("the Media tab's iframe never loaded")


def open_panel(browser: Any, url: str) -> tuple[Any, Any, float]:
    """(context, frame, ms from navigation until every visible cell is painted)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    frame = media_frame(page)
    frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=120_000)
    return context, frame, (time.perf_counter() - t0) * 1e3


def grid_and_steps(browser: Any, url: str, repeats: int, changes: int, steps: int) -> dict[str, float]:
    paints = []
    for _ in range(repeats):
        context, _, ms = open_panel(browser, media_url(url))
        paints.append(ms)
        context.close()
    context, frame, _ = open_panel(browser, media_url(url, "mode=gallery&by=run"))
    step = (steps - 1) * 100
    fresh = []
    for _ in range(min(changes, steps - 1)):
        step -= 100
        fresh.append(frame.evaluate(STEP_CHANGE, ["ArrowLeft", step]))
    context.close()
    return {
        "grid_first_paint_ms": statistics.median(paints),
        "step_change_ms_p50": statistics.median(fresh),
        "step_change_ms_max": max(fresh),
    }


def dom_nodes(browser: Any, url: str) -> float:
    context, frame, _ = open_panel(browser, media_url(url))
    counts = [frame.evaluate(DOM_NODES)]
    for key in ("ArrowLeft", "ArrowLeft", "Home", "End"):
        frame.evaluate(PRESS, key)
        frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=60_000)
        counts.append(frame.evaluate(DOM_NODES))
    for _ in range(5):  # scroll every scrollable part of the panel a screen further
        frame.evaluate(
            """() => { for (const el of document.querySelectorAll('*'))
                 if (el.scrollHeight > el.clientHeight + 10 || el.scrollWidth > el.clientWidth + 10)
                   el.scrollBy(el.clientWidth, el.clientHeight); }"""
        )
        frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=60_000)
        counts.append(frame.evaluate(DOM_NODES))
    context.close()
    return float(max(counts))


def cloud_first_frame(browser: Any, url: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(media_url(url, "tags=^cloud$&cell=480"))
        frame = media_frame(page)
        handle = frame.wait_for_function(FIRST_FRAME, polling=50, timeout=120_000)
        times.append(float(handle.json_value()))
        context.close()
    return statistics.median(times)


def run(quick: bool) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    runs, steps = (6, 12) if quick else (20, 50)
    long_runs, long_steps = (20, 2_000) if quick else (20, 100_000)
    points = 200_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="tbmp-browser-") as tmp:
        work = Path(tmp)
        grid, long, cloud = work / "grid", work / "long", work / "cloud"
        write_image_runs(grid, runs, steps)
        write_long_runs(long, long_runs, long_steps)
        write_cloud(cloud, points)
        results: dict[str, float] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                with serving(grid, work) as server:
                    results.update(
                        grid_and_steps(browser, server.url, 2 if quick else 7, 5 if quick else 20, steps)
                    )
                with serving(long, work) as server:
                    results["max_dom_nodes"] = dom_nodes(browser, server.url)
                with serving(cloud, work) as server:
                    results["pointcloud_1m_first_frame_ms"] = cloud_first_frame(
                        browser, server.url, 1 if quick else 5
                    )
            finally:
                browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for name, value in run(args.quick).items():
        print(f"{name:32s} {value:10.1f}")


if __name__ == "__main__":
    main()
