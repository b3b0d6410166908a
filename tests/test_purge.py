"""Restarted jobs: the Media tab shows the steps TensorBoard shows, and the hidden ones on request.

TensorBoard 2.21's default loader (RustBoard) keeps, per tag, only records whose step is below
every later record's step (a record at step s preempts the earlier ones at steps >= s), reading a
run's event files in name order. Checked here against a real `tensorboard --logdir`.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tb_media_panel.compat import event_pb2, summary_pb2
from tb_media_panel.eventfile import frame_record
from tb_media_panel.store import LogdirIndex, MediaReader
from tests.conftest import require

FIRST_JOB, SECOND_JOB = 0, 100  # pixel value offsets telling the jobs' images apart


def pixels(step: int, job: int) -> np.ndarray:
    return np.full((4, 4, 3), job + step, dtype=np.uint8)


def wait_for_next_second() -> None:
    """tensorboardX names files by the second: two writers in one second share a file."""
    time.sleep(1.05 - time.time() % 1)


def write_tensorboardx(run: Path) -> None:
    tensorboardx = require("tensorboardX")
    with tensorboardx.SummaryWriter(str(run)) as writer:
        for step in range(30):
            writer.add_image("img", pixels(step, FIRST_JOB), step, dataformats="HWC")
    wait_for_next_second()
    with tensorboardx.SummaryWriter(str(run), purge_step=20) as writer:
        for step in range(20, 25):
            writer.add_image("img", pixels(step, SECOND_JOB), step, dataformats="HWC")


def write_torch_plain_restart(run: Path) -> None:
    tensorboard = require("torch.utils.tensorboard").utils.tensorboard
    for job, steps in ((FIRST_JOB, range(30)), (SECOND_JOB, range(20, 25))):
        writer = tensorboard.SummaryWriter(str(run))  # no purge_step: a plain restart
        for step in steps:
            writer.add_image("img", pixels(step, job), step, dataformats="HWC")
        writer.close()


@pytest.fixture(scope="module")
def restarted_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("purge")
    write_tensorboardx(root / "tbx")
    write_torch_plain_restart(root / "torch")
    return root


def tensorboard_steps(server, run: str, tag: str) -> list[int]:
    """The steps TensorBoard's own images dashboard lists."""
    url = f"{server.url}/data/plugin/images/images?run={run}&tag={tag}&sample=0"
    with urllib.request.urlopen(url, timeout=60) as response:
        return [entry["step"] for entry in json.loads(response.read())]


def first_pixel(server, route: str) -> int:
    status, _, body = server.get(route)
    assert status == 200, body[:200]
    return int(np.asarray(Image.open(io.BytesIO(body)))[0, 0, 0])


def test_restarted_jobs_show_what_tensorboard_shows(restarted_logdir: Path, tensorboard_factory) -> None:
    # every sample kept, so TensorBoard's own listing is complete
    server = tensorboard_factory(restarted_logdir, "--samples_per_plugin=images=1000")
    tags = {(t["run"], t["tag"]): t for t in server.get_json("tags")["tags"]}
    for run in ("tbx", "torch"):
        expected = tensorboard_steps(server, run, "img")
        assert expected == list(range(25)), run  # what TensorBoard shows, the reference
        ours = server.get_json(f"series?run={run}&tag=img")["runs"][run]
        assert ours["steps"] == expected, run
        assert ours["purged"] == 10, run  # the first job's 20..29
        tag = tags[(run, "img")]
        assert (tag["step_count"], tag["last_step"], tag["purged"]) == (25, 24, 10), run
        # the second job's images at 20..24, the first job's before
        assert first_pixel(server, f"data?run={run}&tag=img&step=22&index=0") == SECOND_JOB + 22
        assert first_pixel(server, f"data?run={run}&tag=img&step=5&index=0") == FIRST_JOB + 5

        shown = server.get_json(f"series?run={run}&tag=img&include_purged=1")["runs"][run]
        assert shown["steps"] == list(range(30)) and shown["purged"] == 10, run
        assert first_pixel(server, f"data?run={run}&tag=img&step=27&index=0") == FIRST_JOB + 27


def media_record(tag: str, step: int, payload: bytes) -> bytes:
    from tb_media_panel.proto import media_pb2
    from tb_media_panel.summary import metadata, tensor_proto

    item = media_pb2.MediaItem(version=1, kind="image", mime="image/png", format="png", data=payload)
    value = summary_pb2.Summary.Value(
        tag=tag, metadata=metadata(), tensor=tensor_proto([item.SerializeToString()])
    )
    event = event_pb2.Event(wall_time=1.0 + step, step=step, summary=summary_pb2.Summary(value=[value]))
    return frame_record(event.SerializeToString())


