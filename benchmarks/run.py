"""Every benchmark in one run: a table of figures against the goals, and a JSON file.

    .venv/bin/python -m benchmarks.run [--quick] [--only index,panel] [--output PATH]

The full run (`make bench`, under 3 minutes here at low load) writes `benchmarks/results.json`; the quick
run (`make bench-quick`: smaller sizes, same metric names, under 3 minutes) writes to the temp
directory unless `--output` is given. Each suite measures this project and its anchors on
the same data in the same run; figures are medians of repeats, and the ratios are of
measurements taken side by side, because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results.json"

# name -> (direction, goal): "min" means the figure must be at least the goal, "max" at most;
# None: reported as an anchor, no goal.
GOALS: dict[str, tuple[str, float] | None] = {
    "index_throughput_ratio": ("min", 0.5),
    "index_time_vs_rustboard": ("max", 1.0),
    "rss_growth_fraction": ("max", 0.02),
    "tensorboard_rss_fraction": None,
    "log_image_speed_ratio": ("min", 4.0),
    "pointcloud_bytes_per_point": ("max", 15.5),
    "pointcloud_log_mpts_per_s": ("min", 10.0),
    "pointcloud_json_bytes_per_point": None,
    "series_query_ms_p50": ("max", 20.0),
    "grid_first_paint_ms": ("max", 1500.0),
    "step_change_ms_p50": ("max", 100.0),
    # grid_first_paint_ms split: TensorBoard's page alone, and the panel's part after it
    "tensorboard_boot_ms": None,
    "grid_first_paint_after_boot_ms": None,
    "max_dom_nodes": ("max", 5000.0),
    "pointcloud_1m_first_frame_ms": ("max", 2000.0),
    "molecule_grid_settle_ms": ("max", 3000.0),
    "molecule_rotate_ms_per_frame": ("max", 50.0),
    "scale_1000_runs_list_ms": ("max", 500.0),
    "real_logdir_index_vs_rustboard": ("max", 1.0),
    "scan_records_per_s": ("min", 2_000_000.0),
    "runs_10k_list_ms": ("max", 500.0),
    "runs_10k_first_list_ms": ("max", 500.0),  # the cold call: summaries kept as indexed
    "run_filter_10k_ms": ("max", 50.0),
    "run_list_rows_10k": None,
    "real_logdir_first_tags_ms": ("max", 1000.0),
    "index_bytes_per_item": ("max", 32.0),
    "index_resident_bytes_per_item": None,
    "reader_items_per_s": ("min", 2000.0),
    "export_mp4_100_steps_s": ("max", 3.0),
    "heatmap_recolor_ms": ("max", 50.0),
    "heatmap_log_per_s": ("min", 200.0),  # 512x512 float32, mp.Writer
    "heatmap_log_per_cpu_s": None,
    "heatmap_bytes_per_log": ("max", 1_050_000.0),
    "heatmap_first_paint_ms": None,
    "compare_wipe_ms_per_frame": ("max", 16.0),  # two 1024x1024 images, the divider dragged
    "compare_wipe_latency_ms": None,
    "synced_zoom_ms_per_frame": ("max", 16.0),  # a card of 20 image cells, Ctrl+wheel + drag
    "pixel_probe_ms": ("max", 16.0),  # hover -> every one of the 20 cells' value shown
    "pixel_probe_latency_ms": None,
    "synced_zoom_cpu_ms_per_frame": None,
    "pixel_probe_cpu_ms": None,
}


# name -> module of `benchmarks` whose `run(quick) -> dict[str, float]` measures it.
SUITES: dict[str, str] = {
    "index": "index_speed",
    "real_logdir": "real_logdir",
    "log_images": "log_images",
    "pointcloud": "log_pointcloud",
    "series": "series_query",
    "scale": "scale_runs",
    "panel": "panel_timing",
    "run_filter": "run_filter",
    "pointcloud_render": "pointcloud_render",
    "molecules": "molecule_timing",
    "memory": "index_memory",
    "reader": "reader_export",
    "heatmaps": "heatmap_panel",
    "heatmap_log": "heatmap",
    "compare": "compare_bench",
    "zoom_probe": "zoom_probe_bench",
}


def suite(name: str) -> Callable[[bool], dict[str, float]]:
    module = importlib.import_module(f"benchmarks.{SUITES[name]}")
    measure: Callable[[bool], dict[str, float]] = module.run
    return measure


RESULT_MARK = "@@bench-result "


def isolated(name: str, quick: bool) -> dict[str, float]:
    """One suite in a fresh interpreter: what earlier suites allocated, imported or left
    running cannot move its figures (RSS growth per item came out 86 B after the other suites
    in one process, 24.5 alone)."""
    code = (
        "import json, sys; from benchmarks.run import RESULT_MARK, suite; "
        f"print(RESULT_MARK + json.dumps(suite({name!r})({quick!r})), flush=True)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = done.stdout.splitlines()
    print("\n".join(line for line in lines if not line.startswith(RESULT_MARK)), flush=True)
    found = [line[len(RESULT_MARK):] for line in lines if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"suite {name!r} exited with status {done.returncode} (its traceback is above)")
    figures: dict[str, float] = json.loads(found[-1])
    return figures


def machine() -> dict[str, Any]:
    import tensorboard

    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        memory_gb = psutil.virtual_memory().total / 2**30
    except ImportError:
        memory_gb = 0.0
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_gb, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorboard": tensorboard.__version__,
        "load_average_start": list(os.getloadavg()),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def verdict(name: str, value: float) -> str:
    goal = GOALS.get(name)
    if goal is None:
        return "report"
    direction, bound = goal
    met = value >= bound if direction == "min" else value <= bound
    return "met" if met else "MISSED"


def goal_text(name: str) -> str:
    goal = GOALS.get(name)
    if goal is None:
        return "" if name not in GOALS else "(anchor)"
    return (">= " if goal[0] == "min" else "<= ") + f"{goal[1]:g}"


def print_table(metrics: dict[str, float]) -> None:
    print(f"\n{'metric':40s} {'value':>12s} {'goal':>10s}  verdict")
    for name in [*GOALS, *sorted(set(metrics) - set(GOALS))]:
        if name not in metrics:
            print(f"{name:40s} {'—':>12s} {goal_text(name):>10s}  not measured")
            continue
        value = metrics[name]
        shown = verdict(name, value) if name in GOALS else ""
        print(f"{name:40s} {value:12.4g} {goal_text(name):>10s}  {shown}")


def run(quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    info = machine()
    metrics: dict[str, float] = {}
    errors: dict[str, str] = {}
    durations: dict[str, float] = {}
    started = time.perf_counter()
    for name in SUITES:
        if only and name not in only:
            continue
        print(f"[bench] {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            found = isolated(name, quick)
        except Exception as exc:  # one broken suite must not hide the others' figures
            errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"[bench] {name} FAILED: {errors[name]}", flush=True)
            continue
        finally:
            durations[name] = round(time.perf_counter() - t0, 1)
        for key, value in found.items():
            if not math.isfinite(float(value)):
                errors[f"{name}:{key}"] = f"not a finite number: {value!r}"
            metrics[key] = float(value)
        print(f"[bench] {name} done in {durations[name]:.0f} s", flush=True)
    if not only:
        # A whole run that lacks a goal's figure is broken, though no suite raised.
        missing = [name for name in GOALS if name not in metrics]
        if missing:
            errors["missing"] = f"metrics not produced: {missing}"
    info["load_average_end"] = list(os.getloadavg())
    info["quick"] = quick
    info["seconds"] = round(time.perf_counter() - started, 1)
    info["suite_seconds"] = durations
    result: dict[str, Any] = {"metrics": metrics, "machine": info}
    if errors:
        result["errors"] = errors
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, same metric names")
    parser.add_argument("--only", default="", help=f"comma-separated suites of {list(SUITES)}")
    parser.add_argument("--output", type=Path, default=None, help="where to write the JSON")
    args = parser.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites {sorted(unknown)}; choose from {list(SUITES)}")
    result = run(args.quick, only)
    print_table(result["metrics"])
    output = args.output
    if output is None:
        partial = bool(only) or args.quick
        output = Path(tempfile.gettempdir()) / "tb-media-panel-bench.json" if partial else RESULTS
    output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    info = result["machine"]
    print(
        f"\n{info['cpu_count']} CPUs ({info['cpu_model']}), load average "
        f"{info['load_average_start'][0]:.1f} -> {info['load_average_end'][0]:.1f}, "
        f"{info['seconds']:.0f} s; written to {output}"
    )
    if result.get("errors"):
        print(f"errors: {json.dumps(result['errors'], indent=2)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
