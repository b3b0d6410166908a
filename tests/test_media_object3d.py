"""mp.Object3D: 3D files and Open3D geometries round-trip byte-exact through event files."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np
import pytest

import tb_media_panel as mp
from tests.conftest import require
from tests.writer_helpers import read_media

FIXTURES = [
    ("model_box_embedded.gltf", "gltf", "model/gltf+json"),
    ("model_duck_embedded.gltf", "gltf", "model/gltf+json"),
    ("mesh_spot_triangulated.obj", "obj", "model/obj"),
    ("mesh_spot_control_polygons.obj", "obj", "model/obj"),
    ("mesh_bunny_binary_le.ply", "ply", "application/ply"),
    ("mesh_moon_ascii.stl", "stl", "model/stl"),
    ("mesh_moon_binary.stl", "stl", "model/stl"),
    ("pointcloud_bunny_bun000_scan.ply", "ply", "application/ply"),
]

TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype="<f4").tobytes()


def gltf_document(buffer_uri: str | None) -> dict:
    buffer: dict = {"byteLength": len(TRIANGLE)}
    if buffer_uri is not None:
        buffer["uri"] = buffer_uri
    return {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 3,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            }
        ],
        "bufferViews": [{"buffer": 0, "byteLength": len(TRIANGLE)}],
        "buffers": [buffer],
    }


def minimal_glb() -> bytes:
    """A one-triangle glTF binary built from the spec: header, JSON chunk, BIN chunk."""
    doc = json.dumps(gltf_document(None)).encode()
    doc += b" " * (-len(doc) % 4)  # chunks are 4-byte aligned; JSON pads with spaces
    total = 12 + 8 + len(doc) + 8 + len(TRIANGLE)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<II", len(doc), 0x4E4F534A),
            doc,
            struct.pack("<II", len(TRIANGLE), 0x004E4942),
            TRIANGLE,
        ]
    )


def write_and_read(tmp_path: Path, media: mp.Object3D):
    logdir = tmp_path / "logs"
    with mp.Writer(str(logdir)) as w:
        w.add("model", media, step=2)
    (item,) = read_media(logdir)[("model", 2)]
    assert item.kind == "object3d"
    return item


@pytest.mark.parametrize(("name", "fmt", "mime"), FIXTURES)
def test_real_files_round_trip_byte_exact(
    tmp_path: Path, fixture_path, name: str, fmt: str, mime: str
) -> None:
    path = fixture_path(name)
    item = write_and_read(tmp_path, mp.Object3D(path, caption=name))
    assert (item.format, item.mime, item.caption) == (fmt, mime, name)
    assert item.data == path.read_bytes()


@pytest.mark.parametrize(("name", "fmt", "mime"), FIXTURES)
def test_bytes_are_recognised_without_a_format(
    fixture_path, name: str, fmt: str, mime: str
) -> None:
    data = fixture_path(name).read_bytes()
    record = mp.Object3D(data).to_record()
    assert (record.format, record.mime) == (fmt, mime)
    assert record.data == data
    assert mp.Object3D(bytearray(data), format=fmt.upper()).to_record().data == data


def test_hand_built_glb_round_trips(tmp_path: Path) -> None:
    glb = minimal_glb()
    item = write_and_read(tmp_path, mp.Object3D(glb))
    assert (item.format, item.mime, item.data) == ("glb", "model/gltf-binary", glb)
    path = tmp_path / "triangle.glb"
    path.write_bytes(glb)
    assert mp.Object3D(str(path)).to_record().data == glb


def test_hand_built_glb_is_a_real_model(tmp_path: Path) -> None:
    o3d = require("open3d")
    path = tmp_path / "triangle.glb"
    path.write_bytes(minimal_glb())
    mesh = o3d.io.read_triangle_mesh(str(path))
    assert np.asarray(mesh.vertices).tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


def test_gltf_with_an_external_buffer_is_inlined_from_a_path(tmp_path: Path) -> None:
    (tmp_path / "tri angle.bin").write_bytes(TRIANGLE)
    path = tmp_path / "model.gltf"
    path.write_text(json.dumps(gltf_document("tri%20angle.bin")))
    item = write_and_read(tmp_path, mp.Object3D(path))
    assert item.format == "gltf"
    uri = json.loads(item.data)["buffers"][0]["uri"]
    prefix = "data:application/octet-stream;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]) == TRIANGLE


def test_gltf_bytes_with_an_external_buffer_are_refused() -> None:
    data = json.dumps(gltf_document("triangle.bin")).encode()
    with pytest.raises(
        ValueError, match=r"data: glTF bytes refer to the external file 'triangle.bin'"
    ):
        mp.Object3D(data)


def test_gltf_with_a_missing_external_buffer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.gltf"
    path.write_text(json.dumps(gltf_document("missing.bin")))
    with pytest.raises(
        ValueError, match=r"data: glTF buffers\[0\] refers to 'missing.bin'.*not found"
    ):
        mp.Object3D(path)


def test_open3d_triangle_mesh_becomes_ply(tmp_path: Path) -> None:
    o3d = require("open3d")
    box = o3d.geometry.TriangleMesh.create_box(width=1.0, height=2.0, depth=3.0)
    item = write_and_read(tmp_path, mp.Object3D(box, caption="box"))
    assert (item.format, item.mime, item.caption) == ("ply", "application/ply", "box")
    assert item.data.startswith(b"ply\nformat binary_little_endian")
    copy = tmp_path / "copy.ply"
    copy.write_bytes(item.data)
    back = o3d.io.read_triangle_mesh(str(copy))
    assert np.array_equal(np.asarray(back.vertices), np.asarray(box.vertices))
    assert np.array_equal(np.asarray(back.triangles), np.asarray(box.triangles))


def test_open3d_point_cloud_becomes_ply(tmp_path: Path, fixture_path) -> None:
    o3d = require("open3d")
    scan = o3d.io.read_point_cloud(str(fixture_path("pointcloud_bunny_bun000_scan.ply")))
    item = write_and_read(tmp_path, mp.Object3D(scan))
    assert item.format == "ply"
    copy = tmp_path / "copy.ply"
    copy.write_bytes(item.data)
    back = o3d.io.read_point_cloud(str(copy))
    assert np.array_equal(np.asarray(back.points), np.asarray(scan.points))


def test_bad_input_raises_naming_the_argument(tmp_path: Path, fixture_path) -> None:
    stl = fixture_path("mesh_moon_ascii.stl")
    ply = fixture_path("mesh_bunny_binary_le.ply").read_bytes()
    binary_stl = fixture_path("mesh_moon_binary.stl").read_bytes()
    other = tmp_path / "notes.txt"
    other.write_text("v 0 0 0\n")
    cases = [
        (
            lambda: mp.Object3D(stl, format="ply"),
            ValueError,
            r"data: expected ply \(from format='ply'\), but the content looks like stl",
        ),
        (
            lambda: mp.Object3D(ply, format="obj"),
            ValueError,
            r"data: expected obj .* looks like ply",
        ),
        (
            lambda: mp.Object3D(binary_stl[:-10], format="stl"),
            ValueError,
            r"data: expected stl .*116 triangles",
        ),
        (
            lambda: mp.Object3D(minimal_glb()[:-4]),
            ValueError,
            r"data: could not recognise the 3D format",
        ),
        (
            lambda: mp.Object3D(b"\x00\x01garbage"),
            ValueError,
            r"data: could not recognise the 3D format of 9 bytes",
        ),
        (
            lambda: mp.Object3D(b'{"no": "asset"}', format="gltf"),
            ValueError,
            r"data: expected gltf .*'asset'",
        ),
        (
            lambda: mp.Object3D(b"hello world\nv 0 0 0\n", format="obj"),
            ValueError,
            r"unexpected first line",
        ),
        (lambda: mp.Object3D(other), ValueError, r"data: unknown 3D file extension '.txt'"),
        (
            lambda: mp.Object3D(tmp_path / "missing.obj"),
            ValueError,
            r"data: expected a path to an existing file.*not found",
        ),
        (
            lambda: mp.Object3D(ply, format="fbx"),
            ValueError,
            r"format: expected one of obj, gltf, glb, stl, ply, got 'fbx'",
        ),
        (lambda: mp.Object3D(ply, format=3), TypeError, r"format: expected a str"),
        (lambda: mp.Object3D(42), TypeError, r"data: expected a path, the bytes of .* got int 42"),
        (lambda: mp.Object3D([b"ply"]), TypeError, r"data: expected a path"),
        (lambda: mp.Object3D(ply, caption=b"x"), TypeError, r"caption: expected a str"),
    ]
    for make, error, message in cases:
        with pytest.raises(error, match=message):
            make()


def test_empty_open3d_geometry_is_refused() -> None:
    o3d = require("open3d")
    with pytest.raises(ValueError, match=r"data: expected an Open3D TriangleMesh with vertices"):
        mp.Object3D(o3d.geometry.TriangleMesh())
    with pytest.raises(ValueError, match=r"data: expected an Open3D PointCloud with points"):
        mp.Object3D(o3d.geometry.PointCloud())
    with pytest.raises(ValueError, match=r"format: Open3D geometries are stored as 'ply'"):
        mp.Object3D(o3d.geometry.TriangleMesh.create_box(), format="obj")


def test_obj_with_a_comment_header_as_exporters_write_it(tmp_path: Path) -> None:
    # trimesh and Blender start OBJ files with "# <exporter name>" comment lines.
    data = b"# https://github.com/mikedh/trimesh\n# a triangle\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    item = mp.Object3D(data)
    assert item.to_record().format == "obj"
    assert item.to_record().data == data
