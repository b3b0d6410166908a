"""Reading items out of the index: metadata as JSON-ready dicts, payloads, masks, point arrays.

Only the bytes of the asked-for item are read: a MediaItem's header (everything before its
`data` field) for metadata, masks and point arrays; the exact payload slice for data.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tb_media_panel.store import legacy
from tb_media_panel.store.index import LogdirIndex
from tb_media_panel.store.series import (
    LAYOUT_MEDIA_ITEM,
    LAYOUT_TEXT_TENSOR,
    MIME_TYPES,
    ItemLocation,
    MeshSeries,
    MeshStep,
    Series,
)

WAV_HEAD_BYTES = 4096
POINT_ARRAYS = ("positions", "colors", "labels")


class NotFound(LookupError):
    """An unknown run, tag, step, index, layer or array (HTTP 404)."""


@dataclass(frozen=True)
class Payload:
    mime: str
    size: int
    etag: str
    read: Callable[[int, int], bytes]  # read(start, stop) -> bytes[start:stop]


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:24] + '"'


def _in_memory(mime: str, data: bytes, *identity: object) -> Payload:
    return Payload(mime, len(data), _etag(*identity), lambda a, b: data[a:b])


class MediaReader:
    """Item-level reads over a `LogdirIndex`; every lookup failure is a `NotFound`."""

    def __init__(self, index: LogdirIndex) -> None:
        self.index = index

    # ---- lookup ----------------------------------------------------------------------

    def _series(self, run: str, tag: str) -> Series | MeshSeries:
        if not self.index.has_run(run):
            raise NotFound(f"unknown run {run!r}")
        series = self.index.series(run, tag)
        if series is None:
            raise NotFound(f"run {run!r} has no media tag {tag!r}")
        return series

    def _step(self, run: str, tag: str, step: int) -> tuple[float, list[ItemLocation] | MeshStep]:
        series = self._series(run, tag)
        with self.index.locked():
            if isinstance(series, MeshSeries):
                mesh = series.step_at(step)
                found = None if mesh is None else (mesh.wall_time, mesh)
            else:
                found = series.items_at(step)
        if found is None:
            raise NotFound(f"tag {tag!r} of run {run!r} has no step {step}")
        return found

    def _item(
        self, run: str, tag: str, step: int, index: int
    ) -> ItemLocation | tuple[MeshStep, int]:
        _, items = self._step(run, tag, step)
        count = items.batch if isinstance(items, MeshStep) else len(items)
        if not 0 <= index < count:
            raise NotFound(f"step {step} of tag {tag!r} has {count} items; no index {index}")
        return (items, index) if isinstance(items, MeshStep) else items[index]

    def _record_header(self, item: ItemLocation) -> media_pb2.MediaItem:
        """The MediaItem without its payload (its `data` field is left empty)."""
        try:
            return decode_item(self.index.read(item.file_id, item.offset, item.header_length))
        except (ValueError, FileNotFoundError) as exc:
            raise NotFound(f"item record unreadable: {exc}") from exc

    # ---- metadata --------------------------------------------------------------------

    def items(self, run: str, tag: str, step: int) -> dict[str, Any]:
        wall_time, items = self._step(run, tag, step)
        if isinstance(items, MeshStep):
            described = [
                self._describe_mesh(arrays, i) for i, arrays in enumerate(self._mesh_batch(items))
            ]
        else:
            described = [self._describe(item, i) for i, item in enumerate(items)]
        return {"run": run, "tag": tag, "step": step, "wall_time": wall_time, "items": described}

    def _describe(self, item: ItemLocation, index: int) -> dict[str, Any]:
        if item.layout == LAYOUT_MEDIA_ITEM:
            return describe_record(index, self._record_header(item), item.data_length)
        meta = blank_meta(index, item.kind, item.format)
        meta.update(size=item.data_length, width=item.width, height=item.height)
        if item.kind == "audio":
            head = self.index.read(item.file_id, item.offset, min(item.length, WAV_HEAD_BYTES))
            info = legacy.wav_info(head)
            if info is not None:
                meta.update(
                    sample_rate=info.sample_rate, channels=info.channels, duration=info.duration
                )
            if item.caption_length:
                caption = self.index.read(item.file_id, item.caption_offset, item.caption_length)
                meta["caption"] = caption.decode("utf-8", "replace")
        elif item.layout == LAYOUT_TEXT_TENSOR:
            meta["size"] = len(self._text(item).encode())
        return meta

    def _describe_mesh(self, arrays: legacy.MeshArrays, index: int) -> dict[str, Any]:
        if arrays.faces is not None:
            meta = blank_meta(index, "object3d", "ply")
            meta["size"] = len(legacy.binary_ply(arrays))
            return meta
        meta = blank_meta(index, "pointcloud", "")
        meta["point_cloud"] = {
            "num_points": len(arrays.positions),
            "label_bytes": 0,
            "has_colors": arrays.colors is not None,
            "class_labels": [],
            "boxes": [],
            "vectors": [],
        }
        meta["size"] = arrays.positions.nbytes
        return meta

    # ---- payloads --------------------------------------------------------------------

    def data(self, run: str, tag: str, step: int, index: int) -> Payload:
        found = self._item(run, tag, step, index)
        identity = (run, tag, step, index)
        if isinstance(found, tuple):
            mesh, i = found
            arrays = self._mesh_batch(mesh)[i]
            if arrays.faces is None:
                raise NotFound("this mesh is a point cloud: read its arrays from the points route")
            return _in_memory(
                "application/ply",
                legacy.binary_ply(arrays),
                *identity,
                self._mesh_token(mesh),
            )
        item = found
        token = self._token(item)
        if item.layout == LAYOUT_TEXT_TENSOR:
            return _in_memory(MIME_TYPES["txt"], self._text(item).encode(), *identity, token)
        if item.layout == LAYOUT_MEDIA_ITEM:
            mime = self._record_header(item).mime or "application/octet-stream"
        else:
            mime = MIME_TYPES.get(item.format, "application/octet-stream")
        start = item.data_offset
        file_id = item.file_id
        return Payload(
            mime,
            item.data_length,
            _etag(*identity, token),
            lambda a, b: self.index.read(file_id, start + a, b - a),
        )

    def html(self, run: str, tag: str, step: int, index: int) -> bytes:
        found = self._item(run, tag, step, index)
        if isinstance(found, tuple) or found.kind != "html" or found.layout != LAYOUT_MEDIA_ITEM:
            raise NotFound(f"item {index} at step {step} of tag {tag!r} is not HTML")
        return self.index.read(found.file_id, found.data_offset, found.data_length)

    def mask(self, run: str, tag: str, step: int, index: int, layer: str) -> Payload:
        found = self._item(run, tag, step, index)
        if isinstance(found, tuple) or found.layout != LAYOUT_MEDIA_ITEM:
            raise NotFound(f"item {index} at step {step} of tag {tag!r} has no masks")
        record = self._record_header(found)
        names = [m.name for m in record.masks]
        if layer in names:
            mask = record.masks[names.index(layer)]
        elif layer.isdigit() and int(layer) < len(names):
            mask = record.masks[int(layer)]
        else:
            raise NotFound(f"item has no mask layer {layer!r}; layers: {names}")
        ids = decode_mask_png(mask.png)
        return _in_memory(
            "application/octet-stream",
            ids,
            run,
            tag,
            step,
            index,
            "mask",
            layer,
            self._token(found),
        )

    def points(self, run: str, tag: str, step: int, index: int, array: str) -> Payload:
        found = self._item(run, tag, step, index)
        identity = (run, tag, step, index, "points", array)
        if isinstance(found, tuple):
            mesh, i = found
            arrays = self._mesh_batch(mesh)[i]
            chosen = {"positions": arrays.positions, "colors": arrays.colors, "labels": None}[array]
            if chosen is None:
                raise NotFound(f"this point cloud has no {array}")
            return _in_memory(
                "application/octet-stream", chosen.tobytes(), *identity, self._mesh_token(mesh)
            )
        if found.layout != LAYOUT_MEDIA_ITEM or found.kind != "pointcloud":
            raise NotFound(f"item {index} at step {step} of tag {tag!r} is not a point cloud")
        cloud = self._record_header(found).point_cloud
        data = getattr(cloud, array)
        if not data:
            raise NotFound(f"this point cloud has no {array}")
        return _in_memory("application/octet-stream", bytes(data), *identity, self._token(found))

    # ---- helpers ---------------------------------------------------------------------

    def _token(self, item: ItemLocation) -> str:
        return f"{self.index.file_token(item.file_id)}:{item.offset}:{item.length}"

    def _mesh_token(self, mesh: MeshStep) -> str:
        return ",".join(
            f"{self.index.file_token(p.file_id)}:{p.offset}:{p.length}" for p in mesh.parts.values()
        )

    def _text(self, item: ItemLocation) -> str:
        try:
            return legacy.text_of_tensor(self.index.read(item.file_id, item.offset, item.length))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise NotFound(f"text summary unreadable: {exc}") from exc

    def _mesh_batch(self, mesh: MeshStep) -> list[legacy.MeshArrays]:
        def tensor(component: str) -> bytes | None:
            part = mesh.parts.get(component)
            return None if part is None else self.index.read(part.file_id, part.offset, part.length)

        vertex = tensor("VERTEX")
        if vertex is None:
            raise NotFound("mesh step has no vertices")
        try:
            return legacy.mesh_batch(vertex, tensor("FACE"), tensor("COLOR"))
        except Exception as exc:  # malformed tensors: shapes that do not fit
            raise NotFound(f"mesh unreadable: {exc}") from exc


def decode_mask_png(png: bytes) -> bytes:
    """Class ids of a mask layer as raw little-endian uint16, row-major."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(png)) as image:
            ids = np.asarray(image)
    except Exception as exc:  # Pillow raises many kinds on a bad PNG
        raise NotFound(f"mask layer unreadable: {exc}") from exc
    return ids.astype("<u2").tobytes()


