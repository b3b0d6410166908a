"""Images, with optional segmentation mask layers and 2D box layers."""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tb_media_panel.media.base import (
    Media,
    check_caption,
    check_finite,
    class_labels_proto,
    describe,
    is_path,
    read_file,
    to_numpy,
)
from tb_media_panel.media.heatmap import SCALAR_FORMAT, Heatmap, named, scalar_layer
from tb_media_panel.proto import media_pb2

_MAX_CLASS_ID = 65535

# File formats kept byte-for-byte (browsers show them and they are already compact);
# anything else PIL can read is decoded and stored as lossless PNG.
# PIL modes of one channel wider than 8 bits.
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "F")
_KEPT_FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpeg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
# Extension -> the PIL format its bytes must have, to catch a .png that is really a JPEG.
_EXTENSIONS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".webp": "WEBP",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".ico": "ICO",
    ".ppm": "PPM",
    ".pgm": "PPM",
    ".pbm": "PPM",
    ".tga": "TGA",
}


# --- PNG encoding -------------------------------------------------------------------------
# PIL's PNG encoder tries every filter per row and costs ~9 ms for a 256x256 RGB image at its
# default level; the "Up" filter computed in numpy plus run-length deflate is several times
# faster. Still a standard, lossless PNG that every browser and PIL decode.

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _deflate(data: bytes) -> bytes:
    # Run-length matches only: ~3x faster than level 1 on Up-filtered pixels, as small on
    # noisy images and flat areas, about 10 % larger on clean photographs.
    compressor = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    return compressor.compress(data) + compressor.flush()


def encode_png(array: np.ndarray) -> bytes:
    """Losslessly encode an HxW or HxWxC (C = 1..4) uint8 or uint16 array as PNG."""
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    if array.dtype == np.uint16:
        depth = 16
        rows = np.ascontiguousarray(array, dtype=">u2").view(np.uint8)
    else:
        depth = 8
        rows = np.ascontiguousarray(array, dtype=np.uint8)
    rows = rows.reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = 2  # filter type Up: each byte minus the byte above it (mod 256)
    filtered[0, 0] = 0  # first row has nothing above it
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    header = struct.pack(">IIBBBBB", width, height, depth, _COLOR_TYPES[channels], 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", _deflate(filtered.tobytes()))
        + _png_chunk(b"IEND", b"")
    )


# --- pixel conversion ---------------------------------------------------------------------


