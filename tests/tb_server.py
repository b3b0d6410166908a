"""A real `tensorboard --logdir` subprocess bound to 127.0.0.1 on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TensorBoardServer:
    def __init__(
        self,
        logdir: str,
        extra_args: list[str],
        log_path: Path,
        command: Sequence[str] = (sys.executable, "-m", "tensorboard.main"),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """`command` starts TensorBoard (another install's `tensorboard`, say); `env` replaces
        this process's environment for it."""
        self.logdir = logdir
        self.extra_args = extra_args
        self.log_path = log_path
        self.command = list(command)
        self.env = None if env is None else dict(env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0, ready_path: str = "/data/plugins_listing") -> None:
        """Launch and wait until `ready_path` answers (the default asks every plugin, which
        starts the Media panel's indexing)."""
        cmd = [
            *self.command, "--logdir", self.logdir,
            "--host", "127.0.0.1", "--port", str(self.port), "--reload_interval", "1",
            *self.extra_args,
        ]
        env = dict(os.environ if self.env is None else self.env, TF_CPP_MIN_LOG_LEVEL="3")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tensorboard exited early:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"tensorboard did not answer within {timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def plugin_url(self, route: str) -> str:
        return f"{self.url}/data/plugin/media_panel/{route}"

    def get(self, route: str, timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
        """GET a plugin route; returns (status, headers, body) also for 4xx/5xx."""
        try:
            with urllib.request.urlopen(self.plugin_url(route), timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def get_json(self, route: str) -> Any:
        status, _, body = self.get(route)
        if status != 200:
            raise AssertionError(f"GET {route} -> {status}: {body[:500]!r}")
        return json.loads(body)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()


@contextmanager
def serving(
    logdir: str | Path, log_path: Path, extra_args: Sequence[str] = ()
) -> Iterator[TensorBoardServer]:
    """A started TensorBoardServer on `logdir`, always stopped (a module fixture's whole body)."""
    server = TensorBoardServer(str(logdir), list(extra_args), log_path=log_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
