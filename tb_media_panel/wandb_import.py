"""W&B runs and W&B data-type objects as our media.

`import_run(path, logdir)` reads a W&B run directory (`wandb/run-*` or `wandb/offline-run-*`)
from its own files, without the `wandb` package: the `.wandb` record log (a LevelDB-style log
of protobuf `Record`s, walked with our wire decoder) and the media under `files/`. It writes the
run's media and its scalars into `logdir/<run name>`.

`from_wandb(obj)` converts a `wandb.Image` / `Video` / `Audio` / `Object3D` / `Molecule` /
`Html` (or a list of them) to mp media; `mp.log` and `mp.Writer.add` call it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from tb_media_panel import summary
from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import EventFileWriter, summary_event_chunks
from tb_media_panel.media.audio import Audio
from tb_media_panel.media.base import Media, describe
from tb_media_panel.media.html import Html
from tb_media_panel.media.image import Boxes, Image, Mask
from tb_media_panel.media.molecule import Molecule
from tb_media_panel.media.object3d import Object3D
from tb_media_panel.media.pointcloud import Box3D, PointCloud
from tb_media_panel.media.video import Video
from tb_media_panel.store import wire

# The log's file header: ident ":W&B", magic 0xBEE1 (little-endian), version 0.
FILE_HEADER = b":W&B\xe1\xbe\x00"
BLOCK = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")  # CRC-32 (IEEE) of type byte + data, length, chunk type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
# A record is one history row or config update; one this large is not a W&B record.
MAX_RECORD_BYTES = 64 << 20
MAX_KEY_DEPTH = 32  # of a nested key; deeper values are not media or scalars W&B logs

# Field numbers of wandb/proto/wandb_internal.proto that the import reads.
RECORD_HISTORY, RECORD_CONFIG, RECORD_RUN = 2, 5, 17
HISTORY_ITEM, HISTORY_STEP = 1, 2
ITEM_KEY, ITEM_NESTED_KEY, ITEM_VALUE_JSON = 1, 2, 16
RUN_ID, RUN_CONFIG, RUN_DISPLAY_NAME = 1, 4, 8

# wandb.Html prepends this to every page; its stylesheet is on W&B's servers.
WANDB_HTML_PREFIX = (
    '<base target="_blank"><link rel="stylesheet" type="text/css" '
    'href="https://app.wandb.ai/normalize.css" />'
)
# The list entries of each W&B sequence type, where the entries are full dicts.
SEQUENCE_ENTRIES = {"audio": "audio", "html": "html", "object3D": "objects", "videos": "videos"}


class WandbRunError(ValueError):
    """The path is not a readable W&B run directory."""


@dataclass
class Run:
    """What the import reads from one run's record log."""

    run_id: str = ""
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    skipped_bytes: int = 0  # chunks whose CRC failed or that a crash cut off


@dataclass
class ImportResult:
    run_dir: str
    media: int = 0  # (tag, step) records of media written
    scalars: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # key -> why
    damaged_bytes: int = 0  # of the record log: chunks whose checksum failed, a cut-off tail


# -- the record log ---------------------------------------------------------------------------


def records(stream: BinaryIO, skipped: list[int] | None = None) -> Iterator[bytes]:
    """The records of a `.wandb` log. A chunk whose CRC fails drops the record it belongs to
    and the rest of its block (as LevelDB's reader does); a cut-off tail ends the log."""
    if stream.read(len(FILE_HEADER)) != FILE_HEADER:
        raise WandbRunError("expected a W&B record log starting with ':W&B', got another file")
    offset = len(FILE_HEADER)
    pending: bytearray | None = None
    while True:
        block = stream.read(BLOCK - offset % BLOCK)
        if not block:
            return
        pos = 0
        while pos + CHUNK_HEADER.size <= len(block):
            crc, length, kind = CHUNK_HEADER.unpack_from(block, pos)
            start = pos + CHUNK_HEADER.size
            data = block[start : start + length]
            if kind == 0 and length == 0:  # zero padding at a block's end
                break
            if len(data) < length or zlib.crc32(bytes([kind]) + data) != crc:
                if skipped is not None:
                    skipped.append(len(block) - pos)
                pending = None
                break
            pos = start + length
            if kind == FULL:
                pending = None
                yield data
            elif kind == FIRST:
                pending = bytearray(data)
            elif kind in (MIDDLE, LAST) and pending is not None:
                pending += data
                if len(pending) > MAX_RECORD_BYTES:
                    pending = None
                elif kind == LAST:
                    yield bytes(pending)
                    pending = None
        offset += len(block)


