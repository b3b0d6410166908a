"""Text summaries and summary descriptions as TensorBoard shows them (issue 13 items 17, 18).

The logdir is written by TensorFlow's own summary API, as tensorboard's text_demo.py and
audio_demo.py write theirs: a vector of strings, a 2-D multiplication table, a rank-3 tensor, a
scalar of markdown, and audio with a per-waveform markdown description. Chromium against a real
`tensorboard --logdir`.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import open_media_tab, until
from tests.conftest import require

TF_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf
    writer = tf.summary.create_file_writer(sys.argv[1])
    with writer.as_default():
        tf.summary.text("notes/vector", tf.constant(["first *line*", "second", "third"]), step=0)
        table = [[str(r * c) for c in range(1, 5)] for r in range(1, 4)]
        tf.summary.text("notes/multiplication_table", tf.constant(table), step=0)
        cube = [[[f"{i}{j}{k}" for k in range(2)] for j in range(2)] for i in range(2)]
        tf.summary.text("notes/cube", tf.constant(cube), step=0)
        tf.summary.text("notes/scalar", "**bold** and _em_", step=0)
        t = np.linspace(0, 1, 8000, dtype=np.float32)
        wave = np.sin(2 * np.pi * 440 * t).reshape(1, -1, 1)
        tf.summary.audio(
            "waveform/sine", wave, 8000, step=0,
            description="A **sine** wave at *440 Hz*. <img src=x onerror=\\"window.__pwned=1\\">",
        )
    writer.close()
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.tb_server import serving

    root = tmp_path_factory.mktemp("text_logs")
    if importlib.util.find_spec("tensorflow") is None:  # checked without importing it here
        require("tensorflow")
    subprocess.run(
        [sys.executable, "-c", TF_SCRIPT, str(root / "tf")],
        check=True,
        capture_output=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    with serving(root, root.parent / "tb-text.log") as tb:
        yield tb


def text_cell(frame: Any, tag: str) -> Any:
    # Cards below the fold mount their cells when scrolled to.
    frame.locator(".mp-card-title", has_text=tag).first.scroll_into_view_if_needed(timeout=60_000)
    cell = frame.locator(f'.mp-cell[data-tag="{tag}"][data-state="ready"] .mp-text')
    cell.first.wait_for(timeout=60_000)
    return cell.first


def rows(cell: Any) -> list[list[str]]:
    return cell.evaluate(
        "(el) => [...el.querySelectorAll('tr')].map(tr => [...tr.cells].map(td => td.textContent.trim()))"
    )


def test_vector_one_row_per_element_and_matrix_as_table(server: Any, page: Any) -> None:
    frame = open_media_tab(page, server.url, "tags=^notes/&cell=320")
    vector = text_cell(frame, "notes/vector")
    assert rows(vector) == [["first line"], ["second"], ["third"]]
    # Each element is markdown of its own.
    assert vector.locator("em").inner_text() == "line"
    table = text_cell(frame, "notes/multiplication_table")
    assert rows(table) == [[str(r * c) for c in range(1, 5)] for r in range(1, 4)]
    # A rank-3 tensor shows its first 2-D slice, and says so.
    cube = text_cell(frame, "notes/cube")
    assert rows(cube) == [["000", "001"], ["010", "011"]]
    assert "rank-3" in cube.inner_text()
    assert not page.errors


def test_markdown_switch_shows_the_source_in_every_cell(server: Any, page: Any) -> None:
    frame = open_media_tab(page, server.url, "tags=^notes/&cell=320")
    scalar = text_cell(frame, "notes/scalar")
    assert scalar.locator("strong").inner_text() == "bold"
    assert scalar.inner_text().strip() == "bold and em"
    cell = frame.locator('.mp-cell[data-tag="notes/scalar"]').first
    cell.scroll_into_view_if_needed()
    cell.hover()
    cell.locator('[data-control="text-menu"]').click()
    cell.locator('[data-control="text-markdown"] input').uncheck()
    # Off: the characters as logged, in this cell and the others (the switch is grid-wide).
    until(
        lambda: text_cell(frame, "notes/scalar").inner_text().strip() == "**bold** and _em_",
        "markdown source shown",
    )
    assert text_cell(frame, "notes/scalar").locator("strong").count() == 0
    until(lambda: rows(text_cell(frame, "notes/vector"))[0] == ["first *line*"], "the vector's source shown")
    # Back on.
    cell.locator('[data-control="text-markdown"] input').check()
    until(lambda: text_cell(frame, "notes/scalar").locator("strong").count() == 1, "markdown rendered again")
    assert not page.errors


def test_summary_description_shows_on_the_card_as_safe_markdown(server: Any, page: Any) -> None:
    frame = open_media_tab(page, server.url, "tags=^waveform/")
    card = frame.locator('.mp-card:has(.mp-cell[data-tag="waveform/sine"])')
    description = card.locator(".mp-card-description")
    description.wait_for(timeout=60_000)
    assert description.locator("strong").inner_text() == "sine"
    assert description.locator("em").inner_text() == "440 Hz"
    # Logged HTML is text, never an element.
    assert description.locator("img").count() == 0
    assert "<img src=x" in description.inner_text()
    assert page.evaluate("() => window.__pwned === undefined")
    assert not page.errors
