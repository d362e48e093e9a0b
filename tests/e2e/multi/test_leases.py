"""Leases, fencing and shard-partitioned background work across two Miroir
instances (issue 5), shown with the task pruner: its 16 partitions are shared
out by rendezvous over the live instances, each under a lease with a fencing
token; an instance SIGSTOPped past its TTL loses its partitions to the other,
which takes them with higher tokens, and when it resumes its stale writes are
refused."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from harness.miroir import SLOWDOWN, xxh64

PARTITIONS = 16
PRUNE_INTERVAL_MS = int(200 * SLOWDOWN)
TASK_STORE = {"retention": "1s", "prune_interval_ms": PRUNE_INTERVAL_MS}


def _leases(redis) -> dict[int, tuple[int, str]]:
    """partition -> (token, holder) of every held lease."""
    out = {}
    for p in range(PARTITIONS):
        value = redis.cli("GET", f"miroir:lease:prune/{p}")
        if value:
            token, holder = value.split(":", 1)
            out[p] = (int(token), holder)
    return out


def _last_pass(redis, p: int) -> dict:
    return json.loads(redis.cli("HGET", f"miroir:state:prune/{p}", "last_pass"))


def _owner(partition: str, ids: list[str]) -> str:
    return max(ids, key=lambda i: (xxh64(partition.encode() + b"\0" + i.encode()), [-ord(c) for c in i]))


def _instance_ids(proxy) -> dict[int, str]:
    """port -> instance id, from /_miroir/topology."""
    return {int(i["address"].rsplit(":", 1)[1]): i["id"]
            for i in proxy.admin_json("/_miroir/topology")["instances"]}


def _metric(proxy, name: str) -> float:
    text = proxy.admin("GET", "/_miroir/metrics").text
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the scrape")


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout * SLOWDOWN
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_partitions_are_shared_out_by_rendezvous_each_under_one_lease(pair, redis) -> None:
    _, a, b = pair
    ids = _wait(lambda: len(_instance_ids(a)) == 2 and _instance_ids(a), 10, "both instances")
    a_id, b_id = ids[a.port], ids[b.port]

    def settled():
        leases = _leases(redis)
        if len(leases) != PARTITIONS:
            return None
        want = {p: _owner(f"tasks/{p}", [a_id, b_id]) for p in range(PARTITIONS)}
        return leases if all(leases[p][1] == want[p] for p in leases) else None

    leases = _wait(settled, 15, "each partition leased to its rendezvous owner")
    assert {holder for _, holder in leases.values()} == {a_id, b_id}
    for p, (token, holder) in leases.items():
        last = _last_pass(redis, p)
        assert last["holder"] == holder and last["token"] == token


def test_finished_tasks_past_the_retention_are_pruned(pair) -> None:
    _, a, b = pair
    uids = []
    for n in range(4):
        proxy = a if n % 2 == 0 else b
        uids.append(proxy.client().index("pruned").add_documents(
            [{"id": n, "title": "t"}], primary_key="id").task_uid)
    for uid in uids:
        assert a.client().wait_for_task(uid, timeout_in_ms=20_000).status == "succeeded"
    # Retention 1 s: the records go; the documents stay.
    _wait(lambda: all(a.http("GET", f"/tasks/{u}").status_code == 404 for u in uids), 15,
          "the finished tasks to be pruned")
    assert b.http("GET", f"/tasks/{uids[0]}").json()["code"] == "task_not_found"
    assert _metric(a, "miroir_tasks_pruned_total") + _metric(b, "miroir_tasks_pruned_total") >= 4
    assert a.client().index("pruned").search("", {"limit": 0})["estimatedTotalHits"] == 4


def test_a_paused_holder_loses_its_leases_and_its_stale_writes_are_refused(pair, redis) -> None:
    _, a, b = pair
    ids = _instance_ids(b)
    a_id, b_id = ids[a.port], ids[b.port]
    before = _wait(lambda: len(_leases(redis)) == PARTITIONS and _leases(redis), 10, "leases")
    a_held = {p: token for p, (token, holder) in before.items() if holder == a_id}
    assert a_held, "a holds some partitions"
    refused_before = _metric(a, 'miroir_fenced_writes_refused_total')

    os.kill(a.pid, signal.SIGSTOP)
    try:
        # Past a's instance TTL and lease TTL, b owns and leases every partition.
        after = _wait(lambda: (lambda l: len(l) == PARTITIONS and
                               all(h == b_id for _, h in l.values()) and l)(_leases(redis)),
                      30, "b to take over every partition")
        for p, token in a_held.items():
            assert after[p][0] > token, f"partition {p}: a newer fencing token"
            _wait(lambda: _last_pass(redis, p)["holder"] == b_id, 10, f"b's pass on {p}")
    finally:
        os.kill(a.pid, signal.SIGCONT)

    # a resumes believing it still holds its leases: its next writes are refused.
    _wait(lambda: _metric(a, 'miroir_fenced_writes_refused_total') > refused_before, 15,
          "a's stale writes to be refused")
    for p, token in a_held.items():
        last = _last_pass(redis, p)
        assert last["token"] != token, f"partition {p}: a stale write landed: {last}"
    # And the cluster settles again with a back in the membership.
    _wait(lambda: len(_instance_ids(b)) == 2, 15, "a to rejoin")
