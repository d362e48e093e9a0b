"""Online topology changes through the admin API (issue 6): add, drain and remove
nodes, add a replica group, pause/resume/cancel, a coordinator or the node
copied to killed mid-copy, writes that race the copy, a source still replaying
its hints, and the errors of impossible changes.

After every change: no document lost or duplicated (read back through Miroir),
every shard on exactly its owners (asked of each node directly), and only the
shards whose owners changed were moved.
"""

from __future__ import annotations

import threading
import time

import pytest

from harness.migrations import (
    admin,
    assert_shards_live_on_owners_only,
    node_shards,
    owned_shards,
    status,
    wait_migration,
    wait_phase,
)

from .conftest import DOCUMENTS, UID, book, load, make_cluster, start_extra_node


def all_documents(cluster) -> dict[int, dict]:
    """Every document of UID read through Miroir; fails on a duplicate id."""
    out: dict[int, dict] = {}
    offset = 0
    while True:
        resp = cluster.http("GET", f"/indexes/{UID}/documents",
                            params={"limit": 1000, "offset": offset})
        assert resp.status_code == 200, resp.text
        results = resp.json()["results"]
        for doc in results:
            assert doc["id"] not in out, f"document {doc['id']} listed twice"
            out[doc["id"]] = doc
        offset += len(results)
        if len(results) < 1000:
            return out


def assert_intact(cluster, expected_count: int = DOCUMENTS) -> None:
    docs = all_documents(cluster)
    assert set(docs) == set(range(expected_count))
    stats = cluster.http("GET", f"/indexes/{UID}/stats").json()
    assert stats["numberOfDocuments"] == expected_count
    hits = cluster.http("POST", f"/indexes/{UID}/search",
                        json={"q": "book", "limit": 1000}).json()["hits"]
    assert len({h["id"] for h in hits}) == len(hits) == 1000


def metric(proxy, name: str) -> float:
    """The value of an unlabelled sample in /_miroir/metrics."""
    text = proxy.admin("GET", "/_miroir/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the scrape")


def topology_nodes(cluster) -> dict[str, dict]:
    return {n["id"]: {**n, "group": g["id"]}
            for g in cluster.proxy.topology()["groups"] for n in g["nodes"]}


def test_add_node_moves_only_its_shards_and_loses_nothing(cluster):
    before = owned_shards(cluster.proxy, UID)
    start_extra_node(cluster, "n3")
    resp = admin(cluster.proxy, "POST", "/_miroir/nodes",
                 {"id": "n3", "address": f"127.0.0.1:{cluster.nodes['n3'].port}", "group": "g1"})
    assert resp.status_code == 202, resp.text
    assert resp.json()["migration"]["description"].startswith("add node n3")

    last = wait_migration(cluster.proxy)
    assert last["outcome"] == "completed"
    topo = cluster.proxy.topology()
    assert topo["migration"] is None
    assert set(topology_nodes(cluster)) == {"n1", "n2", "n3"}

    after = owned_shards(cluster.proxy, UID)
    gained = after["n3"]
    assert gained, "the new node owns shards"
    # Rendezvous: the new node takes shards only from the others, which keep the rest.
    for nid in ("n1", "n2"):
        assert after[nid] == before[nid] - gained
    assert last["indexes"][UID]["shardsMoving"] == len(gained)
    assert set(node_shards(cluster.nodes["n3"], UID)) == gained
    assert_shards_live_on_owners_only(cluster.proxy, cluster.nodes, UID)
    assert_intact(cluster)
    moved = sum(node_shards(cluster.nodes["n3"], UID).values())
    assert metric(cluster.proxy, "miroir_migration_in_progress") == 0
    assert metric(cluster.proxy, "miroir_migration_documents_copied_total") >= moved
    assert metric(cluster.proxy, "miroir_migration_steps_total") >= 3  # activate, cleanup, end
    assert metric(cluster.proxy, "miroir_migration_last_progress_timestamp_seconds") > \
        time.time() - 600


