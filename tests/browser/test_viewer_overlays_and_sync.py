"""Viewers working together, in Chromium against a real `tensorboard --logdir`: overlay partners
whatever the tag filter, "play row" on GIFs, one three.js for every 3D chunk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, until
from tests.conftest import require, require_fixtures_dir
from tests.tb_server import TensorBoardServer, serving

# One solid colour per GIF frame, a second each: which frame shows is plain in a screenshot.
GIF_COLORS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 200, 20), (200, 30, 200), (20, 200, 200)]


def write_logdir(root: Path) -> Path:
    mp = require("tb_media_panel")
    fixtures = require_fixtures_dir()
    aspirin = (fixtures / "molecule_aspirin_3d.sdf").read_text()
    rng = np.random.default_rng(2)
    cloud = rng.normal(size=(300, 3)).astype(np.float32)
    frames = np.stack([np.full((24, 32, 3), c, np.uint8) for c in GIF_COLORS])
    for run in ("run_a", "run_b"):
        with mp.Writer(str(root / run)) as w:
            for step in (0, 1):
                w.add("structure/pred", mp.Molecule(aspirin, format="sdf"), step=step)
                w.add("structure/true", mp.Molecule(aspirin, format="sdf"), step=step)
                w.add("cloud_pred", mp.PointCloud(cloud + 0.1 * step), step=step)
                w.add("cloud_true", mp.PointCloud(cloud), step=step)
                w.add("mesh", mp.Object3D(str(fixtures / "model_box_embedded.gltf")), step=step)
                w.add("anim", mp.Video(frames, fps=1, format="gif"), step=step)
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("overlays")
    with serving(write_logdir(root / "logs"), root / "tb.log") as tb:
        yield tb


def ready(frame: Any, tag: str) -> Any:
    cell = frame.locator(f'.mp-cell[data-tag="{tag}"][data-state="ready"]').first
    cell.wait_for(timeout=90_000)
    return cell


@pytest.mark.parametrize(
    ("own", "partner"), [("structure/pred", "structure/true"), ("cloud_pred", "cloud_true")]
)
def test_overlay_partner_stays_offered_when_the_tag_filter_hides_it(
    server: TensorBoardServer, page: Any, own: str, partner: str
) -> None:
    frame = open_media_tab(page, server.url, f"tags=%5E{own}%24&cell=256")
    cell = ready(frame, own)
    assert frame.locator(f'.mp-cell[data-tag="{partner}"]').count() == 0, (
        "the filter hides the partner's card"
    )
    cell.hover()
    cell.locator('button[data-control="menu"]').click()
    row = frame.locator(f'[role="dialog"] [data-overlay="{partner}"]')
    until(lambda: row.count() == 1, f"{partner} offered as an overlay in {own}'s menu", timeout=20)
    box = row.locator("input[type=checkbox]")
    box.check()
    assert box.is_checked()
    assert not page.errors


def rgb_at_centre(page: Any, locator: Any) -> tuple[int, int, int]:
    require("PIL")
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
    return img.getpixel((img.width // 2, img.height // 2))


def frame_shown(page: Any, img: Any) -> int | None:
    rgb = np.array(rgb_at_centre(page, img))
    dist = [int(np.abs(rgb - np.array(c)).max()) for c in GIF_COLORS]
    best = int(np.argmin(dist))
    return best if dist[best] < 40 else None


def test_play_row_restarts_gifs_from_their_first_frame(server: TensorBoardServer, page: Any) -> None:
    frame = open_media_tab(page, server.url, "tags=%5Eanim%24&cell=128")
    img = ready(frame, "anim").locator("img")
    # The animation runs on: wait for its third or fourth frame, two seconds or more before it
    # loops back to the first by itself.
    until(lambda: frame_shown(page, img) in (2, 3), "the GIF plays on to its third frame", timeout=20)
    frame.locator(".mp-row-play").first.click()
    until(lambda: frame_shown(page, img) == 0, "play row shows the GIF's first frame again", timeout=0.9)
    assert not page.errors


def test_every_3d_kind_shares_one_three_js(server: TensorBoardServer, page: Any) -> None:
    """TensorBoard 2.21's own page logs "Multiple instances of Three.js being imported" on every
    load, on any tab (its bundle carries two copies); the Media tab's chunks must add none."""
    warnings: list[str] = []

    def note(m: Any) -> None:
        if "Three.js" in m.text and "/data/plugin/media_panel/" in (m.location or {}).get("url", ""):
            warnings.append(m.text)

    page.on("console", note)
    frame = open_media_tab(
        page, server.url, "tags=%5E(mesh|cloud_pred|structure/pred)%24&x=tag&y=run&cell=160"
    )
    for tag in ("mesh", "cloud_pred", "structure/pred"):
        ready(frame, tag)
    page.wait_for_timeout(500)
    assert warnings == []
    assert not page.errors
