"""Fixtures of the multi-instance suites (issue 5): a private redis-server, three
test nodes, two Miroir instances sharing that Redis as their coordination store,
and HAProxy in front of the two as one address.

Everything listens on 127.0.0.1; redis-server keeps its data (append-only file)
in the test's temporary directory, so a restart on the same port finds it again,
and every process is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

import pytest

from harness import MiroirCluster, MiroirProcess, TopologySpec
from harness.redis import RedisProcess, redis_overrides
from harness.ports import free_port


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.fail("redis-server / redis-cli are not installed: run scripts/setup.sh")
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


class HaproxyProcess:
    """HAProxy (Debian's) on a free loopback port, balancing over Miroir instances
    with health checks on /health and retries of requests whose connection failed,
    as a Kubernetes Service with readiness probes would."""

    def __init__(self, workdir: Path, backends: list[MiroirProcess]) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.backends = backends
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        servers = "\n".join(f"  server {p.name} 127.0.0.1:{p.port} check" for p in self.backends)
        text = f"""global
  maxconn 2000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  retry-on conn-failure empty-response
frontend miroir
  bind 127.0.0.1:{self.port}
  default_backend miroirs
backend miroirs
  balance roundrobin
  option httpchk GET /health
  http-check expect status 200
  default-server inter 200ms fall 2 rise 2
{servers}
"""
        path = self.workdir / "haproxy.cfg"
        path.write_text(text)
        return path

    def start(self, timeout: float = 10.0) -> "HaproxyProcess":
        config = self.write_config()
        self._proc = subprocess.Popen(
            ["haproxy", "-db", "-f", str(config)], stdin=subprocess.DEVNULL,
            stdout=open(self.workdir / "haproxy.log", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        log = (self.workdir / "haproxy.log").read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"haproxy did not start on port {self.port}:\n{log}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def require_haproxy() -> None:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: run scripts/setup.sh")


@pytest.fixture(scope="module")
def pair(redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory,
         request: pytest.FixtureRequest):
    """(cluster, a, b): three nodes in one group, Miroir `a` (the cluster's own proxy)
    and Miroir `b`, both on the same Redis. A test module may set TASK_STORE, a dict
    of extra task_store settings for both; OVERRIDES, other configuration sections
    for both; TOPOLOGY, another TopologySpec."""
    extra = getattr(request.module, "TASK_STORE", {})

    def overrides() -> dict:
        o = redis_overrides(redis, **extra)
        o.update(getattr(request.module, "OVERRIDES", {}))
        return o
    spec = getattr(request.module, "TOPOLOGY",
                   TopologySpec(groups=(3,), replication_factor=1, shards=16))
    cluster = MiroirCluster(tmp_path_factory.mktemp("multi"), spec, miroir_overrides=overrides())
    cluster.start()
    b: MiroirProcess = cluster.make_proxy("miroir-b", overrides=overrides())
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