def _spans(buf: bytes, start: int, end: int, number: int) -> Iterator[tuple[int, int]]:
    for num, wire_type, value, _ in wire.fields(buf, start, end):
        if num == number and wire_type == wire.LENGTH_DELIMITED:
            yield value


def _text(buf: bytes, span: tuple[int, int]) -> str:
    return buf[span[0] : span[1]].decode("utf-8", "replace")


def _items(buf: bytes, start: int, end: int) -> Iterator[tuple[list[str], Any]]:
    """(key path, value) of the HistoryItem / ConfigItem messages in a span; W&B writes a
    nested value either whole under `key` or leaf by leaf under `nested_key` paths."""
    for item in _spans(buf, start, end, HISTORY_ITEM):  # ConfigRecord.update is field 1 too
        key = ""
        nested: list[str] = []
        value_json = ""
        for num, wire_type, value, _ in wire.fields(buf, *item):
            if wire_type != wire.LENGTH_DELIMITED:
                continue
            if num == ITEM_KEY:
                key = _text(buf, value)
            elif num == ITEM_NESTED_KEY:
                nested.append(_text(buf, value))
            elif num == ITEM_VALUE_JSON:
                value_json = _text(buf, value)
        path = [key] if key else nested
        if path and len(path) <= MAX_KEY_DEPTH and value_json:
            try:
                yield path, json.loads(value_json)
            except (json.JSONDecodeError, RecursionError):
                continue


