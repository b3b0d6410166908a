"""Locked pan and zoom and the pixel probe over a card of 20 image cells, in headless Chromium.

- synced_zoom_ms_per_frame: Ctrl+wheel notches and then a drag (real input events through
  Playwright) over one cell; every one of the card's 20 cells follows. Per frame, from the
  start of the animation frame that draws the new transform to the task after its paint (the
  rendering work of the frame, not the wait for the next vsync); median over the frames of the
  gesture (worst printed too).
- pixel_probe_ms: pointer moves over one cell at fit; per move, from the start of the frame that
  handles it (Chromium dispatches pointer moves at the start of a frame, before its animation
  frame callbacks) to the task after that frame's paint, with every cell's crosshair and value of
  the new pixel shown (checked in all 20 cells, each move). Median over the moves.
- pixel_probe_latency_ms (anchor): the same from the input event's time stamp, vsync wait included.
- synced_zoom_cpu_ms_per_frame, pixel_probe_cpu_ms (anchors): the renderer main thread's CPU time
  (Chrome's trace, thread time of its tasks) over the gesture, per frame: what the wall clock
  comes down to on an idle core, whatever the other processes of the machine do.

The logdir: 4 runs x 5 steps of a 256x256 RGB image with a mask layer (3 classes) and two boxes
(x = step, y = run, cell 128 px: all 20 on screen).

    .venv/bin/python -m benchmarks.zoom_probe_bench [--quick] [--moves 40]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import VIEWPORT, launch, media_frame, media_url, print_figures, quick_parser, serving

RUNS, STEPS, SIZE = 4, 5, 256
CELLS = RUNS * STEPS
TAG = "seg"
TRACE = ["toplevel", "devtools.timeline"]

READY = "(n) => document.querySelectorAll('.mp-cell[data-state=ready] canvas[data-layer=pred]').length >= n"

# Records, per animation frame that follows input, the frame's start, the task after its paint
# and the first input event's time stamp; `check` (a function name on window) runs in that task.
HOOK = """() => {
  window.__frames = [];
  let pending = null;
  const on = (e) => {
    if (pending) return;
    pending = {input: e.timeStamp, handler: performance.now()};
    const p = pending;
    requestAnimationFrame((ts) => { p.cb = performance.now(); setTimeout(() => {
      p.start = ts; p.end = performance.now();
      if (window.__check) p.ok = window.__check();
      window.__frames.push(p);
      pending = null;
    }, 0); });
  };
  for (const t of ['wheel', 'pointermove']) window.addEventListener(t, on, {capture: true, passive: true});
}"""

# Every cell's probe shows a value (not "…" while decoding), all at the same pixel, another one
# than at the last call.
PROBE_SHOWN = """(n) => {
  const ls = [...document.querySelectorAll('.pp-layer')];
  const at = new Set(ls.map(l => l.dataset.x + ',' + l.dataset.y));
  const ok = ls.length >= n && ls.every(l => l.dataset.value && l.dataset.value !== '…') &&
    at.size === 1 && !at.has(window.__last);
  if (ok) window.__last = [...at][0];
  return ok;
}"""


def write_logdir(root: Path) -> None:
    import tb_media_panel as mp

    y, x = np.mgrid[0:SIZE, 0:SIZE]
    for r in range(RUNS):
        with mp.Writer(str(root / f"run{r}")) as w:
            for s in range(STEPS):
                rgb = np.stack([x % 256, y % 256, np.full_like(x, 40 * r + 8 * s)], -1).astype(np.uint8)
                ids = ((x // 64 + y // 64 + r + s) % 3).astype(np.uint8)
                boxes = [
                    {"position": {"min_x": 0.1, "min_y": 0.1, "max_x": 0.4, "max_y": 0.5}, "class_id": 1},
                    {"position": {"min_x": 0.5, "min_y": 0.3, "max_x": 0.9, "max_y": 0.8}, "class_id": 2},
                ]
                labels = {0: "sky", 1: "cat", 2: "dog"}
                masks = {"pred": mp.Mask(ids, labels)}
                w.add(TAG, mp.Image(rgb, masks=masks, boxes={"det": mp.Boxes(boxes, labels)}), step=s)


def main_thread_cpu_ms(trace: bytes) -> float:
    """CPU ms of the renderer main thread's top-level tasks in a Chrome trace (the thread that
    runs the animation frames)."""
    events = json.loads(trace)["traceEvents"]
    main = {e["tid"] for e in events if e.get("name") == "FireAnimationFrame"}
    return sum(
        e.get("tdur", e.get("dur", 0))
        for e in events
        if e.get("ph") == "X" and e.get("name") == "ThreadControllerImpl::RunTask" and e["tid"] in main
    ) / 1e3


def frames_of(frame: Any) -> list[dict[str, float]]:
    found: list[dict[str, float]] = frame.evaluate("() => window.__frames.splice(0)")
    return found


def measure(moves: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tbmp-zoom-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        write_logdir(work / "logs")
        browser = launch(p)
        try:
            with serving(work / "logs", work) as server:
                page = browser.new_context(viewport=VIEWPORT).new_page()
                load = os.getloadavg()[0]
                page.goto(media_url(server.url, f"tags=^{TAG}$&cell=128"))
                frame = media_frame(page)
                frame.wait_for_function(READY, arg=CELLS, timeout=120_000)
                stages = frame.locator(".mp-cell .ai-stage")
                boxes = [stages.nth(i).bounding_box() for i in range(stages.count())]
                on_screen = sum(1 for b in boxes if b and b["y"] + b["height"] <= VIEWPORT["height"])
                if on_screen < CELLS:
                    raise RuntimeError(f"{on_screen} of {CELLS} cells fit the screen")
                b = boxes[7]  # a cell inside the grid, not the first
                cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2

                def probe_moves() -> None:
                    for i in range(moves):
                        # 8 px (16 image px at fit) apart: every move reaches another pixel
                        page.mouse.move(cx - 40 + (i * 8) % 80, cy - 40 + (i // 10) * 8)
                        page.wait_for_timeout(20)
                    page.wait_for_timeout(100)

                def zoom_and_pan(x: float, y: float) -> None:
                    page.keyboard.down("Control")
                    for _ in range(max(4, moves // 4)):
                        page.mouse.wheel(0, -60)
                        page.wait_for_timeout(20)
                    page.keyboard.up("Control")
                    page.mouse.down()
                    for i in range(moves):
                        page.mouse.move(x + 2 * i, y + i)
                        page.wait_for_timeout(20)
                    page.mouse.up()
                    page.wait_for_timeout(100)

                def traced(gesture: Any) -> float:
                    """The gesture again under Chrome's trace (which slows the wall clock): its CPU."""
                    browser.start_tracing(page=page, categories=TRACE)
                    gesture()
                    return main_thread_cpu_ms(browser.stop_tracing())

                # the probe: warm (the first hover decodes every cell's pixels), then moves
                page.mouse.move(cx, cy)
                frame.wait_for_function(PROBE_SHOWN, arg=CELLS, timeout=60_000)
                frame.evaluate(HOOK)
                frame.evaluate(f"() => {{ window.__check = () => ({PROBE_SHOWN})({CELLS}); }}")
                probe_moves()
                probe = frames_of(frame)
                if not probe or not all(f.get("ok") for f in probe):
                    raise RuntimeError("a move's frame did not show the value in every cell")
                probe_cpu = traced(probe_moves) / len(frames_of(frame) or [{}])

                # zoom and pan: Ctrl+wheel notches, then a drag, every cell following
                frame.evaluate("() => { window.__check = null; }")
                page.mouse.move(cx, cy)
                page.wait_for_timeout(100)
                frames_of(frame)
                zoom_and_pan(cx, cy)
                zoom = [f for f in frames_of(frame) if "end" in f]
                # back to fit (the chip's button), and the same gesture traced
                page.mouse.move(cx, cy)
                frame.locator('.mp-cell .pp-here [data-control="zoom-fit"]').first.click()
                page.mouse.move(cx, cy)
                page.wait_for_timeout(300)
                frames_of(frame)
                zoom_cpu = traced(lambda: zoom_and_pan(cx, cy))
                zoom_cpu /= len([f for f in frames_of(frame) if "end" in f] or [{}])
                planes = frame.evaluate(
                    "() => new Set([...document.querySelectorAll('.ai-plane')].map(p => p.style.transform))"
                    ".size === 1 && document.querySelectorAll('.ai-stage.vt-zoomed').length"
                )
                if planes != CELLS:
                    raise RuntimeError(f"{planes} of {CELLS} cells zoomed with one transform")
        finally:
            browser.close()
    return {"probe": probe, "zoom": zoom, "load": load, "probe_cpu": probe_cpu, "zoom_cpu": zoom_cpu}


