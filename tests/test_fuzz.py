"""Fuzzing every decoder with hypothesis: random bytes and mutations of valid records.

Targets: the item record (`decode_item` and the metadata JSON built from it), the event-record
framing and scanner, and each format of TensorBoard's built-in plugins the store reads (images
blob sequences, legacy `Summary.Image`, audio, mesh, text), end to end through the plugin's
routes, and bytes flipped in large records whose CRC is checked when first read. Contract:
decoders raise their one documented error (`ValueError` for item records,
`NotFound` -> 404 from the reader) or skip and count; a route never answers 500.

`make test` runs the fast profile (a few hundred examples per target); `make fuzz` sets
HYPOTHESIS_PROFILE=fuzz: 100,000 examples per target.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import struct
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.plugins.base_plugin import TBContext
from tensorboard.plugins.mesh import plugin_data_pb2
from tensorboard.util import tensor_util
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel import http_json
from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tb_media_panel.store.decode.audio import wav_info
from tb_media_panel.store.decode.text import text_of_tensor, text_table
from tb_media_panel.store.events import RunIndex
from tb_media_panel.store.formats import DOCUMENT_TYPES, OCTET_STREAM, PAYLOAD_TYPES, sniff_format
from tb_media_panel.store.items import describe_record
from tb_media_panel.store.scanner import scan_records
from tb_media_panel.summary import metadata, tensor_proto

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("media_panel_fast", max_examples=150, **_COMMON)
settings.register_profile("fuzz", max_examples=100_000, **_COMMON)
PROFILE = settings.get_profile(
    "fuzz" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else "media_panel_fast"
)
fuzz = settings(PROFILE)

# Reads of the scanner's callback that it turns into "skipped and counted".
SCANNER_SKIPS = (ValueError, IndexError, UnicodeDecodeError, struct.error)
RUN = "run"


# ---- valid samples to mutate -------------------------------------------------------


def tiny_png(value: int = 90) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(np.full((2, 3, 3), value, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def tiny_wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8)
    return out.getvalue()


@functools.cache
def item_records() -> list[bytes]:
    """Serialized MediaItems of every shape the metadata JSON has: masks, boxes, 3D extras."""
    image = mp.Image(
        np.full((4, 4, 3), 7, np.uint8),
        caption="cap",
        masks={
            "pred": mp.Mask(np.arange(16, dtype=np.uint16).reshape(4, 4) % 2, class_labels={0: "bg", 1: "a"})
        },
        boxes={
            "gt": mp.Boxes(
                [
                    {
                        "position": {"min_x": 0.1, "min_y": 0.1, "max_x": 0.6, "max_y": 0.7},
                        "class_id": 1,
                        "scores": {"s": 0.5},
                        "caption": "box",
                    }
                ],
                class_labels={1: "a"},
            )
        },
    )
    cloud = mp.PointCloud(
        np.arange(12, dtype=np.float32).reshape(4, 3),
        colors=np.full((4, 3), 9, np.uint8),
        labels=np.array([0, 1, 1, 2]),
        class_labels={0: "road", 1: "car", 2: "tree"},
        boxes=[mp.Box3D(center=(0, 0, 0), size=(1, 1, 1), label="b", score=0.3, color=(1, 2, 3))],
        vectors=[((0, 0, 0), (1, 1, 1))],
    )
    media = [
        image,
        cloud,
        mp.Html("<p>x</p>"),
        mp.Audio(np.zeros(16, np.float32), sample_rate=8000, caption="s"),
        mp.Molecule("2\nwater-ish\nO 0 0 0\nH 0 0 1\n", format="xyz"),
    ]
    return [m.to_record().SerializeToString() for m in media]


def event(step: int, *values: Any) -> bytes:
    return event_pb2.Event(
        wall_time=1.0 + step, step=step, summary=summary_pb2.Summary(value=list(values))
    ).SerializeToString()


def plugin_meta(name: str, content: bytes = b"") -> tb_summary_pb2.SummaryMetadata:
    meta = tb_summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = name
    meta.plugin_data.content = content
    return meta


def mesh_values(step: int) -> list[Any]:
    arrays = {
        plugin_data_pb2.MeshPluginData.VERTEX: ("VERTEX", np.arange(9, dtype=np.float32).reshape(1, 3, 3)),
        plugin_data_pb2.MeshPluginData.FACE: ("FACE", np.array([[[0, 1, 2]]], np.int32)),
        plugin_data_pb2.MeshPluginData.COLOR: ("COLOR", np.full((1, 3, 3), 200, np.uint8)),
    }
    values = []
    for content_type, (suffix, array) in arrays.items():
        content = plugin_data_pb2.MeshPluginData(
            name="m", content_type=content_type, shape=list(array.shape)
        ).SerializeToString()
        values.append(
            tb_summary_pb2.Summary.Value(
                tag=f"m_{suffix}",
                metadata=plugin_meta("mesh", content),
                tensor=tensor_util.make_tensor_proto(array),
            )
        )
    return values


@functools.cache
def event_payloads() -> dict[str, list[bytes]]:
    """Serialized events per format (before TFRecord framing), two steps each."""
    wav, png = tiny_wav(), tiny_png()
    text = tensor_util.make_tensor_proto(np.array([["a", "b"], ["c", "d"]], dtype=object))
    audio = tensor_pb2_strings([wav, b"label", wav, b"other"], (2, 2))
    return {
        "media_panel": [
            event(
                s,
                summary_pb2.Summary.Value(tag="t", metadata=metadata(), tensor=tensor_proto(item_records())),
            )
            for s in (0, 1)
        ],
        "images_blobs": [
            event(
                s,
                tb_summary_pb2.Summary.Value(
                    tag="i", metadata=plugin_meta("images"), tensor=tensor_proto([b"3", b"2", png, png])
                ),
            )
            for s in (0, 1)
        ],
        "legacy_image": [
            event(
                s,
                tb_summary_pb2.Summary.Value(
                    tag="li",
                    image=tb_summary_pb2.Summary.Image(
                        height=2, width=3, colorspace=3, encoded_image_string=png
                    ),
                ),
            )
            for s in (0, 1)
        ],
        "audio": [
            event(s, tb_summary_pb2.Summary.Value(tag="a", metadata=plugin_meta("audio"), tensor=audio))
            for s in (0, 1)
        ]
        + [
            event(
                2,
                tb_summary_pb2.Summary.Value(
                    tag="la",
                    audio=tb_summary_pb2.Summary.Audio(
                        sample_rate=8000,
                        num_channels=1,
                        length_frames=8,
                        encoded_audio_string=wav,
                        content_type="audio/wav",
                    ),
                ),
            )
        ],
        "mesh": [event(s, *mesh_values(s)) for s in (0, 1)],
        "text": [
            event(
                s,
                tb_summary_pb2.Summary.Value(
                    tag="note/text_summary", metadata=plugin_meta("text"), tensor=text
                ),
            )
            for s in (0, 1)
        ],
    }


def tensor_pb2_strings(strings: list[bytes], shape: tuple[int, ...]) -> Any:
    proto = tensor_proto(strings)
    del proto.tensor_shape.dim[:]
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    return proto


def file_of(payloads: list[bytes]) -> bytes:
    header = event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()
    return b"".join(frame_record(p) for p in [header, *payloads])


# ---- mutations ---------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A few byte-level edits: flips, overwrites, inserts, deletes, a cut, a repeated span."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("flip", "set", "insert", "delete", "cut", "repeat", "varint")))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.sampled_from((0x00, 0x01, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255)))))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 12))]
        elif op == "cut":
            del data[at:]
        elif op == "repeat":
            span = bytes(data[at : at + draw(st.integers(1, 40))])
            data[at:at] = span
        elif op == "varint":  # a long or huge length prefix
            data[at:at] = draw(
                st.sampled_from((b"\xff" * 9 + b"\x01", b"\x80" * 10, b"\xff\xff\xff\xff\x0f"))
            )
    return bytes(data)


def mutated_events(name: str) -> st.SearchStrategy[bytes]:
    """A file of valid framing whose event payloads are mutated: the decoders see every edit."""
    payloads = event_payloads()[name]
    return st.lists(
        st.one_of(st.sampled_from(payloads), *[mutated(p) for p in payloads]), min_size=1, max_size=4
    ).map(file_of)


# ---- the pipeline: index the bytes, then ask every route about everything listed ---


class BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, offset: int, size: int) -> bytes:
        return self.data[offset : offset + max(size, 0)]

    def close(self) -> None:
        return None


OK_STATUSES = {200, 206, 404, 416}


def serve_everything(file_bytes: bytes) -> None:
    """Index one event file with the plugin; every route about every listed item answers
    200/206/404/416 (never 500), and JSON routes answer valid JSON."""
    with tempfile.TemporaryDirectory(prefix="mp-fuzz-") as logdir:
        run_dir = Path(logdir) / RUN
        run_dir.mkdir()
        (run_dir / "events.out.tfevents.1.fuzz").write_bytes(file_bytes)
        plugin = MediaPanelPlugin(TBContext(logdir=logdir, flags=argparse.Namespace(reload_interval=0)))
        apps = plugin.get_plugin_apps()

        def get(route: str, query: str = "", headers: dict[str, str] | None = None) -> Any:
            response = Client(apps["/" + route]).get(f"/{route}?{query}", headers=headers or {})
            assert response.status_code in OK_STATUSES, (route, query, response.get_data()[:300])
            if response.mimetype == "application/json":
                return json.loads(response.get_data())
            check_payload_response(response)
            return response.get_data()

        runs = get("runs")["runs"]
        assert all(r["skipped_records"] >= 0 for r in runs)
        if not runs:
            return
        for tag in get("tags", f"run={RUN}")["tags"]:
            q = {"run": RUN, "tag": tag["tag"]}
            series = get("series", _query(q, max_steps=3))
            for step in series.get("runs", {}).get(RUN, {}).get("steps", [])[:3]:
                address = _query(q, step=step)
                items = get("items", address)
                for meta in get("items_batch", address + "&inline_max=262144")["results"][0].get(
                    "items", []
                ):
                    check_inline(meta)
                count = len(items.get("items", [])) if isinstance(items, dict) else 1
                for index in range(min(count, 6)):
                    item = f"{address}&index={index}"
                    get("data", item)
                    get("data", item + "&download=1")
                    get("data", item, {"Range": "bytes=1-5"})
                    get("html", item)
                    meta = items["items"][index] if isinstance(items, dict) else {}
                    pixels = meta.get("width", 0) * meta.get("height", 0)
                    for layer in ("0", "pred", "\u00b2"):
                        mask = get("mask", f"{item}&layer={layer}")
                        assert isinstance(mask, dict) or len(mask) <= 2 * pixels  # never a bomb
                    for array in ("positions", "colors", "labels"):
                        get("points", f"{item}&array={array}")


SERVED_TYPES = {t.mime: t for t in PAYLOAD_TYPES}


def check_payload_response(response: Any) -> None:
    """A payload is sandboxed, never sniffed, and of an allow-listed type its bytes match."""
    if response.status_code not in (200, 206):
        return
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] in ("sandbox", "sandbox allow-scripts")
    mime = headers["Content-Type"]
    assert mime in SERVED_TYPES or mime in DOCUMENT_TYPES.values() or mime == OCTET_STREAM, mime
    if mime in SERVED_TYPES and response.status_code == 200:
        assert SERVED_TYPES[mime].matches(response.get_data()[:12]), mime
    if mime == OCTET_STREAM:
        assert headers["Content-Disposition"] == "attachment"


def check_inline(meta: dict[str, Any]) -> None:
    """Only images of an allow-listed type whose bytes match come inline."""
    if "inline" in meta:
        import base64

        assert meta["kind"] == "image" and meta["mime"] in SERVED_TYPES
        assert SERVED_TYPES[meta["mime"]].matches(base64.b64decode(meta["inline"])[:12])


def _query(params: dict[str, Any], **more: Any) -> str:
    from urllib.parse import urlencode

    return urlencode({**params, **more})


def scan(data: bytes) -> None:
    """The scanner over `data` with the real event indexer as its callback: never raises."""
    run = RunIndex(RUN)

    def on_record(buf: bytes, start: int, end: int, base: int, checked: bool, sparse: object) -> None:
        run.add_event(buf, start, end, base, 0)

    outcome = scan_records(BytesReader(data), 0, len(data), on_record, 1 << 20)
    assert 0 <= outcome.next_offset <= len(data)
    assert outcome.records >= 0 and outcome.skipped >= 0


# ---- targets -----------------------------------------------------------------------


@fuzz
@given(st.one_of(st.binary(max_size=600), st.sampled_from(item_records()).flatmap(mutated)))
def test_item_record_decodes_or_raises_value_error(data: bytes) -> None:
    try:
        record = decode_item(data)
    except ValueError:
        return
    meta = describe_record(0, record, len(record.data), OCTET_STREAM, "")
    json.dumps(http_json.item(meta), allow_nan=False)
    assert meta.kind == record.kind


@fuzz
@given(st.one_of(st.sampled_from(item_records()).flatmap(mutated), st.binary(max_size=200)))
def test_item_record_in_an_event_through_every_route(blob: bytes) -> None:
    good = item_records()[0]
    serve_everything(
        file_of(
            [
                event(
                    3,
                    summary_pb2.Summary.Value(
                        tag="t", metadata=metadata(), tensor=tensor_proto([good, blob])
                    ),
                )
            ]
        )
    )


MAGICS = [b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"RIFF\0\0\0\0WEBP", b"BM", b"OggS",
          b"\0\0\0\x18ftypmp42", b"<svg ", b"<html>", b"\xef\xbb\xbf<script>"]


@fuzz
@given(
    kind=st.sampled_from(["image", "video", "audio", "html", "text", "molecule", "object3d"]),
    mime=st.one_of(st.text(max_size=40), st.sampled_from(["text/html", "image/svg+xml", "TEXT/HTML"])),
    data=st.tuples(st.sampled_from([b"", *MAGICS]), st.binary(max_size=64)).map(b"".join),
    mask=st.one_of(st.binary(max_size=80), st.sampled_from(MAGICS)),
)
def test_logged_mime_and_bytes_never_choose_an_active_type(
    kind: str, mime: str, data: bytes, mask: bytes
) -> None:
    record = media_pb2.MediaItem(
        version=1, kind=kind, mime=mime, data=data, width=2, height=2,
        masks=[media_pb2.MaskLayer(name="pred", width=2, height=2, png=mask)],
    )
    value = summary_pb2.Summary.Value(
        tag="t", metadata=metadata(), tensor=tensor_proto([record.SerializeToString()])
    )
    serve_everything(file_of([event(3, value)]))


@fuzz
@given(
    st.one_of(
        st.binary(max_size=400),
        st.sampled_from(list(event_payloads())).flatmap(
            lambda name: mutated(file_of(event_payloads()[name]))
        ),
    )
)
def test_framing_scanner_on_garbage_and_mutated_files(data: bytes) -> None:
    scan(data)


@fuzz
@given(st.binary(max_size=2000))
def test_framing_with_random_payloads_in_valid_records(payload: bytes) -> None:
    """Valid CRCs around random bytes: the event decoder itself must cope."""
    scan(file_of([payload, event_payloads()["media_panel"][0]]))


@pytest.mark.parametrize("name", sorted(event_payloads()))
@fuzz
@given(data=st.data())
def test_each_format_through_every_route(name: str, data: st.DataObject) -> None:
    file_bytes = data.draw(mutated_events(name))
    scan(file_bytes)
    serve_everything(file_bytes)


def test_valid_samples_serve_every_format() -> None:
    """The samples the fuzzers mutate are themselves read as what they are."""
    kinds = {}
    for name, payloads in event_payloads().items():
        with tempfile.TemporaryDirectory() as logdir:
            (Path(logdir) / RUN).mkdir()
            (Path(logdir) / RUN / "events.out.tfevents.1.x").write_bytes(file_of(payloads))
            plugin = MediaPanelPlugin(TBContext(logdir=logdir, flags=argparse.Namespace(reload_interval=0)))
            tags = json.loads(Client(plugin.get_plugin_apps()["/tags"]).get("/tags").get_data())["tags"]
            kinds[name] = sorted({t["kind"] for t in tags})
            runs = json.loads(Client(plugin.get_plugin_apps()["/runs"]).get("/runs").get_data())["runs"]
            assert runs == [{"name": RUN, "skipped_records": 0}], name
    assert kinds == {
        "media_panel": ["image"],
        "images_blobs": ["image"],
        "legacy_image": ["image"],
        "audio": ["audio"],
        "mesh": ["object3d"],
        "text": ["text"],
    }


@fuzz
@given(st.one_of(st.binary(max_size=200), st.just(tiny_wav()).flatmap(mutated)))
def test_wav_header_reader_never_raises(head: bytes) -> None:
    info = wav_info(head)
    assert info is None or (info.sample_rate >= 0 and math.isfinite(info.duration))
    assert sniff_format(head) in {"", *(t.name for t in PAYLOAD_TYPES)}


@fuzz
@given(
    st.one_of(
        st.binary(max_size=200),
        st.just(
            tensor_util.make_tensor_proto(
                np.array(["a", "b", "c", "d"], dtype=object).reshape(2, 2)
            ).SerializeToString()
        ).flatmap(mutated),
    )
)
def test_text_tensor_reader_raises_only_decode_errors(data: bytes) -> None:
    from google.protobuf.message import DecodeError

    try:
        text = text_of_tensor(data)
        table = text_table(data)
    except DecodeError:
        return
    assert isinstance(text, str)
    # cells come from the strings held, never from the claimed shape
    assert sum(len(row) for row in table.rows) <= len(data)


@fuzz
@given(
    shape=st.one_of(
        st.lists(st.integers(-2, 10**13), max_size=4),
        st.tuples(st.integers(0, 10**13), st.integers(0, 20), st.just(3)).map(list),
    ),
    values=st.integers(0, 40),
    dense=st.booleans(),
)
def test_mesh_shapes_cost_what_their_bytes_hold(shape: list[int], values: int, dense: bool) -> None:
    """Any claimed shape of a mesh tensor, filled or not: the listed items and the items JSON
    stay in proportion to the record."""
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in shape]
    content = {"tensor_content": bytes(4 * values)} if dense else {"float_val": [0.5] * values}
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims), **content
    )
    meta = plugin_meta(
        "mesh", plugin_data_pb2.MeshPluginData(name="m", content_type=1).SerializeToString()
    )
    data = file_of([event(0, tb_summary_pb2.Summary.Value(tag="m_VERTEX", metadata=meta, tensor=tensor))])
    with tempfile.TemporaryDirectory(prefix="mp-fuzz-") as logdir:
        (Path(logdir) / RUN).mkdir()
        (Path(logdir) / RUN / "events.out.tfevents.1.fuzz").write_bytes(data)
        plugin = MediaPanelPlugin(TBContext(logdir=logdir, flags=argparse.Namespace(reload_interval=0)))
        apps = plugin.get_plugin_apps()
        plugin.index.refresh()
        tags = json.loads(Client(apps["/tags"]).get(f"/tags?run={RUN}").get_data())["tags"]
        for tag in tags:
            assert len(shape) == 3 and shape[2] == 3 and tag["max_items"] == shape[0]
            assert shape[0] * max(shape[1], 1) * 3 <= len(data)
            response = Client(apps["/items"]).get(f"/items?run={RUN}&tag=m&step=0")
            assert response.status_code in OK_STATUSES
            assert len(response.get_data()) <= 1000 * len(data)


@functools.cache
def _large_file() -> tuple[bytes, dict[tuple[int, int], bytes]]:
    """A file of media records large enough that their payload CRCs are checked on read, and
    the payload each (step, index) holds."""
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.store.scanner import CHECK_ON_READ_MIN_BYTES

    rng = np.random.default_rng(11)
    payloads: dict[tuple[int, int], bytes] = {}
    records = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()]
    for step in range(4):
        blobs = []
        for index in range(2):
            data = rng.integers(0, 256, CHECK_ON_READ_MIN_BYTES // 2, dtype=np.uint8).tobytes()
            payloads[(step, index)] = data
            blobs.append(
                media_pb2.MediaItem(
                    version=1, kind="image", mime="image/png", format="png", caption=f"{step}", data=data
                ).SerializeToString()
            )
        value = summary_pb2.Summary.Value(tag="t", metadata=metadata(), tensor=tensor_proto(blobs))
        records.append(event(step, value))
    return file_of(records), payloads


@fuzz
@given(
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3),
    st.booleans(),
)
def test_damaged_large_records_never_serve_altered_bytes(
    flips: list[tuple[float, int]], in_file: bool
) -> None:
    """Bytes flipped anywhere in records whose payload CRC is left to their first read, read
    whole or (`in_file`) indexed from their headers alone: every item the index still lists
    serves exactly what was logged at that step, or nothing at all (CorruptRecord or
    NotFound), and every record that failed is dropped and counted once."""
    from tb_media_panel.store import scanner

    original, payloads = _large_file()
    damaged = bytearray(original)
    for where, xor in flips:
        damaged[int(where * len(damaged))] ^= xor
    defaults = scanner.scan_records.__kwdefaults__
    saved = scanner.IN_FILE_MIN_BYTES, defaults["chunk_bytes"]
    if in_file:  # small reads, so that every record is left in the file
        scanner.IN_FILE_MIN_BYTES, defaults["chunk_bytes"] = scanner.CHECK_ON_READ_MIN_BYTES, 4096
    try:
        _check_served_bytes(bytes(damaged), payloads)
    finally:
        scanner.IN_FILE_MIN_BYTES, defaults["chunk_bytes"] = saved


def _check_served_bytes(damaged: bytes, payloads: dict[tuple[int, int], bytes]) -> None:
    from tb_media_panel.store import CorruptRecord, LogdirIndex, MediaReader, NotFound

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / RUN
        run.mkdir()
        (run / "events.out.tfevents.1").write_bytes(damaged)
        index = LogdirIndex(tmp)
        index.refresh()
        reader = MediaReader(index)
        series = index.series(RUN, "t") if index.has_run(RUN) else None
        steps = [] if series is None else index.step_table(series).steps.tolist()
        for step in steps:
            for i in range(2):
                try:
                    payload = reader.data(RUN, "t", step, i)
                    served = payload.read(0, payload.size)
                except (CorruptRecord, NotFound):
                    continue
                assert served == payloads.get((step, i)), (step, i)
        if index.has_run(RUN):
            skipped = index.skipped_records(RUN)
            index.refresh()  # nothing changed on disk: nothing counted again
            assert index.skipped_records(RUN) == skipped
