"""A W&B run, logged for real by wandb offline and imported with `tb-media-panel import-wandb`,
in the Media tab of a real TensorBoard: every tag's card, every logged step, every cell drawn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tb_media_panel.cli import main
from tests.browser.conftest import open_media_tab, screenshot, until
from tests.browser.test_panel import cells, col_labels, show_card
from tests.tb_server import TensorBoardServer
from tests.wandb_runs import RUN_NAME, TAGS, logged_wandb_run


@pytest.fixture(scope="module")
def wandb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    run_dir, _ = logged_wandb_run(tmp_path_factory)
    logdir = tmp_path_factory.mktemp("wandb_imported")
    with pytest.warns(UserWarning):  # W&B's unlabelled background class
        assert main(["import-wandb", str(run_dir), "--logdir", str(logdir)]) == 0
    server = TensorBoardServer(str(logdir), [], log_path=logdir.parent / "tb-wandb.log")
    server.start()
    yield server
    server.stop()


def test_imported_run_shows_every_tag_and_step(page: Any, wandb_server: TensorBoardServer) -> None:
    frame = open_media_tab(page, wandb_server.url)
    for tag, (_, steps) in TAGS.items():
        show_card(frame, tag)
        want = [str(s) for s in steps]
        until(lambda tag=tag, want=want: col_labels(frame, tag) == want, f"{tag}: one column per step {want}")

        def drawn(tag: str = tag, want: list[str] = want) -> bool:
            cs = cells(frame, tag)
            return bool(cs) and all(c["state"] == "ready" and c["run"] == RUN_NAME for c in cs) and sorted(
                {c["step"] for c in cs}
            ) == sorted(want)

        until(drawn, f"{tag}: every step's cell drawn")
    screenshot(page, "wandb-imported.png")
    assert not page.errors
