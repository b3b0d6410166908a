"""Media panel timings in headless Chromium on 20 runs x 50 steps of 128x128 images.

- grid_first_paint_ms: from navigating to TensorBoard's Media tab until every grid cell on
  screen shows its image (default layout x = step, y = run; images decoded and in the DOM).
  "On screen" means inside the visible part of the panel: cells mounted ahead of a scroll do
  not count. Median of `--repeats`, each in a fresh browser context (nothing cached).
  Split in two: `tensorboard_boot_ms`, until TensorBoard's own page asks for the Media tab's
  frame (its bundle and first requests: no plugin code has run yet), and
  `grid_first_paint_after_boot_ms`, the rest (the panel's own part);
- step_change_ms_p50: from pressing → / ← until every cell on screen shows the new step's
  image, in the gallery tiled by run (one image per run at the slider's step), over
  `--changes` moves to steps not seen before (the panel looks two steps ahead, as when a user
  steps with the arrow keys); then the same moves back (images from cache,
  `step_change_cached_ms_p50`), then jumps to far steps nothing fetched yet (clicks on the
  timeline, `step_jump_ms_p50`);
- max_dom_nodes: elements in the panel's document with `--dom-steps` steps x `--dom-runs` runs
  logged, over the default grid, x = index / y = step, and the gallery by step, each scrolled
  top to bottom (`--dom-steps 0` skips it).

    .venv/bin/python -m benchmarks.panel_timing [--quick] [--runs 20] [--steps 50] [--changes 20]
        [--repeats 7] [--dom-steps 100000] [--dom-runs 20]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    ALL_READY,
    VISIBLE_CELLS,
    image_item,
    launch,
    media_url,
    open_panel,
    open_panel_timed,
    print_figures,
    quick_parser,
    serving,
    tiny_png,
    write_one_item_run,
)

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

DOM_LAYOUTS = {
    "grid x=step y=run": "",
    "grid x=index y=step": "x=index&y=step",
    "gallery by step": "mode=gallery&by=step",
}


def jump(page: Any, frame: Any, target: int, last: int) -> float:
    canvas = frame.locator(".mp-timeline-canvas").bounding_box()
    assert canvas is not None
    x = canvas["x"] + 12 + target / last * (canvas["width"] - 24)
    frame.evaluate(ARM_JUMP)
    page.mouse.click(x, canvas["y"] + 48)
    return float(frame.evaluate(AWAIT_JUMP, target))


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
    first = root / "run_00"
    write_one_item_run(first, "frames", image_item(tiny_png(), 8, 8), steps, stride=10)
    for r in range(1, runs):
        shutil.copytree(first, root / f"run_{r:02d}")


def max_dom_nodes(browser: Any, runs: int, steps: int, work: Path) -> dict[str, int]:
    """Most elements in the panel's document in each layout, scrolled top to bottom."""
    logdir = work / "long"
    write_long_logdir(logdir, runs, steps)
    seen: dict[str, int] = {}
    with serving(logdir, work) as server:
        for name, state in DOM_LAYOUTS.items():
            context, _, frame, _ = open_panel(browser, media_url(server.url, state))
            seen[name] = max(frame.evaluate(DOM_NODES), frame.evaluate(SCROLL_MAX_NODES, 8))
            context.close()
    return seen


