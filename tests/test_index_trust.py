"""A logdir's files are untrusted: symlink loops, corrupt or rewritten records, foreign names.

Issue 13 items 4, 10, 11 and 13 (item 14, a failing remote listing, is in test_s3_logdir.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.plugins.base_plugin import TBContext
from werkzeug.test import Client

from tb_media_panel.plugin import MediaPanelPlugin
from tb_media_panel.store import CorruptRecord, MediaReader, NotFound
from tests.test_store import indexed, media_event, steps_of, write_run


def test_symlink_loop_in_a_run_directory_is_followed_once(tmp_path: Path) -> None:
    write_run(tmp_path / "a" / "events.out.tfevents.1", range(3))
    os.symlink(".", tmp_path / "a" / "l1")
    index = indexed(tmp_path)
    assert index.run_names() == ["a"]
    assert steps_of(index, "a") == [0, 1, 2]


def test_two_symlink_loops_do_not_stop_the_listing(tmp_path: Path) -> None:
    # ln -s . l1; ln -s . l2: walking every path through them never ends (2**40 of them)
    write_run(tmp_path / "a" / "events.out.tfevents.1", range(3))
    os.symlink(".", tmp_path / "a" / "l1")
    os.symlink(".", tmp_path / "a" / "l2")
    os.symlink("..", tmp_path / "a" / "up")
    code = (
        "import sys; from tb_media_panel.store import LogdirIndex\n"
        "index = LogdirIndex(sys.argv[1]); index.refresh(); print(index.run_names())"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("refresh did not finish on a run directory with two symlink loops")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['a']"


def test_a_symlinked_run_directory_is_still_a_run(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_run(elsewhere / "events.out.tfevents.1", range(2))
    logdir = tmp_path / "logdir"
    logdir.mkdir()
    os.symlink(elsewhere, logdir / "linked")
    assert steps_of(indexed(logdir), "linked") == [0, 1]


def test_skipped_records_do_not_rise_when_a_file_with_a_corrupt_record_is_touched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(6))
    data = bytearray(path.read_bytes())
    data[starts[2] + 40] ^= 0xFF  # a bad payload CRC mid-file
    path.write_bytes(bytes(data))
    index = indexed(tmp_path)
    assert index.skipped_records("run") == 1
    for bump in range(1, 4):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))
        index.refresh()
        assert index.skipped_records("run") == 1
    assert steps_of(index, "run") == [0, 1, 3, 4, 5]


def test_skipped_records_do_not_rise_when_a_stuck_file_is_touched(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(3))
    with open(path, "ab") as f:
        f.write(b"\xff" * 200)  # a corrupt header with nothing readable after it
    index = indexed(tmp_path)
    assert index.skipped_records("run") == 1
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    index.refresh()
    assert index.skipped_records("run") == 1


@pytest.mark.parametrize("grows", [False, True], ids=["same-size", "grown"])
def test_zero_filled_tail_that_becomes_a_valid_record_is_no_longer_counted(
    tmp_path: Path, grows: bool
) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    write_run(path, range(3))
    record = media_event("samples", 3, [b"late"])
    end = path.stat().st_size
    zeros = len(record) if not grows else len(record) - 8  # preallocated, then written
    with open(path, "ab") as f:
        f.write(b"\0" * zeros)
    index = indexed(tmp_path)
    assert index.skipped_records("run") == 1
    assert steps_of(index, "run") == [0, 1, 2]
    with open(path, "r+b") as f:  # dd conv=notrunc
        f.seek(end)
        f.write(record)
    index.refresh()
    assert steps_of(index, "run") == [0, 1, 2, 3]
    assert index.skipped_records("run") == 0
    assert MediaReader(index).data("run", "samples", 3, 0).read(0, 4) == b"late"


def overwrite_in_place(path: Path, offset: int, data: bytes) -> None:
    """dd conv=notrunc, keeping the file's times: nothing tells a refresh it changed."""
    stat = path.stat()
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_small_record_overwritten_in_place_is_never_served_damaged(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(4), items=2, size=300)
    index = indexed(tmp_path)
    reader = MediaReader(index)
    assert reader.data("run", "samples", 2, 1).read(0, 301) == bytes([2]) * 301
    payload_at = path.read_bytes().index(bytes([2]) * 301, starts[2])
    overwrite_in_place(path, payload_at + 10, b"\x99" * 20)
    with pytest.raises(CorruptRecord, match=f"record at byte {starts[2]} fails its CRC check"):
        reader.data("run", "samples", 2, 1).read(0, 301)
    with pytest.raises(NotFound):  # the record is dropped, with its other item
        reader.data("run", "samples", 2, 0)
    assert index.skipped_records("run") == 1
    assert steps_of(index, "run") == [0, 1, 3]
    index.refresh()
    assert index.skipped_records("run") == 1
    assert reader.data("run", "samples", 3, 0).read(0, 300) == bytes([3]) * 300


def test_small_record_overwritten_in_place_answers_404_over_http(tmp_path: Path) -> None:
    path = tmp_path / "run" / "events.out.tfevents.1"
    starts = write_run(path, range(3), items=1, size=300)
    plugin = MediaPanelPlugin(TBContext(logdir=str(tmp_path)))
    data = Client(plugin.get_plugin_apps()["/data"])
    query = "/data?run=run&tag=samples&step=1&index=0"
    assert data.get(query).get_data() == bytes([1]) * 300
    overwrite_in_place(path, path.read_bytes().index(bytes([1]) * 300, starts[1]) + 5, b"\0\0")
    response = data.get(query)
    assert response.status_code == 404
    assert "fails its CRC check" in response.get_json()["error"]


def test_run_directory_with_a_non_utf8_name_is_listed_and_addressable(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9-\xff"
    os.mkdir(raw)
    write_run(Path(os.fsdecode(raw)) / "events.out.tfevents.1", range(2))
    write_run(tmp_path / "plain" / "events.out.tfevents.1", range(1))
    plugin = MediaPanelPlugin(TBContext(logdir=str(tmp_path)))
    apps = plugin.get_plugin_apps()
    body = Client(apps["/runs"]).get("/runs").get_data()
    names = [r["name"] for r in json.loads(body)["runs"]]
    assert len(names) == 2 and "plain" in names
    (odd,) = [n for n in names if n != "plain"]
    odd.encode("utf-8")  # no lone surrogates: a browser can send it back
    assert odd.startswith("caf")
    series = Client(apps["/series"]).get("/series", query_string={"tag": "samples", "run": odd})
    assert series.status_code == 200, series.get_data()
    assert series.get_json()["runs"][odd]["steps"] == [0, 1]
    item = Client(apps["/data"]).get(
        "/data", query_string={"run": odd, "tag": "samples", "step": "1", "index": "0"}
    )
    assert item.get_data() == bytes([1]) * 100
