"""`mp.Reader`: logged media back as bytes, arrays and metadata, for notebooks and scripts.

    r = mp.Reader("runs")
    for item in r.items("exp1", "samples", r.steps("exp1", "samples")[-1]):
        pixels = item.to_numpy()

A thin layer over the panel's own store (`store.LogdirIndex` and its query layer
`store.MediaReader`): the same runs, tags and steps the panel shows, the same typed item
descriptions (`store.ItemMeta`), payloads, mask class ids and point arrays its routes serve.
Only decoding a payload into an array (PIL, PyAV, `wave`) is done here, because the panel
leaves that to the browser.
"""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tb_media_panel import http_json
from tb_media_panel.store import CorruptRecord, ItemMeta, LogdirIndex, MediaReader, NotFound, StepItems
from tb_media_panel.store.formats import PNG_SIGNATURE
from tb_media_panel.store.results import ClassLabel
from tb_media_panel.store.series import PURGE_NONE, PURGE_ON_RESTART, PURGE_PER_TAG

PURGE_RULES = (PURGE_PER_TAG, PURGE_ON_RESTART, PURGE_NONE)
IMAGE_FORMATS = ["PNG", "JPEG", "WEBP", "GIF", "BMP"]  # what the store serves as images
LABEL_DTYPES = {1: "<u1", 2: "<u2", 4: "<u4"}  # point cloud label widths


class NotLogged(KeyError):
    """An unknown run, tag, step, index or layer; the message names it."""

    def __str__(self) -> str:  # KeyError's own repr-quotes its message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class PointCloudData:
    """A point cloud's arrays (little-endian, as logged) and its annotations."""

    positions: np.ndarray  # (N, 3) float32
    colors: np.ndarray | None  # (N, 3) uint8
    labels: np.ndarray | None  # (N,) uint8, uint16 or uint32 class ids
    class_labels: dict[int, str]
    boxes: list[dict[str, Any]]  # center, size, rotation (w x y z), label, score, color
    vectors: list[dict[str, Any]]  # start, end, color


