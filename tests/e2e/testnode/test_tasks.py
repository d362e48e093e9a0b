"""The task queue: summarized tasks, task views, ordering, /tasks filters and paging,
cancelation and deletion of finished tasks."""

from __future__ import annotations

import time

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import (
    api,
    assert_api_error,
    assert_error_response,
    parse_timestamp_ns,
    wait_for_task,
)

SUMMARY_KEYS = {"taskUid", "indexUid", "status", "type", "enqueuedAt"}
TASK_KEYS = {"uid", "indexUid", "status", "type", "canceledBy", "details", "error", "duration",
             "enqueuedAt", "startedAt", "finishedAt"}


def check_summary(resp, type_: str, index_uid: str | None, http_status: int = 202) -> dict:
    assert resp.status_code == http_status, resp.text
    body = resp.json()
    assert set(body) == SUMMARY_KEYS, body
    assert isinstance(body["taskUid"], int)
    assert body["indexUid"] == index_uid
    assert body["status"] == "enqueued"
    assert body["type"] == type_
    parse_timestamp_ns(body["enqueuedAt"])
    return body


def list_tasks(node, **params) -> dict:
    resp = node.http("GET", "/tasks", params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"results", "total", "limit", "from", "next"}
    return body


def check_processing_order(tasks: list[dict]) -> None:
    """Meilisearch's order for the tasks of one index: uid order; two tasks either share
    a batch (same start and finish) or the later one starts after the earlier one
    finished."""
    for a, b in zip(tasks, tasks[1:]):
        assert a["uid"] < b["uid"]
        ea, eb = parse_timestamp_ns(a["enqueuedAt"]), parse_timestamp_ns(b["enqueuedAt"])
        sa, sb = parse_timestamp_ns(a["startedAt"]), parse_timestamp_ns(b["startedAt"])
        fa, fb = parse_timestamp_ns(a["finishedAt"]), parse_timestamp_ns(b["finishedAt"])
        assert ea <= eb and ea <= sa <= fa and eb <= sb <= fb
        same_batch = sa == sb and fa == fb
        assert same_batch or sb >= fa, (a, b)


# ------------------------------------------------------------ summaries


