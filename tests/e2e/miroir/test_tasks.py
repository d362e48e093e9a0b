"""Tasks through Miroir: one Meilisearch task per client write, integer uids from
one counter (so the SDK's wait_for_task works unchanged), GET /tasks filters and
paging, and tasks that survive a Miroir restart (same SQLite store)."""

from __future__ import annotations

import time

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response, parse_timestamp_ns

from .common import assert_not_degraded, ok_json

SUMMARY_KEYS = {"taskUid", "indexUid", "status", "type", "enqueuedAt"}
TASK_KEYS = {"uid", "indexUid", "status", "type", "canceledBy", "details", "error",
             "duration", "enqueuedAt", "startedAt", "finishedAt"}


def list_tasks(cluster, **params):
    return ok_json(cluster.http("GET", "/tasks", params=params))


def test_summarized_task_and_wait_for_task(cluster, client, uid_factory):
    uid = uid_factory()
    resp = cluster.http("POST", f"/indexes/{uid}/documents",
                        json=[{"id": i, "title": f"t{i}"} for i in range(40)])
    assert resp.status_code == 202, resp.text
    assert_not_degraded(resp)  # every node accepted: a plain success
    summary = resp.json()
    assert set(summary) == SUMMARY_KEYS
    assert isinstance(summary["taskUid"], int)
    assert (summary["indexUid"], summary["status"], summary["type"]) == (
        uid, "enqueued", "documentAdditionOrUpdate")
    task = client.wait_for_task(summary["taskUid"], timeout_in_ms=20_000)
    assert task.status == "succeeded" and task.uid == summary["taskUid"]
    assert task.index_uid == uid and task.type == "documentAdditionOrUpdate"
    # Counted once, whatever the replication: one client document, one document.
    assert task.details == {"receivedDocuments": 40, "indexedDocuments": 40}
    view = ok_json(cluster.http("GET", f"/tasks/{summary['taskUid']}"))
    assert TASK_KEYS <= set(view), view
    assert view["error"] is None and view["canceledBy"] is None
    assert view["enqueuedAt"] == summary["enqueuedAt"]
    assert view["duration"].startswith("PT")
    enq, start, fin = (parse_timestamp_ns(view[k]) for k in ("enqueuedAt", "startedAt",
                                                             "finishedAt"))
    assert enq <= start <= fin
    assert client.index(uid).get_task(summary["taskUid"]).index_uid == uid


def test_sdk_task_info_for_every_kind_of_write(cluster, client, uid_factory):
    uid = uid_factory()
    index = client.index(uid)
    calls = [
        ("indexCreation", lambda: client.create_index(uid, {"primaryKey": "id"})),
        ("documentAdditionOrUpdate", lambda: index.add_documents([{"id": 1, "c": "a"}])),
        ("documentAdditionOrUpdate", lambda: index.update_documents([{"id": 1, "d": 2}])),
        ("settingsUpdate", lambda: index.update_filterable_attributes(["c"])),
        ("documentDeletion", lambda: index.delete_document(1)),
        ("documentDeletion", lambda: index.delete_all_documents()),
        ("indexUpdate", lambda: index.update(primary_key="pk")),
        ("indexDeletion", lambda: client.delete_index(uid)),
    ]
    previous = -1
    for kind, call in calls:
        info = call()
        assert info.type == kind and info.index_uid == uid and info.status == "enqueued"
        assert info.task_uid > previous, "task uids must increase"
        previous = info.task_uid
        task = client.wait_for_task(info.task_uid, timeout_in_ms=20_000)
        assert task.status == "succeeded", (kind, task.error)
        assert task.type == kind


def test_failed_task_carries_the_meilisearch_error(client, uid_factory):
    uid = uid_factory()
    api.create_index(client, uid, "id")
    task = api.failed(client, client.create_index(uid))
    assert task["type"] == "indexCreation"
    assert task["error"] == {
        "message": f"Index `{uid}` already exists.",
        "code": "index_already_exists",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#index_already_exists",
    }
    task = api.failed(client, client.delete_index(uid + "_missing"))
    assert task["error"]["code"] == "index_not_found"


def test_task_not_found(cluster, client):
    assert_error_response(cluster.http("GET", "/tasks/987654321"), 404, "task_not_found",
                          message="Task `987654321` not found.")
    with pytest.raises(MeilisearchApiError) as err:
        client.get_task(987654321)
    assert_api_error(err.value, 404, "task_not_found")
    assert_error_response(cluster.http("GET", "/tasks/abc"), 400, "invalid_task_uids")


