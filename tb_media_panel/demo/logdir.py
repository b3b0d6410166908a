"""Writing the whole demo logdir: every run, every scenario, then a marker saying it is complete."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tb_media_panel.demo.config import LEGACY_RUN, RUNS, DemoConfig, Metrics, write_scalars

# Bump when the demo's content changes, so `make demo` rewrites logdirs from older versions.
DEMO_VERSION = 3
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
    absolute = Path(os.path.abspath(target))  # "." has no name to derive the sibling from
    staging = absolute.with_name(f".{absolute.name}.writing")
    if staging.exists():
        shutil.rmtree(staging)  # left by an interrupted write
    staging.mkdir(parents=True)
    # Generated data, wherever it is written: never picked up by `git add`, even half-written.
    (staging / ".gitignore").write_text("*\n", encoding="utf-8")
    cfg = DemoConfig.make(quick)
    say(
        f"writing the {'quick ' if quick else ''}demo logdir {target}: {len(RUN_NAMES)} runs of "
        "small models trained on the CPU (about a minute on 2 idle cores)"
    )
    started = time.monotonic()
    _write_runs(staging, cfg, say)
    if not absolute.is_dir():
        staging.rename(absolute)
    else:
        # Replace the contents, keeping the directory itself: it may be the current directory
        # or one a TensorBoard is watching. An older or quick demo is ours to replace (above).
        # The marker goes first, so an interruption here never leaves a "complete" half demo.
        (absolute / MARKER_NAME).unlink(missing_ok=True)
        for entry in absolute.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in staging.iterdir():
            entry.rename(absolute / entry.name)
        staging.rmdir()
    # Written last: only a logdir with every run in place counts as complete.
    (absolute / MARKER_NAME).write_text(
        json.dumps({"version": DEMO_VERSION, "quick": quick, "runs": list(RUN_NAMES)}) + "\n",
        encoding="utf-8",
    )
    say(f"demo logdir written to {target} in {time.monotonic() - started:.0f} s")
    return True


def _write_runs(root: Path, cfg: DemoConfig, say: Callable[[str], None]) -> None:
    """One task per run; on 2+ cores two at a time, in processes with one torch thread each:
    these models are too small for intra-op threads to pay (they mostly spin), runs are not."""
    tasks = [run.name for run in RUNS] + [LEGACY_RUN]
    workers = min(2, os.cpu_count() or 1)
    if workers == 1:
        for name in tasks:
            _write_task(str(root), name, cfg, say)
        return
    # spawn, not fork: forking a process that has torch's thread pools running is unsafe.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        jobs = [pool.apply_async(_write_task, (str(root), name, cfg, None)) for name in tasks]
        for job in jobs:
            for line in job.get():
                say(line)


def _write_task(root: str, name: str, cfg: DemoConfig, say: Callable[[str], None] | None) -> list[str]:
    """Write one run; return its progress lines (and print them at once when `say` is given)."""
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

    torch.set_num_threads(1)
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        if say is not None:
            say(line)

    if name == LEGACY_RUN:
        # torch.utils.tensorboard imports TensorFlow when it is installed; keep its banner quiet.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        started = time.monotonic()
        legacy.write(str(Path(root) / LEGACY_RUN), cfg)
        note(f"  {LEGACY_RUN} {time.monotonic() - started:5.1f} s")
        return lines
    run = next(r for r in RUNS if r.name == name)
    metrics = Metrics()
    run_dir = str(Path(root) / run.name)
    scenarios = (digits, segmentation, points, structures, meshes, rollout, sound, report)
    with mp.Writer(run_dir) as writer:
        for scenario in scenarios:
            started = time.monotonic()
            scenario.log(writer, run, cfg, metrics)
            scenario_name = scenario.__name__.rsplit(".", 1)[-1]
            note(f"  {run.name:>9} {scenario_name:<13} {time.monotonic() - started:5.1f} s")
    write_scalars(run_dir, metrics)
    return lines
