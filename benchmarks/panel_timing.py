"""Media panel timings in headless Chromium on 20 runs x 50 steps of 128x128 images.

- first paint: from navigating to TensorBoard's Media tab until every grid cell on screen shows its
  image (default layout x = step, y = run; images decoded and in the DOM). "On screen" means
  inside the visible part of the panel: cells mounted ahead of a scroll do not count;
- step change: from pressing → / ← until every cell on screen shows the new step's image, in the
  gallery tiled by run (one image per run at the slider's step), over `--changes` moves to steps
  not seen before (the panel looks one step ahead, as when a user steps with the arrow keys),
  then the same moves back (images from cache), then jumps to far steps nothing fetched yet
  (clicks on the timeline);
- max DOM nodes: elements in the panel's document with `--dom-steps` steps x `--dom-runs` runs
  logged, over the default grid, x = index / y = step scrolled top to bottom, and the gallery
  by step scrolled likewise (`--dom-steps 0` skips it).

    .venv/bin/python -m benchmarks.panel_timing [--runs 20] [--steps 50] [--changes 20]
        [--dom-steps 100000] [--dom-runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FRAME = 'iframe[src*="plugin_entry.html?name=media_panel"]'

# Resolves when every mounted cell is ready and, if given, shows `step`; measured in the page.
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

STEP_CHANGE = """async ([key, target]) => {
  const ready = READY;
  const t0 = performance.now();
  document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  while (!ready(target)) await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}""".replace("READY", ALL_READY)

# Times from a real click on the timeline's slider track (its pointerdown) until every cell on
# screen shows `target`.
ARM_JUMP = """() => {
  window.__jumpStart = null;
  document.querySelector('.mp-timeline-canvas').addEventListener('pointerdown',
    () => { window.__jumpStart = performance.now(); }, {capture: true, once: true});
}"""
AWAIT_JUMP = """async (target) => {
  const ready = READY;
  while (window.__jumpStart === null || !ready(target)) await new Promise(r => requestAnimationFrame(r));
  return performance.now() - window.__jumpStart;
}""".replace("READY", ALL_READY)


def jump(page, frame, target: int, last: int) -> float:
    box = page.locator(FRAME).bounding_box()
    canvas = frame.locator(".mp-timeline-canvas").bounding_box()
    assert box is not None and canvas is not None
    x = canvas["x"] + 12 + target / last * (canvas["width"] - 24)
    frame.evaluate(ARM_JUMP)
    page.mouse.click(x, canvas["y"] + 48)
    return frame.evaluate(AWAIT_JUMP, target)


DOM_NODES = "document.getElementsByTagName('*').length"

# Scrolls every scroller of the panel (the page and grids that scroll inside their card) from top
# to bottom in `n` stops, returning the most elements seen in the document at any stop.
SCROLL_MAX_NODES = """async (n) => {
  let most = document.getElementsByTagName('*').length;
  const scrollers = [document.querySelector('.mp-main'),
                     ...document.querySelectorAll('.mp-grid-tall .mp-grid-scroll')];
  for (const s of scrollers) {
    for (let i = 0; i <= n; i++) {
      s.scrollTop = (s.scrollHeight - s.clientHeight) * i / n;
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      most = Math.max(most, document.getElementsByTagName('*').length);
    }
  }
  return most;
}"""


ALL_VISIBLE_COUNT = """(() => {
  const main = document.querySelector('.mp-main').getBoundingClientRect();
  return [...document.querySelectorAll('.mp-cell')].filter(c => {
    const r = c.getBoundingClientRect();
    return r.bottom > main.top && r.top < main.bottom && r.right > main.left && r.left < main.right;
  }).length;
})()"""


def write_logdir(root: Path, runs: int, steps: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    for r in range(runs):
        with mp.Writer(str(root / f"run_{r:02d}"), flush_secs=1e9) as w:
            for s in range(steps):
                img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
                w.add("samples", mp.Image(img), step=s * 100)


def write_long_logdir(root: Path, runs: int, steps: int) -> None:
    """`runs` runs of `steps` steps of a tiny image each: every run the same file, written once."""
    import shutil

    from tb_media_panel.compat import event_pb2, summary_pb2
    from tb_media_panel.eventfile import EventFileWriter
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto

    png = _tiny_png()
    blob = media_pb2.MediaItem(
        version=1, kind="image", mime="image/png", format="png", data=png, width=8, height=8
    ).SerializeToString()
    first = root / "run_00"
    writer = EventFileWriter(str(first))
    meta = metadata()
    tensor = tensor_proto([blob])
    for step in range(steps):
        value = summary_pb2.Summary.Value(tag="frames", metadata=meta, tensor=tensor)
        writer.write_event(
            event_pb2.Event(
                wall_time=1.7e9 + step, step=step * 10, summary=summary_pb2.Summary(value=[value])
            )
        )
    writer.close()
    for r in range(1, runs):
        shutil.copytree(first, root / f"run_{r:02d}")


def _tiny_png() -> bytes:
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def max_dom_nodes(browser, runs: int, steps: int, tmp: Path) -> tuple[int, dict[str, int]]:
    """Most elements in the panel's document over three layouts, each scrolled top to bottom."""
    from tests.tb_server import TensorBoardServer

    logdir = tmp / "long"
    write_long_logdir(logdir, runs, steps)
    server = TensorBoardServer(str(logdir), [], log_path=tmp / "tb-long.log")
    server.start()
    seen: dict[str, int] = {}
    try:
        server.get_json("tags")
        for name, state in (
            ("grid x=step y=run", ""),
            ("grid x=index y=step", "mp=x%3Dindex%26y%3Dstep"),
            ("gallery by step", "mp=mode%3Dgallery%26by%3Dstep"),
        ):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/#media_panel" + (f"&{state}" if state else ""))
            page.wait_for_selector(FRAME)
            frame = media_frame(page)
            frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=120_000)
            seen[name] = max(frame.evaluate(DOM_NODES), frame.evaluate(SCROLL_MAX_NODES, 8))
            context.close()
    finally:
        server.stop()
    return max(seen.values()), seen


