"""text: `tf.summary.text` string tensors (torch writes them under `<tag>/text_summary`),
indexed whole and turned into text when read.
"""

from __future__ import annotations

from tb_media_panel.compat import tensor_pb2
from tb_media_panel.store.series import Item

TORCH_TEXT_SUFFIX = "/text_summary"


def series_tag(tag: str) -> str:
    """The tag a text summary is listed under: torch's suffix dropped."""
    return tag[: -len(TORCH_TEXT_SUFFIX)] if tag.endswith(TORCH_TEXT_SUFFIX) else tag


def decode(tensor: tuple[int, int]) -> list[Item]:
    s, e = tensor
    return [Item(s, e - s, "text", "txt")]


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