def to_uint8(array: np.ndarray, normalize: bool, argument: str) -> np.ndarray:
    """Pixel values -> uint8: uint8 kept, bool -> 0/255, floats in [0, 1] scaled, ints in 0..255
    kept; anything else only with normalize=True (min-max scaled)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{argument}: expected a numeric or bool array, got {describe(array)}")
    check_finite(array, argument)
    if array.size == 0:
        return array.astype(np.uint8)
    if normalize:
        values = array.astype(np.float64)
        low, high = float(values.min()), float(values.max())
        if high == low:
            return np.zeros(array.shape, dtype=np.uint8)
        return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)
    low, high = array.min(), array.max()
    if array.dtype.kind == "f":
        if low < 0 or high > 1:
            raise ValueError(
                f"{argument}: expected float values in [0, 1] (or pass normalize=True), "
                f"got values in [{float(low):g}, {float(high):g}]"
            )
        return np.round(array.astype(np.float64) * 255.0).astype(np.uint8)
    if low < 0 or high > 255:
        raise ValueError(
            f"{argument}: expected integer values in 0..255 (or pass normalize=True), "
            f"got values in [{int(low)}, {int(high)}]"
        )
    return array.astype(np.uint8)


def to_hwc(array: np.ndarray, argument: str) -> np.ndarray:
    """HxW, HxWxC or CxHxW (C = 1, 3, 4) -> HxW (grey) or HxWxC with C in (3, 4)."""
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)  # channels first, detected as W&B does
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(
            f"{argument}: expected an HxW, HxWxC or CxHxW array with C = 1, 3 or 4, "
            f"got {describe(array)}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{argument}: expected a non-empty image, got {describe(array)}")
    return array


def _pil_to_array(image: Any) -> np.ndarray:
    """A PIL image -> an array in a mode PNG stores losslessly."""
    mode = image.mode
    if mode in ("1", "L", "RGB", "RGBA"):
        return np.asarray(image.convert("L") if mode == "1" else image)
    if mode == "LA":
        return np.asarray(image.convert("RGBA"))
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in image.info
        return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    if mode in _WIDE_MODES:
        return np.asarray(image)  # wide values: the range rules of arrays apply
    return np.asarray(image.convert("RGBA" if "A" in mode else "RGB"))


def _is_pil_image(value: Any) -> bool:
    return (
        type(value).__module__.startswith("PIL.")
        and hasattr(value, "mode")
        and hasattr(value, "size")
    )


def _read_image_file(
    path: str | os.PathLike[str],
) -> tuple[bytes, str, str, int, int, np.ndarray | None]:
    """-> (bytes, format, mime, width, height, pixels-to-encode or None when bytes are kept)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(
            f"data: expected an image file ({', '.join(sorted(_EXTENSIONS))}), "
            f"got {str(path)!r} with unknown extension {suffix!r}"
        )
    blob = read_file(path, "data")
    try:
        image = PILImage.open(io.BytesIO(blob))
    except UnidentifiedImageError:
        raise ValueError(f"data: {str(path)!r} is not a readable image file") from None
    except (OSError, SyntaxError, ValueError) as exc:  # PIL's ways to say the header is broken
        raise ValueError(f"data: {str(path)!r} is a corrupt image file: {exc}") from None
    if image.format != _EXTENSIONS[suffix]:
        raise ValueError(
            f"data: file {str(path)!r} has extension {suffix!r} (expected {_EXTENSIONS[suffix]} "
            f"content) but its bytes are {image.format}"
        )
    try:
        image.load()  # a truncated or corrupt file fails here, not later in the browser
    except Exception as exc:
        raise ValueError(f"data: {str(path)!r} is a corrupt {image.format} file: {exc}") from None
    # Wide grey values (16-bit PNGs, as depth maps ship) would reach the browser as 8 bits: they
    # take the array's way instead, to a scalar image of their exact values.
    if image.format in _KEPT_FORMATS and image.mode not in _WIDE_MODES:
        fmt, mime = _KEPT_FORMATS[image.format]
        width, height = image.size
        # Browsers apply EXIF orientation, so the size users see (and masks must match) is this.
        if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            width, height = height, width
        return blob, fmt, mime, width, height, None
    return b"", "png", "image/png", image.width, image.height, _pil_to_array(image)


# --- masks and boxes ----------------------------------------------------------------------


def _check_class_ids(
    present: np.ndarray, labels: list[media_pb2.ClassLabel], argument: str
) -> None:
    """Ids beyond every labelled id are an error; unlabelled ids among them only a warning."""
    if not labels or present.size == 0:
        return
    labelled = {label.id for label in labels}
    highest = max(labelled)
    beyond = sorted(int(i) for i in present if int(i) > highest)
    if beyond:
        raise ValueError(
            f"{argument}: expected class ids covered by class_labels (0..{highest}), "
            f"got ids {beyond[:20]} with no label"
        )
    missing = sorted(int(i) for i in present if int(i) not in labelled)
    if missing:
        warnings.warn(
            f"{argument}: class ids {missing[:20]} have no entry in class_labels; "
            "they will be shown with generic names",
            stacklevel=3,  # the line that built the Mask or Boxes
        )


