"""Shared test fixtures: the real media files of ../shared/fixtures and a real TensorBoard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.tb_server import TensorBoardServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_REPO = Path(__file__).resolve().parent.parent


def unavailable(reason: str) -> NoReturn:
    """Something a test needs is missing: a failure in CI, which must have everything, and a
    skip with `reason` elsewhere."""
    if IN_CI:
        pytest.fail(reason + " (CI must have it)")
    pytest.skip(reason)


def fixtures_dir() -> Path | None:
    for candidate in (os.environ.get("TB_MEDIA_FIXTURES"), _REPO.parent / "shared" / "fixtures"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def require_fixtures_dir() -> Path:
    """The fixtures folder; a skip outside CI when it is absent, a failure in CI."""
    root = fixtures_dir()
    if root is None:
        unavailable("../shared/fixtures not found (set $TB_MEDIA_FIXTURES)")
    return root


@pytest.fixture(scope="session")
def fixture_path():
    """fixture_path("protein_1crn.pdb") -> Path; skips outside CI when the files are absent."""
    root = fixtures_dir()

    def find(name: str) -> Path:
        if root is None or not (root / name).is_file():
            unavailable(f"fixture {name} not found in ../shared/fixtures or $TB_MEDIA_FIXTURES")
        return root / name

    return find


def require(module: str):
    """Import an optional dependency; a skip outside CI, a failure in CI."""
    try:
        return __import__(module)
    except ImportError as exc:
        unavailable(f"{module} is not installed: {exc}")


@pytest.fixture
def tensorboard_factory(tmp_path: Path) -> Iterator:
    """Start real `tensorboard --logdir` servers on free 127.0.0.1 ports; always stopped."""
    servers: list[TensorBoardServer] = []

    def start(logdir: Path | str, *extra_args: str) -> TensorBoardServer:
        server = TensorBoardServer(str(logdir), list(extra_args), log_path=tmp_path / f"tb{len(servers)}.log")
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
