"""Prometheus metrics: the dedicated metrics port and /_miroir/metrics.

One RF=1 cluster of three nodes with a metrics listener. The suite drives known
traffic (searches, a 404, a degraded search after a node is killed) and checks
that the scrape counts it: per route template and status, latency histograms,
fan-out, node health and node errors. `promtool check metrics` (Debian's
prometheus package, installed by scripts/setup.sh) must find nothing to lint.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest
import requests

from harness import MiroirCluster, TopologySpec, free_port

from . import dataset as ds
from .common import assert_degraded, ok_json, search

UID = "docs"
SEARCH_ROUTE = ("POST", "/indexes/{index}/search")

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, frozenset(labels)): value} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in samples, f"duplicate series {line!r}"
        samples[key] = float(m.group(3))
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def metrics_cluster(tmp_path_factory):
    port = free_port()
    c = MiroirCluster(tmp_path_factory.mktemp("metrics"),
                      TopologySpec(groups=(3,), replication_factor=1, shards=16),
                      miroir_overrides={"listen": {"metrics_port": port}})
    c.start()
    c.metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        ds.load(c.client(), UID, ds.documents(300), batch=100)
        yield c
    finally:
        c.stop()


def scrape(cluster) -> tuple[str, dict]:
    resp = requests.get(cluster.metrics_url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return resp.text, parse(resp.text)


def test_requests_are_counted_by_route_template_and_status(metrics_cluster):
    _, before = scrape(metrics_cluster)
    for word in ("alpha", "bravo", "charlie"):
        ok_json(search(metrics_cluster, UID, {"q": word}))
    missing = search(metrics_cluster, "no-such-index", {"q": ""})
    assert missing.status_code == 404
    assert metrics_cluster.http("GET", "/nowhere").status_code == 404
    _, after = scrape(metrics_cluster)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    method, route = SEARCH_ROUTE
    assert delta("miroir_http_requests_total", method=method, route=route, status="200") == 3
    assert delta("miroir_http_requests_total", method=method, route=route, status="404") == 1
    assert delta("miroir_http_requests_total", method="", route="unmatched", status="404") == 1
    # The histogram saw the same four search requests, each in the +Inf bucket.
    assert delta("miroir_http_request_duration_seconds_count", method=method, route=route) == 4
    assert delta("miroir_http_request_duration_seconds_bucket", method=method, route=route,
                 le="+Inf") == 4
    assert delta("miroir_http_request_duration_seconds_sum", method=method, route=route) > 0
    # Each search of an RF=1 index over 3 nodes scatters to all three.
    assert delta("miroir_scatter_fanout_nodes_count") >= 3
    assert delta("miroir_scatter_fanout_nodes_bucket", le="2") == 0
    for node in ("n1", "n2", "n3"):
        assert delta("miroir_node_requests_total", node=node) >= 3
    # The scrape itself is not a request of the API port.
    assert value(after, "miroir_http_requests_in_flight") == 0


def test_histogram_buckets_are_cumulative(metrics_cluster):
    text, samples = scrape(metrics_cluster)
    method, route = SEARCH_ROUTE
    buckets = sorted(
        ((float("inf") if dict(labels)["le"] == "+Inf" else float(dict(labels)["le"])), v)
        for (name, labels), v in samples.items()
        if name == "miroir_http_request_duration_seconds_bucket"
        and dict(labels).get("route") == route and dict(labels).get("method") == method)
    assert len(buckets) > 5
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "bucket counts must not decrease"
    assert counts[-1] == value(samples, "miroir_http_request_duration_seconds_count",
                               method=method, route=route)


def test_promtool_finds_nothing_to_lint(metrics_cluster):
    assert shutil.which("promtool"), "promtool missing: run scripts/setup.sh (Debian: prometheus)"
    text, _ = scrape(metrics_cluster)
    result = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                            capture_output=True, timeout=30)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        f"promtool: {result.stdout}{result.stderr}")


def test_admin_route_serves_the_same_families_behind_the_admin_key(metrics_cluster):
    proxy = metrics_cluster.proxy
    assert proxy.http("GET", "/_miroir/metrics", key=None).status_code == 401
    assert proxy.http("GET", "/_miroir/metrics").status_code == 403  # master key is not admin
    resp = proxy.admin("GET", "/_miroir/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {line.split()[2] for line in resp.text.splitlines() if line.startswith("# TYPE")}
    text, _ = scrape(metrics_cluster)
    assert families == {line.split()[2] for line in text.splitlines()
                        if line.startswith("# TYPE")}
    # The metrics listener serves nothing else.
    other = requests.get(metrics_cluster.metrics_url.replace("/metrics", "/health"), timeout=5)
    assert other.status_code == 404


def test_node_errors_are_counted_by_kind(metrics_cluster):
    node = metrics_cluster.node("n3")
    fault = {"route": "/indexes/*/search", "error_rate": 1, "error_status": 503}
    assert node.http("POST", "/_testnode/faults", json=fault).status_code in (200, 201)
    try:
        _, before = scrape(metrics_cluster)
        assert_degraded(search(metrics_cluster, UID, {"q": ""}))
        _, after = scrape(metrics_cluster)
    finally:
        assert node.http("DELETE", "/_testnode/faults").status_code in (200, 204)
    delta = (value(after, "miroir_node_errors_total", node="n3", kind="server_error")
             - value(before, "miroir_node_errors_total", node="n3", kind="server_error"))
    assert delta >= 1
    # RF=1: no other replica holds n3's shards, so there is nothing to retry on.
    assert value(after, "miroir_scatter_retries_total") == value(before,
                                                                  "miroir_scatter_retries_total")
    for healthy in ("n1", "n2"):
        assert (value(after, "miroir_node_errors_total", node=healthy, kind="server_error")
                == value(before, "miroir_node_errors_total", node=healthy, kind="server_error"))


def _wait_scrape(cluster, predicate, what: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, samples = scrape(cluster)
        if predicate(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s; last scrape: "
                                 f"{ {k: v for k, v in samples.items() if 'task' in k[0]} }")
        time.sleep(0.2)


def test_tasks_finish_and_are_counted_without_being_polled(metrics_cluster):
    # The registry's truth (GET /tasks), and the gauge caught up with it.
    listed = ok_json(metrics_cluster.http("GET", "/tasks?statuses=succeeded&limit=1"))
    succeeded_before = listed["total"]
    _wait_scrape(metrics_cluster,
                 lambda s: value(s, "miroir_tasks", status="succeeded") == succeeded_before,
                 "the gauge matching GET /tasks")
    resp = metrics_cluster.http("POST", f"/indexes/{UID}/documents",
                                json=[{"id": 90_001, "title": "unpolled"}])
    assert resp.status_code == 202, resp.text
    # Nobody asks for the task: the task reconciler finishes it and counts it.
    after = _wait_scrape(
        metrics_cluster,
        lambda s: value(s, "miroir_tasks", status="succeeded") == succeeded_before + 1,
        "the unpolled task counted as succeeded")
    for status in ("enqueued", "processing", "failed", "canceled"):
        assert ("miroir_tasks", frozenset({("status", status)})) in after, status
    assert value(after, "miroir_tasks", status="enqueued") == 0
    assert value(after, "miroir_task_oldest_unfinished_age_seconds") == 0


def test_a_task_that_cannot_finish_shows_its_age(metrics_cluster):
    # Every node refuses /tasks, so the reconciler cannot learn that the
    # write finished: the task stays enqueued and ages.
    nodes = [metrics_cluster.node(n) for n in ("n1", "n2", "n3")]
    fault = {"route": "/tasks", "error_rate": 1, "error_status": 503}
    for node in nodes:
        assert node.http("POST", "/_testnode/faults", json=fault).status_code in (200, 201)
    try:
        resp = metrics_cluster.http("POST", f"/indexes/{UID}/documents",
                                    json=[{"id": 90_002, "title": "stuck"}])
        assert resp.status_code == 202, resp.text
        stuck = _wait_scrape(
            metrics_cluster,
            lambda s: value(s, "miroir_task_oldest_unfinished_age_seconds") >= 1.0,
            "an unfinished task's age")
        assert value(stuck, "miroir_tasks", status="enqueued") >= 1
    finally:
        for node in nodes:
            assert node.http("DELETE", "/_testnode/faults").status_code in (200, 204)
    _wait_scrape(metrics_cluster,
                 lambda s: value(s, "miroir_task_oldest_unfinished_age_seconds") == 0,
                 "the backlog cleared once the nodes answer")


def test_node_loss_shows_in_health_gauge_and_degraded_responses(metrics_cluster):
    _, before = scrape(metrics_cluster)
    for node in ("n1", "n2", "n3"):
        assert value(before, "miroir_node_healthy", node=node, group="g1") == 1
    # 16 shards, RF 1: each owned once, by some node; none missing yet.
    owned = {n: value(before, "miroir_node_shards", node=n, group="g1") for n in ("n1", "n2", "n3")}
    assert sum(owned.values()) == 16 and all(v > 0 for v in owned.values()), owned
    assert value(before, "miroir_shards_uncovered") == 0
    assert value(before, "miroir_shards_degraded") == 0
    metrics_cluster.kill_node("n2")
    assert_degraded(search(metrics_cluster, UID, {"q": ""}))
    _, after = scrape(metrics_cluster)
    assert value(after, "miroir_node_healthy", node="n2", group="g1") == 0
    # n2's shards have no other copy: uncovered and degraded alike.
    assert value(after, "miroir_shards_uncovered") == owned["n2"]
    assert value(after, "miroir_shards_degraded") == owned["n2"]
    assert value(after, "miroir_node_healthy", node="n1", group="g1") == 1
    method, route = SEARCH_ROUTE
    assert (value(after, "miroir_degraded_responses_total", method=method, route=route)
            - value(before, "miroir_degraded_responses_total", method=method, route=route)) == 1

