"""`tb-media-panel export`: logged media out of a logdir, through `mp.Reader`.

OUT's extension picks the output: `.gif`, `.mp4` (H.264) or `.webm` (VP9), one frame per
logged step; `.png`, a contact sheet of images with labelled rows and columns; `.zip`, the
payloads as stored with a `manifest.json` of their metadata.
"""

from __future__ import annotations

import bisect
import io
import json
import posixpath
import re
import sys
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tb_media_panel.media.image import encode_png
from tb_media_panel.media.video import encode_video, write_video
from tb_media_panel.reader import Item, Reader
from tb_media_panel.store import CorruptRecord

VIDEO_FORMATS = {".gif": "gif", ".mp4": "mp4", ".webm": "webm"}
OUTPUTS = (*VIDEO_FORMATS, ".png", ".zip")
AXES = ("run", "tag", "step", "index")
# File extensions of payload formats where they differ from the format's name
EXTENSIONS = {"jpeg": "jpg", "points": "npz", "": "bin"}
# Already compressed: stored as they are in the zip
COMPRESSED = {"png", "jpeg", "webp", "gif", "mp4", "webm", "mp3", "ogg", "flac", "glb"}
DECODE_AHEAD = 4  # frames decoded ahead of the encoder: a few frames of memory
SHEET_CELL_MAX = 256  # a contact sheet's cells fit images in this many pixels, aspect kept
SHEET_PAD = 4
SHEET_FONT_SIZE = 12
# The panel's defaults for masks and boxes (frontend/src/viewers/segmentation/), so that
# --overlay burns them in as a card shows them before any setting is changed.
PALETTE = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3",
    "#808000", "#ffd8b1", "#000075", "#a9a9a9",
)  # fmt: skip
MASK_OPACITY = 0.6
BACKGROUND_NAME = re.compile(r"(background|bg|void|unlabel(l)?ed|none|ignore)", re.IGNORECASE)
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
BOX_FONT_SIZE = 11


class ExportError(ValueError):
    """A selection that holds nothing to export, or that OUT cannot take."""


@dataclass(frozen=True)
class Selection:
    runs: Sequence[str] | None  # None: every run holding one of the tags
    tags: Sequence[str]
    index: int | None = None  # None: every item of a step
    step_min: int | None = None
    step_max: int | None = None

    def describe(self) -> str:
        runs = "every run" if self.runs is None else "run " + ", ".join(map(repr, self.runs))
        tags = ", ".join(map(repr, self.tags))
        low, high = ("" if s is None else s for s in (self.step_min, self.step_max))
        span = f"{low}:{high}"
        index = "" if self.index is None else f", index {self.index}"
        return f"tag {tags} of {runs}, steps {span}{index}"


def parse_steps(text: str) -> tuple[int | None, int | None]:
    """ "A:B" (inclusive, either side may be left out) or "S" -> (step_min, step_max)."""
    match = re.fullmatch(r"\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*", text)
    if not match or not (match.group(1) or match.group(3)) or (match.group(3) and not match.group(2)):
        raise ValueError(f"expected A:B, A: or :B with integer steps, or one step, got {text!r}")
    low = None if match.group(1) is None else int(match.group(1))
    high = low if not match.group(2) else None if match.group(3) is None else int(match.group(3))
    if low is not None and high is not None and low > high:
        raise ValueError(f"expected the first step at most the last, got {text!r}")
    return low, high


def select(reader: Reader, selection: Selection) -> list[Item]:
    """The selected items, by run, tag, step and index. A run named but without the tag, or a
    tag no run has, raises KeyError naming it."""
    runs = selection.runs
    if runs is None:
        runs = [r for r in reader.runs() if any(t in reader.tags(r) for t in selection.tags)]
        if not runs:
            raise KeyError(f"no run has the tag {', '.join(map(repr, selection.tags))}")
    found = []
    for run in runs:
        for tag in selection.tags:
            if selection.runs is None and tag not in reader.tags(run):
                continue
            for step in reader.steps(run, tag):
                if selection.step_min is not None and step < selection.step_min:
                    continue
                if selection.step_max is not None and step > selection.step_max:
                    break
                items = reader.items(run, tag, step)
                if selection.index is not None:
                    items = items[selection.index : selection.index + 1]
                found.extend(items)
    return found