def _assign(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[path[-1]] = value


def _bodies(log_path: Path, skipped: list[int] | None = None) -> Iterator[tuple[bytes, int, tuple[int, int]]]:
    """(record, field number, span) of each record's message field."""
    with open(log_path, "rb") as stream:
        for record in records(stream, skipped):
            try:
                found = [
                    (num, span) for num, wire_type, span, _ in wire.fields(record, 0, len(record))
                    if wire_type == wire.LENGTH_DELIMITED
                ]
            except wire.WireError:
                if skipped is not None:
                    skipped.append(len(record))
                continue
            for num, span in found:
                yield record, num, span


def read_run(log_path: Path) -> Run:
    """The run's id, name and config: a first pass over the log, history rows left unparsed."""
    run = Run()
    skipped: list[int] = []
    for buf, num, span in _bodies(log_path, skipped):
        try:
            if num == RECORD_CONFIG:
                for path, value in _items(buf, *span):
                    _assign(run.config, path, value)
            elif num == RECORD_RUN:
                for rnum, rtype, rspan, _ in wire.fields(buf, *span):
                    if rtype != wire.LENGTH_DELIMITED:
                        continue
                    if rnum == RUN_ID:
                        run.run_id = _text(buf, rspan)
                    elif rnum == RUN_DISPLAY_NAME:
                        run.name = _text(buf, rspan)
                    elif rnum == RUN_CONFIG:
                        for path, value in _items(buf, *rspan):
                            _assign(run.config, path, value)
        except wire.WireError:
            skipped.append(span[1] - span[0])
    run.skipped_bytes = sum(skipped)
    return run


def history(log_path: Path) -> Iterator[dict[str, Any]]:
    """The history rows, one at a time (a long run has millions), as nested dicts."""
    for buf, num, span in _bodies(log_path):
        if num != RECORD_HISTORY:
            continue
        row: dict[str, Any] = {}
        try:
            for path, value in _items(buf, *span):
                _assign(row, path, value)
            for step_span in _spans(buf, *span, HISTORY_STEP):
                for snum, stype, svalue, _ in wire.fields(buf, *step_span):
                    if snum == 1 and stype == wire.VARINT:
                        row.setdefault("_step", wire.as_int64(svalue))
        except wire.WireError:
            continue
        yield row


# -- W&B media entries -> our media ------------------------------------------------------------

# A W&B media entry's path -> a local file (the run's files/ dir, or a wandb object's temp file).
Resolve = Callable[[str], Path]


def _class_labels(labels: Any) -> dict[int, str] | None:
    if not isinstance(labels, dict) or not labels:
        return None
    return {int(k): str(v) for k, v in labels.items()}


def _image(
    entry: dict[str, Any], resolve: Resolve, masks: Any, boxes: Any,
    mask_labels: Callable[[str], Any], caption: Any,
) -> Image:
    from PIL import Image as PILImage

    layers: dict[str, Mask] = {}
    for name, mask in (masks or {}).items():
        if isinstance(mask, dict) and mask.get("path"):
            with PILImage.open(resolve(mask["path"])) as picture:
                ids = np.asarray(picture)
            labels = _class_labels(mask.get("class_labels") or mask_labels(name))
            layers[name] = Mask(ids, labels)
    box_layers: dict[str, Boxes] = {}
    for name, layer in (boxes or {}).items():
        if not isinstance(layer, dict):
            continue
        if "box_data" not in layer and layer.get("path"):
            layer = json.loads(resolve(layer["path"]).read_text())
        box_data = layer.get("box_data") or []
        if len({b.get("domain") == "pixel" for b in box_data if isinstance(b, dict)}) > 1:
            box_data = _fractions(box_data, resolve(entry["path"]))
        box_layers[name] = Boxes(box_data, _class_labels(layer.get("class_labels")))
    return Image(
        str(resolve(entry["path"])), caption=caption or None, masks=layers or None,
        boxes=box_layers or None,
    )


def _fractions(box_data: list[Any], image: Path) -> list[Any]:
    """W&B lets each box pick its domain; our layer has one, so pixel boxes become fractions."""
    from PIL import Image as PILImage

    with PILImage.open(image) as picture:
        width, height = picture.size
    result = []
    for box in box_data:
        if isinstance(box, dict) and box.get("domain") == "pixel":
            position = dict(box["position"])
            for key, scale in (("minX", width), ("maxX", width), ("minY", height), ("maxY", height),
                               ("min_x", width), ("max_x", width), ("min_y", height),
                               ("max_y", height), ("width", width), ("height", height)):
                if key in position:
                    position[key] = position[key] / scale
            if "middle" in position:
                position["middle"] = [position["middle"][0] / width, position["middle"][1] / height]
            box = {**box, "position": position, "domain": "fraction"}
        result.append(box)
    return result


def _box3d(box: dict[str, Any]) -> Box3D:
    """A W&B box (8 corners) as an oriented box: its edges from one corner are the three
    mutually orthogonal vectors to the other corners."""
    corners = np.asarray(box["corners"], dtype=np.float64)
    if corners.shape != (8, 3):
        raise ValueError(f"boxes[].corners: expected 8 (x, y, z) corners, got shape {corners.shape}")
    vectors = corners[1:] - corners[0]
    norms = np.linalg.norm(vectors, axis=1)
    unit = vectors / np.where(norms > 0, norms, 1.0)[:, None]

    def skew(t: tuple[int, ...]) -> float:
        a, b, c = (unit[i] for i in t)
        return abs(a @ b) + abs(a @ c) + abs(b @ c)

    edges = min(itertools.combinations(range(7), 3), key=skew)
    axes = unit[list(edges)].T
    if np.linalg.det(axes) < 0:
        axes[:, 2] = -axes[:, 2]
    color = box.get("color")
    return Box3D(
        corners.mean(axis=0), norms[list(edges)], _quaternion(axes),
        label=str(box["label"]) if box.get("label") is not None else None,
        score=box.get("score"), color=color,
    )


def _quaternion(m: np.ndarray) -> tuple[float, float, float, float]:
    """(w, x, y, z) of a rotation matrix."""
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        return (0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s)
    i = int(np.argmax(np.diag(m)))
    j, k = (i + 1) % 3, (i + 2) % 3
    s = math.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k]) * 2
    q = [0.0, 0.0, 0.0, 0.0]
    q[0] = (m[k, j] - m[j, k]) / s
    q[1 + i] = 0.25 * s
    q[1 + j] = (m[j, i] + m[i, j]) / s
    q[1 + k] = (m[k, i] + m[i, k]) / s
    return (q[0], q[1], q[2], q[3])


