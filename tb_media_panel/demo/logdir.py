"""Writing the whole demo logdir: every run, every scenario, then a marker saying it is complete."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tb_media_panel.demo.config import LEGACY_RUN, RUNS, DemoConfig, Metrics, write_scalars

# Bump when the demo's content changes, so `make demo` rewrites logdirs from older versions.
DEMO_VERSION = 1
MARKER_NAME = ".tb_media_panel_demo.json"
RUN_NAMES: tuple[str, ...] = (*(run.name for run in RUNS), LEGACY_RUN)


class DemoLogdirError(Exception):
    """The logdir cannot be used for the demo (e.g. it holds someone else's runs)."""


def _read_marker(logdir: Path) -> dict | None:
    try:
        marker = json.loads((logdir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def is_complete(logdir: str | os.PathLike[str], quick: bool = False) -> bool:
    """True when `logdir` holds a finished demo of this version; a full demo also serves `quick`."""
    marker = _read_marker(Path(logdir))
    if marker is None or marker.get("version") != DEMO_VERSION:
        return False
    return quick or not marker.get("quick", True)


def write_demo(
    logdir: str | os.PathLike[str],
    quick: bool = False,
    progress: Callable[[str], None] | None = print,
) -> bool:
    """Write the demo runs into `logdir`; return False (and write nothing) when it is complete.

    The runs are written into a sibling directory and moved into place at the end, so an
    interrupted write never leaves a half demo that a later call would take as finished.
    """
    target = Path(logdir)
    if is_complete(target, quick):
        return False
    if target.exists() and not target.is_dir():
        raise DemoLogdirError(f"--logdir: {str(target)!r} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and _read_marker(target) is None:
        raise DemoLogdirError(
            f"--logdir: {str(target)!r} is not empty and holds no demo; "
            "pass a new or empty directory so no runs of yours are overwritten"
        )
    say = progress or (lambda _message: None)
    staging = target.with_name(f".{target.name}.writing")
    if staging.exists():
        shutil.rmtree(staging)  # left by an interrupted write
    staging.mkdir(parents=True)
    cfg = DemoConfig.make(quick)
    started = time.monotonic()
    _write_runs(staging, cfg, say)
    (staging / MARKER_NAME).write_text(
        json.dumps({"version": DEMO_VERSION, "quick": quick, "runs": list(RUN_NAMES)}) + "\n",
        encoding="utf-8",
    )
    if target.exists():
        shutil.rmtree(target)  # an older or quick demo: ours to replace (checked above)
    staging.rename(target)
    say(f"demo logdir written to {target} in {time.monotonic() - started:.0f} s")
    return True


def _write_runs(root: Path, cfg: DemoConfig, say: Callable[[str], None]) -> None:
    import torch

    import tb_media_panel as mp
    from tb_media_panel.demo import (
        digits,
        legacy,
        meshes,
        points,
        report,
        rollout,
        segmentation,
        sound,
        structures,
    )

    # Deterministic runs on a shared machine: at most 2 threads, whatever the core count.
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    scenarios = (digits, segmentation, points, structures, meshes, rollout, sound)
    for run in RUNS:
        metrics = Metrics()
        run_dir = root / run.name
        with mp.Writer(str(run_dir)) as writer:
            for scenario in scenarios:
                started = time.monotonic()
                scenario.log(writer, run, cfg, metrics)
                say(
                    f"  {run.name:>9} {scenario.__name__.rsplit('.', 1)[-1]:<13} "
                    f"{time.monotonic() - started:5.1f} s"
                )
            report.log(writer, run, cfg, metrics)
        write_scalars(str(run_dir), metrics)
    started = time.monotonic()
    legacy.write(str(root / LEGACY_RUN), cfg)
    say(f"  {LEGACY_RUN} {time.monotonic() - started:5.1f} s")
