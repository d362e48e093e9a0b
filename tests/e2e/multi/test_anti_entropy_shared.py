"""Anti-entropy with two instances sharing Redis: scheduled passes split the shards
by rendezvous over the live instances — each shard is scanned by exactly one — and
repairs use the tombstones whichever instance wrote them.

Two groups of one node each, RF 1, 8 shards; both instances run a pass every 2 s
(aligned to the clock, so they start together; 10 s under the sanitizers).
"""

from __future__ import annotations

import re
import time

from harness import MiroirProcess, TopologySpec
from harness.miroir import SLOWDOWN

SHARDS = 8
# The `pair` fixture (conftest.py) reads these.
TOPOLOGY = TopologySpec(groups=(1, 1), replication_factor=1, shards=SHARDS)
OVERRIDES = {
    # A slot per 2 s (longer under the sanitizers, so one pass fits in one).
    "anti_entropy": {"enabled": True, "schedule": f"{int(2 * SLOWDOWN)}s",
                     "tombstone_retention": "1h"},
    "hinted_handoff": {"enabled": False},
}


def metric(proxy: MiroirProcess, name: str) -> float:
    text = proxy.admin("GET", "/_miroir/metrics").text
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, f"{name} missing from {proxy.name}'s metrics"
    return float(m.group(1))


def quiet(a: MiroirProcess, b: MiroirProcess, after: tuple[float, float] = (0, 0),
          timeout: float = 30) -> tuple[float, float, float, float]:
    """Waits for a moment when both instances have finished the pass of the same
    schedule slot (more passes than `after`) and neither runs one; returns
    (passes of a, passes of b, shards scanned by a, shards scanned by b)."""
    deadline = time.monotonic() + timeout * SLOWDOWN
    while time.monotonic() < deadline:
        ta = metric(a, "miroir_antientropy_last_pass_timestamp_seconds")
        tb = metric(b, "miroir_antientropy_last_pass_timestamp_seconds")
        pa = metric(a, "miroir_antientropy_passes_total")
        pb = metric(b, "miroir_antientropy_passes_total")
        running = (metric(a, "miroir_antientropy_pass_running") +
                   metric(b, "miroir_antientropy_pass_running"))
        if running == 0 and ta > 0 and abs(ta - tb) < SLOWDOWN and pa > after[0] and \
                pb > after[1]:
            return (pa, pb, metric(a, "miroir_antientropy_shards_scanned_total"),
                    metric(b, "miroir_antientropy_shards_scanned_total"))
        time.sleep(0.05)
    raise AssertionError("the instances' passes did not line up")


def test_each_shard_is_scanned_by_exactly_one_instance(pair):
    cluster, a, b = pair
    client = cluster.client()
    client.wait_for_task(client.create_index("split", {"primaryKey": "id"}).task_uid)
    client.wait_for_task(client.index("split").add_documents([{"id": i} for i in range(400)])
                         .task_uid)
    start = quiet(a, b)
    later = quiet(a, b, after=(start[0] + 1, start[1] + 1))
    passes = later[0] - start[0]
    assert later[1] - start[1] == passes  # the same slots on both
    # Every slot's passes cover the index's shards once between the two instances.
    assert (later[2] - start[2]) + (later[3] - start[3]) == SHARDS * passes
    assert metric(a, "miroir_antientropy_shards_skipped_total") == 0
    assert metric(b, "miroir_antientropy_shards_skipped_total") == 0


def test_a_delete_made_through_one_instance_is_enforced_by_the_other(pair):
    cluster, a, b = pair
    client = cluster.client()  # instance a
    uid = "cross"
    client.wait_for_task(client.create_index(uid, {"primaryKey": "id"}).task_uid)
    client.wait_for_task(client.index(uid).add_documents([{"id": i} for i in range(40)]).task_uid)
    cluster.node("n2").sigstop()
    cluster.wait_node_unhealthy("n2")
    b.wait_node_health("n2", False)
    try:
        client.wait_for_task(client.index(uid).delete_documents([str(i) for i in range(10)])
                             .task_uid)
    finally:
        cluster.node("n2").sigcont()
    cluster.wait_node_healthy("n2")
    # Scheduled passes on both instances: whichever scans a shard uses a's tombstones.
    deadline = time.monotonic() + 20 * SLOWDOWN
    while time.monotonic() < deadline:
        held = {d["id"] for d in cluster.node_documents("n2", uid)}
        if not held & set(range(10)):
            break
        time.sleep(0.2)
    assert {d["id"] for d in cluster.node_documents("n2", uid)} == set(range(10, 40))
    assert {d["id"] for d in cluster.node_documents("n1", uid)} == set(range(10, 40))
