"""The TensorBoard plugin: registration and the HTTP routes of docs/http-api.md.

Routes are thin: parse and check parameters, ask the store's query layer
(`store.MediaReader`, typed results), respond with the JSON `http_json` builds from them or
with a payload. The store reads the event files itself (see tb_media_panel/store), so this
works the same under `--load_fast=true`, `--load_fast=false` and the default, and never needs
the multiplexer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_media_panel import http_json
from tb_media_panel.records import PLUGIN_NAME
from tb_media_panel.store import (
    DEFAULT_MAX_STEPS,
    CorruptRecord,
    LogdirIndex,
    MediaReader,
    NotFound,
    Payload,
)
from tb_media_panel.store.formats import HTML_TYPE, displayable
from tb_media_panel.store.series import PURGE_NONE, PURGE_ON_RESTART, PURGE_PER_TAG

logger = logging.getLogger(__name__)


def purge_rule(context: base_plugin.TBContext) -> str:
    """Which records of a restarted job TensorBoard's loader for this logdir shows: its Python
    loader (`--load_fast=false`, or a logdir RustBoard cannot read, such as s3://) serves
    through a MultiplexerDataProvider, RustBoard (the default) through gRPC (series.RunLog)."""
    from tensorboard.backend.event_processing.data_provider import MultiplexerDataProvider

    if isinstance(context.data_provider, MultiplexerDataProvider):
        return PURGE_ON_RESTART if getattr(context.flags, "purge_orphaned_data", True) else PURGE_NONE
    return PURGE_PER_TAG

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # a payload URL without its content key may answer newer bytes later
LEGACY_PLUGINS = ("images", "audio", "mesh", "text")
DEFAULT_RELOAD_SECONDS = 5.0
FIRST_ANSWER_SECONDS = 0.5  # the first request waits this long at most for the index
MAX_STEPS_LIMIT = 1_000_000
MAX_BATCH = 256  # addresses per items_batch request: a screenful of cells, well under URL limits
MAX_INLINE_ITEM = 256 << 10  # largest image items_batch may carry inline (inline_max)
MAX_INLINE_TOTAL = 8 << 20  # inline bytes per items_batch answer; later items are left to `data`
INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
# Run and tag names come back in URLs: Python's HTTP server refuses request lines over 64 KiB
# anyway, and a name is only ever looked up in a dict.
MAX_NAME_CHARS = 1 << 16
STREAM_CHUNK = 1 << 20  # payloads are sent in pieces of this size, never held whole
# Requests reading a large payload at once; the others wait for a piece's turn, so memory is
# bounded by this many chunks whatever the number of clients.
LARGE_READS = threading.BoundedSemaphore(4)
EXPORTS = threading.Lock()  # /export_video encodes one video at a time
_HASHED_ASSET = re.compile(r"[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$")
_STATIC_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".html": "text/html",
    ".txt": "text/plain",
}


def payload_headers(mime: str) -> dict[str, str]:
    """On every payload response: the bytes are never sniffed into another type, and a
    document opened from them runs in an opaque origin (scripts only for logged HTML)."""
    return {
        "Content-Security-Policy": "sandbox allow-scripts" if mime == HTML_TYPE else "sandbox",
        "X-Content-Type-Options": "nosniff",
    }

Handler = Callable[[wrappers.Request], wrappers.Response]


class BadRequest(ValueError):
    """A missing or malformed parameter (HTTP 400)."""


def json_response(body: Any, status: int = 200) -> wrappers.Response:
    # nosniff on every response: TensorBoard's security validator warns in the terminal otherwise.
    return wrappers.Response(
        json.dumps(body, allow_nan=False),
        status=status,
        content_type="application/json",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def error_response(status: int, message: str) -> wrappers.Response:
    return json_response(http_json.error(message), status)


def route(handler: Handler) -> Callable[..., Any]:
    """A WSGI app answering 400/404 with a JSON error body, and never a stack trace."""

    @wrappers.Request.application
    def app(request: wrappers.Request) -> wrappers.Response:
        try:
            return handler(request)
        except BadRequest as exc:
            return error_response(400, str(exc))
        except (NotFound, CorruptRecord) as exc:
            return error_response(404, str(exc))
        except FileNotFoundError as exc:  # an event file deleted or cut since it was indexed
            return error_response(404, f"no longer in the logdir: {exc}")
        except Exception:
            logger.exception("media_panel: %s failed", request.path)
            return error_response(
                500, "internal error while reading the logdir; see the server log"
            )

    return app


# ---- parameters ----------------------------------------------------------------------


def text_param(request: wrappers.Request, name: str) -> str:
    value = request.args.get(name)
    if value is None or value == "":
        raise BadRequest(f"missing parameter {name!r}")
    if len(value) > MAX_NAME_CHARS:
        raise BadRequest(
            f"parameter {name!r} must be at most {MAX_NAME_CHARS} characters, got {len(value)}"
        )
    return value


def flag_param(request: wrappers.Request, name: str) -> bool:
    raw = request.args.get(name, "0")
    if raw not in ("0", "1"):
        raise BadRequest(f"parameter {name!r} must be 0 or 1, got {raw[:40]!r}")
    return raw == "1"


def parse_int(name: str, raw: str, minimum: int, maximum: int) -> int:
    if not re.fullmatch(r"-?[0-9]{1,19}", raw):
        raise BadRequest(f"parameter {name!r} must be an integer, got {raw[:40]!r}")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadRequest(f"parameter {name!r} must be between {minimum} and {maximum}, got {value}")
    return value


def int_param(
    request: wrappers.Request,
    name: str,
    default: int | None = None,
    *,
    minimum: int = 0,
    maximum: int = INT64_MAX,
) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(name, raw, minimum, maximum)


def required_int(request: wrappers.Request, name: str, *, minimum: int = 0) -> int:
    value = int_param(request, name, minimum=minimum)
    if value is None:
        raise BadRequest(f"missing parameter {name!r}")
    return value


def item_address(request: wrappers.Request) -> tuple[str, str, int, int]:
    return (
        text_param(request, "run"),
        text_param(request, "tag"),
        required_int(request, "step", minimum=INT64_MIN),
        required_int(request, "index"),
    )


# ---- payload responses ---------------------------------------------------------------


def etag_matches(request: wrappers.Request, etag: str) -> bool:
    """Whether If-None-Match names this (quoted) entity tag."""
    return request.if_none_match.contains_weak(etag.strip('"'))


def stream(payload: Payload, start: int, stop: int) -> Iterator[bytes]:
    """payload[start:stop] piece by piece; pieces of large payloads take turns (LARGE_READS)."""
    large = stop - start > STREAM_CHUNK
    for at in range(start, stop, STREAM_CHUNK):
        end = min(at + STREAM_CHUNK, stop)
        if large:
            with LARGE_READS:
                piece = payload.read(at, end)
        else:
            piece = payload.read(at, end)
        yield piece


def payload_response(request: wrappers.Request, payload: Payload) -> wrappers.Response:
    """The payload streamed with ETag caching (immutable only under a URL carrying the item's
    content key), 304 on a matching If-None-Match, and Range. The payload was checked when it
    was looked up (a large record's CRC at its first read), so a corrupt one is a 404 here,
    never a response cut short."""
    download = flag_param(request, "download")
    headers = {
        "ETag": payload.etag,
        "Cache-Control": IMMUTABLE if request.args.get("key") == payload.key else REVALIDATE,
        "Accept-Ranges": "bytes",
        **payload_headers(payload.mime),
    }
    if download or not displayable(payload.mime):
        headers["Content-Disposition"] = "attachment"
    if etag_matches(request, payload.etag):
        return wrappers.Response(status=304, headers=headers)
    size = payload.size
    start, stop, status = 0, size, 200
    byte_range = request.range
    if byte_range is not None and request.headers.get("Range"):
        span = byte_range.range_for_length(size)
        if span is None:
            headers["Content-Range"] = f"bytes */{size}"
            return wrappers.Response(status=416, headers=headers)
        start, stop = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response = wrappers.Response(
        stream(payload, start, stop),
        status=status,
        headers=headers,
        content_type=payload.mime,
        direct_passthrough=True,
    )
    response.content_length = stop - start
    return response


# ---- the plugin ----------------------------------------------------------------------


class MediaPanelPlugin(base_plugin.TBPlugin):
    plugin_name = PLUGIN_NAME

    def __init__(
        self,
        context: base_plugin.TBContext,
        max_record_bytes: int | None = None,
        static_dir: Path = STATIC_DIR,
    ) -> None:
        self._static_dir = static_dir.resolve()
        self._logdir = context.logdir or ""
        flags = context.flags
        self._reload_seconds = float(getattr(flags, "reload_interval", DEFAULT_RELOAD_SECONDS))
        if max_record_bytes is None:
            mb = getattr(flags, "media_panel_max_record_mb", None)
            max_record_bytes = int(mb * (1 << 20)) if mb else None
        purge = purge_rule(context)
        self.index = (
            LogdirIndex(self._logdir, max_record_bytes, purge=purge)
            if max_record_bytes
            else LogdirIndex(self._logdir, purge=purge)
        )
        self.reader = MediaReader(self.index)
        self._started = False
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._refresh_lock = threading.Lock()
        self._refresh_started = -math.inf  # monotonic time the last refresh began

    # -- indexing lifecycle --

    def ensure_indexed(self) -> None:
        """The first call starts indexing in a background thread, which then refreshes every
        reload interval, and waits at most FIRST_ANSWER_SECONDS for it: a large logdir
        answers with what is indexed so far (`runs` says how far that is)."""
        if self._started or not self._logdir:
            return
        with self._start_lock:
            if self._started:
                return
            threading.Thread(target=self._reload_loop, name="media_panel-reload", daemon=True).start()
            self.index.wait_caught_up(FIRST_ANSWER_SECONDS)
            self._started = True

    def _reload_loop(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:  # keep reloading: the logdir may come back
                logger.warning("media_panel: reload failed", exc_info=True)
            if self._reload_seconds <= 0 or self._stop.wait(self._reload_seconds):
                return

    def refresh(self) -> None:
        """Rescan the logdir, unless a rescan that began after this call was made has ended
        meanwhile: callers that arrive together (every open tab, the reload loop) share one."""
        asked = time.monotonic()
        with self._refresh_lock:
            if self._refresh_started >= asked:
                return
            self._refresh_started = time.monotonic()
            self.index.refresh()

    def stop(self) -> None:
        self._stop.set()

    # -- TBPlugin --

    def get_plugin_apps(self) -> dict[str, Callable[..., Any]]:
        return {
            "/static/*": route(self._serve_static),
            "/runs": route(self._serve_runs),
            "/tags": route(self._serve_tags),
            "/series": route(self._serve_series),
            "/items": route(self._serve_items),
            "/items_batch": route(self._serve_items_batch),
            "/data": route(self._serve_data),
            "/mask": route(self._serve_mask),
            "/heatmap": route(self._serve_heatmap),
            "/points": route(self._serve_points),
            "/html": route(self._serve_html),
            "/reload": route(self._serve_reload),
            "/generation": route(self._serve_generation),
            "/export_video": route(self._serve_export_video),
        }

    def is_active(self) -> bool:
        self.ensure_indexed()
        return self.index.has_media() or not self.index.progress().done  # not known yet

    def data_plugin_names(self) -> tuple[str, ...]:
        return (PLUGIN_NAME, *LEGACY_PLUGINS)

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(es_module_path="/static/index.js", tab_name="Media")

    # -- routes --

    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        marker = "/static/"
        relative = request.path.split(f"/{PLUGIN_NAME}{marker}", 1)[-1]
        if relative == request.path:
            relative = request.path.split(marker, 1)[-1]
        if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
            raise NotFound(f"no static file {relative!r}")
        target = (self._static_dir / relative).resolve()
        if not target.is_relative_to(self._static_dir) or not target.is_file():
            raise NotFound(f"no static file {relative!r}")
        stat = target.stat()
        etag = (
            '"'
            + hashlib.sha1(f"{relative}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[
                :24
            ]
            + '"'
        )
        cache = IMMUTABLE if _HASHED_ASSET.search(target.name) else "no-cache"
        headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        if etag_matches(request, etag):
            return wrappers.Response(status=304, headers=headers)
        mime = _STATIC_TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
        return wrappers.Response(
            target.read_bytes(), headers=headers, content_type=mime or "application/octet-stream"
        )

    def _serve_runs(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        return json_response(http_json.runs(self.reader.runs()))

    def _serve_reload(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        self.refresh()
        return json_response(http_json.runs(self.reader.runs()))

    def _serve_generation(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        return json_response(http_json.generation(self.index.generation()))

    def _serve_tags(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        return json_response(http_json.tags(self.reader.tags(request.args.get("run"))))

    def _serve_series(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        tag = text_param(request, "tag")
        step_min = int_param(request, "step_min", minimum=INT64_MIN)
        step_max = int_param(request, "step_max", minimum=INT64_MIN)
        max_steps = int_param(
            request, "max_steps", DEFAULT_MAX_STEPS, minimum=2, maximum=MAX_STEPS_LIMIT
        )
        assert max_steps is not None
        if step_min is not None and step_max is not None and step_min > step_max:
            raise BadRequest(f"step_min ({step_min}) is greater than step_max ({step_max})")
        include_purged = request.args.get("include_purged", "0")
        if include_purged not in ("0", "1"):
            raise BadRequest(
                f"parameter 'include_purged' must be 0 or 1, got {include_purged[:40]!r}"
            )
        runs = request.args.getlist("run") or None
        answer = self.reader.series(tag, runs, step_min, step_max, max_steps, include_purged == "1")
        return json_response(http_json.series(answer))

    def _serve_items(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        run, tag = text_param(request, "run"), text_param(request, "tag")
        step = required_int(request, "step", minimum=INT64_MIN)
        return json_response(http_json.step_items(self.reader.items(run, tag, step)))

    def _serve_items_batch(self, request: wrappers.Request) -> wrappers.Response:
        """`items` for many (run, tag, step) at once: one round trip per screenful of cells."""
        self.ensure_indexed()
        runs, tags, raw_steps = (request.args.getlist(k) for k in ("run", "tag", "step"))
        if not runs:
            raise BadRequest("missing parameter 'run'")
        if not len(runs) == len(tags) == len(raw_steps):
            raise BadRequest(
                f"'run', 'tag' and 'step' must be repeated equally often, got "
                f"{len(runs)}, {len(tags)} and {len(raw_steps)}"
            )
        if len(runs) > MAX_BATCH:
            raise BadRequest(f"at most {MAX_BATCH} addresses per request, got {len(runs)}")
        earlier = flag_param(request, "earlier")
        # Beyond int64 (a step a client rounded) is that address's error, not the request's.
        steps = [parse_int("step", raw, -(10**19), 10**19) for raw in raw_steps]
        inline_max = int_param(request, "inline_max", 0, maximum=MAX_INLINE_ITEM) or 0
        results = self.reader.items_batch(
            list(zip(runs, tags, steps, strict=True)), earlier, inline_max, MAX_INLINE_TOTAL
        )
        return json_response(http_json.batch(results))

    def _serve_data(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        return payload_response(request, self.reader.data(*item_address(request)))

    def _serve_mask(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        address = item_address(request)
        layer = text_param(request, "layer")
        return payload_response(request, self.reader.mask(*address, layer))

    def _serve_heatmap(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        address = item_address(request)
        layer = request.args.get("layer", "")  # empty: a scalar image's own values
        if len(layer) > MAX_NAME_CHARS:
            raise BadRequest(f"parameter 'layer' must be at most {MAX_NAME_CHARS} characters")
        return payload_response(request, self.reader.heatmap(*address, layer))

    def _serve_points(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        address = item_address(request)
        array = text_param(request, "array")
        if array not in ("positions", "colors", "labels"):
            raise BadRequest(
                f"parameter 'array' must be positions, colors or labels, got {array[:40]!r}"
            )
        return payload_response(request, self.reader.points(*address, array))

    def _serve_html(self, request: wrappers.Request) -> wrappers.Response:
        self.ensure_indexed()
        return payload_response(request, self.reader.html(*item_address(request)))

    def _serve_export_video(self, request: wrappers.Request) -> wrappers.Response:
        """The panel's "Export as video" of a row or column: an MP4 download (export.py)."""
        from tb_media_panel import export
        from tb_media_panel.reader import Reader

        self.ensure_indexed()
        run, tag = text_param(request, "run"), text_param(request, "tag")
        index = int_param(request, "index", 0, maximum=INT64_MAX)
        fps = int_param(request, "fps", 4, minimum=1, maximum=60)
        steps = request.args.get("steps", "")
        if len(steps) > 60:
            raise BadRequest(f"parameter 'steps' must be A:B with integer steps, got {steps[:40]!r}…")
        try:
            low, high = export.parse_steps(steps) if steps else (None, None)
        except ValueError as exc:
            raise BadRequest(f"parameter 'steps': {exc}") from None
        with EXPORTS:  # encoding takes a core: one request at a time, the others wait
            try:
                data, name = export.panel_video(
                    Reader.over(self.index, self.reader), run, tag, index or 0, low, high,
                    flag_param(request, "overlay"), float(fps or 4),
                )
            except export.ExportError as exc:
                raise BadRequest(str(exc)) from None
            except KeyError as exc:
                raise NotFound(str(exc)) from None
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            **payload_headers("video/mp4"),
        }
        return wrappers.Response(data, headers=headers, content_type="video/mp4")


class MediaPanelLoader(base_plugin.TBLoader):
    """Adds the plugin's flags and builds the plugin."""

    def define_flags(self, parser: Any) -> None:
        parser.add_argument(
            "--media_panel_max_record_mb",
            type=float,
            default=1024.0,
            help="Media panel: event records larger than this many MiB are skipped and counted "
            "(default 1024).",
        )

    def fix_flags(self, flags: Any) -> None:
        limit = getattr(flags, "media_panel_max_record_mb", 1024.0)
        if limit is not None and limit <= 0:
            raise base_plugin.FlagsError("--media_panel_max_record_mb must be positive")

    def load(self, context: base_plugin.TBContext) -> MediaPanelPlugin:
        return MediaPanelPlugin(context)
