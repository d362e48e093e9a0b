"""/health, /version, authentication and /keys, as Meilisearch does them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import uuid

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response, parse_timestamp_ns

MISSING_HEADER_MESSAGE = (
    "The Authorization header is missing. It must use the bearer authorization method."
)
INVALID_KEY_MESSAGE = "The provided API key is invalid."
FAR_FUTURE = "2050-11-13T00:00:00Z"


def key_for(uid: str, master_key: str) -> str:
    """Meilisearch's API key: hex HMAC-SHA256 of the hyphenated uid, keyed by the master key."""
    return hmac.new(master_key.encode(), uid.encode(), hashlib.sha256).hexdigest()


def create_key(node, body: dict) -> dict:
    resp = node.http("POST", "/keys", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------ health/version


def test_health_is_public(node):
    resp = node.http("GET", "/health", key=None)
    assert resp.status_code == 200
    assert resp.json() == {"status": "available"}


def test_health_through_sdk(client):
    assert client.health() == {"status": "available"}
    assert client.is_healthy()


def test_version_shape(node, client):
    version = client.get_version()
    assert set(version) == {"commitSha", "commitDate", "pkgVersion"}
    assert all(isinstance(v, str) for v in version.values())
    assert_error_response(node.http("GET", "/version", key=None), 401,
                          "missing_authorization_header", "auth", MISSING_HEADER_MESSAGE)


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize("method,path", [
    ("GET", "/indexes"),
    ("GET", "/keys"),
    ("GET", "/tasks"),
    ("GET", "/stats"),
    ("POST", "/indexes/whatever/search"),
    ("POST", "/multi-search"),
])
def test_missing_authorization_header(node, method, path):
    resp = node.http(method, path, key=None, json={} if method == "POST" else None)
    assert_error_response(resp, 401, "missing_authorization_header", "auth",
                          MISSING_HEADER_MESSAGE)


@pytest.mark.parametrize("method,path", [
    ("GET", "/indexes"),
    ("GET", "/keys"),
    ("GET", "/tasks"),
    ("POST", "/indexes/whatever/search"),
])
def test_wrong_key_is_forbidden(node, method, path):
    resp = node.http(method, path, key="not-the-master-key",
                     json={} if method == "POST" else None)
    assert_error_response(resp, 403, "invalid_api_key", "auth", INVALID_KEY_MESSAGE)


@pytest.mark.parametrize("body", [{}, {"queries": []}, {"queries": [], "federation": {}}])
def test_multi_search_checks_the_key_before_the_body(node, body):
    assert_error_response(node.http("POST", "/multi-search", key=None, json=body), 401,
                          "missing_authorization_header", "auth", MISSING_HEADER_MESSAGE)
    assert_error_response(node.http("POST", "/multi-search", key="wrong", json=body), 403,
                          "invalid_api_key", "auth", INVALID_KEY_MESSAGE)


def test_wrong_key_through_sdk(node):
    bad = node.client(api_key="definitely-wrong")
    with pytest.raises(MeilisearchApiError) as err:
        bad.get_indexes()
    assert_api_error(err.value, 403, "invalid_api_key", "auth")


def test_master_key_works(node):
    resp = node.http("GET", "/indexes")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"results", "offset", "limit", "total"}


# ---------------------------------------------------------------- keys


def _default_keys(node) -> dict[str, dict]:
    resp = node.http("GET", "/keys", params={"limit": 1000})
    assert resp.status_code == 200
    return {k["name"]: k for k in resp.json()["results"]}


def test_list_keys_shape_and_default_keys(node, master_key):
    resp = node.http("GET", "/keys")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"results", "offset", "limit", "total"}
    assert body["offset"] == 0 and body["limit"] == 20
    assert body["total"] >= 2

    keys = _default_keys(node)
    search = keys["Default Search API Key"]
    admin = keys["Default Admin API Key"]
    assert search["actions"] == ["search"]
    assert search["indexes"] == ["*"]
    assert search["expiresAt"] is None
    assert admin["actions"] == ["*"]
    assert admin["indexes"] == ["*"]
    assert admin["expiresAt"] is None
    for key in (search, admin):
        assert set(key) == {"name", "description", "key", "uid", "actions", "indexes",
                            "expiresAt", "createdAt", "updatedAt"}
        uuid.UUID(key["uid"])
        assert key["key"] == key_for(key["uid"], master_key)


def test_list_keys_paging(node):
    first = node.http("GET", "/keys", params={"offset": 0, "limit": 1}).json()
    second = node.http("GET", "/keys", params={"offset": 1, "limit": 1}).json()
    assert first["limit"] == 1 and second["offset"] == 1
    assert len(first["results"]) == 1 and len(second["results"]) == 1
    assert first["results"][0]["uid"] != second["results"][0]["uid"]
    assert first["total"] == second["total"] >= 2


