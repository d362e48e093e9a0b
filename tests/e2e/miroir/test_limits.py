"""Every configurable limit, each shown refusing what is past it with a clear
Meilisearch-shaped error (or, for connection limits, closing the connection),
accepting what is at it, and leaving the data as it was.

One Miroir with small limits over one node; raw sockets where the HTTP client
would not send what the test needs (too many headers, slow bodies).
"""

from __future__ import annotations

import socket
import time

import pytest

from harness import MiroirCluster, TopologySpec
from harness.errors import assert_error_response

from .common import ok_json

UID = "limited"
LIMITS = {
    "listen": {"max_header_count": 20, "max_url_bytes": "1KiB", "max_header_bytes": "4KiB",
               "max_connections": 6, "idle_timeout_ms": 1500, "read_timeout_ms": 1000},
    "limits": {"max_json_depth": 16, "max_documents_per_batch": 50,
               "max_multi_search_queries": 3},
    "upstream": {"max_response_bytes": "64KiB"},
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    c = MiroirCluster(tmp_path_factory.mktemp("limits"),
                      TopologySpec(groups=(1,), replication_factor=1, shards=4),
                      miroir_overrides=LIMITS)
    c.start()
    try:
        client = c.client()
        client.wait_for_task(client.create_index(UID, {"primaryKey": "id"}).task_uid)
        docs = [{"id": i, "text": f"doc {i} " + "x" * 1000} for i in range(40)]
        client.wait_for_task(client.index(UID).add_documents(docs).task_uid)
        yield c
    finally:
        c.stop()


def node_count(cluster) -> int:
    node = next(iter(cluster.nodes.values()))
    return ok_json(node.http("GET", f"/indexes/{UID}/stats"))["numberOfDocuments"]


def raw(cluster, data: bytes, timeout: float = 5.0) -> bytes:
    """Sends `data` on a new connection and returns everything read until close."""
    with socket.create_connection(("127.0.0.1", cluster.proxy.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def request_head(cluster, path: str, extra: list[str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1",
             f"Authorization: Bearer {cluster.proxy.master_key}", "Connection: close", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_too_many_header_fields_get_431(limited):
    # Host, Authorization and Connection, plus the padding: 20 fields, then 21.
    at_limit = request_head(limited, "/health", [f"X-Pad-{i}: v" for i in range(17)])
    assert raw(limited, at_limit).startswith(b"HTTP/1.1 200")
    over = raw(limited, request_head(limited, "/health", [f"X-Pad-{i}: v" for i in range(18)]))
    assert over.startswith(b"HTTP/1.1 431"), over[:200]
    assert b'"code":"miroir_limit_exceeded"' in over
    assert b"listen.max_header_count" in over


def test_header_bytes_past_the_limit_get_431(limited):
    resp = limited.http("GET", "/health", headers={"X-Big": "v" * 5000})
    assert resp.status_code == 431


def test_a_long_url_gets_414(limited):
    resp = limited.http("GET", f"/indexes/{UID}/search?q=" + "a" * 1100)
    body = assert_error_response(resp, 414, "miroir_limit_exceeded")
    assert "listen.max_url_bytes" in body["message"]
    assert limited.http("GET", f"/indexes/{UID}/search?q=" + "a" * 900).status_code == 200


def nested(levels: int):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


def test_json_nested_past_the_limit_is_refused_before_any_node(limited):
    # The body object itself is one level, its filter array the second.
    ok = limited.http("POST", f"/indexes/{UID}/search", json={"q": "", "filter": []})
    assert ok.status_code in (200, 400), ok.text  # judged by the node, not the limit
    resp = limited.http("POST", f"/indexes/{UID}/search", json={"q": "", "filter": nested(16)})
    body = assert_error_response(resp, 400, "miroir_limit_exceeded")
    assert "limits.max_json_depth" in body["message"]
    # A hundred thousand levels are refused just the same, and Miroir lives on.
    deep = "{\"filter\":" + "[" * 100_000 + "]" * 100_000 + "}"
    resp = limited.http("POST", f"/indexes/{UID}/search", data=deep,
                        headers={"Content-Type": "application/json"})
    assert_error_response(resp, 400, "miroir_limit_exceeded")
    resp = limited.http("PATCH", f"/indexes/{UID}/settings", json={"filterableAttributes": nested(20)})
    assert_error_response(resp, 400, "miroir_limit_exceeded")
    assert limited.http("GET", "/health").status_code == 200


def test_a_batch_past_the_document_limit_writes_nothing(limited):
    before = node_count(limited)
    docs = [{"id": 1000 + i} for i in range(51)]
    resp = limited.http("POST", f"/indexes/{UID}/documents", json=docs)
    body = assert_error_response(resp, 400, "miroir_limit_exceeded")
    assert "limits.max_documents_per_batch" in body["message"]
    ndjson = "\n".join(f'{{"id": {2000 + i}}}' for i in range(51))
    resp = limited.http("POST", f"/indexes/{UID}/documents", data=ndjson,
                        headers={"Content-Type": "application/x-ndjson"})
    assert_error_response(resp, 400, "miroir_limit_exceeded")
    resp = limited.http("POST", f"/indexes/{UID}/documents/delete-batch",
                        json=list(range(51)))
    assert_error_response(resp, 400, "miroir_limit_exceeded")
    assert node_count(limited) == before
    at_limit = limited.http("POST", f"/indexes/{UID}/documents",
                            json=[{"id": 3000 + i} for i in range(50)])
    assert at_limit.status_code == 202, at_limit.text
    limited.client().wait_for_task(at_limit.json()["taskUid"])
    assert node_count(limited) == before + 50


def test_multi_search_past_the_query_limit_is_refused(limited):
    queries = [{"indexUid": UID, "q": "doc"}] * 4
    resp = limited.http("POST", "/multi-search", json={"queries": queries})
    body = assert_error_response(resp, 400, "miroir_limit_exceeded")
    assert "limits.max_multi_search_queries" in body["message"]
    ok = ok_json(limited.http("POST", "/multi-search", json={"queries": queries[:3]}))
    assert len(ok["results"]) == 3


def test_a_node_answer_past_the_response_limit_is_reported(limited):
    # 40 documents of ~1 KiB each: a search for all of them is larger than the
    # 64 KiB Miroir reads from a node; a small page is not.
    resp = limited.http("POST", f"/indexes/{UID}/search", json={"q": "", "limit": 5})
    assert resp.status_code == 200, resp.text
    big = {"q": "", "limit": 1000, "attributesToRetrieve": ["*"],
           "attributesToHighlight": ["*"]}
    resp = limited.http("POST", f"/indexes/{UID}/search", json=big)
    assert resp.status_code in (502, 503), resp.text
    body = resp.json()
    assert set(body) == {"message", "code", "type", "link"}, body
    assert "too_large" in body["message"], body
    assert limited.http("POST", f"/indexes/{UID}/search",
                        json={"q": "", "limit": 5}).status_code == 200


def still_open(sock: socket.socket) -> bool:
    """Whether Miroir has neither closed nor answered this silent connection."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # an answer (a timeout's) or the end of the stream
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_connections_past_the_limit_are_closed_at_accept(limited):
    # Six silent connections fill limits.max_connections; a seventh is closed
    # without an answer. The held ones are themselves closed after the idle
    # timeout, so on a loaded machine one may be gone before the seventh is
    # tried: that attempt proves nothing and is made again.
    idle = LIMITS["listen"]["idle_timeout_ms"] / 1000
    for _attempt in range(3):
        # Keep-alive connections of earlier requests (the harness's, the
        # client's) count against the limit until Miroir closes them idle.
        time.sleep(idle + 0.2)
        held = [socket.create_connection(("127.0.0.1", limited.proxy.port), timeout=5)
                for _ in range(6)]
        try:
            time.sleep(0.1)  # accepted and counted before the seventh arrives
            with socket.create_connection(("127.0.0.1", limited.proxy.port), timeout=5) as extra:
                extra.sendall(request_head(limited, "/health", []))
                try:
                    data = extra.recv(100)
                except ConnectionResetError:
                    data = b""
            full = all(still_open(s) for s in held)
        finally:
            for s in held:
                s.close()
        if full:
            assert data == b"", data
            break
    else:
        pytest.fail("the held connections timed out before the seventh was tried, 3 times")
    time.sleep(0.3)
    assert raw(limited, request_head(limited, "/health", [])).startswith(b"HTTP/1.1 200")


def test_idle_connections_are_closed(limited):
    with socket.create_connection(("127.0.0.1", limited.proxy.port), timeout=5) as s:
        started = time.monotonic()
        assert s.recv(100) == b""  # closed by Miroir, nothing sent
        assert time.monotonic() - started < 3.0


def trickle(sock: socket.socket, data: bytes) -> float | None:
    """Sends `data` one byte every 100 ms; the seconds it took Miroir to close
    the connection, or None when it never did."""
    started = time.monotonic()
    sock.settimeout(0.1)
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
        try:
            if sock.recv(100) == b"":
                return time.monotonic() - started
        except socket.timeout:
            pass
    return None


def test_a_slow_body_is_cut_at_the_read_timeout(limited):
    head = (f"POST /indexes/{UID}/search HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {limited.proxy.master_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", limited.proxy.port), timeout=5) as s:
        s.sendall(head)
        cut_after = trickle(s, b" " * 50)  # 5 s for half the body
        assert cut_after is not None, "the slow body was not cut"
        assert cut_after < 3.0


def test_a_slow_header_is_cut_too(limited):
    with socket.create_connection(("127.0.0.1", limited.proxy.port), timeout=5) as s:
        cut_after = trickle(s, b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 100)
        assert cut_after is not None, "the slow header was not cut"
        assert cut_after < 4.0
