"""A batch of (image, prediction, target) as images with masks: what every framework's
segmentation callback would otherwise write by hand."""

from __future__ import annotations

from typing import Any

import numpy as np

from tb_media_panel.media.base import describe, to_numpy
from tb_media_panel.media.image import Image, Mask, to_hwc


def _class_ids(value: Any, size: tuple[int, int], argument: str) -> np.ndarray:
    """N x H x W class ids; N x K x H x W or N x H x W x K scores become their argmax."""
    array = to_numpy(value, argument)
    if array.ndim == 4:
        if tuple(array.shape[2:]) == size:
            return array.argmax(axis=1)
        if tuple(array.shape[1:3]) == size:
            return array.argmax(axis=-1)
    if array.ndim == 3 and tuple(array.shape[1:]) == size:
        if not np.issubdtype(array.dtype, np.integer):
            if not np.all(array == np.round(array)):
                raise ValueError(f"{argument}: expected integer class ids, got dtype {array.dtype}")
            array = array.astype(np.int64)
        return array
    raise ValueError(
        f"{argument}: expected N x {size[0]} x {size[1]} class ids or N x K x {size[0]} x {size[1]} "
        f"(or N x {size[0]} x {size[1]} x K) class scores, got {describe(array)}"
    )


def segmentation_batch(
    images: Any,
    predictions: Any,
    targets: Any = None,
    class_labels: dict[int, Any] | None = None,
    captions: list[str] | None = None,
    normalize: bool = False,
) -> list[Image]:
    """`mp.Image`s of a batch, each with a `prediction` mask (and a `ground_truth` mask when
    `targets` are given), ready for `mp.log` or `mp.summary.write`.

    - `images`: N images, channels first or last (a batch tensor or a list).
    - `predictions`: N x H x W class ids, or a model's class scores N x K x H x W or
      N x H x W x K (their argmax is taken). `targets`: N x H x W class ids.
    - `class_labels` as for `mp.Mask`; `captions`: one per image; `normalize` as for `mp.Image`
      (for standardised inputs).
    """
    batch = to_numpy(images, "images")
    if batch.ndim not in (3, 4) or len(batch) == 0:
        raise ValueError(f"images: expected a non-empty batch N x H x W (x C), got {describe(batch)}")
    size = tuple(to_hwc(batch[0], "images[0]").shape[:2])
    predicted = _class_ids(predictions, size, "predictions")  # type: ignore[arg-type]
    truth = None if targets is None else _class_ids(targets, size, "targets")  # type: ignore[arg-type]
    for name, ids in (("predictions", predicted), ("targets", truth)):
        if ids is not None and len(ids) != len(batch):
            raise ValueError(f"{name}: expected {len(batch)} masks, one per image, got {len(ids)}")
    if captions is not None and len(captions) != len(batch):
        raise ValueError(f"captions: expected {len(batch)} captions, one per image, got {len(captions)}")
    result = []
    for i in range(len(batch)):
        masks = {"prediction": Mask(predicted[i], class_labels)}
        if truth is not None:
            masks["ground_truth"] = Mask(truth[i], class_labels)
        caption = captions[i] if captions is not None else None
        result.append(Image(batch[i], caption=caption, masks=masks, normalize=normalize))
    return result
