"""The Compare view (issue 15, items 1 and 2) in Chromium against a real `tensorboard --logdir`.

Pins come from a cell in the middle of a grid and from the link; each mode is checked on the
pixels it draws: the wipe shows A left of the divider and B right of it, the onion skin at 50 %
blends them, the difference of identical images is zero everywhere and of two known images their
known |A-B|, flicker alternates, and the class changes of two mask layers count what was logged.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, screenshot, until
from tests.browser.test_panel import hash_state
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

RUNS = ("alpha", "beta", "gamma")
STEPS = (0, 1, 2)
SIZE = 128
CLASSES = {0: "background", 1: "cat", 2: "dog"}


def flat(rgb: tuple[int, int, int], size: int = SIZE) -> np.ndarray:
    return np.broadcast_to(np.array(rgb, np.uint8), (size, size, 3)).copy()


def color(r: int, step: int) -> tuple[int, int, int]:
    """A distinct flat colour per (run, step) of `pics` (under its disc, the bottom half)."""
    return (40 + 80 * r, 60 + 60 * step, 220 - 70 * r)


def picture(r: int, step: int) -> np.ndarray:
    """`pics`: a flat colour with a light disc in the top half that grows with the step and
    moves with the run, so a screenshot shows what changed; pixels are read in the bottom half."""
    img = flat(color(r, step))
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    disc = np.hypot(x - 0.35 - 0.15 * r, y - 0.27) < 0.1 + 0.04 * step
    img[disc] = (245, 235, 200)
    return img


def halves(left: tuple[int, int, int], right: tuple[int, int, int]) -> np.ndarray:
    img = flat(left)
    img[:, SIZE // 2 :] = right
    return img


# `pair` in run alpha: step 1 and 2 are the same picture; step 0 differs on its right half only.
PAIR = {0: halves((100, 100, 100), (0, 0, 0)), 1: halves((100, 100, 100), (30, 200, 0))}
PAIR[2] = PAIR[1].copy()


def truth() -> np.ndarray:
    m = np.zeros((32, 32), np.uint8)
    m[:, :16] = 1
    m[20:, 20:] = 2
    return m


def prediction() -> np.ndarray:
    m = np.zeros((32, 32), np.uint8)
    m[:, :24] = 1
    m[22:, 22:] = 2
    m[:4, 28:] = 2
    return m


CLOUD = np.random.default_rng(3).normal(size=(200, 3)).astype(np.float32)
CLOUD_LABELS = np.repeat(np.arange(4, dtype=np.uint8), 50)
# Step 1 moves 7 points of class 1 to class 3 and 2 of class 0 to class 2.
CLOUD_LABELS_1 = CLOUD_LABELS.copy()
CLOUD_LABELS_1[50:57] = 3
CLOUD_LABELS_1[:2] = 2
CLOUD_CLASSES = {0: "road", 1: "car", 2: "tree", 3: "person"}
ATOMS = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [0.0, 1.4, 0.2], [0.3, 0.2, 1.6], [-1.1, -0.8, 0.4]])
SCALE = 1.2


def xyz_text(xyz: np.ndarray) -> str:
    lines = [f"{'CO'[i % 2]} {x:.4f} {y:.4f} {z:.4f}" for i, (x, y, z) in enumerate(xyz)]
    return f"{len(xyz)}\nmolecule\n" + "\n".join(lines) + "\n"


def scaled_and_moved(xyz: np.ndarray) -> np.ndarray:
    """Scaled about the centroid (its best superposition turns nothing: RMSD = |SCALE - 1| * Rg), then
    turned a quarter round z and shifted."""
    c = xyz.mean(axis=0)
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    return ((xyz - c) * SCALE) @ turn.T + [4.0, -2.0, 1.0]


def later_prediction() -> np.ndarray:
    """Step 1's prediction: the truth, and a dog in the top-left corner."""
    m = truth()
    m[:8, :8] = 2
    return m


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    root = tmp_path_factory.mktemp("compare")
    for r, run in enumerate(RUNS):
        with mp.Writer(str(root / "logs" / run)) as w:
            for step in STEPS:
                w.add("pics", mp.Image(picture(r, step)), step=step)
                if run == "alpha":
                    w.add("pair", mp.Image(PAIR[step]), step=step)
            if run == "alpha":
                seg = mp.Image(
                    flat((90, 90, 90), 32),
                    masks={
                        "prediction": mp.Mask(prediction(), CLASSES),
                        "ground_truth": mp.Mask(truth(), CLASSES),
                    },
                )
                w.add("seg", seg, step=0)
                masks = {"prediction": mp.Mask(later_prediction(), CLASSES)}
                later = mp.Image(flat((90, 90, 90), 32), masks=masks)
                w.add("seg", later, step=1)
                for step, labels in ((0, CLOUD_LABELS), (1, CLOUD_LABELS_1)):
                    cloud = mp.PointCloud(CLOUD, labels=labels, class_labels=CLOUD_CLASSES)
                    w.add("cloud", cloud, step=step)
                w.add("mol", mp.Molecule(xyz_text(ATOMS), format="xyz"), step=0)
                w.add("mol", mp.Molecule(xyz_text(scaled_and_moved(ATOMS)), format="xyz"), step=1)
    with serving(root / "logs", root / "tb.log") as tb:
        yield tb


