"""The rich viewers in Chromium against a real `tensorboard --logdir`: masks, boxes, 3D, molecules.

Every check reads what the user sees: canvas pixels, element screenshots, on-screen figures.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import SCREENSHOTS, open_media_tab
from tests.conftest import require, require_fixtures_dir
from tests.tb_server import TensorBoardServer, serving

W, H = 64, 48
# "dog" carries the colour the user logged with it; "cat" takes the stable default.
DOG_COLOR = (0xFF, 0x88, 0x00)
LABELS: dict[int, Any] = {0: "background", 1: "cat", 2: {"name": "dog", "color": "#ff8800"}}
ABOVE_COLOR = (0x1E, 0x88, 0xE5)
N_POINTS = 1_000_000
MOLECULES_PER_STEP, MOLECULE_STEPS = 5, 4


def masks() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:H, 0:W]
    gt = np.zeros((H, W), np.uint16)
    gt[(x - 18) ** 2 + (y - 22) ** 2 < 150] = 1
    gt[10:40, 40:60] = 2
    pred = np.zeros((H, W), np.uint16)
    pred[(x - 21) ** 2 + (y - 20) ** 2 < 140] = 1
    pred[14:44, 38:58] = 2
    return pred, gt


def picture() -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([x * 4, y * 5, np.full_like(x, 90)], axis=-1)
    return img.clip(0, 255).astype(np.uint8)


def double_ply(faces: bool) -> bytes:
    """A binary PLY exactly as Open3D writes one (`o3d.io.write_triangle_mesh(..., write_ascii=False)`
    stores `property double` coordinates): an octahedron, or its vertices alone as a scan."""
    verts = np.array([(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)], dtype="<f8")
    tris = [(0, 2, 4), (2, 1, 4), (1, 3, 4), (3, 0, 4), (2, 0, 5), (1, 2, 5), (3, 1, 5), (0, 3, 5)]
    header = [
        "ply",
        "format binary_little_endian 1.0",
        "comment Created by Open3D",
        f"element vertex {len(verts)}",
        "property double x",
        "property double y",
        "property double z",
    ]
    if faces:
        header += [f"element face {len(tris)}", "property list uchar uint vertex_indices"]
    out = ("\n".join([*header, "end_header"]) + "\n").encode() + verts.tobytes()
    if faces:
        out += b"".join(bytes([3]) + np.array(t, "<u4").tobytes() for t in tris)
    return out


def write_logdir(root: Path) -> Path:
    mp = require("tb_media_panel")
    fixtures = require_fixtures_dir()
    pred, gt = masks()
    duck = fixtures / "model_duck_embedded.gltf"
    pdb = (fixtures / "protein_1crn.pdb").read_text()
    # The "predicted" structure: every atom moved 2.5 Å along x, so both colours show side by side.
    moved = "".join(
        (
            line[:30] + f"{float(line[30:38]) + 2.5:8.3f}" + line[38:]
            if line.startswith(("ATOM", "HETATM"))
            else line
        )
        for line in pdb.splitlines(keepends=True)
    )
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(N_POINTS, 3)).astype(np.float32) * np.array([8, 8, 1.5], np.float32)
    labels = (cloud[:, 2] > 0).astype(np.uint8)
    meshes = [
        fixtures / n
        for n in (
            "mesh_moon_binary.stl",
            "mesh_spot_triangulated.obj",
            "mesh_bunny_binary_le.ply",
            "model_box_embedded.gltf",
        )
    ]
    with mp.Writer(str(root / "run")) as w:
        boxes = mp.Boxes(
            [
                {
                    "position": {"min_x": 0.05, "min_y": 0.1, "max_x": 0.5, "max_y": 0.9},
                    "class_id": 1,
                    "scores": {"score": 0.9},
                },
                {
                    "position": {"min_x": 0.6, "min_y": 0.2, "max_x": 0.95, "max_y": 0.85},
                    "class_id": 2,
                    "scores": {"score": 0.3},
                },
            ],
            class_labels=LABELS,
        )
        truth_boxes = mp.Boxes(
            [
                {
                    "position": {"min_x": 4, "min_y": 6, "max_x": 32, "max_y": 40, "domain": "pixel"},
                    "class_id": 1,
                    "domain": "pixel",
                    "box_caption": "cat (truth)",
                }
            ],
            class_labels=LABELS,
        )
        w.add(
            "masks",
            mp.Image(
                picture(), masks={"prediction": mp.Mask(pred, LABELS), "ground_truth": mp.Mask(gt, LABELS)}
            ),
            step=0,
        )
        w.add("boxes", mp.Image(picture(), boxes={"prediction": boxes, "ground_truth": truth_boxes}), step=0)
        w.add(
            "cloud",
            mp.PointCloud(
                cloud, labels=labels, class_labels={0: "below", 1: {"name": "above", "color": "#1e88e5"}}
            ),
            step=0,
        )
        w.add("pair", [mp.Object3D(str(duck)), mp.Object3D(str(duck))], step=0)
        w.add(
            "double_ply",
            [mp.Object3D(double_ply(True), format="ply"), mp.Object3D(double_ply(False), format="ply")],
            step=0,
        )
        w.add("structure/pred", mp.Molecule(moved, format="pdb"), step=0)
        w.add("structure/true", mp.Molecule(pdb, format="pdb"), step=0)
        for step in range(4):
            w.add("grid3d", [mp.Object3D(str(meshes[(i + step) % 4])) for i in range(6)], step=step)
        molecules = [
            ((fixtures / "protein_1crn.pdb").read_text(), "pdb"),
            ((fixtures / "molecule_aspirin_3d.sdf").read_text(), "sdf"),
            ((fixtures / "molecule_toluene.mol2").read_text(), "mol2"),
            ((fixtures / "molecule_ruxolitinib_conformers.sdf").read_text(), "sdf"),
        ]
        for step in range(MOLECULE_STEPS):
            w.add(
                "molecules",
                [mp.Molecule(*molecules[(i + step) % len(molecules)]) for i in range(MOLECULES_PER_STEP)],
                step=step,
            )
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("viewers")
    logdir = write_logdir(root / "logs")
    with serving(logdir, root / "tb.log") as tb:
        yield tb


def state(tags: str, cell: int, **extra: Any) -> str:
    parts = [f"tags={tags}", f"cell={cell}"] + [f"{k}={v}" for k, v in extra.items()]
    return "&".join(parts)


def ready_cell(frame: Any, tag: str, nth: int = 0) -> Any:
    cell = frame.locator(f'.mp-cell[data-tag="{tag}"][data-state="ready"]').nth(nth)
    cell.wait_for(timeout=90_000)
    return cell


def png(locator: Any) -> np.ndarray:
    require("PIL")
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB")).astype(int)


def canvas_rgba(canvas: Any) -> np.ndarray:
    """The pixels of a 2D canvas as (h, w, 4), read in the page."""
    data = canvas.evaluate(
        "c => { const g = c.getContext('2d'); const d = g.getImageData(0, 0, c.width, c.height);"
        " return {w: c.width, h: c.height, px: Array.from(d.data)}; }"
    )
    return np.array(data["px"], np.uint8).reshape(data["h"], data["w"], 4)


def wait_frames(canvas: Any, at_least: int = 1) -> None:
    canvas.evaluate(
        "(c, n) => new Promise(r => {"
        " const t = () => Number(c.dataset.frames || 0) >= n ? r(0) : setTimeout(t, 50); t(); })",
        at_least,
    )


def settle(canvas: Any) -> int:
    """Wait until the shared renderer has drawn whatever was asked, the camera at rest and the frame
    in full quality (every point, supersampled); returns the frame count."""
    return canvas.evaluate(
        "c => new Promise(r => { let last = -1; const t = () => { const f = Number(c.dataset.frames || 0);"
        " const rest = !c.dataset.moving && c.dataset.quality === 'full';"
        " if (f === last && f > 0 && rest) r(f); else { last = f; setTimeout(t, 400); } }; t(); })"
    )


def save(locator: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / name).write_bytes(locator.screenshot())


# ---- masks -------------------------------------------------------------------------------------


def test_mask_classes_opacity_layouts_iou_and_difference(server: TensorBoardServer, page: Any) -> None:
    pred, gt = masks()
    frame = open_media_tab(page, server.url, state("^masks$", 480))
    cell = ready_cell(frame, "masks")
    truth = cell.locator('canvas[data-layer="ground_truth"]')
    predicted = cell.locator('canvas[data-layer="prediction"]')

    # Background (class 0) starts hidden; cat and dog are painted where the mask has them.
    before_t, before_p = canvas_rgba(truth), canvas_rgba(predicted)
    assert ((before_t[..., 3] > 0) == (gt > 0)).all()
    # "dog" is painted in the colour logged with its label; the legend's swatch says the same.
    assert (before_t[gt == 2][:, :3] == DOG_COLOR).all()
    cell.locator('[data-control="drawer"]').click()
    swatch = cell.locator('.ai-drawer [data-class-id="2"] input[type=color]')
    assert swatch.input_value() == "#ff8800"
    save(cell, "viewer-masks.png")  # with the drawer open: layers, legend colours, IoU per class
    # A colour picked in the panel wins over the logged one, for every pixel of the class.
    swatch.evaluate("el => { el.value = '#0000ff'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    assert (canvas_rgba(truth)[gt == 2][:, :3] == (0, 0, 255)).all()
    swatch = cell.locator('.ai-drawer [data-class-id="2"] input[type=color]')
    swatch.evaluate("el => { el.value = '#ff8800'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    assert (canvas_rgba(truth)[gt == 2][:, :3] == DOG_COLOR).all()
    cell.locator('[data-control="drawer"]').click()

    # Toggling "dog" changes exactly the dog pixels of each layer, nothing else.
    cell.locator('[data-control="drawer"]').click()
    cell.locator('.ai-drawer [data-class-id="2"] input[type=checkbox]').uncheck()
    after_t, after_p = canvas_rgba(truth), canvas_rgba(predicted)
    changed_t = (after_t != before_t).any(axis=-1)
    changed_p = (after_p != before_p).any(axis=-1)
    assert (changed_t == (gt == 2)).all()
    assert (changed_p == (pred == 2)).all()
    cell.locator('.ai-drawer [data-class-id="2"] input[type=checkbox]').check()

    # Opacity: at 100 % a prediction-only cat pixel shows the class colour itself, at 60 % the image.
    stage = cell.locator(".ai-stage").first
    only_pred = np.argwhere((pred == 1) & (gt == 0))
    y, x = only_pred[len(only_pred) // 2]

    def pixel() -> np.ndarray:
        shot = png(stage)
        sy, sx = int((y + 0.5) * shot.shape[0] / H), int((x + 0.5) * shot.shape[1] / W)
        return shot[sy, sx]

    cat = np.array([0x3C, 0xB4, 0x4B])
    drawer = cell.locator('[data-control="drawer"]')
    drawer.click()  # closed: the drawer covers part of the picture
    at_default = pixel()
    drawer.click()
    cell.locator('.ai-drawer [data-layer="prediction"] input[type=range]').evaluate(
        "el => { el.value = '1'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    drawer.click()
    at_full = pixel()
    drawer.click()
    assert np.abs(at_full - cat).max() <= 3, at_full
    assert np.abs(at_default - cat).max() > 20, at_default
    # ... and the setting is grid-wide: it is in the panel's URL state.
    assert "seg.layerOpacity" in page.evaluate("decodeURIComponent(location.hash)")

    # IoU figures on screen match numpy.
    inter = {c: ((pred == c) & (gt == c)).sum() for c in (0, 1, 2)}
    union = {c: ((pred == c) | (gt == c)).sum() for c in (0, 1, 2)}
    ious = {c: inter[c] / union[c] for c in (0, 1, 2)}
    shown_miou = float(cell.locator(".ai-miou").get_attribute("data-miou"))
    assert shown_miou == pytest.approx(np.mean(list(ious.values())), abs=1e-9)
    assert cell.locator(".ai-miou").inner_text() == f"mIoU {np.mean(list(ious.values())):.3f}"
    for c in (1, 2):
        shown = float(cell.locator(f'.ai-drawer [data-class-id="{c}"] [data-iou]').get_attribute("data-iou"))
        assert shown == pytest.approx(ious[c], abs=1e-9)

    # Difference view (in the cell's menu, still open): lit exactly where the two layers disagree.
    cell.locator('.ai-drawer [data-control="difference"]').click()
    diff = canvas_rgba(cell.locator('canvas[data-layer="difference"]'))
    assert ((diff[..., 3] > 0) == (pred != gt)).all()
    cell.locator('.ai-drawer [data-control="difference"]').click()

    # Layouts change geometry: beside -> image + masks side by side; panels -> one per layer.
    over_w = cell.locator(".ai-stage").first.bounding_box()["width"]
    cell.locator('[data-control="layout"]').select_option("beside")
    boxes = [
        cell.locator(".ai-stage").nth(i).bounding_box() for i in range(cell.locator(".ai-stage").count())
    ]
    # Side by side or one above the other, whichever shows them bigger in this cell; never overlapping.
    a, b = boxes if len(boxes) == 2 else (None, None)
    assert a and b
    assert b["x"] >= a["x"] + a["width"] - 1 or b["y"] >= a["y"] + a["height"] - 1
    assert a["width"] < over_w
    cell.locator('[data-control="layout"]').select_option("panels")
    assert cell.locator(".ai-stage").count() == 3
    assert [cell.locator(".ai-stage").nth(i).get_attribute("data-stage") for i in range(3)] == [
        "image",
        "prediction",
        "ground_truth",
    ]
    drawer.click()
    save(cell, "viewer-masks-panels.png")
    assert not page.errors


def test_boxes_domains_threshold_and_captions(server: TensorBoardServer, page: Any) -> None:
    frame = open_media_tab(page, server.url, state("^boxes$", 480))
    cell = ready_cell(frame, "boxes")
    stage = cell.locator(".ai-stage").first.bounding_box()
    drawn = cell.locator(".ai-box")
    assert drawn.count() == 3
    # A fraction box and a pixel box land where their coordinates say, in screen pixels.
    frac = cell.locator('.ai-box[data-layer="prediction"]').first.bounding_box()
    assert frac["x"] - stage["x"] == pytest.approx(0.05 * stage["width"], abs=1.5)
    assert frac["width"] == pytest.approx(0.45 * stage["width"], abs=1.5)
    pix = cell.locator('.ai-box[data-layer="ground_truth"]').bounding_box()
    assert pix["x"] - stage["x"] == pytest.approx(4 / W * stage["width"], abs=1.5)
    assert pix["height"] == pytest.approx(34 / H * stage["height"], abs=1.5)
    assert cell.locator('.ai-box[data-layer="ground_truth"] span').inner_text() == "cat (truth)"
    # The predicted and the true cat share a corner: their captions must not print over each
    # other, and none leaves the image.
    captions = [cell.locator(".ai-box span").nth(i).bounding_box() for i in range(3)]
    for i, a in enumerate(captions):
        assert stage["y"] - 0.5 <= a["y"] and a["y"] + a["height"] <= stage["y"] + stage["height"] + 0.5
        for b in captions[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)
    save(cell, "viewer-boxes.png")

    cell.locator('[data-control="drawer"]').click()
    cell.locator('[data-score="score"] input[type=range]').evaluate(
        "el => { el.value = '0.5'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    # The 0.3 box goes; the unscored truth box stays.
    assert cell.locator(".ai-box").count() == 2
    caps = cell.locator('[data-control="captions"] input')
    caps.uncheck()
    assert cell.locator(".ai-box span").count() == 0
    cell.locator('.ai-drawer [data-box-layer="ground_truth"] input').uncheck()
    assert cell.locator(".ai-box").count() == 1


def test_small_cell_shows_the_image_and_keeps_controls_in_its_menu(
    server: TensorBoardServer, page: Any
) -> None:
    require("playwright")
    from playwright.sync_api import expect

    frame = open_media_tab(page, server.url, state("^masks$", 128))
    cell = ready_cell(frame, "masks")
    content = cell.locator(".ai-root").bounding_box()
    stage = cell.locator(".ai-stage").bounding_box()
    # The picture takes the cell: no row of controls above it; it fills the cell's width or height.
    assert stage["width"] >= content["width"] - 1 or stage["height"] >= content["height"] - 1
    assert stage["height"] == pytest.approx(stage["width"] * H / W, abs=1.5)
    # The mean IoU is a badge on the image itself.
    badge = cell.locator(".ai-stage .ai-miou").bounding_box()
    assert stage["y"] <= badge["y"] and badge["y"] + badge["height"] <= stage["y"] + stage["height"] + 0.5
    # The menu button stays out of sight until the pointer is over the cell.
    button = cell.locator('[data-control="drawer"]')
    page.mouse.move(5, 5)
    expect(button).to_have_css("opacity", "0")
    cell.hover()
    expect(button).to_have_css("opacity", "1")
    # Its popover keeps a usable size even in a 128 px cell, with every control.
    button.click()
    pop = cell.locator(".ai-drawer").bounding_box()
    assert pop["width"] >= 250
    assert cell.locator('.ai-drawer [data-control="layout"]').is_visible()
    assert cell.locator('.ai-drawer [data-class-id="2"] input[type=checkbox]').is_visible()
    page.keyboard.press("Escape")
    assert cell.locator(".ai-drawer").is_hidden()
    assert not page.errors


# ---- 3D ------------------------------------------------------------------------------------------

BACKGROUND = np.array([0xF7, 0xF7, 0xF8])


def drawn_fraction(rgba: np.ndarray) -> float:
    return float((np.abs(rgba[..., :3].astype(int) - BACKGROUND).max(axis=-1) > 12).mean())


def test_gltf_renders_and_synced_camera_turns_its_neighbour(server: TensorBoardServer, page: Any) -> None:
    frame = open_media_tab(page, server.url, state("^pair$", 360, x="index", y="step"))
    left, right = ready_cell(frame, "pair", 0), ready_cell(frame, "pair", 1)
    lc, rc = left.locator("canvas.v3d-canvas"), right.locator("canvas.v3d-canvas")
    wait_frames(lc)
    wait_frames(rc)
    settle(lc)
    settle(rc)
    duck = canvas_rgba(lc)
    assert drawn_fraction(duck) > 0.05
    # The duck is yellow: its PBR material and texture-free colours made it through.
    yellow = (duck[..., 0] > 180) & (duck[..., 1] > 160) & (duck[..., 2] < 110)
    assert yellow.mean() > 0.02
    save(left, "viewer-mesh.png")

    # Same row, default sync "row": dragging the left camera turns the right one.
    r_before = canvas_rgba(rc)
    box = lc.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 10, steps=6)
    page.mouse.up()
    settle(lc)
    settle(rc)
    r_after = canvas_rgba(rc)
    assert (np.abs(r_after.astype(int) - r_before).max(axis=-1) > 30).mean() > 0.01
    # The two cells now show the same view of the same duck.
    assert np.abs(canvas_rgba(lc).astype(int) - r_after).mean() < 3

    # Sync off (in the cell's menu): turning the left one leaves the right one alone.
    left.locator('[data-control="menu"]').click()
    left.locator('[data-control="camera-sync"]').select_option("off")
    left.locator('[data-control="menu"]').click()
    assert left.locator(".vc-pop").is_hidden()
    settle(rc)
    r_still = canvas_rgba(rc)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    settle(lc)
    assert np.array_equal(canvas_rgba(rc), r_still)
    assert not page.errors


def test_double_precision_ply_from_open3d_renders(server: TensorBoardServer, page: Any) -> None:
    """Open3D's PLY stores doubles; WebGL draws no 64-bit attributes, so unconverted they left the
    cell blank with "THREE.WebGLAttributes: Unsupported buffer data format"."""
    frame = open_media_tab(page, server.url, state("^double_ply$", 240, x="index", y="step"))
    for nth in (0, 1):  # the mesh, then the scan of its vertices
        canvas = ready_cell(frame, "double_ply", nth).locator("canvas.v3d-canvas")
        # Unconverted, the renderer throws before it counts a frame: wait for a frame or an error.
        cell = f'.mp-cell[data-tag="double_ply"][data-state="ready"] >> nth={nth}'
        drawn_or_failed = frame.locator(f"{cell} >> canvas.v3d-canvas[data-frames]")
        while not page.errors and drawn_or_failed.count() == 0:
            page.wait_for_timeout(100)
        assert page.errors == []
        settle(canvas)
        rgba = canvas_rgba(canvas)
        drawn = int((np.abs(rgba[..., :3].astype(int) - BACKGROUND).max(axis=-1) > 12).sum())
        # The mesh fills much of the cell; the scan is six points of a few pixels each.
        assert drawn > (rgba.shape[0] * rgba.shape[1] // 20 if nth == 0 else 6), f"item {nth} is blank"
    assert page.errors == []


def test_million_point_cloud_draws_every_point(server: TensorBoardServer, page: Any) -> None:
    frame = open_media_tab(page, server.url, state("^cloud$", 480))
    cell = ready_cell(frame, "cloud")
    canvas = cell.locator("canvas.v3d-canvas")
    wait_frames(canvas)
    settle(canvas)
    # The renderer's own count of points drawn in the cell's last frame.
    assert int(canvas.get_attribute("data-rendered-points")) == N_POINTS
    assert drawn_fraction(canvas_rgba(canvas)) > 0.05
    # Colour by class with a legend; hiding a class leaves only the other class's points drawn.
    legend = cell.locator('.v3d-panel [data-class-id="1"]')
    assert "above" in legend.inner_text()
    # The class colour logged with "above" is the colour of its points, exactly (no colour shift).
    drawn = canvas_rgba(canvas)[..., :3].reshape(-1, 3)
    assert (drawn == ABOVE_COLOR).all(axis=-1).mean() > 0.02
    above = int(legend.locator(".num").inner_text().replace(",", ""))
    legend.locator("input").uncheck()
    canvas.evaluate(
        "(c, n) => new Promise(r => {"
        " const t = () => Number(c.dataset.renderedPoints) === n ? r(0) : setTimeout(t, 50); t(); })",
        N_POINTS - above,
    )
    legend.locator("input").check()
    settle(canvas)
    save(cell, "viewer-pointcloud.png")


def test_grid_of_24_3d_cells_shares_one_context(server: TensorBoardServer, page: Any) -> None:
    page.set_viewport_size({"width": 1400, "height": 1100})
    frame = open_media_tab(page, server.url, state("^grid3d$", 170, x="index", y="step"))
    cells = frame.locator('.mp-cell[data-tag="grid3d"]')
    frame.locator('.mp-cell[data-tag="grid3d"][data-state="ready"]').nth(23).wait_for(timeout=120_000)
    assert cells.count() == 24
    canvases = frame.locator('.mp-cell[data-tag="grid3d"] canvas.v3d-canvas')
    for i in range(24):
        wait_frames(canvases.nth(i))
    settle(canvases.nth(23))
    lost = canvases.nth(0).evaluate("() => window.__tbmp3d.contexts()")
    assert lost == 1
    for i in range(24):
        assert drawn_fraction(canvas_rgba(canvases.nth(i))) > 0.01, f"cell {i} is empty"
    save(frame.locator(".mp-card").first, "viewer-grid3d.png")


# ---- molecules -----------------------------------------------------------------------------------


def colour_share(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 60) -> float:
    return float((np.abs(img - np.array(rgb)).max(axis=-1) < tol).mean())


def test_protein_overlay_by_default_then_cartoon_and_sticks(server: TensorBoardServer, page: Any) -> None:
    # Both tags shown: "structure/true" is the obvious partner of "structure/pred", so the prediction's
    # cells overlay it from the start, predicted blue over true red, as in the talk.
    frame = open_media_tab(page, server.url, state("^structure/", 400))
    cell = ready_cell(frame, "structure/pred")
    host = cell.locator('.mol-host[data-live="1"]')
    host.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    both = png(host)
    red = colour_share(both, (0xD6, 0x27, 0x28))
    assert colour_share(both, (0x1E, 0x63, 0xD6)) > 0.01
    assert red > 0.01
    save(cell, "viewer-overlay.png")
    # The reference's own cells stay the plain reference: no overlay until asked for.
    truth = ready_cell(frame, "structure/true")
    assert not truth.locator('.v3d-panel [data-overlay="structure/pred"] input').is_checked()

    # Unticked: the red structure goes; the protein alone is a spectrum-coloured cartoon (many hues).
    row = cell.locator('.v3d-panel [data-overlay="structure/true"] input')
    row.uncheck()
    page.wait_for_timeout(500)
    cartoon = png(host)
    assert colour_share(cartoon, (0xD6, 0x27, 0x28)) < red / 3
    hues = {tuple(p // 64) for p in cartoon.reshape(-1, 3) if p.max() - p.min() > 80}
    assert len(hues) >= 6
    save(cell, "viewer-molecule.png")

    # Representation, in the cell's menu: cartoon by default for a protein, sticks change the image.
    menu = cell.locator('[data-control="menu"]')
    menu.click()
    assert cell.locator('[data-control="mol-style"]').input_value() == "auto"
    cell.locator('[data-control="mol-style"]').select_option("sticks")
    menu.click()  # closed: the menu would cover part of the molecule
    page.wait_for_timeout(500)
    sticks = png(host)
    assert (np.abs(sticks - cartoon).max(axis=-1) > 40).mean() > 0.02
    menu.click()
    cell.locator('[data-control="mol-style"]').select_option("auto")
    # Every other molecule tag stays reachable in the menu; ticking the partner there overlays it again.
    cell.locator('.vc-pop [data-overlay="structure/true"] input').check()
    menu.click()
    page.wait_for_timeout(500)
    assert colour_share(png(host), (0xD6, 0x27, 0x28)) > red / 2
    assert not page.errors


def test_pointcloud_payload_is_binary(server: TensorBoardServer) -> None:
    items = server.get_json("items?run=run&tag=cloud&step=0")["items"]
    status, _, body = server.get("points?run=run&tag=cloud&step=0&index=0&array=positions")
    assert status == 200 and len(body) == N_POINTS * 12
    assert items[0]["point_cloud"]["num_points"] == N_POINTS
    assert items[0]["point_cloud"]["label_bytes"] == 1


def test_grid_of_molecules_every_cell_drawn_without_lost_contexts(
    server: TensorBoardServer, page: Any
) -> None:
    # 20 molecules on screen at once (5 per step x 4 steps): more than the ~16 live WebGL contexts
    # a page may hold, so the viewer must ration them and no cell may go blank.
    n = MOLECULES_PER_STEP * MOLECULE_STEPS
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if "context" in m.text.lower() else None)
    page.set_viewport_size({"width": 1400, "height": 1100})
    frame = open_media_tab(page, server.url, state("^molecules$", 210, x="index", y="step"))
    cells = frame.locator('.mp-cell[data-tag="molecules"]')
    frame.locator('.mp-cell[data-tag="molecules"][data-state="ready"]').nth(n - 1).wait_for(timeout=120_000)
    assert cells.count() == n
    # Every cell shows its molecule: live, or as the picture of its last frame.
    frame.locator(".mol-still[src]").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1000)
    for i in range(n):
        shot = png(cells.nth(i).locator(".v3d-root"))
        drawn = float((shot.min(axis=-1) < 200).mean())
        assert drawn > 0.01, f"molecule cell {i} is blank"
    live = frame.locator('.mol-host[data-live="1"]').count()
    assert 1 <= live <= 8
    assert frame.locator(".mol-host canvas").count() == live
    assert frame.locator('.mol-still[src^="data:image/png"]').count() >= n - live
    assert not [w for w in warnings if "lost" in w.lower() or "too many" in w.lower()], warnings
    save(frame.locator(".mp-card").first, "viewer-molecule-grid.png")
    assert not page.errors