def test_drain_then_remove_a_node(cluster):
    resp = admin(cluster.proxy, "POST", "/_miroir/nodes/n2/drain")
    assert resp.status_code == 202, resp.text
    assert wait_migration(cluster.proxy)["outcome"] == "completed"
    assert topology_nodes(cluster)["n2"]["draining"] is True
    assert owned_shards(cluster.proxy, UID).get("n2", set()) == set()
    assert sum(node_shards(cluster.nodes["n2"], UID).values()) == 0, "a drained node keeps nothing"
    assert_intact(cluster)

    resp = admin(cluster.proxy, "DELETE", "/_miroir/nodes/n2")
    assert resp.status_code == 202, resp.text
    assert wait_migration(cluster.proxy)["outcome"] == "completed"
    assert set(topology_nodes(cluster)) == {"n1"}
    assert_intact(cluster)
    # Writes after the change reach the remaining node only.
    task = cluster.client().index(UID).add_documents([book(DOCUMENTS)])
    assert cluster.client().wait_for_task(task.task_uid).status == "succeeded"
    assert_intact(cluster, DOCUMENTS + 1)
    assert sum(node_shards(cluster.nodes["n2"], UID).values()) == 0


def test_remove_a_node_that_died_restores_its_shards_from_replicas(tmp_path):
    c = make_cluster(tmp_path, groups=(3,), replication_factor=2).start()
    try:
        load(c.client())
        c.kill_node("n3")
        resp = admin(c.proxy, "DELETE", "/_miroir/nodes/n3")
        assert resp.status_code == 202, resp.text
        last = wait_migration(c.proxy)
        assert last["outcome"] == "completed"
        owned = owned_shards(c.proxy, UID)
        assert owned["n1"] == owned["n2"] == set(range(16)), "RF 2 over two nodes: both own all"
        for nid in ("n1", "n2"):
            assert set(node_shards(c.nodes[nid], UID)) == set(range(16))
        assert_intact(c)
    finally:
        c.stop()


def test_a_task_on_a_removed_node_still_finishes(tmp_path):
    """A write acknowledged by a node that then died and was removed: its Miroir
    task is derived from the remaining owners instead of waiting forever."""
    c = make_cluster(tmp_path, groups=(3,), replication_factor=2).start()
    try:
        load(c.client(), count=100)
        doc_id = next(i for i in range(10_000, 20_000)
                      if "n3" in c.owners(c.shard_of(i))["g1"])
        resp = c.http("POST", f"/indexes/{UID}/documents", json=[book(doc_id)])
        assert resp.status_code == 202, resp.text
        task_uid = resp.json()["taskUid"]
        c.kill_node("n3")
        assert admin(c.proxy, "DELETE", "/_miroir/nodes/n3").status_code == 202
        assert wait_migration(c.proxy)["outcome"] == "completed"
        deadline = time.monotonic() + 30
        while True:
            task = c.http("GET", f"/tasks/{task_uid}").json()
            if task["status"] == "succeeded" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert task["status"] == "succeeded", task
        assert c.http("GET", f"/indexes/{UID}/documents/{doc_id}").status_code == 200
    finally:
        c.stop()


def test_add_a_replica_group(cluster):
    start_extra_node(cluster, "m1")
    resp = admin(cluster.proxy, "POST", "/_miroir/groups",
                 {"id": "g2", "nodes": [{"id": "m1",
                                         "address": f"127.0.0.1:{cluster.nodes['m1'].port}"}]})
    assert resp.status_code == 202, resp.text
    assert wait_migration(cluster.proxy)["outcome"] == "completed"
    assert topology_nodes(cluster)["m1"]["group"] == "g2"
    counts = node_shards(cluster.nodes["m1"], UID)
    assert set(counts) == set(range(16)) and sum(counts.values()) == DOCUMENTS
    # Searches over either group see each document once.
    for _ in range(4):
        assert_intact(cluster)

    resp = admin(cluster.proxy, "DELETE", "/_miroir/groups/g2")
    assert resp.status_code == 202, resp.text
    assert wait_migration(cluster.proxy)["outcome"] == "completed"
    assert set(topology_nodes(cluster)) == {"n1", "n2"}
    assert_intact(cluster)


