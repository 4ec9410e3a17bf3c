"""A real server process for the fault tests: `uvicorn app.asgi:app` on a committed database of its own, so a
test can kill its backends, starve its pool, read its memory and send it SIGTERM. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import HEADERS
from live import free_port, live_database, migrated, new_account

ROOT = Path(__file__).resolve().parent.parent


def prepared_database(url: str) -> dict[str, str]:
    """Migrate `url` and create one account on it."""
    return new_account(migrated(url))


def new_database(admin_url: str) -> tuple[str, dict[str, str]]:
    url = live_database(admin_url)
    return url, prepared_database(url)


class ServerProcess:
    def __init__(self, url: str, upload_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # the log goes to a file: a pipe nobody reads fills up (a restart logs tracebacks) and blocks the server
        self.log = upload_dir / f"server-{self.port}.log"
        log = self.log.open("wb")
        environ = {**os.environ, "DATABASE_URL": url, "UPLOAD_DIR": str(upload_dir), "APP_URL": self.base, **env}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "5",
            ],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.tail()}")
            try:
                httpx.get(f"{self.base}/api/v1/ping", headers=HEADERS, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def memory_kb(self, field: str = "VmHWM") -> int:
        """Peak (VmHWM) or current (VmRSS) resident memory of the server process, in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise LookupError(field)

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM, then wait; -> seconds the shutdown took (SIGKILL and an error past `timeout`)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"the server did not shut down within {timeout} s: {self.tail()}") from None
        return time.monotonic() - started
