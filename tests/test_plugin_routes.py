"""Every route of docs/http-api.md through werkzeug's test client on the plugin's WSGI apps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel.plugin import MediaPanelPlugin

MASK = np.arange(12 * 10, dtype=np.uint16).reshape(10, 12) % 300  # needs 16 bits
PIXELS = np.random.default_rng(0).integers(0, 255, (10, 12, 3), dtype=np.uint8)
POINTS = np.random.default_rng(1).random((50, 3), dtype=np.float32)
COLORS = np.random.default_rng(2).integers(0, 255, (50, 3), dtype=np.uint8)
HTML = "<html><body><script>document.title='x'</script>hi</body></html>"


class Routes:
    def __init__(self, plugin: MediaPanelPlugin) -> None:
        self.apps = plugin.get_plugin_apps()

    def get(self, route: str, query: str = "", headers: dict[str, str] | None = None) -> Any:
        app = self.apps["/static/*"] if route.startswith("static/") else self.apps["/" + route]
        return Client(app).get("/" + route + ("?" + query if query else ""), headers=headers or {})

    def json(self, route: str, query: str = "") -> Any:
        response = self.get(route, query)
        assert response.status_code == 200, response.get_data()
        return json.loads(response.get_data())


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logdir")
    with mp.Writer(str(root / "run_a")) as writer:
        for step in range(0, 200, 2):
            image = mp.Image(
                PIXELS,
                caption=f"step {step}",
                masks={
                    "prediction": mp.Mask(
                        MASK, class_labels={1: "cat", 299: {"name": "dog", "color": "#00ff00"}}
                    )
                },
                boxes={
                    "gt": mp.Boxes(
                        [
                            {
                                "position": {
                                    "min_x": 0.1,
                                    "min_y": 0.2,
                                    "max_x": 0.5,
                                    "max_y": 0.6,
                                },
                                "class_id": 1,
                                "scores": {"score": 0.9},
                                "caption": "cat",
                            }
                        ],
                        class_labels={1: "cat"},
                    )
                },
            )
            writer.add("samples", [image, mp.Image(PIXELS[:, :, 0])], step=step)
        writer.add("clouds", mp.PointCloud(POINTS, colors=COLORS), step=5)
        writer.add("pages", mp.Html(HTML), step=1)
    with mp.Writer(str(root / "run_b")) as writer:
        writer.add("samples", mp.Image(PIXELS), step=7)
    return root


@pytest.fixture(scope="module")
def routes(logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Routes:
    static = tmp_path_factory.mktemp("static")
    (static / "index.js").write_text("export function render() {}\n")
    (static / "assets").mkdir()
    (static / "assets" / "viewer-3f9a1b2c.js").write_text("export const x = 1;\n")
    (static / "style.css").write_text("body {}\n")
    (logdir.parent / "secret.txt").write_text("TOP-SECRET-CONTENT")
    return Routes(MediaPanelPlugin(TBContext(logdir=str(logdir)), static_dir=static))


def test_runs_and_tags(routes: Routes) -> None:
    runs = routes.json("runs")
    assert runs["runs"] == [
        {"name": "run_a", "skipped_records": 0},
        {"name": "run_b", "skipped_records": 0},
    ]
    assert runs["warnings"] == []
    assert runs["progress"]["done"] and runs["progress"]["files_done"] == runs["progress"]["files_total"]
    # JSON answers carry nosniff too, so TensorBoard's security validator stays quiet in the terminal.
    assert routes.get("runs").headers["X-Content-Type-Options"] == "nosniff"
    assert routes.get("items", "run=nope&tag=x&step=0").headers["X-Content-Type-Options"] == "nosniff"
    tags = {(t["run"], t["tag"]): t for t in routes.json("tags")["tags"]}
    assert isinstance(tags["run_a", "samples"].pop("version"), int)  # opaque: changes with the series
    assert tags["run_a", "samples"] == {
        "run": "run_a",
        "tag": "samples",
        "kind": "image",
        "source": "media_panel",
        "step_count": 100,
        "first_step": 0,
        "last_step": 198,
        "max_items": 2,
        "purged": 0,
        "description": "",
    }
    assert tags["run_a", "clouds"]["kind"] == "pointcloud"
    assert tags["run_a", "pages"]["kind"] == "html"
    only_b = routes.json("tags", "run=run_b")["tags"]
    assert [(t["run"], t["tag"], t["step_count"]) for t in only_b] == [("run_b", "samples", 1)]


def test_series_window_and_sampling(routes: Routes) -> None:
    body = routes.json(
        "series", "tag=samples&run=run_a&run=run_b&step_min=10&step_max=50&max_steps=5"
    )
    run_a = body["runs"]["run_a"]
    assert run_a["total"] == 21
    assert run_a["steps"][0] == 10 and run_a["steps"][-1] == 50 and len(run_a["steps"]) == 5
    assert run_a["counts"] == [2] * 5 and len(run_a["wall_times"]) == 5
    assert body["runs"]["run_b"] == {
        "steps": [],
        "counts": [],
        "wall_times": [],
        "total": 0,
        "purged": 0,
    }
    everything = routes.json("series", "tag=samples")
    assert everything["runs"]["run_b"]["steps"] == [7]
    assert len(everything["runs"]["run_a"]["steps"]) == 100


def test_items_metadata(routes: Routes) -> None:
    body = routes.json("items", "run=run_a&tag=samples&step=4")
    first, second = body["items"]
    assert (first["kind"], first["mime"], first["width"], first["height"]) == (
        "image",
        "image/png",
        12,
        10,
    )
    assert first["caption"] == "step 4"
    assert first["masks"] == [
        {
            "name": "prediction",
            "width": 12,
            "height": 10,
            "class_labels": [
                {"id": 1, "name": "cat", "color": None},
                {"id": 299, "name": "dog", "color": "#00ff00"},
            ],
        }
    ]
    box = first["boxes"][0]["boxes"][0]
    assert first["boxes"][0]["name"] == "gt" and box["class_id"] == 1 and box["caption"] == "cat"
    assert box["scores"] == {"score": pytest.approx(0.9)}
    assert second["index"] == 1 and second["masks"] == []
    cloud = routes.json("items", "run=run_a&tag=clouds&step=5")["items"][0]["point_cloud"]
    assert cloud["num_points"] == 50 and cloud["has_colors"] is True


def test_items_batch_answers_each_address_in_order(routes: Routes) -> None:
    body = routes.json(
        "items_batch",
        "run=run_a&tag=samples&step=4&run=run_b&tag=samples&step=7"
        "&run=run_a&tag=samples&step=5&run=nope&tag=samples&step=4",
    )
    first, second, missing, unknown = body["results"]
    assert first == routes.json("items", "run=run_a&tag=samples&step=4")
    assert (second["run"], second["step"], len(second["items"])) == ("run_b", 7, 1)
    assert missing["step"] == 5 and "no step 5" in missing["error"]
    assert unknown["run"] == "nope" and "unknown run" in unknown["error"]


def test_items_batch_at_or_before(routes: Routes) -> None:
    body = routes.json(
        "items_batch",
        "earlier=1&run=run_a&tag=samples&step=5&run=run_b&tag=samples&step=100"
        "&run=run_b&tag=samples&step=6&run=run_a&tag=clouds&step=1000",
    )
    odd, later, before_first, cloud = body["results"]
    assert odd["step"] == 4 and odd["items"][0]["caption"] == "step 4"
    assert later["step"] == 7
    assert before_first == {
        "run": "run_b", "tag": "samples", "step": None, "wall_time": None, "items": []
    }
    assert cloud["step"] == 5 and cloud["items"][0]["kind"] == "pointcloud"


def test_items_batch_inlines_small_images(routes: Routes) -> None:
    import base64

    query = "run=run_a&tag=samples&step=4&run=run_a&tag=clouds&step=5"
    first, cloud = routes.json("items_batch", query + "&inline_max=262144")["results"]
    data = routes.get("data", "run=run_a&tag=samples&step=4&index=1").get_data()
    assert base64.b64decode(first["items"][1]["inline"]) == data
    assert "inline" not in cloud["items"][0]  # only images
    small = routes.json("items_batch", query + f"&inline_max={len(data) - 1}")["results"][0]
    assert all("inline" not in item for item in small["items"])
    assert "inline" not in routes.json("items_batch", query)["results"][0]["items"][0]
    assert routes.get("items_batch", query + "&inline_max=262145").status_code == 400


def test_data_with_etag_304_and_ranges(routes: Routes) -> None:
    key = routes.json("items", "run=run_a&tag=samples&step=4")["items"][0]["key"]
    query = "run=run_a&tag=samples&step=4&index=0"
    assert routes.get("data", query).headers["Cache-Control"] == "no-cache"
    query += f"&key={key}"
    response = routes.get("data", query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    png = response.get_data()
    assert np.array_equal(np.asarray(PILImage.open(__import__("io").BytesIO(png))), PIXELS)
    etag = response.headers["ETag"]
    assert routes.get("data", query, {"If-None-Match": etag}).status_code == 304
    ranged = routes.get("data", query, {"Range": "bytes=8-23"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 8-23/{len(png)}"
    assert ranged.get_data() == png[8:24]
    tail = routes.get("data", query, {"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.get_data() == png[-10:]
    assert routes.get("data", query, {"Range": f"bytes={len(png) + 5}-"}).status_code == 416
    other = routes.get("data", "run=run_a&tag=samples&step=6&index=0").headers["ETag"]
    assert other != etag


def test_mask_as_uint16(routes: Routes) -> None:
    response = routes.get("mask", "run=run_a&tag=samples&step=4&index=0&layer=prediction")
    assert response.status_code == 200
    ids = np.frombuffer(response.get_data(), dtype="<u2").reshape(10, 12)
    assert np.array_equal(ids, MASK)
    assert routes.get("mask", "run=run_a&tag=samples&step=4&index=0&layer=nope").status_code == 404


def test_points_arrays(routes: Routes) -> None:
    base = "run=run_a&tag=clouds&step=5&index=0&array="
    positions = np.frombuffer(routes.get("points", base + "positions").get_data(), "<f4")
    assert np.array_equal(positions.reshape(-1, 3), POINTS)
    colors = np.frombuffer(routes.get("points", base + "colors").get_data(), np.uint8)
    assert np.array_equal(colors.reshape(-1, 3), COLORS)
    assert routes.get("points", base + "labels").status_code == 404
    assert routes.get("points", base + "normals").status_code == 400


def test_html_is_sandboxed(routes: Routes) -> None:
    response = routes.get("html", "run=run_a&tag=pages&step=1&index=0")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == HTML
    assert response.headers["Content-Security-Policy"] == "sandbox allow-scripts"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    direct = routes.get("data", "run=run_a&tag=pages&step=1&index=0")
    assert direct.headers["Content-Security-Policy"] == "sandbox allow-scripts"
    assert routes.get("html", "run=run_a&tag=samples&step=4&index=0").status_code == 404


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("series", ""),
        ("series", "tag=samples&max_steps=1"),
        ("series", "tag=samples&max_steps=abc"),
        ("series", "tag=samples&step_min=9&step_max=3"),
        ("series", "tag=samples&step_min=99999999999999999999999"),
        ("items", "run=run_a&tag=samples"),
        ("items", "run=run_a&tag=samples&step=1.5"),
        ("items_batch", ""),
        ("items_batch", "run=run_a&tag=samples"),
        ("items_batch", "run=run_a&run=run_b&tag=samples&step=4&step=7"),
        ("items_batch", "run=run_a&tag=samples&step=x"),
        ("items_batch", "run=run_a&tag=samples&step=4&earlier=yes"),
        ("items_batch", "&".join(["run=run_a&tag=samples&step=4"] * 257)),
        ("data", "run=run_a&tag=samples&step=4"),
        ("data", "run=run_a&tag=samples&step=4&index=-1"),
        ("data", "run=run_a&step=4&index=0"),
        ("mask", "run=run_a&tag=samples&step=4&index=0"),
        ("points", "run=run_a&tag=clouds&step=5&index=0"),
        ("html", "run=run_a&tag=pages&step=1&index=%00"),
    ],
)
def test_bad_parameters_are_400_with_json_error(routes: Routes, route: str, query: str) -> None:
    response = routes.get(route, query)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.get_data())["error"]


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("tags", "run=nope"),
        ("series", "tag=nope"),
        ("series", "tag=samples&run=nope"),
        ("items", "run=nope&tag=samples&step=4"),
        ("items", "run=run_a&tag=nope&step=4"),
        ("items", "run=run_a&tag=samples&step=5"),
        ("data", "run=run_a&tag=samples&step=4&index=2"),
        ("data", "run=run_a&tag=../../secret&step=4&index=0"),
        ("mask", "run=run_a&tag=clouds&step=5&index=0&layer=prediction"),
    ],
)
def test_unknown_addresses_are_404_with_json_error(routes: Routes, route: str, query: str) -> None:
    response = routes.get(route, query)
    assert response.status_code == 404
    assert json.loads(response.get_data())["error"]


def test_static_files_types_caching_and_traversal_guard(routes: Routes) -> None:
    index = routes.get("static/index.js")
    assert index.status_code == 200
    assert index.headers["Content-Type"].startswith("text/javascript")
    assert index.headers["Cache-Control"] == "no-cache"
    assert (
        routes.get("static/index.js", headers={"If-None-Match": index.headers["ETag"]}).status_code
        == 304
    )
    chunk = routes.get("static/assets/viewer-3f9a1b2c.js")
    assert chunk.status_code == 200 and "immutable" in chunk.headers["Cache-Control"]
    assert routes.get("static/style.css").headers["Content-Type"].startswith("text/css")
    for path in (
        "static/../secret.txt",
        "static/..%2f..%2fsecret.txt",
        "static/%2e%2e/secret.txt",
        "static//etc/passwd",
        "static/assets/../../secret.txt",
        "static/nope.js",
    ):
        response = routes.get(path)
        assert response.status_code == 404, path
        assert b"TOP-SECRET" not in response.get_data()


def test_reload_picks_up_new_runs(logdir: Path, routes: Routes) -> None:
    with mp.Writer(str(logdir / "run_c")) as writer:
        writer.add("samples", mp.Image(PIXELS), step=3)
    names = [r["name"] for r in routes.json("reload")["runs"]]
    assert names == ["run_a", "run_b", "run_c"]
    assert routes.json("series", "tag=samples&run=run_c")["runs"]["run_c"]["steps"] == [3]
