"""What every media kind shares: the record it encodes to, and input conversion helpers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import FORMAT_VERSION


class Media:
    """A loggable item. Subclasses validate and encode in `__init__`, so a bad argument
    raises before anything is written, and logging the same object twice costs nothing."""

    kind: str = ""

    def __init__(self, record: media_pb2.MediaItem) -> None:
        record.version = FORMAT_VERSION
        record.kind = self.kind
        self._record = record

    def to_record(self) -> media_pb2.MediaItem:
        return self._record

    def __repr__(self) -> str:
        r = self._record
        return f"{type(self).__name__}(format={r.format!r}, bytes={len(r.data)}, caption={r.caption!r})"


def describe(value: Any) -> str:
    """A short account of a value for error messages: type, and shape/dtype for arrays."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    if isinstance(value, (str, bytes)) and len(value) > 60:
        return f"{type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__} {value!r}"


def to_numpy(value: Any, argument: str) -> np.ndarray:
    """numpy arrays, lists, and torch/tf/jax tensors (by duck typing: no framework import)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch
        return np.asarray(value.detach().cpu().numpy())
    if hasattr(value, "numpy") and callable(value.numpy):  # tf eager tensors
        return np.asarray(value.numpy())
    if hasattr(value, "__array__") or isinstance(value, (list, tuple)):
        return np.asarray(value)
    raise TypeError(f"{argument}: expected an array or tensor, got {describe(value)}")


def is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes)


def read_file(path: str | os.PathLike[str], argument: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{argument}: expected a path to an existing file, got {str(path)!r} (not found)")
    return p.read_bytes()


def check_caption(caption: Any) -> str:
    if caption is None:
        return ""
    if not isinstance(caption, str):
        raise TypeError(f"caption: expected a str or None, got {describe(caption)}")
    return caption


def check_finite(array: np.ndarray, argument: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{argument}: expected finite values, got {bad} NaN or inf value(s)")


def _color_hex(color: Any, argument: str) -> str:
    """'#rrggbb' from '#rgb'/'#rrggbb' strings or (r, g, b) with ints 0..255."""
    if isinstance(color, str):
        text = color.strip().lower()
        if re.fullmatch(r"#[0-9a-f]{3}", text):
            return "#" + "".join(c * 2 for c in text[1:])
        if re.fullmatch(r"#[0-9a-f]{6}", text):
            return text
    elif isinstance(color, (tuple, list)) and len(color) == 3:
        if all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in color):
            return "#" + "".join(f"{int(c):02x}" for c in color)
    raise ValueError(f"{argument}: expected a colour '#rrggbb' or (r, g, b) in 0..255, got {color!r}")


def class_labels_proto(labels: Any, argument: str) -> list[media_pb2.ClassLabel]:
    """{id: name} or {id: {"name": name, "color": "#rrggbb" | (r, g, b)}} -> ClassLabel protos
    sorted by id."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        raise TypeError(f"{argument}: expected a dict {{class_id: name}}, got {describe(labels)}")
    out = []
    for key, entry in sorted(labels.items(), key=lambda kv: int(kv[0])):
        try:
            cid = int(key)
        except (TypeError, ValueError):
            raise TypeError(f"{argument}: expected integer class ids, got key {key!r}") from None
        if not 0 <= cid <= 0xFFFFFFFF:
            raise ValueError(f"{argument}: class id {cid} is out of range 0..4294967295")
        if isinstance(entry, dict):
            unknown = set(entry) - {"name", "color"}
            if "name" not in entry or unknown:
                raise ValueError(
                    f"{argument}[{cid}]: expected {{'name': str, 'color': '#rrggbb'}}, got {entry!r}"
                )
            color = "" if entry.get("color") is None else _color_hex(entry["color"], f"{argument}[{cid}]")
            out.append(media_pb2.ClassLabel(id=cid, name=str(entry["name"]), color=color))
        else:
            out.append(media_pb2.ClassLabel(id=cid, name=str(entry)))
    return out
