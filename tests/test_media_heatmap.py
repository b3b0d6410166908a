"""Heatmaps, scalar images and probability masks (issue 16): logged losslessly by every writer,
served bit-exact by the /heatmap route, refused with a clear error when malformed."""

from __future__ import annotations

import io
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

import tb_media_panel as mp
from tb_media_panel.compat import event_pb2
from tb_media_panel.media.base import Media
from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.proto import media_pb2
from tb_media_panel.records import decode_item
from tests.conftest import require

RNG = np.random.default_rng(16)
H, W = 24, 32
RGB = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
DEPTH = (RNG.random((H, W)) * 10).astype(np.float32)
DEPTH[0, :3] = np.nan  # no data
DEPTH[1, 0] = np.inf
PROBS = RNG.dirichlet(np.ones(4), size=(H, W)).astype(np.float32)

# what each logged dtype is served as, and the array logged
SERVED = {
    "float32": (np.float32, (RNG.standard_normal((H, W)) * 1e3).astype(np.float32)),
    "float16": (np.float32, RNG.standard_normal((H, W)).astype(np.float16)),
    "uint16": (np.uint16, RNG.integers(0, 65536, (H, W), dtype=np.uint16)),
    "uint8": (np.uint8, RNG.integers(0, 256, (H, W), dtype=np.uint8)),
    "int8": (np.int8, RNG.integers(-128, 128, (H, W), dtype=np.int8)),
    "int16": (np.int16, RNG.integers(-32768, 32768, (H, W), dtype=np.int16)),
    "int32": (np.int32, RNG.integers(-(2**31), 2**31, (H, W), dtype=np.int32)),
    "uint32": (np.uint32, RNG.integers(0, 2**32, (H, W), dtype=np.uint32)),
}
META_KEYS = {"name", "width", "height", "dtype", "vmin", "vmax", "colormap", "min", "max",
             "p01", "p99", "nan_count", "role", "of"}


class Forged(Media):
    """A record written as is: what a damaged or hostile event file may hold."""

    kind = "image"


def forged_values(width: int, height: int, dtype: str, data: bytes) -> Forged:
    layer = media_pb2.ScalarLayer(width=width, height=height, dtype=dtype, data=data)
    return Forged(media_pb2.MediaItem(format="scalar", width=width, height=height, values=layer))


