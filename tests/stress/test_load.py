"""50 concurrent clients for 60 s against a real tensorboard on 127.0.0.1 (`make stress`).

They mix what the panel asks for: series windows, item metadata, whole payloads and Range
requests. Every answer is checked; the test wants zero errors and the server's RSS within
10 % of what it was after a warm-up. p50/p99 latency and RSS go to the report and to
benchmarks/stress_results.json.
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

import tb_media_panel as mp
from tests.stress.common import SECONDS, get, get_json, percentile, record_figures

pytestmark = pytest.mark.stress

CLIENTS = 50
RUNS = ("run_a", "run_b", "run_c")
STEPS = 300
ITEMS = 2
AUDIO_STEPS = 20


def write_logdir(root: Path) -> None:
    rng = np.random.default_rng(0)
    for run in RUNS:
        with mp.Writer(str(root / run)) as writer:
            for step in range(STEPS):
                images = [mp.Image(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)) for _ in range(ITEMS)]
                writer.add("samples", images, step=step)
            t = np.linspace(0, 1, 16000, dtype=np.float32)
            for step in range(AUDIO_STEPS):
                tone = 0.4 * np.sin(2 * np.pi * (200 + 10 * step) * t)
                writer.add("speech", mp.Audio(tone, sample_rate=16000), step=step * 15)


class Load:
    """Client threads issuing a weighted mix of requests, checking each answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def request(self, rng: random.Random) -> None:
        run = rng.choice(RUNS)
        kind = rng.choices(
            ("series", "items", "data", "range", "audio_range", "listing"), (25, 30, 20, 12, 8, 5)
        )[0]
        step = rng.randrange(STEPS)
        started = time.perf_counter()
        if kind == "series":
            lo = rng.randrange(STEPS)
            status, _, body = get(
                self.port, f"series?tag=samples&run={run}&step_min={lo}&max_steps={rng.choice((50, 1000))}"
            )
            ok = status == 200 and json.loads(body)["runs"][run]["steps"][0] == lo
        elif kind == "items":
            status, _, body = get(self.port, f"items?run={run}&tag=samples&step={step}")
            ok = status == 200 and len(json.loads(body)["items"]) == ITEMS
        elif kind == "data":
            status, headers, body = get(
                self.port, f"data?run={run}&tag=samples&step={step}&index={rng.randrange(ITEMS)}"
            )
            ok = status == 200 and body[:4] == b"\x89PNG" and int(headers["content-length"]) == len(body)
        elif kind in ("range", "audio_range"):
            start, length = rng.randrange(0, 1000), rng.randrange(1, 4000)
            route = (
                f"data?run={run}&tag=samples&step={step}&index=0"
                if kind == "range"
                else f"data?run={run}&tag=speech&step={15 * rng.randrange(AUDIO_STEPS)}&index=0"
            )
            status, headers, body = get(self.port, route, {"Range": f"bytes={start}-{start + length - 1}"})
            size = int(headers.get("content-range", "/0").rsplit("/", 1)[-1])
            ok = status == 206 and len(body) == min(length, size - start)
        else:
            status, _, body = get(self.port, rng.choice(("runs", "tags")))
            ok = status == 200 and len(json.loads(body)) == 1
        elapsed = time.perf_counter() - started
        with self._lock:
            self.requests += 1
            self.latencies.setdefault(kind, []).append(elapsed)
            if not ok:
                self.errors.append(f"{kind}: {status} {body[:200]!r}")

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self._stop.is_set():
            try:
                self.request(rng)
            except Exception as exc:  # a refused/reset connection or a bad body is an error
                with self._lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    def run_for(self, seconds: float, seed: int) -> None:
        self._stop.clear()
        threads = [
            threading.Thread(target=self.client, args=(seed + i,), daemon=True) for i in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        time.sleep(seconds)
        self._stop.set()
        for t in threads:
            t.join(timeout=120)


def rss(process: psutil.Process) -> int:
    return int(process.memory_info().rss)


def test_fifty_clients_for_a_minute(tmp_path: Path, tensorboard_factory: Any) -> None:
    write_logdir(tmp_path / "logs")
    server = tensorboard_factory(tmp_path / "logs")
    assert [r["name"] for r in get_json(server.port, "runs")["runs"]] == list(RUNS)
    process = psutil.Process(server.proc.pid)

    warmup = Load(server.port)
    warmup.run_for(min(10.0, SECONDS / 4), seed=1000)
    assert warmup.errors == []
    rss_start = rss(process)

    load = Load(server.port)
    samples: list[int] = []
    sampler_stop = threading.Event()

    def sample_rss() -> None:
        while not sampler_stop.wait(1.0):
            samples.append(rss(process))

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    started = time.monotonic()
    load.run_for(SECONDS, seed=0)
    elapsed = time.monotonic() - started
    sampler_stop.set()
    sampler.join()
    rss_end = rss(process)

    everything = [v for values in load.latencies.values() for v in values]
    figures = {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": load.requests,
        "requests_per_second": round(load.requests / elapsed, 1),
        "errors": len(load.errors),
        "p50_ms": round(1000 * percentile(everything, 50), 1),
        "p99_ms": round(1000 * percentile(everything, 99), 1),
        "p99_ms_by_kind": {k: round(1000 * percentile(v, 99), 1) for k, v in sorted(load.latencies.items())},
        "rss_mb_after_warmup": round(rss_start / 2**20, 1),
        "rss_mb_max": round(max(samples, default=rss_end) / 2**20, 1),
        "rss_mb_end": round(rss_end / 2**20, 1),
        "rss_drift_percent": round(100 * (rss_end - rss_start) / rss_start, 2),
    }
    record_figures("load", figures)
    assert load.errors == [], load.errors[:10]
    assert load.requests > CLIENTS
    assert rss_end <= 1.10 * rss_start, figures
    assert "Traceback" not in server.log_text()
