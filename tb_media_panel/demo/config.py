"""What every demo scenario shares: the runs, the size of the demo, and where results go."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import EventFileWriter


@dataclass(frozen=True)
class RunConfig:
    """One run of the demo: every scenario trains with this learning rate (Adam, unless the
    scenario says otherwise in the run's HTML report) and this seed."""

    name: str
    lr: float
    seed: int


# Three learning rates an order of magnitude apart (Adam's range) so the runs visibly differ:
# the slowest still improves, the fastest converges first.
RUNS: tuple[RunConfig, ...] = (
    RunConfig("lr=0.001", 0.001, 1),
    RunConfig("lr=0.003", 0.003, 2),
    RunConfig("lr=0.01", 0.01, 3),
)
LEGACY_RUN = "legacy_torch_writer"


@dataclass(frozen=True)
class DemoConfig:
    """How big the demo is. `quick` is for tests and smoke checks: same tags, less of it."""

    quick: bool = False
    log_points: int = 11  # logged steps per scenario
    iterations: int = 1000  # training iterations between the first and the last logged step
    batch: int = 16  # images per logged step (the index axis)
    seg_size: int = 48  # training crop size of the segmentation net
    seg_view: int = 128  # logged segmentation images
    seg_updates_per_step: int = 1  # optimizer updates of the segmentation net per training step
    num_points: int = 24000
    mesh_subdivisions: int = 4
    video_max_frames: int = 40

    @staticmethod
    def make(quick: bool) -> DemoConfig:
        if not quick:
            return DemoConfig()
        return DemoConfig(
            quick=True,
            log_points=3,
            iterations=60,
            batch=6,
            seg_size=48,
            seg_view=96,
            seg_updates_per_step=8,  # 60 steps of one update each leave the net predicting nothing
            num_points=3000,
            mesh_subdivisions=2,
            video_max_frames=16,
        )

    def logged_steps(self) -> list[int]:
        """The training steps at which media are logged, first and last included: denser early,
        where models change fastest (as people log in practice), so every step shows progress."""
        n = self.log_points
        return sorted({round(self.iterations * (i / (n - 1)) ** 2) for i in range(n)})


class MediaSink(Protocol):
    """`mp.Writer` as the scenarios use it (tests may pass a recorder)."""

    def add(self, tag: str, media_or_list: Any, step: int, walltime: float | None = None) -> None: ...


@dataclass
class Metrics:
    """Scalars a run produced: written as TensorBoard scalars and summarised in its HTML report."""

    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, tag: str, step: int, value: float) -> None:
        self.series.setdefault(tag, []).append((step, float(value)))

    def last(self, tag: str) -> float | None:
        values = self.series.get(tag)
        return values[-1][1] if values else None


def write_scalars(run_dir: str, metrics: Metrics) -> None:
    """Loss curves as plain TensorBoard scalars, so the Scalars tab has them beside the media."""
    writer = EventFileWriter(run_dir, ".scalars")
    now = time.time()
    try:
        for tag, values in sorted(metrics.series.items()):
            for step, value in values:
                summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
                writer.write_event(event_pb2.Event(wall_time=now, step=step, summary=summary))
    finally:
        writer.close()
