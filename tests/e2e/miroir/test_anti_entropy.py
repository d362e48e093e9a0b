"""Anti-entropy (ARCHITECTURE §4): replicas that drifted behind Miroir's back are
repaired in one pass, newest version first, without bringing deleted or expired
documents back; a clean cluster reads only the three small fields.

Two groups of one node each, RF 1: every shard has one copy on n1 and one on n2,
and a write meets quorum with either. Hinted handoff is off here, so what a stopped
replica missed is left to anti-entropy (test_hinted_handoff.py covers the hints).
Passes run on request (POST /_miroir/verify); the schedule is far away.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from harness import MiroirCluster, TopologySpec
from harness.ctl import ctl
from harness.miroir import SLOWDOWN

from .common import ok_json

UID = "drift"
SHARDS = 4
SMALL_FIELDS = {"id", "_miroir_updated_at", "_miroir_digest"}


def overrides(**extra):
    base = {
        "anti_entropy": {"enabled": True, "schedule": "1h", "tombstone_retention": "7d"},
        "hinted_handoff": {"enabled": False},
        "upstream": {"write_timeout_ms": 3000},
    }
    base.update(extra)
    return base


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = MiroirCluster(tmp_path_factory.mktemp("anti-entropy"),
                      TopologySpec(groups=(1, 1), replication_factor=1, shards=SHARDS),
                      miroir_overrides=overrides())
    c.start()
    try:
        yield c
    finally:
        c.stop()


def run_pass(cluster, *, repair: bool, index: str | None = UID, timeout: float = 60) -> dict:
    """Starts a pass on the proxy, once the one running (if any) is done, and returns
    its finished report."""
    timeout *= SLOWDOWN
    deadline = time.monotonic() + timeout
    while ok_json(cluster.proxy.admin("GET", "/_miroir/verify"))["current"] is not None:
        assert time.monotonic() < deadline, "a pass is still running"
        time.sleep(0.05)
    body: dict = {"repair": repair}
    if index is not None:
        body["indexUid"] = index
    started = ok_json(cluster.proxy.admin("POST", "/_miroir/verify", json=body), 202)
    assert started["status"] == "enqueued" and started["dryRun"] is (not repair)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ok_json(cluster.proxy.admin("GET", "/_miroir/verify"))
        last = status["last"]
        if last is not None and last["uid"] == started["uid"]:
            assert last["status"] == "succeeded", last
            return last
        time.sleep(0.05)
    raise AssertionError(f"pass {started['uid']} did not finish: {status}")


def docs_by_id(cluster, node: str, uid: str = UID) -> dict:
    return {d["id"]: d for d in cluster.node_documents(node, uid)}


def wait_task(node, body) -> None:
    uid = body["taskUid"]
    deadline = time.monotonic() + 10 * SLOWDOWN
    while time.monotonic() < deadline:
        task = ok_json(node.http("GET", f"/tasks/{uid}"))
        if task["status"] in ("succeeded", "failed"):
            assert task["status"] == "succeeded", task
            return
        time.sleep(0.01)
    raise AssertionError(f"node task {uid} did not finish")


def node_write(node, uid: str, docs: list[dict]) -> None:
    """A write straight to one node, behind Miroir's back."""
    wait_task(node, ok_json(node.http("POST", f"/indexes/{uid}/documents?primaryKey=id",
                                      json=docs), 202))


def node_delete(node, uid: str, ids: list) -> None:
    wait_task(node, ok_json(node.http("POST", f"/indexes/{uid}/documents/delete-batch",
                                      json=[str(i) for i in ids]), 202))


def fresh_index(cluster, uid: str, docs: list[dict]) -> None:
    client = cluster.client()
    client.wait_for_task(client.create_index(uid, {"primaryKey": "id"}).task_uid)
    client.wait_for_task(client.index(uid).add_documents(docs).task_uid)


def stopped(cluster, node: str):
    """Context: `node` SIGSTOPped, and Miroir seeing it down, for the block."""
    class _Stopped:
        def __enter__(self):
            cluster.node(node).sigstop()
            cluster.wait_node_unhealthy(node)

        def __exit__(self, *exc):
            cluster.node(node).sigcont()
            cluster.wait_node_healthy(node)
    return _Stopped()


