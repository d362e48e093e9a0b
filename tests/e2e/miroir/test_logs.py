"""Structured logs and request ids.

Every client request gets an X-Request-Id: the client's own when it sent a
usable one, else a new one. Miroir returns it, sends it to every node it calls
for that request, and names it in its log lines, so one request can be followed
from the client through Miroir to the nodes. With `log.format: json` every line
Miroir writes is one JSON object.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from harness import MiroirCluster, TopologySpec

from . import dataset as ds
from .common import assert_degraded, ok_json, search

UID = "logged"


@pytest.fixture(scope="module")
def json_cluster(tmp_path_factory):
    c = MiroirCluster(tmp_path_factory.mktemp("logs"),
                      TopologySpec(groups=(3,), replication_factor=1, shards=16),
                      miroir_overrides={"log": {"level": "debug", "format": "json"}})
    c.start()
    try:
        ds.load(c.client(), UID, ds.documents(60), batch=60)
        yield c
    finally:
        c.stop()


def log_lines(cluster) -> list[dict]:
    """Every line Miroir wrote, parsed; the harness's own `=== start` lines aside."""
    out = []
    for line in cluster.proxy.read_log().splitlines():
        if not line.strip() or line.startswith("=== "):
            continue
        out.append(json.loads(line))  # every line must be one JSON object
    return out


def wait_for_line(cluster, predicate, what: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        for line in log_lines(cluster):
            if predicate(line):
                return line
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line {what}; tail:\n{cluster.proxy.log_tail()}")
        time.sleep(0.1)


def node_requests(node) -> list[dict]:
    return ok_json(node.http("GET", "/_testnode/requests"))


def clear_node_requests(cluster) -> None:
    for node in cluster.nodes.values():
        assert node.http("DELETE", "/_testnode/requests").status_code == 204


def test_every_line_is_a_json_object_with_time_level_and_message(json_cluster):
    lines = log_lines(json_cluster)
    assert lines, "Miroir wrote nothing"
    for line in lines:
        assert set(line) >= {"time", "level", "msg"}, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"]), line
        assert line["level"] in ("trace", "debug", "info", "warn", "error", "critical"), line
    assert any(line["msg"] == "listening" and line["port"] == json_cluster.proxy.port
               for line in lines)


def test_the_clients_request_id_reaches_every_node_and_comes_back(json_cluster):
    clear_node_requests(json_cluster)
    resp = search(json_cluster, UID, {"q": ""}, headers={"X-Request-Id": "client-id-42"})
    ok_json(resp)
    assert resp.headers["X-Request-Id"] == "client-id-42"
    # RF=1 over three nodes: the search scattered to all of them, each with the id.
    for nid, node in json_cluster.nodes.items():
        searches = [r for r in node_requests(node) if r["target"].endswith("/search")]
        assert searches, f"{nid} got no search"
        assert {r["requestId"] for r in searches} == {"client-id-42"}, (nid, searches)
    line = wait_for_line(json_cluster, lambda l: l["msg"] == "request"
                         and l.get("request_id") == "client-id-42", "for the search")
    assert line["level"] == "debug"
    assert line["method"] == "POST"
    assert line["route"] == "/indexes/{index}/search"
    assert line["path"] == f"/indexes/{UID}/search"
    assert line["status"] == 200
    assert line["seconds"] > 0


def test_a_write_carries_the_id_to_its_nodes(json_cluster):
    clear_node_requests(json_cluster)
    resp = json_cluster.http("POST", f"/indexes/{UID}/documents",
                             json=[{"id": 7001, "title": "traced"}],
                             headers={"X-Request-Id": "write-7001"})
    assert resp.status_code == 202, resp.text
    assert resp.headers["X-Request-Id"] == "write-7001"
    writes = [r for node in json_cluster.nodes.values() for r in node_requests(node)
              if r["method"] == "POST" and r["target"].startswith(f"/indexes/{UID}/documents")]
    assert len(writes) == 1, writes  # RF=1: one owner
    assert writes[0]["requestId"] == "write-7001"
    assert writes[0]["bodyBytes"] > 0


def test_without_a_usable_client_id_miroir_makes_one(json_cluster):
    seen = set()
    for header in ({}, {"X-Request-Id": "has spaces"}, {"X-Request-Id": "x" * 129}):
        resp = json_cluster.http("GET", "/health", headers=header)
        assert resp.status_code == 200
        rid = resp.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{16}", rid), rid
        seen.add(rid)
    assert len(seen) == 3, "ids must differ per request"


def test_a_failing_node_is_logged_with_the_request_id(json_cluster):
    node = json_cluster.node("n2")
    fault = {"route": "/indexes/*/search", "error_rate": 1, "error_status": 500}
    assert node.http("POST", "/_testnode/faults", json=fault).status_code in (200, 201)
    try:
        resp = search(json_cluster, UID, {"q": ""}, headers={"X-Request-Id": "degraded-1"})
        assert_degraded(resp)
    finally:
        assert node.http("DELETE", "/_testnode/faults").status_code in (200, 204)
    failed = wait_for_line(json_cluster, lambda l: l["msg"] == "node call failed"
                           and l.get("request_id") == "degraded-1", "for the node failure")
    assert failed["level"] == "warn"
    assert failed["node"] == "n2"
    assert failed["status"] == 500
    assert failed["failure"] == "server_error"
    assert failed["target"] == f"/indexes/{UID}/search"
    # A degraded answer is logged at warn, not debug.
    request = wait_for_line(json_cluster, lambda l: l["msg"] == "request"
                            and l.get("request_id") == "degraded-1", "for the request")
    assert request["level"] == "warn" and request["degraded"] is True


def test_keys_never_appear_in_the_log(json_cluster):
    proxy = json_cluster.proxy
    json_cluster.http("GET", f"/indexes/{UID}/search?q=x")
    json_cluster.http("GET", "/keys", key="wrong-key-never-logged")
    text = proxy.read_log()
    assert proxy.master_key not in text
    assert "wrong-key-never-logged" not in text
    assert "Bearer" not in text


def test_text_format_and_level_info_hide_the_per_request_lines(tmp_path):
    c = MiroirCluster(tmp_path, TopologySpec(groups=(1,), replication_factor=1, shards=4))
    c.start()
    try:
        assert c.http("GET", "/health", headers={"X-Request-Id": "quiet-1"}).status_code == 200
        c.proxy.stop()
        text = c.proxy.read_log()
    finally:
        c.stop()
    assert "quiet-1" not in text  # requests are logged at debug
    assert re.search(r"^\d{4}-\d\d-\d\dT\S+Z info listening version=\S+ address=127\.0\.0\.1 ",
                     text, re.M), text
    assert re.search(r" info stopped$", text, re.M), text
