"""A tag logged by hundreds of runs with long names (a sweep's generated names): the names of
every run do not fit one URL, and the card still gets its steps."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import open_media_tab, until
from tests.conftest import require
from tests.tb_server import TensorBoardServer, serving

# 700 names of ~110 characters: ~80 KB of `run=` parameters, over the 64 KiB a request line
# may have in Python's HTTP server.
RUNS = [f"sweep-{'lr3e-4_bs256_warmup500_cosine_wd0.05_dropout0.1_' * 2}{i:04d}" for i in range(700)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    mp = require("tb_media_panel")
    root = tmp_path_factory.mktemp("long_run_lists")
    logs = root / "logs"
    first = logs / RUNS[0]
    with mp.Writer(str(first)) as w:
        for step in (0, 10):
            w.add("samples", mp.Image(np.full((8, 8, 3), 40 + step, np.uint8)), step=step)
    for run in RUNS[1:]:
        shutil.copytree(first, logs / run)
    with serving(logs, root / "tb.log") as tb:
        yield tb


def test_a_tag_of_700_long_named_runs_gets_its_steps(page: Any, server: TensorBoardServer) -> None:
    frame = open_media_tab(page, server.url)
    count = frame.locator(".mp-runs .mp-count")
    until(lambda: count.inner_text() == f"{len(RUNS)}/{len(RUNS)}", "every run listed", timeout=120)
    card = frame.locator(".mp-card").first
    try:
        until(lambda: f"{len(RUNS)} runs · 2 steps" in card.inner_text(), "the card counts every run's steps")
    except AssertionError as e:
        raise AssertionError(f"{e}; the card says: {card.inner_text()[:300]!r}") from None
    assert frame.locator(".mp-notice-error").count() == 0, frame.locator(".mp-notice-error").all_inner_texts()
    cell = frame.locator(f'.mp-cell[data-run="{RUNS[0]}"][data-state="ready"]').first
    cell.wait_for(timeout=60_000)
    assert page.errors == []