def media_frame(page, timeout: float = 30.0):
    """The Media tab's frame, once its iframe element has a document attached."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in page.frames:
            if "plugin_entry.html" in f.url:
                return f
        page.wait_for_timeout(20)
    raise RuntimeError("Media tab iframe not found")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="first-paint measurements (fresh page each)")
    ap.add_argument("--dom-steps", type=int, default=100_000, help="steps per run for max DOM nodes")
    ap.add_argument("--dom-runs", type=int, default=20)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.tb_server import TensorBoardServer

    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logdir"
        write_logdir(logdir, args.runs, args.steps)
        server = TensorBoardServer(str(logdir), [], log_path=Path(tmp) / "tb.log")
        server.start()
        try:
            server.get_json("tags")  # the plugin indexes the logdir before the first measurement
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                paints = []
                for _ in range(args.repeats):
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"{server.url}/#media_panel")
                    page.wait_for_selector(FRAME)
                    frame = media_frame(page)
                    frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=60_000)
                    paints.append((time.perf_counter() - t0) * 1000)
                    cells = frame.evaluate(ALL_VISIBLE_COUNT)
                    context.close()

                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.goto(f"{server.url}/#media_panel&mp=mode%3Dgallery%26by%3Drun")
                page.wait_for_selector(FRAME)
                frame = media_frame(page)
                frame.wait_for_function(ALL_READY, arg=None, polling="raf", timeout=60_000)
                last = (args.steps - 1) * 100
                fresh, cached = [], []
                step = last
                for _ in range(args.changes):
                    step -= 100
                    fresh.append(frame.evaluate(STEP_CHANGE, ["ArrowLeft", step]))
                for _ in range(args.changes):
                    step += 100
                    cached.append(frame.evaluate(STEP_CHANGE, ["ArrowRight", step]))
                # far jumps to steps never shown nor looked ahead at (odd hundreds, early half)
                far = [(k * 200 + 100) for k in range(args.steps // 2) if k * 200 + 100 < last - 2500][
                    : max(4, args.changes // 2)
                ]
                jumps = [jump(page, frame, target, last) for target in far]
                gallery_cells = frame.evaluate(ALL_VISIBLE_COUNT)
                context.close()
                dom_max, dom_seen = (
                    max_dom_nodes(browser, args.dom_runs, args.dom_steps, Path(tmp))
                    if args.dom_steps > 0
                    else (0, {})
                )
                browser.close()
        finally:
            server.stop()

    print(f"panel timing: {args.runs} runs x {args.steps} steps of 128x128 images, headless Chromium")
    print(
        f"  grid first full paint (x=step, y=run, {cells} cells on screen): "
        f"median {statistics.median(paints):.0f} ms (runs: {', '.join(f'{v:.0f}' for v in paints)})"
    )
    print(
        f"  step change, gallery by run ({gallery_cells} cells on screen), new steps: "
        f"median {statistics.median(fresh):.0f} ms, max {max(fresh):.0f} ms over {len(fresh)}"
    )
    print(
        f"  step change back to seen steps (cache): median {statistics.median(cached):.0f} ms, "
        f"max {max(cached):.0f} ms over {len(cached)}"
    )
    print(
        f"  step jump to far steps nothing fetched yet (timeline click): "
        f"median {statistics.median(jumps):.0f} ms, max {max(jumps):.0f} ms over {len(jumps)}"
    )
    if dom_seen:
        layouts = ", ".join(f"{k} {v}" for k, v in dom_seen.items())
        print(
            f"  max DOM nodes with {args.dom_steps} steps x {args.dom_runs} runs: "
            f"max_dom_nodes {dom_max} ({layouts}; scrolled top to bottom)"
        )


if __name__ == "__main__":
    main()
