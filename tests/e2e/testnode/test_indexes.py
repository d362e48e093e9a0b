"""Index routes: create, get, list, update primary key, delete, swap, errors."""

from __future__ import annotations

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response, assert_task_error
from harness import parse_timestamp_ns as parse_date


def assert_summarized(body: dict, type_: str, index_uid: str | None) -> None:
    assert set(body) == {"taskUid", "indexUid", "status", "type", "enqueuedAt"}, body
    assert isinstance(body["taskUid"], int)
    assert body["indexUid"] == index_uid
    assert body["status"] == "enqueued"
    assert body["type"] == type_
    parse_date(body["enqueuedAt"])


def test_create_index_without_primary_key(node, client, index_uid):
    resp = node.http("POST", "/indexes", json={"uid": index_uid})
    assert resp.status_code == 202
    assert_summarized(resp.json(), "indexCreation", index_uid)
    task = api.succeeded(node, resp.json())
    assert task["type"] == "indexCreation"
    assert task["indexUid"] == index_uid
    assert task["details"] == {"primaryKey": None}

    resp = node.http("GET", f"/indexes/{index_uid}")
    assert resp.status_code == 200
    info = resp.json()
    assert set(info) == {"uid", "primaryKey", "createdAt", "updatedAt"}
    assert info["uid"] == index_uid
    assert info["primaryKey"] is None
    assert info["createdAt"] == info["updatedAt"]
    parse_date(info["createdAt"])


def test_create_index_with_primary_key_through_sdk(client, index_uid):
    task = client.create_index(index_uid, {"primaryKey": "sku"})
    assert task.status == "enqueued" and task.type == "indexCreation"
    assert task.index_uid == index_uid
    done = api.succeeded(client, task)
    assert done["details"] == {"primaryKey": "sku"}
    index = client.get_index(index_uid)
    assert index.uid == index_uid
    assert index.primary_key == "sku"
    raw = client.get_raw_index(index_uid)
    assert raw["primaryKey"] == "sku"


def test_create_existing_index_fails_in_task(node, client, index_uid):
    api.create_index(client, index_uid, "id")
    resp = node.http("POST", "/indexes", json={"uid": index_uid, "primaryKey": "id"})
    assert resp.status_code == 202
    task = api.failed(node, resp.json())
    assert_task_error(task, "index_already_exists",
                      message=f"Index `{index_uid}` already exists.")


def test_get_missing_index(node, client, index_uid):
    assert_error_response(node.http("GET", f"/indexes/{index_uid}"), 404, "index_not_found",
                          message=f"Index `{index_uid}` not found.")
    with pytest.raises(MeilisearchApiError) as err:
        client.get_index(index_uid)
    assert_api_error(err.value, 404, "index_not_found")


def test_list_indexes_sorted_and_paginated(node, client, uid_factory):
    uids = [uid_factory(s) for s in ("c", "a", "b")]
    for uid, pk in zip(uids, ("id", None, "sku")):
        api.create_index(client, uid, pk)

    default = node.http("GET", "/indexes").json()
    assert set(default) == {"results", "offset", "limit", "total"}
    assert default["offset"] == 0 and default["limit"] == 20

    full = node.http("GET", "/indexes", params={"limit": 10000}).json()
    listed = [entry["uid"] for entry in full["results"]]
    assert full["total"] == len(listed)
    assert listed == sorted(listed)
    by_uid = {entry["uid"]: entry for entry in full["results"]}
    for uid, pk in zip(uids, ("id", None, "sku")):
        assert by_uid[uid]["primaryKey"] == pk
        assert set(by_uid[uid]) == {"uid", "primaryKey", "createdAt", "updatedAt"}

    start = listed.index(sorted(uids)[0])
    page = node.http("GET", "/indexes", params={"offset": start, "limit": 2}).json()
    assert page["offset"] == start and page["limit"] == 2 and page["total"] == len(listed)
    assert [e["uid"] for e in page["results"]] == listed[start:start + 2]

    beyond = node.http("GET", "/indexes", params={"offset": len(listed) + 5, "limit": 2}).json()
    assert beyond["results"] == [] and beyond["total"] == len(listed)

    sdk = client.get_indexes({"offset": start, "limit": 3})
    assert [i.uid for i in sdk["results"]] == listed[start:start + 3]
    assert sdk["total"] == len(listed)


def test_list_indexes_bad_parameters(node):
    assert_error_response(node.http("GET", "/indexes", params={"offset": "doggo"}), 400,
                          "invalid_index_offset")
    assert_error_response(node.http("GET", "/indexes", params={"limit": "doggo"}), 400,
                          "invalid_index_limit")
    assert_error_response(node.http("GET", "/indexes", params={"doggo": "x"}), 400,
                          "bad_request")


