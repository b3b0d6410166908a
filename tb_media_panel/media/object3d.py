"""3D objects: OBJ, glTF, GLB, STL and PLY files (or Open3D geometries), stored byte-exact.

The file's bytes go into the record unchanged so the browser parses them with the matching
three.js loader. The content is sniffed and must agree with the declared format, so a
mislabelled file fails at logging time rather than as a blank cell in the panel.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
import struct
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from tb_media_panel.media.base import Media, check_caption, describe, is_path, read_file
from tb_media_panel.proto import media_pb2

MIME_TYPES = {
    "obj": "model/obj",
    "gltf": "model/gltf+json",
    "glb": "model/gltf-binary",
    "stl": "model/stl",
    "ply": "application/ply",
}
FORMATS = tuple(MIME_TYPES)
_ALIASES = {"wavefront": "obj"}

_GLB_HEADER = struct.Struct("<4sII")
_GLB_CHUNK = struct.Struct("<II")
_GLB_JSON_CHUNK = 0x4E4F534A  # "JSON"
_OBJ_VERTEX = re.compile(rb"^[ \t]*v[ \t]", re.MULTILINE)
_OBJ_LINE = re.compile(rb"^[ \t]*(#|(v|vt|vn|vp|f|l|p|o|g|s|mtllib|usemtl)\b)", re.MULTILINE)


def _normalize_format(format: Any) -> str:
    if not isinstance(format, str):
        raise TypeError(f"format: expected a str such as 'obj' or None, got {describe(format)}")
    name = format.lower().lstrip(".")
    name = _ALIASES.get(name, name)
    if name not in MIME_TYPES:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {format!r}")
    return name


def _glb_problem(data: bytes) -> str | None:
    """Why `data` is not a GLB file, or None when it is one."""
    if len(data) < 20 or data[:4] != b"glTF":
        return "no 'glTF' magic at the start"
    _, version, length = _GLB_HEADER.unpack_from(data, 0)
    if version != 2:
        return f"GLB version {version}, expected 2"
    if length != len(data):
        return f"GLB header says {length} bytes, the data has {len(data)}"
    chunk_length, chunk_type = _GLB_CHUNK.unpack_from(data, 12)
    if chunk_type != _GLB_JSON_CHUNK or 20 + chunk_length > len(data):
        return "the first GLB chunk is not a JSON chunk"
    return _gltf_json_problem(data[20 : 20 + chunk_length])


def _gltf_json(data: bytes) -> dict[str, Any] | None:
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return None
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _gltf_json_problem(data: bytes) -> str | None:
    document = _gltf_json(data)
    if document is None:
        return "not a JSON object"
    if not isinstance(document.get("asset"), dict):
        return "JSON without the glTF 'asset' object"
    return None


def _binary_stl_problem(data: bytes) -> str | None:
    if len(data) < 84:
        return f"{len(data)} bytes is shorter than a binary STL header (84)"
    (count,) = struct.unpack_from("<I", data, 80)
    if 84 + 50 * count != len(data):
        return (
            f"binary STL header counts {count} triangles ({84 + 50 * count} bytes), "
            f"the data has {len(data)} bytes"
        )
    return None


def _ascii_stl_problem(data: bytes) -> str | None:
    if not data.lstrip().startswith(b"solid"):
        return "no 'solid' keyword at the start"
    if b"\0" in data[:4096] or b"endsolid" not in data[-4096:]:
        return "text STL without 'endsolid'"
    return None


def _ply_problem(data: bytes) -> str | None:
    if not (data.startswith(b"ply\n") or data.startswith(b"ply\r\n")):
        return "no 'ply' magic line at the start"
    end = data.find(b"end_header", 0, 1 << 20)
    if end < 0:
        return "PLY header without 'end_header'"
    if not re.search(rb"^format (ascii|binary_little_endian|binary_big_endian) ", data[:end], re.M):
        return "PLY header without a valid 'format' line"
    return None


def _obj_problem(data: bytes) -> str | None:
    head = data[:65536]
    if b"\0" in head:
        return "binary data, not OBJ text"
    if _OBJ_VERTEX.search(data) is None:
        return "no 'v x y z' vertex lines"
    # The first non-blank line must be an OBJ statement, to reject other text formats.
    for line in head.splitlines():
        if line.strip():
            if _OBJ_LINE.match(line) is None:
                return f"unexpected first line {line[:40]!r}"
            break
    return None


def _stl_problem(data: bytes) -> str | None:
    # Binary STL headers may begin with "solid" too, so the size check decides first.
    binary = _binary_stl_problem(data)
    if binary is None:
        return None
    text = _ascii_stl_problem(data)
    if text is None:
        return None
    return text if data.lstrip().startswith(b"solid") else binary


_CHECKS = {
    "glb": _glb_problem,
    "ply": _ply_problem,
    "stl": _stl_problem,
    "gltf": _gltf_json_problem,
    "obj": _obj_problem,
}


def sniff_format(data: bytes) -> str | None:
    """The 3D format the content is, or None: cheap magic checks first, text formats last."""
    for name in ("glb", "ply", "gltf", "stl", "obj"):
        if _CHECKS[name](data) is None:
            return name
    return None


def _external_uris(document: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(section, index, uri) of every buffer and image that points outside the file."""
    found = []
    for section in ("buffers", "images"):
        for i, entry in enumerate(document.get(section) or []):
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if isinstance(uri, str) and not uri.startswith("data:"):
                found.append((section, i, uri))
    return found


