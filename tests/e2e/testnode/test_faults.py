"""Fault injection of the test node: POST/GET/DELETE /_testnode/faults.

A rule is {"route": glob ('*' within a segment, '**' across), "method"?: ...,
"latency_ms", "error_rate", "error_status", "hang", "drop", "drop_rate",
"close_mid_response"}.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from meilisearch.errors import MeilisearchApiError, MeilisearchTimeoutError

from harness import api, assert_error_response

pytestmark = pytest.mark.testnode_only

FAULTS = "/_testnode/faults"


@pytest.fixture(scope="module")
def index(client) -> str:
    uid = f"faults_{uuid.uuid4().hex[:8]}"
    docs = [{"id": i, "title": f"document number {i}", "body": "lorem ipsum " * 20}
            for i in range(50)]
    api.make_index(client, uid, docs)
    return uid


@pytest.fixture(autouse=True)
def clean_faults(node):
    node.http("DELETE", FAULTS)
    yield
    node.http("DELETE", FAULTS)


def add_fault(node, **rule) -> int:
    resp = node.http("POST", FAULTS, json=rule)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert isinstance(body["id"], int)
    return body["id"]


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def test_fault_routes_need_the_master_key(node, client):
    assert_error_response(node.http("GET", FAULTS, key=None), 401,
                          "missing_authorization_header", "auth")
    assert_error_response(node.http("POST", FAULTS, key="wrong", json={"route": "/**"}), 403,
                          "invalid_api_key", "auth")
    admin = next(k.key for k in client.get_keys({"limit": 100}).results
                 if k.name == "Default Admin API Key")
    assert_error_response(node.http("DELETE", FAULTS, key=admin), 403, "invalid_api_key", "auth")
    assert node.http("GET", FAULTS).json() == []


def test_add_list_and_clear(node):
    first = add_fault(node, route="/indexes/*/search", latency_ms=10)
    second = add_fault(node, route="/health", error_rate=1.0, error_status=503, method="GET")
    assert first != second
    rules = node.http("GET", FAULTS).json()
    assert isinstance(rules, list) and len(rules) == 2
    by_id = {r["id"]: r for r in rules}
    assert by_id[first]["route"] == "/indexes/*/search" and by_id[first]["latency_ms"] == 10
    assert by_id[second]["error_status"] == 503 and by_id[second]["error_rate"] == 1.0
    resp = node.http("DELETE", FAULTS)
    assert resp.status_code == 204
    assert node.http("GET", FAULTS).json() == []
    assert requests.get(f"{node.url}/health", timeout=5).status_code == 200


def test_invalid_rules_are_refused(node):
    assert node.http("POST", FAULTS, json={"route": "/x", "error_rate": 2}).status_code == 400
    assert node.http("POST", FAULTS, json={"doggo": True}).status_code == 400
    assert node.http("POST", FAULTS, json=["not", "an", "object"]).status_code == 400
    assert node.http("GET", FAULTS).json() == []


def test_latency(node, index):
    search = f"/indexes/{index}/search"
    _, baseline = timed(lambda: node.http("POST", search, json={"q": "document"}))
    add_fault(node, route="/indexes/*/search", latency_ms=400)
    resp, elapsed = timed(lambda: node.http("POST", search, json={"q": "document"}))
    assert resp.status_code == 200 and len(resp.json()["hits"]) == 20
    assert elapsed >= 0.4
    # Other routes are not slowed down.
    resp, other = timed(lambda: node.http("GET", f"/indexes/{index}"))
    assert resp.status_code == 200 and other < 0.4 + baseline
    node.http("DELETE", FAULTS)
    _, after = timed(lambda: node.http("POST", search, json={"q": "document"}))
    assert after < 0.4


def test_latency_adds_up_over_matching_rules(node, index):
    add_fault(node, route="/indexes/*/search", latency_ms=200)
    add_fault(node, route="/indexes/**", latency_ms=200)
    _, elapsed = timed(lambda: node.http("POST", f"/indexes/{index}/search", json={}))
    assert elapsed >= 0.4


def test_error_rate_one(node, client, index):
    add_fault(node, route="/indexes/*/search", error_rate=1.0, error_status=503)
    for _ in range(5):
        assert node.http("POST", f"/indexes/{index}/search", json={}).status_code == 503
    assert node.http("GET", f"/indexes/{index}/search").status_code == 503
    with pytest.raises(MeilisearchApiError) as err:
        client.index(index).search("document")
    assert err.value.status_code == 503
    # Non-matching routes answer normally.
    assert node.http("GET", f"/indexes/{index}").status_code == 200
    assert node.http("GET", "/health").status_code == 200


def test_error_rate_is_a_probability(node, index):
    add_fault(node, route="/indexes/*/search", error_rate=0.5, error_status=500)
    statuses = [node.http("POST", f"/indexes/{index}/search", json={"limit": 1}).status_code
                for _ in range(120)]
    assert set(statuses) <= {200, 500}
    failures = statuses.count(500)
    assert 25 <= failures <= 95, failures


def test_method_restricts_the_rule(node, index):
    add_fault(node, route="/indexes/*/search", method="GET", error_rate=1.0, error_status=502)
    assert node.http("GET", f"/indexes/{index}/search").status_code == 502
    assert node.http("POST", f"/indexes/{index}/search", json={}).status_code == 200


def test_hang(node, client, index):
    add_fault(node, route="/indexes/*/search", hang=True)
    with pytest.raises(requests.exceptions.Timeout):
        requests.post(f"{node.url}/indexes/{index}/search", json={},
                      headers=node.auth_headers(), timeout=1)
    slow_client = node.client(timeout=1)
    with pytest.raises(MeilisearchTimeoutError):
        slow_client.index(index).search("document")
    # The node keeps serving everything else, and the hang ends with the rule.
    assert node.http("GET", "/health", timeout=2).status_code == 200
    node.http("DELETE", FAULTS)
    assert node.http("POST", f"/indexes/{index}/search", json={}, timeout=5).status_code == 200


def test_drop(node, index):
    add_fault(node, route="/indexes/*/search", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{node.url}/indexes/{index}/search", json={},
                      headers=node.auth_headers(), timeout=5)
    assert node.http("GET", f"/indexes/{index}").status_code == 200


def test_drop_rate_drops_only_that_fraction(node, index):
    add_fault(node, route="/indexes/*/search", drop_rate=0.5)
    dropped = 0
    for _ in range(60):
        try:
            resp = requests.post(f"{node.url}/indexes/{index}/search", json={},
                                 headers=node.auth_headers(), timeout=5)
            assert resp.status_code == 200
        except requests.exceptions.ConnectionError:
            dropped += 1
    # Binomial(60, 0.5): outside 10..50 once in ~10^6 runs.
    assert 10 <= dropped <= 50, dropped


def test_close_mid_response(node, index):
    add_fault(node, route="/indexes/*/search", close_mid_response=True)
    broken = False
    try:
        resp = requests.post(f"{node.url}/indexes/{index}/search", json={"limit": 50},
                             headers=node.auth_headers(), timeout=5)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        broken = True
    else:
        declared = resp.headers.get("Content-Length")
        if declared is not None and int(declared) != len(resp.content):
            broken = True
        else:
            try:
                resp.json()
            except ValueError:
                broken = True
    assert broken, "the response arrived whole"
    node.http("DELETE", FAULTS)
    resp = requests.post(f"{node.url}/indexes/{index}/search", json={"limit": 50},
                         headers=node.auth_headers(), timeout=5)
    assert resp.status_code == 200 and len(resp.json()["hits"]) == 50


def test_faults_do_not_touch_the_fault_routes(node):
    add_fault(node, route="/**", error_rate=1.0, error_status=500)
    assert node.http("GET", "/indexes").status_code == 500
    assert node.http("GET", FAULTS).status_code == 200
    assert node.http("DELETE", FAULTS).status_code == 204
    assert node.http("GET", "/indexes").status_code == 200


def test_sdk_sees_injected_errors(node, client, index):
    add_fault(node, route="/indexes/*/documents", method="POST", error_rate=1.0,
              error_status=500)
    with pytest.raises(MeilisearchApiError) as err:
        client.index(index).add_documents([{"id": 999}])
    assert err.value.status_code == 500
    node.http("DELETE", FAULTS)
    api.succeeded(client, client.index(index).add_documents([{"id": 999}]))