class Item:
    """One logged item: its metadata, its payload as stored (`bytes`) and decoded arrays.

    Metadata is read by `Reader.items`, with the payloads of a small record (the one read
    that checks its CRC brings them); a large record's payload, masks and point arrays are
    read when first asked for. A record found damaged raises `CorruptRecord` naming its file
    and offset."""

    def __init__(self, reader: Reader, found: StepItems, source: str, meta: ItemMeta) -> None:
        self._reader = reader
        self._found = found
        self.meta = meta  # everything the store knows of the item (store.ItemMeta)
        self.run, self.tag, self.step, self.wall_time = found.run, found.tag, found.step, found.wall_time
        self.source = source  # "media_panel", or the TensorBoard plugin that logged it
        self.index = meta.index
        self.kind = meta.kind
        self.caption = meta.caption
        # the payload's type as the panel serves it: checked against its first bytes
        self.mime = meta.mime
        self.format = meta.format
        self.size = meta.size
        self.width = meta.width
        self.height = meta.height
        self.fps = meta.fps
        self.frames = meta.frames
        self.sample_rate = meta.sample_rate
        self.channels = meta.channels
        self.duration = meta.duration
        self.title = meta.title

    def __repr__(self) -> str:
        return (
            f"Item(run={self.run!r}, tag={self.tag!r}, step={self.step}, index={self.index}, "
            f"kind={self.kind!r}, format={self.format!r}, size={self.size})"
        )

    @property
    def metadata(self) -> dict[str, Any]:
        """Everything known of the item, JSON-ready: what the panel's items route answers."""
        return {k: v for k, v in http_json.item(self.meta).items() if k != "key"}

    @property
    def _address(self) -> tuple[str, str, int, int]:
        return self.run, self.tag, self.step, self.index

    # ---- payload ---------------------------------------------------------------------

    @cached_property
    def bytes(self) -> bytes:
        """The payload exactly as stored: PNG, JPEG, MP4, WebM, GIF, WAV, GLB, PDB, HTML...
        Point clouds hold theirs in `point_cloud` (b"" here); TensorBoard's text summaries
        give their text as UTF-8 and its meshes a binary PLY, as the panel serves them."""
        if self.kind == "pointcloud" and self.source == "mesh":
            return b""
        reader = self._reader
        # usually already read with the metadata (one CRC-checked read of the step's record)
        return reader._call(  # type: ignore[no-any-return]
            reader._media.payload_bytes,
            self._found,
            self.meta,
            hint="; call Reader.refresh() and items() again",
        )

    @property
    def text(self) -> str:
        """An HTML or text item's text."""
        if self.kind not in ("html", "text", "molecule"):
            raise TypeError(f"item of kind {self.kind!r} has no text; read item.bytes")
        return self.bytes.decode("utf-8", "replace")

    def to_numpy(self) -> np.ndarray:
        """image: HxWxC uint8, or HxW in the stored dtype for a one-channel image (a scalar
        image: its values as logged, e.g. uint16, float16 or float32, NaN for no data); video:
        TxHxWxC uint8 RGB (PyAV); audio: (samples, channels) float32 in [-1, 1]; point cloud:
        (N, 3) float32 positions; text: the table TensorBoard shows, as an array of str."""
        decode = _DECODERS.get(self.kind)
        if decode is None:
            raise TypeError(
                f"item of kind {self.kind!r} has no array form; read item.bytes (format {self.format!r})"
            )
        return decode(self)

    # ---- annotations -----------------------------------------------------------------

    @property
    def masks(self) -> dict[str, np.ndarray]:
        """Segmentation layers: name -> HxW uint16 class ids."""
        found = {}
        for i, layer in enumerate(self.meta.masks):
            # the route's own decoding: a one-channel PNG of exactly the image's size
            payload = self._reader._call(
                self._reader._media.mask, *self._address, str(i), unreadable=ValueError
            )
            ids = np.frombuffer(payload.read(0, payload.size), dtype="<u2")
            found[layer.name] = ids.reshape(self.height, self.width)
        return found

    @property
    def heatmaps(self) -> dict[str, np.ndarray]:
        """Heatmap layers (and masks' confidences, "<mask>.confidence"): name -> HxW array in
        the stored dtype."""
        return {
            layer.name: self._reader._call(
                self._reader._media.heatmap_array, *self._address, layer.name, unreadable=ValueError
            )
            for layer in self.meta.heatmaps
        }

    def class_labels(self, layer: str) -> dict[int, str]:
        """{class id: name} of a mask or box layer."""
        for layer_meta in (*self.meta.masks, *self.meta.boxes):
            if layer_meta.name == layer:
                return _names(layer_meta.class_labels)
        names = [m.name for m in (*self.meta.masks, *self.meta.boxes)]
        raise NotLogged(f"item has no mask or box layer {layer!r}; layers: {names}")

    @property
    def boxes(self) -> dict[str, list[dict[str, Any]]]:
        """Box layers: name -> boxes in the form `mp.Boxes` takes, so they can be logged again
        with `mp.Boxes(item.boxes[name], item.class_labels(name))`."""
        return {
            layer.name: [
                {
                    "position": {"min_x": b.min_x, "min_y": b.min_y, "max_x": b.max_x, "max_y": b.max_y},
                    "domain": layer.domain,
                    "class_id": b.class_id,
                    "scores": dict(b.scores),
                    "box_caption": b.caption,
                }
                for b in layer.boxes
            ]
            for layer in self.meta.boxes
        }

    @cached_property
    def point_cloud(self) -> PointCloudData:
        cloud = self.meta.point_cloud
        if self.kind != "pointcloud" or cloud is None:
            raise TypeError(f"item of kind {self.kind!r} is not a point cloud")

        def array(name: str, dtype: str, columns: int) -> np.ndarray | None:
            if name == "colors" and not cloud.has_colors:
                return None
            if name == "labels" and not cloud.label_bytes:
                return None
            payload = self._reader._call(self._reader._media.points, *self._address, name)
            values = np.frombuffer(payload.read(0, payload.size), dtype=dtype)
            return values.reshape(-1, columns) if columns > 1 else values

        positions = array("positions", "<f4", 3)
        assert positions is not None  # every point cloud has them
        return PointCloudData(
            positions=positions,
            colors=array("colors", "u1", 3),
            labels=array("labels", LABEL_DTYPES.get(cloud.label_bytes, "u1"), 1),
            class_labels=_names(cloud.class_labels),
            boxes=[
                {
                    "center": list(b.center),
                    "size": list(b.size),
                    "rotation": list(b.rotation),
                    "label": b.label,
                    "score": b.score,
                    "color": None if b.color is None else list(b.color),
                }
                for b in cloud.boxes
            ],
            vectors=[
                {
                    "start": list(v.start),
                    "end": list(v.end),
                    "color": None if v.color is None else list(v.color),
                }
                for v in cloud.vectors
            ],
        )


