"""Logging a 1M-point cloud (xyz float32 + rgb uint8): bytes per point on disk and points/s.

    .venv/bin/python -m benchmarks.log_pointcloud [--quick] [--points N]

Goals (issue 2): <= 15.5 bytes/point and >= 10M points/s for `mp.PointCloud` + `Writer.add`
+ flush, median of several runs. Anchors, measured the same way: W&B's JSON list of
[x, y, z, r, g, b] rows, and torch's `SummaryWriter.add_mesh` (slow, so on a smaller cloud).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import tb_media_panel as mp

GOAL_BYTES_PER_POINT = 15.5
GOAL_POINTS_PER_SECOND = 10e6


def make_cloud(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xyz = rng.normal(scale=20.0, size=(n, 3)).astype(np.float32)
    rgb = rng.integers(0, 256, size=(n, 3), dtype=np.uint8)
    return xyz, rgb


def event_bytes(logdir: Path) -> int:
    return sum(p.stat().st_size for p in logdir.glob("*tfevents*"))


def measure_mp(xyz: np.ndarray, rgb: np.ndarray, repeats: int) -> dict[str, float]:
    """Construct + add + flush, one fresh run directory per repeat (so the size is one cloud)."""
    seconds, cpu_seconds, sizes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        with mp.Writer(str(Path(tmp) / "warmup")) as w:  # first use pays one-off imports
            w.add("cloud", mp.PointCloud(xyz[:1000], colors=rgb[:1000]), step=0)
        for i in range(repeats):
            logdir = Path(tmp) / f"run{i}"
            writer = mp.Writer(str(logdir))
            writer.flush()
            start, cpu_start = time.perf_counter(), time.process_time()
            writer.add("cloud", mp.PointCloud(xyz, colors=rgb), step=i)
            writer.flush()
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - cpu_start)
            writer.close()
            sizes.append(event_bytes(logdir))
    median = statistics.median(seconds)
    return {
        "points": len(xyz),
        "bytes_per_point": statistics.median(sizes) / len(xyz),
        "points_per_second": len(xyz) / median,
        "seconds": median,
        # CPU time of this process: what wall time would be on an idle machine.
        "points_per_cpu_second": len(xyz) / statistics.median(cpu_seconds),
    }


def measure_wandb_json(xyz: np.ndarray, rgb: np.ndarray) -> dict[str, float]:
    """W&B's Object3D stores points as a JSON list of [x, y, z, r, g, b] rows."""
    start = time.perf_counter()
    text = json.dumps(np.hstack([xyz.astype(np.float64), rgb.astype(np.float64)]).tolist())
    seconds = time.perf_counter() - start
    return {
        "points": len(xyz),
        "bytes_per_point": len(text.encode()) / len(xyz),
        "points_per_second": len(xyz) / seconds,
        "seconds": seconds,
    }


def measure_torch_add_mesh(xyz: np.ndarray, rgb: np.ndarray) -> dict[str, float] | None:
    try:
        import torch
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    vertices = torch.from_numpy(xyz).unsqueeze(0)
    colors = torch.from_numpy(rgb).unsqueeze(0)
    with tempfile.TemporaryDirectory() as tmp:
        writer = SummaryWriter(tmp)
        writer.add_mesh("warmup", vertices=vertices[:, :100], colors=colors[:, :100], global_step=0)
        writer.flush()
        before = event_bytes(Path(tmp))
        start = time.perf_counter()
        writer.add_mesh("cloud", vertices=vertices, colors=colors, global_step=1)
        writer.flush()
        seconds = time.perf_counter() - start
        writer.close()
        size = event_bytes(Path(tmp)) - before
    return {
        "points": len(xyz),
        "bytes_per_point": size / len(xyz),
        "points_per_second": len(xyz) / seconds,
        "seconds": seconds,
    }


def measure(points: int = 1_000_000, repeats: int = 5, anchor_points: int = 100_000) -> dict[str, Any]:
    xyz, rgb = make_cloud(points)
    results: dict[str, Any] = {"mp.PointCloud + Writer.add": measure_mp(xyz, rgb, repeats)}
    small = min(anchor_points, points)
    results["W&B JSON list (Nx6)"] = measure_wandb_json(xyz[:small], rgb[:small])
    torch_result = measure_torch_add_mesh(xyz[:small], rgb[:small])
    if torch_result is not None:
        results["torch add_mesh"] = torch_result
    return results


def run(quick: bool) -> dict[str, float]:
    """The issue's figures: 1M points, median of 7 (quick: 200k points, of 3); anchors on 100k."""
    found = measure(points=200_000 if quick else 1_000_000, repeats=3 if quick else 7)
    ours = found["mp.PointCloud + Writer.add"]
    metrics = {
        "pointcloud_bytes_per_point": float(ours["bytes_per_point"]),
        "pointcloud_log_mpts_per_s": float(ours["points_per_second"]) / 1e6,
        "pointcloud_log_mpts_per_cpu_s": float(ours["points_per_cpu_second"]) / 1e6,
        "pointcloud_json_bytes_per_point": float(found["W&B JSON list (Nx6)"]["bytes_per_point"]),
    }
    if "torch add_mesh" in found:
        metrics["pointcloud_torch_mesh_bytes_per_point"] = float(found["torch add_mesh"]["bytes_per_point"])
    return metrics


def print_table(results: dict[str, Any]) -> None:
    print(f"{'method':<30} {'points':>10} {'bytes/point':>12} {'Mpoints/s':>10} {'(CPU)':>8}")
    for name, r in results.items():
        cpu = r.get("points_per_cpu_second")
        print(
            f"{name:<30} {r['points']:>10,} {r['bytes_per_point']:>12.2f} "
            f"{r['points_per_second'] / 1e6:>10.2f} "
            + (f"{cpu / 1e6:>8.2f}" if cpu else f"{'':>8}")
        )
    ours = results["mp.PointCloud + Writer.add"]
    size_ok = ours["bytes_per_point"] <= GOAL_BYTES_PER_POINT
    speed_ok = ours["points_per_second"] >= GOAL_POINTS_PER_SECOND
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
            "wall times are inflated"
        )
    print(
        f"goal bytes/point <= {GOAL_BYTES_PER_POINT}: {'met' if size_ok else 'MISSED'}; "
        f"goal points/s >= {GOAL_POINTS_PER_SECOND / 1e6:.0f}M: {'met' if speed_ok else 'MISSED'}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k points, 3 runs")
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    points = args.points or (200_000 if args.quick else 1_000_000)
    repeats = args.repeats or (3 if args.quick else 7)
    results = measure(points=points, repeats=repeats, anchor_points=min(points, 100_000))
    print_table(results)
    return results


if __name__ == "__main__":
    main()
