"""Fixtures of the topology-change suite (issue 6): a fresh two-node cluster per
test behind one Miroir on the embedded store, with 2,000 documents, and a way to
start more nodes to add. Everything runs on 127.0.0.1 and is stopped afterwards.
"""

from __future__ import annotations

import pytest

from harness import MiroirCluster, NodeProcess, TopologySpec

UID = "books"
DOCUMENTS = 2_000


def book(i: int, version: int = 0) -> dict:
    return {"id": i, "title": f"book {i}", "version": version, "genre": ["sf", "poetry"][i % 2]}


def load(client, count: int = DOCUMENTS, uid: str = UID) -> None:
    index = client.index(uid)
    task = client.create_index(uid, {"primaryKey": "id"})
    client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
    for start in range(0, count, 500):
        task = index.add_documents([book(i) for i in range(start, min(count, start + 500))])
        done = client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
        assert done.status == "succeeded", done


def make_cluster(tmp_path, groups=(2,), replication_factor=1, **overrides) -> MiroirCluster:
    config = {
        # The lease of a killed coordinator expires quickly (the embedded
        # store has no heartbeats; its lease TTL follows instance_ttl).
        "task_store": {"redis": {"heartbeat_interval_ms": 300, "instance_ttl_ms": 2000}},
    }
    for section, values in overrides.items():
        config.setdefault(section, {}).update(values)
    return MiroirCluster(tmp_path, TopologySpec(groups=groups,
                                                replication_factor=replication_factor,
                                                shards=16),
                         miroir_overrides=config)


def start_extra_node(cluster: MiroirCluster, node_id: str, **kwargs) -> NodeProcess:
    """A new test node the cluster's stop() also stops (not in the topology yet)."""
    node = NodeProcess(cluster.workdir / node_id, name=node_id, master_key=cluster.master_key,
                       **kwargs)
    node.start()
    cluster.nodes[node_id] = node
    return node


@pytest.fixture
def cluster(tmp_path):
    c = make_cluster(tmp_path).start()
    try:
        load(c.client())
        yield c
    finally:
        c.stop()
