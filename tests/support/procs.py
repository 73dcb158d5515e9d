"""Server processes for tests and scripts: Trireme nodes and real redis-servers on free ports.

Every process started here is tracked in ``_LIVE`` and killed at interpreter exit, so a
failing test (or a crashed session) never leaks a server. Readiness is checked by polling
PING with a deadline; nothing sleeps blindly.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

_LIVE: set["ServerProcess"] = set()


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (never 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # Redis cluster uses port+10000 for its bus: keep room for it.
        if port != 6379 and port < 55535:
            return port


def ping(port: int, timeout: float = 0.5) -> bool:
    """True when a server on ``port`` answers ``PING`` with ``+PONG`` (or NOAUTH/LOADING)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(256)
                if not chunk:
                    return False
                data += chunk
            return data.startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


class ServerProcess:
    """A running server process. ``stop()`` sends SIGTERM, waits, then kills."""

    def __init__(self, argv: list[str], port: int, name: str):
        self.argv = argv
        self.port = port
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"trireme-{name}-")
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": _pythonpath()},
        )
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before answering PING:\n{self.log()}"
                )
            if ping(self.port):
                return self
            time.sleep(0.02)  # poll interval, bounded by the deadline above
        self.stop()
        raise TimeoutError(f"{self.name} on port {self.port} did not answer PING in {timeout}s:\n{self.log()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
        _LIVE.discard(self)
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stop()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServerProcess {self.name} pid={self.proc.pid} port={self.port}>"


def _pythonpath() -> str:
    current = os.environ.get("PYTHONPATH")
    return f"{REPO_ROOT}{os.pathsep}{current}" if current else str(REPO_ROOT)


def _start(argv_for_port, name: str, port: int | None) -> ServerProcess:
    # A free port can be taken between the probe and the bind; retry a few times.
    last: Exception | None = None
    for _ in range(3):
        p = port if port is not None else free_port()
        server = ServerProcess(argv_for_port(p), p, name)
        try:
            return server.wait_ready()
        except (RuntimeError, TimeoutError) as exc:
            last = exc
            if port is not None:
                break
    assert last is not None
    raise last


def start_trireme(*args: str, port: int | None = None) -> ServerProcess:
    """Start ``python -m node`` on a free port (no RDB saves) and wait until it answers PING."""
    return _start(
        lambda p: [sys.executable, "-m", "node", "--port", str(p), "--bind", "127.0.0.1", "--save", "", *args],
        "trireme",
        port,
    )


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


def start_real_redis(*args: str, port: int | None = None) -> ServerProcess:
    """Start a real ``redis-server`` on a free port (no persistence) and wait until it answers PING."""
    exe = redis_server_path()
    if exe is None:
        raise FileNotFoundError("redis-server is not installed")
    return _start(
        lambda p: [exe, "--port", str(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *args],
        "redis",
        port,
    )


@atexit.register
def _kill_leftovers() -> None:
    for server in list(_LIVE):
        try:
            server.proc.kill()
            server.proc.wait(5)
        except Exception:
            pass
        server.stop()
