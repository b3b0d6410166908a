"""The sidebar's run filter with 10,000 runs, in headless Chromium against a real `tensorboard`.

- run_filter_10k_ms: from a regex typed into the run filter (its `input` event) until the frame
  that shows the filtered run list has been drawn; median over 5 regexes x 3 rounds, each a
  change of the filter. 10,000 runs, each a copy of one 8x8-image run of 3 steps
  (benchmarks/scale_runs.py `copy_runs`); quick: 2,000 runs.
- run_list_rows_10k: run rows in the sidebar's DOM with every run listed (anchor: the list is
  virtual, so this stays near what fits on screen).

    .venv/bin/python -m benchmarks.run_filter [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import launch, media_url, open_panel, quick_cli, serving
from benchmarks.scale_runs import copy_runs

PATTERNS = ["run_0[0-4]", "7$", "^run_(012|034)", "9.9", ""]

# Sets the filter as typing does and resolves once the next frame has been drawn (a task queued
# from requestAnimationFrame runs after that frame's paint).
FILTER = """async (pattern) => {
  const input = document.querySelector('input[aria-label="Filter runs"]');
  const t0 = performance.now();
  input.value = pattern;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t0, document.querySelector('.mp-runs .mp-count').textContent];
}"""


def expected(pattern: str, runs: int) -> int:
    import re

    return sum(1 for r in range(runs) if re.search(pattern, f"run_{r:05d}", re.IGNORECASE))


def measure(runs: int, rounds: int = 3) -> tuple[list[float], int]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tbmp-filter-") as tmp, sync_playwright() as p:
        work = Path(tmp)
        logdir = work / "many"
        logdir.mkdir()
        copy_runs(logdir, runs)
        browser = launch(p)
        try:
            with serving(logdir, work) as server:
                context, _, frame, _ = open_panel(browser, media_url(server.url))
                frame.wait_for_function(
                    "n => document.querySelector('.mp-runs .mp-count')?.textContent === `${n}/${n}`",
                    arg=runs,
                    timeout=120_000,
                )
                rows = int(frame.evaluate("document.querySelectorAll('.mp-run-list .mp-run').length"))
                times = []
                for _ in range(rounds):
                    for pattern in PATTERNS:
                        ms, count = frame.evaluate(FILTER, pattern)
                        shown = expected(pattern, runs)
                        if count != f"{shown}/{runs}":
                            raise AssertionError(f"filter {pattern!r}: the list says {count}, not {shown}")
                        times.append(float(ms))
                context.close()
        finally:
            browser.close()
    return times, rows


def run(quick: bool) -> dict[str, float]:
    times, rows = measure(2000 if quick else 10_000)
    return {"run_filter_10k_ms": statistics.median(times), "run_list_rows_10k": float(rows)}


if __name__ == "__main__":
    quick_cli(run, __doc__)
