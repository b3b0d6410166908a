"""A writer appends items at 20 Hz for 60 s while clients read (`make stress`).

The writer is a separate process (as a training job is); readers poll the series, read item
metadata and payloads of whatever is visible, and ask for a reload now and then. Every image
says which (step, index) it is, so a torn, mixed-up or duplicated item is caught. At the end
every step must be visible exactly once. Visibility lag goes to the figures.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.stress.common import SECONDS, get, get_json, percentile, read_label, record_figures

pytestmark = pytest.mark.stress

RATE_HZ = 20
ITEMS = 2
READERS = 6
TAG = "live"
RUN = "job"

WRITER = textwrap.dedent(
    """
    import sys, time
    import tb_media_panel as mp
    from tests.stress.common import labelled_pixels
    logdir, steps, rate, items = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    with mp.Writer(logdir) as writer:
        began = time.monotonic()
        for step in range(steps):
            images = [mp.Image(labelled_pixels(step, i), caption=f"step {step} item {i}")
                      for i in range(items)]
            writer.add("live", images, step=step, walltime=time.time())
            writer.flush()
            time.sleep(max(0.0, began + (step + 1) / rate - time.monotonic()))
    print("wrote", steps, "in", round(time.monotonic() - began, 2), flush=True)
    """
)


class Readers:
    def __init__(self, port: int) -> None:
        self.port = port
        self.first_seen: dict[int, float] = {}  # step -> wall clock time a reader first saw it
        self.wall_times: dict[int, float] = {}
        self.problems: list[str] = []
        self.reads = 0
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def check_step(self, step: int, index: int | None = None) -> None:
        status, _, body = get(self.port, f"items?run={RUN}&tag={TAG}&step={step}")
        if status != 200:
            return self.problem(f"items of visible step {step}: {status} {body[:200]!r}")
        captions = [item["caption"] for item in json.loads(body)["items"]]
        if captions != [f"step {step} item {i}" for i in range(ITEMS)]:
            return self.problem(f"step {step} has items {captions}")
        i = random.randrange(ITEMS) if index is None else index
        status, _, png = get(self.port, f"data?run={RUN}&tag={TAG}&step={step}&index={i}")
        if status != 200:
            return self.problem(f"data of visible step {step}: {status}")
        if read_label(png) != (step, i):
            return self.problem(f"step {step} index {i} shows the image of {read_label(png)}")
        return None

    def poll(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            try:
                if rng.random() < 0.05:
                    get_json(self.port, "reload")
                status, _, body = get(self.port, f"series?tag={TAG}&run={RUN}&max_steps=1000000")
                now = time.time()
                if status == 404:  # the writer has not written its first step yet
                    time.sleep(0.05)
                    continue
                seen = json.loads(body)["runs"][RUN]
                steps = seen["steps"]
                if steps != sorted(set(steps)) or len(steps) != seen["total"]:
                    self.problem(f"series steps not unique and sorted: {steps[-10:]}")
                with self._lock:
                    self.reads += 1
                    for step, wall in zip(steps, seen["wall_times"], strict=True):
                        if step not in self.first_seen:
                            self.first_seen[step] = now
                            self.wall_times[step] = wall
                if steps:
                    self.check_step(steps[-1])  # the newest step: the one most likely torn
                    self.check_step(rng.choice(steps))
            except Exception as exc:  # any failure to read is a problem to report
                self.problem(f"{type(exc).__name__}: {exc}")


def test_writer_at_20_hz_while_clients_read(tmp_path: Path, tensorboard_factory: Any) -> None:
    steps = int(SECONDS * RATE_HZ)
    logdir = tmp_path / "logs"
    (logdir / RUN).mkdir(parents=True)
    server = tensorboard_factory(logdir)
    readers = Readers(server.port)
    threads = [threading.Thread(target=readers.poll, args=(i,), daemon=True) for i in range(READERS)]
    for t in threads:
        t.start()
    repo = Path(__file__).resolve().parents[2]
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(logdir / RUN), str(steps), str(RATE_HZ), str(ITEMS)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=SECONDS * 3 + 60,
    )
    assert writer.returncode == 0, writer.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(readers.first_seen) < steps:
        time.sleep(0.2)
    readers.stop.set()
    for t in threads:
        t.join(timeout=60)

    final = get_json(server.port, f"series?tag={TAG}&run={RUN}&max_steps=1000000")["runs"][RUN]
    assert final["steps"] == list(range(steps))
    assert final["counts"] == [ITEMS] * steps
    for step in range(0, steps, max(1, steps // 200)):  # ~200 steps read back in full
        readers.check_step(step, index=step % ITEMS)
    lags = [readers.first_seen[s] - readers.wall_times[s] for s in readers.first_seen]
    figures = {
        "steps_written": steps,
        "rate_hz": RATE_HZ,
        "writer": writer.stdout.strip(),
        "steps_seen_by_readers": len(readers.first_seen),
        "series_polls": readers.reads,
        "problems": len(readers.problems),
        "visibility_lag_p50_s": round(percentile(lags, 50), 2),
        "visibility_lag_p99_s": round(percentile(lags, 99), 2),
        "visibility_lag_max_s": round(max(lags, default=float("nan")), 2),
    }
    record_figures("live_writing", figures)
    assert readers.problems == [], readers.problems[:10]
    assert sorted(readers.first_seen) == list(range(steps))
    assert get_json(server.port, "runs")["runs"] == [{"name": RUN, "skipped_records": 0}]
    assert "Traceback" not in server.log_text()
