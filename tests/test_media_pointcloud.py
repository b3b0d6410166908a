"""mp.PointCloud and mp.Box3D: binary arrays that round-trip bit-exact through event files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import tb_media_panel as mp
from tests.conftest import require
from tests.writer_helpers import read_media


def write_and_read(tmp_path: Path, media: mp.PointCloud) -> object:
    with mp.Writer(str(tmp_path)) as w:
        w.add("cloud", media, step=7)
    found = read_media(tmp_path)
    assert list(found) == [("cloud", 7)]
    (item,) = found[("cloud", 7)]
    assert item.kind == "pointcloud"
    assert item.mime == "application/octet-stream"
    assert item.format == "points"
    assert item.data == b""
    return item


def positions(item) -> np.ndarray:
    return np.frombuffer(item.point_cloud.positions, dtype="<f4").reshape(-1, 3)


def colors(item) -> np.ndarray:
    return np.frombuffer(item.point_cloud.colors, dtype=np.uint8).reshape(-1, 3)


def labels(item) -> np.ndarray:
    width = item.point_cloud.label_bytes
    return np.frombuffer(item.point_cloud.labels, dtype={1: "<u1", 2: "<u2", 4: "<u4"}[width])


def test_round_trip_is_bit_exact_with_every_extra(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    xyz = rng.normal(scale=50, size=(5000, 3)).astype(np.float32)
    xyz[0] = [-0.0, np.finfo(np.float32).tiny, np.finfo(np.float32).max]  # edge bit patterns
    rgb = rng.integers(0, 256, (5000, 3), dtype=np.uint8)
    cls = rng.integers(0, 3, 5000)
    boxes = [
        mp.Box3D(
            center=(1, 2, 3),
            size=(4, 5, 6),
            rotation=(0, 0, 0, 2),
            label="car",
            score=0.9,
            color=(255, 0, 0),
        ),
        mp.Box3D(center=[0.5, 0.5, 0.5], size=[1, 1, 1]),
    ]
    vectors = [((0, 0, 0), (1, 0, 0)), ((0, 0, 0), (0, 1, 0), (0, 255, 0))]
    cloud = mp.PointCloud(
        xyz,
        colors=rgb,
        labels=cls,
        class_labels={0: "road", 1: "car", 2: "tree"},
        boxes=boxes,
        vectors=vectors,
        caption="lidar",
    )
    item = write_and_read(tmp_path, cloud)

    assert item.caption == "lidar"
    assert item.point_cloud.num_points == 5000
    assert positions(item).view(np.uint32).tolist() == xyz.view(np.uint32).tolist()
    assert np.array_equal(colors(item), rgb)
    assert item.point_cloud.label_bytes == 1
    assert np.array_equal(labels(item), cls)
    assert [(c.id, c.name) for c in item.point_cloud.class_labels] == [
        (0, "road"),
        (1, "car"),
        (2, "tree"),
    ]

    first, second = item.point_cloud.boxes
    assert list(first.center) == [1, 2, 3] and list(first.size) == [4, 5, 6]
    assert list(first.rotation) == [0, 0, 0, 1]  # normalised
    assert (
        first.label == "car"
        and first.score == pytest.approx(0.9)
        and first.color == b"\xff\x00\x00"
    )
    assert (
        list(second.rotation) == [1, 0, 0, 0]
        and not second.HasField("score")
        and second.color == b""
    )
    v0, v1 = item.point_cloud.vectors
    assert list(v0.end) == [1, 0, 0] and v0.color == b""
    assert list(v1.end) == [0, 1, 0] and v1.color == b"\x00\xff\x00"


def test_float64_points_and_float_colours_are_converted(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    xyz = rng.normal(size=(100, 3))
    rgb = rng.random((100, 3))
    rgb[0] = [0.0, 1.0, 0.5]
    item = write_and_read(tmp_path, mp.PointCloud(xyz, colors=rgb))
    assert np.array_equal(positions(item), xyz.astype(np.float32))
    assert np.array_equal(colors(item), np.rint(rgb * 255).astype(np.uint8))
    assert colors(item)[0].tolist() == [0, 255, 128]
    assert item.point_cloud.label_bytes == 0 and item.point_cloud.labels == b""


def test_wandb_layouts_xyz_rgb_and_xyz_class(tmp_path: Path) -> None:
    xyzrgb = np.array([[0, 1, 2, 255, 0, 10], [3, 4, 5, 0, 128, 20]], dtype=np.float64)
    item = write_and_read(tmp_path / "rgb", mp.PointCloud(xyzrgb))
    assert positions(item).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert colors(item).tolist() == [[255, 0, 10], [0, 128, 20]]

    xyzc = np.array([[0, 1, 2, 3], [3, 4, 5, 1]], dtype=np.float32)
    item = write_and_read(tmp_path / "cls", mp.PointCloud(xyzc, class_labels={1: "a", 3: "b"}))
    assert positions(item).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert labels(item).tolist() == [3, 1]
    assert item.point_cloud.colors == b""


@pytest.mark.parametrize(
    ("top", "width"), [(255, 1), (256, 2), (65535, 2), (65536, 4), (2**32 - 1, 4)]
)
def test_label_width_follows_the_largest_id(tmp_path: Path, top: int, width: int) -> None:
    ids = np.array([0, top, 5], dtype=np.int64)
    item = write_and_read(tmp_path, mp.PointCloud(np.zeros((3, 3)), labels=ids))
    assert item.point_cloud.label_bytes == width
    assert labels(item).tolist() == [0, top, 5]


def test_torch_tensors_are_accepted(tmp_path: Path) -> None:
    torch = require("torch")
    xyz = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    item = write_and_read(tmp_path, mp.PointCloud(xyz, labels=torch.tensor([0, 1, 1, 0])))
    assert positions(item).tolist() == xyz.tolist()
    assert labels(item).tolist() == [0, 1, 1, 0]


def test_open3d_scan_round_trips_bit_exact(tmp_path: Path, fixture_path) -> None:
    o3d = require("open3d")
    pcd = o3d.io.read_point_cloud(str(fixture_path("pointcloud_bunny_bun000_scan.ply")))
    xyz = np.asarray(pcd.points)
    assert xyz.shape == (40256, 3)
    from_array = write_and_read(tmp_path / "array", mp.PointCloud(xyz))
    from_geometry = write_and_read(tmp_path / "geometry", mp.PointCloud(pcd))
    expected = xyz.astype("<f4")
    assert positions(from_array).tobytes() == expected.tobytes()
    assert positions(from_geometry).tobytes() == expected.tobytes()


def test_open3d_colours_come_along(tmp_path: Path) -> None:
    o3d = require("open3d")
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.eye(3)))
    pcd.colors = o3d.utility.Vector3dVector(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    item = write_and_read(tmp_path, mp.PointCloud(pcd))
    assert colors(item).tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


def test_empty_cloud_is_allowed(tmp_path: Path) -> None:
    item = write_and_read(tmp_path, mp.PointCloud(np.zeros((0, 3), dtype=np.float32)))
    assert item.point_cloud.num_points == 0 and item.point_cloud.positions == b""


def test_partial_class_labels_warn_naming_the_ids() -> None:
    with pytest.warns(UserWarning, match=r"class ids 1, 2 have no name"):
        mp.PointCloud(np.zeros((4, 3)), labels=[0, 1, 2, 3], class_labels={0: "a", 3: "d"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mp.PointCloud(np.zeros((2, 3)), labels=[0, 3], class_labels={0: "a", 3: "d"})


N = 10


def _xyz() -> np.ndarray:
    return np.zeros((N, 3), dtype=np.float32)


def _with(index: tuple[int, int], value: float) -> np.ndarray:
    a = _xyz()
    a[index] = value
    return a


BAD_CLOUDS = [
    (
        "nx5",
        lambda: mp.PointCloud(np.zeros((N, 5))),
        ValueError,
        r"points: expected an array of shape \(N, 3\).*\(10, 5\)",
    ),
    ("rank1", lambda: mp.PointCloud(np.zeros(9)), ValueError, r"points: .*shape \(9,\)"),
    (
        "rank3",
        lambda: mp.PointCloud(np.zeros((2, 3, 3))),
        ValueError,
        r"points: .*shape \(2, 3, 3\)",
    ),
    (
        "strings",
        lambda: mp.PointCloud(np.array([["a", "b", "c"]])),
        TypeError,
        r"points: expected a numeric",
    ),
    ("object", lambda: mp.PointCloud(object()), TypeError, r"points: expected an array"),
    (
        "nan",
        lambda: mp.PointCloud(_with((3, 1), np.nan)),
        ValueError,
        r"points: expected finite.*1 NaN",
    ),
    ("inf", lambda: mp.PointCloud(_with((0, 0), np.inf)), ValueError, r"points: expected finite"),
    (
        "overflow",
        lambda: mp.PointCloud(np.full((1, 3), 1e300)),
        ValueError,
        r"points: expected finite.*float32",
    ),
    (
        "colors_nan",
        lambda: mp.PointCloud(_xyz(), colors=np.full((N, 3), np.nan)),
        ValueError,
        r"colors: expected finite",
    ),
    (
        "colors_float_range",
        lambda: mp.PointCloud(_xyz(), colors=np.full((N, 3), 1.5)),
        ValueError,
        r"colors: expected float colours in \[0, 1\].*1\.5",
    ),
    (
        "colors_int_range",
        lambda: mp.PointCloud(_xyz(), colors=np.full((N, 3), 300)),
        ValueError,
        r"colors: expected integer colours in 0\.\.255.*300",
    ),
    (
        "colors_negative",
        lambda: mp.PointCloud(_xyz(), colors=np.full((N, 3), -1)),
        ValueError,
        r"colors: .*0\.\.255",
    ),
    (
        "colors_length",
        lambda: mp.PointCloud(_xyz(), colors=np.zeros((N - 1, 3), np.uint8)),
        ValueError,
        r"colors: expected one entry per point \(10\), got 9",
    ),
    (
        "colors_shape",
        lambda: mp.PointCloud(_xyz(), colors=np.zeros((N, 4), np.uint8)),
        ValueError,
        r"colors: expected an array of shape \(N, 3\)",
    ),
    (
        "colors_twice",
        lambda: mp.PointCloud(np.zeros((N, 6)), colors=np.zeros((N, 3), np.uint8)),
        ValueError,
        r"colors: given twice",
    ),
    (
        "rgb_columns_range",
        lambda: mp.PointCloud(np.full((N, 6), 256.0)),
        ValueError,
        r"points: expected rgb columns 4\.\.6 in 0\.\.255",
    ),
    (
        "labels_length",
        lambda: mp.PointCloud(_xyz(), labels=np.zeros(N + 1, int)),
        ValueError,
        r"labels: expected one entry per point \(10\), got 11",
    ),
    (
        "labels_rank",
        lambda: mp.PointCloud(_xyz(), labels=np.zeros((N, 1), int)),
        ValueError,
        r"labels: expected N class ids",
    ),
    (
        "labels_negative",
        lambda: mp.PointCloud(_xyz(), labels=np.full(N, -1)),
        ValueError,
        r"labels: expected class ids in 0\.\.4294967295",
    ),
    (
        "labels_fraction",
        lambda: mp.PointCloud(_xyz(), labels=np.full(N, 0.5)),
        ValueError,
        r"labels: expected integer class ids",
    ),
    (
        "labels_twice",
        lambda: mp.PointCloud(np.zeros((N, 4)), labels=np.zeros(N, int)),
        ValueError,
        r"labels: given twice",
    ),
    (
        "labels_beyond",
        lambda: mp.PointCloud(_xyz(), labels=[0] * 8 + [5, 7], class_labels={0: "a", 1: "b"}),
        ValueError,
        r"labels: class ids 5, 7 are not in class_labels",
    ),
    (
        "class_column_beyond",
        lambda: mp.PointCloud(np.array([[0, 0, 0, 9.0]]), class_labels={0: "a"}),
        ValueError,
        r"labels: class ids 9 ",
    ),
    (
        "class_labels_alone",
        lambda: mp.PointCloud(_xyz(), class_labels={0: "a"}),
        ValueError,
        r"class_labels: given without labels",
    ),
    (
        "class_labels_type",
        lambda: mp.PointCloud(_xyz(), labels=np.zeros(N, int), class_labels=["a"]),
        TypeError,
        r"class_labels: expected a dict",
    ),
    (
        "boxes_type",
        lambda: mp.PointCloud(_xyz(), boxes=mp.Box3D((0, 0, 0), (1, 1, 1))),
        TypeError,
        r"boxes: expected a list of mp.Box3D",
    ),
    (
        "boxes_item",
        lambda: mp.PointCloud(_xyz(), boxes=[{"center": (0, 0, 0)}]),
        TypeError,
        r"boxes\[0\]: expected an mp.Box3D",
    ),
    (
        "vectors_shape",
        lambda: mp.PointCloud(_xyz(), vectors=[((0, 0, 0),)]),
        TypeError,
        r"vectors\[0\]: expected a \(start, end\)",
    ),
    (
        "vectors_length",
        lambda: mp.PointCloud(_xyz(), vectors=[((0, 0), (1, 1, 1))]),
        ValueError,
        r"vectors\[0\] start: expected 3 numbers",
    ),
    (
        "vectors_nan",
        lambda: mp.PointCloud(_xyz(), vectors=[((0, 0, 0), (1, np.nan, 1))]),
        ValueError,
        r"vectors\[0\] end: expected finite",
    ),
    (
        "vectors_color",
        lambda: mp.PointCloud(_xyz(), vectors=[((0, 0, 0), (1, 1, 1), (2.0, 0, 0))]),
        ValueError,
        r"vectors\[0\] color: expected float colours in \[0, 1\]",
    ),
    ("caption", lambda: mp.PointCloud(_xyz(), caption=3), TypeError, r"caption: expected a str"),
]


@pytest.mark.parametrize(
    ("make", "error", "message"), [c[1:] for c in BAD_CLOUDS], ids=[c[0] for c in BAD_CLOUDS]
)
def test_bad_point_cloud_input_raises_naming_the_argument(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


BAD_BOXES = [
    ("center_len", dict(center=(0, 0), size=(1, 1, 1)), ValueError, r"center: expected 3 numbers"),
    (
        "size_len",
        dict(center=(0, 0, 0), size=(1, 1, 1, 1)),
        ValueError,
        r"size: expected 3 numbers",
    ),
    (
        "rotation_len",
        dict(center=(0, 0, 0), size=(1, 1, 1), rotation=(1, 0, 0)),
        ValueError,
        r"rotation: expected 4 numbers",
    ),
    (
        "center_nan",
        dict(center=(0, np.nan, 0), size=(1, 1, 1)),
        ValueError,
        r"center: expected finite",
    ),
    ("size_inf", dict(center=(0, 0, 0), size=(1, np.inf, 1)), ValueError, r"size: expected finite"),
    (
        "rotation_nan",
        dict(center=(0, 0, 0), size=(1, 1, 1), rotation=(np.nan, 0, 0, 0)),
        ValueError,
        r"rotation: expected finite",
    ),
    (
        "rotation_zero",
        dict(center=(0, 0, 0), size=(1, 1, 1), rotation=(0, 0, 0, 0)),
        ValueError,
        r"rotation: expected a non-zero quaternion",
    ),
    (
        "size_negative",
        dict(center=(0, 0, 0), size=(1, -1, 1)),
        ValueError,
        r"size: expected non-negative",
    ),
    ("center_text", dict(center="abc", size=(1, 1, 1)), TypeError, r"center: expected 3 numbers"),
    (
        "label_type",
        dict(center=(0, 0, 0), size=(1, 1, 1), label=3),
        TypeError,
        r"label: expected a str",
    ),
    (
        "score_type",
        dict(center=(0, 0, 0), size=(1, 1, 1), score="high"),
        TypeError,
        r"score: expected a float",
    ),
    (
        "score_nan",
        dict(center=(0, 0, 0), size=(1, 1, 1), score=float("nan")),
        ValueError,
        r"score: expected a finite",
    ),
    (
        "color_len",
        dict(center=(0, 0, 0), size=(1, 1, 1), color=(1, 2)),
        ValueError,
        r"color: expected an \(r, g, b\)",
    ),
    (
        "color_range",
        dict(center=(0, 0, 0), size=(1, 1, 1), color=(0, 0, 256)),
        ValueError,
        r"color: expected integer colours in 0\.\.255",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"), [c[1:] for c in BAD_BOXES], ids=[c[0] for c in BAD_BOXES]
)
def test_bad_box3d_raises_naming_the_argument(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        mp.Box3D(**kwargs)
