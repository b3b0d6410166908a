"""Molecules without a GPU (issue 14 item 12): what a screen of protein cells costs to draw.

In software WebGL every 3Dmol frame is expensive, so a screen of cells must not draw more
frames than it shows, nor draw each at four times its pixels. Counted, not timed (timings are in
benchmarks/molecule_timing.py): 3Dmol presents each frame of a viewer with one
`OffscreenCanvas.transferToImageBitmap` of its shared WebGL canvas, which the page counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import open_media_tab, until
from tests.conftest import require

RUNS = 3
STEPS = 3

COUNT_FRAMES = """
(() => {
  if (typeof OffscreenCanvas === 'undefined') return;
  const present = OffscreenCanvas.prototype.transferToImageBitmap;
  window.__molFrames = 0;
  OffscreenCanvas.prototype.transferToImageBitmap = function () {
    window.__molFrames++;
    return present.call(this);
  };
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fixture_path: Any) -> Any:
    mp = require("tb_media_panel")
    from tests.tb_server import serving

    pdb = Path(fixture_path("protein_1crn.pdb")).read_text()
    root = tmp_path_factory.mktemp("molecule_frames")
    for r in range(RUNS):
        with mp.Writer(str(root / f"run_{r}")) as w:
            for s in range(STEPS):
                w.add("protein", mp.Molecule(pdb, format="pdb", caption="crambin"), step=s)
    with serving(root, root.parent / "tb-molecule-frames.log") as tb:
        yield tb


def frames_of(frame: Any) -> int:
    return int(frame.locator("body").evaluate("() => window.__molFrames ?? -1"))


def test_a_screen_of_proteins_draws_one_frame_per_cell_at_its_own_size(server: Any, page: Any) -> None:
    page.add_init_script(COUNT_FRAMES)
    frame = open_media_tab(page, server.url, "tags=^protein$&cell=200")
    cells = frame.locator('.mp-cell[data-tag="protein"]')
    until(
        lambda: (
            cells.count() == RUNS * STEPS
            and all(
                cells.nth(i).locator(".mol-host canvas, .mol-still[src]").count() > 0
                for i in range(RUNS * STEPS)
            )
        ),
        "every protein cell drawn",
    )
    page.wait_for_timeout(1500)  # anything still to come (observers, late redraws) has come
    frames = frames_of(frame)
    assert frames > 0, "3Dmol's frames were not counted (no OffscreenCanvas?)"
    # One frame per cell as it starts; a cell evicted to a picture (at most 8 stay live) and its
    # replacement may add one each. Setting each viewer up used to draw about seven.
    assert frames <= RUNS * STEPS + 2, f"{frames} frames drawn for {RUNS * STEPS} cells"
    # Each live viewer draws at its cell's own pixel size: 3Dmol's antialiasing drew four times
    # the pixels (twice the size, with MSAA on top).
    sizes = frame.locator(".mol-host canvas").evaluate_all(
        "cs => cs.map(c => [c.width, c.clientWidth * devicePixelRatio,"
        " c.height, c.clientHeight * devicePixelRatio])"
    )
    assert sizes
    for width, css_width, height, css_height in sizes:
        assert abs(width - css_width) <= 1 and abs(height - css_height) <= 1, sizes
    assert not page.errors


def test_turning_a_protein_turns_the_rest_of_its_row(server: Any, page: Any) -> None:
    # The cells that follow a turned one may wait for the turning to pause (frames are costly in
    # software WebGL), but once the drag ends they show the leader's view; other rows keep theirs.
    require("PIL")
    import io

    import numpy as np
    from PIL import Image

    frame = open_media_tab(page, server.url, "tags=^protein$&cell=200")
    live = frame.locator('.mp-cell[data-tag="protein"]:has(.mol-host[data-live="1"] canvas)')
    until(lambda: live.count() >= 6, "six live protein cells")
    page.wait_for_timeout(500)

    def cell_at(row: int, col: int) -> Any:
        return frame.locator(f'.mp-cell[data-tag="protein"][data-run="run_{row}"][data-step="{col}"]').first

    def picture(cell: Any) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(cell.locator(".v3d-root").screenshot())).convert("L")).astype(
            int
        )

    leader, neighbour, other_row = cell_at(1, 0), cell_at(1, 1), cell_at(2, 1)
    # At most 8 viewers stay live (the rest show a picture, woken by pointing at it): wake these three.
    for _ in range(3):
        for c in (leader, neighbour, other_row):
            if c.locator('.mol-host[data-live="1"]').count() == 0:
                c.locator(".mol-still").hover()
    for c in (leader, neighbour, other_row):
        until(
            lambda c=c: c.locator('.mol-host[data-live="1"]').count() == 1, "the three cells live", timeout=20
        )
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    before = {"neighbour": picture(neighbour), "other": picture(other_row)}
    box = leader.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 10 * i, y + 4 * i)
    page.mouse.up()
    until(
        lambda: np.abs(picture(neighbour) - before["neighbour"]).mean() > 2,
        "the neighbour in the leader's row turned",
        timeout=20,
    )
    assert np.abs(picture(other_row) - before["other"]).mean() < 0.5
    assert not page.errors


