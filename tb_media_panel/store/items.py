"""The query layer: what the routes and `mp.Reader` ask of the index, as typed results
(store/results.py): runs, tags, series windows, the items of a step with their metadata,
payloads, masks and point arrays. No JSON here: the HTTP layer builds it (http_json.py).

Only the bytes of the asked-for items are read: for a step's metadata, the span of its record
holding the items, once (a small record's CRC check reads it whole anyway, so its payloads
come along and are kept in the answer); of a large one, each item's MediaItem header (before
its `data` field) and the payload's first bytes for its type. Payloads are read as exact slices.

Logged MIME types are never served: a payload's Content-Type comes from the allow-list per
kind in formats.py, and only when the payload's own first bytes match that type.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tb_media_panel.store.decode.audio import wav_info
from tb_media_panel.store.decode.media_panel import scalar_array, scalar_meta, scalar_values
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
from tb_media_panel.store.index import CorruptRecord, LogdirIndex, window
from tb_media_panel.store.results import (
    BatchResult,
    Box,
    BoxLayer,
    ClassLabel,
    CloudBox,
    CloudVector,
    ItemMeta,
    MaskMeta,
    PointCloudMeta,
    RunInfo,
    RunList,
    RunSeries,
    SeriesAnswer,
    StepItems,
    TagSummary,
)
from tb_media_panel.store.scanner import CHECK_ON_READ_MIN_BYTES
from tb_media_panel.store.series import (
    LAYOUT_MEDIA_ITEM,
    LAYOUT_TEXT_TENSOR,
    AnySeries,
    ItemLocation,
    MeshSeries,
    MeshStep,
)

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
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


class _StepBytes:
    """The reads that describe one step's items. A span under CHECK_ON_READ_MIN_BYTES (the
    usual case) is read once, CRC-checked, and every read is a slice of it; a larger one is
    read a piece at a time, so nothing large is held."""

    def __init__(self, index: LogdirIndex, items: Sequence[ItemLocation]) -> None:
        self._index = index
        self._file_id = items[0].file_id
        self._start = min(i.caption_offset if i.caption_length else i.offset for i in items)
        stop = max(
            max(i.offset + i.length, i.caption_offset + i.caption_length) for i in items
        )
        self.held = stop - self._start < CHECK_ON_READ_MIN_BYTES
        self._data = index.read(self._file_id, self._start, stop - self._start) if self.held else b""

    def read(self, offset: int, size: int) -> bytes:
        if not self.held:
            return self._index.read(self._file_id, offset, size)
        at = offset - self._start
        return self._data[at : at + size]


class MediaReader:
    """The queries of the routes and of `mp.Reader` over a `LogdirIndex`; every lookup
    failure is a `NotFound`."""

    def __init__(self, index: LogdirIndex) -> None:
        self.index = index

    # ---- runs, tags, series ----------------------------------------------------------

    def runs(self) -> RunList:
        index = self.index
        # taken before the rest: a change made while this answer is built is noticed by polling
        generation = index.generation()
        return RunList(
            generation,
            [RunInfo(name, index.skipped_records(name)) for name in index.run_names()],
            index.progress(),
            index.warnings(),
        )

    def tags(self, run: str | None = None) -> list[TagSummary]:
        """The media tags of `run`, or of every run."""
        if run is not None and not self.index.has_run(run):
            raise NotFound(f"unknown run {run!r}")
        return self.index.tag_summaries([run] if run is not None else self.index.run_names())

    def series(
        self,
        tag: str,
        runs: Iterable[str] | None,
        step_min: int | None,
        step_max: int | None,
        max_steps: int,
        include_purged: bool = False,
    ) -> SeriesAnswer:
        """At most `max_steps` steps of `tag` in [step_min, step_max] per run (see
        index.window); runs without the tag are left out, an unknown run is an error of its
        own, and NotFound when no run answers."""
        answered: dict[str, RunSeries] = {}
        errors: dict[str, str] = {}  # one unknown run does not fail the others
        for run in self.index.run_names() if runs is None else runs:
            if not self.index.has_run(run):
                errors[run] = f"unknown run {run[:200]!r}"
                continue
            series = self.index.series(run, tag)
            if series is None:
                continue
            table = self.index.step_table(series, include_purged)
            answered[run] = RunSeries(
                window(table, step_min, step_max, max_steps), self.index.purged(series)
            )
        if not answered:
            raise NotFound(next(iter(errors.values()), f"no run has the tag {tag[:200]!r}"))
        return SeriesAnswer(tag, step_min, step_max, answered, errors)

    def step_at_or_before(self, run: str, tag: str, step: int) -> int | None:
        """The latest logged step <= `step` of the series (what a run shows for a slider step)."""
        steps = self.index.step_table(self._series(run, tag)).steps
        i = int(np.searchsorted(steps, step, side="right")) - 1
        return None if i < 0 else int(steps[i])

    # ---- lookup ----------------------------------------------------------------------

    def _series(self, run: str, tag: str) -> AnySeries:
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

    def _record_header(
        self, item: ItemLocation, source: _StepBytes | None = None
    ) -> tuple[media_pb2.MediaItem, bytes]:
        """The MediaItem without its payload (its `data` field is left empty), and the
        payload's first bytes (to tell its type), in one read."""
        head_at = item.data_offset - item.offset
        size = min(item.length, head_at + min(item.data_length, MAGIC_BYTES))
        try:
            if source is None:
                data = self.index.read(item.file_id, item.offset, size)
            else:
                data = source.read(item.offset, size)
            return decode_item(data[: item.header_length]), data[head_at:]
        except (ValueError, FileNotFoundError) as exc:
            raise NotFound(f"item record unreadable: {exc}") from exc

    # ---- metadata --------------------------------------------------------------------

    def items(self, run: str, tag: str, step: int) -> StepItems:
        wall_time, items = self._step(run, tag, step)
        if isinstance(items, MeshStep):
            key = content_key(self._mesh_token(items))
            described = [
                _describe_mesh(arrays, i, key) for i, arrays in enumerate(self._mesh_batch(items))
            ]
        elif items:
            source = _StepBytes(self.index, items)
            described = [self._describe(item, i, source) for i, item in enumerate(items)]
        else:  # a record that logged an empty list at the step
            described = []
        return StepItems(run, tag, step, wall_time, described)

    def _describe(self, item: ItemLocation, index: int, source: _StepBytes) -> ItemMeta:
        key = content_key(self._token(item))
        held = source.held
        if item.layout == LAYOUT_MEDIA_ITEM:
            record, head = self._record_header(item, source)
            payload = source.read(item.data_offset, item.data_length) if held else None
            return describe_record(
                index, record, item.data_length, served_type(item.kind, head), key, payload, item
            )
        if item.layout == LAYOUT_TEXT_TENSOR:
            tensor = source.read(item.offset, item.length)
            text = _decoded(text_of_tensor, tensor, "text summary").encode()
            table: TextTable = _decoded(text_table, tensor, "text summary")
            return _plain(
                index,
                item.kind,
                item.format,
                mime=indexed_type(item.kind, item.format),
                size=len(text),
                key=key,
                text=table,
                payload=text,
            )
        fields: dict[str, Any] = {}
        if item.kind == "audio":
            info = wav_info(source.read(item.offset, min(item.length, WAV_HEAD_BYTES)))
            if info is not None:
                fields.update(
                    sample_rate=info.sample_rate, channels=info.channels, duration=info.duration
                )
            if item.caption_length:
                caption = source.read(item.caption_offset, item.caption_length)
                fields["caption"] = caption.decode("utf-8", "replace")
        return _plain(
            index,
            item.kind,
            item.format,
            **fields,
            mime=indexed_type(item.kind, item.format),
            size=item.data_length,
            width=item.width,
            height=item.height,
            key=key,
            payload=source.read(item.offset, item.length) if held else None,
            location=item,
        )

    def items_batch(
        self,
        addresses: Sequence[tuple[str, str, int]],
        earlier: bool,
        inline_max: int,
        inline_total: int,
    ) -> list[BatchResult]:
        """`items` of many (run, tag, step), in order; each address answers on its own. With
        `earlier`, the latest step at or before each. Image payloads of at most `inline_max`
        bytes come along (`inline`), until `inline_total` bytes have: only those of an
        allow-listed image type their bytes match (never active content, even as a blob a
        frontend builds from them)."""
        results = []
        inline_left = inline_total
        for run, tag, step in addresses:
            try:
                if earlier:
                    actual = self.step_at_or_before(run, tag, min(max(step, INT64_MIN), INT64_MAX))
                elif INT64_MIN <= step <= INT64_MAX:
                    actual = step
                else:
                    raise NotFound(f"no step {step}: steps are 64-bit integers")
                if actual is None:
                    results.append(BatchResult(run, tag, step))
                    continue
                found = self.items(run, tag, actual)
                inline = {}
                for item in found.items:
                    size = item.size
                    if item.kind == "image" and 0 < size <= min(inline_max, inline_left):
                        data = self.payload_bytes(found, item)
                        if item.mime != OCTET_STREAM and served_type("image", data) == item.mime:
                            inline[item.index] = data
                            inline_left -= size
                results.append(BatchResult(run, tag, actual, found, inline))
            except (NotFound, CorruptRecord) as exc:
                results.append(BatchResult(run, tag, step, error=str(exc)))
        return results

    # ---- payloads --------------------------------------------------------------------

    def payload_bytes(self, step: StepItems, item: ItemMeta) -> bytes:
        """The bytes the data route serves for an item `items` described: those it brought
        along, else read now: a stored payload in one CRC-checked read of the record listed,
        a converted one (text tables, meshes) through `data`."""
        if item.payload is not None:
            return item.payload
        where = item.location
        if where is not None:
            return self.index.read(where.file_id, where.data_offset, where.data_length)
        payload = self.data(step.run, step.tag, step.step, item.index)
        if payload.key != item.key:
            raise NotFound(
                f"step {step.step} of tag {step.tag!r} of run {step.run!r} was logged again "
                "since it was listed"
            )
        return payload.read(0, payload.size)

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
        if item.layout == LAYOUT_MEDIA_ITEM and item.kind == "image" and item.data_length == 0:
            # A scalar image has no encoded payload: its download is its values, as a .npy
            # file in the stored dtype (what numpy users load; no colours are rendered here).
            out = io.BytesIO()
            np.save(out, self.heatmap_array(run, tag, step, index, ""), allow_pickle=False)
            return _in_memory(OCTET_STREAM, out.getvalue(), token, *identity)
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

    def heatmap(self, run: str, tag: str, step: int, index: int, layer: str) -> Payload:
        """A heatmap layer's values as served (`layer` "": a scalar image's own), as
        docs/format.md says."""
        chosen, found = self._scalar_layer(run, tag, step, index, layer)
        try:
            values = scalar_values(chosen)
        except ValueError as exc:
            raise NotFound(f"heatmap layer unreadable: {exc}") from None
        token = self._token(found)
        return _in_memory(OCTET_STREAM, values, token, run, tag, step, index, "heatmap", layer)

    def heatmap_array(self, run: str, tag: str, step: int, index: int, layer: str) -> np.ndarray:
        """A heatmap layer (`layer` "": a scalar image's own values) in its stored dtype."""
        chosen, _ = self._scalar_layer(run, tag, step, index, layer)
        try:
            return scalar_array(chosen)
        except ValueError as exc:
            raise NotFound(f"heatmap layer unreadable: {exc}") from None

    def _scalar_layer(
        self, run: str, tag: str, step: int, index: int, layer: str
    ) -> tuple[media_pb2.ScalarLayer, ItemLocation]:
        found = self._item(run, tag, step, index)
        if isinstance(found, tuple) or found.layout != LAYOUT_MEDIA_ITEM:
            raise NotFound(f"item {index} at step {step} of tag {tag!r} has no heatmaps")
        record, _ = self._record_header(found)
        names = [h.name for h in record.heatmaps]
        if layer == "":
            if not record.HasField("values"):
                raise NotFound(f"item {index} at step {step} of tag {tag!r} is not a scalar image")
            chosen = record.values
        elif layer in names:
            chosen = record.heatmaps[names.index(layer)]
        else:
            raise NotFound(f"item has no heatmap layer {layer!r}; layers: {names[:20]}")
        if (chosen.width, chosen.height) != (record.width, record.height):
            raise NotFound(
                f"heatmap layer unreadable: expected {record.width}x{record.height} values to "
                f"match its image, got {chosen.width}x{chosen.height}"
            )
        return chosen, found

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
        tensor = self.index.read(item.file_id, item.offset, item.length)
        return _decoded(text_of_tensor, tensor, "text summary")

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


