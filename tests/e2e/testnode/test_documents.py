"""Document routes: formats, primary keys, fetching, deleting, payload errors."""

from __future__ import annotations

import json

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response, assert_task_error

ACCEPTED_TYPES = "`application/json`, `application/x-ndjson`, `text/csv`"


def docs_by_id(client, uid, key="id") -> dict:
    return {d[key]: d for d in api.all_documents(client, uid)}


def task_count(node, uid) -> int:
    return node.http("GET", "/tasks", params={"indexUids": uid}).json()["total"]


# ------------------------------------------------------------------ adding


def test_add_json_documents(node, client, index_uid):
    docs = [{"id": 1, "title": "Carol", "tags": ["a", "b"], "nested": {"x": 1}},
            {"id": 2, "title": "Wonder Woman", "price": 9.5}]
    resp = node.http("POST", f"/indexes/{index_uid}/documents", json=docs)
    assert resp.status_code == 202
    body = resp.json()
    assert set(body) == {"taskUid", "indexUid", "status", "type", "enqueuedAt"}
    assert body["indexUid"] == index_uid and body["status"] == "enqueued"
    assert body["type"] == "documentAdditionOrUpdate"
    task = api.succeeded(node, body)
    assert task["details"] == {"receivedDocuments": 2, "indexedDocuments": 2}
    # The index was created on the fly and the primary key inferred.
    assert client.get_index(index_uid).primary_key == "id"
    assert docs_by_id(client, index_uid) == {1: docs[0], 2: docs[1]}


def test_add_single_object(node, client, index_uid):
    resp = node.http("POST", f"/indexes/{index_uid}/documents", json={"id": 7, "t": "one"})
    assert resp.status_code == 202
    api.succeeded(node, resp.json())
    assert api.all_documents(client, index_uid) == [{"id": 7, "t": "one"}]


def test_post_replaces_whole_document(client, index_uid):
    api.add_documents(client, index_uid, [{"id": 1, "a": 1, "b": 1}])
    api.add_documents(client, index_uid, [{"id": 1, "b": 2}])
    assert api.all_documents(client, index_uid) == [{"id": 1, "b": 2}]


def test_put_merges_fields(node, client, index_uid):
    api.add_documents(client, index_uid, [{"id": 1, "a": 1, "b": 1}, {"id": 2, "a": 2}])
    task = client.index(index_uid).update_documents([{"id": 1, "b": 2, "c": 3}, {"id": 3, "a": 3}])
    assert task.type == "documentAdditionOrUpdate"
    done = api.succeeded(client, task)
    assert done["details"] == {"receivedDocuments": 2, "indexedDocuments": 2}
    assert docs_by_id(client, index_uid) == {
        1: {"id": 1, "a": 1, "b": 2, "c": 3},
        2: {"id": 2, "a": 2},
        3: {"id": 3, "a": 3},
    }
    resp = node.http("PUT", f"/indexes/{index_uid}/documents", json=[{"id": 2, "z": None}])
    assert resp.status_code == 202
    api.succeeded(node, resp.json())
    assert client.index(index_uid).get_document(2).__dict__ == {"id": 2, "a": 2, "z": None}


def test_integer_and_string_ids_are_the_same_document(client, index_uid):
    api.add_documents(client, index_uid, [{"id": 1, "v": "int"}])
    api.add_documents(client, index_uid, [{"id": "1", "v": "str"}])
    assert api.all_documents(client, index_uid) == [{"id": "1", "v": "str"}]
    assert client.index(index_uid).get_stats().number_of_documents == 1


def test_add_and_update_ndjson(client, index_uid):
    payload = b'{"id": 1, "title": "one"}\n{"id": 2, "title": "two", "n": 2}\n'
    task = client.index(index_uid).add_documents_ndjson(payload)
    done = api.succeeded(client, task)
    assert done["details"]["receivedDocuments"] == 2
    update = b'{"id": 2, "extra": true}\n{"id": 3, "title": "three"}'
    api.succeeded(client, client.index(index_uid).update_documents_ndjson(update))
    assert docs_by_id(client, index_uid) == {
        1: {"id": 1, "title": "one"},
        2: {"id": 2, "title": "two", "n": 2, "extra": True},
        3: {"id": 3, "title": "three"},
    }


