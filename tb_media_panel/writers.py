"""Writing media to event files: `Writer` needs no framework; `log` takes any writer."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from tb_media_panel import summary
from tb_media_panel.eventfile import EventFileWriter, summary_event_chunks
from tb_media_panel.media.base import describe


class Writer:
    """Writes media summaries for one run directory, without TensorFlow or PyTorch.

    >>> with Writer("runs/exp1") as w:
    ...     w.add("samples", [mp.Image(a), mp.Image(b)], step=10)
    """

    def __init__(self, logdir: str, flush_secs: float = 10.0, filename_suffix: str = "") -> None:
        if not isinstance(logdir, str) and not hasattr(logdir, "__fspath__"):
            raise TypeError(f"logdir: expected a path, got {describe(logdir)}")
        self.logdir = str(logdir)
        self._flush_secs = flush_secs
        self._file: EventFileWriter | None = None
        self._suffix = filename_suffix
        self._last_flush = time.monotonic()

    def _events(self) -> EventFileWriter:
        if self._file is None:
            self._file = EventFileWriter(self.logdir, self._suffix)
        return self._file

    def add(self, tag: str, media_or_list: Any, step: int, walltime: float | None = None) -> None:
        """Log one item or a list of items (the index axis) under `tag` at `step`."""
        step = summary.check_step(step)
        if walltime is not None and not isinstance(walltime, (int, float)):
            raise TypeError(f"walltime: expected a float (seconds) or None, got {describe(walltime)}")
        summary.check_tag(tag)
        blobs = summary.encode(media_or_list)  # validates and encodes before any write
        wall_time = time.time() if walltime is None else float(walltime)
        self._events().write_chunks(
            summary_event_chunks(wall_time, step, tag, summary.metadata_bytes(), blobs)
        )
        if time.monotonic() - self._last_flush >= self._flush_secs:
            self.flush()

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def log(writer: Any, tag: str, media_or_list: Any, step: int) -> None:
    """Log media through an existing writer: `mp.Writer`, torch's or tensorboardX's `SummaryWriter`."""
    if isinstance(writer, Writer):
        writer.add(tag, media_or_list, step)
        return
    get_file_writer = getattr(writer, "_get_file_writer", None)
    if get_file_writer is None:
        raise TypeError(
            "writer: expected an mp.Writer, torch.utils.tensorboard.SummaryWriter or "
            f"tensorboardX.SummaryWriter, got {describe(writer)}"
        )
    value: Any = summary.pb(tag, media_or_list)
    step = summary.check_step(step)
    if type(writer).__module__.startswith("tensorboardX"):
        # tensorboardX builds events from its own copy of the protos.
        from tensorboardX.proto import summary_pb2 as tbx_summary_pb2

        value = tbx_summary_pb2.Summary.FromString(value.SerializeToString())
    # torch and tensorboardX both expose FileWriter.add_summary(summary, global_step).
    get_file_writer().add_summary(value, step)
