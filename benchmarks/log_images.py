"""Images per second: `mp.Writer.add(mp.Image(...))` vs torch's `SummaryWriter.add_image`.

Both log the same 256x256 RGB uint8 arrays (a gradient plus noise, so PNG has real work to
do) into fresh temporary logdirs, one image per step, including the final flush/close.
torch is timed twice: as installed, and without TensorFlow (TensorBoard then falls back to
pure-Python CRC32C, the common case for torch users). Prints the median of several runs and
the ratios (goal: >= 4x).

    .venv/bin/python benchmarks/log_images.py [--count 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np


def make_images(count: int, size: int = 256) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    base = np.stack([(xx + yy) / 2, xx, size - 1 - yy], axis=-1) * (255.0 / (size - 1))
    return [
        np.clip(np.roll(base, i, axis=1) + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
        for i in range(count)
    ]


def log_with_media_panel(images: list[np.ndarray], logdir: str) -> None:
    import tb_media_panel as mp

    with mp.Writer(logdir) as writer:
        for step, image in enumerate(images):
            writer.add("images", mp.Image(image), step)


def log_with_torch(images: list[np.ndarray], logdir: str) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(logdir)
    for step, image in enumerate(images):
        writer.add_image("images", image, step, dataformats="HWC")
    writer.close()


def images_per_second(
    log: Callable[[list[np.ndarray], str], None], images: list[np.ndarray], repeats: int
) -> float:
    with tempfile.TemporaryDirectory(prefix="bench_log_images_") as logdir:
        log(images[:1], logdir)  # warm up: lazy imports (TensorBoard may load TensorFlow)
    seconds = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench_log_images_") as logdir:
            start = time.perf_counter()
            log(images, logdir)
            seconds.append(time.perf_counter() - start)
    return len(images) / statistics.median(seconds)


def torch_without_tensorflow(count: int, repeats: int) -> float:
    """torch's writer as on a machine without TensorFlow (TensorBoard then checks CRC32C in
    pure Python): measured in a child process where importing tensorflow fails."""
    out = subprocess.run(
        [sys.executable, __file__, "--count", str(count), "--repeats", str(repeats), "--child"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def run(quick: bool) -> dict[str, float]:
    """`log_image_speed_ratio`: mp.Writer vs torch add_image without TensorFlow (pure-Python
    CRC32C, what torch users without TensorFlow get), 500 images (60 when quick)."""
    count, repeats = (60, 2) if quick else (500, 3)
    ours = images_per_second(log_with_media_panel, make_images(count), repeats)
    torch = torch_without_tensorflow(count, repeats)
    return {
        "log_image_speed_ratio": ours / torch,
        "log_images_per_s": ours,
        "torch_add_image_per_s": torch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="images per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per writer (median taken)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    images = make_images(args.count)
    if args.child:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # makes `import` fail
        print(images_per_second(log_with_torch, images, args.repeats))
        return
    ours = images_per_second(log_with_media_panel, images, args.repeats)
    with_tf = images_per_second(log_with_torch, images, args.repeats)
    without_tf = torch_without_tensorflow(args.count, args.repeats)
    print(f"{args.count} 256x256 RGB uint8 images, median of {args.repeats} runs")
    print(f"mp.Writer.add(mp.Image)                        {ours:8.1f} images/s")
    print(f"torch add_image, TensorFlow installed          {with_tf:8.1f} images/s")
    print(f"torch add_image, no TensorFlow (pure-Py CRC)   {without_tf:8.1f} images/s")
    print(f"ratio vs torch without TensorFlow: {ours / without_tf:.1f}x (goal >= 4x)")
    print(f"ratio vs torch with TensorFlow:    {ours / with_tf:.1f}x")


if __name__ == "__main__":
    main()
