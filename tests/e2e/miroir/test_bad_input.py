"""Bad input through Miroir: the errors a Meilisearch gives (or Miroir documents),
and afterwards nothing has changed on any node — checked on the nodes directly
(documents, ids, counts, settings, index lists)."""

from __future__ import annotations

import json

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import (
    RESERVED_FIELDS,
    api,
    assert_api_error,
    assert_error_response,
    assert_task_error,
)

from .common import task_total

UID = "small"
ACCEPTED_TYPES = "`application/json`, `application/x-ndjson`, `text/csv`"
MISSING_HEADER = ("The Authorization header is missing. It must use the bearer authorization "
                  "method.")
INVALID_KEY = "The provided API key is invalid."


@pytest.fixture
def unchanged(cluster, small_dataset):
    """Snapshot of every node before the test; call it after to assert nothing changed,
    including the number of tasks Miroir knows (a refused request enqueues none)."""
    before = cluster.snapshot([UID], documents=True)
    tasks_before = task_total(cluster)

    def check(*, tasks: bool = True, index_list: bool = True) -> None:
        after = cluster.snapshot([UID], documents=True)
        if not index_list:
            for snap in (before, after):
                for per_node in snap.values():
                    per_node.pop("indexes", None)
        assert after == before, "a node changed"
        if tasks:
            assert task_total(cluster) == tasks_before, "a task was enqueued"

    return check


def post_docs(cluster, payload: bytes, content_type: str, method: str = "POST",
              uid: str = UID, **kwargs):
    return cluster.http(method, f"/indexes/{uid}/documents", data=payload,
                        headers={"Content-Type": content_type}, **kwargs)


# ------------------------------------------------------------ payloads


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("content_type,payload", [
    ("application/json", b'[{"id": 1}, {id: 2}]'),
    ("application/json", b'[{"id": 1, "title": "x"'),
    ("application/json", b'"just a string"'),
    ("application/json", b"[1, 2, 3]"),
    ("application/x-ndjson", b'{"id": 1}\n{id: 2}'),
    ("application/x-ndjson", b'{"id": 1}\n[{"id": 2}]'),
    ("text/csv", b"id,content\n1,hello,world\n2,hello"),
    ("text/csv", b"id,price:number\n1,doggo\n"),
], ids=["json-syntax", "json-truncated", "json-string", "json-numbers", "ndjson-syntax",
        "ndjson-array", "csv-columns", "csv-type"])
def test_malformed_payload(cluster, unchanged, method, content_type, payload):
    resp = post_docs(cluster, payload, content_type, method)
    assert_error_response(resp, 400, "malformed_payload")
    unchanged()


def test_malformed_payload_on_a_new_index_creates_nothing(cluster, unchanged, uid_factory):
    uid = uid_factory()
    resp = post_docs(cluster, b'[{"id": 1}, {id: 2}]', "application/json", uid=uid)
    assert_error_response(resp, 400, "malformed_payload")
    assert_error_response(cluster.http("GET", f"/indexes/{uid}"), 404, "index_not_found")
    unchanged()


def test_malformed_payload_through_sdk(client, unchanged):
    with pytest.raises(MeilisearchApiError) as err:
        client.index(UID).add_documents_json(b'[{"id": 1,}]')
    assert_api_error(err.value, 400, "malformed_payload")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(UID).add_documents_ndjson(b'{"id": 1}\n{"id": }')
    assert_api_error(err.value, 400, "malformed_payload")
    unchanged()


@pytest.mark.parametrize("content_type,name", [
    ("application/json", "json"), ("application/x-ndjson", "ndjson"), ("text/csv", "csv")])
def test_missing_payload(cluster, unchanged, content_type, name):
    resp = post_docs(cluster, b"", content_type)
    assert_error_response(resp, 400, "missing_payload", message=f"A {name} payload is missing.")
    unchanged()


