"""Logged content is hostile: it must never reach TensorBoard nor run as the user's page.

In Chromium against a real `tensorboard --logdir`: a logged HTML page runs its scripts, but
cannot read the parent document, TensorBoard's cookies or localStorage, nor call the plugin's
routes with the user's origin (in the panel, and with its route opened directly in a tab).
Run names, tags, captions, class labels, box captions, molecule titles and text summaries
carrying markup, `javascript:` URLs and Unicode tricks show as text: no script runs and no
element is injected. Names that try to leave the logdir and malformed query parameters are
refused.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.util import tensor_util

import tb_media_panel as mp
from tb_media_panel.compat import event_pb2
from tb_media_panel.eventfile import frame_record
from tests.browser.conftest import media_tab_url, open_media_tab
from tests.tb_server import TensorBoardServer, serving

pytestmark = pytest.mark.browser


def payload(n: int) -> str:
    return f"<img src=x onerror=\"window.__pwned='{n}'\">"


SCRIPT = "<script>window.__pwned='script'</script>"
RUN_MARKUP = "run <img src=x onerror=window.__pwned=1>"
RUN_TRICKS = "run\u202egnp.exe\u200b"  # RTL override and a zero-width space
TAG_SCRIPT = f"tag {SCRIPT}"
TAG_JS = "javascript:window.__pwned='tag'"
CAPTION = f"caption {payload(3)}"
CLASS_LABEL = f"class <svg onload=\"window.__pwned='svg'\"></svg>{payload(4)}"
BOX_CAPTION = f"box javascript:alert(1) {payload(5)}"
MOLECULE_TITLE = f"mol {SCRIPT}{payload(6)}"
TEXT_SUMMARY = f"text {SCRIPT} {payload(7)} <a href=\"javascript:window.__pwned='a'\">click</a>"
SECRET = "tb-secret-4f1c"

PROBE_HTML = """<!doctype html><html><body><p id="ran">scripts ran</p><script>
const out = {};
function attempt(name, f) { try { out[name] = String(f()); } catch (e) { out[name] = 'blocked: ' + e.name; } }
attempt('parent_document', () => parent.document.body.innerHTML.length);
attempt('top_document', () => top.document.title);
attempt('parent_location', () => parent.location.href);
attempt('set_parent_global', () => { parent.__pwned = 'html'; return parent.__pwned; });
attempt('set_top_global', () => { top.__pwned = 'html'; return top.__pwned; });
attempt('cookie', () => document.cookie);
attempt('local_storage', () => localStorage.getItem('secret'));
attempt('origin', () => self.origin);
document.body.dataset.sync = JSON.stringify(out);
fetch('runs', {credentials: 'include'}).then(r => r.text()).then(
  t => 'read ' + t.length + ' bytes', e => 'blocked: ' + e.name).then(v => {
  out.fetch_routes = v;
  document.body.dataset.probe = JSON.stringify(out);
});
</script></body></html>"""


def text_event(tag: str, text: str, step: int) -> bytes:
    meta = tb_summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = "text"
    value = tb_summary_pb2.Summary.Value(
        tag=tag, metadata=meta, tensor=tensor_util.make_tensor_proto(np.array([text], dtype=object))
    )
    return frame_record(
        event_pb2.Event(
            wall_time=1.0, step=step, summary=tb_summary_pb2.Summary(value=[value])
        ).SerializeToString()
    )


def write_hostile_logdir(root: Path) -> Path:
    image = np.full((48, 64, 3), 120, np.uint8)
    ids = np.zeros((48, 64), np.uint8)
    ids[10:30, 10:40] = 1
    for run in (RUN_MARKUP, RUN_TRICKS):
        with mp.Writer(str(root / run)) as w:
            w.add(
                TAG_SCRIPT,
                mp.Image(
                    image,
                    caption=CAPTION,
                    masks={"pred": mp.Mask(ids, class_labels={0: "bg", 1: CLASS_LABEL})},
                    boxes={
                        "pred": mp.Boxes(
                            [
                                {
                                    "position": {"min_x": 0.1, "min_y": 0.1, "max_x": 0.7, "max_y": 0.8},
                                    "class_id": 1,
                                    "box_caption": BOX_CAPTION,
                                    "scores": {"score": 0.9},
                                }
                            ],
                            class_labels={1: CLASS_LABEL},
                        )
                    },
                ),
                step=0,
            )
            w.add(TAG_JS, mp.Image(image, caption=TAG_JS), step=0)
            w.add(
                "molecule",
                mp.Molecule(f"2\n{MOLECULE_TITLE}\nO 0 0 0\nH 0 0 0.96\n", format="xyz", caption=CAPTION),
                step=0,
            )
            w.add("page", mp.Html(PROBE_HTML), step=0)
    with open(root / RUN_MARKUP / "events.out.tfevents.1.text", "wb") as f:
        f.write(
            frame_record(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
        )
        f.write(text_event(f"notes {SCRIPT}/text_summary", TEXT_SUMMARY, 0))
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    root = tmp_path_factory.mktemp("hostile")
    logdir = write_hostile_logdir(root / "logs")
    (root / "secret.txt").write_text("TOP-SECRET-OUTSIDE-THE-LOGDIR")
    with serving(logdir, root / "tb.log") as tb:
        yield tb


def item_query(run: str, tag: str) -> str:
    return urllib.parse.urlencode({"run": run, "tag": tag, "step": 0, "index": 0})


INJECTED_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push(el.tagName + ' ' + a.name);
      const isUrl = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'].includes(a.name);
      if (isUrl && /^\\s*javascript:/i.test(a.value)) found.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
    if (el.tagName === 'SCRIPT' && el.textContent.includes('__pwned')) found.push('SCRIPT');
  }
  return {found, pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
          text: document.body ? document.body.textContent + [...document.querySelectorAll('[title]')]
            .map(e => e.title).join('\\n') : ''};
}"""


