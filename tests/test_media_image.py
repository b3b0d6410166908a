"""mp.Image, mp.Mask, mp.Boxes: validation, and round trips through real event files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

import tb_media_panel as mp
from tb_media_panel.proto import media_pb2
from tb_media_panel.records import PLUGIN_NAME, decode_item
from tests.conftest import require

RNG = np.random.default_rng(7)


def write_and_read(logdir: Path, items: Any, tag: str = "media", step: int = 3) -> list[media_pb2.MediaItem]:
    """Log with mp.Writer, read back with TensorBoard's own loader, decode our records."""
    with mp.Writer(str(logdir)) as writer:
        writer.add(tag, items, step)
    found: list[media_pb2.MediaItem] = []
    for path in sorted(logdir.glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == PLUGIN_NAME:
                    assert (value.tag, event.step) == (tag, step)
                    found.extend(decode_item(blob) for blob in value.tensor.string_val)
    return found


def pixels(blob: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(blob)))


def roundtrip_one(tmp_path: Path, item: mp.Image) -> media_pb2.MediaItem:
    (record,) = write_and_read(tmp_path, item)
    assert record.kind == "image"
    return record


# --- pixels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(17, 23, 3), (17, 23, 4), (17, 23), (1, 1, 3), (64, 33, 3)], ids=str)
def test_uint8_pixels_round_trip_exactly(tmp_path: Path, shape: tuple[int, ...]) -> None:
    array = RNG.integers(0, 256, shape, dtype=np.uint8)
    record = roundtrip_one(tmp_path, mp.Image(array, caption="noise"))
    assert (record.format, record.mime, record.caption) == ("png", "image/png", "noise")
    assert (record.width, record.height) == (shape[1], shape[0])
    np.testing.assert_array_equal(pixels(record.data), array)


def test_single_channel_last_axis_is_stored_as_grey(tmp_path: Path) -> None:
    array = RNG.integers(0, 256, (9, 11, 1), dtype=np.uint8)
    record = roundtrip_one(tmp_path, mp.Image(array))
    np.testing.assert_array_equal(pixels(record.data), array[..., 0])


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_first_is_detected(tmp_path: Path, channels: int) -> None:
    chw = RNG.integers(0, 256, (channels, 20, 30), dtype=np.uint8)
    record = roundtrip_one(tmp_path, mp.Image(chw))
    assert (record.width, record.height) == (30, 20)
    expected = np.moveaxis(chw, 0, -1)
    np.testing.assert_array_equal(pixels(record.data), expected[..., 0] if channels == 1 else expected)


def test_float_in_unit_range_is_scaled_and_rounded(tmp_path: Path) -> None:
    array = RNG.random((16, 16, 3))
    array[0, 0] = [0.0, 1.0, 0.5]
    record = roundtrip_one(tmp_path, mp.Image(array.astype(np.float32)))
    expected = np.round(array.astype(np.float32).astype(np.float64) * 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels(record.data), expected)
    assert list(pixels(record.data)[0, 0]) == [0, 255, 128]


def test_bool_image_becomes_black_and_white(tmp_path: Path) -> None:
    array = RNG.random((12, 8)) > 0.5
    record = roundtrip_one(tmp_path, mp.Image(array))
    np.testing.assert_array_equal(pixels(record.data), np.where(array, 255, 0))


def test_normalize_min_max_scales_any_range(tmp_path: Path) -> None:
    array = np.linspace(-3.0, 7.0, 5 * 4).reshape(5, 4)
    record = roundtrip_one(tmp_path, mp.Image(array, normalize=True))
    got = pixels(record.data)
    assert got.min() == 0 and got.max() == 255
    np.testing.assert_array_equal(got, np.round((array + 3) / 10 * 255).astype(np.uint8))


def test_small_integer_arrays_are_kept_exactly(tmp_path: Path) -> None:
    array = RNG.integers(0, 256, (6, 7, 3), dtype=np.int64)
    record = roundtrip_one(tmp_path, mp.Image(array))
    np.testing.assert_array_equal(pixels(record.data), array)


def test_torch_tensor_matches_numpy(tmp_path: Path) -> None:
    import torch

    chw = torch.rand(3, 10, 14)
    record = roundtrip_one(tmp_path, mp.Image(chw))
    expected = np.round(np.moveaxis(chw.numpy(), 0, -1).astype(np.float64) * 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels(record.data), expected)


