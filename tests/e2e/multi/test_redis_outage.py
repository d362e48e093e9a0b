"""Redis killed and restarted under two Miroir instances (issue 5): while it is
down, operations that need it fail with a clear Meilisearch-shaped error, reads
keep working and nothing is half-written; when it is back, both instances
recover without a restart."""

from __future__ import annotations

import time

from harness import ADMIN


def _docs(start: int, count: int) -> list[dict]:
    return [{"id": i, "title": f"book {i}"} for i in range(start, start + count)]


def _assert_store_unavailable(response, redis) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "miroir_store_unavailable", body
    assert body["type"] == "system"
    assert body["link"].startswith("https://")
    assert f"127.0.0.1:{redis.port}" in body["message"], body["message"]


def test_redis_down_then_back(pair, redis) -> None:
    cluster, a, b = pair
    task = a.client().index("outage").add_documents(_docs(0, 20), primary_key="id")
    assert b.client().wait_for_task(task.task_uid, timeout_in_ms=20_000).status == "succeeded"
    counts = {n: cluster.node_document_count(n, "outage") for n in cluster.nodes}
    assert sum(counts.values()) == 20

    redis.kill9()
    try:
        # Reads need no store: both instances keep answering searches and fetches.
        for proxy in (a, b):
            r = proxy.http("POST", "/indexes/outage/search", json={"q": "book", "limit": 30})
            assert r.status_code == 200, r.text
            assert r.json()["estimatedTotalHits"] == 20
            assert proxy.http("GET", "/indexes/outage/documents/3").status_code == 200

        # Writes and task reads need it: a clear error, and no node touched.
        _assert_store_unavailable(
            a.http("POST", "/indexes/outage/documents", json=_docs(100, 5)), redis)
        _assert_store_unavailable(b.http("DELETE", "/indexes/outage/documents/1"), redis)
        _assert_store_unavailable(b.http("PATCH", "/indexes/outage/settings",
                                         json={"distinctAttribute": "title"}), redis)
        _assert_store_unavailable(a.http("GET", "/tasks"), redis)
        _assert_store_unavailable(b.http("GET", f"/tasks/{task.task_uid}"), redis)
        ready = a.http("GET", "/_miroir/ready", key=ADMIN)
        assert ready.status_code == 503 and ready.json()["store"] is False
        time.sleep(0.3)
        assert {n: cluster.node_document_count(n, "outage") for n in cluster.nodes} == counts
        assert all(cluster.node_settings(n, "outage")["distinctAttribute"] is None
                   for n in cluster.nodes)
    finally:
        redis.start()  # same port; the append-only file brings the data back

    # Both recover by themselves: the next calls reconnect.
    deadline = time.monotonic() + 15
    while True:
        r = b.http("POST", "/indexes/outage/documents", json=_docs(100, 5))
        if r.status_code == 202:
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.2)
    uid = r.json()["taskUid"]
    assert uid > task.task_uid, "the task counter survived the restart"
    assert a.client().wait_for_task(uid, timeout_in_ms=20_000).status == "succeeded"
    assert a.client().index("outage").search("", {"limit": 0})["estimatedTotalHits"] == 25
    assert a.http("GET", "/tasks").status_code == 200
    # Membership heartbeats resume: both list both again.
    deadline = time.monotonic() + 15
    while any(len(p.admin_json("/_miroir/topology")["instances"]) != 2 for p in (a, b)):
        assert time.monotonic() < deadline, "instances did not rejoin after Redis came back"
        time.sleep(0.2)