def pins_in_link(page: Any) -> list[list[Any]]:
    return json.loads(urllib.parse.parse_qs(hash_state(page)).get("pins", ["[]"])[0])


def state(pins: list[tuple[str, str, int]], **cv: Any) -> str:
    keys = [[run, tag, step, 0] for run, tag, step in pins]
    return urllib.parse.urlencode({"pins": json.dumps(keys), "cv": json.dumps({"open": True, **cv})})


def stage(frame: Any) -> Any:
    s = frame.locator('.cv-stage[data-ready="1"]')
    s.wait_for(timeout=60_000)
    return s


def pixel(page: Any, frame: Any, fx: float, fy: float = 0.8) -> tuple[int, int, int]:
    """The colour the page shows at (fx, fy) of the stage, read from a screenshot."""
    import io

    from PIL import Image

    box = stage(frame).bounding_box()
    x = box["x"] + fx * box["width"]
    y = box["y"] + fy * box["height"]
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    rgb = Image.open(io.BytesIO(png)).convert("RGB").getpixel((0, 0))
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def close(a: tuple[int, int, int], b: tuple[int, ...], tol: int = 3) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def cv_in_link(page: Any) -> dict[str, Any]:
    return json.loads(urllib.parse.parse_qs(hash_state(page)).get("cv", ["{}"])[0])


def test_pin_a_middle_cell_compare_with_the_next_run_and_wipe(page: Any, server: TensorBoardServer) -> None:
    frame = open_media_tab(page, server.url, "tags=^pics$")
    middle = frame.locator('.mp-cell[data-run="beta"][data-tag="pics"][data-step="1"][data-state="ready"]')
    middle.wait_for(timeout=60_000)
    assert middle.get_attribute("data-row") == "1" and middle.get_attribute("data-col") == "1"
    middle.hover()
    middle.locator('[data-control="pin"]').click()
    menu = frame.locator(".mp-pin-menu")
    menu.get_by_role("button", name="Pin to compare").click()
    until(lambda: pins_in_link(page) == [["beta", "pics", 1, 0]], "the pin in the link")
    # The link is written as the pin is taken; the cell and the Compare view redraw after it.
    pin = middle.locator('[data-control="pin"]')
    until(lambda: pin.get_attribute("aria-pressed") == "true", "the pin pressed")
    until(lambda: frame.locator(".cv .cv-pin").count() == 1, "the pin in the Compare view")
    nxt = menu.locator('[data-control="compare-run"]')
    until(lambda: "gamma" in nxt.inner_text(), "the quick action names the next run")
    screenshot(page, "compare-pin-menu.png")
    nxt.click()
    until(lambda: pins_in_link(page) == [["beta", "pics", 1, 0], ["gamma", "pics", 1, 0]], "both pinned")
    assert cv_in_link(page).get("open") is True
    frame.locator('.cv-modes [data-mode="wipe"]').click()
    stage(frame)
    a, b = color(1, 1), color(2, 1)
    # A (the pinned cell) left of the divider at the middle, B (the next run) right of it.
    assert close(pixel(page, frame, 0.25), a), pixel(page, frame, 0.25)
    assert close(pixel(page, frame, 0.75), b), pixel(page, frame, 0.75)
    box = stage(frame).bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, y, steps=5)
    page.mouse.up()
    until(lambda: abs(cv_in_link(page).get("wipe", 0) - 0.8) < 0.01, "the divider's place in the link")
    assert close(pixel(page, frame, 0.7), a)
    assert close(pixel(page, frame, 0.9), b)
    screenshot(page, "compare-wipe.png")
    # From the keyboard: focused, ← moves the divider (not the panel's step).
    step = urllib.parse.parse_qs(hash_state(page)).get("step")
    frame.locator(".cv-divider").focus()
    page.keyboard.press("ArrowLeft")
    until(lambda: abs(cv_in_link(page).get("wipe", 0) - 0.78) < 0.01, "← moved the divider")
    assert urllib.parse.parse_qs(hash_state(page)).get("step") == step
    # Space (helper D's key) asks the view to flip: the wipe swaps A and B.
    frame.locator(".cv").evaluate("() => window.dispatchEvent(new CustomEvent('mp-compare-flip'))")
    until(lambda: close(pixel(page, frame, 0.7), b), "A and B swapped")
    assert close(pixel(page, frame, 0.9), a)
    # Zoomed in (the view group's Ctrl+wheel), the divider still splits the pictures where it is drawn.
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.8)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    zoomed = frame.locator('.cv-stage .vt-zoom:not([data-zoom="fit"])')
    zoomed.wait_for(timeout=10_000)
    split = lambda: close(pixel(page, frame, 0.75), b) and close(pixel(page, frame, 0.81), a)  # noqa: E731
    until(split, "the split at the divider")
    # The Compare view's zoom is in the link (as a card's is), and the link reopens it zoomed.
    views = lambda: json.loads(urllib.parse.parse_qs(hash_state(page)).get("view", ["{}"])[0])  # noqa: E731
    until(lambda: "" in views(), "the Compare view's zoom in the link")
    zoom = views()[""]
    page.reload()
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    frame.locator('.cv-stage .vt-zoom:not([data-zoom="fit"])').wait_for(timeout=60_000)
    assert views()[""] == zoom
    until(split, "the reopened view split at the divider, zoomed as before")


