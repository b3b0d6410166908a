"""A 1M-point cloud in headless Chromium: time to first frame, bytes transferred, frames while dragging.

- time to first frame: from navigating to TensorBoard's Media tab until the point-cloud cell's
  canvas holds its first frame with every point drawn (the renderer's own count);
- bytes: what the page fetched for the cloud (the `points` routes), from the resource timing;
- drag: one held drag of --moves pointer moves; each from the move until the next frame is in the
  cell (median, and how many points those frames drew);
- rest: from the last move of the drag until the cell holds a frame with every point drawn again.

    .venv/bin/python -m benchmarks.pointcloud_render [--points 1000000] [--drags 3] [--moves 10]
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

# Run on the cell's canvas: the resource timing of the panel's own frame.
BYTES = """(c) => c.ownerDocument.defaultView.performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/points?'))
  .map(e => ({url: e.name, transfer: e.transferSize, body: e.encodedBodySize}))"""

DRAG = """async (c, moves) => {
  const r = c.getBoundingClientRect();
  const opts = (x) => ({bubbles: true, clientX: r.left + x, clientY: r.top + r.height / 2, pointerId: 1,
                        pointerType: 'mouse', button: 0, buttons: 1, isPrimary: true});
  const next = (before) => new Promise(res => {
    const t = () => Number(c.dataset.frames) > before ? res(0) : requestAnimationFrame(t);
    t();
  });
  const move = (x) => {
    c.ownerDocument.dispatchEvent(new PointerEvent('pointermove', opts(x)));
    c.dispatchEvent(new PointerEvent('pointermove', opts(x)));
  };
  c.dispatchEvent(new PointerEvent('pointerdown', opts(r.width / 2)));
  const frames = [];
  for (let i = 1; i <= moves; i++) {
    const before = Number(c.dataset.frames);
    const t0 = performance.now();
    move(r.width / 2 + 8 * i);
    await next(before);
    frames.push({ms: performance.now() - t0, points: Number(c.dataset.renderedPoints)});
  }
  const t1 = performance.now();
  c.ownerDocument.dispatchEvent(new PointerEvent('pointerup', opts(r.width / 2 + 8 * moves)));
  c.dispatchEvent(new PointerEvent('pointerup', opts(r.width / 2 + 8 * moves)));
  await new Promise(res => {
    const t = () => c.dataset.quality === 'full' && !c.dataset.moving ? res(0) : requestAnimationFrame(t);
    t();
  });
  return {frames, rest: performance.now() - t1, restPoints: Number(c.dataset.renderedPoints)};
}"""


def write_cloud(logdir: Path, n: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(n, 3)).astype(np.float32) * np.array([20, 20, 2], np.float32)
    labels = (xyz[:, 2] > 0).astype(np.uint8)
    with mp.Writer(str(logdir / "scan")) as w:
        w.add("lidar", mp.PointCloud(xyz, labels=labels, class_labels={0: "ground", 1: "object"}), step=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--drags", type=int, default=3)
    ap.add_argument("--moves", type=int, default=10)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.tb_server import TensorBoardServer

    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        write_cloud(logdir, args.points)
        tb = TensorBoardServer(str(logdir), [], log_path=Path(tmp) / "tb.log")
        tb.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                t0 = time.perf_counter()
                page.goto(f"{tb.url}/#media_panel&mp=" + "tags%3D%5Elidar%24%26cell%3D600")
                frame = page.frame_locator(FRAME)
                canvas = frame.locator('.mp-cell[data-tag="lidar"] canvas.v3d-canvas')
                canvas.wait_for(timeout=300_000)
                canvas.evaluate(
                    "(c, n) => new Promise(r => { const t = () => Number(c.dataset.renderedPoints) === n"
                    " ? r(0) : requestAnimationFrame(t); t(); })",
                    args.points,
                )
                first_frame = time.perf_counter() - t0
                fetched = canvas.evaluate(BYTES)
                drags = [canvas.evaluate(DRAG, args.moves) for _ in range(args.drags)]
                browser.close()
        finally:
            tb.stop()

    total = sum(f["body"] for f in fetched)
    print(f"points: {args.points:,} (float32 xyz + uint8 class)")
    print(f"time to first frame (navigation -> all points drawn): {first_frame:.2f} s")
    print(
        f"bytes transferred for the cloud: {total:,} ({total / args.points:.1f} B/point)"
        f" in {len(fetched)} requests"
    )
    for f in fetched:
        print(f"  {f['url'].split('array=')[-1]:>10}: {f['body']:,} B")
    frames = [f for d in drags for f in d["frames"]]
    slowest = max(f["ms"] for f in frames)
    print(
        f"dragging: {statistics.median(f['ms'] for f in frames):.0f} ms per frame"
        f" (median of {len(frames)} moves in {len(drags)} drags; slowest {slowest:.0f} ms),"
        f" {int(statistics.median(f['points'] for f in frames)):,} points per frame"
    )
    rests = [d["rest"] for d in drags]
    print(
        f"at rest again (last move -> every point drawn): {statistics.median(rests):.0f} ms median,"
        f" {drags[-1]['restPoints']:,} points"
    )


if __name__ == "__main__":
    main()