def _names(labels: tuple[ClassLabel, ...]) -> dict[int, str]:
    return {c.id: c.name for c in labels}


class Reader:
    """Logged media of a logdir (a local path, `s3://…` or an fsspec URL), including what
    TensorBoard's own image, audio, mesh and text summaries hold.

    The logdir is indexed once when the reader is made (headers only, no payloads);
    `refresh()` reads what was written since. `purge` picks which records of a restarted
    job are shown, as the panel does for each TensorBoard loader: "per_tag" (RustBoard, the
    default), "restart" (`--load_fast=false`) or "none" (`--purge_orphaned_data=false`)."""

    def __init__(self, logdir: str | os.PathLike[str], purge: str = PURGE_PER_TAG) -> None:
        if purge not in PURGE_RULES:
            raise ValueError(f"purge: expected one of {PURGE_RULES}, got {purge!r}")
        self.logdir = os.fspath(logdir)
        if not self.logdir:
            raise ValueError("logdir: expected a directory path or URL, got an empty string")
        self._index = LogdirIndex(self.logdir, purge=purge)
        self._media = MediaReader(self._index)
        self.refresh()

    @classmethod
    def over(cls, index: LogdirIndex, media: MediaReader) -> Reader:
        """A reader over an index kept elsewhere (the plugin's, for a route answering from what
        the Media tab shows): nothing is indexed twice."""
        reader = cls.__new__(cls)
        reader.logdir = index.logdir
        reader._index = index
        reader._media = media
        return reader

    def refresh(self) -> None:
        """Index what was written (or removed) since the last refresh."""
        self._index.refresh()

    def runs(self) -> list[str]:
        """The runs holding media, sorted ("." is the logdir itself)."""
        return sorted({t.run for t in self._index.tag_summaries(self._index.run_names())})

    def tags(self, run: str) -> dict[str, str]:
        """tag -> kind ("image", "video", "audio", "object3d", "pointcloud", "molecule",
        "html", "text") of the run's media tags."""
        return {t.tag: t.kind for t in self._summaries(run)}

    def steps(self, run: str, tag: str, include_purged: bool = False) -> list[int]:
        """Every step the panel shows for the tag, ascending: a step logged again by a
        restarted job once, earlier records it hides left out (with `include_purged`, every
        logged step)."""
        series = self._series(run, tag)
        return self._index.step_table(series, include_purged).steps.tolist()

    def items(self, run: str, tag: str, step: int) -> list[Item]:
        """The items logged at `step`, in index order."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise TypeError(f"step: expected an int, got {type(step).__name__} {step!r}")
        source = self._series(run, tag).source
        skipped = self._index.skipped_records(run)
        found = self._call(
            self._media.items,
            run,
            tag,
            int(step),
            hint=f" ({skipped} damaged records of the run were skipped)" if skipped else "",
        )
        return [Item(self, found, source, meta) for meta in found.items]

    # ---- helpers ---------------------------------------------------------------------

    def _summaries(self, run: str) -> list[Any]:
        if not self._index.has_run(run):
            raise NotLogged(f"unknown run {run!r}; runs: {self.runs()[:20]}")
        return self._index.tag_summaries([run])

    def _series(self, run: str, tag: str) -> Any:
        self._summaries(run)
        series = self._index.series(run, tag)
        if series is None:
            raise NotLogged(f"run {run!r} has no media tag {tag!r}; tags: {list(self.tags(run))[:20]}")
        return series

    def _call(
        self,
        read: Callable[..., Any],
        *args: Any,
        hint: str = "",
        unreadable: type[Exception] = NotLogged,
    ) -> Any:
        """A store read with its failures as a reader's: KeyError for what is not logged
        (`unreadable` when the store's NotFound means bytes it could not decode), and
        CorruptRecord naming the file and offset of a damaged record."""
        try:
            return read(*args)
        except NotFound as exc:
            raise unreadable(f"{exc}{hint}") from None
        except CorruptRecord as exc:
            # the store's message names no path (it is also an HTTP answer); ours may
            raise CorruptRecord(f"{exc.path}: {exc}", exc.path, exc.offset) from None
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"no longer in the logdir: {exc}; call Reader.refresh()") from None


# ---- decoders: bytes -> arrays, for what the panel hands to the browser ------------------


def _image(item: Item) -> np.ndarray:
    if item.format == "scalar":  # a scalar image: no payload, its values
        return item._reader._call(  # type: ignore[no-any-return]
            item._reader._media.heatmap_array, *item._address, "", unreadable=ValueError
        )
    from PIL import Image

    data = item.bytes
    fast = _png_fast_format(data, Image.MAX_IMAGE_PIXELS)
    if fast is not None:
        import pyspng

        try:
            return pyspng.load(data, fast)  # type: ignore[no-any-return]
        except RuntimeError:  # libspng refused it: PIL says why, or reads it
            pass
    with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
        if image.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F", "RGB", "RGBA", "LA"):
            pixels = np.asarray(image)
        elif image.mode in ("P", "PA"):  # a palette: its colours, with alpha if it has any
            alpha = image.mode == "PA" or "transparency" in image.info
            pixels = np.asarray(image.convert("RGBA" if alpha else "RGB"))
        else:  # CMYK, YCbCr JPEGs...
            pixels = np.asarray(image.convert("RGB"))
    if pixels.dtype.byteorder == ">":  # 16-bit PNGs: native order for the caller
        pixels = pixels.astype(pixels.dtype.newbyteorder("="))
    return pixels


# 8-bit PNG colour types libspng decodes to exactly the array PIL gives: L, RGB, RGBA.
SPNG_FORMATS = {0: "L", 2: "RGB", 6: "RGBA"}


def _png_fast_format(data: bytes, max_pixels: int | None) -> str | None:
    """The pyspng format to decode `data` with, or None for PIL. pyspng (libspng) decodes a
    small PNG ~7x faster than PIL, whose per-image Python cost was the floor of
    `reader_items_per_s` (~70 us of ~110 us an item at 64x64); PIL keeps every other case
    (palettes, 16 bits, LA, other formats) and its decompression-bomb bound, which applies
    here too: an untrusted header never sizes an allocation PIL would refuse."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR" or data[24:25] != b"\x08":
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if max_pixels is not None and width * height > max_pixels:
        return None
    return SPNG_FORMATS.get(data[25])


def _video(item: Item) -> np.ndarray:
    import av

    with av.open(io.BytesIO(item.bytes)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    if not frames:
        raise ValueError(f"video at step {item.step} of tag {item.tag!r} has no frames")
    return np.stack(frames)


def _audio(item: Item) -> np.ndarray:
    data = item.bytes
    if item.format == "wav" or data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as wav:
                if wav.getsampwidth() == 2:
                    channels = wav.getnchannels()
                    pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
                    # the writers (mp.Audio, torch, tf.summary.audio) scale floats by 32767
                    return (pcm.reshape(-1, channels) / np.float32(32767)).astype(np.float32)
        except (wave.Error, EOFError):
            pass  # float, 24-bit or compressed WAV: FFmpeg reads them
    import av

    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="flt")  # packed float32, same layout and rate
        chunks = []
        channels = 1
        for frame in container.decode(audio=0):
            channels = len(frame.layout.channels)
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1, channels))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1, channels))
    return np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)


def _points(item: Item) -> np.ndarray:
    return item.point_cloud.positions


def _text(item: Item) -> np.ndarray:
    table = item.meta.text
    if table is None:  # a media_panel text item: its payload is the text
        return np.array(item.text)
    return np.array(table.rows, dtype=str).reshape(table.shape)


_DECODERS: dict[str, Callable[[Item], np.ndarray]] = {
    "image": _image,
    "video": _video,
    "audio": _audio,
    "pointcloud": _points,
    "text": _text,
}
