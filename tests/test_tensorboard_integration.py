"""Against a real `tensorboard --logdir` on 127.0.0.1, for both loaders (`--load_fast`).

The logdir holds what users really write: torch's and tensorboardX's SummaryWriter, tf.summary
(in a subprocess: TensorFlow is slow to import), mp.Writer, plus a truncated tail and a
corrupt record. TensorBoard's own dashboards must keep working beside the plugin.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tb_media_panel as mp
from tests.conftest import require

PIXELS = np.random.default_rng(7).integers(0, 255, (8, 6, 3), dtype=np.uint8)
DEPTH = np.random.default_rng(8).random((8, 6), dtype=np.float32)

TF_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf
    writer = tf.summary.create_file_writer(sys.argv[1])
    with writer.as_default():
        for step in range(3):
            tf.summary.image("tf_images", np.full((2, 4, 5, 3), step * 40, np.uint8), step=step,
                             max_outputs=2)
            tf.summary.audio("tf_audio", np.zeros((1, 800, 1), np.float32), 8000, step=step)
            tf.summary.text("tf_text", f"note {step}", step=step)
            tf.summary.scalar("tf_loss", 1.0 / (step + 1), step=step)
    writer.close()
    """
)


def corrupt_middle_record(path: Path) -> None:
    """Flip a payload byte of the third record (after the file-version event)."""
    data = bytearray(path.read_bytes())
    pos = 0
    for _ in range(2):
        length = int.from_bytes(data[pos : pos + 8], "little")
        pos += 12 + length + 4
    data[pos + 20] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    torch_tb = require("torch.utils.tensorboard").utils.tensorboard
    torch_writer = torch_tb.SummaryWriter(str(root / "torch"))
    for step in range(3):
        torch_writer.add_image("torch_image", PIXELS, step, dataformats="HWC")
        torch_writer.add_scalar("torch_loss", 1.0 / (step + 1), step)
    torch_writer.add_text("torch_note", "hello <b>world</b>", 1)
    torch_writer.add_video("torch_video", np.random.rand(1, 4, 3, 8, 8), 2)
    torch_writer.add_audio("torch_audio", np.zeros(4000), 3, sample_rate=8000)
    torch_writer.add_mesh(
        "torch_mesh",
        vertices=np.random.rand(1, 4, 3),
        faces=np.array([[[0, 1, 2], [1, 2, 3]]]),
        global_step=4,
    )
    mp.log(torch_writer, "mp_via_torch", mp.Image(PIXELS), 5)
    mp.log(torch_writer, "mp_heatmap", mp.Image(PIXELS, heatmaps={"depth": mp.Heatmap(DEPTH)}), 6)
    torch_writer.close()

    tbx = require("tensorboardX")
    tbx_writer = tbx.SummaryWriter(str(root / "tbx"))
    tbx_writer.add_image("tbx_image", PIXELS, 1, dataformats="HWC")
    tbx_writer.add_text("tbx_note", "tbx text", 2)
    mp.log(tbx_writer, "mp_via_tbx", [mp.Image(PIXELS), mp.Image(PIXELS)], 3)
    tbx_writer.close()

    if importlib.util.find_spec("tensorflow") is None:  # checked without importing it here
        require("tensorflow")
    subprocess.run(
        [sys.executable, "-c", TF_SCRIPT, str(root / "tf")],
        check=True,
        capture_output=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )

    with mp.Writer(str(root / "mp_scalar")) as writer:  # scalar images: no payload, values
        for step in range(2):
            writer.add("depth", [mp.Heatmap(DEPTH), mp.Image(DEPTH.astype(np.float16))], step=step)

    with mp.Writer(str(root / "mp_truncated")) as writer:
        for step in range(4):
            writer.add("samples", mp.Image(PIXELS), step=step)
    (event_file,) = (root / "mp_truncated").iterdir()
    event_file.write_bytes(event_file.read_bytes()[:-30])

    with mp.Writer(str(root / "mp_corrupt")) as writer:
        for step in range(4):
            writer.add("samples", mp.Image(PIXELS), step=step)
    (event_file,) = (root / "mp_corrupt").iterdir()
    corrupt_middle_record(event_file)
    return root


