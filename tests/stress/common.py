"""Shared pieces of the stress tests: HTTP GETs on loopback, percentiles, the figures file."""

from __future__ import annotations

import http.client
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

FIGURES = Path(__file__).resolve().parents[2] / "benchmarks" / "stress_results.json"
SECONDS = float(os.environ.get("MP_STRESS_SECONDS", "60"))  # the 60 s; shorter to try


def get(
    port: int, route: str, headers: dict[str, str] | None = None, timeout: float = 60.0
) -> tuple[int, dict[str, str], bytes]:
    """One GET of a plugin route on 127.0.0.1 (a fresh connection, as a browser tab might)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", f"/data/plugin/media_panel/{route}", headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def get_json(port: int, route: str) -> Any:
    status, _, body = get(port, route)
    if status != 200:
        raise AssertionError(f"GET {route} -> {status}: {body[:300]!r}")
    return json.loads(body)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def labelled_pixels(step: int, index: int, size: int = 16) -> np.ndarray:
    """An image that says which (step, index) it is: R/G = step, B = index."""
    image = np.zeros((size, size, 3), np.uint8)
    image[..., 0] = step % 256
    image[..., 1] = step // 256
    image[..., 2] = 40 * index
    return image


def read_label(png: bytes) -> tuple[int, int]:
    pixels = np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB"))
    if not (pixels == pixels[0, 0]).all():
        raise AssertionError("image is not uniform: torn or mixed")
    r, g, b = (int(v) for v in pixels[0, 0])
    return g * 256 + r, b // 40


def record_figures(name: str, figures: dict[str, Any]) -> None:
    """Print the figures and keep them in benchmarks/stress_results.json under `name`."""
    print(f"\n{name}: {json.dumps(figures, indent=1)}")
    existing: dict[str, Any] = {}
    if FIGURES.exists():
        try:
            existing = json.loads(FIGURES.read_text())
        except ValueError:
            existing = {}
    existing[name] = figures
    FIGURES.write_text(json.dumps(existing, indent=1, sort_keys=True) + "\n")