def _point_cloud(scene: dict[str, Any], caption: Any) -> PointCloud:
    points = np.asarray(scene.get("points", []), dtype=np.float64)
    if points.ndim == 2 and points.shape[1] == 4:
        # W&B's fourth column is a category; ours is an integer class id.
        if not np.all(points[:, 3] == np.round(points[:, 3])):
            raise ValueError("points: expected integer categories in column 4 of an Nx4 point cloud")
        return PointCloud(
            points[:, :3], labels=points[:, 3].astype(np.int64),
            boxes=[_box3d(b) for b in scene.get("boxes") or []] or None,
            vectors=_vectors(scene), caption=caption or None,
        )
    return PointCloud(
        points, boxes=[_box3d(b) for b in scene.get("boxes") or []] or None,
        vectors=_vectors(scene), caption=caption or None,
    )


def _vectors(scene: dict[str, Any]) -> list[Any] | None:
    vectors = [
        (v["start"], v["end"], v["color"]) if v.get("color") else (v["start"], v["end"])
        for v in scene.get("vectors") or []
    ]
    return vectors or None


def entry_media(
    entry: dict[str, Any], resolve: Resolve, mask_labels: Callable[[str], Any] = lambda _: None,
    masks: Any = None, boxes: Any = None, caption: Any = None,
) -> Media:
    """One W&B media entry (`{"_type": "image-file", "path": ..., ...}`) as our media."""
    kind = entry.get("_type")
    caption = entry.get("caption") if caption is None else caption
    caption = caption if isinstance(caption, str) and caption else None
    if kind == "image-file":
        return _image(entry, resolve, entry.get("masks", masks), entry.get("boxes", boxes),
                      mask_labels, caption)
    path = resolve(entry["path"])
    if kind == "video-file":
        return Video(str(path), caption=caption)
    if kind == "audio-file":
        return Audio(str(path), caption=caption)
    if kind == "molecule-file":
        return Molecule(str(path), caption=caption)
    if kind == "html-file":
        text = path.read_text(encoding="utf-8", errors="replace")
        return Html(text.removeprefix(WANDB_HTML_PREFIX), caption=caption)
    if kind == "object3D-file":
        if path.name.endswith(".pts.json"):
            return _point_cloud(json.loads(path.read_text()), caption)
        return Object3D(str(path), caption=caption)
    raise ValueError(f"entry: expected a W&B media file entry, got _type {kind!r}")


def value_media(
    value: dict[str, Any], resolve: Resolve, mask_labels: Callable[[str], Any]
) -> list[Media] | None:
    """A history value as our media: one entry or a W&B sequence; None for other values."""
    kind = value.get("_type")
    if not isinstance(kind, str):
        return None
    if kind.endswith("-file"):
        return [entry_media(value, resolve, mask_labels)]
    captions = value.get("captions") or []
    if kind == "images/separated":
        all_masks = value.get("all_masks") or []
        all_boxes = value.get("all_boxes") or []
        return [
            entry_media(
                {"_type": "image-file", "path": name}, resolve, mask_labels,
                masks=all_masks[i] if i < len(all_masks) else None,
                boxes=all_boxes[i] if i < len(all_boxes) else None,
                caption=captions[i] if i < len(captions) else None,
            )
            for i, name in enumerate(value.get("filenames") or [])
        ]
    if kind in SEQUENCE_ENTRIES:
        return [entry_media(e, resolve, mask_labels) for e in value.get(SEQUENCE_ENTRIES[kind]) or []]
    if kind == "molecule":
        return [
            entry_media({"_type": "molecule-file", "path": name}, resolve,
                        caption=captions[i] if i < len(captions) else None)
            for i, name in enumerate(value.get("filenames") or [])
        ]
    return None


# -- wandb objects ------------------------------------------------------------------------------

_WANDB_FILE_TYPES = {
    "Video": "video-file", "Audio": "audio-file", "Object3D": "object3D-file",
    "Molecule": "molecule-file", "Html": "html-file",
}