class Mask:
    """A segmentation layer: an HxW array of integer class ids (0..65535) and their labels.

    Pass it to `Image(..., masks={"prediction": Mask(ids, {0: "sky", 1: "road"})})`.
    """

    def __init__(self, class_ids: Any, class_labels: dict[int, str] | None = None) -> None:
        ids = to_numpy(class_ids, "class_ids")
        if ids.ndim == 3 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        if ids.ndim != 2 or ids.size == 0:
            raise ValueError(f"class_ids: expected a non-empty HxW array, got {describe(ids)}")
        if ids.dtype == np.bool_:
            ids = ids.astype(np.uint8)
        elif ids.dtype.kind == "f":
            check_finite(ids, "class_ids")
            if not np.array_equal(ids, np.round(ids)):
                raise ValueError(
                    "class_ids: expected integer class ids, "
                    f"got non-integral values in {describe(ids)}"
                )
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"class_ids: expected an integer array, got {describe(ids)}")
        low, high = ids.min(), ids.max()
        if low < 0 or high > _MAX_CLASS_ID:
            raise ValueError(
                f"class_ids: expected class ids in 0..{_MAX_CLASS_ID}, "
                f"got values in [{float(low):g}, {float(high):g}]"
            )
        labels = class_labels_proto(class_labels, "class_labels")
        for label in labels:
            if label.id > _MAX_CLASS_ID:
                raise ValueError(
                    f"class_labels: expected class ids in 0..{_MAX_CLASS_ID}, got {label.id}"
                )
        pixels = ids.astype(np.uint8 if high < 256 else np.uint16)
        _check_class_ids(np.unique(pixels), labels, "class_ids")
        self.height, self.width = pixels.shape
        self._layer = media_pb2.MaskLayer(
            width=self.width, height=self.height, class_labels=labels, png=encode_png(pixels)
        )
        # from_probabilities: the per-pixel confidence, a heatmap layer of the image
        self.confidence: media_pb2.ScalarLayer | None = None

    @classmethod
    def from_probabilities(cls, probs: Any, class_labels: dict[int, str] | None = None) -> Mask:
        """An HxWxC array of class probabilities -> the most probable class per pixel, with
        its probability kept as the layer's confidence (the image's heatmap layer
        "<mask name>.confidence", role "confidence")."""
        array = to_numpy(probs, "probs")
        if array.ndim != 3 or array.size == 0:
            raise ValueError(
                "probs: expected a non-empty HxWxC array of class probabilities, "
                f"got {describe(array)}"
            )
        if array.dtype.kind != "f":
            raise TypeError(f"probs: expected a float array of probabilities, got {describe(array)}")
        if array.shape[-1] > _MAX_CLASS_ID + 1:
            raise ValueError(
                f"probs: expected at most {_MAX_CLASS_ID + 1} classes on the last axis, "
                f"got {describe(array)}"
            )
        check_finite(array, "probs")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 1:
            raise ValueError(
                "probs: expected probabilities in [0, 1] (apply a softmax first), "
                f"got values in [{low:g}, {high:g}]"
            )
        mask = cls(array.argmax(axis=-1), class_labels)
        mask.confidence = scalar_layer(
            array.max(axis=-1), "probs", vmin=0.0, vmax=1.0, colormap="gray", role="confidence"
        )
        return mask

    def to_layer(self, name: str) -> media_pb2.MaskLayer:
        layer = media_pb2.MaskLayer()
        layer.CopyFrom(self._layer)
        layer.name = name
        return layer

    def __repr__(self) -> str:
        return f"Mask({self.height}x{self.width}, classes={len(self._layer.class_labels)})"


_DOMAINS = ("fraction", "pixel")
_CORNER_SPELLINGS = (("min_x", "min_y", "max_x", "max_y"), ("minX", "minY", "maxX", "maxY"))