def plant_secrets(page: Any, url: str) -> None:
    page.goto(url + "/data/plugins_listing")
    page.context.add_cookies([{"name": "session", "value": SECRET, "url": url}])
    page.evaluate(f"localStorage.setItem('secret', '{SECRET}')")


def probe_result(frame: Any) -> dict[str, str]:
    frame.wait_for_selector("body[data-probe]", timeout=30_000)
    return json.loads(frame.evaluate("document.body.dataset.probe"))


def assert_contained(result: dict[str, str]) -> None:
    for key in (
        "parent_document",
        "top_document",
        "parent_location",
        "set_parent_global",
        "set_top_global",
        "cookie",
        "local_storage",
        "fetch_routes",
    ):
        assert result[key].startswith("blocked"), (key, result)
    assert result["origin"] == "null"
    assert SECRET not in json.dumps(result)


def test_logged_html_runs_but_cannot_reach_tensorboard(server: TensorBoardServer, page: Any) -> None:
    plant_secrets(page, server.url)
    frame = open_media_tab(page, server.url, state="tags=page")
    frame.locator('.mp-cell[data-tag="page"][data-state="ready"]').first.wait_for(timeout=90_000)
    html_frames = [f for f in page.frames if "/html?" in f.url]
    assert html_frames, [f.url for f in page.frames]
    for html_frame in html_frames:
        assert html_frame.locator("#ran").inner_text() == "scripts ran"  # its scripts do run
        assert_contained(probe_result(html_frame))
    for f in page.frames:
        assert f.evaluate("typeof window.__pwned") == "undefined", f.url
    sandbox = frame.locator("iframe.mp-html").first.get_attribute("sandbox")
    assert sandbox is not None and "allow-same-origin" not in sandbox and "allow-scripts" in sandbox


@pytest.mark.parametrize("route", ["html", "data"])
def test_logged_html_opened_directly_in_a_tab_is_sandboxed(
    server: TensorBoardServer, page: Any, route: str
) -> None:
    plant_secrets(page, server.url)
    response = page.goto(server.plugin_url(f"{route}?{item_query(RUN_TRICKS, 'page')}"))
    assert response is not None and response.status == 200
    assert "sandbox allow-scripts" in response.headers["content-security-policy"]
    assert page.locator("#ran").inner_text() == "scripts ran"
    result = probe_result(page.main_frame)
    for key in ("cookie", "local_storage", "fetch_routes"):
        assert result[key].startswith("blocked"), (key, result)
    assert result["origin"] == "null"
    assert SECRET not in json.dumps(result)


