"""miroir-ctl against a running cluster: the same verbs as the admin API, its exit
status, its progress display and its errors."""

from __future__ import annotations

import subprocess

from harness.ctl import ctl, ctl_bin
from harness.migrations import node_shards, owned_shards

from .conftest import UID, start_extra_node


def test_add_node_and_wait(cluster):
    node = start_extra_node(cluster, "n3")
    done = ctl(cluster, "nodes", "add", "n3", f"127.0.0.1:{node.port}", "--group", "g1", "--wait")
    assert done.returncode == 0, done.stderr
    assert "add node n3" in done.stdout
    assert "completed" in done.stdout, done.stdout  # the last status line
    assert set(node_shards(node, UID)) == owned_shards(cluster.proxy, UID)["n3"]

    topo = ctl(cluster, "topology")
    assert topo.returncode == 0, topo.stderr
    assert "n3" in topo.stdout and "healthy" in topo.stdout
    status = ctl(cluster, "migrations", "status", "--json")
    assert status.returncode == 0
    assert '"migration": null' in status.stdout
    assert '"outcome": "completed"' in status.stdout


def test_errors_exit_1_with_the_api_message(cluster):
    done = ctl(cluster, "nodes", "drain", "n9")
    assert done.returncode == 1
    assert "Node `n9` not found." in done.stderr
    assert "miroir_invalid_topology_change" in done.stderr
    done = ctl(cluster, "migrations", "cancel")
    assert done.returncode == 1 and "miroir_no_migration" in done.stderr
    done = ctl(cluster, "topology", key="wrong-key")
    assert done.returncode == 1 and "HTTP 403" in done.stderr, done.stderr


def test_usage_and_unreachable_proxy(cluster):
    assert ctl(cluster, "nodes", "add", "n3").returncode == 2
    assert ctl(cluster, "bogus").returncode == 2
    done = subprocess.run([str(ctl_bin()), "--url", "http://127.0.0.1:1", "topology"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "cannot connect" in done.stderr