def _number(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument}: expected a number, got {describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{argument}: expected a finite number, got {number}")
    return number


def _box_position(box: Mapping[str, Any], argument: str) -> tuple[float, float, float, float]:
    position = box.get("position", box)
    if not isinstance(position, Mapping):
        raise TypeError(f"{argument}['position']: expected a dict, got {describe(position)}")
    for names in _CORNER_SPELLINGS:
        if all(n in position for n in names):
            min_x, min_y, max_x, max_y = (_number(position[n], f"{argument}.{n}") for n in names)
            break
    else:
        if all(n in position for n in ("middle", "width", "height")):
            middle = position["middle"]
            if not isinstance(middle, (list, tuple, np.ndarray)) or len(middle) != 2:
                raise ValueError(f"{argument}.middle: expected [x, y], got {describe(middle)}")
            mx, my = (_number(v, f"{argument}.middle") for v in middle)
            w = _number(position["width"], f"{argument}.width")
            h = _number(position["height"], f"{argument}.height")
            min_x, max_x, min_y, max_y = mx - w / 2, mx + w / 2, my - h / 2, my + h / 2
        else:
            raise ValueError(
                f"{argument}: expected a position {{'min_x', 'min_y', 'max_x', 'max_y'}} or "
                f"{{'middle': [x, y], 'width', 'height'}} (at top level or under 'position'), "
                f"got keys {sorted(position)}"
            )
    if max_x < min_x or max_y < min_y:
        raise ValueError(
            f"{argument}: expected min <= max, got x {min_x:g}..{max_x:g}, y {min_y:g}..{max_y:g}"
        )
    return min_x, min_y, max_x, max_y


class Boxes:
    """A layer of 2D boxes: W&B's box dicts, positions in fractions (default) or pixels.

    `Image(..., boxes={"prediction": Boxes([{"position": {"min_x": .1, ...}, "class_id": 1,
    "scores": {"conf": .9}, "box_caption": "cat"}], {1: "cat"})})`
    """

    def __init__(self, boxes: Any, class_labels: dict[int, str] | None = None) -> None:
        if isinstance(boxes, Mapping) or not isinstance(boxes, (list, tuple)):
            raise TypeError(f"boxes: expected a list of box dicts, got {describe(boxes)}")
        labels = class_labels_proto(class_labels, "class_labels")
        domains = set()
        out = []
        for i, box in enumerate(boxes):
            where = f"boxes[{i}]"
            if not isinstance(box, Mapping):
                raise TypeError(f"{where}: expected a dict, got {describe(box)}")
            domain = box.get("domain", "fraction")
            if domain not in _DOMAINS:
                raise ValueError(f"{where}.domain: expected 'fraction' or 'pixel', got {domain!r}")
            domains.add(domain)
            min_x, min_y, max_x, max_y = _box_position(box, where)
            class_id = box.get("class_id", 0)
            if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)):
                raise TypeError(f"{where}.class_id: expected an int, got {describe(class_id)}")
            if not 0 <= int(class_id) <= 0xFFFFFFFF:
                raise ValueError(f"{where}.class_id: expected 0..4294967295, got {int(class_id)}")
            scores = box.get("scores") or {}
            if not isinstance(scores, Mapping):
                raise TypeError(
                    f"{where}.scores: expected a dict {{name: float}}, got {describe(scores)}"
                )
            caption = box.get("box_caption", box.get("caption", ""))
            if caption is None:
                caption = ""
            if not isinstance(caption, str):
                raise TypeError(f"{where}.box_caption: expected a str, got {describe(caption)}")
            out.append(
                media_pb2.Box2D(
                    min_x=min_x,
                    min_y=min_y,
                    max_x=max_x,
                    max_y=max_y,
                    class_id=int(class_id),
                    scores={
                        str(k): _number(v, f"{where}.scores[{k!r}]") for k, v in scores.items()
                    },
                    caption=caption,
                )
            )
        if len(domains) > 1:
            raise ValueError(
                "boxes: expected every box of a layer in one domain, "
                "got both 'fraction' and 'pixel'"
            )
        _check_class_ids(np.unique([b.class_id for b in out]), labels, "boxes class_id")
        self._layer = media_pb2.BoxLayer(
            domain=domains.pop() if domains else "fraction", class_labels=labels, boxes=out
        )

    def to_layer(self, name: str) -> media_pb2.BoxLayer:
        layer = media_pb2.BoxLayer()
        layer.CopyFrom(self._layer)
        layer.name = name
        return layer

    def __len__(self) -> int:
        return len(self._layer.boxes)

    def __repr__(self) -> str:
        return f"Boxes({len(self)} boxes, domain={self._layer.domain!r})"