def test_hostile_names_and_labels_render_as_text(server: TensorBoardServer, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message) or dialog.dismiss())
    text = ""
    for tag_filter, tag in (
        ("^tag ", TAG_SCRIPT),
        ("^javascript", TAG_JS),
        ("^molecule", "molecule"),
        ("^notes", f"notes {SCRIPT}"),
    ):
        # a fresh load: the panel reads its settings from the URL
        frame = open_media_tab(page, server.url, state=f"tags={urllib.parse.quote(tag_filter)}", fresh=True)
        cells = frame.locator(".mp-cell")
        frame.locator(".mp-cell").first.wait_for(timeout=90_000)
        assert frame.locator(".mp-cell").first.get_attribute("data-tag") == tag
        for i in range(cells.count()):
            frame.locator(".mp-cell").nth(i).locator('xpath=self::*[@data-state="ready"]').wait_for(
                timeout=90_000
            )
            cells.nth(i).hover()  # tooltips (box captions, class names) are drawn too
        plugin = next(f for f in page.frames if "plugin_entry.html" in f.url)
        shown = plugin.evaluate(INJECTED_JS)
        assert shown["found"] == [], (tag, shown["found"])
        text += shown["text"]
        for f in page.frames:
            result = f.evaluate(INJECTED_JS)
            assert result["pwned"] is None, (tag, f.url, result["pwned"])
            assert result["found"] == [], (tag, f.url, result["found"])
    for literal in (RUN_MARKUP, TAG_SCRIPT, TAG_JS, TEXT_SUMMARY):
        assert literal in text, literal
    # Its invisible characters are shown, so it cannot pose as "runexe.png".
    assert "run\u2039U+202E\u203agnp.exe\u2039U+200B\u203a" in text
    assert dialogs == []


# ---- names that try to leave the logdir, and bad parameters (no browser needed) ------

TRAVERSALS = [
    "../secret.txt",
    "../../secret.txt",
    "..",
    "/etc/passwd",
    "//etc/passwd",
    "..\\..\\secret.txt",
    "%2e%2e/secret.txt",
    "run/../../secret.txt",
    "\x00../secret.txt",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_names_leaving_the_logdir_are_refused(server: TensorBoardServer, name: str) -> None:
    quoted = urllib.parse.quote(name, safe="")
    routes = [
        f"tags?run={quoted}",
        f"series?tag={quoted}",
        f"series?tag=page&run={quoted}",
        f"items?run={quoted}&tag=page&step=0",
        f"items?run={urllib.parse.quote(RUN_TRICKS)}&tag={quoted}&step=0",
        f"data?run={quoted}&tag=page&step=0&index=0",
        f"data?run={urllib.parse.quote(RUN_TRICKS)}&tag={quoted}&step=0&index=0",
        f"html?run={quoted}&tag=page&step=0&index=0",
        f"mask?run={quoted}&tag=x&step=0&index=0&layer={quoted}",
        f"points?run={quoted}&tag=x&step=0&index=0&array=positions",
        f"static/{quoted}",
        f"static/{name if name.isprintable() else quoted}",
        f"static/chunks/{quoted}",
    ]
    for route in routes:
        status, _, body = server.get(route)
        assert status in (400, 404), (route, status)
        assert b"TOP-SECRET" not in body and b"root:" not in body, route


BAD_QUERIES = [  # (names of 5000 characters are served: tests/test_http_trust.py)
    "items?run=x&tag=page&step=1e3",
    "items?run=x&tag=page&step=0x10",
    "items?run=x&tag=page&step=99999999999999999999999",
    "items?run=x&tag=page&step=",
    "data?run=x&tag=page&step=0&index=-1",
    "data?run=x&tag=page&step=0&index=%ff",
    "data?run=x&tag=page&step=0&index=1%00",
    "series?tag=page&max_steps=0",
    "series?tag=page&max_steps=10000000",
    "series?tag=page&step_min=abc",
    "series?tag=page&step_min=5&step_max=1",
    "points?run=x&tag=page&step=0&index=0&array=../../etc/passwd",
    "mask?run=x&tag=page&step=0&index=0",
    "html?run=x&step=0&index=0",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_malformed_or_oversized_parameters_are_400(server: TensorBoardServer, query: str) -> None:
    status, headers, body = server.get(query)
    assert status == 400, (query[:80], status, body[:200])
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]


def test_panel_url_state_with_markup_does_not_inject(server: TensorBoardServer, page: Any) -> None:
    state = (
        f"tags={urllib.parse.quote(TAG_SCRIPT)}&run={urllib.parse.quote(RUN_MARKUP)}"
        "&x=<img src=x onerror=window.__pwned=9>"
    )
    page.goto(media_tab_url(server.url, state))
    frame = page.frame_locator('iframe[src*="plugin_entry.html?name=media_panel"]')
    frame.locator(".mp-root").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    for f in page.frames:
        result = f.evaluate(INJECTED_JS)
        assert result["pwned"] is None and (result["found"] == [] or "/html?" in f.url), (f.url, result)