def blank_meta(index: int, kind: str, fmt: str) -> dict[str, Any]:
    return {
        "index": index,
        "kind": kind,
        "mime": MIME_TYPES.get(fmt, "application/octet-stream"),
        "format": fmt,
        "caption": "",
        "size": 0,
        "width": 0,
        "height": 0,
        "fps": 0,
        "frames": 0,
        "sample_rate": 0,
        "channels": 0,
        "duration": 0,
        "title": "",
        "masks": [],
        "boxes": [],
        "point_cloud": None,
    }


def _labels(labels: Any) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name, "color": c.color or None} for c in labels]


def _rgb(color: bytes) -> list[int] | None:
    return list(color[:3]) if len(color) >= 3 else None


def describe_record(index: int, record: media_pb2.MediaItem, data_length: int) -> dict[str, Any]:
    meta = {
        "index": index,
        "kind": record.kind,
        "mime": record.mime,
        "format": record.format,
        "caption": record.caption,
        "size": data_length,
        "width": record.width,
        "height": record.height,
        "fps": record.fps,
        "frames": record.frames,
        "sample_rate": record.sample_rate,
        "channels": record.channels,
        "duration": record.duration,
        "title": record.title,
        "masks": [
            {
                "name": m.name,
                "width": m.width,
                "height": m.height,
                "class_labels": _labels(m.class_labels),
            }
            for m in record.masks
        ],
        "boxes": [
            {
                "name": layer.name,
                "domain": layer.domain or "fraction",
                "class_labels": _labels(layer.class_labels),
                "boxes": [
                    {
                        "min_x": b.min_x,
                        "min_y": b.min_y,
                        "max_x": b.max_x,
                        "max_y": b.max_y,
                        "class_id": b.class_id,
                        "scores": dict(b.scores),
                        "caption": b.caption,
                    }
                    for b in layer.boxes
                ],
            }
            for layer in record.boxes
        ],
        "point_cloud": None,
    }
    if record.HasField("point_cloud"):
        cloud = record.point_cloud
        meta["point_cloud"] = {
            "num_points": cloud.num_points,
            "label_bytes": cloud.label_bytes,
            "has_colors": bool(cloud.colors),
            "class_labels": _labels(cloud.class_labels),
            "boxes": [
                {
                    "center": list(b.center),
                    "size": list(b.size),
                    "rotation": list(b.rotation),
                    "label": b.label,
                    "score": b.score if b.HasField("score") else None,
                    "color": _rgb(b.color),
                }
                for b in cloud.boxes
            ],
            "vectors": [
                {"start": list(v.start), "end": list(v.end), "color": _rgb(v.color)}
                for v in cloud.vectors
            ],
        }
    return meta