def test_a_link_reopens_the_view_onion_skin_blends_and_flicker_alternates(
    page: Any, server: TensorBoardServer
) -> None:
    pins = [("alpha", "pics", 1), ("beta", "pics", 1)]
    frame = open_media_tab(page, server.url, state(pins, mode="onion", opacity=0.5))
    stage(frame)
    a, b = color(0, 1), color(1, 1)
    half = tuple((x + y) / 2 for x, y in zip(a, b, strict=True))
    assert close(pixel(page, frame, 0.5), half), (pixel(page, frame, 0.5), half)
    assert close(pixel(page, frame, 0.9, 0.12), half)
    screenshot(page, "compare-onion.png")
    frame.locator('.cv-modes [data-mode="flicker"]').click()
    stage(frame)
    until(lambda: close(pixel(page, frame, 0.5), b), "flicker shows B")
    until(lambda: close(pixel(page, frame, 0.5), a), "then A again")
    screenshot(page, "compare-flicker.png")
    frame.locator('.cv-modes [data-mode="side"]').click()
    tiles = frame.locator('.cv-tile[data-state="ready"]')
    until(lambda: tiles.count() == 2, "both pins side by side")
    assert tiles.nth(1).get_attribute("data-run") == "beta"
    assert frame.locator(".cv[data-view-group]").count() == 1
    screenshot(page, "compare-side-by-side.png")