def test_torch_tensor_that_requires_grad_is_accepted(tmp_path: Path) -> None:
    import torch

    hwc = torch.ones(4, 5, 3, requires_grad=True) * 0.5
    record = roundtrip_one(tmp_path, mp.Image(hwc))
    assert (pixels(record.data) == 128).all()


def test_tensorflow_tensor_is_accepted(tmp_path: Path) -> None:
    tf = require("tensorflow")
    array = RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    record = roundtrip_one(tmp_path, mp.Image(tf.constant(array)))
    np.testing.assert_array_equal(pixels(record.data), array)


def test_pil_images_of_several_modes(tmp_path: Path) -> None:
    rgb = RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    palette = PILImage.fromarray(rgb).quantize(16)
    items = [
        mp.Image(PILImage.fromarray(rgb)),
        mp.Image(palette),
        mp.Image(PILImage.fromarray(rgb).convert("L")),
    ]
    got = [pixels(r.data) for r in write_and_read(tmp_path, items)]
    np.testing.assert_array_equal(got[0], rgb)
    np.testing.assert_array_equal(got[1], np.asarray(palette.convert("RGB")))
    np.testing.assert_array_equal(got[2], np.asarray(PILImage.fromarray(rgb).convert("L")))


def test_a_list_keeps_its_order_as_the_index_axis(tmp_path: Path) -> None:
    arrays = [np.full((4, 4), value, dtype=np.uint8) for value in (10, 20, 30)]
    records = write_and_read(tmp_path, [mp.Image(a, caption=str(i)) for i, a in enumerate(arrays)])
    assert [r.caption for r in records] == ["0", "1", "2"]
    assert [int(pixels(r.data)[0, 0]) for r in records] == [10, 20, 30]


# --- files ----------------------------------------------------------------------------------


def test_jpeg_fixture_bytes_are_kept(tmp_path: Path, fixture_path) -> None:
    path = fixture_path("image_gecko_cc0.jpg")
    record = roundtrip_one(tmp_path / "logs", mp.Image(path, caption="gecko"))
    assert record.data == path.read_bytes()
    assert (record.format, record.mime) == ("jpeg", "image/jpeg")
    assert (record.width, record.height) == (320, 213)


def test_jpeg_path_given_as_str_works_too(tmp_path: Path, fixture_path) -> None:
    path = fixture_path("image_gecko_cc0.jpg")
    record = roundtrip_one(tmp_path, mp.Image(str(path)))
    assert record.data == path.read_bytes()


def test_gif_file_is_stored_as_png_of_its_first_frame(tmp_path: Path, fixture_path) -> None:
    path = fixture_path("animation_horse_muybridge.gif")
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert record.format == "png"
    assert (record.width, record.height) == (220, 165)
    np.testing.assert_array_equal(pixels(record.data), np.asarray(PILImage.open(path).convert("RGB")))


def test_png_file_bytes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "in.png"
    PILImage.fromarray(RNG.integers(0, 256, (5, 6, 3), dtype=np.uint8)).save(path)
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert record.data == path.read_bytes() and record.format == "png"


def test_16_bit_grey_png_file_is_kept_as_its_exact_values(tmp_path: Path) -> None:
    """A 16-bit depth map saved as PNG (what most depth sensors and datasets ship): a browser
    would show it as 8 bits, so it is kept as the scalar image of its values, as the array is."""
    depth = RNG.integers(0, 65536, (5, 6), dtype=np.uint16)
    path = tmp_path / "depth.png"
    PILImage.fromarray(depth).save(path)
    assert PILImage.open(path).mode.startswith("I;16")
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert (record.format, record.values.dtype, record.data) == ("scalar", "uint16", b"")
    from_array = mp.Image(depth).to_record()
    assert record.values == from_array.values


def test_mask_size_is_checked_against_a_file_image(fixture_path) -> None:
    path = fixture_path("image_gecko_cc0.jpg")
    mp.Image(path, masks={"m": mp.Mask(np.zeros((213, 320), dtype=np.uint8))})
    with pytest.raises(ValueError, match=r"masks\['m'\].*213x320.*got 320x213"):
        mp.Image(path, masks={"m": mp.Mask(np.zeros((320, 213), dtype=np.uint8))})


# --- masks ----------------------------------------------------------------------------------


