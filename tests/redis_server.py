"""A real `redis-server` for the Redis-mode tests, one per test session.

It listens on a free loopback port, keeps its append-only file in a temporary folder
(so a restart keeps the data, as production Redis with AOF does), and can be stopped,
started and restarted by tests. Test modules import the fixtures:
`from tests.redis_server import redis_server, redis_url  # noqa: F401`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

STARTUP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, executable: str, folder: Path, *, fsync: str = "always",
                 appendonly: bool = True) -> None:
        self.executable = executable
        self.folder = folder
        self.fsync = fsync
        """`appendfsync`: `always` for tests; production and benchmarks use `everysec`."""
        self.appendonly = appendonly
        """False: a Redis that loses everything on restart (what start-up must flag)."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--appendonly", "yes" if self.appendonly else "no",
             "--appendfsync", self.fsync,
             "--save", "", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): Redis flushes its append-only file first."""
        if self._process is None:
            return
        self._process.terminate()
        self._process.wait(timeout=STARTUP_SECONDS)
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; scripts/test installs it "
                    "(apt-get install redis-server)")
    server = RedisServer(executable, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, running and empty."""
    if not redis_server.answers():  # a test that stopped it failed before starting it
        redis_server.start()
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=2) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(16).startswith(b"+OK")
    return redis_server.url