def test_each_kind_of_drift_is_repaired_in_one_pass(cluster):
    fresh_index(cluster, UID, [{"id": i, "title": f"book {i}", "n": i} for i in range(100)])
    n1, n2 = cluster.node("n1"), cluster.node("n2")
    before = docs_by_id(cluster, "n1")
    assert before == docs_by_id(cluster, "n2")
    assert all(isinstance(d["_miroir_updated_at"], int) for d in before.values())

    # A missing document: gone from n2 alone.
    node_delete(n2, UID, [1])
    # A stale version: n2 holds an older write of document 2.
    stale = dict(before[2], title="stale", _miroir_updated_at=before[2]["_miroir_updated_at"] - 1000)
    node_write(n2, UID, [stale])
    # An extra document: written to n1 alone, as a write that reached one replica.
    extra = {"id": 1000, "title": "extra", "n": 1000, "_miroir_shard": cluster.shard_of(1000),
             "_miroir_updated_at": before[0]["_miroir_updated_at"], "_miroir_digest": "0" * 16}
    node_write(n1, UID, [extra])
    # A document deleted through Miroir while n2 was stopped: n2 never heard of it.
    with stopped(cluster, "n2"):
        client = cluster.client()
        client.wait_for_task(client.index(UID).delete_document(3).task_uid)
    assert 3 in docs_by_id(cluster, "n2") and 3 not in docs_by_id(cluster, "n1")

    # A dry run finds the four and changes nothing.
    report = run_pass(cluster, repair=False)
    assert report["mismatches"] == 4, report
    assert report["documentsRepaired"] == 4 and report["tombstonesApplied"] == 1
    assert report["shardsScanned"] == SHARDS and report["shardsSkipped"] == 0
    assert 1 not in docs_by_id(cluster, "n2")

    report = run_pass(cluster, repair=True)
    assert report["mismatches"] == 4 and report["documentsRepaired"] == 4, report
    assert report["tombstonesApplied"] == 1

    on_n1, on_n2 = docs_by_id(cluster, "n1"), docs_by_id(cluster, "n2")
    assert on_n1 == on_n2
    assert on_n2[1] == before[1]          # the missing one is back
    assert on_n2[2] == before[2]          # the newest version won
    assert on_n2[1000]["title"] == "extra"  # the extra one reached both replicas
    assert 3 not in on_n1                 # the delete won, everywhere
    assert set(on_n1) == (set(range(100)) - {3}) | {1000}

    # Converged: the next pass finds nothing.
    again = run_pass(cluster, repair=True)
    assert again["mismatches"] == 0 and again["documentsRepaired"] == 0, again


def test_a_deleted_document_never_comes_back(cluster):
    uid = "deletes"
    fresh_index(cluster, uid, [{"id": i, "kind": "odd" if i % 2 else "even", "n": i}
                               for i in range(60)])
    client = cluster.client()
    client.wait_for_task(client.index(uid).update_filterable_attributes(["kind", "n"]).task_uid)
    with stopped(cluster, "n2"):
        index = client.index(uid)
        client.wait_for_task(index.delete_documents(["10", "11"]).task_uid)   # by id
        client.wait_for_task(index.delete_documents(filter="kind = odd AND n > 40").task_uid)
    # n2 still has all of them, n1 none.
    gone = {10, 11} | {i for i in range(41, 60) if i % 2}
    assert gone <= set(docs_by_id(cluster, "n2", uid))
    assert not gone & set(docs_by_id(cluster, "n1", uid))
    # A later write of a deleted id is newer than its tombstone: it must survive.
    client.wait_for_task(client.index(uid).add_documents([{"id": 10, "kind": "back", "n": 10}])
                         .task_uid)

    for _ in range(3):
        report = run_pass(cluster, repair=True, index=uid)
        for node in ("n1", "n2"):
            held = set(docs_by_id(cluster, node, uid))
            assert not (gone - {10}) & held, (node, sorted((gone - {10}) & held))
            assert 10 in held
    assert report["mismatches"] == 0
    hits = ok_json(cluster.http("POST", f"/indexes/{uid}/search",
                                json={"q": "", "limit": 100}))["hits"]
    assert {h["id"] for h in hits} == set(range(60)) - (gone - {10})


def test_delete_all_leaves_no_document_behind(cluster):
    uid = "wiped"
    fresh_index(cluster, uid, [{"id": i} for i in range(30)])
    with stopped(cluster, "n2"):
        client = cluster.client()
        client.wait_for_task(client.index(uid).delete_all_documents().task_uid)
    assert len(docs_by_id(cluster, "n2", uid)) == 30
    report = run_pass(cluster, repair=True, index=uid)
    assert report["tombstonesApplied"] == 30, report
    assert docs_by_id(cluster, "n1", uid) == {} == docs_by_id(cluster, "n2", uid)


