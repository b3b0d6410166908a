"""Reading items out of the index: metadata as JSON-ready dicts, payloads, masks, point arrays.

Only the bytes of the asked-for item are read: a MediaItem's header (everything before its
`data` field, plus the payload's first bytes for its type) for metadata, masks and point
arrays; the exact payload slice for data.

Logged MIME types are never served: a payload's Content-Type comes from the allow-list per
kind in formats.py, and only when the payload's own first bytes match that type.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tb_media_panel.store.decode.audio import wav_info
from tb_media_panel.store.decode.mesh import MeshArrays, binary_ply, mesh_batch
from tb_media_panel.store.decode.text import TextTable, text_of_tensor, text_table
from tb_media_panel.store.formats import (
    MAGIC_BYTES,
    OCTET_STREAM,
    PNG_SIGNATURE,
    TEXT_TYPE,
    indexed_type,
    served_type,
)
from tb_media_panel.store.index import LogdirIndex
from tb_media_panel.store.series import (
    LAYOUT_MEDIA_ITEM,
    LAYOUT_TEXT_TENSOR,
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
    mime: str  # a served type (see served_type), never the logged one
    size: int
    etag: str
    read: Callable[[int, int], bytes]  # read(start, stop) -> bytes[start:stop]
    key: str  # the content key of the item it belongs to (see content_key)


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:24] + '"'


def content_key(token: str) -> str:
    """An opaque key of the bytes behind an item (file incarnation, record offset and length):
    a step logged again is another record, so it gets another key (TensorBoard's blob_key)."""
    return hashlib.sha1(token.encode()).hexdigest()[:20]


def _in_memory(mime: str, data: bytes, token: str, *identity: object) -> Payload:
    return Payload(mime, len(data), _etag(*identity, token), lambda a, b: data[a:b], content_key(token))


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

    def _record_header(self, item: ItemLocation) -> tuple[media_pb2.MediaItem, bytes]:
        """The MediaItem without its payload (its `data` field is left empty), and the
        payload's first bytes (to tell its type), in one read."""
        head_at = item.data_offset - item.offset
        size = min(item.length, head_at + min(item.data_length, MAGIC_BYTES))
        try:
            data = self.index.read(item.file_id, item.offset, size)
            return decode_item(data[: item.header_length]), data[head_at:]
        except (ValueError, FileNotFoundError) as exc:
            raise NotFound(f"item record unreadable: {exc}") from exc

    # ---- metadata --------------------------------------------------------------------

    def items(self, run: str, tag: str, step: int) -> dict[str, Any]:
        wall_time, items = self._step(run, tag, step)
        if isinstance(items, MeshStep):
            key = content_key(self._mesh_token(items))
            described = [
                {**self._describe_mesh(arrays, i), "key": key}
                for i, arrays in enumerate(self._mesh_batch(items))
            ]
        else:
            described = [self._describe(item, i) for i, item in enumerate(items)]
        return {"run": run, "tag": tag, "step": step, "wall_time": wall_time, "items": described}

    def _describe(self, item: ItemLocation, index: int) -> dict[str, Any]:
        key = content_key(self._token(item))
        if item.layout == LAYOUT_MEDIA_ITEM:
            record, head = self._record_header(item)
            meta = describe_record(index, record, item.data_length)
            meta.update(mime=served_type(item.kind, head), key=key)
            return meta
        meta = blank_meta(index, item.kind, item.format)
        meta.update(
            mime=indexed_type(item.kind, item.format),
            size=item.data_length,
            width=item.width,
            height=item.height,
            key=key,
        )
        if item.kind == "audio":
            head = self.index.read(item.file_id, item.offset, min(item.length, WAV_HEAD_BYTES))
            info = wav_info(head)
            if info is not None:
                meta.update(
                    sample_rate=info.sample_rate, channels=info.channels, duration=info.duration
                )
            if item.caption_length:
                caption = self.index.read(item.file_id, item.caption_offset, item.caption_length)
                meta["caption"] = caption.decode("utf-8", "replace")
        elif item.layout == LAYOUT_TEXT_TENSOR:
            meta["size"] = len(self._text(item).encode())
            table = self._text_table(item)
            meta["text"] = {"shape": list(table.shape), "rows": table.rows, "rank": table.rank}
        return meta

    def _describe_mesh(self, arrays: MeshArrays, index: int) -> dict[str, Any]:
        if arrays.faces is not None:
            meta = blank_meta(index, "object3d", "ply")
            meta["size"] = len(binary_ply(arrays))
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
                OCTET_STREAM, binary_ply(arrays), self._mesh_token(mesh), *identity
            )
        item = found
        token = self._token(item)
        if item.layout == LAYOUT_TEXT_TENSOR:
            return _in_memory(TEXT_TYPE, self._text(item).encode(), token, *identity)
        return self._slice(item, identity, token)

    def _slice(self, item: ItemLocation, identity: tuple[object, ...], token: str) -> Payload:
        """The payload bytes of an item as they are in the event file, read on demand; the
        first read (of its first bytes, for the type) checks a large record's CRC."""
        start = item.data_offset
        file_id = item.file_id
        head = self.index.read(file_id, start, min(item.data_length, MAGIC_BYTES))
        return Payload(
            served_type(item.kind, head),
            item.data_length,
            _etag(*identity, token),
            lambda a, b: self.index.read(file_id, start + a, b - a),
            content_key(token),
        )

    def html(self, run: str, tag: str, step: int, index: int) -> Payload:
        found = self._item(run, tag, step, index)
        if isinstance(found, tuple) or found.kind != "html" or found.layout != LAYOUT_MEDIA_ITEM:
            raise NotFound(f"item {index} at step {step} of tag {tag!r} is not HTML")
        return self._slice(found, (run, tag, step, index, "html"), self._token(found))

    def mask(self, run: str, tag: str, step: int, index: int, layer: str) -> Payload:
        found = self._item(run, tag, step, index)
        if isinstance(found, tuple) or found.layout != LAYOUT_MEDIA_ITEM:
            raise NotFound(f"item {index} at step {step} of tag {tag!r} has no masks")
        record, _ = self._record_header(found)
        names = [m.name for m in record.masks]
        if layer in names:
            mask = record.masks[names.index(layer)]
        elif re.fullmatch(r"[0-9]{1,6}", layer) and int(layer) < len(names):
            mask = record.masks[int(layer)]
        else:
            raise NotFound(f"item has no mask layer {layer!r}; layers: {names[:20]}")
        ids = decode_mask_png(mask.png, record.width, record.height)
        token = self._token(found)
        return _in_memory(OCTET_STREAM, ids, token, run, tag, step, index, "mask", layer)

    def points(self, run: str, tag: str, step: int, index: int, array: str) -> Payload:
        found = self._item(run, tag, step, index)
        identity = (run, tag, step, index, "points", array)
        if isinstance(found, tuple):
            mesh, i = found
            arrays = self._mesh_batch(mesh)[i]
            chosen = {"positions": arrays.positions, "colors": arrays.colors, "labels": None}[array]
            if chosen is None:
                raise NotFound(f"this point cloud has no {array}")
            return _in_memory(OCTET_STREAM, chosen.tobytes(), self._mesh_token(mesh), *identity)
        if found.layout != LAYOUT_MEDIA_ITEM or found.kind != "pointcloud":
            raise NotFound(f"item {index} at step {step} of tag {tag!r} is not a point cloud")
        cloud = self._record_header(found)[0].point_cloud
        data = getattr(cloud, array)
        if not data:
            raise NotFound(f"this point cloud has no {array}")
        return _in_memory(OCTET_STREAM, bytes(data), self._token(found), *identity)

    # ---- helpers ---------------------------------------------------------------------

    def _token(self, item: ItemLocation) -> str:
        return f"{self.index.file_token(item.file_id)}:{item.offset}:{item.length}"

    def _mesh_token(self, mesh: MeshStep) -> str:
        return ",".join(
            f"{self.index.file_token(p.file_id)}:{p.offset}:{p.length}" for p in mesh.parts.values()
        )

    def _text(self, item: ItemLocation) -> str:
        try:
            return text_of_tensor(self.index.read(item.file_id, item.offset, item.length))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise NotFound(f"text summary unreadable: {exc}") from exc

    def _text_table(self, item: ItemLocation) -> TextTable:
        try:
            return text_table(self.index.read(item.file_id, item.offset, item.length))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise NotFound(f"text summary unreadable: {exc}") from exc

    def _mesh_batch(self, mesh: MeshStep) -> list[MeshArrays]:
        def tensor(component: str) -> bytes | None:
            part = mesh.parts.get(component)
            return None if part is None else self.index.read(part.file_id, part.offset, part.length)

        vertex = tensor("VERTEX")
        if vertex is None:
            raise NotFound("mesh step has no vertices")
        try:
            return mesh_batch(vertex, tensor("FACE"), tensor("COLOR"))
        except Exception as exc:  # malformed tensors: shapes that do not fit
            raise NotFound(f"mesh unreadable: {exc}") from exc


