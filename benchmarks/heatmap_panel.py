"""Recolouring a card of 20 scalar cells (256x256 float32 heatmaps) in headless Chromium.

- heatmap_recolor_ms: from the user's change in a cell's menu (the colormap select, or the vmin
  slider of the window) until every one of the card's 20 canvases has been drawn again with it
  and the frame after is out (requestAnimationFrame, then a task); median over `--changes`
  changes, alternating colormap and window (each kind's median printed too).
- heatmap_first_paint_ms (anchor): from navigating to the Media tab to all 20 cells drawn.

The logdir: 4 runs x 5 steps of one `mp.Heatmap` each (x = step, y = run, cell 160 px: all 20 on
screen), values a smooth field plus noise, a few NaN.

    .venv/bin/python -m benchmarks.heatmap_panel [--quick] [--changes 20]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import VIEWPORT, launch, media_frame, media_url, print_figures, quick_parser, serving

RUNS, STEPS, SIZE = 4, 5, 256
CELLS = RUNS * STEPS
COLORMAPS = ("magma", "turbo", "gray", "rdbu", "viridis")

# Resolves when `n` scalar canvases are drawn (each with a paint key).
ALL_DRAWN = (
    """(n) => [...document.querySelectorAll('canvas.ai-values')].filter(c => c.dataset.paint).length >= n"""
)

# In the panel's frame: makes one change in the open menu, resolves to ms until every canvas
# shows it and a frame has been produced.
CHANGE = """async ([kind, value, n]) => {
  const pop = document.querySelector('.vc-pop:popover-open');
  const t0 = performance.now();
  let done;
  if (kind === 'colormap') {
    const s = pop.querySelector('[data-control="colormap"]');
    s.value = value;
    s.dispatchEvent(new Event('change', {bubbles: true}));
    done = (c) => JSON.parse(c.dataset.paint)[0] === value;
  } else {
    const r = pop.querySelector('[data-control="vmin"]');
    r.value = String(value);
    const want = Number(r.value);
    r.dispatchEvent(new Event('input', {bubbles: true}));
    done = (c) => JSON.parse(c.dataset.paint)[1] === want;
  }
  const all = () => {
    const cs = [...document.querySelectorAll('canvas.ai-values')];
    return cs.length >= n && cs.every(done);
  };
  if (!all()) {
    await new Promise((res) => {
      const obs = new MutationObserver(() => { if (all()) { obs.disconnect(); res(0); } });
      obs.observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-paint']});
    });
  }
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}"""


def write_logdir(root: Path) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    for r in range(RUNS):
        with mp.Writer(str(root / f"run{r}")) as w:
            for s in range(STEPS):
                field = np.sin(6 * x + r) * np.cos(4 * y + s) * (1 + r) + 0.1 * rng.standard_normal(
                    (SIZE, SIZE)
                )
                field = field.astype(np.float32)
                field[:4, :4] = np.nan
                w.add("heat", mp.Heatmap(field), step=s)


def measure(changes: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tbmp-heat-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        write_logdir(work / "logs")
        browser = launch(p)
        try:
            with serving(work / "logs", work) as server:
                page = browser.new_context(viewport=VIEWPORT).new_page()
                t0 = time.perf_counter()
                page.goto(media_url(server.url, "tags=^heat$&cell=160"))
                frame = media_frame(page)
                frame.wait_for_function(ALL_DRAWN, arg=CELLS, timeout=120_000)
                first = (time.perf_counter() - t0) * 1e3
                frame.locator('.mp-cell [data-control="drawer"]').first.click()
                frame.wait_for_selector(".vc-pop:popover-open [data-control=vmin]")
                lo = float(
                    frame.locator(".vc-pop:popover-open [data-control=vmin]").get_attribute("min") or 0
                )
                hi = float(
                    frame.locator(".vc-pop:popover-open [data-control=vmin]").get_attribute("max") or 1
                )
                timings: dict[str, list[float]] = {"colormap": [], "window": []}
                for i in range(changes):
                    if i % 2 == 0:
                        kind, value = "colormap", COLORMAPS[(i // 2) % len(COLORMAPS)]
                    else:
                        kind, value = "window", lo + (hi - lo) * (0.05 + 0.4 * ((i // 2) % 5) / 5)
                    timings[kind].append(float(frame.evaluate(CHANGE, [kind, value, CELLS])))
        finally:
            browser.close()
    return {"first": first, **timings}


def figures(found: dict[str, Any]) -> dict[str, float]:
    return {
        "heatmap_recolor_ms": statistics.median(found["colormap"] + found["window"]),
        "heatmap_first_paint_ms": found["first"],
    }


def run(quick: bool) -> dict[str, float]:
    """20 changes (10 colormaps, 10 windows); quick: 6."""
    return figures(measure(6 if quick else 20))


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--changes", type=int, default=20)
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    found = measure(args.changes)
    fig = figures(found)
    print(f"{CELLS} cells of {SIZE}x{SIZE} float32 ({RUNS} runs x {STEPS} steps), card-wide scale")
    for kind in ("colormap", "window"):
        ms = found[kind]
        print(
            f"  {kind:8s}: median {statistics.median(ms):.1f} ms, worst {max(ms):.1f} ms ({len(ms)} changes)"
        )
    recolor, first = fig["heatmap_recolor_ms"], fig["heatmap_first_paint_ms"]
    print(f"heatmap_recolor_ms {recolor:.1f}; first paint {first:.0f} ms")


if __name__ == "__main__":
    main()