def test_an_expired_document_is_deleted_not_resurrected(cluster):
    uid = "expiring"
    now_ms = int(time.time() * 1000)
    docs = [{"id": 1, "_miroir_expires_at": now_ms + 800},
            {"id": 2, "_miroir_expires_at": now_ms + 3_600_000},
            {"id": 3}]
    fresh_index(cluster, uid, docs)
    expired = docs_by_id(cluster, "n1", uid)[1]
    time.sleep(1.0)
    report = run_pass(cluster, repair=True, index=uid)
    assert report["expiredDeleted"] == 1, report
    for node in ("n1", "n2"):
        assert set(docs_by_id(cluster, node, uid)) == {2, 3}
    # A replica restored from before the expiry brings it back on one node: the
    # next pass deletes it again instead of copying it to the other.
    node_write(cluster.node("n2"), uid, [expired])
    run_pass(cluster, repair=True, index=uid)
    for node in ("n1", "n2"):
        assert set(docs_by_id(cluster, node, uid)) == {2, 3}


def test_a_clean_cluster_of_100k_documents_reads_only_the_three_small_fields(cluster):
    uid = "clean"
    client = cluster.client()
    client.wait_for_task(client.create_index(uid, {"primaryKey": "id"}).task_uid)
    # Batches of 5,000: a larger one keeps a sanitizer-built node (one HTTP
    # thread) parsing for long enough to miss its health checks on a busy machine.
    for start in range(0, 100_000, 5_000):
        batch = [{"id": i, "title": f"a fairly long title for document number {i}",
                  "body": "lorem ipsum " * 8} for i in range(start, start + 5_000)]
        client.wait_for_task(client.index(uid).add_documents(batch).task_uid,
                             timeout_in_ms=int(120_000 * SLOWDOWN))
    for node in ("n1", "n2"):
        assert cluster.node(node).http("DELETE", "/_testnode/requests").status_code == 204

    report = run_pass(cluster, repair=True, index=uid, timeout=300)
    assert report["mismatches"] == 0 and report["documentsRepaired"] == 0, report
    assert report["documentsScanned"] == 200_000  # every document, on both replicas
    per_document = report["bytesRead"] / report["documentsScanned"]
    assert per_document < 120, per_document  # a document itself is over 150 bytes

    for node in ("n1", "n2"):
        seen = ok_json(cluster.node(node).http("GET", "/_testnode/requests"))
        fetches = [r for r in seen if r["target"] == f"/indexes/{uid}/documents/fetch"]
        writes = [r for r in seen if r["method"] != "GET" and not r["target"].endswith("/fetch")]
        assert writes == [], writes  # nothing to repair, nothing written
        scans = 0
        for r in fetches:
            body = json.loads(r["body"])
            if "_miroir_expires_at" in body["filter"]:  # the expiry sweep: ids due to expire
                assert body["fields"] == ["id", "_miroir_expires_at"], body
                assert re.fullmatch(r"_miroir_shard = \d+ AND _miroir_expires_at <= \d+",
                                    body["filter"]), body
            else:  # the digest scan
                assert set(body["fields"]) == SMALL_FIELDS, body
                assert re.fullmatch(r"_miroir_shard = \d+", body["filter"]), body
                scans += 1
        assert scans >= 100_000 // 1000, scans  # every document paged once, 1,000 a page