def throttled_cluster(tmp_path, per_second: int = 400):
    c = make_cluster(tmp_path, rebalancer={"max_documents_per_second": per_second,
                                           "max_concurrent_migrations": 1}).start()
    load(c.client())
    return c


def begin_add_node(c, nid="n3", **node_args):
    start_extra_node(c, nid, **node_args)
    resp = admin(c.proxy, "POST", "/_miroir/nodes",
                 {"id": nid, "address": f"127.0.0.1:{c.nodes[nid].port}", "group": "g1"})
    assert resp.status_code == 202, resp.text
    return resp.json()


def test_cancel_rolls_back_to_the_old_owners(tmp_path):
    c = throttled_cluster(tmp_path)
    try:
        before = owned_shards(c.proxy, UID)
        begin_add_node(c)
        wait_phase(c.proxy, UID, {"copy"})
        time.sleep(0.3)
        resp = admin(c.proxy, "POST", "/_miroir/migrations/cancel")
        assert resp.status_code == 202, resp.text
        last = wait_migration(c.proxy)
        assert last["outcome"] == "cancelled"
        assert set(topology_nodes(c)) == {"n1", "n2"}
        assert owned_shards(c.proxy, UID) == before
        assert sum(node_shards(c.nodes["n3"], UID).values()) == 0, "the copies were deleted"
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
        assert_intact(c)
    finally:
        c.stop()


def test_pause_holds_the_copy_and_resume_finishes_it(tmp_path):
    c = throttled_cluster(tmp_path)
    try:
        begin_add_node(c)
        wait_phase(c.proxy, UID, {"copy"})
        assert admin(c.proxy, "POST", "/_miroir/migrations/pause").status_code == 202
        time.sleep(0.5)  # the page in flight lands
        m = status(c.proxy)["migration"]
        assert m["state"] == "paused"
        assert metric(c.proxy, "miroir_migration_in_progress") == 1
        assert metric(c.proxy, "miroir_migration_leader") == 1
        # One index, paused in its copy; the change began a moment ago.
        scrape = c.proxy.admin("GET", "/_miroir/metrics").text
        assert 'miroir_migration_indexes{phase="copy"} 1' in scrape.splitlines(), scrape
        started = metric(c.proxy, "miroir_migration_started_timestamp_seconds")
        assert 0 < time.time() - started < 120
        copied = m["documentsCopied"]
        time.sleep(1.0)
        assert status(c.proxy)["migration"]["documentsCopied"] == copied
        assert admin(c.proxy, "POST", "/_miroir/migrations/resume").status_code == 202
        assert wait_migration(c.proxy)["outcome"] == "completed"
        # Nothing is being coordinated any more: no samples.
        scrape = c.proxy.admin("GET", "/_miroir/metrics").text
        assert "miroir_migration_indexes{" not in scrape
        assert "\nmiroir_migration_started_timestamp_seconds " not in scrape
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
        assert_intact(c)
    finally:
        c.stop()


def test_coordinator_killed_mid_copy_resumes_after_restart(tmp_path):
    c = throttled_cluster(tmp_path)
    try:
        begin_add_node(c)
        wait_phase(c.proxy, UID, {"copy"})
        c.proxy.kill9()
        c.proxy.start()
        last = wait_migration(c.proxy, timeout=120)
        assert last["outcome"] == "completed"
        assert set(topology_nodes(c)) == {"n1", "n2", "n3"}
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
        assert_intact(c)
    finally:
        c.stop()


def test_the_node_copied_to_killed_mid_copy_is_retried_until_it_is_back(tmp_path):
    """kill -9 of the new owner while pages are copied to it: the copy fails,
    the error shows in the status, and the step is retried until the node is
    back (journaled, as Meilisearch keeps what it acknowledged); nothing is
    lost and the copy ends on exactly the owners."""
    c = throttled_cluster(tmp_path)
    try:
        begin_add_node(c, db_path=c.workdir / "n3.journal")
        n3 = c.nodes["n3"]
        wait_phase(c.proxy, UID, {"copy"})
        time.sleep(0.3)  # a few pages land first
        n3.kill9()
        deadline = time.monotonic() + 30
        while not (status(c.proxy)["migration"] or {}).get("errors"):
            assert time.monotonic() < deadline, "the failed copy was never reported"
            time.sleep(0.05)
        m = status(c.proxy)["migration"]
        assert m["state"] == "running" and m["indexes"][UID]["phase"] == "copy", m
        time.sleep(1.0)
        n3.start()
        assert wait_migration(c.proxy, timeout=120)["outcome"] == "completed"
        assert node_shards(n3, UID), "n3 took shards"
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
        assert_intact(c)
    finally:
        c.stop()