def export(
    reader: Reader,
    selection: Selection,
    out: str | Path,
    fps: float = 4.0,
    grid: tuple[str, str] = ("run", "step"),
    overlay: bool = False,
    progress: bool | None = None,
) -> int:
    """Write the selection to `out`; the number of items written. `overlay`: frames and
    sheets with masks and boxes burned in, as the panel draws them."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUTS:
        raise ExportError(f"--to: expected a file ending in one of {', '.join(OUTPUTS)}, got {str(out)!r}")
    if not out.parent.is_dir():
        raise ExportError(f"--to: the folder {str(out.parent)!r} does not exist")
    items = select(reader, selection)
    if not items:
        raise ExportError(f"nothing to export: no items in {selection.describe()}")
    shown = _progress(items, progress)
    if suffix in VIDEO_FORMATS:
        out.write_bytes(video(items, VIDEO_FORMATS[suffix], fps, overlay, shown))
    elif suffix == ".zip":
        write_zip(out, shown, reader.logdir)
    else:
        contact_sheet(shown, grid, overlay).image.save(out, format="PNG")
    return len(items)


def video(
    items: Sequence[Item],
    fmt: str,
    fps: float = 4.0,
    overlay: bool = False,
    shown: Iterable[Item] | None = None,
) -> bytes:
    """The items (one run and tag, one a step) as a video file of one frame each, in "mp4",
    "webm" or "gif"; `shown`: the same items, with a progress bar. MP4 and WebM frames are
    decoded and encoded one at a time (memory of one frame, whatever the number of steps);
    a GIF's shared palette needs them all."""
    if len({(i.run, i.tag) for i in items}) > 1:
        raise ExportError("a video is made of one run and one tag: pick them with --run and --tag")
    steps = [i.step for i in items]
    if len(set(steps)) != len(steps):
        raise ExportError("a video has one frame per step: pick one item of each with --index")
    shown = items if shown is None else shown
    if fmt == "gif" or not all(i.width > 0 and i.height > 0 for i in items):
        frames = stack_frames(_frame(i, overlay) for i in shown)
        return encode_video(frames, fps, fmt)[0]
    # every frame at the top left of the largest, on black, as stack_frames places them
    height, width = max(i.height for i in items), max(i.width for i in items)
    frames = _ahead(lambda i: _place(_frame(i, overlay), height, width), shown)
    return write_video(frames, width, height, fps, fmt)[0]


def _ahead(decode: Callable[[Item], np.ndarray], items: Iterable[Item]) -> Iterator[np.ndarray]:
    """decode(item) for each item, up to DECODE_AHEAD of them decoded in a thread while the
    encoder works on the one before (PIL and FFmpeg release the GIL)."""
    with ThreadPoolExecutor(1, thread_name_prefix="tbmp-export") as pool:
        pending: deque[Future[np.ndarray]] = deque()
        for item in items:
            pending.append(pool.submit(decode, item))
            if len(pending) > DECODE_AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _frame(item: Item, overlay: bool) -> np.ndarray:
    """rgb_frame, with a payload that does not decode said as an ExportError naming it."""
    try:
        return rgb_frame(item, overlay)
    except ExportError:
        raise
    except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError, PyAV's errors
        raise ExportError(
            f"step {item.step} of tag {item.tag!r} of run {item.run!r} could not be decoded: {exc}"
        ) from None


def _progress(items: list[Item], shown: bool | None) -> Iterable[Item]:
    """The items, with a progress bar on a terminal."""
    if shown is None:
        shown = sys.stderr.isatty()
    if not shown:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="exporting", unit="item", file=sys.stderr)


# ---- frames ------------------------------------------------------------------------------


