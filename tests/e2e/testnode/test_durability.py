"""Durability with --db-path: restarts, SIGKILL after and before a task finishes."""

from __future__ import annotations

import uuid

import pytest

from harness import api, using_real_meilisearch, wait_for_task

KEY_UID = "0ab4c4cd-3b63-4f5e-a36e-1f0b3ca1f0f1"


def slow_flags(delay_ms: int) -> dict:
    """--task-delay-ms on the test node; real Meilisearch has no such flag (and then the
    kill may land after the task finished, which these tests also accept)."""
    return {} if using_real_meilisearch() else {"task_delay_ms": delay_ms}


def test_graceful_restart_keeps_everything(node_factory, tmp_path):
    node = node_factory("durable", db_path=tmp_path / "db")
    client = node.client()
    uid = f"durable_{uuid.uuid4().hex[:8]}"
    api.make_index(client, uid, [{"id": 1, "genre": "a"}, {"id": 2, "genre": "b"}],
                   settings={"filterableAttributes": ["genre"], "stopWords": ["the"]})
    key = node.http("POST", "/keys", json={"uid": KEY_UID, "actions": ["search"],
                                           "indexes": [uid], "expiresAt": None}).json()["key"]
    before = node.http("GET", "/tasks", params={"limit": 1000}).json()
    last_uid = before["results"][0]["uid"]

    node.restart()
    client = node.client()
    assert client.get_index(uid).primary_key == "id"
    assert sorted(d["id"] for d in api.all_documents(client, uid)) == [1, 2]
    settings = client.index(uid).get_settings()
    assert settings["filterableAttributes"] == ["genre"] and settings["stopWords"] == ["the"]
    assert node.http("POST", f"/indexes/{uid}/search", key=key,
                     json={"filter": "genre = b"}).json()["hits"] == [{"id": 2, "genre": "b"}]
    after = node.http("GET", "/tasks", params={"limit": 1000}).json()
    assert after["total"] == before["total"]
    assert [(t["uid"], t["status"]) for t in after["results"]] == \
        [(t["uid"], t["status"]) for t in before["results"]]
    # Task uids keep counting after a restart; they are never reused.
    info = client.index(uid).add_documents([{"id": 3, "genre": "c"}])
    assert info.task_uid > last_uid
    api.succeeded(client, info)


def test_kill9_after_task_finished(node_factory, tmp_path):
    node = node_factory("killed", db_path=tmp_path / "db")
    client = node.client()
    uid = f"killed_{uuid.uuid4().hex[:8]}"
    api.make_index(client, uid, [{"id": i, "n": i} for i in range(50)])
    api.succeeded(client, client.index(uid).delete_document(7))

    node.kill9()
    node.start()
    client = node.client()
    ids = sorted(d["id"] for d in api.all_documents(client, uid))
    assert ids == [i for i in range(50) if i != 7]
    assert client.index(uid).get_stats().number_of_documents == 49


def test_kill9_before_task_finished(node_factory, tmp_path):
    node = node_factory("crashy", db_path=tmp_path / "db", **slow_flags(1000))
    client = node.client()
    uid = f"crashy_{uuid.uuid4().hex[:8]}"
    resp = node.http("POST", f"/indexes/{uid}/documents",
                     json=[{"id": 1, "t": "first"}, {"id": 2, "t": "first"}])
    assert resp.status_code == 202
    first = resp.json()["taskUid"]
    resp = node.http("PUT", f"/indexes/{uid}/documents", json=[{"id": 2, "u": "second"}])
    assert resp.status_code == 202
    second = resp.json()["taskUid"]
    node.kill9()

    node.start()
    for task_uid in (first, second):
        task = wait_for_task(node, task_uid, timeout=20)
        assert task["status"] == "succeeded", task
    client = node.client()
    assert sorted(api.all_documents(client, uid), key=lambda d: d["id"]) == [
        {"id": 1, "t": "first"}, {"id": 2, "t": "first", "u": "second"}]


def test_repeated_crashes_lose_nothing_acknowledged(node_factory, tmp_path):
    node = node_factory("flappy", db_path=tmp_path / "db", **slow_flags(50))
    uid = f"flappy_{uuid.uuid4().hex[:8]}"
    acknowledged: list[int] = []
    for round_ in range(3):
        for i in range(3):
            doc_id = round_ * 10 + i
            resp = node.http("POST", f"/indexes/{uid}/documents", json=[{"id": doc_id}])
            assert resp.status_code == 202
            acknowledged.append(doc_id)
        node.kill9()
        node.start()
    client = node.client()
    tasks = node.http("GET", "/tasks", params={"indexUids": uid, "limit": 100}).json()
    assert tasks["total"] == len(acknowledged)
    for task in tasks["results"]:
        assert wait_for_task(node, task["uid"], timeout=20)["status"] == "succeeded"
    assert sorted(d["id"] for d in api.all_documents(client, uid)) == sorted(acknowledged)


@pytest.mark.testnode_only
def test_without_db_path_the_test_node_starts_empty(node_factory):
    node = node_factory("volatile")
    client = node.client()
    uid = f"volatile_{uuid.uuid4().hex[:8]}"
    api.make_index(client, uid, [{"id": 1}])
    node.restart()
    assert node.http("GET", f"/indexes/{uid}").status_code == 404