def test_update_primary_key_of_empty_index(node, client, index_uid):
    api.create_index(client, index_uid)
    resp = node.http("PATCH", f"/indexes/{index_uid}", json={"primaryKey": "sku"})
    assert resp.status_code == 202
    assert_summarized(resp.json(), "indexUpdate", index_uid)
    task = api.succeeded(node, resp.json())
    assert task["details"]["primaryKey"] == "sku"
    assert client.get_index(index_uid).primary_key == "sku"

    # Still empty: the primary key may change again.
    api.succeeded(client, client.index(index_uid).update(primary_key="ref"))
    info = node.http("GET", f"/indexes/{index_uid}").json()
    assert info["primaryKey"] == "ref"
    assert parse_date(info["updatedAt"]) >= parse_date(info["createdAt"])


def test_update_primary_key_with_documents_fails(client, index_uid):
    api.make_index(client, index_uid, [{"id": 1, "name": "a"}])
    task = api.failed(client, client.index(index_uid).update(primary_key="name"))
    assert_task_error(task, "index_primary_key_already_exists",
                      message=f"Index `{index_uid}`: Index already has a primary key: `id`.")
    assert client.get_index(index_uid).primary_key == "id"
    # Setting the primary key it already has is fine.
    api.succeeded(client, client.index(index_uid).update(primary_key="id"))


def test_update_missing_index_fails(client, index_uid):
    task = api.failed(client, client.index(index_uid).update(primary_key="id"))
    assert_task_error(task, "index_not_found", message=f"Index `{index_uid}` not found.")


def test_delete_index(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1}, {"id": 2}])
    resp = node.http("DELETE", f"/indexes/{index_uid}")
    assert resp.status_code == 202
    assert_summarized(resp.json(), "indexDeletion", index_uid)
    task = api.succeeded(node, resp.json())
    assert task["details"] == {"deletedDocuments": 2}
    assert_error_response(node.http("GET", f"/indexes/{index_uid}"), 404, "index_not_found")
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/documents"), 404,
                          "index_not_found")


def test_delete_missing_index_fails_in_task(client, index_uid):
    task = api.failed(client, client.delete_index(index_uid))
    assert_task_error(task, "index_not_found", message=f"Index `{index_uid}` not found.")


def test_swap_indexes(node, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.make_index(client, a, [{"id": 1, "side": "a"}], primary_key="id")
    api.make_index(client, b, [{"ref": "x", "side": "b"}, {"ref": "y", "side": "b"}],
                   primary_key="ref")
    resp = node.http("POST", "/swap-indexes", json=[{"indexes": [a, b]}])
    assert resp.status_code == 202
    assert_summarized(resp.json(), "indexSwap", None)
    task = api.succeeded(node, resp.json())
    assert task["details"]["swaps"][0]["indexes"] == [a, b]

    assert client.get_index(a).primary_key == "ref"
    assert client.get_index(b).primary_key == "id"
    assert sorted(d["ref"] for d in api.all_documents(client, a)) == ["x", "y"]
    assert api.all_documents(client, b) == [{"id": 1, "side": "a"}]


def test_swap_indexes_through_sdk(client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.make_index(client, a, [{"id": 1, "side": "a"}])
    api.make_index(client, b, [{"id": 1, "side": "b"}])
    task = client.swap_indexes([{"indexes": [a, b]}])
    assert task.type == "indexSwap"
    api.succeeded(client, task)
    assert client.index(a).get_document(1).side == "b"
    assert client.index(b).get_document(1).side == "a"


def test_swap_missing_indexes_fails_in_task(client, uid_factory):
    existing, missing = uid_factory("here"), uid_factory("gone")
    api.create_index(client, existing)
    task = api.failed(client, client.swap_indexes([{"indexes": [existing, missing]}]))
    assert_task_error(task, "index_not_found")


def test_swap_rename_must_be_a_boolean(node, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.make_index(client, a, [{"id": 1, "side": "a"}])
    api.make_index(client, b, [{"id": 1, "side": "b"}])
    resp = node.http("POST", "/swap-indexes", json=[{"indexes": [a, b], "rename": "yes"}])
    assert_error_response(resp, 400, "invalid_swap_rename", message=(
        'Invalid value type at `[0].rename`: expected a boolean, but found a string: `"yes"`'))
    assert client.index(a).get_document(1).side == "a"


@pytest.mark.parametrize("bad", ["the best doggo", "doggo!", "a/b", "é"])
def test_invalid_index_uid(node, bad):
    assert_error_response(node.http("POST", "/indexes", json={"uid": bad}), 400,
                          "invalid_index_uid")


def test_invalid_index_uid_in_path(node):
    assert_error_response(node.http("GET", "/indexes/the%20good%20doggo"), 400,
                          "invalid_index_uid")


def test_invalid_index_uid_through_sdk(client):
    with pytest.raises(MeilisearchApiError) as err:
        client.create_index("bad uid!")
    assert_api_error(err.value, 400, "invalid_index_uid")


def test_create_index_bad_bodies(node):
    assert_error_response(node.http("POST", "/indexes", json={"primaryKey": "id"}), 400,
                          "missing_index_uid", message="Missing field `uid`")
    assert_error_response(node.http("POST", "/indexes", json={"uid": "x", "doggo": 1}), 400,
                          "bad_request")
    assert_error_response(node.http("POST", "/indexes", json={"uid": "x", "primaryKey": ["a"]}),
                          400, "invalid_index_primary_key")