def paint_and_steps(browser: Any, url: str, steps: int, changes: int, repeats: int) -> dict[str, Any]:
    paints, boots = [], []
    for _ in range(repeats):
        context, _, frame, ms, boot = open_panel_timed(browser, media_url(url))
        paints.append(ms)
        boots.append(boot)
        cells = frame.evaluate(VISIBLE_CELLS)
        context.close()

    context, page, frame, _ = open_panel(browser, media_url(url, "mode=gallery&by=run"))
    last = (steps - 1) * 100
    fresh, cached = [], []
    step = last
    for _ in range(changes):
        step -= 100
        fresh.append(frame.evaluate(STEP_CHANGE, ["ArrowLeft", step]))
    for _ in range(changes):
        step += 100
        cached.append(frame.evaluate(STEP_CHANGE, ["ArrowRight", step]))
    # far jumps to steps never shown nor looked ahead at (odd hundreds, early half)
    far = [k * 200 + 100 for k in range(steps // 2) if k * 200 + 100 < last - 2500][: max(4, changes // 2)]
    jumps = [jump(page, frame, target, last) for target in far]
    gallery_cells = frame.evaluate(VISIBLE_CELLS)
    context.close()
    return {
        "paints": paints,
        "boots": boots,
        "cells": cells,
        "fresh": fresh,
        "cached": cached,
        "jumps": jumps,
        "gallery_cells": gallery_cells,
    }


def measure(
    runs: int, steps: int, changes: int, repeats: int, dom_runs: int, dom_steps: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """(first paint and step timings, most DOM nodes per layout) in one browser."""
    from playwright.sync_api import sync_playwright

    if changes >= steps:
        raise ValueError(f"--changes {changes} needs more than that many --steps")
    with tempfile.TemporaryDirectory(prefix="tbmp-panel-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        logdir = work / "grid"
        write_logdir(logdir, runs, steps)
        browser = launch(p)
        try:
            with serving(logdir, work) as server:
                timings = paint_and_steps(browser, server.url, steps, changes, repeats)
            dom = max_dom_nodes(browser, dom_runs, dom_steps, work) if dom_steps > 0 else {}
        finally:
            browser.close()
    return timings, dom


def run(quick: bool) -> dict[str, float]:
    """The issue's 20 runs x 50 steps and 20 runs x 100k steps; quick: 6 x 40 and 20 x 2,000."""
    if quick:
        timings, dom = measure(6, 40, 5, 2, 20, 2_000)
    else:
        timings, dom = measure(20, 50, 20, 7, 20, 100_000)
    panel_parts = [p - b for p, b in zip(timings["paints"], timings["boots"], strict=True)]
    return {
        "grid_first_paint_ms": statistics.median(timings["paints"]),
        "tensorboard_boot_ms": statistics.median(timings["boots"]),
        "grid_first_paint_after_boot_ms": statistics.median(panel_parts),
        "step_change_ms_p50": statistics.median(timings["fresh"]),
        "max_dom_nodes": float(max(dom.values())),
        "step_change_ms_max": max(timings["fresh"]),
        "step_change_cached_ms_p50": statistics.median(timings["cached"]),
        "step_jump_ms_p50": statistics.median(timings["jumps"]),
    }


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=7, help="first-paint measurements (fresh page each)")
    ap.add_argument("--dom-steps", type=int, default=100_000, help="steps per run for max DOM nodes")
    ap.add_argument("--dom-runs", type=int, default=20)
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    t, dom = measure(args.runs, args.steps, args.changes, args.repeats, args.dom_runs, args.dom_steps)
    paints, fresh, cached, jumps = t["paints"], t["fresh"], t["cached"], t["jumps"]
    print(f"panel timing: {args.runs} runs x {args.steps} steps of 128x128 images, headless Chromium")
    print(
        f"  grid first full paint (x=step, y=run, {t['cells']} cells on screen): "
        f"median {statistics.median(paints):.0f} ms (runs: {', '.join(f'{v:.0f}' for v in paints)}); "
        f"TensorBoard's page before it asks for the Media tab: median {statistics.median(t['boots']):.0f} ms"
    )
    print(
        f"  step change, gallery by run ({t['gallery_cells']} cells on screen), new steps: "
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
    if dom:
        layouts = ", ".join(f"{k} {v}" for k, v in dom.items())
        print(
            f"  max DOM nodes with {args.dom_steps} steps x {args.dom_runs} runs: "
            f"max_dom_nodes {max(dom.values())} ({layouts}; scrolled top to bottom)"
        )


if __name__ == "__main__":
    main()
