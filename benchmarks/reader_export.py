"""mp.Reader and `tb-media-panel export`: items read as arrays per second, and an MP4 over
100 steps (issue 17: `reader_items_per_s` >= 2,000, `export_mp4_100_steps_s` <= 3).

Writes one run of 64x64 RGB noise images (4 a step, 500 steps; 100 when quick) and one of
100 steps of one smooth 256x256 RGB image (16x16 noise, bilinearly upsampled) with mp.Writer,
then times `to_numpy()` of every item through a fresh Reader (indexing excluded) and the
export of the 100 steps to H.264 (indexing included, as the command does it). Medians of 3
repeats (1 when quick).

    .venv/bin/python benchmarks/reader_export.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def write_logdir(root: Path, small_steps: int) -> None:
    import tb_media_panel as mp

    rng = np.random.default_rng(0)
    with mp.Writer(str(root / "small")) as writer:
        for step in range(small_steps):
            images = [mp.Image(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(4)]
            writer.add("samples", images, step=step)
    from PIL import Image

    with mp.Writer(str(root / "large")) as writer:
        for step in range(100):
            # smooth, like a model's samples: noise would time H.264 on its worst case alone
            coarse = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
            sample = np.asarray(coarse.resize((256, 256), Image.Resampling.BILINEAR))
            writer.add("samples", mp.Image(sample), step=step)


def items_per_s(root: Path) -> float:
    import tb_media_panel as mp

    reader = mp.Reader(root)
    start = time.perf_counter()
    count = 0
    for step in reader.steps("small", "samples"):
        for item in reader.items("small", "samples", step):
            item.to_numpy()
            count += 1
    return count / (time.perf_counter() - start)


def export_mp4_s(root: Path) -> float:
    from tb_media_panel.cli import main

    start = time.perf_counter()
    out = root / "large.mp4"
    main(["export", "--logdir", str(root), "--run", "large", "--tag", "samples", "--to", str(out)])
    return time.perf_counter() - start


def run(quick: bool) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="tbmp-reader-"))
    try:
        write_logdir(work, 100 if quick else 500)
        repeats = 1 if quick else 3
        reads = [items_per_s(work) for _ in range(repeats)]
        exports = [export_mp4_s(work) for _ in range(repeats)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "reader_items_per_s": statistics.median(reads),
        "export_mp4_100_steps_s": statistics.median(exports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for name, value in run(args.quick).items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
