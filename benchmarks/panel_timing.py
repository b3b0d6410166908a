"""Media panel timings in headless Chromium on 20 runs x 50 steps of 128x128 images.

- first paint: from navigating to TensorBoard's Media tab until every grid cell on screen shows its
  image (default layout x = step, y = run; images decoded and in the DOM);
- step change: from pressing → / ← until every cell on screen shows the new step's image, in the
  gallery tiled by run (one image per run at the slider's step), over `--changes` moves to steps
  not seen before, then the same moves back (images from cache).

    .venv/bin/python -m benchmarks.panel_timing [--runs 20] [--steps 50] [--changes 20]
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
  const cells = [...document.querySelectorAll('.mp-cell')];
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


def write_logdir(root: Path, runs: int, steps: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    for r in range(runs):
        with mp.Writer(str(root / f"run_{r:02d}"), flush_secs=1e9) as w:
            for s in range(steps):
                img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
                w.add("samples", mp.Image(img), step=s * 100)


def media_frame(page):
    for f in page.frames:
        if "plugin_entry.html" in f.url:
            return f
    raise RuntimeError("Media tab iframe not found")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="first-paint measurements (fresh page each)")
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
                    cells = frame.evaluate("document.querySelectorAll('.mp-cell').length")
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
                gallery_cells = frame.evaluate("document.querySelectorAll('.mp-cell').length")
                context.close()
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


if __name__ == "__main__":
    main()
