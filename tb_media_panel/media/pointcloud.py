"""Point clouds: positions, colours, per-point classes, 3D boxes and vectors as binary arrays.

Everything is stored as little-endian typed arrays (float32 xyz, uint8 rgb, uint8/16/32
labels) that the browser hands straight to a `BufferGeometry` — never JSON lists, which
cost about five times the bytes and most of the time (W&B's format).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tb_media_panel.media.base import (
    Media,
    check_caption,
    class_labels_proto,
    describe,
    to_numpy,
)
from tb_media_panel.proto import media_pb2

_MAX_POINTS = 0xFFFFFFFF  # num_points is a uint32 in the record


def _vector(value: Any, length: int, argument: str) -> list[float]:
    """A finite vector of `length` numbers (list, tuple, array or tensor)."""
    try:
        array = np.asarray(to_numpy(value, argument), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{argument}: expected {length} numbers, got {describe(value)}") from None
    if array.shape != (length,):
        raise ValueError(f"{argument}: expected {length} numbers, got {describe(value)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{argument}: expected finite numbers, got {array.tolist()}")
    return [float(x) for x in array]


def _rgb_color(value: Any, argument: str) -> bytes:
    """One colour: 3 ints 0..255, or 3 floats in [0, 1]; empty bytes for None (the default)."""
    if value is None:
        return b""
    array = to_numpy(value, argument)
    if array.shape != (3,):
        raise ValueError(f"{argument}: expected an (r, g, b) colour, got {describe(value)}")
    return _colors_to_uint8(array.reshape(1, 3), argument).tobytes()


def _colors_to_uint8(colors: np.ndarray, argument: str) -> np.ndarray:
    """Nx3 colours -> uint8: uint8 kept, other ints must be 0..255, floats must be in [0, 1]."""
    if colors.dtype == np.uint8:
        return colors
    if colors.dtype.kind in "iu":
        if colors.size and (colors.min() < 0 or colors.max() > 255):
            raise ValueError(
                f"{argument}: expected integer colours in 0..255, got values in "
                f"{colors.min()}..{colors.max()}"
            )
        return colors.astype(np.uint8)
    if colors.dtype.kind == "f":
        if not np.isfinite(colors).all():
            bad = int(colors.size - np.count_nonzero(np.isfinite(colors)))
            raise ValueError(f"{argument}: expected finite values, got {bad} NaN or inf value(s)")
        if colors.size and (colors.min() < 0.0 or colors.max() > 1.0):
            raise ValueError(
                f"{argument}: expected float colours in [0, 1] (or uint8 0..255), got values in "
                f"[{colors.min():g}, {colors.max():g}]"
            )
        return np.rint(colors * 255.0).astype(np.uint8)
    raise TypeError(f"{argument}: expected uint8 or float colours, got {describe(colors)}")


class Box3D:
    """An oriented 3D box: `center` (x, y, z), `size` (extents along the box's own axes),
    `rotation` a quaternion (w, x, y, z), stored normalised; optional `label`, `score`, and
    `color` (r, g, b) as ints 0..255 or floats in [0, 1]."""

    def __init__(
        self,
        center: Any,
        size: Any,
        rotation: Any = (1.0, 0.0, 0.0, 0.0),
        label: str | None = None,
        score: float | None = None,
        color: Any = None,
    ) -> None:
        self.center = _vector(center, 3, "center")
        self.size = _vector(size, 3, "size")
        if min(self.size) < 0:
            raise ValueError(f"size: expected non-negative extents, got {self.size}")
        quaternion = _vector(rotation, 4, "rotation")
        norm = math.sqrt(sum(q * q for q in quaternion))
        if norm == 0.0:
            raise ValueError(
                f"rotation: expected a non-zero quaternion (w, x, y, z), got {quaternion}"
            )
        # Normalised so a viewer can use it as a rotation without further checks.
        self.rotation = [q / norm for q in quaternion]
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label: expected a str or None, got {describe(label)}")
        self.label = label or ""
        if score is not None:
            if isinstance(score, bool) or not isinstance(score, (int, float, np.number)):
                raise TypeError(f"score: expected a float or None, got {describe(score)}")
            if not math.isfinite(float(score)):
                raise ValueError(f"score: expected a finite number, got {score!r}")
        self.score = None if score is None else float(score)
        self.color = _rgb_color(color, "color")

    def to_proto(self) -> media_pb2.Box3D:
        box = media_pb2.Box3D(
            center=self.center,
            size=self.size,
            rotation=self.rotation,
            label=self.label,
            color=self.color,
        )
        if self.score is not None:
            box.score = self.score
        return box

    def __repr__(self) -> str:
        return f"Box3D(center={self.center}, size={self.size}, label={self.label!r})"


def _points_array(points: Any) -> np.ndarray:
    if hasattr(points, "points") and not hasattr(points, "__array__"):
        points = np.asarray(points.points)  # an open3d PointCloud
    array = to_numpy(points, "points")
    if array.ndim != 2 or array.shape[1] not in (3, 4, 6):
        raise ValueError(
            "points: expected an array of shape (N, 3) xyz, (N, 4) xyz + class id or "
            f"(N, 6) xyz + rgb, got {describe(points)}"
        )
    if array.dtype.kind not in "iuf":
        raise TypeError(f"points: expected a numeric array, got {describe(points)}")
    if array.shape[0] > _MAX_POINTS:
        raise ValueError(f"points: at most {_MAX_POINTS} points fit a record, got {array.shape[0]}")
    return array


def _check_length(array: np.ndarray, n: int, argument: str) -> None:
    if array.shape[0] != n:
        raise ValueError(
            f"{argument}: expected one entry per point ({n}), got {array.shape[0]} "
            f"({describe(array)})"
        )


def _labels_array(labels: np.ndarray, argument: str) -> tuple[np.ndarray, int]:
    """Non-negative integer class ids -> the narrowest of uint8/uint16/uint32, and its width."""
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all() or not np.array_equal(labels, np.floor(labels)):
            raise ValueError(f"{argument}: expected integer class ids, got non-integer values")
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{argument}: expected integer class ids, got {describe(labels)}")
    if labels.size == 0:
        return labels.astype("<u1"), 1
    low, high = labels.min(), labels.max()
    if low < 0 or high > 0xFFFFFFFF:
        raise ValueError(
            f"{argument}: expected class ids in 0..4294967295, got values in {low:g}..{high:g}"
        )
    for dtype, width in (("<u1", 1), ("<u2", 2), ("<u4", 4)):
        if high <= np.iinfo(dtype).max:
            return labels.astype(dtype, copy=False), width
    raise AssertionError("unreachable: high <= 0xFFFFFFFF was checked")


def _check_labels_known(labels: np.ndarray, class_labels: dict[Any, Any]) -> None:
    """Ids above every known class are an error; gaps inside the known range only warn."""
    known = {int(k) for k in class_labels}
    used = np.unique(labels)
    unknown = [int(i) for i in used if int(i) not in known]
    if not unknown:
        return
    shown = ", ".join(str(i) for i in unknown[:20]) + (" ..." if len(unknown) > 20 else "")
    beyond = [i for i in unknown if i > max(known)]
    if beyond:
        raise ValueError(
            f"labels: class ids {shown} are not in class_labels (which has ids "
            f"{min(known)}..{max(known)})"
        )
    warnings.warn(
        f"labels: class ids {shown} have no name in class_labels; they are shown by number",
        stacklevel=3,
    )


def _vector_proto(vector: Any, index: int) -> media_pb2.Vector3D:
    argument = f"vectors[{index}]"
    if not isinstance(vector, (tuple, list)) or len(vector) not in (2, 3):
        raise TypeError(
            f"{argument}: expected a (start, end) or (start, end, color) tuple, "
            f"got {describe(vector)}"
        )
    start = _vector(vector[0], 3, f"{argument} start")
    end = _vector(vector[1], 3, f"{argument} end")
    color = _rgb_color(vector[2] if len(vector) == 3 else None, f"{argument} color")
    return media_pb2.Vector3D(start=start, end=end, color=color)


class PointCloud(Media):
    """A point cloud with optional per-point colours and classes, 3D boxes and vectors.

    `points` is (N, 3) xyz, (N, 4) xyz + class id, or (N, 6) xyz + rgb 0..255 (W&B's layouts),
    a tensor, or an open3d PointCloud; `colors` (N, 3) uint8 or float in [0, 1]; `labels`
    N class ids named by `class_labels` {id: name}; `boxes` a list of `Box3D`; `vectors` a
    list of (start, end) or (start, end, color). No cap on N.
    """

    kind = "pointcloud"

    def __init__(
        self,
        points: Any,
        colors: Any = None,
        labels: Any = None,
        class_labels: dict[int, str] | None = None,
        boxes: Sequence[Box3D] | None = None,
        vectors: Sequence[Any] | None = None,
        caption: str | None = None,
    ) -> None:
        caption_text = check_caption(caption)
        if colors is None and hasattr(points, "has_colors") and points.has_colors():
            colors = np.asarray(points.colors)  # open3d keeps float colours in [0, 1]
        array = _points_array(points)
        n = array.shape[0]
        columns = array.shape[1]

        if columns == 6:
            if colors is not None:
                raise ValueError(
                    "colors: given twice, as points columns 4..6 and as colors; pass one"
                )
            colors = array[:, 3:6]
            if colors.dtype.kind == "f":
                # W&B's Nx6 layout carries rgb as 0..255 numbers, not [0, 1].
                if not np.isfinite(colors).all():
                    raise ValueError(
                        "points: expected finite values, got NaN or inf in the rgb columns"
                    )
                if colors.size and (colors.min() < 0 or colors.max() > 255):
                    raise ValueError(
                        "points: expected rgb columns 4..6 in 0..255, got values in "
                        f"[{colors.min():g}, {colors.max():g}]"
                    )
                colors = np.rint(colors).astype(np.uint8)
        elif columns == 4:
            if labels is not None:
                raise ValueError("labels: given twice, as points column 4 and as labels; pass one")
            labels = array[:, 3]

        with np.errstate(over="ignore"):  # overflow becomes inf, reported just below
            positions = array[:, :3].astype("<f4", copy=False)
        if not np.isfinite(positions).all():
            bad = int(positions.size - np.count_nonzero(np.isfinite(positions)))
            raise ValueError(
                f"points: expected finite coordinates (within float32 range), got {bad} NaN or "
                "inf value(s)"
            )

        record = media_pb2.MediaItem(
            mime="application/octet-stream", format="points", caption=caption_text
        )
        cloud = (
            record.point_cloud
        )  # filled in place: copying a finished message would copy the arrays
        cloud.num_points = n
        cloud.class_labels.extend(class_labels_proto(class_labels, "class_labels"))

        if colors is not None:
            color_array = to_numpy(colors, "colors")
            if color_array.ndim != 2 or color_array.shape[1] != 3:
                raise ValueError(
                    f"colors: expected an array of shape (N, 3), got {describe(colors)}"
                )
            _check_length(color_array, n, "colors")
            rgb = _colors_to_uint8(color_array, "colors")
            cloud.colors = np.ascontiguousarray(rgb).tobytes()

        if labels is not None:
            label_array = to_numpy(labels, "labels")
            if label_array.ndim != 1:
                raise ValueError(
                    f"labels: expected N class ids (a 1-D array), got {describe(labels)}"
                )
            _check_length(label_array, n, "labels")
            packed, width = _labels_array(label_array, "labels")
            if class_labels:
                _check_labels_known(packed, class_labels)
            cloud.label_bytes = width
            cloud.labels = np.ascontiguousarray(packed).tobytes()
        elif class_labels is not None:
            raise ValueError(
                "class_labels: given without labels; pass labels (one class id per point)"
            )

        if boxes is not None:
            if isinstance(boxes, Box3D) or not isinstance(boxes, Sequence):
                raise TypeError(f"boxes: expected a list of mp.Box3D, got {describe(boxes)}")
            for i, box in enumerate(boxes):
                if not isinstance(box, Box3D):
                    raise TypeError(f"boxes[{i}]: expected an mp.Box3D, got {describe(box)}")
                cloud.boxes.append(box.to_proto())

        if vectors is not None:
            if not isinstance(vectors, Sequence) or isinstance(vectors, (str, bytes)):
                raise TypeError(
                    "vectors: expected a list of (start, end[, color]) tuples, "
                    f"got {describe(vectors)}"
                )
            cloud.vectors.extend(_vector_proto(v, i) for i, v in enumerate(vectors))

        # Last, so a bad argument above never pays for the big copy.
        cloud.positions = np.ascontiguousarray(positions).tobytes()
        super().__init__(record)

    @property
    def num_points(self) -> int:
        return int(self._record.point_cloud.num_points)

    def __repr__(self) -> str:
        r = self._record
        return f"PointCloud(num_points={r.point_cloud.num_points}, caption={r.caption!r})"
