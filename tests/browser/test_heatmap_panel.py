"""Scalar images and heatmaps in the panel, read back pixel by pixel: a known value takes the
colormap's colour (d3-scale-chromatic's, computed by d3 itself in the browser), the threshold
hides exactly the values under it, the card-wide scale gives one colour per value across cells
(a per-cell scale does not), a uint16 image windowed shows the expected greys, a probability
mask's low-confidence pixels are hatched unsure, and the probe shows the stored value."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, screenshot, until
from tests.browser.test_panel import CARD, hash_state, settled
from tests.conftest import unavailable

H, W = 48, 64
D3 = Path(__file__).resolve().parents[2] / "frontend" / "node_modules"
UNSURE_GREYS = ((96, 96, 96), (200, 200, 200))  # segmentation/compose.ts UNSURE_RGB


def depth_maps() -> tuple[np.ndarray, np.ndarray]:
    """Two depth maps of different ranges ([0, 1] and [0, 10]) that both hold 0.5 at (0, 0)."""
    y, x = np.mgrid[0:H, 0:W]
    a = (np.hypot(x - W * 0.6, y - H * 0.4) / np.hypot(W, H)).astype(np.float32)
    a = (a / a.max()).astype(np.float32)
    b = (a * 10).astype(np.float32)
    a[0, 0] = b[0, 0] = 0.5
    a[5, 7] = np.nan  # no data
    a[1, 1] = 0.25  # exactly the threshold below: shown (values >= t are)
    return a, b


def xray() -> np.ndarray:
    return (np.arange(H * W, dtype=np.uint16).reshape(H, W) * 7).astype(np.uint16)


def probabilities() -> np.ndarray:
    """Three soft classes (left, right, a disc): unsure where they meet."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    logits = np.stack(
        [-((x - 10) ** 2) / 300, -((x - 54) ** 2) / 300, -((x - 32) ** 2 + (y - 24) ** 2) / 120 + 0.5], -1
    )
    e = np.exp(logits)
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def attention() -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    return np.exp(-((x - 40) ** 2 + (y - 20) ** 2) / 200).astype(np.float32)


@pytest.fixture(scope="module")
def heat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import tb_media_panel as mp
    from tests.tb_server import serving

    root = tmp_path_factory.mktemp("heatmaps")
    a, b = depth_maps()
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 1] = np.linspace(60, 160, W, dtype=np.uint8)
    with mp.Writer(str(root / "train")) as w:
        w.add("depth", mp.Heatmap(a, vmin=0, vmax=1), step=0)
        w.add("depth", mp.Heatmap(b, vmin=0, vmax=10), step=1)
        w.add("xray", mp.Image(xray()), step=0)
        mask = mp.Mask.from_probabilities(probabilities(), class_labels={0: "left", 1: "right", 2: "disc"})
        w.add(
            "seg",
            mp.Image(
                rgb, masks={"pred": mask}, heatmaps={"attention": mp.Heatmap(attention(), colormap="magma")}
            ),
            step=0,
        )
    with serving(root, tmp_path_factory.mktemp("tb") / "tb.log") as server:
        yield server


@pytest.fixture(scope="module")
def d3(browser: Any) -> Iterator[Any]:
    """d3's colour for t along a colormap, from d3-scale-chromatic's own build."""
    if not (D3 / "d3-scale-chromatic").is_dir():
        unavailable("frontend/node_modules is missing (npm ci in frontend/)")
    context = browser.new_context()
    pg = context.new_page()
    pg.set_content("<html></html>")
    for lib in ("d3-color", "d3-interpolate", "d3-scale-chromatic"):
        pg.add_script_tag(path=str(D3 / lib / "dist" / f"{lib}.min.js"))

    def color(name: str, t: float) -> tuple[int, int, int]:
        c = pg.evaluate("([n, t]) => { const c = d3.rgb(d3[n](t)); return [c.r, c.g, c.b]; }", [name, t])
        return tuple(round(v) for v in c)

    yield color
    context.close()


def cell_canvas(frame: Any, tag: str, step: int, selector: str = 'canvas.ai-values[data-heat=""]') -> Any:
    return frame.locator(
        f'{CARD.format(tag)} .mp-cell[data-step="{step}"] .mp-cell-content:not([hidden]) {selector}'
    ).first


