"""Heatmaps and scalar images: HxW arrays of numbers kept losslessly, shown through a colormap
the viewer picks after logging (see docs/format.md, ScalarLayer)."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from tb_media_panel.media.base import Media, check_caption, describe, to_numpy
from tb_media_panel.proto import media_pb2
from tb_media_panel.records import MAX_SCALAR_PIXELS, SCALAR_DTYPES

COLORMAPS = ("viridis", "magma", "turbo", "gray", "rdbu")
SCALAR_FORMAT = "scalar"  # MediaItem.format of an image whose pixels are its `values`
_WIDE_INTEGERS = (np.dtype(np.int32), np.dtype(np.uint32))  # int64/uint64 fit in one of these
_SAMPLE = 1 << 13  # bytes of a layer deflated to see whether deflating the rest pays
# Percentiles of larger layers come from this many evenly strided values: an exact partition
# of 512x512 values would be most of the cost of logging one.
_PERCENTILE_SAMPLE = 1 << 14
_WORTH_DEFLATING = 0.85  # compressed/raw ratio of the sample under which the layer is deflated


def scalar_array(values: Any, argument: str) -> np.ndarray:
    """An HxW (or HxWx1, 1xHxW) numeric array -> HxW in its stored dtype, little-endian:
    float64 as float32, int64/uint64 as int32/uint32 when the values fit, bool as uint8."""
    array = to_numpy(values, argument)
    if array.ndim == 3 and 1 in (array.shape[0], array.shape[-1]):
        array = array.reshape(array.shape[1:] if array.shape[0] == 1 else array.shape[:2])
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{argument}: expected a non-empty HxW array, got {describe(array)}")
    if array.size > MAX_SCALAR_PIXELS:
        raise ValueError(
            f"{argument}: expected at most {MAX_SCALAR_PIXELS} values (8192x8192), "
            f"got {array.shape[0]}x{array.shape[1]}"
        )
    dtype = array.dtype
    if dtype == np.bool_:
        array = array.astype(np.uint8)
    elif dtype.kind == "f":
        if dtype != np.float16:
            array = array.astype(np.float32, copy=False)
    elif dtype.kind in "iu":
        if dtype.name not in SCALAR_DTYPES:  # int64 and uint64, as torch and numpy default to
            low, high = int(array.min()), int(array.max())
            fits = [t for t in _WIDE_INTEGERS if np.iinfo(t).min <= low and high <= np.iinfo(t).max]
            if not fits:
                raise ValueError(
                    f"{argument}: expected integers that fit in int32 or uint32, "
                    f"got values in [{low}, {high}]"
                )
            array = array.astype(fits[0])
    else:
        raise TypeError(f"{argument}: expected a numeric array, got {describe(array)}")
    return array.astype(array.dtype.newbyteorder("<"), copy=False)


def _window_bound(value: Any, argument: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument}: expected a number or None, got {describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{argument}: expected a finite number, got {number}")
    return number


def check_colormap(colormap: Any) -> str:
    name = colormap.lower() if isinstance(colormap, str) else colormap
    if name not in COLORMAPS:
        raise ValueError(f"colormap: expected one of {', '.join(COLORMAPS)}, got {colormap!r}")
    return str(name)


def _compress(raw: bytes) -> bytes:
    """A zlib stream of `raw`. Deflating float noise saves ~10 % at ~20x the cost of a copy,
    so a sample decides: stored (level 0) blocks when it would save little."""
    if len(raw) > 4 * _SAMPLE:
        step = len(raw) // 4
        sample = b"".join(raw[i * step : i * step + _SAMPLE // 4] for i in range(4))
        if len(zlib.compress(sample, 1)) > _WORTH_DEFLATING * len(sample):
            return zlib.compress(raw, 0)
    return zlib.compress(raw, 1)


def scalar_layer(
    values: Any,
    argument: str,
    vmin: Any = None,
    vmax: Any = None,
    colormap: Any = "viridis",
    role: str = "",
) -> media_pb2.ScalarLayer:
    """A validated, compressed ScalarLayer (unnamed) with its statistics."""
    low_bound, high_bound = _window_bound(vmin, "vmin"), _window_bound(vmax, "vmax")
    if low_bound is not None and high_bound is not None and low_bound >= high_bound:
        raise ValueError(f"vmin, vmax: expected vmin < vmax, got vmin={low_bound:g}, vmax={high_bound:g}")
    cmap = check_colormap(colormap)
    array = scalar_array(values, argument)
    flat = array.ravel()
    nan_count = 0
    low, high = flat.min(), flat.max()
    sample = flat[:: -(-flat.size // _PERCENTILE_SAMPLE)]
    if array.dtype.kind == "f" and not (np.isfinite(low) and np.isfinite(high)):
        nan_count = int(np.count_nonzero(np.isnan(flat)))
        finite = flat[np.isfinite(flat)]
        if not finite.size:
            raise ValueError(
                f"{argument}: expected at least one finite value (NaN means no data), "
                f"got {describe(array)} with no finite value"
            )
        low, high = finite.min(), finite.max()
        sample = finite[:: -(-finite.size // _PERCENTILE_SAMPLE)]
    p01, p99 = np.percentile(sample, [1, 99])
    layer = media_pb2.ScalarLayer(
        width=array.shape[1],
        height=array.shape[0],
        dtype=array.dtype.name,
        colormap=cmap,
        min=float(low),
        max=float(high),
        p01=float(p01),
        p99=float(p99),
        nan_count=nan_count,
        role=role,
        data=_compress(np.ascontiguousarray(array).tobytes()),
    )
    if low_bound is not None:
        layer.vmin = low_bound
    if high_bound is not None:
        layer.vmax = high_bound
    return layer


def named(layer: media_pb2.ScalarLayer, name: str, of: str = "") -> media_pb2.ScalarLayer:
    copy = media_pb2.ScalarLayer()
    copy.CopyFrom(layer)
    copy.name = name
    copy.of = of
    return copy


class Heatmap(Media):
    """An HxW array of numbers (depth, attention, error...) stored losslessly: float16 and
    float32 as they are (float64 as float32), integers in their own dtype. NaN means no data.

    Log it alone (`w.add("depth", mp.Heatmap(d), step)`, a scalar image) or over an image:
    `mp.Image(rgb, heatmaps={"depth": mp.Heatmap(d, vmin=0, vmax=10, colormap="turbo")})`.
    `vmin`/`vmax` and `colormap` are the default view; the panel can change both.
    """

    kind = "image"

    def __init__(
        self,
        values: Any,
        vmin: float | None = None,
        vmax: float | None = None,
        colormap: str = "viridis",
        caption: str | None = None,
    ) -> None:
        caption_text = check_caption(caption)
        self._layer = scalar_layer(values, "values", vmin, vmax, colormap)
        self.height, self.width = self._layer.height, self._layer.width
        # the layer joins the record only when logged alone: an image's layer is copied there
        super().__init__(
            media_pb2.MediaItem(
                format=SCALAR_FORMAT, caption=caption_text, width=self.width, height=self.height
            )
        )

    def to_record(self) -> media_pb2.MediaItem:
        if not self._record.HasField("values"):
            self._record.values.CopyFrom(self._layer)
        return self._record

    def to_layer(self, name: str) -> media_pb2.ScalarLayer:
        return named(self._layer, name)

    def __repr__(self) -> str:
        layer = self._layer
        return f"Heatmap({self.height}x{self.width}, dtype={layer.dtype}, colormap={layer.colormap!r})"