def test_difference_is_zero_for_identical_images_and_the_known_abs_difference(
    page: Any, server: TensorBoardServer
) -> None:
    pins = [("alpha", "pair", 1), ("alpha", "pair", 2), ("alpha", "pair", 0)]
    frame = open_media_tab(page, server.url, state(pins, mode="diff", colormap="gray", scale="255"))
    stage(frame)
    canvas = frame.locator("canvas.cv-diff")
    until(lambda: canvas.get_attribute("data-max") == "0", "identical images differ nowhere")
    assert canvas.get_attribute("data-changed") == "0"
    for fx, fy in ((0.1, 0.1), (0.5, 0.5), (0.9, 0.9), (0.25, 0.75), (0.75, 0.2)):
        assert close(pixel(page, frame, fx, fy), (0, 0, 0), 1)
    # B = step 0: the left halves are equal, the right halves differ by (30, 200, 0): |A-B| = 200.
    frame.locator(".cv-pin").nth(2).locator('[data-role="b"]').click()
    until(lambda: canvas.get_attribute("data-max") == "200", "the known largest difference")
    assert close(pixel(page, frame, 0.25), (0, 0, 0), 1)
    assert close(pixel(page, frame, 0.75), (200, 200, 200), 1)
    assert canvas.get_attribute("data-changed") == str(SIZE * SIZE // 2)
    # A threshold above it hides every pixel.
    frame.locator('[data-control="threshold"]').evaluate(
        "r => { r.value = '201'; r.dispatchEvent(new Event('change')); }"
    )
    until(lambda: canvas.get_attribute("data-changed") == "0", "nothing at or above the threshold")
    assert close(pixel(page, frame, 0.75), (0, 0, 0), 1)
    frame.locator('[data-control="threshold"]').evaluate(
        "r => { r.value = '0'; r.dispatchEvent(new Event('change')); }"
    )
    frame.locator('[data-control="colormap"]').select_option("magma")
    until(lambda: canvas.get_attribute("data-changed") == str(SIZE * SIZE // 2), "threshold off again")
    screenshot(page, "compare-difference.png")


def class_changes(a: np.ndarray, b: np.ndarray) -> dict[tuple[int, int], int]:
    changed = a != b
    out: dict[tuple[int, int], int] = {}
    for f, t in zip(a[changed].tolist(), b[changed].tolist(), strict=True):
        out[(f, t)] = out.get((f, t), 0) + 1
    return out


def shown_changes(frame: Any) -> dict[tuple[int, int], int]:
    got = {}
    for r in frame.locator(".cv-changes tr[data-count]").all():
        pair = (int(r.get_attribute("data-from")), int(r.get_attribute("data-to")))
        got[pair] = int(r.get_attribute("data-count"))
    return got


def test_mask_class_changes_count_what_was_logged(page: Any, server: TensorBoardServer) -> None:
    # A: prediction against ground truth of one item (B has no masks).
    pins = [("alpha", "seg", 0), ("alpha", "pics", 0), ("alpha", "seg", 1)]
    frame = open_media_tab(page, server.url, state(pins, mode="classes"))
    frame.locator('.cv-stage[data-ready="1"][data-mode="classes"]').wait_for(timeout=60_000)
    expected = class_changes(prediction(), truth())
    assert shown_changes(frame) == expected
    changed = str(sum(expected.values()))
    assert frame.locator("[data-changed]").first.get_attribute("data-changed") == changed
    # Named from the logged labels.
    assert "cat → background" in frame.locator(".cv-changes").inner_text()
    screenshot(page, "compare-class-changes.png")
    # B = the same item a step later: its prediction layer against A's.
    frame.locator(".cv-pin").nth(2).locator('[data-role="b"]').click()
    expected = class_changes(prediction(), later_prediction())
    to = frame.locator('[data-control="mask-to"] option:checked')
    until(lambda: to.inner_text() == "B · prediction", "B's layer")
    until(lambda: shown_changes(frame) == expected, "the changes from step 0 to step 1")
    # The layers picked are in the link, and the link reopens them: A's truth against B's prediction.
    frame.locator('[data-control="mask-from"]').select_option(label="A · ground_truth")
    expected = class_changes(truth(), later_prediction())
    until(lambda: shown_changes(frame) == expected, "the truth of step 0 against the prediction of step 1")
    assert cv_in_link(page)["masks"] == [[0, "ground_truth"], [2, "prediction"]]
    frame = open_media_tab(page, server.url, hash_state(page), fresh=True)
    frame.locator('.cv-stage[data-ready="1"][data-mode="classes"]').wait_for(timeout=60_000)
    assert frame.locator('[data-control="mask-from"] option:checked').inner_text() == "A · ground_truth"
    assert shown_changes(frame) == expected


def test_two_point_clouds_show_changed_points_and_two_molecules_their_rmsd(
    page: Any, server: TensorBoardServer
) -> None:
    frame = open_media_tab(page, server.url, state([("alpha", "cloud", 0), ("alpha", "cloud", 1)]))
    out = frame.locator('.cv-3d[data-kind="pointcloud"][data-changed]')
    out.wait_for(timeout=60_000)
    assert out.get_attribute("data-changed") == "9"
    text = out.inner_text()
    assert "car → person: 7" in text and "road → tree: 2" in text
    until(lambda: frame.locator('.cv-tile[data-state="ready"]').count() == 2, "both clouds shown")
    # The picture modes and class changes (of masks) have nothing to show for two clouds: greyed out.
    modes = frame.locator(".cv-modes")
    until(lambda: modes.locator('[data-mode="wipe"]').is_disabled(), "wipe greyed out for point clouds")
    others = ("side", "onion", "diff", "flicker", "classes")
    greyed = [modes.locator(f'[data-mode="{m}"]').is_disabled() for m in others]
    assert greyed == [False, True, True, True, True]
    screenshot(page, "compare-3d-points.png")
    frame = open_media_tab(page, server.url, state([("alpha", "mol", 0), ("alpha", "mol", 1)]), fresh=True)
    out = frame.locator('.cv-3d[data-kind="molecule"][data-rmsd]')
    out.wait_for(timeout=60_000)
    gyration = float(np.sqrt(((ATOMS - ATOMS.mean(axis=0)) ** 2).sum(axis=1).mean()))
    assert abs(float(out.get_attribute("data-rmsd")) - (SCALE - 1) * gyration) < 1e-3
    assert f"RMSD {(SCALE - 1) * gyration:.2f} Å" in out.inner_text()