def test_wrong_content_type(cluster, unchanged):
    resp = post_docs(cluster, b'[{"id": 1}]', "text/plain")
    assert_error_response(
        resp, 415, "invalid_content_type",
        message="The Content-Type `text/plain` is invalid. Accepted values for the "
                f"Content-Type header are: {ACCEPTED_TYPES}")
    unchanged()


# ------------------------------------------------------- primary keys and ids


def _node_doc_counts(cluster, uid):
    return {nid: cluster.node_document_count(nid, uid) for nid in cluster.live_nodes()}


def test_no_primary_key_candidate_fails_the_task(cluster, client, unchanged, uid_factory):
    uid = uid_factory()
    task = api.failed(client, client.index(uid).add_documents([{"title": "x", "d": 1}]))
    assert task["type"] == "documentAdditionOrUpdate"
    assert task["details"] == {"receivedDocuments": 1, "indexedDocuments": 0}
    assert_task_error(
        task, "index_primary_key_no_candidate_found",
        message="The primary key inference failed as the engine did not find any field ending "
                "with `id` in its name. Please specify the primary key manually using the "
                "`primaryKey` query parameter.")
    assert set(_node_doc_counts(cluster, uid).values()) == {0}
    unchanged(tasks=False, index_list=False)


def test_several_primary_key_candidates_fail_the_task(cluster, client, unchanged, uid_factory):
    uid = uid_factory()
    docs = [{"primary_id": "1", "object_id": "2", "id": "3", "title": "x"},
            {"primary_id": "4", "object_id": "5", "id": "6", "title": "y"}]
    task = api.failed(client, client.index(uid).add_documents(docs))
    assert task["details"] == {"receivedDocuments": 2, "indexedDocuments": 0}
    assert_task_error(task, "index_primary_key_multiple_candidates_found")
    assert set(_node_doc_counts(cluster, uid).values()) == {0}
    unchanged(tasks=False, index_list=False)


@pytest.mark.parametrize("bad_id", ["foo & bar", "a" * 600, 1.5, True, ["x"], {"k": 1}])
def test_invalid_document_id_refuses_the_whole_batch(client, unchanged, bad_id):
    docs = [{"id": 50_000 + i, "title": "good"} for i in range(20)]
    docs.insert(7, {"id": bad_id, "title": "bad"})
    task = api.failed(client, client.index(UID).add_documents(docs))
    assert_task_error(task, "invalid_document_id")
    assert task["details"] == {"receivedDocuments": 21, "indexedDocuments": 0}
    unchanged(tasks=False)


def test_document_without_primary_key_refuses_the_whole_batch(client, unchanged):
    docs = [{"id": 60_000 + i, "title": "good"} for i in range(20)] + [{"title": "no id"}]
    task = api.failed(client, client.index(UID).add_documents(docs))
    assert_task_error(task, "missing_document_id")
    unchanged(tasks=False)


# ------------------------------------------------------------ reserved fields


def _payload(fmt: str, docs: list[dict]) -> tuple[bytes, str]:
    if fmt == "json":
        return json.dumps(docs).encode(), "application/json"
    if fmt == "ndjson":
        return "\n".join(json.dumps(d) for d in docs).encode(), "application/x-ndjson"
    columns = list(dict.fromkeys(k for d in docs for k in d))
    lines = [",".join(columns)] + [",".join(str(d.get(c, "")) for c in columns) for d in docs]
    return "\n".join(lines).encode(), "text/csv"


@pytest.mark.parametrize("field", RESERVED_FIELDS)
@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_reserved_field_is_refused(cluster, unchanged, field, fmt, method):
    docs = [{"id": 70_000 + i, "title": "fine"} for i in range(30)]
    docs.append({"id": 70_100, "title": "sneaky", field: 3})
    payload, content_type = _payload(fmt, docs)
    resp = post_docs(cluster, payload, content_type, method)
    assert_error_response(resp, 400, "miroir_reserved_field")
    unchanged()