def test_verify_refuses_bad_bodies_and_a_second_pass(cluster):
    bad = cluster.proxy.admin("POST", "/_miroir/verify", json={"repair": "yes"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request", bad.text
    bad = cluster.proxy.admin("POST", "/_miroir/verify", json={"indexUid": "no spaces"})
    assert bad.status_code == 400
    unknown = cluster.proxy.admin("POST", "/_miroir/verify", json={"indexUid": "unknown"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "index_not_found"
    # An empty body is a report-only pass over every index.
    first = cluster.proxy.admin("POST", "/_miroir/verify")
    assert first.status_code == 202 and first.json()["dryRun"] is True
    assert first.json()["indexUid"] is None
    second = cluster.proxy.admin("POST", "/_miroir/verify", json={})
    if second.status_code == 409:
        assert second.json()["code"] == "miroir_verify_in_progress"
        assert set(second.json()) == {"message", "code", "type", "link"}
    else:  # the first had already finished
        assert second.status_code == 202


def test_metrics_report_passes_and_the_mismatch_streak(cluster):
    uid = "streak"
    fresh_index(cluster, uid, [{"id": i} for i in range(20)])

    def metric(name):
        text = cluster.proxy.admin("GET", "/_miroir/metrics").text
        m = re.search(rf"^{name} (\S+)$", text, re.M)
        assert m, name
        return float(m.group(1))

    # Every index of the module converged: a repairing pass, then nothing left.
    run_pass(cluster, repair=True, index=None)
    clean = run_pass(cluster, repair=False, index=None)
    assert clean["mismatches"] == 0, clean
    assert metric("miroir_antientropy_mismatch_streak") == 0

    node_delete(cluster.node("n2"), uid, [5])
    passes = metric("miroir_antientropy_passes_total")
    for expected in (1, 2, 3):  # report only: the mismatch stays
        run_pass(cluster, repair=False, index=uid)
        assert metric("miroir_antientropy_mismatch_streak") == expected
    assert metric("miroir_antientropy_passes_total") == passes + 3
    run_pass(cluster, repair=True, index=uid)
    assert metric("miroir_antientropy_mismatch_streak") == 4
    run_pass(cluster, repair=True, index=uid)
    assert metric("miroir_antientropy_mismatch_streak") == 0
    assert metric("miroir_antientropy_documents_repaired_total") >= 1


def test_miroir_ctl_verify_reports_then_repairs(cluster):
    uid = "by-ctl"
    fresh_index(cluster, uid, [{"id": i} for i in range(30)])
    node_delete(cluster.node("n1"), uid, [7, 8])
    while ok_json(cluster.proxy.admin("GET", "/_miroir/verify"))["current"] is not None:
        time.sleep(0.05)

    found = ctl(cluster, "verify", "--index", uid)
    assert found.returncode == 3, (found.stdout, found.stderr)  # mismatches, not repaired
    assert f"({uid}, report only): succeeded" in found.stdout
    assert "mismatches 2, repaired 2" in found.stdout, found.stdout
    assert {7, 8}.isdisjoint(docs_by_id(cluster, "n1", uid))

    fixed = ctl(cluster, "verify", "--index", uid, "--repair")
    assert fixed.returncode == 0, (fixed.stdout, fixed.stderr)
    assert f"({uid}, repair): succeeded" in fixed.stdout
    assert {7, 8} <= set(docs_by_id(cluster, "n1", uid))

    clean = ctl(cluster, "--json", "verify", "--index", uid)
    assert clean.returncode == 0
    assert json.loads(clean.stdout)["mismatches"] == 0

    missing = ctl(cluster, "verify", "--index", "no-such-index")
    assert missing.returncode == 1 and "(index_not_found, HTTP 404)" in missing.stderr, missing


def test_verify_is_refused_clearly_when_anti_entropy_is_off(tmp_path):
    with MiroirCluster(tmp_path, TopologySpec(groups=(1,), replication_factor=1, shards=2)) as c:
        resp = c.proxy.admin("POST", "/_miroir/verify", json={"repair": True})
        assert resp.status_code == 400, resp.text
        body = resp.json()
        assert body["code"] == "miroir_anti_entropy_disabled"
        assert "anti_entropy.enabled" in body["message"]


def test_scheduled_passes_run_alone_and_a_dry_run_repairs_nothing(tmp_path):
    # A pass every second, report only: the drift is found, pass after pass, and left.
    with MiroirCluster(tmp_path, TopologySpec(groups=(1, 1), replication_factor=1, shards=2),
                       miroir_overrides=overrides(anti_entropy={
                           "enabled": True, "schedule": "1s", "tombstone_retention": "1h",
                           "dry_run": True})) as c:
        fresh_index(c, "scheduled", [{"id": i} for i in range(10)])
        node_delete(c.node("n2"), "scheduled", [4])
        deadline = time.monotonic() + 20 * SLOWDOWN
        seen = []
        while time.monotonic() < deadline and len(seen) < 2:
            last = ok_json(c.proxy.admin("GET", "/_miroir/verify"))["last"]
            if last and last["trigger"] == "schedule" and last["mismatches"] == 1 and \
                    last["uid"] not in seen:
                assert last["dryRun"] is True and last["indexUid"] is None
                seen.append(last["uid"])
            time.sleep(0.1)
        assert len(seen) == 2, seen
        assert 4 not in docs_by_id(c, "n2", "scheduled")


def test_the_scan_keeps_to_its_documents_per_second_budget(tmp_path):
    budget = 2000
    with MiroirCluster(tmp_path, TopologySpec(groups=(1, 1), replication_factor=1, shards=2),
                       miroir_overrides=overrides(anti_entropy={
                           "enabled": True, "schedule": "1h", "read_concurrency": 1,
                           "max_documents_per_second": budget})) as c:
        fresh_index(c, "budget", [{"id": i} for i in range(3000)])
        report = run_pass(c, repair=False, index="budget")
        assert report["documentsScanned"] == 6000
        # 6,000 reads at 2,000 a second: three seconds at least (the first page
        # is free: the budget is checked after each one).
        floor_ms = (report["documentsScanned"] - 1000) / budget * 1000
        assert report["durationMs"] >= floor_ms, report