def test_writes_racing_the_migration_are_all_kept(tmp_path):
    """Adds, updates and deletes by id and by filter go on through the whole
    migration; each acknowledged one is in the final state."""
    c = throttled_cluster(tmp_path, per_second=1500)
    client = c.client()
    index = client.index(UID)
    task = index.update_filterable_attributes(["id"])
    assert client.wait_for_task(task.task_uid).status == "succeeded"
    expected = {i: book(i) for i in range(DOCUMENTS)}
    errors: list[str] = []
    held = [0]
    stop = threading.Event()

    def write(fn, apply):
        try:
            task = fn()
        except Exception as e:  # noqa: BLE001 - classified below
            code = getattr(e, "code", None)
            if code == "miroir_writes_held":
                held[0] += 1  # refused, nothing written: the client retries later
                return
            errors.append(repr(e))
            return
        done = client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
        if done.status != "succeeded":
            errors.append(f"{done}")
            return
        apply()

    def workload():
        step = 0
        while not stop.is_set():
            step += 1
            i = (step * 37) % (DOCUMENTS + 200)
            if step % 4 == 0 and i in expected:
                write(lambda: index.delete_document(i), lambda: expected.pop(i, None))
            elif step % 4 == 1:
                doc = book(i, version=step)
                write(lambda: index.add_documents([doc]),
                      lambda: expected.__setitem__(i, doc))
            elif step % 4 == 2 and i in expected:
                def patch():
                    expected[i] = {**expected[i], "version": step}
                write(lambda: index.update_documents([{"id": i, "version": step}]), patch)
            elif step % 20 == 3:
                victim = DOCUMENTS + (step % 200)
                def drop():
                    expected.pop(victim, None)
                write(lambda: index.delete_documents(filter=f"id = {victim}"), drop)

    try:
        worker = threading.Thread(target=workload)
        worker.start()
        try:
            begin_add_node(c)
            wait_migration(c.proxy, timeout=180)
        finally:
            stop.set()
            worker.join(timeout=60)
        assert not errors, errors[:5]
        docs = all_documents(c)
        assert set(docs) == set(expected), (
            f"lost {sorted(set(expected) - set(docs))[:10]}, "
            f"resurrected {sorted(set(docs) - set(expected))[:10]}")
        stale = [i for i, d in expected.items() if docs[i]["version"] != d["version"]]
        assert not stale, f"stale versions of {stale[:10]}"
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
    finally:
        c.stop()


