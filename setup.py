"""Packaging for tb-media-panel.

The frontend bundle in tb_media_panel/static/ is built from frontend/ by `npm run build`;
building a wheel or sdist runs that build when npm is on PATH, so the bundle ships inside
the package and users without Node can install it. The sdist carries the built bundle (and
not frontend/), so a wheel builds from it without Node.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_namespace_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).parent


def build_frontend() -> None:
    frontend = ROOT / "frontend"
    if not (frontend / "package.json").exists() or shutil.which("npm") is None:
        return
    install = "ci" if (frontend / "package-lock.json").exists() else "install"
    subprocess.run(["npm", install, "--no-audit", "--no-fund"], cwd=frontend, check=True)
    subprocess.run(["npm", "run", "build"], cwd=frontend, check=True)


BUNDLE = ROOT / "tb_media_panel" / "static" / "index.js"


def require_bundle() -> None:
    """A wheel or sdist without the bundle installs a Media tab that never loads: refuse it."""
    if not BUNDLE.is_file():
        raise SystemExit(
            f"setup.py: the frontend bundle {BUNDLE.relative_to(ROOT)} is missing: expected it "
            "built by `npm run build` in frontend/ (npm was not found on PATH, or this tree has "
            "no frontend/ sources); build it with `make frontend`, or build from the sdist, "
            "which carries it"
        )


class BuildPyWithFrontend(build_py):
    def run(self) -> None:
        build_frontend()
        # An editable install (`make install`) builds the bundle afterwards with `make frontend`.
        if not self.editable_mode:
            require_bundle()
        super().run()


class SdistWithFrontend(sdist):
    def run(self) -> None:
        build_frontend()
        require_bundle()
        super().run()


EXTRAS = {
    "torch": ["torch==2.13.0"],
    "tensorboardx": ["tensorboardX>=2.6"],
    "tf": ["tensorflow-cpu>=2.16"],
    "open3d": ["open3d-cpu>=0.18"],
    "rdkit": ["rdkit>=2023.9"],
    # docs/frameworks.md's examples; torch stays at the pin above (neither needs another torch).
    "lightning": ["pytorch-lightning>=2.1"],
    "transformers": ["transformers[torch]>=4.40"],
    # `import-wandb` reads W&B runs without wandb; these log the runs its tests import
    # (soundfile: wandb.Audio of an array).
    "wandb": ["wandb>=0.16", "soundfile>=0.12"],
    # moviepy 1.x: torch's SummaryWriter.add_video imports moviepy.editor, gone in moviepy 2.
    "demo": [
        "scikit-image>=0.22",
        "scikit-learn>=1.3",
        "PeptideBuilder>=1.1",
        "trimesh>=4",
        "moviepy>=1.0.3,<2",
    ],
    "dev": [
        "pytest>=8",
        "pytest-timeout>=2.3",
        # make test runs test files on both cores: the suite mostly waits on servers and Chromium
        "pytest-xdist>=3.5",
        "ruff>=0.6",
        "playwright>=1.45",
        "moto[server]>=5",
        "boto3>=1.34",
        "hypothesis>=6.100",
        "psutil>=5.9",
        "grpcio-tools>=1.60",
        # the wheel test (tests/browser/test_wheel_install.py) and make compat: uv makes their
        # fresh venvs in seconds
        "build>=1.2",
        "uv>=0.4",
        # the executed notebook (tests/browser/test_notebook.py)
        "nbclient>=0.10",
        "ipykernel>=6.29",
    ],
}
EXTRAS["all"] = sorted({dep for name, deps in EXTRAS.items() if name != "dev" for dep in deps})

setup(
    name="tb-media-panel",
    version="0.1.0",
    description="A TensorBoard plugin: a media panel for images, masks, video, audio, 3D and molecules",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    # The supported range, tested oldest and newest by `make compat` (scripts/compat.py):
    # Python 3.10-3.13, TensorBoard 2.14.1-2.21, protobuf 3.20 (4.x with TensorBoard <= 2.20)
    # to current. TensorBoard before 2.21 also needs setuptools < 81 (it imports pkg_resources).
    python_requires=">=3.10",
    classifiers=[
        "Framework :: TensorBoard",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
    # Namespace discovery lists static/ and its subfolders as packages, so the bundle is
    # package data of a package setuptools knows (MANIFEST.in grafts it) rather than a folder
    # "installed as data", which setuptools warns about and means to drop.
    packages=find_namespace_packages(
        include=["tb_media_panel", "tb_media_panel.*"], exclude=["*.__pycache__"]
    ),
    package_data={"tb_media_panel": ["proto/*.proto", "py.typed"]},
    include_package_data=True,
    install_requires=[
        "tensorboard>=2.14.1",  # 2.14.0 imports six without requiring it
        "numpy>=1.23",
        "pillow>=9",
        "pyspng>=0.1.4",  # mp.Reader's PNG decoding: ~7x PIL's speed on small images
        "protobuf>=3.20",
        "werkzeug>=2",
        "av>=12",  # the oldest PyAV with binary wheels on PyPI: 11 is an sdist needing FFmpeg headers
        "crc32c>=2.4",
        "tqdm>=4.60",  # the export command's progress bar
    ],
    extras_require=EXTRAS,
    entry_points={
        "tensorboard_plugins": ["media_panel = tb_media_panel.plugin:MediaPanelLoader"],
        "console_scripts": ["tb-media-panel = tb_media_panel.cli:main"],
    },
    # The scanner's native core. Optional: without a compiler the install goes on with a
    # warning, and the scanner falls back to pure Python (it logs which one it uses).
    ext_modules=[
        Extension(
            "tb_media_panel.store._scan",
            ["tb_media_panel/store/_scan.c"],
            optional=True,
            extra_compile_args=["-O2"] if sys.platform != "win32" else [],
        )
    ],
    cmdclass={"build_py": BuildPyWithFrontend, "sdist": SdistWithFrontend},
)