def _layers(
    value: Any, argument: str, cls: type, wandb_key: str | None = None
) -> list[tuple[str, Any]]:
    """{name: Mask|Boxes|Heatmap} (or W&B's {name: {"mask_data"/"box_data": ...,
    "class_labels": ...}})."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{argument}: expected a dict {{layer name: {cls.__name__}}}, got {describe(value)}"
        )
    out = []
    for name, layer in value.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{argument}: expected non-empty str layer names, got {name!r}")
        if wandb_key is not None and isinstance(layer, Mapping) and wandb_key in layer:
            layer = cls(layer[wandb_key], layer.get("class_labels"))
        if not isinstance(layer, cls):
            raise TypeError(
                f"{argument}[{name!r}]: expected an mp.{cls.__name__}, got {describe(layer)}"
            )
        out.append((name, layer))
    return out


def _heatmap_layers(
    heatmaps: Any, mask_layers: list[tuple[str, Mask]], height: int, width: int
) -> list[media_pb2.ScalarLayer]:
    """The image's heatmap layers, then its masks' confidences; each must match its size."""
    layers = []
    for name, heatmap in _layers(heatmaps, "heatmaps", Heatmap):
        if (heatmap.height, heatmap.width) != (height, width):
            raise ValueError(
                f"heatmaps[{name!r}]: expected a {height}x{width} heatmap to match the image, "
                f"got {heatmap.height}x{heatmap.width}"
            )
        layers.append(heatmap.to_layer(name))
    for name, mask in mask_layers:
        if mask.confidence is not None:
            layer = named(mask.confidence, f"{name}.confidence", of=name)
            if any(other.name == layer.name for other in layers):
                raise ValueError(
                    f"heatmaps: layer name {layer.name!r} is taken by the confidence of "
                    f"mask {name!r}; choose another name"
                )
            layers.append(layer)
    return layers


class Image(Media):
    """An image: numpy/torch/tf array, PIL image or image file, with optional masks, boxes and
    heatmap layers. A one-channel array of any numeric type but uint8 (uint16, float...) is a
    scalar image, kept losslessly as `values` (unless `normalize=True` makes it 8-bit)."""

    kind = "image"

    def __init__(
        self,
        data: Any,
        caption: str | None = None,
        masks: dict[str, Mask] | None = None,
        boxes: dict[str, Boxes] | None = None,
        normalize: bool = False,
        heatmaps: dict[str, Heatmap] | None = None,
    ) -> None:
        caption_text = check_caption(caption)
        if not isinstance(normalize, bool):
            raise TypeError(f"normalize: expected a bool, got {describe(normalize)}")
        mask_layers = _layers(masks, "masks", Mask, "mask_data")
        box_layers = _layers(boxes, "boxes", Boxes, "box_data")
        if is_path(data):
            blob, fmt, mime, width, height, pixels = _read_image_file(data)
        elif isinstance(data, bytes):
            raise TypeError(
                "data: expected an array, PIL image or file path, got bytes (write them to a file)"
            )
        else:
            array = _pil_to_array(data) if _is_pil_image(data) else to_numpy(data, "data")
            blob, fmt, mime = b"", "png", "image/png"
            pixels = to_hwc(array, "data")
            height, width = pixels.shape[:2]
        for name, mask in mask_layers:
            if (mask.height, mask.width) != (height, width):
                raise ValueError(
                    f"masks[{name!r}]: expected a {height}x{width} mask to match the image, "
                    f"got {mask.height}x{mask.width}"
                )
        values = None
        if pixels is not None and _is_scalar(pixels, normalize):
            values = scalar_layer(pixels, "data", colormap="gray")
            mime, fmt = "", SCALAR_FORMAT
        elif pixels is not None:
            blob = encode_png(to_uint8(pixels, normalize, "data"))
        record = media_pb2.MediaItem(
            mime=mime,
            format=fmt,
            caption=caption_text,
            width=width,
            height=height,
            masks=[mask.to_layer(name) for name, mask in mask_layers],
            boxes=[layer.to_layer(name) for name, layer in box_layers],
            heatmaps=_heatmap_layers(heatmaps, mask_layers, height, width),
            values=values,
            data=blob,
        )
        super().__init__(record)


def _is_scalar(pixels: np.ndarray, normalize: bool) -> bool:
    """One channel of numbers that are not 8-bit pixels: kept as they are."""
    return (
        not normalize
        and pixels.ndim == 2
        and pixels.dtype.kind in "fiu"
        and pixels.dtype != np.uint8
    )