def rgb_frame(item: Item, overlay: bool = False) -> np.ndarray:
    """An image item (or a video's first frame) as HxWx3 uint8: grey repeated, 16-bit grey
    shifted to 8 bits, alpha composited over black; with `overlay`, its masks and boxes
    drawn over it."""
    if item.kind not in ("image", "video"):
        raise ExportError(
            f"step {item.step} of tag {item.tag!r} of run {item.run!r} is a {item.kind}; "
            "frames and contact sheets are made of images"
        )
    pixels = item.to_numpy()
    if item.kind == "video":
        pixels = pixels[0]
    if pixels.dtype != np.uint8:
        if pixels.dtype.kind == "b":
            pixels = pixels.astype(np.uint8) * np.uint8(255)
        elif pixels.dtype.kind in "ui" and pixels.dtype.itemsize == 2:
            pixels = (pixels.astype(np.uint16) >> 8).astype(np.uint8)
        else:  # 32-bit grey or float images: their finite range scaled to 0..255, NaN black
            values = pixels.astype(np.float64)
            finite = values[np.isfinite(values)]
            low = float(finite.min()) if finite.size else 0.0
            span = (float(finite.max()) - low if finite.size else 0.0) or 1.0
            scaled = (np.clip(values, low, low + span) - low) * (255 / span)
            pixels = np.round(np.nan_to_num(scaled)).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] in (2, 4):  # with alpha
        alpha = pixels[:, :, -1:].astype(np.uint16)
        pixels = (pixels[:, :, :-1].astype(np.uint16) * alpha // 255).astype(np.uint8)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return draw_overlay(item, pixels) if overlay and item.kind == "image" else pixels


# ---- overlay: masks and boxes as the panel draws them by default --------------------------


def hex_rgb(color: str) -> tuple[int, int, int]:
    n = int(color[1:7], 16)
    return (n >> 16) & 255, (n >> 8) & 255, n & 255


def default_class_color(class_id: int) -> tuple[int, int, int]:
    """The panel's colour of a class id: its palette, then a golden-angle hue walk."""
    if 0 <= class_id < len(PALETTE):
        return hex_rgb(PALETTE[class_id])
    import colorsys

    hue = (class_id * 0.618033988749895) % 1
    light = 0.45 + 0.15 * ((class_id >> 3) % 2)
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.75)
    return round(r * 255), round(g * 255), round(b * 255)


