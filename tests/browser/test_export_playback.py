"""An exported MP4 and WebM play in Chromium, and show the logged images frame by frame."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tb_media_panel as mp
from tb_media_panel.cli import main
from tests.browser.conftest import until
from tests.test_media_video import COLOURS

FPS = 2  # frames half a second apart: a seek lands well inside one


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_exported_video_plays_the_logged_steps(page: Any, tmp_path: Path, suffix: str) -> None:
    with mp.Writer(str(tmp_path / "logs" / "run")) as writer:
        for step in range(4):
            writer.add("samples", mp.Image(np.broadcast_to(COLOURS[step], (32, 48, 3)).copy()), step=step)
    out = tmp_path / f"samples{suffix}"
    assert (
        main(
            [
                "export",
                "--logdir",
                str(tmp_path / "logs"),
                "--tag",
                "samples",
                "--fps",
                str(FPS),
                "--to",
                str(out),
            ]
        )
        == 0
    )

    # served from one origin, so the frames may be read back from a canvas
    mime = {".mp4": "video/mp4", ".webm": "video/webm"}[suffix]
    files = {
        "/": ("text/html", f'<video src="/clip{suffix}"></video>'.encode()),
        f"/clip{suffix}": (mime, out.read_bytes()),
    }

    def serve(route: Any) -> None:
        kind, body = files[route.request.url.removeprefix("http://export.invalid")]
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", route.request.headers.get("range", ""))
        if wanted is None:  # ranges answered: a media resource without them cannot seek
            route.fulfill(status=200, content_type=kind, body=body, headers={"Accept-Ranges": "bytes"})
            return
        start = int(wanted.group(1))
        stop = int(wanted.group(2)) + 1 if wanted.group(2) else len(body)
        headers = {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{stop - 1}/{len(body)}"}
        route.fulfill(status=206, content_type=kind, body=body[start:stop], headers=headers)

    page.route("http://export.invalid/**", serve)
    page.goto("http://export.invalid/")
    video = page.locator("video")
    video.wait_for()
    page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=30_000)
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [48, 32]
    assert video.evaluate("v => v.duration") == pytest.approx(4 / FPS, abs=0.3)
    def colour_at(t: float) -> np.ndarray:
        # The frame is drawn once the seek's frame is presented (requestVideoFrameCallback): on
        # `seeked` alone, a VP9 decode may still show the frame before it.
        return np.array(video.evaluate(
            """async (v, t) => {
                v.pause();
                const shown = new Promise((done) => {
                    v.requestVideoFrameCallback(() => done());
                    setTimeout(done, 2000);
                });
                await new Promise((done) => { v.onseeked = done; v.currentTime = t; });
                await shown;
                const c = document.createElement("canvas");
                c.width = v.videoWidth; c.height = v.videoHeight;
                const g = c.getContext("2d");
                g.drawImage(v, 0, 0);
                return Array.from(g.getImageData(24, 16, 1, 1).data.slice(0, 3));
            }""",
            t,
        ))

    for step in range(4):
        t = (step + 0.5) / FPS
        until(lambda t=t, step=step: np.abs(colour_at(t) - COLOURS[step]).max() <= 12,
              f"step {step}'s colour at {t} s", timeout=10)
    video.evaluate("v => { v.muted = true; v.currentTime = 0; return v.play(); }")
    page.wait_for_function("document.querySelector('video').ended", timeout=30_000)
    assert page.errors == []
