"""The processes under test: the server (exactly as `lightninja serve` starts it), the floor and the peer.

Each runs as its own process group on a free loopback port with its log under benchmarks/.work/logs, and
is stopped (SIGTERM, then SIGKILL) by the harness, whatever happens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
LOGS = WORK / "logs"
PEER_VENV = WORK / "peer-venv"
PEER_REQUIREMENTS = ROOT / "benchmarks" / "peers" / "requirements.txt"
HOST = "127.0.0.1"
UVICORN_FLAGS = ["--no-access-log", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Target:
    name: str  # "server", "server-w2", "floor", "peer" (+ "#count" for counting instances)
    kind: str  # "server" | "floor" | "peer"
    argv: list[str]
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [a.replace("{port}", str(self.port)) for a in self.argv]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def log_path(self) -> Path:
        return LOGS / f"{self.name.replace('#', '-')}.log"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up; log {self.log_path}:\n{self.tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "API_SECRET", "PYTHONPATH"}}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def server(db_url: str, workers: int = 1, name: str = "server") -> Target:
    """`lightninja serve`, the console script the project installs (one process, or uvicorn's supervisor
    with `--workers N` spawned workers). Access logging off, as for the floor and the peer."""
    script = Path(sys.executable).parent / "lightninja"
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "app"]
    argv += ["serve", "--host", HOST, "--port", "{port}", "--workers", str(workers), *UVICORN_FLAGS]
    return Target(name, "server", argv, {**base_env(), "DATABASE_URL": db_url})


def floor(db_url: str, tokens_json: str, name: str = "floor") -> Target:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.floor:app",
        "--host",
        HOST,
        "--port",
        "{port}",
        "--workers",
        "1",
        "--lifespan",
        "on",
        *UVICORN_FLAGS,
    ]
    return Target(name, "floor", argv, {**base_env(), "FLOOR_DATABASE_URL": db_url, "FLOOR_TOKENS": tokens_json})


def peer(python: str, db_url: str, name: str = "peer") -> Target:
    argv = [
        python,
        "-m",
        "uvicorn",
        "benchmarks.peers.fastapi_sqla:app",
        "--host",
        HOST,
        "--port",
        "{port}",
        "--workers",
        "1",
        *UVICORN_FLAGS,
    ]
    return Target(name, "peer", argv, {**base_env(), "PEER_DATABASE_URL": db_url})


def ensure_peer_venv(log: object = print) -> str:
    """benchmarks/.work/peer-venv with the pinned peer packages; -> its python. Re-installs when
    requirements.txt changes. Raises on failure (the harness then skips the peer)."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".requirements.sha256"
    wanted = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return str(python)
    log(f"installing the peer's packages into {PEER_VENV} ...")  # type: ignore[operator]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(PEER_REQUIREMENTS)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(wanted)
    return str(python)


def upstream_of(url: str) -> str | tuple[str, int]:
    """Where a libpq-style URL points: a Unix socket path, or (host, port)."""
    parts = urlsplit(url)
    port = parts.port or 5432
    host = parse_qs(parts.query).get("host", [parts.hostname or ""])[0]
    if not host or host.startswith("/"):
        return f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}"
    return (host, port)


def via_proxy(url: str, port: int) -> str:
    """The same database reached through the counting relay on 127.0.0.1:port."""
    parts = urlsplit(url)
    auth = parts.username or "postgres"
    if parts.password:
        auth += f":{parts.password}"
    return f"postgresql://{auth}@{HOST}:{port}{parts.path}"