def test_reserved_field_through_sdk(client, unchanged):
    with pytest.raises(MeilisearchApiError) as err:
        client.index(UID).add_documents([{"id": 1, "_miroir_shard": 0, "title": "x"}])
    assert_api_error(err.value, 400, "miroir_reserved_field")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(UID).update_documents([{"id": 2, "_miroir_digest": "abc"}])
    assert_api_error(err.value, 400, "miroir_reserved_field")
    unchanged()


# -------------------------------------------------------------------- auth


WRITES = [
    ("POST", f"/indexes/{UID}/documents", [{"id": 1, "title": "overwritten"}]),
    ("PUT", f"/indexes/{UID}/documents", [{"id": 2, "title": "overwritten"}]),
    ("DELETE", f"/indexes/{UID}/documents", None),
    ("POST", f"/indexes/{UID}/documents/delete-batch", [1, 2, 3]),
    ("POST", f"/indexes/{UID}/documents/delete", {"filter": "color = red"}),
    ("DELETE", f"/indexes/{UID}/documents/5", None),
    ("PATCH", f"/indexes/{UID}/settings", {"filterableAttributes": []}),
    ("DELETE", f"/indexes/{UID}/settings", None),
    ("PATCH", f"/indexes/{UID}", {"primaryKey": "title"}),
    ("DELETE", f"/indexes/{UID}", None),
    ("POST", "/indexes", {"uid": "intruder"}),
    ("POST", f"/indexes/{UID}/search", {"q": ""}),
    ("GET", f"/indexes/{UID}/documents", None),
]


@pytest.mark.parametrize("method,path,body", WRITES,
                         ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_wrong_key_and_no_key(cluster, unchanged, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert_error_response(cluster.http(method, path, key="not-the-key", **kwargs),
                          403, "invalid_api_key", "auth", INVALID_KEY)
    assert_error_response(cluster.http(method, path, key=None, **kwargs),
                          401, "missing_authorization_header", "auth", MISSING_HEADER)
    unchanged()


def test_wrong_key_through_sdk(cluster, unchanged):
    bad = cluster.client(api_key="definitely-wrong")
    with pytest.raises(MeilisearchApiError) as err:
        bad.index(UID).add_documents([{"id": 1, "title": "nope"}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth", INVALID_KEY)
    with pytest.raises(MeilisearchApiError) as err:
        bad.index(UID).search("golf")
    # (the SDK appends a version hint to the message of a failed search call)
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    assert err.value.message.startswith(INVALID_KEY)
    unchanged()


def test_search_key_cannot_write(cluster, client, unchanged):
    search_key = next(k for k in client.get_keys().results
                      if k.name == "Default Search API Key").key
    searcher = cluster.client(api_key=search_key)
    assert searcher.index(UID).search("golf")["estimatedTotalHits"] > 0
    for attempt in (lambda: searcher.index(UID).add_documents([{"id": 1, "title": "x"}]),
                    lambda: searcher.index(UID).delete_all_documents(),
                    lambda: searcher.index(UID).update_filterable_attributes([]),
                    lambda: searcher.delete_index(UID)):
        with pytest.raises(MeilisearchApiError) as err:
            attempt()
        assert_api_error(err.value, 403, "invalid_api_key", "auth")
    unchanged()


# -------------------------------------------------------------- body size


def test_oversized_body_is_refused(cluster, unchanged):
    small = cluster.make_proxy("miroir-small-body", overrides={"listen": {"max_body_bytes": 2048}})
    small.start()
    try:
        docs = [{"id": 80_000 + i, "title": "padding " * 8} for i in range(200)]
        resp = small.http("POST", f"/indexes/{UID}/documents", json=docs)
        assert_error_response(resp, 413, "payload_too_large")
        resp = small.http("POST", f"/indexes/{UID}/search", json={"q": "x" * 5000})
        assert_error_response(resp, 413, "payload_too_large")
        # A body under the limit is read and routed (this proxy has its own, empty
        # catalog, so the index may be unknown to it — but the answer is not a 413).
        resp = small.http("POST", f"/indexes/{UID}/search", json={"q": "golf"})
        assert resp.status_code != 413, resp.text
    finally:
        small.stop()
    unchanged()