def read_items(run: Path) -> list[media_pb2.MediaItem]:
    """Every item record of a run's event files, read as plain TFRecords (TensorBoard's own
    loader would import TensorFlow, ~15 s)."""
    found = []
    for path in sorted(run.glob("*tfevents*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            length = int.from_bytes(data[pos : pos + 8], "little")
            event = event_pb2.Event.FromString(data[pos + 12 : pos + 12 + length])
            pos += 16 + length
            for value in event.summary.value:
                found.extend(decode_item(blob) for blob in value.tensor.string_val)
    return found


BOMB = zlib.compress(bytes(64 << 20), 9)  # 64 MiB of zeros in ~64 KB


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("heatmaps")
    with mp.Writer(str(root / "run")) as writer:
        for name, (_, array) in SERVED.items():
            writer.add(f"dtype/{name}", mp.Heatmap(array, caption=name), step=1)
        writer.add(
            "seg",
            mp.Image(
                RGB,
                masks={"pred": mp.Mask.from_probabilities(PROBS, {0: "a", 1: "b", 2: "c", 3: "d"})},
                heatmaps={"depth": mp.Heatmap(DEPTH, vmin=0, vmax=10, colormap="turbo")},
            ),
            step=2,
        )
        writer.add("grey16", mp.Image(SERVED["uint16"][1]), step=3)
        writer.add(
            "forged",
            [
                forged_values(8192, 8192, "float32", BOMB),  # declares 256 MiB: too short a stream
                forged_values(64, 64, "float32", BOMB),  # inflates past its declared 16 KiB
                forged_values(64, 64, "float32", zlib.compress(RNG.bytes(100))),  # too short
                forged_values(64, 64, "complex64", zlib.compress(bytes(64 * 64 * 8))),
                forged_values(64, 64, "float32", b"not a zlib stream" * 8),
                Forged(  # a heatmap of another size than its image's
                    media_pb2.MediaItem(
                        format="scalar", width=8, height=8,
                        values=media_pb2.ScalarLayer(
                            width=8, height=8, dtype="uint8", data=zlib.compress(bytes(64))
                        ),
                        heatmaps=[media_pb2.ScalarLayer(name="big", width=9, height=8, dtype="uint8",
                                                        data=zlib.compress(bytes(72)))],
                    )
                ),
            ],
            step=4,
        )
    return root


class Routes:
    def __init__(self, logdir: Path) -> None:
        self.apps = MediaPanelPlugin(TBContext(logdir=str(logdir))).get_plugin_apps()

    def get(self, route: str, query: str) -> Any:
        return Client(self.apps["/" + route]).get(f"/{route}?{query}")

    def items(self, tag: str, step: int) -> list[dict[str, Any]]:
        response = self.get("items", f"run=run&tag={tag}&step={step}")
        assert response.status_code == 200, response.get_data()
        return json.loads(response.get_data())["items"]  # type: ignore[no-any-return]

    def values(self, tag: str, step: int, index: int = 0, layer: str = "") -> tuple[int, bytes]:
        response = self.get("heatmap", f"run=run&tag={tag}&step={step}&index={index}&layer={layer}")
        return response.status_code, response.get_data()


@pytest.fixture(scope="module")
def routes(logdir: Path) -> Routes:
    return Routes(logdir)


# ---- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", sorted(SERVED))
def test_heatmap_values_come_back_bit_exact(routes: Routes, dtype: str) -> None:
    served, array = SERVED[dtype]
    (item,) = routes.items(f"dtype/{dtype}", 1)
    meta = item["values"]
    assert (item["kind"], item["format"], item["caption"]) == ("image", "scalar", dtype)
    assert set(meta) == META_KEYS
    assert (meta["width"], meta["height"], meta["dtype"]) == (W, H, np.dtype(served).name)
    status, raw = routes.values(f"dtype/{dtype}", 1)
    assert status == 200 and len(raw) == W * H * np.dtype(served).itemsize
    got = np.frombuffer(raw, np.dtype(served).newbyteorder("<")).reshape(H, W)
    if dtype == "float16":
        got = got.astype(np.float16)  # widened exactly: narrowing again gives the logged bits
    assert got.tobytes() == array.tobytes()
    finite = array.astype(np.float64)
    assert (meta["min"], meta["max"]) == (finite.min(), finite.max())
    assert meta["p01"] == pytest.approx(np.percentile(finite, 1), rel=1e-3)
    assert meta["p99"] == pytest.approx(np.percentile(finite, 99), rel=1e-3)


def test_image_with_heatmap_and_probability_mask(routes: Routes) -> None:
    (item,) = routes.items("seg", 2)
    assert item["values"] is None and item["format"] == "png"
    depth, confidence = item["heatmaps"]
    finite = DEPTH[np.isfinite(DEPTH)]
    assert depth == {
        "name": "depth", "width": W, "height": H, "dtype": "float32", "vmin": 0.0, "vmax": 10.0,
        "colormap": "turbo", "min": float(finite.min()), "max": float(finite.max()),
        "p01": pytest.approx(np.percentile(finite, 1)), "p99": pytest.approx(np.percentile(finite, 99)),
        "nan_count": 3, "role": "", "of": "",
    }
    named = (confidence["name"], confidence["role"], confidence["of"])
    assert named == ("pred.confidence", "confidence", "pred")
    status, raw = routes.values("seg", 2, layer="depth")
    assert status == 200
    np.testing.assert_array_equal(np.frombuffer(raw, "<f4").reshape(H, W), DEPTH)  # NaN stays NaN
    status, raw = routes.values("seg", 2, layer="pred.confidence")
    assert np.array_equal(np.frombuffer(raw, "<f4").reshape(H, W), PROBS.max(axis=-1))
    ids = routes.get("mask", "run=run&tag=seg&step=2&index=0&layer=pred").get_data()
    assert np.array_equal(np.frombuffer(ids, "<u2").reshape(H, W), PROBS.argmax(axis=-1))


def test_route_headers_and_refusals(routes: Routes) -> None:
    response = routes.get("heatmap", "run=run&tag=seg&step=2&index=0&layer=depth")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert routes.values("seg", 2, layer="nope") == (
        404, b'{"error": "item has no heatmap layer \'nope\'; layers: [\'depth\', \'pred.confidence\']"}'
    )
    status, body = routes.values("seg", 2)  # an RGB image has no values of its own
    assert status == 404 and b"not a scalar image" in body
    assert routes.values("seg", 2, index=1)[0] == 404
    assert routes.get("heatmap", "run=run&tag=seg&step=x&index=0").status_code == 400


def test_forged_layers_are_refused_with_bounded_memory(routes: Routes) -> None:
    reasons = []
    tracemalloc.start()
    try:
        for index in range(5):
            status, body = routes.values("forged", 4, index=index)
            assert status == 404
            reasons.append(json.loads(body)["error"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # the records' own bytes (the bomb is ~64 KB), never what they declare
    assert "cannot hold the declared 268435456" in reasons[0]
    assert "more than the declared 16384" in reasons[1]
    assert "expected 16384 bytes of values" in reasons[2]
    assert "dtype 'complex64'" in reasons[3]
    assert "unreadable" in reasons[4]
    status, body = routes.values("forged", 4, index=5, layer="big")
    assert (status, json.loads(body)["error"]) == (
        404, "heatmap layer unreadable: expected 8x8 values to match its image, got 9x8"
    )
    assert routes.values("forged", 4, index=5) == (200, bytes(64))
    # unusable layers are not described either
    described = routes.items("forged", 4)
    assert described[3]["values"] is None and described[5]["heatmaps"] == []


def test_one_channel_uint16_and_float_images_are_scalar_images(routes: Routes) -> None:
    (item,) = routes.items("grey16", 3)
    values = item["values"]
    assert (item["format"], values["dtype"], values["colormap"]) == ("scalar", "uint16", "gray")
    assert routes.values("grey16", 3)[1] == SERVED["uint16"][1].astype("<u2").tobytes()
    depth = mp.Image(np.linspace(-5, 5, 12).reshape(3, 4)).to_record()  # float64 -> float32
    assert (depth.format, depth.values.dtype, depth.data) == ("scalar", "float32", b"")
    normalized = mp.Image(np.linspace(-5, 5, 12).reshape(3, 4), normalize=True).to_record()
    assert (normalized.format, normalized.HasField("values")) == ("png", False)
    assert mp.Image(np.zeros((3, 4), np.uint8)).to_record().format == "png"


def test_downloading_a_scalar_image_gives_its_values_as_npy(routes: Routes) -> None:
    """The panel's Download link of a scalar image (the data route) gives the values in their
    stored dtype, as a .npy file numpy reads: a scalar image has no encoded payload to give."""
    cases = (("grey16", 3, SERVED["uint16"][1]), ("dtype/float16", 1, SERVED["float16"][1]))
    for tag, step, expected in cases:
        response = routes.get("data", f"run=run&tag={tag}&step={step}&index=0")
        assert response.status_code == 200, response.get_data()
        assert response.headers["Content-Type"] == "application/octet-stream"
        values = np.load(io.BytesIO(response.get_data()), allow_pickle=False)
        assert values.dtype == expected.dtype and np.array_equal(values, expected, equal_nan=True)


def test_512_float32_heatmap_fits_on_disk(tmp_path: Path) -> None:
    noise = RNG.standard_normal((512, 512)).astype(np.float32)  # incompressible
    with mp.Writer(str(tmp_path / "noise")) as writer:
        writer.add("h", mp.Heatmap(noise), step=0)
    (noise_file,) = (tmp_path / "noise").iterdir()
    assert noise_file.stat().st_size <= 1_050_000
    smooth = np.full((512, 512), np.nan, np.float32)
    smooth[:256] = np.linspace(0, 1, 512, dtype=np.float32)
    with mp.Writer(str(tmp_path / "smooth")) as writer:
        writer.add("h", mp.Heatmap(smooth), step=0)
    (smooth_file,) = (tmp_path / "smooth").iterdir()
    assert smooth_file.stat().st_size < 100_000  # what deflates well is deflated
    (record,) = read_items(tmp_path / "smooth")
    assert zlib.decompress(record.values.data) == smooth.tobytes()


# ---- writers and frameworks ----------------------------------------------------------------


def test_torch_and_tensorboardx_writers_and_tensors(tmp_path: Path) -> None:
    torch = require("torch")
    from torch.utils.tensorboard import SummaryWriter

    depth = torch.from_numpy(DEPTH).requires_grad_(True)
    probs = torch.from_numpy(PROBS)
    mask = mp.Mask.from_probabilities(probs)
    item = mp.Image(RGB, heatmaps={"depth": mp.Heatmap(depth)}, masks={"p": mask})
    assert mp.Heatmap(torch.ones(1, H, W, dtype=torch.float16)).to_record().values.dtype == "float16"
    writer = SummaryWriter(str(tmp_path / "torch"))
    mp.log(writer, "seg", item, 5)
    writer.close()
    tbx = require("tensorboardX").SummaryWriter(str(tmp_path / "tbx"))
    mp.log(tbx, "seg", item, 5)
    tbx.close()
    for run in ("torch", "tbx"):
        (record,) = read_items(tmp_path / run)
        assert record.SerializeToString() == item.to_record().SerializeToString()
        assert zlib.decompress(record.heatmaps[0].data) == DEPTH.tobytes()


def test_tf_tensors_and_summary_write(tmp_path: Path) -> None:
    tf = require("tensorflow")
    heatmap = mp.Heatmap(tf.constant(SERVED["uint16"][1]), colormap="magma")
    mask = mp.Mask.from_probabilities(tf.constant(PROBS))
    assert mask.confidence is not None and mask.confidence.dtype == "float32"
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        assert bool(mp.summary.write("depth", heatmap, step=2))
    (record,) = read_items(tmp_path)
    assert record.values.colormap == "magma"
    assert zlib.decompress(record.values.data) == SERVED["uint16"][1].tobytes()


def test_int64_and_bool_are_stored_in_a_narrower_dtype() -> None:
    assert mp.Heatmap(np.arange(-3, 9).reshape(3, 4)).to_record().values.dtype == "int32"
    assert mp.Heatmap(np.full((2, 2), 2**32 - 1, np.int64)).to_record().values.dtype == "uint32"
    assert mp.Heatmap(np.eye(3, dtype=bool)).to_record().values.dtype == "uint8"


# ---- errors ----------------------------------------------------------------------------------

ERRORS = [
    (lambda: mp.Heatmap(np.zeros((2, 3, 4))), ValueError,
     r"values: expected a non-empty HxW array, got ndarray of shape \(2, 3, 4\)"),
    (lambda: mp.Heatmap(np.zeros((0, 3))), ValueError, r"values: expected a non-empty HxW array"),
    (lambda: mp.Heatmap(np.array([["a", "b"]])), TypeError, r"values: expected a numeric array, got .*<U1"),
    (lambda: mp.Heatmap(np.ones((2, 2), np.complex64)), TypeError, r"values: expected a numeric array"),
    (lambda: mp.Heatmap(np.full((2, 2), np.nan)), ValueError,
     r"values: expected at least one finite value \(NaN means no data\)"),
    (lambda: mp.Heatmap(np.full((2, 2), 2**40)), ValueError,
     r"values: expected integers that fit in int32 or uint32, got values in \[1099511627776"),
    (lambda: mp.Heatmap(np.broadcast_to(np.float32(0), (8193, 8192))), ValueError,
     r"values: expected at most 67108864 values \(8192x8192\), got 8193x8192"),
    (lambda: mp.Heatmap(DEPTH, colormap="jet"), ValueError,
     r"colormap: expected one of viridis, magma, turbo, gray, rdbu, got 'jet'"),
    (lambda: mp.Heatmap(DEPTH, vmin=2, vmax=1), ValueError,
     r"vmin, vmax: expected vmin < vmax, got vmin=2, vmax=1"),
    (lambda: mp.Heatmap(DEPTH, vmin=1, vmax=1), ValueError, r"expected vmin < vmax"),
    (lambda: mp.Heatmap(DEPTH, vmax=float("nan")), ValueError, r"vmax: expected a finite number, got nan"),
    (lambda: mp.Heatmap(DEPTH, vmin="0"), TypeError, r"vmin: expected a number or None, got str '0'"),
    (lambda: mp.Heatmap(DEPTH, caption=3), TypeError, r"caption: expected a str or None"),
    (lambda: mp.Image(RGB, heatmaps={"d": mp.Heatmap(DEPTH[:5])}), ValueError,
     rf"heatmaps\['d'\]: expected a {H}x{W} heatmap to match the image, got 5x{W}"),
    (lambda: mp.Image(RGB, heatmaps={"d": DEPTH}), TypeError,
     r"heatmaps\['d'\]: expected an mp.Heatmap, got ndarray"),
    (lambda: mp.Image(RGB, heatmaps=[DEPTH]), TypeError,
     r"heatmaps: expected a dict \{layer name: Heatmap\}"),
    (lambda: mp.Image(RGB, masks={"p": mp.Mask.from_probabilities(PROBS)},
                      heatmaps={"p.confidence": mp.Heatmap(DEPTH)}), ValueError,
     r"heatmaps: layer name 'p.confidence' is taken by the confidence of mask 'p'"),
    (lambda: mp.Image(RGB, masks={"p": mp.Mask.from_probabilities(PROBS[:4])}), ValueError,
     rf"masks\['p'\]: expected a {H}x{W} mask to match the image, got 4x{W}"),
    (lambda: mp.Mask.from_probabilities(PROBS[..., 0]), ValueError,
     r"probs: expected a non-empty HxWxC array of class probabilities, got ndarray of shape \(24, 32\)"),
    (lambda: mp.Mask.from_probabilities(np.ones((2, 2, 3), np.int64)), TypeError,
     r"probs: expected a float array of probabilities, got ndarray of shape \(2, 2, 3\) and dtype int64"),
    (lambda: mp.Mask.from_probabilities(PROBS * 3 - 1), ValueError,
     r"probs: expected probabilities in \[0, 1\] \(apply a softmax first\), got values in \[-0.99"),
    (lambda: mp.Mask.from_probabilities(np.full((2, 2, 2), np.nan)), ValueError,
     r"probs: expected finite values, got 8 NaN or inf"),
    (lambda: mp.Mask.from_probabilities(PROBS, {0: "a", 1: "b"}), ValueError,
     r"class_ids: expected class ids covered by class_labels \(0..1\), got ids \[2, 3\]"),
]


@pytest.mark.parametrize("make, error, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_input_names_the_argument(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


# ---- mp.Reader -------------------------------------------------------------------------------


def test_reader_gives_stored_dtypes_and_heatmap_layers(logdir: Path) -> None:
    reader = mp.Reader(logdir)
    for dtype, (_, array) in SERVED.items():
        (item,) = reader.items("run", f"dtype/{dtype}", 1)
        values = item.to_numpy()
        assert values.dtype == array.dtype and values.tobytes() == array.tobytes()
    (seg,) = reader.items("run", "seg", 2)
    layers = seg.heatmaps
    assert list(layers) == ["depth", "pred.confidence"]
    np.testing.assert_array_equal(layers["depth"], DEPTH)
    assert seg.to_numpy().shape == (H, W, 3)
    assert seg.metadata["heatmaps"][1]["of"] == "pred"
    (forged,) = reader.items("run", "forged", 4)[3:4]
    with pytest.raises(ValueError, match="dtype 'complex64'"):
        forged.to_numpy()


def test_export_zip_keeps_values_and_heatmap_layers(logdir: Path, tmp_path: Path) -> None:
    import io
    import zipfile

    from tb_media_panel.cli import main

    out = tmp_path / "out.zip"
    for tag in ("seg", "dtype/uint16"):
        assert main(["export", "--logdir", str(logdir), "--run", "run", "--tag", tag, "--to", str(out)]) == 0
        archive = zipfile.ZipFile(out)
        (entry,) = json.loads(archive.read("manifest.json"))["items"]
        arrays = {n: np.load(io.BytesIO(archive.read(n))) for n in archive.namelist() if n.endswith(".npy")}
        if tag == "seg":
            np.testing.assert_array_equal(arrays[entry["heatmaps"][0]["path"]], DEPTH)
            assert arrays[entry["heatmaps"][1]["path"]].tobytes() == PROBS.max(axis=-1).tobytes()
        else:
            assert arrays[entry["path"]].tobytes() == SERVED["uint16"][1].tobytes()
