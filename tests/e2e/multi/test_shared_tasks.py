"""Two Miroir instances on one Redis behave as one (issue 5): one task uid sequence,
tasks created through one instance are polled, awaited and listed through the other,
and both appear in the membership."""

from __future__ import annotations

import time

import pytest


def _docs(start: int, count: int) -> list[dict]:
    return [{"id": i, "title": f"book {i}"} for i in range(start, start + count)]


def test_write_through_a_wait_through_b(pair) -> None:
    _, a, b = pair
    task = a.client().index("books").add_documents(_docs(0, 50), primary_key="id")
    done = b.client().wait_for_task(task.task_uid, timeout_in_ms=20_000)
    assert done.status == "succeeded", done
    assert done.uid == task.task_uid
    hits = a.client().index("books").search("", {"limit": 100})
    assert hits["estimatedTotalHits"] == 50


def test_index_created_through_a_is_searchable_through_b(pair) -> None:
    _, a, b = pair
    task = a.client().index("fresh").add_documents(_docs(0, 5), primary_key="id")
    a.client().wait_for_task(task.task_uid, timeout_in_ms=20_000)
    hits = b.client().index("fresh").search("", {"limit": 10})
    assert hits["estimatedTotalHits"] == 5
    assert b.http("GET", "/indexes/fresh").json()["primaryKey"] == "id"


def test_index_created_through_a_is_written_through_b_with_the_same_shard_count(pair) -> None:
    cluster, a, b = pair
    a.client().create_index("shared-writes", {"primaryKey": "id"})
    # Straight away, without waiting for the task: B must not create the index a
    # second time (with its own idea of the shard count) but use A's record.
    task = b.client().index("shared-writes").add_documents(_docs(0, 40))
    assert b.client().wait_for_task(task.task_uid, timeout_in_ms=20_000).status == "succeeded"
    shards_a = a.admin_json("/_miroir/shards")["indexes"]["shared-writes"]["shardCount"]
    shards_b = b.admin_json("/_miroir/shards")["indexes"]["shared-writes"]["shardCount"]
    assert shards_a == shards_b == 16
    total = sum(cluster.node_document_count(n, "shared-writes") for n in cluster.nodes)
    assert total == 40


def test_creating_one_index_through_both_at_once_creates_it_once(pair) -> None:
    _, a, b = pair
    ta = a.client().create_index("raced", {"primaryKey": "id"})
    tb = b.client().create_index("raced", {"primaryKey": "id"})
    statuses = sorted(a.client().wait_for_task(t.task_uid, timeout_in_ms=20_000).status
                      for t in (ta, tb))
    assert statuses == ["failed", "succeeded"], statuses
    failed = [a.client().get_task(t.task_uid) for t in (ta, tb)]
    errors = [t.error for t in failed if t.status == "failed"]
    assert errors[0]["code"] == "index_already_exists"


def test_an_index_deleted_through_a_is_gone_through_b(pair) -> None:
    _, a, b = pair
    task = a.client().index("doomed").add_documents(_docs(0, 3), primary_key="id")
    a.client().wait_for_task(task.task_uid, timeout_in_ms=20_000)
    assert b.http("GET", "/indexes/doomed").status_code == 200
    task = a.client().index("doomed").delete()
    a.client().wait_for_task(task.task_uid, timeout_in_ms=20_000)
    deadline = time.monotonic() + 5
    while b.http("GET", "/indexes/doomed").status_code != 404:
        if time.monotonic() > deadline:
            pytest.fail("B still lists the index A deleted")
        time.sleep(0.05)
    listed = [i["uid"] for i in b.http("GET", "/indexes").json()["results"]]
    assert "doomed" not in listed


def test_a_key_created_through_a_works_through_b_and_dies_with_its_deletion(pair) -> None:
    _, a, b = pair
    key = a.client().create_key({"actions": ["search"], "indexes": ["books"], "expiresAt": None})
    deadline = time.monotonic() + 5
    while b.http("POST", "/indexes/books/search", key=key.key, json={"q": ""}).status_code != 200:
        if time.monotonic() > deadline:
            pytest.fail("B does not accept the key A created")
        time.sleep(0.05)
    assert b.http("GET", f"/keys/{key.uid}").json()["key"] == key.key
    a.client().delete_key(key.key)
    deadline = time.monotonic() + 5
    while b.http("POST", "/indexes/books/search", key=key.key, json={"q": ""}).status_code == 200:
        if time.monotonic() > deadline:
            pytest.fail("B still accepts the key A deleted")
        time.sleep(0.05)


def test_topology_lists_both_live_instances_from_either(pair) -> None:
    _, a, b = pair
    want = sorted(f"127.0.0.1:{p.port}" for p in (a, b))
    for proxy in (a, b):
        # Each lists what its last heartbeat saw: within a heartbeat period of B joining.
        deadline = time.monotonic() + 5
        while True:
            instances = proxy.admin_json("/_miroir/topology")["instances"]
            if sorted(i["address"] for i in instances) == want:
                break
            assert time.monotonic() < deadline, instances
            time.sleep(0.05)
        epoch = proxy.admin_json("/_miroir/topology")["epoch"]
        assert all(i["topologyEpoch"] == epoch for i in instances)


def test_task_uids_are_one_sequence_across_instances(pair) -> None:
    _, a, b = pair
    uids = []
    for n in range(6):
        proxy = a if n % 2 == 0 else b
        task = proxy.client().index("books").add_documents(_docs(100 + 10 * n, 10))
        uids.append(task.task_uid)
    assert len(set(uids)) == len(uids), uids
    assert uids == sorted(uids), "each new task gets a higher uid, whichever instance made it"
    for uid in uids:
        assert a.client().wait_for_task(uid, timeout_in_ms=20_000).status == "succeeded"


def test_get_tasks_is_identical_from_both(pair) -> None:
    _, a, b = pair
    task = b.client().index("movies").add_documents([{"id": 1, "title": "x"}], primary_key="id")
    a.client().wait_for_task(task.task_uid, timeout_in_ms=20_000)
    for query in ({}, {"limit": "3"}, {"indexUids": "books", "limit": "5", "from": "4"},
                  {"statuses": "succeeded", "reverse": "true"}):
        from_a = a.http("GET", "/tasks", params=query)
        from_b = b.http("GET", "/tasks", params=query)
        assert from_a.status_code == 200, from_a.text
        assert from_a.json() == from_b.json(), query
    assert a.http("GET", f"/tasks/{task.task_uid}").json() == \
        b.http("GET", f"/tasks/{task.task_uid}").json()


def test_both_instances_are_live_members(pair, redis) -> None:
    _, a, b = pair
    members = redis.cli("SMEMBERS", "miroir:instances").split()
    assert len(members) == 2, members
    assert {m.split(":")[1] for m in members} == {str(a.port), str(b.port)}


def test_a_stopped_instance_leaves_and_a_restarted_one_joins(pair, redis) -> None:
    _, a, b = pair
    b.stop(timeout=10)
    deadline = time.monotonic() + 5
    while len(redis.cli("SMEMBERS", "miroir:instances").split()) != 1:
        if time.monotonic() > deadline:
            pytest.fail("the stopped instance is still listed")
        time.sleep(0.1)
    deadline = time.monotonic() + 5
    while len(a.admin_json("/_miroir/topology")["instances"]) != 1:
        if time.monotonic() > deadline:
            pytest.fail("A still lists the stopped instance")
        time.sleep(0.1)
    b.start()
    assert len(redis.cli("SMEMBERS", "miroir:instances").split()) == 2
