"""mesh: the mesh plugin's `<name>_VERTEX`, `_FACE` and `_COLOR` tensors ([batch, n, 3]
each), indexed as parts of one mesh per step and turned into arrays (and PLY) when read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tb_media_panel.compat import tensor_pb2
from tb_media_panel.store.decode.common import tensor_shape
from tb_media_panel.store.series import MeshPart
from tb_media_panel.store.wire import WireError

COMPONENTS = {1: "VERTEX", 2: "FACE", 3: "COLOR"}  # MeshPluginData.ContentType


def decode_part(
    buf: bytes, tensor: tuple[int, int], content: bytes, tag: str, file_id: int, base: int
) -> tuple[str, str, MeshPart] | None:
    """(mesh name, component, part) of a mesh tensor, None for a component not shown."""
    from tensorboard.plugins.mesh import plugin_data_pb2

    try:
        mesh_data = plugin_data_pb2.MeshPluginData.FromString(content)
    except Exception as exc:  # protobuf's DecodeError is no ValueError: skip and count it
        raise WireError(f"mesh plugin metadata unreadable: {exc}") from exc
    component = COMPONENTS.get(mesh_data.content_type)
    if component is None:
        return None
    shape = tensor_shape(buf, tensor)
    s, e = tensor
    check_shape(shape, e - s)
    name = mesh_data.name or tag.rsplit("_", 1)[0]
    return name, component, MeshPart(file_id, base + s, e - s, shape)


def check_shape(shape: tuple[int, ...], length: int) -> None:
    """A mesh tensor is [batch, n, 3]. Each of its items, even an empty one, and each element
    must be backed by a byte of the tensor (real writers spend at least that): its shape alone
    must not make an item list or an array of any size."""
    if len(shape) != 3 or shape[2] != 3 or min(shape) < 0:
        raise WireError(f"mesh tensor of shape {list(shape)}; expected [batch, n, 3]")
    batch, n, _ = shape
    if batch * max(n, 1) * 3 > length:
        raise WireError(f"mesh tensor of shape {list(shape)} in only {length} bytes")


def tensor_array(tensor_bytes: bytes) -> np.ndarray:
    from tensorboard.util import tensor_util

    proto = tensor_pb2.TensorProto.FromString(tensor_bytes)
    elements = 1
    for dim in proto.tensor_shape.dim:
        elements *= max(dim.size, 0)
    # TensorProto fills a shape from one repeated value: a tiny damaged or crafted record could
    # make the server allocate any amount of memory. Real writers spend >= 1 byte per element.
    if elements > len(tensor_bytes):
        raise ValueError(f"tensor of {elements} elements in only {len(tensor_bytes)} bytes")
    return np.asarray(tensor_util.make_ndarray(proto))


@dataclass(frozen=True)
class MeshArrays:
    positions: np.ndarray  # float32 (N, 3)
    colors: np.ndarray | None  # uint8 (N, 3)
    faces: np.ndarray | None  # uint32 (F, 3)


def mesh_batch(vertex: bytes, face: bytes | None, color: bytes | None) -> list[MeshArrays]:
    """Every element of the batch of a mesh summary's tensors ([batch, n, 3] each), decoded
    once for the whole batch: a step's items must not cost a decode each."""
    vertices = tensor_array(vertex)
    if vertices.ndim != 3 or vertices.shape[2] != 3:
        raise ValueError(f"mesh vertices of shape {list(vertices.shape)}; expected [batch, n, 3]")
    positions = vertices.astype("<f4")
    colors = None
    if color is not None:
        logged = tensor_array(color)
        if logged.shape == vertices.shape:  # otherwise not one colour per vertex: left out
            colors = np.clip(np.rint(logged), 0, 255).astype(np.uint8)
    faces = None
    if face is not None:
        logged = tensor_array(face)
        if logged.ndim != 3 or logged.shape[0] != len(vertices) or logged.shape[2] != 3:
            raise ValueError(
                f"mesh faces of shape {list(logged.shape)}; expected [{len(vertices)}, n, 3]"
            )
        faces = np.rint(logged).astype("<u4")
    return [
        MeshArrays(
            positions[i],
            None if colors is None else colors[i],
            None if faces is None else faces[i],
        )
        for i in range(len(vertices))
    ]


def binary_ply(mesh: MeshArrays) -> bytes:
    """A binary little-endian PLY of a triangle mesh, with vertex colours when present."""
    n = len(mesh.positions)
    faces = mesh.faces if mesh.faces is not None else np.zeros((0, 3), "<u4")
    header = [
        "ply",
        "format binary_little_endian 1.0",
        f"element vertex {n}",
        "property float x",
        "property float y",
        "property float z",
    ]
    fields: list[tuple[str, str]] = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if mesh.colors is not None:
        header += ["property uchar red", "property uchar green", "property uchar blue"]
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    header += [
        f"element face {len(faces)}",
        "property list uchar uint vertex_indices",
        "end_header",
    ]
    vertices = np.empty(n, dtype=fields)
    for axis, name in enumerate("xyz"):
        vertices[name] = mesh.positions[:, axis]
    if mesh.colors is not None:
        for axis, name in enumerate(("red", "green", "blue")):
            vertices[name] = mesh.colors[:, axis]
    face_rows = np.empty(len(faces), dtype=[("n", "u1"), ("v", "<u4", (3,))])
    face_rows["n"] = 3
    face_rows["v"] = faces
    return ("\n".join(header) + "\n").encode() + vertices.tobytes() + face_rows.tobytes()
