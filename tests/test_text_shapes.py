"""Text keeps the shape TensorBoard renders (a vector: one row per element; 2-D: a table) and
summary descriptions (audio_demo.py's markdown) reach `tags`, through a real TensorBoard."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import require

TF_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf
    writer = tf.summary.create_file_writer(sys.argv[1])
    with writer.as_default():
        tf.summary.text("scalar", "just *one*", step=0, description="A **note**")
        tf.summary.text("vector", tf.constant(["first", "second", "third"]), step=0)
        table = [[f"{r} x {c} = {r * c}" for c in range(1, 4)] for r in range(1, 3)]
        tf.summary.text("table", tf.constant(table), step=0)
        tf.summary.text("cube", tf.constant([[["a", "b"]], [["c", "d"]]]), step=0)
        tf.summary.audio("sine", np.zeros((1, 800, 1), np.float32), 8000, step=0,
                         description="# Sine wave\\nat *440 Hz*")
    writer.close()
    """
)


@pytest.fixture(scope="module")
def tf_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("tensorflow") is None:  # checked without importing it here
        require("tensorflow")
    root = tmp_path_factory.mktemp("text")
    subprocess.run(
        [sys.executable, "-c", TF_SCRIPT, str(root / "tf")],
        check=True,
        capture_output=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    return root


def test_text_items_keep_their_shape_and_tags_their_description(
    tf_logdir: Path, tensorboard_factory
) -> None:
    server = tensorboard_factory(tf_logdir)

    def text_of(tag: str) -> dict:
        (item,) = server.get_json(f"items?run=tf&tag={tag}&step=0")["items"]
        return item["text"]

    assert text_of("scalar") == {"shape": [], "rows": [["just *one*"]], "rank": 0}
    assert text_of("vector") == {
        "shape": [3],
        "rows": [["first"], ["second"], ["third"]],
        "rank": 1,
    }
    assert text_of("table") == {
        "shape": [2, 3],
        "rows": [["1 x 1 = 1", "1 x 2 = 2", "1 x 3 = 3"], ["2 x 1 = 2", "2 x 2 = 4", "2 x 3 = 6"]],
        "rank": 2,
    }
    # as TensorBoard does, the first 2-D slice of a higher-rank tensor
    assert text_of("cube") == {"shape": [1, 2], "rows": [["a", "b"]], "rank": 3}

    tags = {t["tag"]: t for t in server.get_json("tags?run=tf")["tags"]}
    assert tags["sine"]["description"] == "# Sine wave\nat *440 Hz*"
    assert tags["scalar"]["description"] == "A **note**"
    assert tags["vector"]["description"] == ""