def test_masks_round_trip_exactly_with_labels(tmp_path: Path) -> None:
    image = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    prediction = RNG.integers(0, 3, (24, 32))
    truth = RNG.integers(0, 3, (24, 32)).astype(np.uint8)
    labels = {0: "background", 1: "cat", 2: "dog"}
    item = mp.Image(
        image,
        masks={"prediction": mp.Mask(prediction, labels), "ground_truth": mp.Mask(truth, labels)},
    )
    record = roundtrip_one(tmp_path, item)
    layers = {layer.name: layer for layer in record.masks}
    assert set(layers) == {"prediction", "ground_truth"}
    for name, expected in (("prediction", prediction), ("ground_truth", truth)):
        layer = layers[name]
        assert (layer.width, layer.height) == (32, 24)
        assert {c.id: c.name for c in layer.class_labels} == labels
        decoded = PILImage.open(io.BytesIO(layer.png))
        assert decoded.mode == "L"  # every id < 256: 8-bit grey
        np.testing.assert_array_equal(np.asarray(decoded), expected)


def test_masks_with_ids_above_255_are_16_bit_and_exact(tmp_path: Path) -> None:
    ids = RNG.integers(0, 65536, (40, 50)).astype(np.int32)
    ids[0, 0], ids[0, 1] = 0, 65535
    record = roundtrip_one(tmp_path, mp.Image(np.zeros((40, 50), np.uint8), masks={"m": mp.Mask(ids)}))
    decoded = PILImage.open(io.BytesIO(record.masks[0].png))
    assert decoded.mode.startswith("I;16")
    np.testing.assert_array_equal(np.asarray(decoded).astype(np.int64), ids)


def test_torch_mask_and_wandb_mask_dict_are_accepted(tmp_path: Path) -> None:
    import torch

    ids = torch.randint(0, 4, (6, 9))
    item = mp.Image(
        np.zeros((6, 9, 3), np.uint8),
        masks={"pred": {"mask_data": ids, "class_labels": {0: "a", 1: "b", 2: "c", 3: "d"}}},
    )
    layer = roundtrip_one(tmp_path, item).masks[0]
    np.testing.assert_array_equal(pixels(layer.png), ids.numpy())
    assert [c.name for c in layer.class_labels] == ["a", "b", "c", "d"]


def test_partial_labels_warn_naming_the_missing_ids() -> None:
    ids = np.array([[0, 1], [2, 3]])
    with pytest.warns(UserWarning, match=r"\[1, 2\]"):
        mp.Mask(ids, {0: "bg", 3: "car"})


# --- boxes ----------------------------------------------------------------------------------


def test_boxes_in_every_spelling_round_trip(tmp_path: Path) -> None:
    prediction = mp.Boxes(
        [
            {
                "position": {"min_x": 0.1, "min_y": 0.2, "max_x": 0.5, "max_y": 0.6},
                "class_id": 1,
                "scores": {"confidence": 0.93, "iou": 0.5},
                "box_caption": "cat 0.93",
            },
            {"position": {"middle": [0.5, 0.5], "width": 0.2, "height": 0.4}, "class_id": 2},
            {"minX": 0.0, "maxX": 1.0, "minY": 0.25, "maxY": 0.75, "caption": "wide"},
        ],
        class_labels={0: "thing", 1: "cat", 2: "dog"},
    )
    pixel_boxes = mp.Boxes(
        [{"position": {"min_x": 3, "min_y": 4, "max_x": 30, "max_y": 20}, "domain": "pixel"}]
    )
    item = mp.Image(np.zeros((24, 32, 3), np.uint8), boxes={"prediction": prediction, "truth": pixel_boxes})
    layers = {layer.name: layer for layer in roundtrip_one(tmp_path, item).boxes}
    pred = layers["prediction"]
    assert pred.domain == "fraction"
    assert {c.id: c.name for c in pred.class_labels} == {0: "thing", 1: "cat", 2: "dog"}
    got = [(b.min_x, b.min_y, b.max_x, b.max_y) for b in pred.boxes]
    np.testing.assert_allclose(
        got, [(0.1, 0.2, 0.5, 0.6), (0.4, 0.3, 0.6, 0.7), (0, 0.25, 1, 0.75)], rtol=1e-6
    )
    assert [b.class_id for b in pred.boxes] == [1, 2, 0]
    assert dict(pred.boxes[0].scores) == {"confidence": 0.93, "iou": 0.5}
    assert [b.caption for b in pred.boxes] == ["cat 0.93", "", "wide"]
    truth = layers["truth"]
    assert truth.domain == "pixel"
    assert (truth.boxes[0].min_x, truth.boxes[0].max_y) == (3, 20)


