"""Hinted handoff with two instances sharing Redis: a write must not reach a node
ahead of the hints another instance stored for it a moment before, or the replay of
those older hints would put the older version back on that node for good (with
anti-entropy off nothing would repair it).

Two groups of one node each, RF 1, anti-entropy off. Each try writes version 1 of
a document through instance a while n2 drops document writes, so a stores a hint
for n2; then, as soon as a acknowledged, version 2 of the same document through
instance b. b's replayer has not polled the store yet, so only the write path's own
read of the store keeps version 2 off n2 until the hint is replayed. Before that
read existed, 16 to 18 of 20 tries left n2 at version 1.
"""

from __future__ import annotations

import re
import time

from harness import MiroirProcess, TopologySpec
from harness.miroir import SLOWDOWN

TRIES = 10
UID = "race"
# The `pair` fixture (conftest.py) reads these.
TOPOLOGY = TopologySpec(groups=(1, 1), replication_factor=1, shards=2)
OVERRIDES = {
    "anti_entropy": {"enabled": False},
    "hinted_handoff": {"enabled": True},
}


def metric(proxy: MiroirProcess, name: str) -> float:
    """The sum of the metric's series (every label set)."""
    text = proxy.admin("GET", "/_miroir/metrics").text
    return sum(float(v) for v in re.findall(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.M))


def wait_replayed(a: MiroirProcess, b: MiroirProcess, timeout: float = 15.0) -> None:
    """Until every hint either instance stored was replayed, by either."""
    deadline = time.monotonic() + timeout * SLOWDOWN
    while True:
        stored = sum(metric(p, "miroir_hints_stored_total") for p in (a, b))
        replayed = sum(metric(p, "miroir_hints_replayed_total") for p in (a, b))
        if replayed >= stored:
            return
        assert time.monotonic() < deadline, f"{replayed} of {stored} hints replayed"
        time.sleep(0.05)


def test_a_write_through_another_instance_is_not_overwritten_by_an_older_hint(pair):
    cluster, a, b = pair
    via_a, via_b = a.client(), b.client()
    via_a.wait_for_task(via_a.create_index(UID, {"primaryKey": "id"}).task_uid)
    via_a.wait_for_task(
        via_a.index(UID).add_documents([{"id": i, "v": 0} for i in range(TRIES)]).task_uid)
    n2 = cluster.node("n2")
    hinted_before = metric(a, "miroir_hints_stored_total")
    for i in range(TRIES):
        n2.http("POST", "/_testnode/faults",
                json={"route": "/indexes/*/documents", "method": "POST", "drop": True})
        try:
            via_a.wait_for_task(via_a.index(UID).add_documents([{"id": i, "v": 1}]).task_uid)
        finally:
            n2.http("DELETE", "/_testnode/faults")
        via_b.wait_for_task(via_b.index(UID).add_documents([{"id": i, "v": 2}]).task_uid)
        wait_replayed(a, b)
    # Every version 1 missed n2 and was hinted: the race was set up each time.
    assert metric(a, "miroir_hints_stored_total") - hinted_before == TRIES

    on_n1 = {d["id"]: d["v"] for d in cluster.node_documents("n1", UID)}
    on_n2 = {d["id"]: d["v"] for d in cluster.node_documents("n2", UID)}
    assert on_n1 == {i: 2 for i in range(TRIES)}
    assert on_n2 == on_n1
