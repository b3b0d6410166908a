"""mp.Html: HTML text or .html files, scripts kept, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import tb_media_panel as mp
from tests.test_media_image import write_and_read

PAGE = """<!doctype html>
<html><body><h1 id="t">Résumé ✓</h1>
<script>document.getElementById("t").textContent += " (scripted)";</script>
</body></html>
"""


def test_html_text_round_trips_with_its_scripts(tmp_path: Path) -> None:
    (record,) = write_and_read(tmp_path, mp.Html(PAGE, caption="report"))
    assert (record.kind, record.format, record.mime, record.caption) == (
        "html",
        "html",
        "text/html",
        "report",
    )
    assert record.data.decode("utf-8") == PAGE


def test_html_file_is_kept_byte_exact(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.encode("utf-8"))
    items = [mp.Html(path), mp.Html(str(path))]
    records = write_and_read(tmp_path / "logs", items)
    assert [r.data for r in records] == [path.read_bytes()] * 2


def test_htm_extension_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "PAGE.HTM"
    path.write_text("<p>hi</p>")
    assert mp.Html(path).to_record().data == b"<p>hi</p>"


def test_a_fragment_without_tags_is_html_text() -> None:
    assert mp.Html("just words").to_record().data == b"just words"
    assert mp.Html("").to_record().data == b""


def test_missing_html_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"data: expected a path to an existing file, got .*absent.html"
    ):
        mp.Html(str(tmp_path / "absent.html"))
    with pytest.raises(ValueError, match=r"data: expected a path to an existing file"):
        mp.Html(tmp_path / "absent.html")


def test_path_to_a_file_that_is_not_html_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("<p>looks like html</p>")
    with pytest.raises(
        ValueError,
        match=r"data: expected HTML text or a path to an .html/.htm file, "
        r"got .*notes.txt' with extension '.txt'",
    ):
        mp.Html(path)
    with pytest.raises(ValueError, match=r"extension '.txt'"):
        mp.Html(str(path))


def test_html_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "latin1.html"
    path.write_bytes("<p>café</p>".encode("latin-1"))
    with pytest.raises(ValueError, match=r"data: expected UTF-8 text in .*latin1.html"):
        mp.Html(path)


@pytest.mark.parametrize(
    "data", [b"<p>bytes</p>", 42, None, ["<p>"]], ids=["bytes", "int", "none", "list"]
)
def test_other_data_types_are_rejected(data: object) -> None:
    with pytest.raises(
        TypeError, match=r"data: expected a str of HTML or a path to an .html file, got"
    ):
        mp.Html(data)


def test_bad_caption_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"caption: expected a str or None, got int"):
        mp.Html("<p>x</p>", caption=5)