def rgba(canvas: Any) -> np.ndarray:
    """The canvas's pixels as drawn (its own resolution), HxWx4."""
    data = canvas.evaluate("c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)")
    return np.array(data, dtype=np.int32).reshape(H, W, 4)


def painted(
    frame: Any, tag: str, step: int, key: list[Any], selector: str = 'canvas.ai-values[data-heat=""]'
) -> Any:
    """The canvas once drawn with `key`: [colormap, vmin, vmax, threshold]."""
    c = cell_canvas(frame, tag, step, selector)

    def drawn() -> Any:
        return c.count() and json.loads(c.get_attribute("data-paint") or "null") == key

    until(drawn, f"{tag} step {step} drawn with {key}")
    return c


def near(a: Any, b: Any, tol: int) -> bool:
    return all(abs(int(x) - int(y)) <= tol for x, y in zip(a, b, strict=True))


def state(tags: str, viewer: dict[str, Any] | None = None) -> str:
    s = f"tags={tags}&cell=200"
    return s + (f"&viewer={urllib.parse.quote(json.dumps(viewer))}" if viewer else "")


def test_one_scale_per_card_gives_one_colour_per_value_and_a_scale_per_cell_does_not(
    page: Any, heat_server: Any, d3: Any
) -> None:
    frame = open_media_tab(page, heat_server.url, state("^depth$"))
    until(lambda: settled(frame, "depth"), "the depth cells load")
    # the card's window is the union of the logged windows [0, 1] and [0, 10]
    a = painted(frame, "depth", 0, ["viridis", 0, 10, None])
    b = painted(frame, "depth", 1, ["viridis", 0, 10, None])
    pa, pb = rgba(a)[0, 0, :3], rgba(b)[0, 0, :3]
    assert list(pa) == list(pb), "0.5 takes one colour in both cells under the card's scale"
    assert near(pa, d3("interpolateViridis", 0.05), 3)
    # the probe: the exact stored value and its place
    values, _ = depth_maps()
    box = a.bounding_box()
    page.mouse.move(box["x"] + (3.5 / W) * box["width"], box["y"] + (2.5 / H) * box["height"])
    tip = frame.locator(".pp-tip:visible").first  # the pixel probe's tip by the pointer
    text = lambda: tip.get_attribute("data-text") or ""  # noqa: E731 (a canvas: its text in an attribute)
    until(lambda: tip.count() and "x 3, y 2" in text(), "the probe shows the pixel's position")
    shown = text().split("value: ")[1].split("\n")[0]
    assert np.float32(shown) == values[2, 3]
    # full screen keeps the card's scale
    frame.locator(f'{CARD.format("depth")} .mp-cell[data-step="0"] [data-control="fullscreen"]').first.click()
    big = frame.locator('.mp-lightbox canvas.ai-values[data-heat=""]')
    until(
        lambda: (
            big.count() and json.loads(big.get_attribute("data-paint") or "null") == ["viridis", 0, 10, None]
        ),
        "the full-screen view draws with the card's window",
    )
    page.keyboard.press("Escape")
    until(lambda: not frame.locator(".mp-lightbox").count(), "full screen closed")
    # a scale per cell, chosen in the menu, lands in the URL and recolours each cell on its own
    frame.locator(f'{CARD.format("depth")} .mp-cell[data-step="0"] [data-control="drawer"]').first.click()
    frame.locator('.vc-pop:popover-open [data-control="heat-scale"]').select_option("cell")
    a = painted(frame, "depth", 0, ["viridis", 0, 1, None])
    b = painted(frame, "depth", 1, ["viridis", 0, 10, None])
    pa, pb = rgba(a)[0, 0, :3], rgba(b)[0, 0, :3]
    assert near(pa, d3("interpolateViridis", 0.5), 3)
    assert near(pb, d3("interpolateViridis", 0.05), 3)
    assert not near(pa, pb, 10)
    viewer = urllib.parse.parse_qs(hash_state(page))["viewer"][0]
    assert json.loads(viewer)["heat.scale"] == "cell"
    assert not page.errors