def test_add_csv_with_typed_headers(client, index_uid):
    csv = (b"id,title,price:number,available:boolean,note:string\n"
           b"1,Alpha,10,true,x\n"
           b"2,\"Beta, the second\",2.5,false,\n")
    done = api.succeeded(client, client.index(index_uid).add_documents_csv(csv))
    assert done["details"] == {"receivedDocuments": 2, "indexedDocuments": 2}
    # Untyped columns are strings (so the inferred primary key holds strings);
    # typed ones are parsed; an empty cell is null.
    assert docs_by_id(client, index_uid) == {
        "1": {"id": "1", "title": "Alpha", "price": 10, "available": True, "note": "x"},
        "2": {"id": "2", "title": "Beta, the second", "price": 2.5, "available": False,
              "note": None},
    }


def test_update_csv_merges(client, index_uid):
    api.succeeded(client, client.index(index_uid).add_documents_csv(
        b"id:number,title\n1,Alpha\n2,Beta\n"))
    api.succeeded(client, client.index(index_uid).update_documents_csv(
        b"id:number,color\n1,red\n"))
    assert docs_by_id(client, index_uid) == {
        1: {"id": 1, "title": "Alpha", "color": "red"},
        2: {"id": 2, "title": "Beta"},
    }


def test_csv_custom_delimiter(client, index_uid):
    task = client.index(index_uid).add_documents_csv(b"id;name\n1;a\n2;b\n", csv_delimiter=";")
    api.succeeded(client, task)
    assert docs_by_id(client, index_uid) == {"1": {"id": "1", "name": "a"},
                                              "2": {"id": "2", "name": "b"}}


# ------------------------------------------------------------ primary keys


def test_primary_key_query_parameter(client, index_uid):
    docs = [{"sku": "a-1", "id_like": "x", "name": "first"}]
    api.succeeded(client, client.index(index_uid).add_documents(docs, primary_key="sku"))
    assert client.get_index(index_uid).primary_key == "sku"
    assert client.index(index_uid).get_document("a-1").name == "first"


def test_primary_key_inferred_from_single_candidate(client, index_uid):
    api.add_documents(client, index_uid, [{"product_id": "p1", "title": "x"}])
    assert client.get_index(index_uid).primary_key == "product_id"


def test_primary_key_inference_without_candidate_fails(client, index_uid):
    task = api.failed(client, client.index(index_uid).add_documents([{"title": "x", "d": 1}]))
    assert task["details"] == {"receivedDocuments": 1, "indexedDocuments": 0}
    assert_task_error(
        task, "index_primary_key_no_candidate_found",
        message="The primary key inference failed as the engine did not find any field ending "
                "with `id` in its name. Please specify the primary key manually using the "
                "`primaryKey` query parameter.")


def test_primary_key_inference_with_several_candidates_fails(client, index_uid):
    docs = [{"primary_id": "1", "object_id": "2", "id": "3", "title": "x"}]
    task = api.failed(client, client.index(index_uid).add_documents(docs))
    assert_task_error(task, "index_primary_key_multiple_candidates_found")


@pytest.mark.parametrize("bad_id", ["foo & bar", "a" * 600, 1.5, True, ["x"]])
def test_invalid_document_id_fails_the_task(client, index_uid, bad_id):
    api.create_index(client, index_uid, "id")
    task = api.failed(client, client.index(index_uid).add_documents(
        [{"id": "good", "t": 1}, {"id": bad_id, "t": 2}]))
    assert_task_error(task, "invalid_document_id")
    # The whole batch is refused.
    assert api.all_documents(client, index_uid) == []


def test_invalid_document_id_message(client, index_uid):
    api.create_index(client, index_uid, "id")
    task = api.failed(client, client.index(index_uid).add_documents([{"id": "foo & bar"}]))
    assert_task_error(
        task, "invalid_document_id",
        message="Document identifier `\"foo & bar\"` is invalid. A document identifier can be "
                "of type integer or string, only composed of alphanumeric characters "
                "(a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than "
                "511 bytes.")