def tb_get(server, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_real_logs_through_tensorboard(logdir: Path, tensorboard_factory, load_fast: str) -> None:
    server = tensorboard_factory(logdir, f"--load_fast={load_fast}")
    runs = {r["name"]: r["skipped_records"] for r in server.get_json("runs")["runs"]}
    assert runs == {
        "mp_corrupt": 1, "mp_scalar": 0, "mp_truncated": 0, "tbx": 0, "tf": 0, "torch": 0
    }

    tags = {(t["run"], t["tag"]): t for t in server.get_json("tags")["tags"]}
    expected = {
        ("torch", "torch_image"): ("image", "images", 3, 1),
        ("torch", "torch_note"): ("text", "text", 1, 1),
        ("torch", "torch_video"): ("video", "images", 1, 1),
        ("torch", "torch_audio"): ("audio", "audio", 1, 1),
        ("torch", "torch_mesh"): ("object3d", "mesh", 1, 1),
        ("torch", "mp_via_torch"): ("image", "media_panel", 1, 1),
        ("torch", "mp_heatmap"): ("image", "media_panel", 1, 1),
        ("mp_scalar", "depth"): ("image", "media_panel", 2, 2),
        ("tbx", "tbx_image"): ("image", "images", 1, 1),
        ("tbx", "tbx_note"): ("text", "text", 1, 1),
        ("tbx", "mp_via_tbx"): ("image", "media_panel", 1, 2),
        ("tf", "tf_images"): ("image", "images", 3, 2),
        ("tf", "tf_audio"): ("audio", "audio", 3, 1),
        ("tf", "tf_text"): ("text", "text", 3, 1),
        ("mp_truncated", "samples"): ("image", "media_panel", 3, 1),
        ("mp_corrupt", "samples"): ("image", "media_panel", 3, 1),
    }
    for key, (kind, source, step_count, max_items) in expected.items():
        tag = tags[key]
        assert (tag["kind"], tag["source"], tag["step_count"], tag["max_items"]) == (
            kind,
            source,
            step_count,
            max_items,
        ), key
    assert not any(t["tag"] in ("torch_loss", "tf_loss") for t in tags.values())
    corrupt = server.get_json("series?tag=samples&run=mp_corrupt")["runs"]["mp_corrupt"]
    assert corrupt["steps"] == [0, 2, 3]

    status, _, png = server.get("data?run=torch&tag=torch_image&step=2&index=0")
    assert status == 200 and np.array_equal(np.asarray(Image.open(io.BytesIO(png))), PIXELS)
    status, _, tf_png = server.get("data?run=tf&tag=tf_images&step=2&index=1")
    assert status == 200 and np.asarray(Image.open(io.BytesIO(tf_png))).shape == (4, 5, 3)
    status, headers, text = server.get("data?run=torch&tag=torch_note&step=1&index=0")
    assert text == b"hello <b>world</b>" and headers["Content-Type"].startswith("text/plain")
    assert server.get("data?run=tf&tag=tf_text&step=2&index=0")[2] == b"note 2"
    status, headers, gif = server.get("data?run=torch&tag=torch_video&step=2&index=0")
    assert gif.startswith(b"GIF8") and headers["Content-Type"] == "image/gif"
    audio = server.get_json("items?run=tf&tag=tf_audio&step=1")["items"][0]
    assert (audio["sample_rate"], audio["channels"], audio["duration"]) == (8000, 1, 0.1)
    status, _, depth = server.get("heatmap?run=torch&tag=mp_heatmap&step=6&index=0&layer=depth")
    assert status == 200 and depth == DEPTH.tobytes()
    status, _, depth16 = server.get("heatmap?run=mp_scalar&tag=depth&step=1&index=1")
    assert depth16 == DEPTH.astype(np.float16).astype(np.float32).tobytes()
    status, headers, ply = server.get("data?run=torch&tag=torch_mesh&step=4&index=0")
    assert ply.startswith(b"ply\nformat binary_little_endian 1.0\nelement vertex 4\n")
    assert b"element face 2\n" in ply

    listing = json.loads(tb_get(server, "/data/plugins_listing")[1])
    assert listing["media_panel"]["enabled"] is True
    assert listing["media_panel"]["tab_name"] == "Media"
    # TensorBoard's own loaders and dashboards still work beside the plugin
    status, body = tb_get(server, "/data/runs")
    assert status == 200 and set(json.loads(body)) >= {"torch", "tf", "mp_corrupt", "mp_scalar"}
    status, body = tb_get(server, "/data/plugin/scalars/tags")
    assert status == 200 and "torch_loss" in json.loads(body)["torch"]
    status, body = tb_get(server, "/data/plugin/images/tags")
    assert status == 200 and "torch_image" in json.loads(body)["torch"]
    assert "Traceback" not in server.log_text()


def test_file_growing_while_the_server_runs(tmp_path: Path, tensorboard_factory) -> None:
    writer = mp.Writer(str(tmp_path / "live"), flush_secs=0)
    writer.add("samples", mp.Image(PIXELS), step=0)
    writer.flush()
    server = tensorboard_factory(tmp_path)
    assert server.get_json("series?tag=samples")["runs"]["live"]["steps"] == [0]
    for step in (1, 2, 3):
        writer.add("samples", mp.Image(PIXELS), step=step)
    writer.flush()
    # the background refresh (TensorBoard's --reload_interval, 1 s here) picks the records up
    deadline = time.monotonic() + 60
    steps: list[int] = []
    while time.monotonic() < deadline:
        steps = server.get_json("series?tag=samples")["runs"]["live"]["steps"]
        if steps == [0, 1, 2, 3]:
            break
        time.sleep(0.2)
    assert steps == [0, 1, 2, 3]
    writer.add("samples", mp.Image(PIXELS), step=4)
    writer.flush()
    with mp.Writer(str(tmp_path / "second")) as other:
        other.add("samples", mp.Image(PIXELS), step=9)
    assert [r["name"] for r in server.get_json("reload")["runs"]] == ["live", "second"]
    assert server.get_json("series?tag=samples")["runs"]["live"]["steps"][-1] == 4
    writer.close()
