"""A 1M-point cloud (xyz + rgb) in headless Chromium: first frame, bytes fetched, frames while dragging.

- pointcloud_1m_first_frame_ms: from the start of the cloud's first `points` request (the
  panel frame's Resource Timing) to the first frame whose every point the shared WebGL
  renderer drew (its own count; software GL, Chromium runs with --disable-gpu here). Median of
  `--repeats`, each in a fresh browser context (nothing cached).
  `pointcloud_1m_navigation_to_frame_ms`: the same frame from navigating to the Media tab;
- pointcloud_1m_bytes_per_point: what the page fetched for the cloud (the `points` routes'
  encoded bodies, Resource Timing) per point;
- pointcloud_drag_ms_per_frame: `--drags` held drags of `--moves` pointer moves each; each
  from the move until the next frame is in the cell; median (and how many points those
  frames drew);
- pointcloud_rest_ms: from the last move of a drag until the cell holds a frame with every
  point drawn again; median.

    .venv/bin/python -m benchmarks.pointcloud_render [--quick] [--points 1000000] [--repeats 3]
        [--drags 3] [--moves 10]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    VIEWPORT,
    launch,
    media_frame,
    media_url,
    print_figures,
    quick_parser,
    serving,
)

CANVAS = '.mp-cell[data-tag="cloud"] canvas.v3d-canvas'

# Resolves, in the panel's frame, to ms from the start of the first `points` request to the
# first frame with all `n` points drawn: the renderer's own stamp of its first frame when that
# one drew them all, else the animation frame in which the cell first shows them all.
FIRST_FULL_FRAME = """async ([selector, n]) => {
  for (;;) {
    const c = document.querySelector(selector);
    const request = performance.getEntriesByType('resource').find(e => e.name.includes('/points?'));
    if (c && request && Number(c.dataset.renderedPoints) === n) {
      const at = c.dataset.frames === '1' ? Number(c.dataset.firstFrameMs) : performance.now();
      return at - request.startTime;
    }
    await new Promise(r => requestAnimationFrame(r));
  }
}"""

# Run on the cell's canvas: the cloud's requests in the panel frame's resource timing.
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
    """The cloud `log_pointcloud` logs: normal xyz float32 and random rgb uint8."""
    import tb_media_panel as mp
    from benchmarks.log_pointcloud import make_cloud

    xyz, rgb = make_cloud(n)
    with mp.Writer(str(logdir / "scan")) as w:
        w.add("cloud", mp.PointCloud(xyz, colors=rgb), step=0)


def measure(points: int, repeats: int, drags: int, moves: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    firsts, navigations = [], []
    with tempfile.TemporaryDirectory(prefix="tbmp-cloud-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        write_cloud(work / "logs", points)
        browser = launch(p)
        try:
            with serving(work / "logs", work) as server:
                for i in range(repeats):
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(media_url(server.url, "tags=^cloud$&cell=600"))
                    frame = media_frame(page)
                    handle = frame.wait_for_function(FIRST_FULL_FRAME, arg=[CANVAS, points], timeout=300_000)
                    navigations.append((time.perf_counter() - t0) * 1e3)
                    firsts.append(float(handle.json_value()))
                    if i < repeats - 1:
                        context.close()
                canvas = frame.locator(CANVAS)
                fetched = canvas.evaluate(BYTES)
                dragged = [canvas.evaluate(DRAG, moves) for _ in range(drags)]
                context.close()
        finally:
            browser.close()
    return {"first": firsts, "navigation": navigations, "fetched": fetched, "drags": dragged}


def figures(found: dict[str, Any], points: int) -> dict[str, float]:
    frames = [f["ms"] for d in found["drags"] for f in d["frames"]]
    return {
        "pointcloud_1m_first_frame_ms": statistics.median(found["first"]),
        "pointcloud_1m_navigation_to_frame_ms": statistics.median(found["navigation"]),
        "pointcloud_1m_bytes_per_point": sum(f["body"] for f in found["fetched"]) / points,
        "pointcloud_drag_ms_per_frame": statistics.median(frames),
        "pointcloud_rest_ms": statistics.median(d["rest"] for d in found["drags"]),
    }


def run(quick: bool) -> dict[str, float]:
    """1M points, first frame median of 3, 3 drags of 10 moves; quick: 200k points, once."""
    points = 200_000 if quick else 1_000_000
    return figures(measure(points, 1 if quick else 3, 1 if quick else 3, 10), points)


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="first frames, each in a fresh context")
    ap.add_argument("--drags", type=int, default=3)
    ap.add_argument("--moves", type=int, default=10)
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    found = measure(args.points, args.repeats, args.drags, args.moves)
    fig = figures(found, args.points)
    print(f"points: {args.points:,} (float32 xyz + uint8 rgb)")
    print(
        f"first frame, request -> all points drawn: {fig['pointcloud_1m_first_frame_ms']:.0f} ms median"
        f" ({', '.join(f'{v:.0f}' for v in found['first'])}); from navigation:"
        f" {fig['pointcloud_1m_navigation_to_frame_ms']:.0f} ms"
    )
    total = sum(f["body"] for f in found["fetched"])
    print(
        f"bytes fetched for the cloud: {total:,} ({total / args.points:.1f} B/point)"
        f" in {len(found['fetched'])} requests"
    )
    for f in found["fetched"]:
        print(f"  {f['url'].split('array=')[-1]:>10}: {f['body']:,} B")
    frames = [f for d in found["drags"] for f in d["frames"]]
    slowest = max(f["ms"] for f in frames)
    print(
        f"dragging: {fig['pointcloud_drag_ms_per_frame']:.0f} ms per frame"
        f" (median of {len(frames)} moves in {len(found['drags'])} drags; slowest {slowest:.0f} ms),"
        f" {int(statistics.median(f['points'] for f in frames)):,} points per frame"
    )
    print(
        f"at rest again (last move -> every point drawn): {fig['pointcloud_rest_ms']:.0f} ms median,"
        f" {found['drags'][-1]['restPoints']:,} points"
    )


if __name__ == "__main__":
    main()