def test_document_without_primary_key_fails(client, index_uid):
    api.create_index(client, index_uid, "id")
    task = api.failed(client, client.index(index_uid).add_documents([{"name": "no id"}]))
    assert_task_error(task, "missing_document_id")


# ------------------------------------------------------------- fetching


@pytest.fixture
def colors(client, index_uid):
    docs = [
        {"id": 1, "title": "one", "color": "blue", "nested": {"content": "foo", "n": 1}},
        {"id": 2, "title": "two", "color": "red"},
        {"id": 3, "title": "three", "color": "blue"},
        {"id": 4, "title": "four", "color": "green"},
        {"id": 5, "title": "five"},
    ]
    api.make_index(client, index_uid, docs, settings={"filterableAttributes": ["color"]})
    return index_uid, docs


def test_get_one_document(node, client, colors):
    uid, docs = colors
    assert client.index(uid).get_document(1).__dict__ == docs[0]
    resp = node.http("GET", f"/indexes/{uid}/documents/1")
    assert resp.status_code == 200 and resp.json() == docs[0]
    assert node.http("GET", f"/indexes/{uid}/documents/1",
                     params={"fields": "title,color"}).json() == {"title": "one", "color": "blue"}
    assert client.index(uid).get_document(1, {"fields": ["id"]}).__dict__ == {"id": 1}
    assert node.http("GET", f"/indexes/{uid}/documents/1",
                     params={"fields": "nested.content"}).json() == {"nested": {"content": "foo"}}


def test_document_not_found(node, client, colors):
    uid, _ = colors
    assert_error_response(node.http("GET", f"/indexes/{uid}/documents/999"), 404,
                          "document_not_found", message="Document `999` not found.")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(uid).get_document(999)
    assert_api_error(err.value, 404, "document_not_found")


def test_documents_of_missing_index(node, index_uid):
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/documents"), 404,
                          "index_not_found")
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/documents/1"), 404,
                          "index_not_found")


def test_list_documents_get(node, colors):
    uid, docs = colors
    resp = node.http("GET", f"/indexes/{uid}/documents")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"results", "offset", "limit", "total"}
    assert body["offset"] == 0 and body["limit"] == 20 and body["total"] == 5
    assert sorted(body["results"], key=lambda d: d["id"]) == docs

    seen = []
    for offset in range(0, 5, 2):
        page = node.http("GET", f"/indexes/{uid}/documents",
                         params={"offset": offset, "limit": 2}).json()
        assert page["offset"] == offset and page["limit"] == 2 and page["total"] == 5
        assert len(page["results"]) == min(2, 5 - offset)
        seen += [d["id"] for d in page["results"]]
    assert sorted(seen) == [1, 2, 3, 4, 5]

    fields = node.http("GET", f"/indexes/{uid}/documents",
                       params={"fields": "title,color"}).json()["results"]
    assert sorted(fields, key=lambda d: d["title"]) == sorted(
        [{k: v for k, v in d.items() if k in ("title", "color")} for d in docs],
        key=lambda d: d["title"])


def test_list_documents_get_with_filter(node, colors):
    uid, _ = colors
    body = node.http("GET", f"/indexes/{uid}/documents",
                     params={"filter": "color = blue"}).json()
    assert body["total"] == 2
    assert sorted(d["id"] for d in body["results"]) == [1, 3]
    body = node.http("GET", f"/indexes/{uid}/documents",
                     params={"filter": "color != blue", "fields": "id", "limit": 10}).json()
    assert body["total"] == 3
    assert sorted(d["id"] for d in body["results"]) == [2, 4, 5]
    assert all(set(d) == {"id"} for d in body["results"])


