"""redis-server for the suites that share a coordination store between Miroir
instances: one private server per fixture on a free loopback port, its data
(append-only file) in the test's directory so a restart finds it again.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from .miroir import SLOWDOWN
from .ports import free_port


class RedisProcess:
    """redis-server on a free loopback port with an append-only file in `workdir`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> "RedisProcess":
        self._proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir),
             "--logfile", str(self.workdir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return self
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def cli(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                              text=True, timeout=10)
        return done.stdout.strip()

    def kill9(self) -> None:
        """Dies at once, as a crashed or OOM-killed Redis does."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def redis_overrides(redis: RedisProcess, **task_store: object) -> dict:
    """Miroir on `redis`, with membership periods short enough for tests."""
    interval = int(250 * SLOWDOWN)
    return {"task_store": {"backend": "redis",
                           "redis": {"url": redis.url, "connect_timeout_ms": 500,
                                     "command_timeout_ms": 1000,
                                     "heartbeat_interval_ms": interval,
                                     "instance_ttl_ms": 8 * interval},
                           **task_store}}
