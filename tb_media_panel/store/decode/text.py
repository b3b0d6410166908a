"""text: `tf.summary.text` string tensors (torch writes them under `<tag>/text_summary`),
indexed whole and turned into text when read.
"""

from __future__ import annotations

from dataclasses import dataclass

from tb_media_panel.compat import tensor_pb2
from tb_media_panel.store.series import Item

TORCH_TEXT_SUFFIX = "/text_summary"


def series_tag(tag: str) -> str:
    """The tag a text summary is listed under: torch's suffix dropped."""
    return tag[: -len(TORCH_TEXT_SUFFIX)] if tag.endswith(TORCH_TEXT_SUFFIX) else tag


def decode(tensor: tuple[int, int]) -> list[Item]:
    s, e = tensor
    return [Item(s, e - s, "text", "txt")]


@dataclass(frozen=True)
class TextTable:
    """A text summary as TensorBoard's text dashboard lays it out: a scalar is one cell, a
    vector one row per element, a matrix a table; of a higher rank, the first 2-D slice
    (`[0, …, 0, :, :]`, as text_plugin.reduce_to_2d). Rows come from the strings the tensor
    holds, never from its claimed shape alone: a shape its strings do not fill is a vector."""

    shape: tuple[int, ...]  # of `rows`: () for a scalar, (n,) for a vector, (rows, columns)
    rows: list[list[str]]
    rank: int  # of the logged tensor


def text_table(tensor_bytes: bytes) -> TextTable:
    proto = tensor_pb2.TensorProto.FromString(tensor_bytes)
    strings = [s.decode("utf-8", "replace") for s in proto.string_val]
    dims = [max(d.size, 0) for d in proto.tensor_shape.dim]
    filled = 1
    for size in dims:
        filled *= size
    if not dims and len(strings) == 1:
        return TextTable((), [strings], 0)
    if len(dims) >= 2 and filled == len(strings):
        height, width = dims[-2], dims[-1]
        cells = strings[: height * width]
        rows = [cells[i : i + width] for i in range(0, len(cells), width)] if width else []
        return TextTable((height, width), rows, len(dims))
    return TextTable((len(strings),), [[s] for s in strings], max(len(dims), 1))


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
