"""A remote logdir: runs written to s3://bucket/logs on a real S3-compatible server (moto)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel.plugin import MediaPanelPlugin
from tests.conftest import require
from tests.tb_server import free_port
from tests.test_index_progressive import indexed_runs


@pytest.fixture(scope="module")
def s3_server() -> Iterator[Any]:
    """A moto S3 server with the bucket `bucket`, and the environment that points boto3 and
    TensorBoard's S3 filesystem at it (which keeps the endpoint it saw first: one server
    for the module). moto keeps buckets in this process: the server may stop and start."""
    require("boto3")
    moto_server = require("moto.server").server
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "S3_ENDPOINT",
            "AWS_ENDPOINT_URL",
        )
    }
    # TensorBoard's S3 filesystem reads S3_ENDPOINT; boto3 itself reads AWS_ENDPOINT_URL.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        S3_ENDPOINT=endpoint,
        AWS_ENDPOINT_URL=endpoint,
    )
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bucket")
    try:
        yield server
    finally:
        try:
            server.stop()
        except Exception:  # a test left it stopped
            pass
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_runs_written_to_s3_are_served(s3_server: Any) -> None:
    pixels = np.random.default_rng(3).integers(0, 255, (6, 5, 3), dtype=np.uint8)
    with mp.Writer("s3://bucket/logs/train") as writer:
        for step in range(3):
            writer.add("samples", [mp.Image(pixels, caption=f"s{step}")], step=step)
    with mp.Writer("s3://bucket/logs/eval/a") as writer:
        writer.add("samples", mp.Image(pixels), step=10)

    plugin = MediaPanelPlugin(TBContext(logdir="s3://bucket/logs"))
    apps = plugin.get_plugin_apps()

    def get(route: str, query: str = "") -> tuple[int, bytes, dict[str, str]]:
        response = Client(apps["/" + route]).get(f"/{route}?{query}")
        return response.status_code, response.get_data(), dict(response.headers)

    assert indexed_runs(apps["/runs"])["runs"] == [
        {"name": "eval/a", "skipped_records": 0},
        {"name": "train", "skipped_records": 0},
    ]
    series = json.loads(get("series", "tag=samples&run=train")[1])
    assert series["runs"]["train"]["steps"] == [0, 1, 2]
    items = json.loads(get("items", "run=train&tag=samples&step=2")[1])
    assert items["items"][0]["caption"] == "s2"
    status, png, headers = get("data", "run=train&tag=samples&step=2&index=0")
    assert status == 200 and headers["Content-Type"] == "image/png"
    from io import BytesIO

    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(BytesIO(png))), pixels)

    with mp.Writer("s3://bucket/logs/late") as writer:
        writer.add("samples", mp.Image(pixels), step=4)
    names = [r["name"] for r in json.loads(get("reload")[1])["runs"]]
    assert names == ["eval/a", "late", "train"]


def test_failed_listing_keeps_the_index_and_warns(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # fail at once once the server is gone
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    for run in ("a", "b"):
        with mp.Writer(f"s3://bucket/down/{run}") as writer:
            writer.add("samples", mp.Image(pixels), step=1)
    plugin = MediaPanelPlugin(
        TBContext(logdir="s3://bucket/down", flags=argparse.Namespace(reload_interval=0))
    )
    apps = plugin.get_plugin_apps()
    assert [r["name"] for r in indexed_runs(apps["/runs"])["runs"]] == ["a", "b"]
    assert indexed_runs(apps["/runs"])["warnings"] == []

    s3_server.stop()  # the bucket is unreachable mid-run
    try:
        answer = Client(apps["/reload"]).get("/reload").get_json()
        assert [r["name"] for r in answer["runs"]] == ["a", "b"]
        (warning,) = answer["warnings"]
        assert "could not list s3://bucket/down" in warning
        tags = Client(apps["/tags"]).get("/tags").get_json()["tags"]
        assert [(t["run"], t["step_count"]) for t in tags] == [("a", 1), ("b", 1)]
    finally:
        s3_server.start()  # back: the warning goes
    answer = Client(apps["/reload"]).get("/reload").get_json()
    assert [r["name"] for r in answer["runs"]] == ["a", "b"]
    assert answer["warnings"] == []
