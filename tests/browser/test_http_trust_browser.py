"""In Chromium against a real `tensorboard --logdir`: no logged payload runs script in
TensorBoard's origin (issue 13 items 1 and 2).

Each hostile document (SVG, HTML under odd spellings of its type, XHTML, XML, a GIF/HTML
polyglot) writes to TensorBoard's localStorage if it ever runs there. We open its `data` URL
as a user would ("open in new tab"), load a logged script with a <script> tag from
TensorBoard's own page, and open the Download link of the polyglot shown in the panel; then
TensorBoard's localStorage must still be clean.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import open_media_tab
from tests.tb_server import TensorBoardServer, serving
from tests.test_http_trust import RUN, write_hostile_logdir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("trust-browser")
    with serving(write_hostile_logdir(root / "logs"), root / "tb.log") as tb:
        yield tb


def data_url(server: TensorBoardServer, tag: str) -> str:
    query = urllib.parse.urlencode({"run": RUN, "tag": tag, "step": 0, "index": 0})
    return server.plugin_url(f"data?{query}")


def pwned(page: Any, server: TensorBoardServer) -> Any:
    """What a hostile document left in TensorBoard's localStorage (None: nothing ran there)."""
    page.goto(server.url + "/data/plugins_listing")
    return page.evaluate("localStorage.getItem('pwned')")


def open_in_tab(page: Any, url: str) -> None:
    """Navigate as "open in new tab" does; an attachment downloads instead (Playwright raises)."""
    try:
        page.goto(url)
        page.wait_for_timeout(300)  # let a script that would run, run
    except Exception as exc:  # playwright's Error: "Download is starting"
        assert "Download is starting" in str(exc), exc


@pytest.mark.parametrize("tag", ["svg", "html_upper", "html_mixed", "html_space", "xhtml", "xml", "polyglot"])
def test_opening_a_payload_url_runs_nothing_in_tensorboards_origin(
    server: TensorBoardServer, page: Any, tag: str
) -> None:
    assert pwned(page, server) is None
    open_in_tab(page, data_url(server, tag))
    assert pwned(page, server) is None


def test_a_logged_script_does_not_load_as_a_script_of_tensorboards_page(
    server: TensorBoardServer, page: Any
) -> None:
    page.goto(server.url + "/data/plugins_listing")
    outcome = page.evaluate(
        """url => new Promise(done => {
            const s = document.createElement('script');
            s.src = url;
            s.onload = () => done('loaded');
            s.onerror = () => done('refused');
            document.head.append(s);
        })""",
        data_url(server, "js"),
    )
    assert outcome == "refused"
    assert pwned(page, server) is None


def test_the_download_link_of_an_inlined_polyglot_is_the_server_attachment(
    server: TensorBoardServer, page: Any
) -> None:
    frame = open_media_tab(page, server.url, state="tags=polyglot")
    cell = frame.locator('.mp-cell[data-tag="polyglot"][data-state="ready"]').first
    cell.wait_for(timeout=90_000)
    img = cell.locator("img.mp-image").first
    assert img.get_attribute("src", timeout=10_000).startswith("blob:")  # shown from the inline copy
    href = cell.locator("a[download]").first.get_attribute("href")
    assert href is not None and not href.startswith("blob:"), href
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    assert query["download"] == ["1"] and query["key"]
    other = page.context.new_page()  # "open in new tab", while the panel (and its blobs) live
    open_in_tab(other, href)
    assert pwned(other, server) is None
    other.close()

