"""The task queue observed while it works (needs --task-delay-ms to make tasks last).

Each assertion is a Meilisearch fact; the delay only widens the time windows in
which they can be observed.
"""

from __future__ import annotations

import time

import pytest

from harness import NodeProcess, api, parse_timestamp_ns, wait_for_task

pytestmark = pytest.mark.testnode_only

DELAY_MS = 300


@pytest.fixture(scope="module")
def slow_node(tmp_path_factory):
    proc = NodeProcess(tmp_path_factory.mktemp("slow-node"), name="slow",
                       task_delay_ms=DELAY_MS)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def slow_client(slow_node):
    return slow_node.client()


def wait_until_processing(node, uid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while node.http("GET", f"/tasks/{uid}").json()["status"] == "enqueued":
        assert time.monotonic() < deadline, f"task {uid} never started"
        time.sleep(0.005)


def test_writes_are_answered_before_they_are_processed(slow_node, slow_client, index_uid):
    started = time.monotonic()
    resp = slow_node.http("POST", f"/indexes/{index_uid}/documents", json=[{"id": 1}])
    assert resp.status_code == 202
    assert time.monotonic() - started < DELAY_MS / 1000
    uid = resp.json()["taskUid"]
    task = slow_node.http("GET", f"/tasks/{uid}").json()
    assert task["status"] in ("enqueued", "processing")
    assert task["finishedAt"] is None and task["duration"] is None and task["error"] is None
    if task["status"] == "enqueued":
        assert task["startedAt"] is None
    # Not searchable yet.
    assert slow_node.http("GET", f"/indexes/{index_uid}/documents/1").status_code == 404

    done = wait_for_task(slow_node, uid, timeout=10)
    assert done["status"] == "succeeded"
    enq, fin = parse_timestamp_ns(done["enqueuedAt"]), parse_timestamp_ns(done["finishedAt"])
    assert fin - enq >= DELAY_MS * 1_000_000 * 0.9
    assert slow_node.http("GET", f"/indexes/{index_uid}/documents/1").json() == {"id": 1}


def test_pending_tasks_are_listed(slow_node, slow_client, index_uid):
    infos = [slow_client.index(index_uid).add_documents([{"id": i}]) for i in range(3)]
    listing = slow_node.http("GET", "/tasks", params={
        "indexUids": index_uid, "statuses": "enqueued,processing"}).json()
    assert listing["total"] == 3
    assert {t["status"] for t in listing["results"]} <= {"enqueued", "processing"}
    for info in infos:
        api.succeeded(slow_node, info)
    done = slow_node.http("GET", "/tasks", params={
        "indexUids": index_uid, "statuses": "enqueued,processing"}).json()
    assert done["total"] == 0


def test_processing_order_and_timestamps(slow_node, slow_client, index_uid):
    index = slow_client.index(index_uid)
    infos = [index.add_documents([{"id": 1, "v": 1}]),
             index.update_documents([{"id": 1, "v": 2}]),
             index.update_settings({"filterableAttributes": ["v"]}),
             index.delete_documents(filter="v = 2"),
             index.add_documents([{"id": 2, "v": 3}])]
    tasks = [api.succeeded(slow_node, info, timeout=20) for info in infos]
    for a, b in zip(tasks, tasks[1:]):
        sa, sb = parse_timestamp_ns(a["startedAt"]), parse_timestamp_ns(b["startedAt"])
        fa, fb = parse_timestamp_ns(a["finishedAt"]), parse_timestamp_ns(b["finishedAt"])
        assert sa <= sb and fa <= fb
        assert (sa == sb and fa == fb) or sb >= fa, (a, b)
    assert api.all_documents(slow_client, index_uid) == [{"id": 2, "v": 3}]


def test_cancel_enqueued_tasks(slow_node, slow_client, index_uid):
    index = slow_client.index(index_uid)
    first = index.add_documents([{"id": 1}])
    second = index.add_documents([{"id": 2}])
    third = index.add_documents([{"id": 3}])
    wait_until_processing(slow_node, first.task_uid)
    query = f"uids={second.task_uid},{third.task_uid}"
    resp = slow_node.http("POST", f"/tasks/cancel?{query}")
    assert resp.status_code == 200, resp.text
    cancel = resp.json()
    assert cancel["type"] == "taskCancelation" and cancel["status"] == "enqueued"
    assert cancel["indexUid"] is None

    # Cancelations jump the queue: the two tasks are canceled while still enqueued.
    done = api.succeeded(slow_node, cancel, timeout=20)
    assert done["details"] == {"matchedTasks": 2, "canceledTasks": 2,
                               "originalFilter": f"?{query}"}
    for info in (second, third):
        task = wait_for_task(slow_node, info, timeout=20)
        assert task["status"] == "canceled"
        assert task["canceledBy"] == cancel["taskUid"]
        assert task["error"] is None
        assert task["details"] == {"receivedDocuments": 1, "indexedDocuments": 0}
    first_done = api.succeeded(slow_node, first, timeout=20)
    assert api.all_documents(slow_client, index_uid) == [{"id": 1}]
    # The cancelation does not match the task being processed, so that task is not
    # interrupted: it finishes, then the cancelation runs.
    assert parse_timestamp_ns(first_done["finishedAt"]) <= parse_timestamp_ns(done["startedAt"])

    canceled = slow_node.http("GET", "/tasks", params={
        "indexUids": index_uid, "statuses": "canceled"}).json()
    assert sorted(t["uid"] for t in canceled["results"]) == [second.task_uid, third.task_uid]
    by = slow_node.http("GET", "/tasks", params={"canceledBy": cancel["taskUid"]}).json()
    assert by["total"] == 2


def test_cancel_by_status_through_sdk(slow_node, slow_client, index_uid):
    index = slow_client.index(index_uid)
    infos = [index.add_documents([{"id": i}]) for i in range(4)]
    cancel = slow_client.cancel_tasks({"indexUids": [index_uid], "statuses": ["enqueued"]})
    done = api.succeeded(slow_node, cancel, timeout=20)
    assert done["details"]["canceledTasks"] >= 2
    finals = [wait_for_task(slow_node, info, timeout=20) for info in infos]
    assert {t["status"] for t in finals} <= {"succeeded", "canceled"}
    canceled = [t for t in finals if t["status"] == "canceled"]
    assert len(canceled) == done["details"]["canceledTasks"]
    assert all(t["canceledBy"] == cancel.task_uid for t in canceled)
    # Canceled tasks never ran: none of their documents exist.
    kept = {d["id"] for d in api.all_documents(slow_client, index_uid)}
    assert kept == {i for i, t in enumerate(finals) if t["status"] == "succeeded"}


def test_deleting_tasks_skips_unfinished_ones(slow_node, slow_client, index_uid):
    info = slow_client.index(index_uid).add_documents([{"id": 1}])
    later = slow_client.index(index_uid).add_documents([{"id": 2}])
    wait_until_processing(slow_node, info.task_uid)
    resp = slow_node.http("DELETE", f"/tasks?uids={info.task_uid},{later.task_uid}")
    assert resp.status_code == 200
    deletion = api.succeeded(slow_node, resp.json(), timeout=20)
    # Deletions jump the queue but wait for the batch being processed: the first task
    # has finished by then and is deleted, the second is still enqueued and stays.
    assert deletion["details"]["matchedTasks"] == 2
    assert deletion["details"]["deletedTasks"] == 1
    assert slow_node.http("GET", f"/tasks/{info.task_uid}").status_code == 404
    remaining = wait_for_task(slow_node, later, timeout=20)
    assert remaining["status"] == "succeeded"
