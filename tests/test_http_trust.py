"""The HTTP layer trusts nothing in the logdir (issue 13: items 1, 2, 5, 6, 8, 12, 16).

Through a real `tensorboard --logdir` on a logdir of hand-built hostile records: payloads are
served only as allow-listed types their bytes match, every payload response is sandboxed and
`nosniff`, masks cannot decompress beyond their image, large payloads stream in bounded memory,
odd MIME strings and layer names never give a 500, steps travel exactly, one bad series never
fails the others, and item URLs carry a content key that changes when a step is logged again.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel import summary
from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import EventFileWriter
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.proto import media_pb2
from tests.tb_server import TensorBoardServer, serving

RUN = "evil"
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
BIG_STEP = (1 << 53) + 1  # the first step a JavaScript number cannot hold
LONG_TAG = "t" * 5000
# Each hostile document stores where it ran in TensorBoard's localStorage, if it ever does.
PWN = "<script>try{localStorage.setItem('pwned','%s')}catch(e){}</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/>' + (PWN % "svg").encode() + b"</svg>"
XHTML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    + (PWN % "xhtml").encode()
    + b"</body></html>"
)
HTML = b"<html><body>" + (PWN % "html").encode() + b"</body></html>"
JS = b"localStorage.setItem('pwned','js')"
ALLOWED_INLINE = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"}


def png_bytes(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def gif_html_polyglot() -> bytes:
    """A valid 1x1 GIF whose comment block is an HTML page that runs a script."""
    out = io.BytesIO()
    PILImage.new("P", (1, 1)).save(out, format="GIF", comment=(PWN % "polyglot").encode())
    data = out.getvalue()
    assert data.startswith(b"GIF89a") and b"<script>" in data
    return data


def item(kind: str, mime: str, data: bytes, **fields: Any) -> media_pb2.MediaItem:
    return media_pb2.MediaItem(version=1, kind=kind, mime=mime, data=data, **fields)


def write(run_dir: Path, tag: str, step: int, items: list[media_pb2.MediaItem]) -> None:
    """One event holding `items` at `step`, written as mp.Writer frames it, without its checks
    (hostile logs come from other writers)."""
    value = summary_pb2.Summary.Value(
        tag=tag,
        metadata=summary.metadata(),
        tensor=summary.tensor_proto([i.SerializeToString() for i in items]),
    )
    writer = EventFileWriter(str(run_dir))
    try:
        writer.write_event(
            event_pb2.Event(wall_time=1.0, step=step, summary=summary_pb2.Summary(value=[value]))
        )
    finally:
        writer.close()


def zero_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("L", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def mask_layer(png: bytes, name: str = "pred", size: tuple[int, int] = (4, 4)) -> media_pb2.MaskLayer:
    return media_pb2.MaskLayer(name=name, width=size[0], height=size[1], png=png)


PIXELS = np.full((4, 4, 3), 200, np.uint8)
PNG = png_bytes(PIXELS)
# tag -> (kind, logged mime, payload, served Content-Type, served inline rather than downloaded)
HOSTILE = {
    "svg": ("image", "image/svg+xml", SVG, "application/octet-stream", False),
    "html_upper": ("image", "TEXT/HTML", HTML, "application/octet-stream", False),
    "html_mixed": ("image", "Text/Html", HTML, "application/octet-stream", False),
    "html_space": ("image", " text/html", HTML, "application/octet-stream", False),
    "xhtml": ("image", "application/xhtml+xml", XHTML, "application/octet-stream", False),
    "xml": ("image", "text/xml", XHTML, "application/octet-stream", False),
    "js": ("image", "text/javascript", JS, "application/octet-stream", False),
    "video_svg": ("video", "video/mp4", SVG, "application/octet-stream", False),
    "audio_html": ("audio", "audio/wav", HTML, "application/octet-stream", False),
    "molecule": ("molecule", "text/html", HTML, "application/octet-stream", False),
    "polyglot": ("image", "text/html", gif_html_polyglot(), "image/gif", True),
    "crlf": ("image", "image/png\r\nX-Injected: 1", PNG, "image/png", True),
    "latin": ("image", "image/png\u2603\u00b2", PNG, "image/png", True),
    "png_as_jpeg": ("image", "image/jpeg", PNG, "image/png", True),
    "page": ("html", "text/html", HTML, "text/html; charset=utf-8", True),
}


def write_hostile_logdir(root: Path) -> Path:
    run_dir = root / RUN
    for tag, (kind, mime, data, _, _) in HOSTILE.items():
        write(run_dir, tag, 0, [item(kind, mime, data, width=4, height=4)])
    masks = [
        mask_layer(zero_png(4, 4), "ok"),
        mask_layer(zero_png(6000, 6000), "bomb"),  # 6000x6000 pixels for a 4x4 image
        mask_layer(zero_png(6000, 6000), "liar", (6000, 6000)),  # claims the size too
        mask_layer(b"BM" + b"\0" * 60, "bmp"),
    ]
    with io.BytesIO() as bmp:
        PILImage.new("L", (4, 4)).save(bmp, format="BMP")
        masks.append(mask_layer(bmp.getvalue(), "real_bmp"))
    write(run_dir, "masked", 0, [item("image", "image/png", PNG, width=4, height=4, masks=masks)])
    for step in (INT64_MIN, -5, BIG_STEP, INT64_MAX):
        write(run_dir, "extremes", step, [item("image", "image/png", PNG, width=4, height=4)])
    write(run_dir, LONG_TAG, 1, [item("image", "image/png", PNG, width=4, height=4)])
    with mp.Writer(str(root / "plain")) as w:
        w.add("samples", mp.Image(PIXELS), step=3)
        w.add("clouds", mp.PointCloud(np.zeros((3, 3), np.float32)), step=3)
    return root


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_logdir(tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="module")
def server(logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    with serving(logdir, tmp_path_factory.mktemp("tb") / "tb.log") as tb:
        yield tb


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


def address(tag: str, step: int = 0, run: str = RUN) -> dict[str, Any]:
    return {"run": run, "tag": tag, "step": step, "index": 0}


# ---- item 1: allow-listed types, checked against the bytes; sandboxed and nosniff --------


@pytest.mark.parametrize("tag", list(HOSTILE))
def test_data_is_served_as_an_allow_listed_type_its_bytes_match(
    server: TensorBoardServer, tag: str
) -> None:
    _, _, data, served, inline = HOSTILE[tag]
    status, headers, body = server.get("data?" + q(**address(tag)))
    assert status == 200, body[:300]
    assert body == data
    assert headers["Content-Type"] == served
    assert headers["X-Content-Type-Options"] == "nosniff"
    sandbox = "sandbox allow-scripts" if tag == "page" else "sandbox"
    assert headers["Content-Security-Policy"] == sandbox
    assert ("Content-Disposition" in headers) != inline
    if not inline:
        assert headers["Content-Disposition"] == "attachment"
    assert "X-Injected" not in headers
    meta = server.get_json("items?" + q(run=RUN, tag=tag, step=0))["items"][0]
    assert meta["mime"] == served  # the metadata names the served type, never the logged one


@pytest.mark.parametrize(
    "route",
    [
        "data?" + q(**address("samples", 3, "plain")),
        "data?" + q(**address("samples", 3, "plain"), download=1),
        "mask?" + q(**address("masked"), layer="ok"),
        "points?" + q(**address("clouds", 3, "plain"), array="positions"),
        "html?" + q(**address("page")),
    ],
)
def test_every_payload_response_is_sandboxed_and_nosniff(
    server: TensorBoardServer, route: str
) -> None:
    status, headers, _ = server.get(route)
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].split()[0] == "sandbox"
    assert ("allow-scripts" in headers["Content-Security-Policy"]) == route.startswith("html")


def test_download_links_are_attachments(server: TensorBoardServer) -> None:
    status, headers, body = server.get("data?" + q(**address("samples", 3, "plain"), download=1))
    assert status == 200 and headers["Content-Disposition"] == "attachment"
    assert headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG")
    assert server.get("data?" + q(**address("samples", 3, "plain"), download=2))[0] == 400


# ---- item 2: only checked images are inlined ------------------------------------------


def test_items_batch_inlines_only_allow_listed_images_whose_bytes_match(
    server: TensorBoardServer,
) -> None:
    tags = [t for t, spec in HOSTILE.items() if spec[0] == "image"]
    query = "&".join(q(run=RUN, tag=t, step=0) for t in tags) + "&inline_max=65536"
    results = server.get_json("items_batch?" + query)["results"]
    inlined = {}
    for tag, result in zip(tags, results, strict=True):
        meta = result["items"][0]
        if "inline" in meta:
            inlined[tag] = meta["mime"]
            assert meta["mime"] in ALLOWED_INLINE
            assert base64.b64decode(meta["inline"]) == HOSTILE[tag][2]
    assert inlined == {
        "polyglot": "image/gif",
        "crlf": "image/png",
        "latin": "image/png",
        "png_as_jpeg": "image/png",
    }


# ---- item 5: mask decompression bombs ----------------------------------------------------


def test_masks_are_pngs_of_their_images_size_only(logdir: Path) -> None:
    plugin = MediaPanelPlugin(
        TBContext(logdir=str(logdir), flags=argparse.Namespace(reload_interval=0))
    )
    app = plugin.get_plugin_apps()["/mask"]

    def mask(layer: str) -> Any:
        return Client(app).get("/mask?" + q(**address("masked"), layer=layer))

    ok = mask("ok")
    assert ok.status_code == 200 and ok.get_data() == bytes(4 * 4 * 2)
    for layer, expected in [
        ("bomb", "expected 4x4 pixels to match its image, got 6000x6000"),
        ("liar", "expected 4x4 pixels to match its image, got 6000x6000"),
        ("bmp", "expected a PNG"),
        ("real_bmp", "expected a PNG"),
    ]:
        response = mask(layer)
        assert response.status_code == 404, layer
        assert expected in json.loads(response.get_data())["error"], layer
        assert len(response.get_data()) < 1000


# ---- item 8: odd MIME strings and layer names -----------------------------------------------


@pytest.mark.parametrize("layer", ["\u00b2", "\u0663", "99999999999999999999", "-1"])
def test_odd_layer_names_are_unknown_layers_not_500(server: TensorBoardServer, layer: str) -> None:
    status, _, body = server.get("mask?" + q(**address("masked"), layer=layer))
    assert status == 404, body[:300]
    assert "no mask layer" in json.loads(body)["error"]


# ---- item 12: exact steps, bad series isolated ---------------------------------------------


def test_steps_beyond_javascripts_safe_integers_travel_as_decimal_strings(
    server: TensorBoardServer,
) -> None:
    runs = server.get_json("series?" + q(tag="extremes", run=RUN))["runs"]
    assert runs[RUN]["steps"] == [str(INT64_MIN), -5, str(BIG_STEP), str(INT64_MAX)]
    tag = next(
        t for t in server.get_json("tags?" + q(run=RUN))["tags"] if t["tag"] == "extremes"
    )
    assert (tag["first_step"], tag["last_step"]) == (str(INT64_MIN), str(INT64_MAX))
    query = "&".join(
        q(run=RUN, tag="extremes", step=s) for s in (INT64_MIN, -5, BIG_STEP, INT64_MAX, 7)
    )
    results = server.get_json("items_batch?" + query)["results"]
    assert [r["step"] for r in results] == [str(INT64_MIN), -5, str(BIG_STEP), str(INT64_MAX), 7]
    assert [len(r.get("items", [])) for r in results] == [1, 1, 1, 1, 0]
    assert "no step 7" in results[4]["error"]
    earlier = server.get_json(f"items_batch?earlier=1&{q(run=RUN, tag='extremes', step=INT64_MAX - 1)}")
    assert earlier["results"][0]["step"] == str(BIG_STEP)
    # 2^63 - 1 rounded by a JavaScript number: that address fails, not the whole batch
    js_rounded = f"{float(INT64_MAX):.0f}"
    rounded = q(run=RUN, tag="extremes", step=js_rounded) + "&" + q(run=RUN, tag="extremes", step=-5)
    results = server.get_json("items_batch?" + rounded)["results"]
    assert "no step 9223372036854775808" in results[0]["error"] and results[1]["step"] == -5
    later = server.get_json("items_batch?earlier=1&" + rounded)["results"]
    assert later[0]["step"] == str(INT64_MAX)
    status, _, body = server.get("data?" + q(**address("extremes", INT64_MIN)))
    assert status == 200 and body == PNG


def test_a_tag_longer_than_4096_characters_is_served(server: TensorBoardServer) -> None:
    assert LONG_TAG in {t["tag"] for t in server.get_json("tags")["tags"]}
    assert server.get_json("series?" + q(tag=LONG_TAG))["runs"][RUN]["steps"] == [1]
    results = server.get_json("items_batch?" + q(run=RUN, tag=LONG_TAG, step=1))["results"]
    assert len(results[0]["items"]) == 1


def test_an_unknown_run_does_not_fail_the_series_of_the_others(server: TensorBoardServer) -> None:
    body = server.get_json("series?" + q(tag="samples", run="plain") + "&run=gone")
    assert body["runs"]["plain"]["steps"] == [3]
    assert "unknown run 'gone'" in body["errors"]["gone"]


# ---- item 16: content keys, immutable only under them; a cheap generation counter ------


def test_item_urls_with_a_content_key_are_immutable_and_change_when_a_step_is_logged_again(
    logdir: Path, server: TensorBoardServer
) -> None:
    tb = server
    run_dir = logdir / "run"
    write(run_dir, "img", 5, [item("image", "image/png", PNG, width=4, height=4)])
    tb.get_json("reload")
    before = tb.get_json("generation")["generation"]
    first = tb.get_json("items?" + q(run="run", tag="img", step=5))["items"][0]
    keyed = "data?" + q(**address("img", 5, "run"), key=first["key"])
    status, headers, body = tb.get(keyed)
    assert (status, body) == (200, PNG)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert tb.get("data?" + q(**address("img", 5, "run")))[1]["Cache-Control"] == "no-cache"
    assert tb.get_json("generation")["generation"] == before  # nothing changed: same number
    assert tb.get_json("runs")["generation"] == before  # what the panel's polling starts from
    other = png_bytes(np.zeros((4, 4, 3), np.uint8))
    write(run_dir, "img", 5, [item("image", "image/png", other, width=4, height=4)])
    tb.get_json("reload")
    assert tb.get_json("generation")["generation"] != before
    second = tb.get_json("items?" + q(run="run", tag="img", step=5))["items"][0]
    assert second["key"] != first["key"]
    status, headers, body = tb.get(keyed)  # the old URL names bytes that are gone
    assert body == other and headers["Cache-Control"] == "no-cache"
    fresh = tb.get("data?" + q(**address("img", 5, "run"), key=second["key"]))
    assert fresh[2] == other and "immutable" in fresh[1]["Cache-Control"]


def test_reloads_asked_together_share_one_rescan(logdir: Path) -> None:
    plugin = MediaPanelPlugin(
        TBContext(logdir=str(logdir), flags=argparse.Namespace(reload_interval=0))
    )
    plugin.ensure_indexed()
    rescans = []
    original = plugin.index.refresh

    def counted() -> None:
        rescans.append(1)
        time.sleep(0.3)  # a slow listing (s3://): every tab asks meanwhile
        original()

    plugin.index.refresh = counted  # type: ignore[method-assign]
    app = plugin.get_plugin_apps()["/reload"]
    threads = [threading.Thread(target=lambda: Client(app).get("/reload")) for _ in range(8)]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join()
    # The first rescan, then one more for every request that came while it ran.
    assert len(rescans) == 2


# ---- item 6: payloads stream in bounded memory -------------------------------------------


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_concurrent_downloads_of_a_large_item_stream_in_bounded_memory(
    logdir: Path, server: TensorBoardServer
) -> None:
    tb = server
    size = 48 << 20
    payload = os.urandom(1 << 20) * (size >> 20)
    write(logdir / "big", "video", 1, [item("video", "video/mp4", payload)])
    tb.get_json("reload")
    assert tb.proc is not None
    path = "/data/plugin/media_panel/data?" + q(**address("video", 1, "big"))
    status, _, body = tb.get(path.split("media_panel/", 1)[1])
    assert status == 200 and body == payload  # the first read checks the record's CRC
    baseline = rss_bytes(tb.proc.pid)
    clients = []
    for _ in range(8):  # clients that read slowly: a server holding whole payloads keeps them
        sock = socket.create_connection(("127.0.0.1", tb.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        clients.append(sock)
    try:
        time.sleep(3)
        grown = rss_bytes(tb.proc.pid) - baseline
    finally:
        for sock in clients:
            sock.close()
    # Whole payloads would be 8 x 48 MiB; streamed, a few 1 MiB pieces each.
    assert grown < 64 << 20, f"server grew by {grown >> 20} MiB"