def test_default_keys_through_sdk(client):
    names = {k.name for k in client.get_keys({"limit": 1000}).results}
    assert {"Default Search API Key", "Default Admin API Key"} <= names


def test_default_search_key_can_search_but_not_write(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1, "title": "hello"}])
    search_key = _default_keys(node)["Default Search API Key"]["key"]
    searcher = node.client(api_key=search_key)
    assert searcher.index(index_uid).search("hello")["hits"] == [{"id": 1, "title": "hello"}]
    with pytest.raises(MeilisearchApiError) as err:
        searcher.index(index_uid).add_documents([{"id": 2}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth", INVALID_KEY_MESSAGE)
    # Key management needs the master key.
    assert_error_response(node.http("GET", "/keys", key=search_key), 403, "invalid_api_key",
                          "auth")


def test_create_key_returns_full_key(node, master_key):
    uid = str(uuid.uuid4())
    body = {
        "name": "indexing-key",
        "description": "Indexing API key",
        "uid": uid,
        "indexes": ["products"],
        "actions": ["search", "documents.add", "documents.get", "tasks.get"],
        "expiresAt": FAR_FUTURE,
    }
    created = create_key(node, body)
    assert set(created) == {"name", "description", "key", "uid", "actions", "indexes",
                            "expiresAt", "createdAt", "updatedAt"}
    assert created["name"] == "indexing-key"
    assert created["description"] == "Indexing API key"
    assert created["uid"] == uid
    assert created["key"] == key_for(uid, master_key)
    assert created["actions"] == ["search", "documents.add", "documents.get", "tasks.get"]
    assert created["indexes"] == ["products"]
    assert created["expiresAt"] == FAR_FUTURE

    # Readable by uid and by key value.
    by_uid = node.http("GET", f"/keys/{uid}").json()
    by_key = node.http("GET", f"/keys/{created['key']}").json()
    assert by_uid == by_key
    assert by_uid["key"] == created["key"] and by_uid["uid"] == uid


def test_create_key_through_sdk_generates_uid(client, master_key):
    key = client.create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None,
                             "description": "sdk key"})
    uuid.UUID(key.uid)
    assert key.key == key_for(key.uid, master_key)
    assert key.actions == ["search"] and key.indexes == ["*"]
    assert key.expires_at is None
    assert key.name is None and key.description == "sdk key"
    assert client.get_key(key.uid).key == key.key


def test_same_master_key_same_keys_on_two_nodes(node_factory, master_key):
    one = node_factory("one", master_key=master_key)
    two = node_factory("two", master_key=master_key)
    uid = str(uuid.uuid4())
    body = {"uid": uid, "actions": ["search"], "indexes": ["*"], "expiresAt": None}
    k1 = create_key(one, body)["key"]
    k2 = create_key(two, body)["key"]
    assert k1 == k2 == key_for(uid, master_key)
    for node in (one, two):
        assert node.http("GET", "/indexes/x/search", key=k1).status_code != 403