def merged_labels(meta: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """One label per class id over the mask and box layers: the first name given for it, and
    the first colour given for it (the panel's mergeLabels)."""
    merged: dict[int, dict[str, Any]] = {}
    layers = [*meta["masks"], *meta["boxes"]]
    for label in (c for layer in layers for c in layer["class_labels"]):
        seen = merged.setdefault(label["id"], {"name": label["name"], "color": label["color"]})
        if not seen["color"] and label["color"]:
            seen["color"] = label["color"]
    return merged


def class_color(class_id: int, labels: dict[int, dict[str, Any]]) -> tuple[int, int, int]:
    logged = labels.get(class_id, {}).get("color")
    return hex_rgb(logged) if logged and HEX_COLOR.fullmatch(logged) else default_class_color(class_id)


def is_background(class_id: int, labels: dict[int, dict[str, Any]]) -> bool:
    """Class 0 is hidden when its label says background, or when it alone is unnamed."""
    if class_id != 0:
        return False
    if 0 in labels:
        return BACKGROUND_NAME.fullmatch(labels[0]["name"].strip()) is not None
    return bool(labels)


def draw_overlay(item: Item, pixels: np.ndarray) -> np.ndarray:
    """Every mask layer blended over the image at the panel's opacity (background hidden),
    then every box layer: outlines in class colours (dashed on odd layers) with captions."""
    from PIL import Image, ImageDraw, ImageFont

    meta = item.metadata
    labels = merged_labels(meta)
    out = pixels.astype(np.float64)
    for ids in item.masks.values():
        present = np.unique(ids)
        table = np.zeros((int(present.max(initial=0)) + 1, 4))
        for class_id in present.tolist():
            if not is_background(class_id, labels):
                table[class_id] = (*class_color(class_id, labels), MASK_OPACITY)
        layer = table[ids]
        alpha = layer[:, :, 3:]
        out = layer[:, :, :3] * alpha + out * (1 - alpha)
    image = Image.fromarray(np.round(out).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=BOX_FONT_SIZE)
    width = 1 if min(image.size) < 128 else 2  # the panel's thin borders on small cells
    for layer_index, layer in enumerate(meta["boxes"]):
        names = {c["id"]: c["name"] for c in (layer["class_labels"] or [])} or {
            i: label["name"] for i, label in labels.items()
        }
        for box in layer["boxes"]:
            sx, sy = (image.width, image.height) if layer["domain"] == "fraction" else (1, 1)
            x0, x1 = sorted((box["min_x"] * sx, box["max_x"] * sx))
            y0, y1 = sorted((box["min_y"] * sy, box["max_y"] * sy))
            rect = (round(x0), round(y0), max(round(x0), round(x1) - 1), max(round(y0), round(y1) - 1))
            color = class_color(box["class_id"], labels)
            _outline(draw, rect, color, width, dashed=layer_index % 2 == 1)
            caption = box["caption"] or _box_label(
                box, names.get(box["class_id"], f"class {box['class_id']}")
            )
            _caption(draw, rect, caption, color, font)
    return np.asarray(image)


def _box_label(box: dict[str, Any], class_name: str) -> str:
    scores = list(box["scores"].values())
    return f"{class_name} {scores[0]:.2f}" if scores else class_name


def _outline(draw: Any, rect: tuple[int, int, int, int], color: Any, width: int, dashed: bool) -> None:
    if not dashed:
        draw.rectangle(rect, outline=color, width=width)
        return
    x0, y0, x1, y1 = rect
    for edge in (((x0, y0), (x1, y0)), ((x0, y1), (x1, y1)), ((x0, y0), (x0, y1)), ((x1, y0), (x1, y1))):
        (ax, ay), (bx, by) = edge
        length = max(abs(bx - ax), abs(by - ay))
        for start in range(0, length + 1, 10):  # 6 on, 4 off
            stop = min(start + 6, length)
            t0, t1 = start / max(length, 1), stop / max(length, 1)
            segment = (ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1)
            draw.line(segment, fill=color, width=width)


def _caption(draw: Any, rect: tuple[int, int, int, int], text: str, color: Any, font: Any) -> None:
    """Above the box, or inside its top when there is no room above (the panel's first spots)."""
    x0, y0, _, _ = rect
    height = BOX_FONT_SIZE + 3
    top = y0 - height if y0 - height >= 0 else y0
    width = draw.textlength(text, font=font) + 6
    draw.rectangle((x0, top, x0 + width, top + height - 1), fill=color)
    r, g, b = color
    ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "white"
    draw.text((x0 + 3, top + 1), text, fill=ink, font=font)


def stack_frames(frames: Iterable[np.ndarray]) -> np.ndarray:
    """Frames of any sizes as one TxHxWx3 array: each at the top left of the largest, on black."""
    frames = list(frames)
    height = max(f.shape[0] for f in frames)
    width = max(f.shape[1] for f in frames)
    return np.stack([_place(f, height, width) for f in frames])


def _place(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    """`frame` at the top left of a black height x width frame (cut if larger)."""
    if frame.shape[:2] == (height, width):
        return frame
    out = np.zeros((height, width, 3), dtype=np.uint8)
    part = frame[:height, :width]
    out[: part.shape[0], : part.shape[1]] = part
    return out


# ---- zip ---------------------------------------------------------------------------------


def _component(name: str) -> str:
    """A path component of a run or tag name safe to extract anywhere: no `..`, no drive or
    separator tricks, no control characters."""
    cleaned = re.sub(r"[\x00-\x1f\x7f\\:*?\"<>|]", "_", name).strip()
    return "_" if cleaned in ("", ".", "..") else cleaned


def item_path(item: Item) -> str:
    """run/tag/step-index.ext inside the zip (run and tag keep their `/` levels)."""
    parts = [_component(p) for p in f"{item.run}/{item.tag}".split("/")]
    ext = EXTENSIONS.get(item.format, item.format)
    if item.kind == "pointcloud":
        ext = "npz"
    elif item.format == "scalar":  # a scalar image's values, as logged
        ext = "npy"
    return posixpath.join(*parts, f"{item.step}-{item.index}.{ext}")


def write_zip(out: Path, items: Iterable[Item], logdir: str) -> None:
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w") as archive:

        def add(name: str, data: bytes, fmt: str) -> None:
            method = zipfile.ZIP_STORED if fmt in COMPRESSED else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)

        used: set[str] = set()
        for item in items:
            path = item_path(item)
            while path in used:  # run "a/b" tag "c" and run "a" tag "b/c", or names made safe
                base, ext = path.rsplit(".", 1)
                path = f"{base}~.{ext}"
            used.add(path)
            if item.kind == "pointcloud":
                add(path, _points_npz(item), "")
            elif item.format == "scalar":
                add(path, _npy(item.to_numpy()), "")
            else:
                add(path, item.bytes, item.format)
            entry = {
                "path": path,
                "run": item.run,
                "tag": item.tag,
                "step": item.step,
                "wall_time": item.wall_time,
                "source": item.source,
                **item.metadata,
            }
            for layer, ids in item.masks.items():
                mask_path = f"{path.rsplit('.', 1)[0]}.mask.{_component(layer)}.png"
                add(mask_path, encode_png(ids.astype(np.uint8) if ids.max(initial=0) < 256 else ids), "png")
                next(m for m in entry["masks"] if m["name"] == layer)["path"] = mask_path
            for layer, values in item.heatmaps.items():
                heatmap_path = f"{path.rsplit('.', 1)[0]}.heatmap.{_component(layer)}.npy"
                add(heatmap_path, _npy(values), "")
                next(h for h in entry["heatmaps"] if h["name"] == layer)["path"] = heatmap_path
            manifest.append(entry)
        archive.writestr(
            "manifest.json", json.dumps({"logdir": logdir, "items": manifest}, indent=1, allow_nan=False)
        )


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _points_npz(item: Item) -> bytes:
    cloud = item.point_cloud
    arrays = {"positions": cloud.positions}
    if cloud.colors is not None:
        arrays["colors"] = cloud.colors
    if cloud.labels is not None:
        arrays["labels"] = cloud.labels
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


# ---- contact sheet -----------------------------------------------------------------------


@dataclass
class ContactSheet:
    image: Any  # PIL.Image.Image
    rows: list[str]  # row labels, top to bottom
    columns: list[str]  # column labels, left to right
    cells: dict[tuple[int, int], tuple[int, int, int, int]]  # (row, column) -> left, top, width, height


def _axis_value(item: Item, axis: str) -> Any:
    return {"run": item.run, "tag": item.tag, "step": item.step, "index": item.index}[axis]


def _label(axis: str, value: Any) -> str:
    return str(value) if axis in ("run", "tag") else f"{axis} {value}"


def contact_sheet(items: Iterable[Item], grid: tuple[str, str], overlay: bool = False) -> ContactSheet:
    """Images laid out with one axis down (rows) and one across (columns), each cell the
    first item at its place, scaled down to fit SHEET_CELL_MAX pixels (never up)."""
    from PIL import Image, ImageDraw, ImageFont

    row_axis, column_axis = grid
    cells: dict[tuple[Any, Any], np.ndarray] = {}
    for item in items:
        key = (_axis_value(item, row_axis), _axis_value(item, column_axis))
        if key not in cells:
            cells[key] = rgb_frame(item, overlay)
    row_values = sorted({k[0] for k in cells}, key=_order)
    column_values = sorted({k[1] for k in cells}, key=_order)
    tiles = {k: _fit(Image.fromarray(v), SHEET_CELL_MAX) for k, v in cells.items()}
    cell_w = max(t.width for t in tiles.values())
    cell_h = max(t.height for t in tiles.values())
    font = ImageFont.load_default(size=SHEET_FONT_SIZE)
    rows = [_label(row_axis, v) for v in row_values]
    columns = [_label(column_axis, v) for v in column_values]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_w = max(measure.textlength(t, font=font) for t in rows) + 2 * SHEET_PAD
    header_h = SHEET_FONT_SIZE + 2 * SHEET_PAD
    left, top = int(np.ceil(label_w)), header_h
    width = left + len(columns) * (cell_w + SHEET_PAD) + SHEET_PAD
    height = top + len(rows) * (cell_h + SHEET_PAD) + SHEET_PAD
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    placed = {}
    for c, text in enumerate(columns):
        x = left + SHEET_PAD + c * (cell_w + SHEET_PAD)
        draw.text((x, SHEET_PAD), _fit_text(draw, text, font, cell_w), fill="black", font=font)
    for r, text in enumerate(rows):
        y = top + SHEET_PAD + r * (cell_h + SHEET_PAD)
        draw.text((SHEET_PAD, y), text, fill="black", font=font)
        for c, column_value in enumerate(column_values):
            tile = tiles.get((row_values[r], column_value))
            if tile is None:
                continue  # nothing logged there
            x = left + SHEET_PAD + c * (cell_w + SHEET_PAD)
            sheet.paste(tile, (x, y))
            placed[(r, c)] = (x, y, tile.width, tile.height)
    return ContactSheet(sheet, rows, columns, placed)


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))


