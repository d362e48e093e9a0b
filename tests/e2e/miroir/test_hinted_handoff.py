"""Hinted handoff: the writes a stopped replica missed are kept for it and replayed,
in order, as soon as it is back — before any anti-entropy pass, and before it
serves reads again.

Two groups of one node each, RF 1: every write meets quorum on n1 alone while n2 is
SIGSTOPped. Anti-entropy is on (so deletes are stamped and tombstoned) but its
schedule is an hour away: whatever n2 gets back here comes from the hints.
"""

from __future__ import annotations

import re
import time

import pytest

from harness import MiroirCluster, TopologySpec
from harness.miroir import SLOWDOWN

from .common import ok_json

UID = "hinted"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = MiroirCluster(
        tmp_path_factory.mktemp("hinted-handoff"),
        TopologySpec(groups=(1, 1), replication_factor=1, shards=4),
        miroir_overrides={
            "anti_entropy": {"enabled": True, "schedule": "1h"},
            "hinted_handoff": {"enabled": True, "max_bytes_per_node": "64MiB", "max_age": "1h"},
            "upstream": {"write_timeout_ms": 3000},
        })
    c.start()
    try:
        yield c
    finally:
        c.stop()


def metric(cluster, name: str, labels: str = "") -> float:
    text = cluster.proxy.admin("GET", "/_miroir/metrics").text
    total = 0.0
    for value in re.findall(rf"^{name}{re.escape(labels)}(?:\{{[^}}]*\}})? (\S+)$", text, re.M):
        total += float(value)
    return total


def wait_pending(cluster, count: float) -> None:
    """Until the replayer has polled the hints stored so far (every 250 ms)."""
    deadline = time.monotonic() + 3 * SLOWDOWN
    while metric(cluster, "miroir_hints_pending") < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metric(cluster, "miroir_hints_pending") == count


def documents(cluster, node: str, uid: str) -> dict:
    return {d["id"]: d for d in cluster.node_documents(node, uid)}


def test_a_stopped_replica_gets_1000_missed_writes_back_from_its_hints(cluster):
    client = cluster.client()
    client.wait_for_task(client.create_index(UID, {"primaryKey": "id"}).task_uid)
    index = client.index(UID)
    client.wait_for_task(index.add_documents([{"id": i, "v": 0} for i in range(200)]).task_uid)
    client.wait_for_task(index.update_filterable_attributes(["v"]).task_uid)

    cluster.node("n2").sigstop()
    cluster.wait_node_unhealthy("n2")
    writes = 0
    last = None
    try:
        # 1,000 writes of every kind; n1 alone takes them (quorum in group g1).
        for i in range(1000):
            kind = i % 10
            if kind < 6:
                last = index.add_documents([{"id": i % 300, "v": i}])
            elif kind < 8:
                last = index.update_documents([{"id": (i * 7) % 300, "w": i}])
            elif kind == 8:
                last = index.delete_document(str((i * 13) % 300))
            else:
                last = index.delete_documents(filter=f"v = {i - 5}")
            writes += 1
        client.wait_for_task(last.task_uid, timeout_in_ms=60_000)
        wait_pending(cluster, 1000)
        assert metric(cluster, "miroir_hints_stored_total") == 1000
    finally:
        cluster.node("n2").sigcont()
    assert writes == 1000

    # Back within seconds, with every write, in order: n2 holds exactly n1's documents.
    started = time.monotonic()
    cluster.wait_node_healthy("n2")
    while metric(cluster, "miroir_hints_pending") > 0 and time.monotonic() - started < 60:
        time.sleep(0.1)
    took = time.monotonic() - started
    assert metric(cluster, "miroir_hints_pending") == 0
    assert took < 10 * SLOWDOWN, took  # seconds, not a pass schedule (1 h)
    assert documents(cluster, "n2", UID) == documents(cluster, "n1", UID)
    assert metric(cluster, "miroir_hints_replayed_total") >= 1000
    # No anti-entropy pass had anything to do with it.
    assert metric(cluster, "miroir_antientropy_passes_total") == 0
    assert metric(cluster, "miroir_hints_dropped_total") == 0


