"""Install from a wheel, without Node: `python -m build` (an sdist, then a wheel built from that
sdist) with no `node`/`npm` on PATH, the wheel installed into a fresh venv, and that venv's own
`tensorboard --logdir` serving the Media tab with media in Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts.compat import path_without_node, uv
from tests.browser.conftest import open_media_tab, until
from tests.conftest import require, unavailable
from tests.tb_server import TensorBoardServer

REPO = Path(__file__).resolve().parents[2]


def uv_program() -> str:
    """uv (the dev extra) makes the fresh venv in seconds instead of pip's half a minute."""
    require("uv")
    return uv()


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a step; on failure, say which and show its output's tail."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, **kwargs)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{output[-4000:]}"
    return done


def native_core_expected() -> bool:
    """The scanner's C core is optional: it is built wherever Python's C compiler is present."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None


def assert_samples_shown(frame: Any) -> None:
    """The Media tab (its iframe) shows media_logdir's `samples` card with every picture loaded."""
    frame.locator(".mp-tag-btn", has=frame.locator(".mp-tag-name", has_text="samples")).first.click()
    cells = frame.locator('[data-card="samples"] .mp-cell')
    until(lambda: cells.count() > 0 and all(
        s == "ready" for s in cells.evaluate_all("els => els.map(e => e.dataset.state)")
    ), "the samples card's cells load")
    widths = frame.locator('[data-card="samples"] .mp-cell img').evaluate_all(
        "els => els.map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert widths and all(w == 64 for w in widths), widths


@dataclass
class Installed:
    sdist: Path
    wheel: Path
    build_log: str
    venv: Path
    path: str  # PATH without Node, the venv's bin first


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if not (REPO / "tb_media_panel" / "static" / "index.js").is_file():
        unavailable("the frontend bundle is not built (make frontend)")
    require("build")
    uv_bin = uv_program()
    root = tmp_path_factory.mktemp("wheel")
    no_node = path_without_node(root / "bin")
    assert shutil.which("npm", path=no_node) is None and shutil.which("node", path=no_node) is None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(Path(uv_bin).parent), no_node])
    dist = root / "dist"
    # The default build: the sdist first, then the wheel from the unpacked sdist, so a wheel
    # built here proves the sdist builds without Node too.
    build = run([sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(dist), str(REPO)], env)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    venv = root / "venv"
    run([uv_bin, "venv", "-q", "-p", sys.executable, str(venv)], env)
    run([uv_bin, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)], env)
    venv_path = os.pathsep.join([str(venv / "bin"), no_node])
    yield Installed(sdist, wheel, build.stdout + build.stderr, venv, venv_path)


def test_sdist_and_wheel_carry_the_bundle_and_the_native_core(installed: Installed) -> None:
    # setuptools' warning that static/ is "installed as data", a layout it means to drop
    assert "absent from the `packages` configuration" not in installed.build_log
    with tarfile.open(installed.sdist) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert "tb_media_panel/static/index.js" in in_sdist
    assert not any(name.startswith("frontend/") for name in in_sdist), "the sdist ships the built bundle"
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    # index.js imports its chunks by name: every one of them must be in the wheel.
    chunks = {n for n in in_sdist if n.startswith("tb_media_panel/static/chunks/")}
    assert chunks and chunks <= in_wheel and "tb_media_panel/static/index.js" in in_wheel
    assert "tb_media_panel/proto/media.proto" in in_wheel
    if native_core_expected():
        assert any(n.startswith("tb_media_panel/store/_scan.") and n.endswith(".so") for n in in_wheel)


def test_the_installed_wheel_serves_the_media_tab_with_media(
    installed: Installed, media_logdir: Path, page: Any, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = installed.path
    where, native = run(
        [str(installed.venv / "bin" / "python"), "-c",
         "import tb_media_panel, tb_media_panel.store.native as n; print(tb_media_panel.__file__);"
         "print(n.CORE is not None)"],
        env, cwd=tmp_path,
    ).stdout.split()
    assert Path(where).is_relative_to(installed.venv), where
    assert native == str(native_core_expected())
    tensorboard = str(installed.venv / "bin" / "tensorboard")
    server = TensorBoardServer(str(media_logdir), [], tmp_path / "tb.log", command=[tensorboard], env=env)
    server.start()
    try:
        assert_samples_shown(open_media_tab(page, server.url))
        assert not page.errors
    finally:
        server.stop()
