"""`make compat`: the oldest and the newest supported installs, each in a fresh venv.

- oldest: Python 3.10, every `install_requires` at its lower bound (read from the sdist's own
  metadata, so the bounds tested are the ones shipped);
- protobuf4: Python 3.12, the newest of everything but protobuf 4.x (TensorFlow 2.16-2.19's),
  so TensorBoard 2.20;
- newest: the newest Python installed here, everything at its newest release.

Each venv installs the package from one sdist (built here with no Node on PATH, so every venv
also builds its wheel from the sdist the way pip users do) and runs the tests that touch
TensorBoard itself (its plugin API, a real `tensorboard --logdir`) and one browser test, from a
copy of tests/ so that the installed package is imported, not the source tree.

Run it as `python -m scripts.compat [oldest|newest ...]` from the repository root (make compat).
"""

from __future__ import annotations

import argparse
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE_PROGRAMS = {"node", "nodejs", "npm", "npx", "corepack"}
TESTS = [
    "tests/test_plugin_routes.py",
    "tests/test_http_trust.py",
    "tests/test_tag_summaries.py",
    "tests/browser/test_panel.py::test_video_plays_audio_shows_waveform_html_renders",
]
# What those tests import beyond the package; their bounds come from the dev extra.
TEST_TOOLS = ("pytest", "pytest-timeout", "playwright")
# The packages whose versions a combo reports.
REPORTED = ("tensorboard", "protobuf", "numpy", "pillow", "werkzeug", "av", "grpcio")


@dataclass
class Combo:
    name: str
    python: str  # major.minor
    lowest: bool
    extra: tuple[str, ...] = ()  # further pins


def path_without_node(bin_dir: Path) -> str:
    """A PATH with every program of this one but Node's: one folder of links, since /usr/bin
    holds npm beside the compiler and the shell a build needs."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for program in Path(folder).iterdir():
            link = bin_dir / program.name
            if program.name not in NODE_PROGRAMS and not link.exists() and not link.is_symlink():
                link.symlink_to(program)
    return str(bin_dir)


def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def python_version(exe: str) -> str | None:
    """`3.12` for a Python that runs; None otherwise (a pyenv shim of a version not selected)."""
    try:
        return subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def installed_pythons() -> dict[str, str]:
    """Every CPython 3 here, by version: pyenv's builds (its shims only run the global one) and
    what PATH holds. pip cannot install a Python, and uv is told not to download one."""
    found: dict[str, str] = {}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(str(p) for p in pyenv.glob("3.*/bin/python3"))
    candidates += [w for minor in range(8, 20) if (w := shutil.which(f"python3.{minor}"))]
    for exe in candidates:
        version = python_version(exe)
        if version is not None:
            found.setdefault(version, exe)
    return found


def requirements(sdist: Path) -> tuple[list[str], dict[str, str]]:
    """(install_requires, dev extra by name) as the sdist's PKG-INFO states them."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        handle = tar.extractfile(member)
        assert handle is not None
        info = email.parser.Parser().parsestr(handle.read().decode())
    install, dev = [], {}
    for req in info.get_all("Requires-Dist") or []:
        spec, _, marker = (part.strip() for part in req.partition(";"))
        if not marker:
            install.append(spec)
        elif marker.replace("'", '"') == 'extra == "dev"':
            dev[re.split(r"[\s<>=!~\[]", spec, maxsplit=1)[0].lower()] = spec
    return install, dev


def lowest_pins(install_requires: list[str]) -> list[str]:
    """`name>=X` -> `name==X`: the oldest release each lower bound allows."""
    pins = []
    for spec in install_requires:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", spec)
        if match is None:
            raise SystemExit(f"compat: expected install_requires entries as 'name>=version', got {spec!r}")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload]