def test_the_threshold_hides_exactly_the_values_under_it_and_nan_is_no_data(
    page: Any, heat_server: Any
) -> None:
    t = 0.25
    frame = open_media_tab(
        page, heat_server.url, state("^depth$", {"heat.scale": "cell", "heat.threshold": {"": t}})
    )
    c = painted(frame, "depth", 0, ["viridis", 0, 1, t])
    values, _ = depth_maps()
    alpha = rgba(c)[..., 3]
    hidden = (values < t) | np.isnan(values)
    assert hidden.sum() > 100 and (~hidden).sum() > 100
    assert np.array_equal(alpha == 0, hidden), "transparent exactly where the value is under t or NaN"
    assert int(c.get_attribute("data-hidden")) == int((values < t).sum())
    assert not page.errors


def test_a_uint16_image_windowed_shows_the_expected_greys_and_auto_goes_back_to_p01_p99(
    page: Any, heat_server: Any
) -> None:
    lo, hi = 1000, 3000
    frame = open_media_tab(page, heat_server.url, state("^xray$", {"heat.window": {"": [lo, hi]}}))
    c = painted(frame, "xray", 0, ["gray", lo, hi, None])
    x = xray().astype(np.float64)
    expected = np.round(np.clip((x - lo) / (hi - lo), 0, 1) * 255)
    px = rgba(c)
    assert np.abs(px[..., 0] - expected).max() <= 1
    assert np.array_equal(px[..., 0], px[..., 1]) and np.array_equal(px[..., 1], px[..., 2])
    assert (px[..., 3] == 255).all()
    # "auto": the logged 1st-99th percentiles
    meta = heat_server.get_json("items?run=train&tag=xray&step=0")["items"][0]["values"]
    assert meta["dtype"] == "uint16"
    frame.locator(f'{CARD.format("xray")} .mp-cell [data-control="drawer"]').first.click()
    frame.locator('.vc-pop:popover-open [data-control="auto-window"]').click()
    c = painted(frame, "xray", 0, ["gray", meta["p01"], meta["p99"], None])
    auto = np.round(np.clip((x - meta["p01"]) / (meta["p99"] - meta["p01"]), 0, 1) * 255)
    assert np.abs(rgba(c)[..., 0] - auto).max() <= 1
    assert not page.errors


def test_a_heatmap_over_an_image_and_the_unsure_pixels_of_a_probability_mask(
    page: Any, heat_server: Any, d3: Any
) -> None:
    # heatmap layers over a picture start hidden: shown here, under masks at half opacity, the
    # attention heatmap shows in the picture (docs/screenshots)
    view = {"seg.layerOpacity": {"pred": 0.5}, "heat.visible": {"attention": True}}
    frame = open_media_tab(
        page, heat_server.url, f"tags=^seg$&cell=420&viewer={urllib.parse.quote(json.dumps(view))}"
    )
    meta = heat_server.get_json("items?run=train&tag=seg&step=0")["items"][0]
    att = next(m for m in meta["heatmaps"] if m["name"] == "attention")
    key = ["magma", att["p01"], att["p99"], None]
    c = painted(frame, "seg", 0, key, 'canvas.ai-values[data-heat="attention"]')
    values = attention()
    y, x = 20, 40  # the blob's centre: 1.0
    t = (float(values[y, x]) - att["p01"]) / (att["p99"] - att["p01"])
    assert near(rgba(c)[y, x, :3], d3("interpolateMagma", min(1.0, t)), 3)
    # pred's confidence under 0.5 (the default) is unsure: counted and hatched grey
    conf = probabilities().max(-1)
    mask = cell_canvas(frame, "seg", 0, 'canvas[data-layer="pred"]')
    until(lambda: mask.count() and mask.get_attribute("data-unsure") is not None, "the mask is drawn")
    unsure = conf < 0.5
    assert 0 < unsure.sum() < unsure.size
    assert int(mask.get_attribute("data-unsure")) == int(unsure.sum())
    px = rgba(mask)[..., :3]
    grey = np.zeros((H, W), bool)
    for g in UNSURE_GREYS:
        grey |= (px == g).all(-1)
    assert np.array_equal(grey, unsure)
    screenshot(page, "viewer-heatmaps.png")
    assert not page.errors
