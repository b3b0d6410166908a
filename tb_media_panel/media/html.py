"""HTML: a string of markup or an .html file; scripts allowed (served sandboxed, see docs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tb_media_panel.media.base import Media, check_caption, describe, read_file
from tb_media_panel.proto import media_pb2

_EXTENSIONS = (".html", ".htm")


def _looks_like_path(text: str) -> bool:
    """A str is taken as a file path when it holds no markup and names an .html file or an
    existing file; anything else is HTML text."""
    if "<" in text or "\n" in text or len(text) > 4096:
        return False
    return text.lower().endswith(_EXTENSIONS) or os.path.isfile(text)


class Html(Media):
    """A page of HTML (a str, or a path to an .html/.htm file), rendered with its scripts."""

    kind = "html"

    def __init__(self, data: Any, caption: str | None = None) -> None:
        caption_text = check_caption(caption)
        if isinstance(data, os.PathLike) or (isinstance(data, str) and _looks_like_path(data)):
            path = Path(data)
            if path.suffix.lower() not in _EXTENSIONS:
                raise ValueError(
                    f"data: expected HTML text or a path to an .html/.htm file, "
                    f"got {str(data)!r} with extension {path.suffix!r}"
                )
            blob = read_file(path, "data")
            try:
                blob.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"data: expected UTF-8 text in {str(data)!r}, got {exc}") from None
        elif isinstance(data, str):
            blob = data.encode("utf-8")
        else:
            raise TypeError(
                f"data: expected a str of HTML or a path to an .html file, got {describe(data)}"
            )
        record = media_pb2.MediaItem(
            mime="text/html", format="html", caption=caption_text, data=blob
        )
        super().__init__(record)