def run_combo(combo: Combo, python: str, sdist: Path, work: Path, env: dict[str, str]) -> None:
    venv = work / combo.name / "venv"
    run([uv(), "venv", "-q", "-p", python, str(venv)], env=env)
    vpython = str(venv / "bin" / "python")
    install, dev = requirements(sdist)
    tools = [dev[name] for name in TEST_TOOLS]
    pins = lowest_pins(install) if combo.lowest else []
    # One resolution for the package, its pins and the test tools, so the pins hold.
    run([uv(), "pip", "install", "-q", "--python", vpython, str(sdist), *pins, *combo.extra, *tools], env=env)
    freeze = run([uv(), "pip", "freeze", "--python", vpython], env=env, capture_output=True).stdout
    versions = {
        line.split("==")[0].lower(): line.split("==")[1] for line in freeze.splitlines() if "==" in line
    }
    print(f"compat {combo.name}: Python {combo.python}, "
          + ", ".join(f"{name} {versions.get(name, '-')}" for name in REPORTED), flush=True)
    # A copy of the tests (not the tree) so that `import tb_media_panel` finds the installed one.
    tree = work / combo.name / "tree"
    shutil.copytree(REPO / "tests", tree / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tree / "pyproject.toml")
    test_env = dict(env, PATH=os.pathsep.join([str(venv / "bin"), env["PATH"]]))
    fixtures = REPO.parent / "shared" / "fixtures"
    if "TB_MEDIA_FIXTURES" not in test_env and fixtures.is_dir():
        test_env["TB_MEDIA_FIXTURES"] = str(fixtures)
    run([vpython, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=tree, env=test_env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = ["oldest", "protobuf4", "newest"]
    # No `choices=`: argparse rejects an empty list for nargs="*" with choices before Python 3.12.
    parser.add_argument("combos", nargs="*", help=f"any of {', '.join(names)} (default: all)")
    args = parser.parse_args()
    args.combos = args.combos or names
    if unknown := set(args.combos) - set(names):
        parser.error(f"unknown combos {sorted(unknown)}: expected any of {names}")
    pythons = installed_pythons()
    newest = max(pythons, key=lambda v: tuple(int(x) for x in v.split(".")))
    combos = {
        # TensorBoard before 2.21 finds its plugins through pkg_resources, which setuptools 81
        # removed: its users keep an older setuptools, and so do these combos. (protobuf 4.x
        # means TensorBoard 2.20 at most: 2.21 requires protobuf 6.31.1 or later.)
        "oldest": Combo("oldest", "3.10", True, ("setuptools<81",)),
        "protobuf4": Combo("protobuf4", "3.12", False, ("protobuf<5", "setuptools<81")),
        "newest": Combo("newest", newest, False),
    }
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    with tempfile.TemporaryDirectory(prefix="tb-media-compat-") as tmp:
        work = Path(tmp)
        env["PATH"] = os.pathsep.join([str(Path(uv()).parent), path_without_node(work / "bin")])
        start = time.monotonic()
        run([sys.executable, "-m", "build", "--sdist", "--installer", "uv", "--outdir", str(work / "dist"),
             str(REPO)], env=env, capture_output=True)
        (sdist,) = (work / "dist").glob("*.tar.gz")
        passed, missing = [], []
        for name in args.combos:
            combo = combos[name]
            if combo.python not in pythons:
                # pip cannot install an interpreter and uv may not download one here: a machine
                # without it cannot run the combo. Said loudly; a run where none ran fails.
                print(
                    f"compat {name}: NOT RUN: Python {combo.python} not found (looked in pyenv's versions "
                    f"and PATH; found {sorted(pythons)}); install it, e.g. `pyenv install {combo.python}`",
                    flush=True,
                )
                missing.append(name)
                continue
            combo_start = time.monotonic()
            run_combo(combo, pythons[combo.python], sdist, work, env)
            passed.append(name)
            print(f"compat {name}: passed in {time.monotonic() - combo_start:.0f} s", flush=True)
        if not passed:
            raise SystemExit(f"compat: no combo could run ({', '.join(missing)}: their Pythons are missing)")
        note = f"; NOT RUN for want of their Python: {', '.join(missing)}" if missing else ""
        print(f"compat: {', '.join(passed)} passed in {time.monotonic() - start:.0f} s{note}")


if __name__ == "__main__":
    main()