def listener_counts(page: Any) -> dict[str, int]:
    """Listeners on the panel frame's window and body, by type, as DevTools lists them."""
    cdp = page.context.new_cdp_session(page)
    try:
        contexts: list[dict[str, Any]] = []
        cdp.on("Runtime.executionContextCreated", lambda e: contexts.append(e["context"]))
        cdp.send("Runtime.enable")  # announces the existing contexts
        tree = cdp.send("Page.getFrameTree")["frameTree"]
        frames = [f["frame"] for f in tree.get("childFrames", [])]
        panel = next(f["id"] for f in frames if "plugin_entry" in f["url"])
        main = [c for c in contexts if c["auxData"].get("isDefault")]
        ctx = next(c["id"] for c in main if c["auxData"]["frameId"] == panel)
        counts: dict[str, int] = {}
        for name in ("window", "document.body"):
            ref = cdp.send("Runtime.evaluate", {"expression": name, "contextId": ctx})["result"]["objectId"]
            for entry in cdp.send("DOMDebugger.getEventListeners", {"objectId": ref})["listeners"]:
                key = f"{name}:{entry['type']}"
                counts[key] = counts.get(key, 0) + 1
        return counts
    finally:
        cdp.detach()


def test_viewers_put_to_sleep_leave_no_listeners_behind(server: Any, page: Any) -> None:
    # 3Dmol adds a window resize and body mouseup/touchend listener per viewer and never removes
    # them: every viewer ever woken (and its scene) stayed alive, and a window resize redrew them all.
    frame = open_media_tab(page, server.url, "tags=^protein$&cell=200")
    live = frame.locator('.mol-host[data-live="1"][data-frames]')
    still = frame.locator("img.mol-still[src]:visible")
    until(lambda: live.count() == 8 and still.count() == 1, "8 live cells and a still")
    before = listener_counts(page)
    wakes = 12
    for i in range(wakes):
        # Pointing at the still wakes it and puts the least recently used live cell to sleep.
        box = still.first.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        until(lambda: live.count() == 8 and still.count() == 1, f"wake {i + 1}: 8 live, a still", timeout=20)
        page.mouse.move(0, 0)
    after = listener_counts(page)
    # The kinds 3Dmol adds (Playwright's own mouse adds others to the window).
    kinds = ("window:resize", "document.body:mouseup", "document.body:touchend")
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in kinds}
    assert all(n <= 0 for n in grown.values()), f"listeners added by {wakes} wakes: {grown}"
    # The live viewers still end their drags on a mouseup anywhere in the frame.
    assert after.get("document.body:mouseup", 0) >= 8, after
    assert not page.errors
