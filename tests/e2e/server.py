"""``liner`` as a real process: the CLI for ingestion and keys, ``liner serve`` for HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LinerServer:
    """One catalog under ``directory``, served by ``python -m liner serve`` on a free port."""

    def __init__(self, directory: Path, **env: str) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("LINER_")}
        self.env = {
            **base,
            "LINER_DATA_DIR": str(directory),
            "LINER_DATABASE_URL": f"sqlite:///{directory / 'liner.db'}",
            "LINER_PUBLIC_URL": self.url,
            "LINER_LOG_LEVEL": "WARNING",
            "LINER_INVALIDATION_INTERVAL": "0.1",
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path = directory / "server.log"

    def cli(self, *args: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Run ``python -m liner ARGS``; its JSON lines."""
        done = subprocess.run(
            [sys.executable, "-m", "liner", *args],
            env=self.env,
            cwd=self.directory,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
        return [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith(b"{")]

    def ingest(self, *files: Path, owner: str = "demo") -> list[dict[str, Any]]:
        return self.cli("ingest", "json", "--owner", owner, *map(str, files))

    def create_key(self, *scopes: str, owner: str = "demo") -> str:
        args = ["keys", "create", "--owner", owner]
        for scope in scopes:
            args += ["--scope", scope]
        (created,) = self.cli(*args)
        return str(created["key"])

    def start(self, timeout: float = 30) -> None:
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "liner", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=self.directory,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while True:
                if self._process.poll() is not None:
                    self.stop()
                    raise AssertionError(f"liner serve exited:\n{self.log()}")
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"liner serve did not come up:\n{self.log()}")
                time.sleep(0.05)
        # Let the invalidation poller take its starting point before anything is cached.
        time.sleep(0.3)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)
            self._kill_group_leftovers(process.pid)
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _kill_group_leftovers(group: int) -> None:
        """The server's workers share its process group; none may outlive it."""
        deadline = time.monotonic() + 10
        while True:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            if time.monotonic() > deadline:
                os.killpg(group, signal.SIGKILL)
                return
            time.sleep(0.05)
