"""The harness itself: process lifecycle, signals, restart on the same port, logs."""

from __future__ import annotations

import pytest
import requests

from harness import NodeProcess, port_is_free


def test_node_starts_healthy_and_logs(node_factory):
    node = node_factory("solo")
    assert node.is_running()
    resp = requests.get(f"{node.url}/health", timeout=5)
    assert resp.status_code == 200
    assert "start:" in node.read_log()
    assert node.url.startswith("http://127.0.0.1:")


def test_sigstop_freezes_and_sigcont_resumes(node_factory):
    node = node_factory("frozen")
    node.sigstop()
    try:
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(f"{node.url}/health", timeout=1)
    finally:
        node.sigcont()
    node.wait_healthy(timeout=10)
    assert requests.get(f"{node.url}/health", timeout=5).status_code == 200


def test_kill9_then_start_on_same_port(node_factory):
    node = node_factory("killed")
    port = node.port
    node.kill9()
    assert not node.is_running()
    assert node.returncode() is not None and node.returncode() < 0
    assert port_is_free(port)
    node.start()
    assert node.port == port
    assert requests.get(f"{node.url}/health", timeout=5).status_code == 200


def test_restart_keeps_port_and_stop_frees_it(node_factory):
    node = node_factory("restarted")
    port = node.port
    first_pid = node.pid
    node.restart()
    assert node.port == port and node.pid != first_pid
    assert requests.get(f"{node.url}/health", timeout=5).status_code == 200
    node.stop()
    assert not node.is_running()
    assert port_is_free(port)


def test_stop_of_a_stopped_node_is_harmless(tmp_path):
    node = NodeProcess(tmp_path, name="never-started")
    assert node.stop() is None
    assert node.kill9() is None