def _inline_gltf(data: bytes, document: dict[str, Any], base: Path) -> bytes:
    """Replace external buffer/image URIs by data: URIs, so the record is self-contained."""
    external = _external_uris(document)
    if not external:
        return data  # already self-contained: kept byte-exact
    for section, i, uri in external:
        relative = urllib.parse.unquote(uri)
        if "://" in relative:
            raise ValueError(
                f"data: glTF {section}[{i}] refers to {uri!r}, which is not a local file; "
                "embed it or save the model as GLB"
            )
        target = base / relative
        if not target.is_file():
            raise ValueError(
                f"data: glTF {section}[{i}] refers to {uri!r}, expected the file at {target} "
                "(not found)"
            )
        mime = (
            "application/octet-stream"
            if section == "buffers"
            else (mimetypes.guess_type(target.name)[0] or "application/octet-stream")
        )
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        document[section][i]["uri"] = f"data:{mime};base64,{encoded}"
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _open3d_to_ply(geometry: Any) -> bytes:
    """An Open3D TriangleMesh or PointCloud written as binary PLY through open3d.io."""
    import open3d  # only needed for Open3D input, which means it is installed

    with tempfile.TemporaryDirectory(prefix="tb_media_panel_") as tmp:
        path = os.path.join(tmp, "geometry.ply")
        if hasattr(geometry, "triangles") and hasattr(geometry, "vertices"):
            if len(geometry.vertices) == 0:
                raise ValueError(
                    "data: expected an Open3D TriangleMesh with vertices, got an empty mesh"
                )
            ok = open3d.io.write_triangle_mesh(path, geometry, write_ascii=False)
        else:
            if len(geometry.points) == 0:
                raise ValueError(
                    "data: expected an Open3D PointCloud with points, got an empty cloud"
                )
            ok = open3d.io.write_point_cloud(path, geometry, write_ascii=False)
        if not ok:
            raise ValueError(f"data: Open3D could not write {describe(geometry)} as PLY")
        return Path(path).read_bytes()


def _is_open3d_geometry(value: Any) -> bool:
    return type(value).__module__.startswith("open3d") and (
        hasattr(value, "triangles") or hasattr(value, "points")
    )


class Object3D(Media):
    """A 3D model: a path to or the bytes of an OBJ, glTF, GLB, STL or PLY file, or an Open3D
    TriangleMesh / PointCloud. `format` is taken from the extension or sniffed from bytes."""

    kind = "object3d"

    def __init__(self, data: Any, format: str | None = None, caption: str | None = None) -> None:
        caption_text = check_caption(caption)
        declared = None if format is None else _normalize_format(format)
        origin = f"format={format!r}"
        base: Path | None = None
        if _is_open3d_geometry(data):
            if declared not in (None, "ply"):
                raise ValueError(f"format: Open3D geometries are stored as 'ply', got {format!r}")
            content = _open3d_to_ply(data)
            declared = "ply"
        elif is_path(data):
            path = Path(data)
            content = read_file(path, "data")
            base = path.parent
            if declared is None:
                suffix = path.suffix.lower().lstrip(".")
                if suffix not in MIME_TYPES:
                    raise ValueError(
                        f"data: unknown 3D file extension {path.suffix!r} of {str(path)!r}; "
                        f"expected one of {', '.join('.' + f for f in FORMATS)}, or pass format="
                    )
                declared = suffix
                origin = f"the extension {path.suffix!r}"
        elif isinstance(data, (bytes, bytearray, memoryview)):
            content = bytes(data)
        else:
            raise TypeError(
                "data: expected a path, the bytes of an OBJ/glTF/GLB/STL/PLY file, or an Open3D "
                f"TriangleMesh/PointCloud, got {describe(data)}"
            )

        if declared is None:
            found = sniff_format(content)
            if found is None:
                raise ValueError(
                    f"data: could not recognise the 3D format of {len(content)} bytes; expected "
                    f"{', '.join(FORMATS)} content, or pass format="
                )
            declared = found
        else:
            problem = _CHECKS[declared](content)
            if problem is not None:
                actual = sniff_format(content)
                seen = (
                    f"the content looks like {actual}"
                    if actual
                    else f"the content is not: {problem}"
                )
                raise ValueError(f"data: expected {declared} (from {origin}), but {seen}")

        if declared == "gltf":
            document = _gltf_json(content)
            assert document is not None  # checked above
            if base is not None:
                content = _inline_gltf(content, document, base)
            elif _external_uris(document):
                section, i, uri = _external_uris(document)[0]
                raise ValueError(
                    f"data: glTF bytes refer to the external file {uri!r} ({section}[{i}]); pass "
                    "the .gltf path so it can be embedded, or use an embedded glTF or GLB"
                )

        record = media_pb2.MediaItem(
            mime=MIME_TYPES[declared], format=declared, caption=caption_text, data=content
        )
        super().__init__(record)