def test_fetch_documents_post(node, client, colors):
    uid, docs = colors
    page = client.index(uid).get_documents({"offset": 1, "limit": 2})
    assert page.offset == 1 and page.limit == 2 and page.total == 5
    assert len(page.results) == 2

    resp = node.http("POST", f"/indexes/{uid}/documents/fetch",
                     json={"filter": "color = blue OR color = green", "fields": ["id", "color"]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 3 and body["offset"] == 0 and body["limit"] == 20
    assert sorted(body["results"], key=lambda d: d["id"]) == [
        {"id": 1, "color": "blue"}, {"id": 3, "color": "blue"}, {"id": 4, "color": "green"}]

    sdk = client.index(uid).get_documents({"filter": "color = red"})
    assert [dict(d) for d in sdk.results] == [docs[1]]


def test_fetch_documents_filter_errors(node, colors):
    uid, _ = colors
    assert_error_response(node.http("GET", f"/indexes/{uid}/documents",
                                    params={"filter": "title = one"}),
                          400, "invalid_document_filter")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/fetch",
                                    json={"filter": "title = one"}),
                          400, "invalid_document_filter")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/fetch",
                                    json={"filter": "cool doggo"}),
                          400, "invalid_document_filter")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/fetch",
                                    json={"limit": "doggo"}),
                          400, "invalid_document_limit")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/fetch",
                                    json={"offset": "doggo"}),
                          400, "invalid_document_offset")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/fetch",
                                    json={"fields": "doggo"}),
                          400, "invalid_document_fields")


def test_fetch_documents_sorted(node, client, index_uid):
    docs = [{"id": 1, "p": 3}, {"id": 2}, {"id": 3, "p": 1}, {"id": 4, "p": 2}]
    api.make_index(client, index_uid, docs, settings={"sortableAttributes": ["p"]})
    body = node.http("POST", f"/indexes/{index_uid}/documents/fetch",
                     json={"sort": ["p:asc"]}).json()
    # Documents without the sort field come after the others.
    assert [d["id"] for d in body["results"]] == [3, 4, 1, 2]
    body = node.http("GET", f"/indexes/{index_uid}/documents",
                     params={"sort": "p:desc", "limit": 2, "offset": 1}).json()
    assert [d["id"] for d in body["results"]] == [4, 3] and body["total"] == 4
    assert_error_response(node.http("POST", f"/indexes/{index_uid}/documents/fetch",
                                    json={"sort": ["id:asc"]}),
                          400, "invalid_document_sort")


# ------------------------------------------------------------- deleting


def test_delete_one_document(node, client, colors):
    uid, _ = colors
    resp = node.http("DELETE", f"/indexes/{uid}/documents/2")
    assert resp.status_code == 202
    body = resp.json()
    assert body["type"] == "documentDeletion" and body["indexUid"] == uid
    task = api.succeeded(node, body)
    assert task["details"] == {"providedIds": 1, "deletedDocuments": 1, "originalFilter": None}
    assert_error_response(node.http("GET", f"/indexes/{uid}/documents/2"), 404,
                          "document_not_found")
    # Deleting a missing document succeeds and deletes nothing.
    task = api.succeeded(client, client.index(uid).delete_document(42))
    assert task["details"]["deletedDocuments"] == 0


def test_delete_documents_batch(node, client, colors):
    uid, _ = colors
    resp = node.http("POST", f"/indexes/{uid}/documents/delete-batch", json=[1, "3", 99])
    assert resp.status_code == 202
    task = api.succeeded(node, resp.json())
    assert task["type"] == "documentDeletion"
    assert task["details"] == {"providedIds": 3, "deletedDocuments": 2, "originalFilter": None}
    assert sorted(docs_by_id(client, uid)) == [2, 4, 5]


def test_delete_documents_by_filter(node, client, colors):
    uid, _ = colors
    resp = node.http("POST", f"/indexes/{uid}/documents/delete", json={"filter": "color = blue"})
    assert resp.status_code == 202
    assert resp.json()["type"] == "documentDeletion"
    task = api.succeeded(node, resp.json())
    assert task["details"] == {"providedIds": 0, "deletedDocuments": 2,
                               "originalFilter": "\"color = blue\""}
    assert sorted(docs_by_id(client, uid)) == [2, 4, 5]

    api.succeeded(client, client.index(uid).delete_documents(filter=["color = red"]))
    assert sorted(docs_by_id(client, uid)) == [4, 5]