def test_search_only_key(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1, "title": "alpha"}])
    key = create_key(node, {"actions": ["search"], "indexes": ["*"], "expiresAt": None})["key"]
    searcher = node.client(api_key=key)
    assert [h["id"] for h in searcher.index(index_uid).search("alpha")["hits"]] == [1]
    resp = node.http("GET", f"/indexes/{index_uid}/search", key=key, params={"q": "alpha"})
    assert resp.status_code == 200
    with pytest.raises(MeilisearchApiError) as err:
        searcher.index(index_uid).add_documents([{"id": 2, "title": "beta"}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    with pytest.raises(MeilisearchApiError) as err:
        searcher.index(index_uid).get_documents()
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    with pytest.raises(MeilisearchApiError) as err:
        searcher.get_indexes()
    assert_api_error(err.value, 403, "invalid_api_key", "auth")


def test_key_scoped_to_one_index(node, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.make_index(client, a, [{"id": 1, "title": "alpha"}])
    api.make_index(client, b, [{"id": 1, "title": "alpha"}])
    key = create_key(node, {"actions": ["search", "documents.add"], "indexes": [a],
                            "expiresAt": FAR_FUTURE})["key"]
    scoped = node.client(api_key=key)
    assert len(scoped.index(a).search("alpha")["hits"]) == 1
    with pytest.raises(MeilisearchApiError) as err:
        scoped.index(b).search("alpha")
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    with pytest.raises(MeilisearchApiError) as err:
        scoped.index(b).add_documents([{"id": 2}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    api.succeeded(client, scoped.index(a).add_documents([{"id": 2, "title": "beta"}]))
    # multi-search checks every query's index against the key.
    assert len(scoped.multi_search([{"indexUid": a, "q": "alpha"}])["results"]) == 1
    resp = node.http("POST", "/multi-search", key=key, json={"queries": [
        {"indexUid": a, "q": "alpha"}, {"indexUid": b, "q": "alpha"}]})
    assert_error_response(resp, 403, "invalid_api_key", "auth",
                          "Inside `.queries[1]`: The provided API key is invalid.")


def test_key_with_index_pattern(node, client, uid_factory):
    prefix = uid_factory("pat")
    inside, outside = f"{prefix}_books", uid_factory("other")
    api.make_index(client, inside, [{"id": 1, "t": "x"}])
    api.make_index(client, outside, [{"id": 1, "t": "x"}])
    key = create_key(node, {"actions": ["search"], "indexes": [f"{prefix}_*"],
                            "expiresAt": None})["key"]
    assert node.http("POST", f"/indexes/{inside}/search", key=key, json={}).status_code == 200
    assert_error_response(node.http("POST", f"/indexes/{outside}/search", key=key, json={}),
                          403, "invalid_api_key", "auth")


def test_expired_key_is_rejected(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1}])
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    created = create_key(node, {"actions": ["search"], "indexes": ["*"],
                                "expiresAt": rfc3339(expires)})
    path = f"/indexes/{index_uid}/search"
    assert node.http("POST", path, key=created["key"], json={}).status_code == 200
    expiry = parse_timestamp_ns(created["expiresAt"]) / 1e9
    time.sleep(max(0.0, expiry - time.time()) + 0.3)
    assert_error_response(node.http("POST", path, key=created["key"], json={}), 403,
                          "invalid_api_key", "auth")


def test_create_key_errors(node):
    past = {"actions": ["search"], "indexes": ["*"], "expiresAt": "2010-11-13T00:00:00Z"}
    assert_error_response(node.http("POST", "/keys", json=past), 400,
                          "invalid_api_key_expires_at")
    no_actions = {"indexes": ["*"], "expiresAt": None}
    assert_error_response(node.http("POST", "/keys", json=no_actions), 400,
                          "missing_api_key_actions", message="Missing field `actions`")
    no_indexes = {"actions": ["search"], "expiresAt": None}
    assert_error_response(node.http("POST", "/keys", json=no_indexes), 400,
                          "missing_api_key_indexes", message="Missing field `indexes`")
    no_expiry = {"actions": ["search"], "indexes": ["*"]}
    assert_error_response(node.http("POST", "/keys", json=no_expiry), 400,
                          "missing_api_key_expires_at", message="Missing field `expiresAt`")
    bad_action = {"actions": ["doggo"], "indexes": ["*"], "expiresAt": None}
    assert_error_response(node.http("POST", "/keys", json=bad_action), 400,
                          "invalid_api_key_actions")


def test_create_key_twice_with_same_uid(node):
    body = {"uid": str(uuid.uuid4()), "actions": ["search"], "indexes": ["*"],
            "expiresAt": None}
    create_key(node, body)
    assert_error_response(node.http("POST", "/keys", json=body), 409, "api_key_already_exists")


def test_update_key_name_and_description_only(node):
    created = create_key(node, {"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    resp = node.http("PATCH", f"/keys/{created['uid']}",
                     json={"name": "renamed", "description": "new words"})
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["name"] == "renamed" and updated["description"] == "new words"
    assert updated["key"] == created["key"] and updated["actions"] == ["search"]
    assert_error_response(
        node.http("PATCH", f"/keys/{created['uid']}", json={"actions": ["*"]}),
        400, "immutable_api_key_actions")
    assert_error_response(
        node.http("PATCH", f"/keys/{created['uid']}", json={"indexes": ["x"]}),
        400, "immutable_api_key_indexes")


def test_delete_key(node, client, index_uid):
    api.make_index(client, index_uid, [{"id": 1}])
    created = create_key(node, {"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    path = f"/indexes/{index_uid}/search"
    assert node.http("POST", path, key=created["key"], json={}).status_code == 200

    resp = node.http("DELETE", f"/keys/{created['uid']}")
    assert resp.status_code == 204
    assert resp.content == b""
    assert_error_response(node.http("GET", f"/keys/{created['uid']}"), 404, "api_key_not_found",
                          message=f"API key `{created['uid']}` not found.")
    assert_error_response(node.http("POST", path, key=created["key"], json={}), 403,
                          "invalid_api_key", "auth")
    assert_error_response(node.http("DELETE", f"/keys/{created['uid']}"), 404,
                          "api_key_not_found")


def test_delete_key_through_sdk(client):
    key = client.create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    client.delete_key(key.uid)
    with pytest.raises(MeilisearchApiError) as err:
        client.get_key(key.uid)
    assert_api_error(err.value, 404, "api_key_not_found")
