"""Decoders for what built-in TensorBoard plugins wrote: text tensors, meshes, WAV headers."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from tb_media_panel.compat import tensor_pb2


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


def text_of_tensor(tensor_bytes: bytes) -> str:
    """A text summary as plain text: a scalar as is, a vector one per line, a table with '|'."""
    proto = tensor_pb2.TensorProto.FromString(tensor_bytes)
    strings = [s.decode("utf-8", "replace") for s in proto.string_val]
    dims = [d.size for d in proto.tensor_shape.dim]
    if len(dims) == 2 and dims[0] * dims[1] == len(strings) and dims[1] > 1:
        width = dims[1]
        rows = [strings[i : i + width] for i in range(0, len(strings), width)]
        return "\n".join(" | ".join(row) for row in rows)
    return "\n".join(strings)


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    duration: float


def wav_info(head: bytes) -> WavInfo | None:
    """Sample rate, channels and duration from the first bytes of a WAV file."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    sample_rate = channels = byte_rate = 0
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        (chunk_size,) = struct.unpack_from("<I", head, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt " and body + 16 <= len(head):
            _, channels, sample_rate, byte_rate = struct.unpack_from("<HHII", head, body)
        elif chunk_id == b"data":
            duration = chunk_size / byte_rate if byte_rate else 0.0
            return WavInfo(sample_rate, channels, duration)
        pos = body + chunk_size + (chunk_size & 1)
    return WavInfo(sample_rate, channels, 0.0) if sample_rate else None


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