def test_delete_by_filter_requires_filterable_attribute(node, client, colors):
    uid, _ = colors
    # Well-formed but on a non-filterable attribute: the task fails.
    task = api.failed(client, client.index(uid).delete_documents(filter="title = one"))
    assert_task_error(task, "invalid_document_filter")
    assert task["details"]["deletedDocuments"] == 0
    assert len(docs_by_id(client, uid)) == 5
    # Malformed filter or no filter: refused synchronously.
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/delete",
                                    json={"filter": "cool doggo"}),
                          400, "invalid_document_filter")
    assert_error_response(node.http("POST", f"/indexes/{uid}/documents/delete", json={}),
                          400, "missing_document_filter")


def test_delete_all_documents(node, client, colors):
    uid, _ = colors
    resp = node.http("DELETE", f"/indexes/{uid}/documents")
    assert resp.status_code == 202
    assert resp.json()["type"] == "documentDeletion"
    task = api.succeeded(node, resp.json())
    assert task["details"] == {"deletedDocuments": 5}
    assert client.index(uid).get_documents().total == 0
    # The index and its primary key survive.
    assert client.get_index(uid).primary_key == "id"


# --------------------------------------------------------- payload errors


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_malformed_json_is_rejected_synchronously(node, index_uid, method):
    resp = node.http(method, f"/indexes/{index_uid}/documents",
                     data=b'[{"id": 1}, {id: 2}]', headers={"Content-Type": "application/json"})
    assert_error_response(resp, 400, "malformed_payload")
    assert task_count(node, index_uid) == 0
    assert_error_response(node.http("GET", f"/indexes/{index_uid}"), 404, "index_not_found")


@pytest.mark.parametrize("content_type,payload", [
    ("application/json", b'"just a string"'),
    ("application/json", b"[1, 2, 3]"),
    ("application/x-ndjson", b'{"id": 1}\n{id: 2}'),
    ("text/csv", b"id,content\n1,hello,world\n2,hello"),
    ("text/csv", b"id,price:number\n1,doggo\n"),
])
def test_malformed_payloads(node, index_uid, content_type, payload):
    resp = node.http("POST", f"/indexes/{index_uid}/documents", data=payload,
                     headers={"Content-Type": content_type})
    assert_error_response(resp, 400, "malformed_payload")
    assert task_count(node, index_uid) == 0


def test_malformed_json_through_sdk(client, index_uid):
    with pytest.raises(MeilisearchApiError) as err:
        client.index(index_uid).add_documents_json(b'[{"id": 1,}]')
    assert_api_error(err.value, 400, "malformed_payload")


@pytest.mark.parametrize("content_type,name", [
    ("application/json", "json"), ("application/x-ndjson", "ndjson"), ("text/csv", "csv")])
def test_missing_payload(node, index_uid, content_type, name):
    resp = node.http("POST", f"/indexes/{index_uid}/documents", data=b"",
                     headers={"Content-Type": content_type})
    assert_error_response(resp, 400, "missing_payload", message=f"A {name} payload is missing.")


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_wrong_content_type(node, index_uid, method):
    resp = node.http(method, f"/indexes/{index_uid}/documents", data=b'[{"id": 1}]',
                     headers={"Content-Type": "text/plain"})
    assert_error_response(
        resp, 415, "invalid_content_type",
        message="The Content-Type `text/plain` is invalid. Accepted values for the "
                f"Content-Type header are: {ACCEPTED_TYPES}")


def test_missing_content_type(node, index_uid):
    resp = node.http("POST", f"/indexes/{index_uid}/documents", data=b'[{"id": 1}]')
    assert_error_response(
        resp, 415, "missing_content_type",
        message="A Content-Type header is missing. Accepted values for the Content-Type "
                f"header are: {ACCEPTED_TYPES}")


def test_json_with_charset_is_accepted(node, client, index_uid):
    resp = node.http("POST", f"/indexes/{index_uid}/documents",
                     data=json.dumps([{"id": 1, "t": "é"}]).encode(),
                     headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 202, resp.text
    api.succeeded(node, resp.json())
    assert api.all_documents(client, index_uid) == [{"id": 1, "t": "é"}]