def test_a_source_still_replaying_its_hints_is_waited_for(tmp_path):
    """The old owner missed writes while stopped and replays them slowly when
    the change begins: the copy reads it before its hints are through, so the
    delta pass must not read it until they are, or the new owner keeps the
    versions from before those writes."""
    c = make_cluster(tmp_path, groups=(1, 1),
                     hinted_handoff={"enabled": True, "max_bytes_per_node": "64MiB",
                                     "max_age": "1h"},
                     upstream={"write_timeout_ms": 3000})
    c.start()
    try:
        load(c.client())
        index = c.client().index(UID)
        n1 = c.node("n1")
        n1.sigstop()
        c.wait_node_unhealthy("n1")
        try:
            # Twenty writes taken by n2 alone, a hint each for n1.
            for start in range(0, DOCUMENTS, 100):
                task = index.update_documents(
                    [{"id": i, "version": 1} for i in range(start, start + 100)])
            assert c.client().wait_for_task(task.task_uid).status == "succeeded"
        finally:
            n1.sigcont()
        # n1 accepts each replayed write 400 ms late: about 8 s of replay,
        # longer than the change takes without waiting for it.
        n1.http("POST", "/_testnode/faults",
                json={"route": "/indexes/*/documents", "method": "PUT", "latency_ms": 400})
        try:
            c.wait_node_healthy("n1")
            start_extra_node(c, "n3")
            resp = admin(c.proxy, "POST", "/_miroir/nodes",
                         {"id": "n3", "address": f"127.0.0.1:{c.nodes['n3'].port}",
                          "group": "g1"})
            assert resp.status_code == 202, resp.text
            assert wait_migration(c.proxy, timeout=120)["outcome"] == "completed"
        finally:
            n1.http("DELETE", "/_testnode/faults")
        deadline = time.monotonic() + 30
        while any(line.startswith("miroir_hints_pending{") and float(line.split()[-1]) > 0
                  for line in c.proxy.admin("GET", "/_miroir/metrics").text.splitlines()):
            assert time.monotonic() < deadline, "the hints were never replayed"
            time.sleep(0.1)
        assert node_shards(c.nodes["n3"], UID), "n3 took shards"
        assert_shards_live_on_owners_only(c.proxy, c.nodes, UID)
        for nid in ("n1", "n3"):
            stale = sorted(d["id"] for d in c.node_documents(nid, UID) if d["version"] != 1)
            assert not stale, f"{nid} holds version 0 of {len(stale)} documents: {stale[:10]}"
        assert_intact(c)
    finally:
        c.stop()


def test_impossible_changes_are_refused_with_meilisearch_shaped_errors(cluster):
    def refused(method, path, body, status_code, code):
        resp = admin(cluster.proxy, method, path, body)
        assert resp.status_code == status_code, resp.text
        err = resp.json()
        assert err["code"] == code
        assert err["type"] == "invalid_request"
        assert err["link"] == f"https://docs.meilisearch.com/errors#{code}"
        assert err["message"]
        return err

    refused("POST", "/_miroir/nodes", {"id": "n9"}, 400, "miroir_invalid_topology_change")
    refused("POST", "/_miroir/nodes", {"id": "n1", "address": "127.0.0.1:1", "group": "g1"},
            400, "miroir_invalid_topology_change")
    refused("POST", "/_miroir/nodes", {"id": "n9", "address": "127.0.0.1:1", "group": "g7"},
            400, "miroir_invalid_topology_change")
    refused("POST", "/_miroir/nodes/n9/drain", None, 400, "miroir_invalid_topology_change")
    refused("DELETE", "/_miroir/groups/g9", None, 400, "miroir_invalid_topology_change")
    refused("POST", "/_miroir/groups", {"id": "g2", "nodes": []}, 400,
            "miroir_invalid_topology_change")
    refused("POST", "/_miroir/migrations/pause", None, 404, "miroir_no_migration")
    refused("POST", "/_miroir/migrations/cancel", None, 404, "miroir_no_migration")
    # Nothing changed.
    assert cluster.proxy.topology()["migration"] is None
    assert set(topology_nodes(cluster)) == {"n1", "n2"}
    # The admin key is required.
    resp = cluster.http("POST", "/_miroir/nodes/n2/drain")
    assert resp.status_code in (401, 403)
    assert cluster.proxy.topology()["migration"] is None


def test_a_second_change_waits_for_the_first(tmp_path):
    c = throttled_cluster(tmp_path)
    try:
        begin_add_node(c)
        resp = admin(c.proxy, "POST", "/_miroir/nodes/n1/drain")
        assert resp.status_code == 409, resp.text
        assert resp.json()["code"] == "miroir_migration_in_progress"
        assert wait_migration(c.proxy)["outcome"] == "completed"
    finally:
        c.stop()


def test_no_delta_pass_without_anti_entropy_is_refused(tmp_path):
    c = make_cluster(tmp_path, rebalancer={"delta_pass": False}).start()
    try:
        load(c.client(), count=10)
        resp = admin(c.proxy, "POST", "/_miroir/nodes/n2/drain")
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "miroir_migration_refused"
        assert c.proxy.topology()["migration"] is None
    finally:
        c.stop()