def hints_for_slow_n2(cluster, uid: str, batches: list[list[dict]], latency_ms: int):
    """Writes each batch to a new index `uid` while n2 is stopped (a hint each),
    then lets n2 go on, accepting each write `latency_ms` late (a slow replay);
    returns n2. The caller clears n2's faults."""
    client = cluster.client()
    client.wait_for_task(client.create_index(uid, {"primaryKey": "id"}).task_uid)
    index = client.index(uid)
    n2 = cluster.node("n2")
    n2.sigstop()
    cluster.wait_node_unhealthy("n2")
    try:
        for batch in batches:
            task = index.add_documents(batch)
        client.wait_for_task(task.task_uid)
        wait_pending(cluster, len(batches))
    finally:
        n2.sigcont()
    ok_json(n2.http("POST", "/_testnode/faults",
                    json={"route": "/indexes/*/documents", "method": "POST",
                          "latency_ms": latency_ms}), 201)
    return n2


def test_a_replica_catching_up_serves_no_reads(cluster):
    uid = "catching-up"
    # Ten writes, ten hints; n2 takes 300 ms to accept each when replayed.
    n2 = hints_for_slow_n2(cluster, uid,
                           [[{"id": i} for i in range(s, s + 5)] for s in range(0, 50, 5)], 300)
    try:
        cluster.wait_node_healthy("n2")
        # While n2 replays, every search is answered in full (from n1), never
        # from n2's partial copy.
        searched = 0
        deadline = time.monotonic() + 15 * SLOWDOWN
        while metric(cluster, "miroir_hints_pending") > 0 and time.monotonic() < deadline:
            body = ok_json(cluster.http("POST", f"/indexes/{uid}/search",
                                        json={"q": "", "limit": 100}))
            assert body["estimatedTotalHits"] == 50, body
            searched += 1
        assert searched >= 3, searched
    finally:
        n2.http("DELETE", "/_testnode/faults")
    assert metric(cluster, "miroir_hints_pending") == 0
    assert len(documents(cluster, "n2", uid)) == 50


def test_the_pending_gauge_falls_while_a_long_replay_runs(cluster):
    # An operator watches miroir_hints_pending fall to 0: it must move while
    # the hints are replayed, not only once the whole queue is through.
    uid = "gauge"
    # 300 hints, 10 ms each: the replay (100 hints a round) takes a few seconds.
    n2 = hints_for_slow_n2(cluster, uid, [[{"id": i}] for i in range(300)], 10)
    seen = set()
    try:
        deadline = time.monotonic() + 30 * SLOWDOWN
        while (pending := metric(cluster, "miroir_hints_pending")) > 0:
            assert time.monotonic() < deadline, seen
            seen.add(pending)
            time.sleep(0.05)
    finally:
        n2.http("DELETE", "/_testnode/faults")
    assert any(0 < p < 300 for p in seen), sorted(seen)
    assert len(documents(cluster, "n2", uid)) == 300


def test_hints_past_the_bound_are_dropped_and_counted(tmp_path):
    with MiroirCluster(
            tmp_path, TopologySpec(groups=(1, 1), replication_factor=1, shards=2),
            miroir_overrides={
                "hinted_handoff": {"max_bytes_per_node": "2KiB"}}) as c:
        client = c.client()
        client.wait_for_task(client.create_index("bounded", {"primaryKey": "id"}).task_uid)
        c.node("n2").sigstop()
        c.wait_node_unhealthy("n2")
        try:
            for i in range(10):
                task = client.index("bounded").add_documents([{"id": i, "pad": "x" * 500}])
            client.wait_for_task(task.task_uid)
            stored = metric(c, "miroir_hints_stored_total")
            dropped = metric(c, "miroir_hints_dropped_total", '{reason="full"}')
            assert stored + dropped == 10 and 1 <= stored <= 4 and dropped >= 6, (stored, dropped)
            wait_pending(c, stored)
        finally:
            c.node("n2").sigcont()
        c.wait_node_healthy("n2")
        deadline = time.monotonic() + 10 * SLOWDOWN
        while metric(c, "miroir_hints_pending") > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        # The stored ones were replayed; the rest is anti-entropy's to repair.
        assert len(documents(c, "n2", "bounded")) == stored