def test_an_empty_box_layer_is_allowed(tmp_path: Path) -> None:
    record = roundtrip_one(tmp_path, mp.Image(np.zeros((2, 2), np.uint8), boxes={"p": mp.Boxes([])}))
    assert record.boxes[0].name == "p" and len(record.boxes[0].boxes) == 0


# --- bad input ------------------------------------------------------------------------------

ZEROS = np.zeros((8, 10, 3), np.uint8)


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (np.zeros(5, np.uint8), r"data: expected an HxW, HxWxC or CxHxW .* shape \(5,\)"),
        (np.zeros((2, 4, 4, 3), np.uint8), r"data: expected .* shape \(2, 4, 4, 3\)"),
        (np.zeros((5, 5, 2), np.uint8), r"data: expected .*C = 1, 3 or 4.* shape \(5, 5, 2\)"),
        (np.zeros((5, 5, 5), np.uint8), r"data: expected .* shape \(5, 5, 5\)"),
        (np.zeros((0, 4, 3), np.uint8), r"data: expected a non-empty image"),
    ],
    ids=["rank1", "rank4", "two-channels", "five-channels", "empty"],
)
def test_wrong_rank_or_channels_is_rejected(data: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        mp.Image(data)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_pixels_are_rejected(bad: float) -> None:
    array = np.full((4, 4, 3), 0.5)  # colour: a one-channel float array is a scalar image
    array[1, 2, 0] = bad
    with pytest.raises(ValueError, match=r"data: expected finite values, got 1 NaN or inf"):
        mp.Image(array)
    with pytest.raises(ValueError, match=r"data: expected finite values"):
        mp.Image(array, normalize=True)


def test_float_outside_unit_range_needs_normalize() -> None:
    with pytest.raises(
        ValueError, match=r"data: expected float values in \[0, 1\].*normalize=True.*\[-0.5, 2\]"
    ):
        mp.Image(np.array([[[-0.5, 2.0, 0.0]]]))  # colour: one channel is a scalar image


def test_integers_outside_0_255_need_normalize() -> None:
    with pytest.raises(ValueError, match=r"data: expected integer values in 0\.\.255.*\[0, 1000\]"):
        mp.Image(np.array([[[0, 1000, 0]]], dtype=np.int32))  # colour, as above


def test_other_data_types_are_rejected() -> None:
    with pytest.raises(TypeError, match="data: expected an array"):
        mp.Image({"not": "an image"})
    with pytest.raises(TypeError, match="data: expected an array, PIL image or file path, got bytes"):
        mp.Image(b"\x89PNG")
    with pytest.raises(TypeError, match="data: expected a numeric or bool array"):
        mp.Image(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="caption: expected a str"):
        mp.Image(ZEROS, caption=3)
    with pytest.raises(TypeError, match="normalize: expected a bool"):
        mp.Image(ZEROS, normalize="yes")


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"data: expected a path to an existing file, got .*nope.png"):
        mp.Image(tmp_path / "nope.png")


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "image.xyz"
    path.write_bytes(b"whatever")
    with pytest.raises(ValueError, match=r"data: expected an image file .*unknown extension '.xyz'"):
        mp.Image(path)


def test_png_path_holding_jpeg_bytes_is_rejected(tmp_path: Path, fixture_path) -> None:
    fake = tmp_path / "gecko.png"
    shutil.copyfile(fixture_path("image_gecko_cc0.jpg"), fake)
    with pytest.raises(ValueError, match=r"extension '.png' \(expected PNG content\) but its bytes are JPEG"):
        mp.Image(fake)


def test_file_that_is_no_image_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("just text")
    with pytest.raises(ValueError, match=r"data: .*notes.png' is not a readable image file"):
        mp.Image(path)


def test_truncated_jpeg_is_rejected(tmp_path: Path, fixture_path) -> None:
    path = tmp_path / "cut.jpg"
    path.write_bytes(fixture_path("image_gecko_cc0.jpg").read_bytes()[:3000])
    with pytest.raises(ValueError, match=r"data: .*cut.jpg' is a corrupt (JPEG|image) file"):
        mp.Image(path)


def test_mask_shape_must_match_image() -> None:
    with pytest.raises(ValueError, match=r"masks\['prediction'\]: expected a 8x10 mask .* got 10x8"):
        mp.Image(ZEROS, masks={"prediction": mp.Mask(np.zeros((10, 8), np.uint8))})