def test_every_write_returns_a_summarized_task(node, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    uids = []
    steps = [
        (("POST", "/indexes", {"json": {"uid": a, "primaryKey": "id"}}), "indexCreation", a),
        (("POST", "/indexes", {"json": {"uid": b}}), "indexCreation", b),
        (("POST", f"/indexes/{a}/documents", {"json": [{"id": 1, "c": "x"}]}),
         "documentAdditionOrUpdate", a),
        (("PUT", f"/indexes/{a}/documents", {"json": [{"id": 1, "d": "y"}]}),
         "documentAdditionOrUpdate", a),
        (("PATCH", f"/indexes/{a}/settings", {"json": {"filterableAttributes": ["c"]}}),
         "settingsUpdate", a),
        (("PUT", f"/indexes/{a}/settings/sortable-attributes", {"json": ["c"]}),
         "settingsUpdate", a),
        (("DELETE", f"/indexes/{a}/settings", {}), "settingsUpdate", a),
        (("DELETE", f"/indexes/{a}/documents/1", {}), "documentDeletion", a),
        (("POST", f"/indexes/{a}/documents/delete-batch", {"json": [1, 2]}),
         "documentDeletion", a),
        (("DELETE", f"/indexes/{a}/documents", {}), "documentDeletion", a),
        (("PATCH", f"/indexes/{b}", {"json": {"primaryKey": "ref"}}), "indexUpdate", b),
        (("POST", "/swap-indexes", {"json": [{"indexes": [a, b]}]}), "indexSwap", None),
        (("DELETE", f"/indexes/{b}", {}), "indexDeletion", b),
    ]
    for (method, path, kwargs), type_, index_uid in steps:
        body = check_summary(node.http(method, path, **kwargs), type_, index_uid)
        uids.append(body["taskUid"])
    assert uids == sorted(uids) and len(set(uids)) == len(uids)
    finished = [api.succeeded(node, uid) for uid in uids]
    # Meilisearch orders the tasks of one index; it may batch an index's tasks across
    # tasks of other indexes enqueued in between, so no order holds between indexes.
    for index in (a, b):
        check_processing_order([t for t in finished if t["indexUid"] == index])

    cancel = check_summary(node.http("POST", f"/tasks/cancel?uids={uids[0]}"),
                           "taskCancelation", None, http_status=200)
    delete = check_summary(node.http("DELETE", f"/tasks?uids={uids[0]}"), "taskDeletion", None,
                           http_status=200)
    assert uids[-1] < cancel["taskUid"] < delete["taskUid"]
    api.succeeded(node, cancel)
    api.succeeded(node, delete)


def test_sdk_task_info(client, index_uid):
    info = client.create_index(index_uid)
    assert info.status == "enqueued" and info.type == "indexCreation"
    assert info.index_uid == index_uid
    task = client.wait_for_task(info.task_uid, timeout_in_ms=10000)
    assert task.status == "succeeded" and task.uid == info.task_uid
    assert client.get_task(info.task_uid).type == "indexCreation"
    assert client.index(index_uid).get_task(info.task_uid).index_uid == index_uid


def test_task_view(node, client, index_uid):
    body = check_summary(node.http("POST", f"/indexes/{index_uid}/documents",
                                   json=[{"id": 1}, {"id": 2}]),
                         "documentAdditionOrUpdate", index_uid)
    task = api.succeeded(node, body)
    assert TASK_KEYS <= set(task), task
    assert task["uid"] == body["taskUid"]
    assert task["indexUid"] == index_uid
    assert task["type"] == "documentAdditionOrUpdate"
    assert task["canceledBy"] is None and task["error"] is None
    assert task["details"] == {"receivedDocuments": 2, "indexedDocuments": 2}
    assert task["enqueuedAt"] == body["enqueuedAt"]
    assert isinstance(task["duration"], str) and task["duration"].startswith("PT")
    enq, start, fin = (parse_timestamp_ns(task[k])
                       for k in ("enqueuedAt", "startedAt", "finishedAt"))
    assert enq <= start <= fin


def test_failed_task_view(client, index_uid):
    api.create_index(client, index_uid)
    task = api.failed(client, client.create_index(index_uid))
    assert task["error"]["code"] == "index_already_exists"
    assert task["canceledBy"] is None
    assert task["startedAt"] is not None and task["finishedAt"] is not None


def test_tasks_are_processed_in_enqueue_order(node, client, index_uid):
    index = client.index(index_uid)
    infos = [
        index.add_documents([{"id": 1, "v": 1}, {"id": 2, "v": 1}]),
        index.update_documents([{"id": 1, "v": 2, "w": True}]),
        index.delete_document(2),
        index.add_documents([{"id": 2, "v": 3}]),
        index.update_filterable_attributes(["v"]),
        index.delete_documents(filter="v = 3"),
        index.add_documents([{"id": 3, "v": 4}]),
    ]
    tasks = [api.succeeded(client, info) for info in infos]
    check_processing_order(tasks)
    assert api.all_documents(client, index_uid) == [{"id": 1, "v": 2, "w": True},
                                                    {"id": 3, "v": 4}]


def test_task_not_found(node, client):
    assert_error_response(node.http("GET", "/tasks/999999999"), 404, "task_not_found",
                          message="Task `999999999` not found.")
    with pytest.raises(MeilisearchApiError) as err:
        client.get_task(999999998)
    assert_api_error(err.value, 404, "task_not_found")


def test_task_uid_must_be_a_number(node):
    assert_error_response(node.http("GET", "/tasks/doggo"), 400, "invalid_task_uids")


# ------------------------------------------------------------- filtering


@pytest.fixture
def four_tasks(node, client, index_uid):
    """indexCreation (ok), documentAdditionOrUpdate (ok), indexCreation (failed), settingsUpdate (ok)."""
    uids = []
    for call in (lambda: client.create_index(index_uid, {"primaryKey": "id"}),
                 lambda: client.index(index_uid).add_documents([{"id": 1}]),
                 lambda: client.create_index(index_uid),
                 lambda: client.index(index_uid).update_sortable_attributes(["id"])):
        info = call()
        wait_for_task(client, info)
        uids.append(info.task_uid)
        time.sleep(0.005)  # distinct enqueuedAt even with a coarse clock
    return index_uid, uids


def test_filter_by_index(node, four_tasks):
    uid, uids = four_tasks
    body = list_tasks(node, indexUids=uid)
    assert body["total"] == 4
    assert [t["uid"] for t in body["results"]] == uids[::-1]
    assert all(t["indexUid"] == uid for t in body["results"])
    assert body["limit"] == 20 and body["from"] == uids[-1] and body["next"] is None


def test_filter_by_status_type_and_uid(node, four_tasks):
    uid, uids = four_tasks
    assert [t["uid"] for t in list_tasks(node, indexUids=uid, statuses="failed")["results"]] \
        == [uids[2]]
    assert [t["uid"] for t in list_tasks(node, indexUids=uid,
                                         statuses="succeeded,failed")["results"]] == uids[::-1]
    assert list_tasks(node, indexUids=uid, statuses="enqueued,processing")["total"] == 0
    assert [t["uid"] for t in list_tasks(node, indexUids=uid, types="indexCreation")["results"]] \
        == [uids[2], uids[0]]
    got = list_tasks(node, indexUids=uid, types="indexCreation,documentAdditionOrUpdate")
    assert [t["uid"] for t in got["results"]] == [uids[2], uids[1], uids[0]]
    got = list_tasks(node, types="indexCreation", statuses="failed", indexUids=uid)
    assert [t["uid"] for t in got["results"]] == [uids[2]]
    got = list_tasks(node, uids=f"{uids[1]},{uids[3]}")
    assert [t["uid"] for t in got["results"]] == [uids[3], uids[1]]
    assert got["total"] == 2
    assert list_tasks(node, indexUids=uid, canceledBy="999999")["total"] == 0


def test_filter_by_dates(node, four_tasks):
    uid, uids = four_tasks
    tasks = {t["uid"]: t for t in list_tasks(node, indexUids=uid)["results"]}
    after = tasks[uids[1]]["enqueuedAt"]
    got = list_tasks(node, indexUids=uid, afterEnqueuedAt=after)
    assert [t["uid"] for t in got["results"]] == [uids[3], uids[2]]   # strictly after
    before = tasks[uids[2]]["enqueuedAt"]
    got = list_tasks(node, indexUids=uid, beforeEnqueuedAt=before)
    assert [t["uid"] for t in got["results"]] == [uids[1], uids[0]]   # strictly before
    got = list_tasks(node, indexUids=uid, afterFinishedAt=tasks[uids[0]]["finishedAt"],
                     beforeStartedAt=tasks[uids[3]]["startedAt"])
    assert [t["uid"] for t in got["results"]] == [uids[2], uids[1]]


def test_paging(node, four_tasks):
    uid, uids = four_tasks
    page = list_tasks(node, indexUids=uid, limit=2)
    assert [t["uid"] for t in page["results"]] == [uids[3], uids[2]]
    assert page["total"] == 4 and page["limit"] == 2
    assert page["from"] == uids[3] and page["next"] == uids[1]
    page = list_tasks(node, indexUids=uid, limit=2, **{"from": page["next"]})
    assert [t["uid"] for t in page["results"]] == [uids[1], uids[0]]
    assert page["from"] == uids[1] and page["next"] is None and page["total"] == 4
    page = list_tasks(node, indexUids=uid, limit=3, **{"from": uids[2]})
    assert [t["uid"] for t in page["results"]] == [uids[2], uids[1], uids[0]]
    empty = list_tasks(node, indexUids=uid, **{"from": uids[0] - 1})
    assert empty["results"] == [] and empty["from"] is None and empty["next"] is None


def test_paging_through_sdk(client, four_tasks):
    uid, uids = four_tasks
    res = client.get_tasks({"indexUids": [uid], "limit": 3})
    assert [t.uid for t in res.results] == uids[::-1][:3]
    assert res.total == 4 and res.next_ == uids[0]
    res = client.index(uid).get_tasks({"types": ["indexCreation"]})
    assert [t.uid for t in res.results] == [uids[2], uids[0]]


@pytest.mark.parametrize("query,code", [
    ("statuses=doggo", "invalid_task_statuses"),
    ("types=doggo", "invalid_task_types"),
    ("limit=doggo", "invalid_task_limit"),
    ("from=doggo", "invalid_task_from"),
    ("uids=doggo", "invalid_task_uids"),
    ("indexUids=the%20doggo", "invalid_index_uid"),
    ("afterEnqueuedAt=doggo", "invalid_task_after_enqueued_at"),
    ("doggo=1", "bad_request"),
])
def test_bad_task_filters(node, query, code):
    assert_error_response(node.http("GET", f"/tasks?{query}"), 400, code)


# ------------------------------------------------- cancel / delete (finished)


def test_cancel_and_delete_need_a_filter(node):
    assert_error_response(node.http("POST", "/tasks/cancel"), 400, "missing_task_filters")
    assert_error_response(node.http("DELETE", "/tasks"), 400, "missing_task_filters")
    assert_error_response(node.http("POST", "/tasks/cancel?statuses=doggo"), 400,
                          "invalid_task_statuses")


def test_cancel_finished_task_changes_nothing(node, client, index_uid):
    info = client.create_index(index_uid)
    api.succeeded(client, info)
    resp = node.http("POST", f"/tasks/cancel?uids={info.task_uid}")
    cancel = check_summary(resp, "taskCancelation", None, http_status=200)
    done = api.succeeded(node, cancel)
    assert done["indexUid"] is None
    assert done["details"] == {"matchedTasks": 1, "canceledTasks": 0,
                               "originalFilter": f"?uids={info.task_uid}"}
    original = client.get_task(info.task_uid)
    assert original.status == "succeeded" and original.canceled_by is None


def test_delete_finished_tasks(node, client, index_uid):
    first = client.create_index(index_uid)
    second = client.index(index_uid).add_documents([{"id": 1}])
    api.succeeded(client, second)
    query = f"uids={first.task_uid},{second.task_uid}"
    deletion = check_summary(node.http("DELETE", f"/tasks?{query}"), "taskDeletion", None,
                             http_status=200)
    done = api.succeeded(node, deletion)
    assert done["details"] == {"matchedTasks": 2, "deletedTasks": 2,
                               "originalFilter": f"?{query}"}
    for uid in (first.task_uid, second.task_uid):
        assert_error_response(node.http("GET", f"/tasks/{uid}"), 404, "task_not_found")
    assert list_tasks(node, indexUids=index_uid)["total"] == 0
    # The data the tasks produced stays.
    assert client.index(index_uid).get_document(1).id == 1


def test_delete_tasks_by_index_through_sdk(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1}])
    info = client.delete_tasks({"indexUids": [index_uid], "statuses": ["succeeded"]})
    assert info.type == "taskDeletion"
    done = api.succeeded(client, info)
    assert done["details"]["deletedTasks"] == done["details"]["matchedTasks"] == 2
    assert list_tasks(node, indexUids=index_uid)["total"] == 0