def from_wandb(value: Any) -> list[Media]:
    """A wandb data-type object, or a list of them, as our media (no `wandb` import needed:
    every one keeps its encoded file at `_path`)."""
    objects = list(value) if isinstance(value, (list, tuple)) else [value]
    result = []
    for i, obj in enumerate(objects):
        name = type(obj).__name__
        path = getattr(obj, "_path", None)
        where = f"media_or_list[{i}]" if isinstance(value, (list, tuple)) else "media_or_list"
        if not isinstance(path, str) or not (name == "Image" or name in _WANDB_FILE_TYPES):
            raise TypeError(
                f"{where}: expected a wandb.Image, Video, Audio, Object3D, Molecule or Html "
                f"with its file, got {describe(obj)}"
            )
        caption = getattr(obj, "_caption", None)
        if name != "Image":
            result.append(entry_media({"_type": _WANDB_FILE_TYPES[name], "path": path},
                                      Path, caption=caption))
            continue
        masks = {
            layer: {"path": m._path, "class_labels": m._val.get("class_labels")}
            for layer, m in (getattr(obj, "_masks", None) or {}).items()
        }
        boxes = {
            layer: {"box_data": b._val, "class_labels": b._class_labels}
            for layer, b in (getattr(obj, "_boxes", None) or {}).items()
        }
        result.append(entry_media({"_type": "image-file", "path": path}, Path,
                                  masks=masks, boxes=boxes, caption=caption))
    return result


# -- the import ---------------------------------------------------------------------------------


def run_log(path: Path) -> Path:
    logs = sorted(path.glob("run-*.wandb")) + sorted(path.glob("*.wandb"))
    if not path.is_dir() or not logs:
        raise WandbRunError(
            f"PATH: expected a W&B run directory (wandb/run-* or wandb/offline-run-*) holding a "
            f"run-*.wandb file, got {str(path)!r}"
        )
    return logs[0]


def _resolver(files: Path) -> Resolve:
    root = files.resolve()

    def resolve(relative: str) -> Path:
        # Paths come from the run's log: they must stay inside its files/ directory.
        target = (root / str(relative)).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise ValueError(f"path: expected a file under {root}, got {relative!r}")
        return target

    return resolve


def run_dir_name(run: Run, path: Path) -> str:
    name = run.name or run.run_id or path.name
    return re.sub(r"[^\w.@+=-]+", "_", name).strip("._") or "run"


def _scalar(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _flatten(row: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    for key, value in row.items():
        if isinstance(value, dict) and "_type" not in value:
            if depth < MAX_KEY_DEPTH:
                yield from _flatten(value, f"{prefix}{key}/", depth + 1)
        else:
            yield prefix + key, value


def import_run(path: str | Path, logdir: str) -> ImportResult:
    """Write a W&B run's media and scalars into `logdir/<run name>`."""
    path = Path(path)
    log = run_log(path)
    run = read_run(log)
    resolve = _resolver(path / "files")
    labels = (run.config.get("_wandb") or {}).get("mask/class_labels") or {}
    if isinstance(labels, dict) and "value" in labels and isinstance(labels["value"], dict):
        labels = labels["value"]  # a synced run's config keeps each key's value under "value"
    result = ImportResult(logdir.rstrip("/") + "/" + run_dir_name(run, path), damaged_bytes=run.skipped_bytes)
    writer = EventFileWriter(result.run_dir)
    try:
        for index, row in enumerate(history(log)):
            step = row.get("_step", index)
            step = step if isinstance(step, int) and 0 <= step < 1 << 63 else index
            wall_time = row.get("_timestamp") if _scalar(row.get("_timestamp")) else 0.0
            values = []
            for tag, value in _flatten(row):
                if tag.startswith("_"):
                    continue
                if _scalar(value):
                    values.append(summary_pb2.Summary.Value(tag=tag, simple_value=float(value)))
                    result.scalars += 1
                elif isinstance(value, dict):
                    def mask_labels(layer: str, key: str = tag) -> Any:
                        entry = labels.get(f"{key}_wandb_delimeter_{layer}") or {}
                        return entry.get("value") if isinstance(entry, dict) else None

                    try:
                        media = value_media(value, resolve, mask_labels)
                    except (ValueError, TypeError, KeyError, OSError) as exc:
                        result.skipped[tag] = f"step {step}: {exc}"
                        continue
                    if media is None:
                        result.skipped[tag] = f"W&B type {value.get('_type')!r} has no media kind here"
                    elif media:
                        writer.write_chunks(summary_event_chunks(
                            float(wall_time), step, tag, summary.metadata_bytes(),
                            summary.encode(media)))
                        result.media += 1
            if values:
                writer.write_event(event_pb2.Event(
                    wall_time=float(wall_time), step=step, summary=summary_pb2.Summary(value=values)))
    finally:
        writer.close()
    return result