MASK_MODES = ("1", "L", "P", "I;16", "I;16B", "I")  # one channel: a class id per pixel


def decode_mask_png(png: bytes, width: int, height: int) -> bytes:
    """Class ids of a mask layer of a `width`x`height` image as raw little-endian uint16,
    row-major. Only a one-channel PNG of exactly the image's size is decoded (its header is
    checked first), so a small record cannot decode into more pixels than its image has."""
    from PIL import Image

    if png[:8] != PNG_SIGNATURE:
        raise NotFound(f"mask layer unreadable: expected a PNG, got bytes starting {png[:8]!r}")
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            if image.size != (width, height) or not width * height:
                raise NotFound(
                    f"mask layer unreadable: expected {width}x{height} pixels to match its "
                    f"image, got {image.size[0]}x{image.size[1]}"
                )
            if image.mode not in MASK_MODES:
                raise NotFound(
                    f"mask layer unreadable: expected a one-channel PNG, got mode {image.mode}"
                )
            ids = np.asarray(image)
    except NotFound:
        raise
    except Exception as exc:  # Pillow raises many kinds on a bad PNG
        raise NotFound(f"mask layer unreadable: {exc}") from exc
    return ids.astype("<u2").tobytes()


def blank_meta(index: int, kind: str, fmt: str) -> dict[str, Any]:
    return {
        "index": index,
        "kind": kind,
        "mime": OCTET_STREAM,
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
