"""In Jupyter: `%load_ext tensorboard` and `%tensorboard --logdir ...` executed by a real kernel
(nbclient + ipykernel); the frame the magic displays, rendered in Chromium, shows the Media tab
with media. The TensorBoard the magic started is always stopped, by the pid its manager reports."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import until
from tests.browser.test_wheel_install import assert_samples_shown
from tests.conftest import require

MEDIA_FRAME = 'iframe[src*="plugin_entry.html?name=media_panel"]'


def notebook(logdir: Path) -> Any:
    nbformat = require("nbformat")
    cells = [
        "%load_ext tensorboard",
        # --port 0: the OS picks a free port, which the magic's frame and the manager report.
        f"%tensorboard --logdir {shlex.quote(str(logdir))} --port 0",
        "import json\n"
        "from tensorboard import manager\n"
        "print(json.dumps([{'port': i.port, 'pid': i.pid, 'logdir': i.logdir} for i in manager.get_all()]))",
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])


def stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def notebook_page(html: str) -> Iterator[str]:
    """A page holding a cell's HTML output, served from localhost like Jupyter's own."""
    body = f"<!doctype html><html><body>{html}</body></html>".encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/notebooks/runs.ipynb"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def notebook_logdir(media_logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the media logdir for the notebook alone: TensorBoard's manager lists every
    server by logdir, and other tests of this process serve `media_logdir` itself."""
    copy = tmp_path_factory.mktemp("notebook_logdir") / "runs"
    shutil.copytree(media_logdir, copy)
    return copy


@pytest.fixture(scope="module")
def executed(notebook_logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The notebook after a real kernel ran it; the TensorBoard it started is stopped after."""
    nbclient = require("nbclient")
    require("ipykernel")
    from tensorboard import manager

    nb = notebook(notebook_logdir)
    # As in an activated venv: the magic starts the `tensorboard` program found on PATH.
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env_path])
    try:
        client = nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3",
            resources={"metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}},
        )
        # The kernel stays up while the test looks, as a notebook's does while its user looks.
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            yield nb
    finally:
        os.environ["PATH"] = env_path
        # Whatever the cells did, stop every TensorBoard serving this logdir.
        for info in manager.get_all():
            if info.logdir == str(notebook_logdir):
                stop(info.pid)


def test_the_tensorboard_magic_shows_the_media_tab_with_media(
    executed: Any, notebook_logdir: Path, page: Any
) -> None:
    magic, listing = executed.cells[1].outputs, executed.cells[2].outputs
    (info,) = [i for i in json.loads(listing[0]["text"]) if i["logdir"] == str(notebook_logdir)]
    (html,) = [o["data"]["text/html"] for o in magic if "text/html" in o.get("data", {})]
    # The frame points at the port the manager reports, on the notebook page's own host.
    assert re.search(rf"const port = {info['port']};", html), html

    # Render the output as Jupyter does: in a page served from localhost, since the frame's URL
    # is that page's host with TensorBoard's port.
    with notebook_page(html) as notebook_url:
        page.goto(notebook_url)
        frame = page.locator("iframe[id^=tensorboard-frame]")
        until(lambda: frame.get_attribute("src"), "the frame gets its URL")
    assert frame.get_attribute("src") == f"http://localhost:{info['port']}/"
    tensorboard = page.frame_locator("iframe[id^=tensorboard-frame]")
    # Only the Media tab has data in this logdir, so TensorBoard opens on it.
    tensorboard.frame_locator(MEDIA_FRAME).locator(".mp-root").wait_for(timeout=60_000)
    assert_samples_shown(tensorboard.frame_locator(MEDIA_FRAME))
    assert not page.errors
