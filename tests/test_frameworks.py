"""docs/frameworks.md's Lightning, Keras and transformers examples, run as written in this one
process (each framework imports once), then read back: masks on every logged step, in the same
run as the framework's own scalars."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tb_media_panel as mp
from tests.conftest import require
from tests.wandb_runs import scalars

DOC = Path(__file__).resolve().parent.parent / "docs" / "frameworks.md"


def example(heading: str) -> str:
    """The python block under a `## heading` of docs/frameworks.md."""
    section = DOC.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return code


def run_example(heading: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> mp.Reader:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    exec(compile(example(heading), f"{DOC.name}: {heading}", "exec"), {"__name__": "__main__"})
    return mp.Reader(str(tmp_path / "runs"))


def check_masks(reader: Any, run: str, tag: str, steps: list[int], count: int, labels: dict) -> None:
    assert reader.steps(run, tag) == steps
    for step in steps:
        items = reader.items(run, tag, step)
        assert len(items) == count
        for item in items:
            assert sorted(item.masks) == ["ground_truth", "prediction"]
            assert item.class_labels("prediction") == labels
            assert set(np.unique(item.masks["prediction"])) <= set(labels)
        # the true masks are the targets: class 1 somewhere, and not everywhere
        truth = items[0].masks["ground_truth"]
        assert 0 < truth.mean() < 1


def test_lightning_callback_logs_masks_beside_its_scalars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("pytorch_lightning")
    reader = run_example("PyTorch Lightning", tmp_path, monkeypatch)
    run = "lightning/version_0"
    assert reader.runs() == [run]
    # 32 samples in batches of 8: 4 steps an epoch, a validation after each of 3 epochs
    check_masks(reader, run, "val/masks", [4, 8, 12], 8, {0: "background", 1: "square"})
    found = scalars(tmp_path / "runs" / run)
    assert {"train/loss", "val/loss"} <= set(found)
    assert [step for step, _ in found["val/loss"]] == [3, 7, 11]


def test_keras_callback_writes_predictions_in_the_tensorboard_callbacks_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("tensorflow")
    reader = run_example("Keras", tmp_path, monkeypatch)
    assert reader.runs() == ["keras/validation"]
    check_masks(reader, "keras/validation", "predictions", [0, 1, 2], 4, {0: "dark", 1: "bright"})
    found = scalars(tmp_path / "runs" / "keras" / "validation")
    assert [step for step, _ in found["epoch_loss"]] == [0, 1, 2]


def test_transformers_callback_logs_through_the_tensorboard_callbacks_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("transformers")
    require("accelerate")
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "error")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reader = run_example("Hugging Face transformers", tmp_path, monkeypatch)
    assert reader.runs() == ["transformers"]
    # 24 samples in batches of 8: 3 steps an epoch, an evaluation after each of 2 epochs
    check_masks(reader, "transformers", "eval/masks", [3, 6], 4, {0: "dark", 1: "bright"})
    found = scalars(tmp_path / "runs" / "transformers")
    assert [step for step, _ in found["eval/loss"]] == [3, 6]
    assert [step for step, _ in found["train/loss"]] == [1, 2, 3, 4, 5, 6]


def test_segmentation_batch_takes_ids_or_scores_and_names_a_bad_argument(tmp_path: Path) -> None:
    images = np.zeros((2, 3, 4, 5), np.uint8)  # channels first
    ids = np.array([np.eye(4, 5, dtype=np.int64), np.ones((4, 5), np.int64)])
    scores_last = np.stack([1 - ids, ids], axis=-1).astype(np.float32)  # N x H x W x K
    with mp.Writer(str(tmp_path / "run")) as w:
        w.add("ids", mp.segmentation_batch(images, ids, ids, captions=["a", "b"]), step=0)
        w.add("scores", mp.segmentation_batch(images, scores_last, ids, captions=["a", "b"]), step=0)
    reader = mp.Reader(str(tmp_path))
    for tag in ("ids", "scores"):
        items = reader.items("run", tag, 0)
        assert [(i.caption, i.width, i.height) for i in items] == [("a", 5, 4), ("b", 5, 4)]
        for item, want in zip(items, ids, strict=True):
            np.testing.assert_array_equal(item.masks["prediction"], want)
            np.testing.assert_array_equal(item.masks["ground_truth"], want)
    bad = r"predictions: expected N x 4 x 5 class ids .* got ndarray of shape \(2, 3, 3\)"
    with pytest.raises(ValueError, match=bad):
        mp.segmentation_batch(images, np.zeros((2, 3, 3), np.int64))
    with pytest.raises(ValueError, match="targets: expected 2 masks, one per image, got 1"):
        mp.segmentation_batch(images, ids, ids[:1])