def figures(found: dict[str, Any]) -> dict[str, float]:
    probe, zoom = found["probe"], found["zoom"]
    return {
        "synced_zoom_ms_per_frame": statistics.median(f["end"] - f["start"] for f in zoom),
        "pixel_probe_ms": statistics.median(f["end"] - f["start"] for f in probe),
        "pixel_probe_latency_ms": statistics.median(f["end"] - f["input"] for f in probe),
        "synced_zoom_cpu_ms_per_frame": found["zoom_cpu"],
        "pixel_probe_cpu_ms": found["probe_cpu"],
    }


def run(quick: bool) -> dict[str, float]:
    """40 probe moves and a 10-notch zoom + 40-move drag; quick: 12 and 4 + 12."""
    return figures(measure(12 if quick else 40))


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--moves", type=int, default=40)
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    found = measure(args.moves)
    fig = figures(found)
    zoom = [f["end"] - f["start"] for f in found["zoom"]]
    what = f"{CELLS} cells of {SIZE}x{SIZE} RGB + mask + 2 boxes ({RUNS} runs x {STEPS} steps)"
    print(f"{what}, load average {found['load']:.1f}")
    print(
        f"  zoom + pan: median {fig['synced_zoom_ms_per_frame']:.1f} ms per frame, worst {max(zoom):.1f} "
        f"over {len(zoom)} frames"
    )
    print(
        f"  main thread CPU: zoom + pan {fig['synced_zoom_cpu_ms_per_frame']:.1f} ms per frame, "
        f"probe {fig['pixel_probe_cpu_ms']:.1f} ms per move"
    )
    print(
        f"  probe: median {fig['pixel_probe_ms']:.1f} ms (latency with the vsync wait "
        f"{fig['pixel_probe_latency_ms']:.1f} ms) over {len(found['probe'])} moves"
    )


if __name__ == "__main__":
    main()