def test_mask_ids_beyond_the_labels_are_rejected() -> None:
    ids = np.array([[0, 1], [7, 9]])
    with pytest.raises(
        ValueError,
        match=r"class_ids: expected class ids covered by class_labels \(0\.\.1\), got ids \[7, 9\]",
    ):
        mp.Mask(ids, {0: "bg", 1: "fg"})


@pytest.mark.parametrize(
    ("ids", "error", "pattern"),
    [
        (
            np.array([[0, 70000]]),
            ValueError,
            r"class_ids: expected class ids in 0\.\.65535, got values in \[0, 70000\]",
        ),
        (np.array([[-1, 0]]), ValueError, r"class_ids: expected class ids in 0\.\.65535"),
        (np.array([[0.5, 1.0]]), ValueError, r"class_ids: expected integer class ids"),
        (
            np.zeros((2, 2, 2), np.uint8),
            ValueError,
            r"class_ids: expected a non-empty HxW array, got .*\(2, 2, 2\)",
        ),
        (np.zeros(4, np.uint8), ValueError, r"class_ids: expected a non-empty HxW array"),
        (np.array([["a"]]), TypeError, r"class_ids: expected an integer array"),
    ],
    ids=["too-big", "negative", "fractional", "rank3", "rank1", "strings"],
)
def test_bad_mask_ids_are_rejected(ids: np.ndarray, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        mp.Mask(ids)


def test_bad_class_labels_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"class_labels: expected a dict"):
        mp.Mask(np.zeros((2, 2), np.uint8), ["bg", "fg"])
    with pytest.raises(ValueError, match=r"class_labels: expected class ids in 0\.\.65535, got 70000"):
        mp.Mask(np.zeros((2, 2), np.uint8), {70000: "x"})


@pytest.mark.parametrize(
    ("masks", "pattern"),
    [
        (
            mp.Mask(np.zeros((8, 10), np.uint8)),
            r"masks: expected a dict \{layer name: Mask\}, got Mask",
        ),
        ({"p": np.zeros((8, 10), np.uint8)}, r"masks\['p'\]: expected an mp.Mask, got ndarray"),
        (
            {3: mp.Mask(np.zeros((8, 10), np.uint8))},
            r"masks: expected non-empty str layer names, got 3",
        ),
    ],
    ids=["bare-mask", "array-value", "int-key"],
)
def test_masks_must_be_a_dict_of_masks(masks: Any, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        mp.Image(ZEROS, masks=masks)


@pytest.mark.parametrize(
    ("boxes", "pattern"),
    [
        (mp.Boxes([]), r"boxes: expected a dict \{layer name: Boxes\}, got Boxes"),
        (
            {"p": [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1}]},
            r"boxes\['p'\]: expected an mp.Boxes, got list",
        ),
    ],
    ids=["bare-boxes", "list-value"],
)
def test_boxes_must_be_a_dict_of_boxes(boxes: Any, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        mp.Image(ZEROS, boxes=boxes)


def test_box_without_a_position_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"boxes\[1\]: expected a position .* got keys \['class_id'\]"):
        mp.Boxes([{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1}, {"class_id": 1}])
    with pytest.raises(ValueError, match=r"boxes\[0\]: expected a position .* got keys \['max_x', 'min_x'\]"):
        mp.Boxes([{"position": {"min_x": 0, "max_x": 1}}])