def _fit(image: Any, size: int) -> Any:
    scale = min(1.0, size / max(image.width, image.height))
    if scale == 1.0:
        return image
    from PIL import Image

    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(target, Image.Resampling.LANCZOS)


def _fit_text(draw: Any, text: str, font: Any, width: int) -> str:
    """A column label cut (with …) to its column's width."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def parse_grid(text: str) -> tuple[str, str]:
    axes = tuple(a.strip() for a in text.split(","))
    if len(axes) != 2 or axes[0] == axes[1] or any(a not in AXES for a in axes):
        raise ValueError(f"expected two different axes of {', '.join(AXES)}, as run,step; got {text!r}")
    return axes[0], axes[1]


# ---- the panel's "Export as video" (the plugin's /export_video route) --------------------

# A request encodes at most this many frames, and this many pixels over all of them: about
# 10 s of encoding on one loaded core. 1,000 steps of 256x256 images fit; zoom the timeline
# (the row's steps are its window) for more.
MAX_PANEL_STEPS = 1000
MAX_PANEL_PIXELS = 256 << 20
VIDEO_KINDS = ("image", "video")


def panel_video(
    reader: Reader,
    run: str,
    tag: str,
    index: int = 0,
    step_min: int | None = None,
    step_max: int | None = None,
    overlay: bool = False,
    fps: float = 4.0,
) -> tuple[bytes, str]:
    """An MP4 of item `index` of (run, tag) at every logged step from step_min to step_max,
    and a file name for it. Unknown names raise KeyError; a selection over the bounds, of
    another kind than images or videos, or with nothing in it, ExportError saying so."""
    kind = reader.tags(run).get(tag)
    if kind is None:
        reader.steps(run, tag)  # raises the reader's KeyError naming the tag
    if kind not in VIDEO_KINDS:
        raise ExportError(
            f"tag {tag!r} of run {run!r} holds {kind} items; a video is made of images or videos"
        )
    steps = reader.steps(run, tag)
    first = 0 if step_min is None else bisect.bisect_left(steps, step_min)
    stop = len(steps) if step_max is None else bisect.bisect_right(steps, step_max)
    span = Selection([run], [tag], index, step_min, step_max).describe()
    if stop - first > MAX_PANEL_STEPS:
        raise ExportError(
            f"steps: at most {MAX_PANEL_STEPS} steps a video, got {stop - first} in {span}; "
            "pick fewer steps (zoom the timeline)"
        )
    try:
        return _panel_video(reader, run, tag, index, steps[first:stop], span, overlay, fps)
    except CorruptRecord as exc:  # the reader's message names the file: an HTTP answer must not
        raise CorruptRecord(
            f"a damaged record (at offset {exc.offset} of its event file) in {span}; "
            "it is not exported",
            exc.path,
            exc.offset,
        ) from None


def _panel_video(
    reader: Reader, run: str, tag: str, index: int, steps: list[int], span: str, overlay: bool, fps: float
) -> tuple[bytes, str]:
    items = [i for s in steps for i in reader.items(run, tag, s)[index : index + 1]]
    if not items:
        raise ExportError(f"nothing to export: no items in {span}")
    pixels = len(items) * max(i.width for i in items) * max(i.height for i in items)
    if pixels > MAX_PANEL_PIXELS:
        raise ExportError(
            f"steps: at most {MAX_PANEL_PIXELS:,} pixels over all frames, got {pixels:,} "
            f"({len(items)} frames of up to {max(i.width for i in items)}x"
            f"{max(i.height for i in items)}) in {span}; pick fewer steps"
        )
    data = video(items, "mp4", fps, overlay)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{run}-{tag}-{items[0].step}-{items[-1].step}").strip("._")
    return data, f"{name[:120] or 'export'}.mp4"