@pytest.fixture
def four_tasks(client, uid_factory):
    """indexCreation (ok), documentAdditionOrUpdate (ok), indexCreation (failed),
    settingsUpdate (ok) on one fresh index."""
    uid = uid_factory()
    uids = []
    for call in (lambda: client.create_index(uid, {"primaryKey": "id"}),
                 lambda: client.index(uid).add_documents([{"id": 1}, {"id": 2}]),
                 lambda: client.create_index(uid),
                 lambda: client.index(uid).update_sortable_attributes(["id"])):
        info = call()
        client.wait_for_task(info.task_uid, timeout_in_ms=20_000)
        uids.append(info.task_uid)
        time.sleep(0.005)
    return uid, uids


def test_filter_tasks(cluster, four_tasks):
    uid, uids = four_tasks
    body = list_tasks(cluster, indexUids=uid)
    assert body["total"] == 4
    assert [t["uid"] for t in body["results"]] == uids[::-1]
    assert body["limit"] == 20 and body["from"] == uids[-1] and body["next"] is None
    got = list_tasks(cluster, indexUids=uid, statuses="failed")
    assert [t["uid"] for t in got["results"]] == [uids[2]]
    got = list_tasks(cluster, indexUids=uid, types="indexCreation")
    assert [t["uid"] for t in got["results"]] == [uids[2], uids[0]]
    got = list_tasks(cluster, uids=f"{uids[1]},{uids[3]}")
    assert [t["uid"] for t in got["results"]] == [uids[3], uids[1]] and got["total"] == 2
    got = list_tasks(cluster, indexUids=uid, statuses="enqueued,processing")
    assert got["total"] == 0 and got["results"] == []
    tasks = {t["uid"]: t for t in body["results"]}
    got = list_tasks(cluster, indexUids=uid, afterEnqueuedAt=tasks[uids[1]]["enqueuedAt"])
    assert [t["uid"] for t in got["results"]] == [uids[3], uids[2]]


def test_page_through_tasks(cluster, client, four_tasks):
    uid, uids = four_tasks
    page = list_tasks(cluster, indexUids=uid, limit=2)
    assert [t["uid"] for t in page["results"]] == [uids[3], uids[2]]
    assert (page["total"], page["limit"], page["from"], page["next"]) == (4, 2, uids[3], uids[1])
    page = list_tasks(cluster, indexUids=uid, limit=2, **{"from": page["next"]})
    assert [t["uid"] for t in page["results"]] == [uids[1], uids[0]]
    assert page["next"] is None
    res = client.get_tasks({"indexUids": [uid], "limit": 3})
    assert [t.uid for t in res.results] == uids[::-1][:3]
    assert res.total == 4 and res.next_ == uids[0]
    # Everything, paged through from the top with the SDK: no gap, no duplicate.
    seen, start = [], None
    while True:
        params = {"limit": 7, **({"from": start} if start is not None else {})}
        res = client.get_tasks(params)
        seen.extend(t.uid for t in res.results)
        if res.next_ is None:
            break
        start = res.next_
    assert seen == sorted(set(seen), reverse=True)
    assert len(seen) == list_tasks(cluster, limit=1)["total"]
    assert set(uids) <= set(seen)


@pytest.mark.parametrize("query,code", [
    ("statuses=doggo", "invalid_task_statuses"),
    ("types=doggo", "invalid_task_types"),
    ("limit=doggo", "invalid_task_limit"),
    ("from=doggo", "invalid_task_from"),
    ("uids=doggo", "invalid_task_uids"),
    ("afterEnqueuedAt=doggo", "invalid_task_after_enqueued_at"),
])
def test_bad_task_filters(cluster, query, code):
    assert_error_response(cluster.http("GET", f"/tasks?{query}"), 400, code)


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_tasks_survive_a_restart(cluster, client, uid_factory, kill):
    uid = uid_factory()
    api.create_index(client, uid, "id")
    api.add_documents(client, uid, [{"id": i} for i in range(10)])
    api.failed(client, client.create_index(uid))
    before = list_tasks(cluster, limit=1000)
    assert before["total"] <= 1000
    cluster.restart_proxy(kill=kill)
    after = list_tasks(cluster, limit=1000)
    assert after["total"] == before["total"]
    assert after["results"] == before["results"]
    mine = list_tasks(cluster, indexUids=uid)
    assert [t["status"] for t in mine["results"]] == ["failed", "succeeded", "succeeded"]
    # The counter continues above every uid handed out before the restart.
    newest = max(t["uid"] for t in before["results"])
    info = client.index(uid).add_documents([{"id": 99}])
    assert info.task_uid > newest
    assert client.wait_for_task(info.task_uid, timeout_in_ms=20_000).status == "succeeded"
    assert client.index(uid).get_stats().number_of_documents == 11
