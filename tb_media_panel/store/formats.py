"""The formats a payload may be served as, each with the magic bytes that identify it: the one
table both the index (to tell a legacy payload's format) and the routes (to pick the
Content-Type they send) read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MAGIC_BYTES = 12  # payload bytes the type checks below look at
OCTET_STREAM = "application/octet-stream"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PayloadType:
    name: str
    mime: str
    kinds: frozenset[str]
    matches: Callable[[bytes], bool]  # on the payload's first MAGIC_BYTES


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _mpeg_audio(head: bytes) -> bool:
    # an ID3 tag, or an MPEG audio frame header: 11 sync bits set
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


# The only types a payload is served as (besides HTML and text items, and octet-stream):
# none of them is active content in a browser.
PAYLOAD_TYPES = (
    PayloadType("png", "image/png", frozenset({"image"}), lambda h: h[:8] == PNG_SIGNATURE),
    PayloadType("jpeg", "image/jpeg", frozenset({"image"}), lambda h: h[:3] == b"\xff\xd8\xff"),
    PayloadType("webp", "image/webp", frozenset({"image"}), _riff(b"WEBP")),
    PayloadType("gif", "image/gif", frozenset({"image", "video"}), lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    PayloadType("bmp", "image/bmp", frozenset({"image"}), lambda h: h[:2] == b"BM"),
    PayloadType("mp4", "video/mp4", frozenset({"video"}), lambda h: h[4:8] == b"ftyp"),
    PayloadType("webm", "video/webm", frozenset({"video"}), lambda h: h[:4] == b"\x1a\x45\xdf\xa3"),
    PayloadType("wav", "audio/wav", frozenset({"audio"}), _riff(b"WAVE")),
    PayloadType("mp3", "audio/mpeg", frozenset({"audio"}), _mpeg_audio),
    PayloadType("ogg", "audio/ogg", frozenset({"audio"}), lambda h: h[:4] == b"OggS"),
    PayloadType("flac", "audio/flac", frozenset({"audio"}), lambda h: h[:4] == b"fLaC"),
)
# Kinds served as documents: HTML only under `Content-Security-Policy: sandbox allow-scripts`
# (an opaque origin), text as plain text.
DOCUMENT_TYPES = {"html": HTML_TYPE, "text": TEXT_TYPE}


def served_type(kind: str, head: bytes) -> str:
    """The Content-Type a payload of `kind` starting with `head` is served as."""
    if kind in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[kind]
    for t in PAYLOAD_TYPES:
        if kind in t.kinds and t.matches(head[:MAGIC_BYTES]):
            return t.mime
    return OCTET_STREAM


def indexed_type(kind: str, fmt: str) -> str:
    """The Content-Type of a legacy payload from the format the index sniffed from its bytes."""
    if kind in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[kind]
    for t in PAYLOAD_TYPES:
        if kind in t.kinds and t.name == fmt:
            return t.mime
    return OCTET_STREAM


def displayable(mime: str) -> bool:
    """Whether a browser shows a payload of this served type itself (else: a download)."""
    return mime != OCTET_STREAM


def sniff_format(head: bytes) -> str:
    """The name of the format a payload's first bytes are, or "" (any kind)."""
    return next((t.name for t in PAYLOAD_TYPES if t.matches(head[:MAGIC_BYTES])), "")