def test_files_count_in_name_order_whatever_order_they_are_indexed_in(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    late = run / "events.out.tfevents.0000000002.host"
    late.write_bytes(b"".join(media_record("t", s, b"new") for s in range(5, 8)))
    index = LogdirIndex(str(tmp_path))
    index.refresh()  # the later file indexed first, alone
    early = run / "events.out.tfevents.0000000001.host"
    early.write_bytes(b"".join(media_record("t", s, b"old") for s in range(10)))
    index.refresh()
    reader = MediaReader(index)
    (summary,) = index.tag_summaries(["run"])
    assert (summary.step_count, summary.last_step, summary.purged) == (8, 7, 5)
    assert index.step_table(index.series("run", "t")).steps.tolist() == list(range(8))
    payload = reader.data("run", "t", 6, 0)
    assert payload.read(0, payload.size) == b"new"
    assert index.step_table(index.series("run", "t"), include_purged=True).steps.tolist() == list(
        range(10)
    )


def test_steps_going_back_within_one_file_hide_the_later_ones_per_tag(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    records = [media_record("a", s, b"a") for s in range(6)]
    records += [media_record("b", s, b"b") for s in range(6)]
    records += [media_record("a", 3, b"again")]
    (run / "events.out.tfevents.1").write_bytes(b"".join(records))
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    summaries = {s.tag: s for s in index.tag_summaries(["run"])}
    assert (summaries["a"].last_step, summaries["a"].purged) == (3, 3)  # old 3, 4, 5
    assert (summaries["b"].last_step, summaries["b"].purged) == (5, 0)  # another tag: untouched


def write_tensorboardx_restart_dropping_a_tag(run: Path) -> None:
    """Both jobs start with a SessionLog.START (purge_step 0, then 20); the second no longer
    logs `other`: there TensorBoard's two loaders differ."""
    tensorboardx = require("tensorboardX")
    with tensorboardx.SummaryWriter(str(run), purge_step=0) as writer:
        for step in range(30):
            writer.add_image("img", pixels(step, FIRST_JOB), step, dataformats="HWC")
            writer.add_image("other", pixels(step, FIRST_JOB), step, dataformats="HWC")
    wait_for_next_second()
    with tensorboardx.SummaryWriter(str(run), purge_step=20) as writer:
        for step in range(20, 25):
            writer.add_image("img", pixels(step, SECOND_JOB), step, dataformats="HWC")


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_each_loader_purges_as_tensorboard_does(
    tmp_path: Path, tensorboard_factory, load_fast: str
) -> None:
    """RustBoard purges per tag: `other` keeps 0..29. TensorBoard's Python loader purges every
    tag of the run at a SessionLog.START after the run's first (plugin_event_accumulator):
    `other` keeps 0..19. The plugin follows the loader TensorBoard runs."""
    write_tensorboardx_restart_dropping_a_tag(tmp_path / "logs" / "tbx")
    server = tensorboard_factory(
        tmp_path / "logs", f"--load_fast={load_fast}", "--samples_per_plugin=images=1000"
    )
    shown = {"img": list(range(25)), "other": list(range(30 if load_fast == "true" else 20))}
    for tag, steps in shown.items():
        assert tensorboard_steps(server, "tbx", tag) == steps, (tag, load_fast)  # the reference
        ours = server.get_json(f"series?run=tbx&tag={tag}")["runs"]["tbx"]
        assert ours["steps"] == steps, (tag, load_fast)
        assert ours["purged"] == (10 if tag == "img" or load_fast == "false" else 0)
    assert first_pixel(server, "data?run=tbx&tag=img&step=22&index=0") == SECOND_JOB + 22


def session_start(step: int) -> bytes:
    event = event_pb2.Event(wall_time=1.0, step=step, session_log=event_pb2.SessionLog(status=1))
    return frame_record(event.SerializeToString())


def test_the_python_loaders_rule_purges_every_tag_at_a_restart_in_read_order(tmp_path: Path) -> None:
    from tb_media_panel.store.series import PURGE_ON_RESTART

    run = tmp_path / "run"
    run.mkdir()
    version = frame_record(event_pb2.Event(file_version="brain.Event:2").SerializeToString())
    second = [version, session_start(5)] + [media_record("a", s, b"new") for s in range(5, 8)]
    (run / "events.out.tfevents.2").write_bytes(b"".join(second))
    index = LogdirIndex(str(tmp_path), purge=PURGE_ON_RESTART)
    index.refresh()  # the later file first, alone: its START is the run's first, no restart
    assert index.step_table(index.series("run", "a")).steps.tolist() == [5, 6, 7]
    first = [version, session_start(0)]
    first += [media_record(tag, s, b"old") for s in range(10) for tag in ("a", "b")]
    (run / "events.out.tfevents.1").write_bytes(b"".join(first))
    index.refresh()
    summaries = {s.tag: s for s in index.tag_summaries(["run"])}
    assert (summaries["a"].last_step, summaries["a"].purged) == (7, 5)
    assert (summaries["b"].last_step, summaries["b"].purged) == (4, 5)  # not logged again
    payload = MediaReader(index).data("run", "a", 6, 0)
    assert payload.read(0, payload.size) == b"new"
