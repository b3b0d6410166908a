"""Molecules in headless Chromium (software WebGL): a screen of protein cells, and turning one.

The logdir: 3 runs x 3 steps of the crambin fixture (protein_1crn.pdb, 327 atoms, drawn as the
default cartoon + side chains), laid out as the default grid (x = step, y = run) at 200 px cells:
9 protein cells on one screen.

- molecule_grid_settle_ms: with TensorBoard open on another tab, from opening the Media tab until
  every molecule cell on screen holds its first frame (drawn by its live viewer, or the picture
  of one). Median of `--repeats`, each cold: a new browser (no HTTP cache, and no shader programs
  its GPU process compiled for an earlier load), and the panel's frame made by that tab switch;
  `molecule_cells_draw_ms`: the same end from the start of the first molecule's `data` request
  (the panel frame's Resource Timing); `molecule_tensorboard_page_ms`: TensorBoard's own page
  before it (navigation to its load event), which the panel does not draw;
- molecule_rotate_ms_per_frame: a held drag on the first live cell, `--moves` mouse moves; each from
  the move until the cell's next frame is drawn and the page has painted (an animation frame);
  median over the drag. The other cells of its row follow (camera sync "row", the default).

    .venv/bin/python -m benchmarks.molecule_timing [--quick] [--repeats 3] [--moves 30]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import VIEWPORT, launch, media_frame, media_url, print_figures, quick_parser, serving

TAG = "protein"
RUNS = 3
STEPS = 3
STATE = "cell=200"

# True when all `n` molecule cells hold a frame.
ALL_DRAWN = """(n) => {
  const cells = [...document.querySelectorAll('.mp-cell[data-tag="TAG"]')];
  return cells.length === n && cells.every(c =>
    c.querySelector('.mol-host[data-frames]') || c.querySelector('.mol-still[src]'));
}""".replace("TAG", TAG)

# ms from the start of the first molecule payload request to now (just after all are drawn).
SINCE_FIRST_DATA = """() => {
  const starts = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/data?') && e.name.includes('TAG')).map(e => e.startTime);
  return performance.now() - Math.min(...starts);
}""".replace("TAG", TAG)

# How many of the molecule cells are inside the visible panel area (all of them, for the figure
# to be "a screen" of cells).
ON_SCREEN = """() => {
  const main = document.querySelector('.mp-main').getBoundingClientRect();
  return [...document.querySelectorAll('.mp-cell[data-tag="TAG"]')].filter(c => {
    const r = c.getBoundingClientRect();
    return r.top >= main.top && r.bottom <= main.bottom;
  }).length;
}""".replace("TAG", TAG)

# A held drag on the first cell's 3Dmol canvas, as the mouse gives it: ms per move until the cell
# has drawn the move's frame and the page has painted.
DRAG = """async (moves) => {
  const host = document.querySelector('.mp-cell[data-tag="TAG"] .mol-host[data-live="1"][data-frames]');
  const canvas = host.querySelector('canvas');
  const r = canvas.getBoundingClientRect();
  const at = (x) => ({bubbles: true, cancelable: true, clientX: r.left + x, clientY: r.top + r.height / 2,
                      pageX: r.left + x, pageY: r.top + r.height / 2, button: 0, buttons: 1});
  canvas.dispatchEvent(new PointerEvent('pointerdown', {...at(r.width / 2), pointerId: 1, isPrimary: true}));
  canvas.dispatchEvent(new MouseEvent('mousedown', at(r.width / 2)));
  const times = [];
  for (let i = 1; i <= moves; i++) {
    const before = Number(host.dataset.frames);
    const t0 = performance.now();
    canvas.dispatchEvent(new MouseEvent('mousemove', at(r.width / 2 + 4 * i)));
    while (Number(host.dataset.frames) <= before) await new Promise(res => setTimeout(res, 0));
    await new Promise(res => requestAnimationFrame(res));
    times.push(performance.now() - t0);
  }
  canvas.dispatchEvent(new MouseEvent('mouseup', at(r.width / 2 + 4 * moves)));
  window.dispatchEvent(new PointerEvent('pointerup', {bubbles: true, pointerId: 1}));
  return times;
}""".replace("TAG", TAG)


def write_logdir(root: Path, pdb: str) -> None:
    import tb_media_panel as mp

    for r in range(RUNS):
        with mp.Writer(str(root / f"run_{r}"), flush_secs=1e9) as w:
            for s in range(STEPS):
                w.add(TAG, mp.Molecule(pdb, format="pdb", caption="crambin"), step=s)


def protein_fixture() -> str:
    from tests.conftest import require_fixtures_dir

    return (require_fixtures_dir() / "protein_1crn.pdb").read_text()


def open_grid(browser: Any, url: str) -> tuple[Any, float, float, float]:
    """(frame, ms from opening the Media tab until every molecule cell is drawn, the same from
    the first molecule request, ms of TensorBoard's own page before it)."""
    page = browser.new_page(viewport=VIEWPORT)
    t0 = time.perf_counter()
    # TensorBoard open on another tab, as a user has it before going to the Media tab.
    page.goto(f"{url}/#scalars", wait_until="load")
    tensorboard_ms = (time.perf_counter() - t0) * 1e3
    page.wait_for_load_state("networkidle")
    if any("plugin_entry.html" in f.url for f in page.frames):
        raise RuntimeError("the Media tab was loaded before it was opened")
    t1 = time.perf_counter()
    page.evaluate("h => { location.hash = h; }", "#" + media_url("", STATE).split("#", 1)[1])
    frame = media_frame(page)
    frame.wait_for_function(ALL_DRAWN, arg=RUNS * STEPS, polling="raf", timeout=180_000)
    ms = (time.perf_counter() - t1) * 1e3
    return frame, ms, float(frame.evaluate(SINCE_FIRST_DATA)), tensorboard_ms


def measure(repeats: int, moves: int) -> dict[str, list[float]]:
    """Page loads (settle, draw), each in a new browser, and the drag's ms per frame (first load);
    the load average (1 min) as each load started."""
    from playwright.sync_api import sync_playwright

    pdb = protein_fixture()
    with tempfile.TemporaryDirectory(prefix="tbmp-mol-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        logdir = work / "molecules"
        write_logdir(logdir, pdb)
        with serving(logdir, work) as server:
            settles, draws, frames, loads, pages = [], [], [], [], []
            for i in range(repeats):
                browser = launch(p)
                try:
                    loads.append(os.getloadavg()[0])
                    frame, ms, draw, tensorboard_ms = open_grid(browser, server.url)
                    settles.append(ms)
                    pages.append(tensorboard_ms)
                    draws.append(draw)
                    if i == 0:
                        shown = frame.evaluate(ON_SCREEN)
                        if shown != RUNS * STEPS:
                            raise RuntimeError(f"{shown} of {RUNS * STEPS} molecule cells fit the screen")
                        frames = [float(t) for t in frame.evaluate(DRAG, moves)]
                finally:
                    browser.close()
    return {"settles": settles, "draws": draws, "frames": frames, "loads": loads, "pages": pages}


def run(quick: bool) -> dict[str, float]:
    """Full: 3 page loads, a drag of 30 moves; quick: 1 load, 10 moves."""
    t = measure(1, 10) if quick else measure(3, 30)
    return {
        "molecule_grid_settle_ms": statistics.median(t["settles"]),
        "molecule_cells_draw_ms": statistics.median(t["draws"]),
        "molecule_tensorboard_page_ms": statistics.median(t["pages"]),
        "molecule_rotate_ms_per_frame": statistics.median(t["frames"]),
        "molecule_rotate_ms_max": max(t["frames"]),
    }


def main() -> None:
    ap = quick_parser(__doc__)
    ap.add_argument("--repeats", type=int, default=3, help="page loads (fresh context each)")
    ap.add_argument("--moves", type=int, default=30, help="mouse moves in the drag")
    args = ap.parse_args()
    if args.quick:
        print_figures(run(True))
        return
    t = measure(args.repeats, args.moves)
    settles, frames = t["settles"], t["frames"]
    print(
        f"molecules: {RUNS} runs x {STEPS} steps of crambin (protein_1crn.pdb), 200 px cells, "
        "headless Chromium"
    )
    print(
        f"  grid settle (Media tab opened -> every cell drawn): median {statistics.median(settles):.0f} ms "
        f"(loads: {', '.join(f'{v:.0f}' for v in settles)}); from the first molecule request "
        f"{statistics.median(t['draws']):.0f} ms (loads: {', '.join(f'{v:.0f}' for v in t['draws'])})"
    )
    print(
        f"  TensorBoard's page before it (navigation to load): median {statistics.median(t['pages']):.0f} ms "
        f"(loads: {', '.join(f'{v:.0f}' for v in t['pages'])})"
    )
    print(
        f"  rotation: median {statistics.median(frames):.0f} ms per frame, max {max(frames):.0f} ms "
        f"over {len(frames)} moves"
    )
    print(f"  load average (1 min) at each load: {', '.join(f'{v:.1f}' for v in t['loads'])}")


if __name__ == "__main__":
    main()