@pytest.mark.parametrize(
    ("boxes", "error", "pattern"),
    [
        ({"min_x": 0}, TypeError, r"boxes: expected a list of box dicts, got dict"),
        (["box"], TypeError, r"boxes\[0\]: expected a dict, got str"),
        (
            [{"min_x": 0.5, "min_y": 0, "max_x": 0.1, "max_y": 1}],
            ValueError,
            r"boxes\[0\]: expected min <= max",
        ),
        (
            [{"min_x": "a", "min_y": 0, "max_x": 0.1, "max_y": 1}],
            TypeError,
            r"boxes\[0\]\.min_x: expected a number, got str",
        ),
        (
            [{"min_x": np.nan, "min_y": 0, "max_x": 0.1, "max_y": 1}],
            ValueError,
            r"boxes\[0\]\.min_x: expected a finite number",
        ),
        (
            [{"middle": [0.5], "width": 1, "height": 1}],
            ValueError,
            r"boxes\[0\]\.middle: expected \[x, y\]",
        ),
        (
            [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "domain": "percent"}],
            ValueError,
            r"boxes\[0\]\.domain: expected 'fraction' or 'pixel', got 'percent'",
        ),
        (
            [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "class_id": 1.5}],
            TypeError,
            r"boxes\[0\]\.class_id: expected an int",
        ),
        (
            [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "scores": [0.5]}],
            TypeError,
            r"boxes\[0\]\.scores: expected a dict",
        ),
        (
            [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "scores": {"p": "high"}}],
            TypeError,
            r"boxes\[0\]\.scores\['p'\]: expected a number",
        ),
    ],
    ids=[
        "dict",
        "str-box",
        "min-above-max",
        "str-coordinate",
        "nan-coordinate",
        "short-middle",
        "domain",
        "float-class",
        "list-scores",
        "str-score",
    ],
)
def test_bad_boxes_are_rejected(boxes: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        mp.Boxes(boxes)


def test_mixed_domains_in_one_layer_are_rejected() -> None:
    box = {"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1}
    with pytest.raises(ValueError, match=r"boxes: expected every box of a layer in one domain"):
        mp.Boxes([box, {**box, "domain": "pixel"}])


def test_box_class_ids_beyond_the_labels_are_rejected() -> None:
    box = {"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "class_id": 5}
    with pytest.raises(
        ValueError, match=r"expected class ids covered by class_labels \(0\.\.1\), got ids \[5\]"
    ):
        mp.Boxes([box], {0: "a", 1: "b"})


def test_a_bad_item_in_a_list_writes_nothing(tmp_path: Path) -> None:
    with mp.Writer(str(tmp_path)) as writer:
        writer.add("ok", mp.Image(ZEROS), 0)
        with pytest.raises(TypeError, match=r"media_or_list\[1\]"):
            writer.add("bad", [mp.Image(ZEROS), ZEROS], 1)
    tags = {
        value.tag
        for path in tmp_path.glob("events.out.tfevents.*")
        for event in EventFileLoader(str(path)).Load()
        for value in event.summary.value
    }
    assert tags == {"ok"}


def test_webp_file_bytes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "in.webp"
    PILImage.fromarray(RNG.integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(path, quality=80)
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert record.data == path.read_bytes()
    assert (record.format, record.mime, record.width, record.height) == (
        "webp",
        "image/webp",
        20,
        12,
    )


def test_jpeg_rotated_by_exif_reports_the_size_browsers_show(tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    exif = PILImage.Exif()
    exif[0x0112] = 6  # "rotate 90 CW": stored 40 wide x 10 high, shown 10 wide x 40 high
    PILImage.new("RGB", (40, 10), "white").save(path, exif=exif.tobytes())
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert (record.width, record.height) == (10, 40)
    assert record.data == path.read_bytes()
    mp.Image(path, masks={"m": mp.Mask(np.zeros((40, 10), np.uint8))})  # matches the shown size


def test_bmp_file_is_stored_as_lossless_png(tmp_path: Path) -> None:
    array = RNG.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    path = tmp_path / "in.bmp"
    PILImage.fromarray(array).save(path)
    record = roundtrip_one(tmp_path / "logs", mp.Image(path))
    assert record.format == "png"
    np.testing.assert_array_equal(pixels(record.data), array)


def test_box_class_ids_missing_from_partial_labels_warn() -> None:
    boxes = [{"min_x": 0, "min_y": 0, "max_x": 1, "max_y": 1, "class_id": i} for i in (0, 1, 2)]
    with pytest.warns(UserWarning, match=r"class ids \[1\] have no entry"):
        mp.Boxes(boxes, {0: "a", 2: "c"})


def test_class_label_colours_round_trip(tmp_path: Path) -> None:
    ids = np.array([[0, 1], [2, 2]], dtype=np.uint8)
    labels = {
        0: "background",
        1: {"name": "cat", "color": "#F80"},
        2: {"name": "dog", "color": (0, 128, 255)},
    }
    image = mp.Image(np.zeros((2, 2, 3), np.uint8), masks={"p": mp.Mask(ids, labels)})
    (item,) = write_and_read(tmp_path, image)
    assert [(c.id, c.name, c.color) for c in item.masks[0].class_labels] == [
        (0, "background", ""), (1, "cat", "#ff8800"), (2, "dog", "#0080ff")
    ]


@pytest.mark.parametrize("color", ["red", "#12345", (0, 0, 256), (1, 2)])
def test_bad_class_label_colour_names_the_class(color: Any) -> None:
    with pytest.raises(ValueError, match=r"class_labels\[1\]: expected a colour"):
        mp.Mask(np.ones((2, 2), np.uint8), {1: {"name": "cat", "color": color}})
