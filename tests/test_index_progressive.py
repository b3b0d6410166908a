"""Progressive indexing: the first request never waits for the whole logdir (issue 12.2)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.store import CorruptRecord, LogdirIndex, MediaReader
from tb_media_panel.store import index as index_module
from tb_media_panel.store.index import IndexProgress
from tests.test_fuzz import fuzz
from tests.test_store import media_event, steps_of, write_run


def indexed_runs(runs_app: Any, timeout: float = 60.0) -> dict[str, Any]:
    """The `runs` answer once the index has caught up with the logdir (it indexes in the
    background: a first answer may come before)."""
    deadline = time.monotonic() + timeout
    while True:
        answer: dict[str, Any] = Client(runs_app).get("/runs").get_json()
        if answer["progress"]["done"] or time.monotonic() > deadline:
            assert answer["progress"]["done"], f"still indexing after {timeout} s: {answer['progress']}"
            return answer
        time.sleep(0.05)


def write_runs(root: Path, runs: int, steps: int, size: int = 200) -> None:
    for r in range(runs):
        write_run(root / f"run{r}" / "events.out.tfevents.1", range(steps), size=size)


class Recorder:
    """The real scanner, with what a reader would see before each slice it scans."""

    def __init__(self, index: LogdirIndex, monkeypatch: pytest.MonkeyPatch, delay: float = 0.0):
        self.index = index
        self.delay = delay  # a slow disk or bucket
        self.calls: list[tuple[str, int, int]] = []  # (run, start, end) of each slice
        self.snapshots: list[dict[str, list[int]]] = []
        real = index_module.scan_records

        def scan(reader: Any, start: int, end: int, *args: Any, **kwargs: Any) -> Any:
            self.snapshots.append(self.steps())
            run = Path(reader._file.name).parent.name
            self.calls.append((run, start, end))
            time.sleep(self.delay)
            return real(reader, start, end, *args, **kwargs)

        monkeypatch.setattr(index_module, "scan_records", scan)

    def steps(self) -> dict[str, list[int]]:
        found = {}
        for run in self.index.run_names():
            series = self.index.series(run, "samples")
            found[run] = [] if series is None else self.index.step_table(series).steps.tolist()
        return found


def test_every_run_shows_before_any_run_is_read_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_runs(tmp_path, runs=5, steps=300)  # about 100 KB a run
    index = LogdirIndex(str(tmp_path), first_slice_bytes=8192)
    recorder = Recorder(index, monkeypatch)
    index.refresh()
    first_turn = [run for run, _, _ in recorder.calls[:5]]
    assert first_turn == ["run0", "run1", "run2", "run3", "run4"]  # round-robin
    assert all(start == 0 and end == 8192 for _, start, end in recorder.calls[:5])
    # after one turn, every run has steps, and none has all of them
    after_first_turn = recorder.snapshots[5]
    assert all(0 < len(steps) < 300 for steps in after_first_turn.values())
    # slices double: a run is read in a handful of turns, not hundreds
    assert len([c for c in recorder.calls if c[0] == "run0"]) <= 6
    assert recorder.steps() == {f"run{r}": list(range(300)) for r in range(5)}


def test_while_indexing_each_step_shows_once_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_runs(tmp_path, runs=3, steps=200)
    # a restarted job: the second file logs steps 100.. again (TensorBoard shows them once)
    write_run(tmp_path / "run1" / "events.out.tfevents.2", range(100, 250), size=200)
    index = LogdirIndex(str(tmp_path), first_slice_bytes=4096)
    recorder = Recorder(index, monkeypatch)
    index.refresh()
    final = recorder.steps()
    assert final["run1"] == list(range(250))
    assert len(recorder.snapshots) > 10
    for snapshot in recorder.snapshots:
        for run, steps in snapshot.items():
            assert steps == sorted(set(steps)), f"{run}: a step twice or out of order"
            assert steps == final[run][: len(steps)], f"{run}: shows what the index will not"


def test_slices_index_the_same_as_one_pass(tmp_path: Path) -> None:
    # a record larger than a slice, a corrupt header, a bad payload CRC, a cut-off tail
    big = tmp_path / "big" / "events.out.tfevents.1"
    write_run(big, range(5), size=20_000)
    broken = tmp_path / "broken" / "events.out.tfevents.1"
    starts = write_run(broken, range(60), size=300)
    data = bytearray(broken.read_bytes())
    data[starts[20] + 2] ^= 0x55  # a record's length
    data[starts[40] + 60] ^= 0xFF  # a payload byte
    broken.write_bytes(bytes(data[:-5]))
    whole = LogdirIndex(str(tmp_path), first_slice_bytes=1 << 30)
    whole.refresh()
    sliced = LogdirIndex(str(tmp_path), first_slice_bytes=1000)
    sliced.refresh()
    for index in (whole, sliced):
        assert index.skipped_records("broken") == 2
        assert steps_of(index, "big") == [0, 1, 2, 3, 4]
    assert steps_of(sliced, "broken") == steps_of(whole, "broken")
    assert len(steps_of(whole, "broken")) == 57


def test_first_request_answers_with_what_is_indexed_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_runs(tmp_path, runs=4, steps=400)
    plugin = MediaPanelPlugin(TBContext(logdir=str(tmp_path)))
    plugin.index.first_slice_bytes = 4096
    Recorder(plugin.index, monkeypatch, delay=0.1)  # each slice takes 0.1 s: about 4 s in all
    apps = plugin.get_plugin_apps()
    try:
        first = Client(apps["/runs"]).get("/runs").get_json()
        progress = first["progress"]
        assert not progress["done"]
        assert progress["files_total"] == 4 and progress["files_done"] < 4
        assert progress["bytes_done"] < progress["bytes_total"]
        assert [r["name"] for r in first["runs"]] == ["run0", "run1", "run2", "run3"]
        tags = Client(apps["/tags"]).get("/tags").get_json()["tags"]
        assert all(t["step_count"] < 400 for t in tags)  # what is indexed so far
        done = indexed_runs(apps["/runs"])["progress"]
        sizes = sum(f.stat().st_size for f in tmp_path.glob("*/events.out.tfevents.*"))
        assert done == {
            "files_done": 4,
            "files_total": 4,
            "bytes_done": sizes,
            "bytes_total": sizes,
            "done": True,
        }
        tags = Client(apps["/tags"]).get("/tags").get_json()["tags"]
        assert [t["step_count"] for t in tags] == [400] * 4
    finally:
        plugin.stop()


def test_a_refresh_that_finds_nothing_new_reads_nothing_and_stays_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_runs(tmp_path, runs=2, steps=5)
    index = LogdirIndex(str(tmp_path))
    index.refresh()
    recorder = Recorder(index, monkeypatch)
    index.refresh()
    assert recorder.calls == []
    size = sum(f.stat().st_size for f in tmp_path.glob("*/events.out.tfevents.*"))
    assert index.progress() == IndexProgress(2, 2, size, size, True)


def test_tags_follow_every_change_of_a_run(tmp_path: Path) -> None:
    """`tags` answers from summaries kept per run: each change of the run must show."""
    path = tmp_path / "a" / "events.out.tfevents.1"
    starts = write_run(path, range(3), size=300)
    index = LogdirIndex(str(tmp_path))
    index.refresh()

    def counts() -> list[tuple[str, int, int]]:
        return [(t.tag, t.step_count, t.last_step) for t in index.tag_summaries(index.run_names())]

    assert counts() == [("samples", 3, 2)]
    with open(path, "ab") as f:
        f.write(media_event("samples", 3, [b"x"]))
        f.write(media_event("other", 9, [b"y"]))
    index.refresh()
    assert counts() == [("other", 1, 9), ("samples", 4, 3)]
    data = bytearray(path.read_bytes())
    data[starts[1] + 60] ^= 0xFF  # found when read: the step leaves the index
    path.write_bytes(bytes(data))
    stat = path.stat()
    with pytest.raises(CorruptRecord):
        MediaReader(index).data("a", "samples", 1, 0).read(0, 10)
    assert counts() == [("other", 1, 9), ("samples", 3, 3)]
    write_run(tmp_path / "a" / "events.out.tfevents.2", range(10, 12), size=300)
    index.refresh()  # a new file, and the rewritten one read again
    assert stat.st_size == path.stat().st_size
    assert counts() == [("other", 1, 9), ("samples", 5, 11)]
    path.unlink()
    index.refresh()
    assert counts() == [("samples", 2, 11)]


@fuzz
@given(
    damage=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), max_size=6),
    cut=st.integers(0, 64),
    first_slice=st.integers(16, 5000),
)
def test_fuzz_slices_index_what_one_pass_indexes(
    damage: list[tuple[int, int]], cut: int, first_slice: int
) -> None:
    """Whatever the bytes, reading a file in slices finds the same steps and skips."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run" / "events.out.tfevents.1"
        write_run(path, range(40), size=150)
        data = bytearray(path.read_bytes())
        for at, flip in damage:
            data[at % len(data)] ^= flip
        path.write_bytes(bytes(data[: len(data) - cut]))
        found = []
        for slice_bytes in (1 << 30, first_slice):
            index = LogdirIndex(tmp, first_slice_bytes=slice_bytes)
            index.refresh()
            names = index.run_names()
            steps = steps_of(index, "run") if index.series("run", "samples") else []
            skipped = index.skipped_records("run") if names else 0
            found.append((names, steps, skipped))
        assert found[0] == found[1]