def _decoded(decode: Callable[[bytes], Any], data: bytes, what: str) -> Any:
    try:
        return decode(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise NotFound(f"{what} unreadable: {exc}") from exc


def _plain(index: int, kind: str, fmt: str, **fields: Any) -> ItemMeta:
    """An item whose record says no more than `fields` (TensorBoard's own plugins)."""
    blank: dict[str, Any] = {
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
    }
    return ItemMeta(index=index, kind=kind, format=fmt, **{**blank, **fields})


def _describe_mesh(arrays: MeshArrays, index: int, key: str) -> ItemMeta:
    if arrays.faces is not None:
        size = len(binary_ply(arrays))
        return _plain(index, "object3d", "ply", mime=OCTET_STREAM, size=size, key=key)
    cloud = PointCloudMeta(
        num_points=len(arrays.positions),
        label_bytes=0,
        has_colors=arrays.colors is not None,
        class_labels=(),
        boxes=(),
        vectors=(),
    )
    size = arrays.positions.nbytes
    return _plain(index, "pointcloud", "", mime=OCTET_STREAM, size=size, key=key, point_cloud=cloud)


def _labels(labels: Iterable[media_pb2.ClassLabel]) -> tuple[ClassLabel, ...]:
    return tuple(ClassLabel(c.id, c.name, c.color or None) for c in labels)


def _rgb(color: bytes) -> tuple[int, ...] | None:
    return tuple(color[:3]) if len(color) >= 3 else None


def describe_record(
    index: int,
    record: media_pb2.MediaItem,
    data_length: int,
    mime: str,
    key: str,
    payload: bytes | None = None,
    location: ItemLocation | None = None,
) -> ItemMeta:
    """An item from its MediaItem record (read without its `data`); `mime` is the type its
    payload is served as, never the logged one."""
    cloud = None
    if record.HasField("point_cloud"):
        pc = record.point_cloud
        cloud = PointCloudMeta(
            num_points=pc.num_points,
            label_bytes=pc.label_bytes,
            has_colors=bool(pc.colors),
            class_labels=_labels(pc.class_labels),
            boxes=tuple(
                CloudBox(
                    center=tuple(b.center),
                    size=tuple(b.size),
                    rotation=tuple(b.rotation),
                    label=b.label,
                    score=b.score if b.HasField("score") else None,
                    color=_rgb(b.color),
                )
                for b in pc.boxes
            ),
            vectors=tuple(
                CloudVector(tuple(v.start), tuple(v.end), _rgb(v.color)) for v in pc.vectors
            ),
        )
    return ItemMeta(
        index=index,
        kind=record.kind,
        mime=mime,
        format=record.format,
        caption=record.caption,
        size=data_length,
        width=record.width,
        height=record.height,
        fps=record.fps,
        frames=record.frames,
        sample_rate=record.sample_rate,
        channels=record.channels,
        duration=record.duration,
        title=record.title,
        key=key,
        masks=tuple(
            MaskMeta(m.name, m.width, m.height, _labels(m.class_labels)) for m in record.masks
        ),
        boxes=tuple(
            BoxLayer(
                name=layer.name,
                domain=layer.domain or "fraction",
                class_labels=_labels(layer.class_labels),
                boxes=tuple(
                    Box(b.min_x, b.min_y, b.max_x, b.max_y, b.class_id, dict(b.scores), b.caption)
                    for b in layer.boxes
                ),
            )
            for layer in record.boxes
        ),
        point_cloud=cloud,
        heatmaps=tuple(
            m for m in (scalar_meta(h, record.width, record.height) for h in record.heatmaps) if m
        ),
        values=(
            scalar_meta(record.values, record.width, record.height)
            if record.HasField("values")
            else None
        ),
        payload=payload,
        location=location,
    )
