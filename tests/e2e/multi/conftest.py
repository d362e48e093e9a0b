"""Fixtures of the multi-instance suites (issue 5): a private redis-server, three
test nodes and two Miroir instances sharing that Redis as their coordination store.

Everything listens on 127.0.0.1; redis-server runs without persistence in the
test's temporary directory and is stopped afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import MiroirCluster, MiroirProcess, TopologySpec
from harness.ports import free_port


class RedisProcess:
    """redis-server on a free loopback port, persistence off, in `workdir`."""

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
             "--appendonly", "no", "--dir", str(self.workdir),
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

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.fail("redis-server / redis-cli are not installed: run scripts/setup.sh")
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


def redis_overrides(redis: RedisProcess) -> dict:
    return {"task_store": {"backend": "redis",
                           "redis": {"url": redis.url, "connect_timeout_ms": 500,
                                     "command_timeout_ms": 1000}}}


@pytest.fixture(scope="module")
def pair(redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory):
    """(cluster, a, b): three nodes in one group, Miroir `a` (the cluster's own proxy)
    and Miroir `b`, both on the same Redis."""
    cluster = MiroirCluster(tmp_path_factory.mktemp("multi"),
                            TopologySpec(groups=(3,), replication_factor=1, shards=16),
                            miroir_overrides=redis_overrides(redis))
    cluster.start()
    b: MiroirProcess = cluster.make_proxy("miroir-b", overrides=redis_overrides(redis))
    try:
        b.start()
        for nid in cluster.nodes:
            b.wait_node_health(nid, True, timeout=15.0)
        yield cluster, cluster.proxy, b
    finally:
        try:
            b.stop(timeout=10)
        except Exception:  # noqa: BLE001 - keep stopping the cluster
            b.kill9()
        cluster.stop()
