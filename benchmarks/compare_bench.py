"""Dragging the wipe divider of the Compare view over two 1024x1024 images, in headless Chromium.

- compare_wipe_ms_per_frame: a held drag across the stage (real mouse events through Playwright,
  `--moves` moves); per move, the work from the input event to the frame that shows the divider
  there: the handler (until its microtasks ran), then that animation frame from its start to the
  task after its paint (the frame's rendering, not the wait for the next vsync). Median over the
  drag (worst printed too). Each frame checks that A's clip and the divider moved with it.
- compare_wipe_latency_ms (anchor): the same from the input event's time stamp, vsync wait included.

The logdir: 2 runs of one 1024x1024 RGB image each (smooth colour fields, different per run),
both pinned from the link, mode wipe.

    .venv/bin/python -m benchmarks.compare_bench [--quick] [--moves 60]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import VIEWPORT, launch, media_frame, media_url, print_figures, quick_parser, serving

SIZE = 1024
RUNS = ("a", "b")
TAG = "big"

STATE = urllib.parse.urlencode(
    {"pins": json.dumps([[r, TAG, 0, 0] for r in RUNS]), "cv": json.dumps({"open": True, "mode": "wipe"})}
)

READY = """() => !!document.querySelector('.cv-stage[data-ready="1"][data-mode="wipe"]')"""

# Per pointermove: when it came, when its handler (and microtasks) finished, and the animation
# frame after it from start to the task after its paint, with the divider's place then.
HOOK = """() => {
  window.__frames = [];
  let pending = null;
  window.addEventListener('pointermove', (e) => {
    if (pending) return;
    const p = pending = {input: e.timeStamp, t0: performance.now(), handled: 0};
    queueMicrotask(() => { p.handled = performance.now(); });
    requestAnimationFrame((ts) => setTimeout(() => {
      p.start = ts; p.end = performance.now();
      p.wipe = document.querySelector('.cv-stage').dataset.wipe;
      p.clip = document.querySelector('.cv-stage .cv-a').style.clipPath;
      window.__frames.push(p);
      pending = null;
    }, 0));
  }, {capture: true, passive: true});
}"""


def write_logdir(root: Path) -> None:
    import tb_media_panel as mp

    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    for r, run in enumerate(RUNS):
        channels = [np.sin(8 * x + r) * 127 + 128, np.cos(6 * y - r) * 127 + 128, (x + y) * 60 + 60 * r]
        rgb = np.stack(channels, -1)
        with mp.Writer(str(root / run)) as w:
            w.add(TAG, mp.Image(rgb.clip(0, 255).astype(np.uint8)), step=0)


def measure(moves: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tbmp-compare-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        write_logdir(work / "logs")
        browser = launch(p)
        try:
            with serving(work / "logs", work) as server:
                page = browser.new_context(viewport=VIEWPORT).new_page()
                load = os.getloadavg()[0]
                page.goto(media_url(server.url, STATE))
                frame = media_frame(page)
                frame.wait_for_function(READY, timeout=120_000)
                stage = frame.locator(".cv-stage")
                box = stage.bounding_box()
                size = stage.evaluate("s => [Number(s.dataset.width), Number(s.dataset.height)]")
                if size != [SIZE, SIZE]:
                    raise RuntimeError(f"the stage shows {size}, not {SIZE}x{SIZE}")
                frame.evaluate(HOOK)
                y = box["y"] + box["height"] / 2
                page.mouse.move(box["x"] + box["width"] * 0.05, y)
                page.mouse.down()
                for i in range(moves):
                    page.mouse.move(box["x"] + box["width"] * (0.05 + 0.9 * (i + 1) / moves), y)
                page.mouse.up()
                frame.wait_for_timeout(100)
                frames = frame.evaluate("() => window.__frames")
        finally:
            browser.close()
    if len(frames) < moves // 2:
        raise RuntimeError(f"only {len(frames)} frames for {moves} moves")
    for f in frames:
        if not f.get("wipe") or not f.get("clip", "").startswith("inset("):
            raise RuntimeError(f"a frame did not move the divider: {f}")
    work_ms = [(f["handled"] - f["t0"]) + (f["end"] - f["start"]) for f in frames]
    latency = [f["end"] - f["input"] for f in frames]
    return {"work": work_ms, "latency": latency, "load": load, "frames": len(frames)}


def figures(found: dict[str, Any]) -> dict[str, float]:
    return {
        "compare_wipe_ms_per_frame": statistics.median(found["work"]),
        "compare_wipe_latency_ms": statistics.median(found["latency"]),
    }


def run(quick: bool) -> dict[str, float]:
    """60 moves; quick: 20."""
    return figures(measure(20 if quick else 60))


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--moves", type=int, default=60)
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    found = measure(args.moves)
    fig = figures(found)
    print(f"wipe over two {SIZE}x{SIZE} images, {found['frames']} frames, load {found['load']:.1f}")
    print(
        f"  per frame: median {fig['compare_wipe_ms_per_frame']:.1f} ms, worst {max(found['work']):.1f} ms; "
        f"input to painted frame: median {fig['compare_wipe_latency_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
