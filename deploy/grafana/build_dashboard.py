#!/usr/bin/env python3
"""Writes deploy/grafana/miroir-dashboard.json, the Grafana dashboard of Miroir.

    python3 deploy/grafana/build_dashboard.py           # rewrite the JSON
    python3 deploy/grafana/build_dashboard.py --check   # exit 1 if the JSON is stale

The panels are listed here so that they stay reviewable; edit this file, not
the JSON. tests/deploy/check_metric_names.py checks that every query names
only metrics Miroir exports, and tests/deploy/test_live.py runs every query
against a real Prometheus scraping a real Miroir.

Variables: `datasource` (a Prometheus), `job` (the Miroir cluster: its scrape
job), `instance` (Miroir instances, all by default). Metrics reference:
docs/metrics.md; how to read each panel: docs/operations.md, "Reading the
dashboard".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).with_name("miroir-dashboard.json")
SEL = 'job=~"$job", instance=~"$instance"'
RATE = "$__rate_interval"
SEARCH_ROUTES = r'route=~"/multi-search|/indexes/\\{index\\}/(search|facet-search)"'

_next_id = 0


def _id() -> int:
    global _next_id
    _next_id += 1
    return _next_id


def target(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> dict:
    t = {"datasource": {"type": "prometheus", "uid": "${datasource}"},
         "expr": expr, "legendFormat": legend or "__auto", "refId": ref}
    if instant:
        t["instant"] = True
        t["range"] = False
    return t


def stat(title: str, expr: str, desc: str, unit: str = "short", x: int = 0, y: int = 0,
         w: int = 4, thresholds: list | None = None) -> dict:
    steps = thresholds or [{"color": "green", "value": None}]
    return {
        "id": _id(), "type": "stat", "title": title, "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": 4},
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto"},
        "targets": [target(expr, ref="A", instant=True)],
    }


def series(title: str, targets: list[dict], desc: str, unit: str = "short", x: int = 0,
           y: int = 0, w: int = 12, h: int = 8, stack: bool = False) -> dict:
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    return {
        "id": _id(), "type": "timeseries", "title": title, "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom",
                               "calcs": ["lastNotNull", "max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [dict(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)],
    }


def row(title: str, y: int) -> dict:
    return {"id": _id(), "type": "row", "title": title, "collapsed": False,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []}


def quantiles(metric: str, matcher: str, by: str = "") -> list[dict]:
    group = f"{by}, le" if by else "le"
    out = []
    for q in ("0.5", "0.95", "0.99"):
        legend = f"p{q[2:].ljust(2, '0')}" + (" {{" + by + "}}" if by else "")
        out.append(target(
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket{{{matcher}}}[{RATE}])))",
            legend))
    return out


def panels() -> list[dict]:
    p: list[dict] = []
    y = 0
    p.append(row("Overview", y))
    y += 1
    p += [
        stat("Requests / s", f"sum(rate(miroir_http_requests_total{{{SEL}}}[{RATE}]))",
             "Client requests answered per second, all routes.", "reqps", 0, y),
        stat("5xx ratio",
             f'(sum(rate(miroir_http_requests_total{{{SEL}, status=~"5.."}}[{RATE}])) or vector(0)) '
             f"/ sum(rate(miroir_http_requests_total{{{SEL}}}[{RATE}]))",
             "Share of client requests answered with a 5xx (503 miroir_no_quorum, "
             "miroir_shard_unavailable, miroir_store_unavailable; 502 miroir_node_error).",
             "percentunit", 4, y,
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.001},
                         {"color": "red", "value": 0.01}]),
        stat("Degraded / s", f"sum(rate(miroir_degraded_responses_total{{{SEL}}}[{RATE}])) or vector(0)",
             "Responses carrying X-Miroir-Degraded: partial searches, writes that missed a replica.",
             "reqps", 8, y,
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.0001}]),
        stat("Nodes down",
             f'count(max by (group, node) (miroir_node_healthy{{job=~"$job"}}) == 0) or vector(0)',
             "Nodes no Miroir instance can route to (the MiroirNodeDown condition).", "short", 12, y,
             thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]),
        stat("Live instances", f'max(miroir_live_instances{{job=~"$job"}})',
             "Miroir instances in the membership (1 on the embedded store).", "short", 16, y),
        stat("Topology epoch spread",
             f'max(miroir_topology_epoch{{job=~"$job"}}) - min(miroir_topology_epoch{{job=~"$job"}})',
             "Difference between the newest and the oldest topology epoch served by the "
             "instances: 0 when they all route by the same topology.", "short", 20, y,
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}]),
    ]
    y += 4
    p.append(row("Requests", y))
    y += 1
    p += [
        series("Requests by route", [target(
            f"sum by (method, route) (rate(miroir_http_requests_total{{{SEL}}}[{RATE}]))",
            "{{method}} {{route}}")],
            "Requests per second by route template.", "reqps", 0, y, stack=True),
        series("Responses by status", [target(
            f"sum by (status) (rate(miroir_http_requests_total{{{SEL}}}[{RATE}]))", "{{status}}")],
            "Responses per second by HTTP status.", "reqps", 12, y, stack=True),
    ]
    y += 8
    p += [
        series("Search latency", quantiles("miroir_http_request_duration_seconds",
                                            f"{SEL}, {SEARCH_ROUTES}"),
               "Quantiles of search, multi-search and facet-search latency, from the request "
               "parsed to the response ready (the MiroirSlowSearches alert watches p99).",
               "s", 0, y),
        series("p99 latency by route", [target(
            f"histogram_quantile(0.99, sum by (route, le) "
            f"(rate(miroir_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))", "{{route}}")],
            "99th percentile per route template; document writes include splitting the batch "
            "and waiting for every owner.", "s", 12, y),
    ]
    y += 8
    p += [
        series("In flight", [target(f"sum by (instance) (miroir_http_requests_in_flight{{{SEL}}})",
                                    "{{instance}}")],
               "Client requests being handled, per instance.", "short", 0, y, w=8),
        series("Degraded responses by route", [target(
            f"sum by (route) (rate(miroir_degraded_responses_total{{{SEL}}}[{RATE}]))", "{{route}}")],
            "Responses with X-Miroir-Degraded, by route (MiroirDegradedResponses).", "reqps", 8, y,
            w=8),
        series("Scatter", [
            target(f"sum(rate(miroir_scatter_fanout_nodes_sum{{{SEL}}}[{RATE}])) "
                   f"/ sum(rate(miroir_scatter_fanout_nodes_count{{{SEL}}}[{RATE}]))",
                   "nodes per scatter (mean)"),
            target(f"histogram_quantile(0.99, sum by (le) "
                   f"(rate(miroir_scatter_fanout_nodes_bucket{{{SEL}}}[{RATE}])))",
                   "nodes per scatter (p99)"),
            target(f"sum(rate(miroir_scatter_retries_total{{{SEL}}}[{RATE}]))",
                   "read rounds retried / s")],
            "Nodes addressed per scatter round (a search's covering set, a write's owners, a "
            "broadcast) and read rounds re-sent to other replicas after node failures.",
            "short", 16, y, w=8),
    ]
    y += 8
    p.append(row("Nodes", y))
    y += 1
    p += [
        series("Node health", [target(
            f'max by (group, node) (miroir_node_healthy{{job=~"$job"}})', "{{group}}/{{node}}")],
            "1 while at least one instance routes to the node, 0 when every instance has "
            "marked it down (MiroirNodeDown after 2 minutes).", "short", 0, y, w=8),
        series("Node requests", [target(
            f"sum by (node) (rate(miroir_node_requests_total{{{SEL}}}[{RATE}]))", "{{node}}")],
            "Requests Miroir sends each node per second on behalf of clients.", "reqps", 8, y, w=8),
        series("Node errors by kind", [target(
            f"sum by (node, kind) (rate(miroir_node_errors_total{{{SEL}}}[{RATE}])) > 0",
            "{{node}} {{kind}}")],
            "Node requests without a usable answer: connect, timeout, reset, protocol, "
            "too_large, server_error (MiroirNodeErrors above 5%).", "reqps", 16, y, w=8),
    ]
    y += 8
    p += [
        series("Node latency p99", [target(
            f"histogram_quantile(0.99, sum by (node, le) "
            f"(rate(miroir_node_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))", "{{node}}")],
            "99th percentile of each node's request time as Miroir sees it; a search waits "
            "for the slowest node of its covering set.", "s", 0, y),
        series("Node latency (all nodes)",
               quantiles("miroir_node_request_duration_seconds", SEL),
               "Quantiles over every node request.", "s", 12, y),
    ]
    y += 8
    p.append(row("Instances and background work", y))
    y += 1
    p += [
        series("Membership and topology", [
            target(f"miroir_live_instances{{{SEL}}}", "live instances seen by {{instance}}"),
            target(f"miroir_topology_epoch{{{SEL}}}", "epoch of {{instance}}")],
            "Each instance's view of the membership and the topology epoch it routes by "
            "(MiroirInstancesMissing, MiroirInstanceNotInMembership).", "short", 0, y, w=8),
        series("Task pruner", [
            target(f"sum by (instance) (rate(miroir_task_pruner_passes_total{{{SEL}}}[{RATE}]))",
                   "passes / s {{instance}}"),
            target(f"sum by (instance) (rate(miroir_tasks_pruned_total{{{SEL}}}[{RATE}]))",
                   "tasks pruned / s {{instance}}"),
            target(f"miroir_background_partitions_held{{{SEL}}}",
                   "partitions {{worker}} {{instance}}")],
            "Task-record pruning: passes, records deleted past task_store.retention, and the "
            "partitions each instance held in its last pass.", "short", 8, y, w=8),
        series("Store errors and fencing", [
            target(f"sum by (instance, worker) (increase(miroir_background_errors_total{{{SEL}}}[{RATE}]))",
                   "store errors {{worker}} {{instance}}"),
            target(f"sum by (instance, worker) "
                   f"(increase(miroir_fenced_writes_refused_total{{{SEL}}}[{RATE}]))",
                   "fenced writes {{worker}} {{instance}}"),
            target(f"sum by (instance) (increase(miroir_node_writes_fenced_total{{{SEL}}}[{RATE}]))",
                   "node writes fenced {{instance}}")],
            "Failed store calls of background workers (MiroirStoreUnavailable), state writes "
            "refused to an instance that lost its lease (MiroirFencedWritesRefused), and node "
            "writes an instance refused to send after its membership lapsed (self-fencing).",
            "short", 16, y, w=8),
    ]
    y += 8
    p.append(row("Shards, tasks and topology changes", y))
    y += 1
    job = 'job=~"$job"'
    p += [
        series("Shards", [
            target(f"min(miroir_shards_uncovered{{{job}}})", "uncovered"),
            target(f"max(miroir_shards_degraded{{{job}}})", "degraded"),
            target(f"max by (group, node) (miroir_node_shards{{{job}}})",
                   "owned by {{node}} ({{group}})")],
            "Shards of cluster.shards with no healthy owner anywhere (searches miss them; "
            "MiroirShardNotCovered) and with an owner down (fewer copies than RF), and the "
            "shards each node owns.", "short", 0, y, w=8),
        series("Tasks", [
            target(f"max by (status) (miroir_tasks{{{job}}})", "{{status}}"),
            target(f"max(miroir_task_oldest_unfinished_age_seconds{{{job}}})",
                   "oldest unfinished (s)")],
            "Miroir tasks in the registry by status, and the age of the oldest unfinished one "
            "(MiroirTaskBacklog past 15 minutes).", "short", 8, y, w=8),
        series("Topology change", [
            target(f"sum by (phase) (miroir_migration_indexes{{{job}}})", "indexes in {{phase}}"),
            target(f"sum(rate(miroir_migration_documents_copied_total{{{job}}}[{RATE}]))",
                   "documents copied / s"),
            target(f"time() - max(miroir_migration_started_timestamp_seconds{{{job}}})",
                   "running for (s)")],
            "A change in progress: indexes by phase (reported by the coordinating instance), "
            "documents copied per second, and how long it has run (MiroirMigrationStuck).",
            "short", 16, y, w=8),
    ]
    y += 8
    p.append(row("Anti-entropy and hinted handoff", y))
    y += 1
    p += [
        series("Anti-entropy passes", [
            target(f"sum(rate(miroir_antientropy_mismatches_total{{{job}}}[{RATE}]))",
                   "mismatches / s"),
            target(f"sum(rate(miroir_antientropy_documents_repaired_total{{{job}}}[{RATE}]))",
                   "repaired / s"),
            target(f"max(miroir_antientropy_mismatch_streak{{{job}}})", "mismatch streak"),
            target(f"max(miroir_antientropy_last_pass_duration_seconds{{{job}}})",
                   "last pass (s)")],
            "Documents found different between replicas and repaired, the longest run of "
            "passes that found mismatches (MiroirAntiEntropyMismatches at 3), and how long "
            "the last pass took. Empty when anti-entropy is off.", "short", 0, y, w=8),
        series("Anti-entropy scan", [
            target(f"sum(rate(miroir_antientropy_documents_scanned_total{{{job}}}[{RATE}]))",
                   "documents verified / s"),
            target(f"sum(rate(miroir_antientropy_bytes_read_total{{{job}}}[{RATE}]))",
                   "bytes read / s"),
            target(f"sum(rate(miroir_antientropy_shards_skipped_total{{{job}}}[{RATE}]))",
                   "shards skipped / s")],
            "What passes read (three small fields per document) and the shards they could not "
            "compare (a copy down or catching up, a change in progress, an error).",
            "short", 8, y, w=8),
        series("Hinted handoff", [
            target(f"max by (node) (miroir_hints_pending{{{job}}})", "pending for {{node}}"),
            target(f"sum(rate(miroir_hints_replayed_total{{{job}}}[{RATE}]))", "replayed / s"),
            target(f"sum by (reason) (rate(miroir_hints_dropped_total{{{job}}}[{RATE}]))",
                   "dropped / s ({{reason}})")],
            "Writes waiting for nodes that missed them (such a node serves no reads until 0), "
            "replayed, and given up (left to anti-entropy).", "short", 16, y, w=8),
    ]
    return p


def dashboard() -> dict:
    global _next_id
    _next_id = 0
    return {
        "title": "Miroir",
        "uid": "miroir-overview",
        "description": "Miroir, a sharding proxy for Meilisearch: requests, nodes, scatter, "
                       "instances. See docs/operations.md.",
        "tags": ["miroir", "meilisearch"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Prometheus", "type": "datasource",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1},
            {"name": "job", "label": "Cluster (job)", "type": "query",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(miroir_http_requests_in_flight, job)",
                       "refId": "job"},
             "definition": "label_values(miroir_http_requests_in_flight, job)",
             "refresh": 2, "multi": False, "includeAll": False, "current": {}, "sort": 1},
            {"name": "instance", "label": "Instance", "type": "query",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": 'label_values(miroir_http_requests_in_flight{job=~"$job"}, instance)',
                       "refId": "instance"},
             "definition": 'label_values(miroir_http_requests_in_flight{job=~"$job"}, instance)',
             "refresh": 2, "multi": True, "includeAll": True, "allValue": ".*",
             "current": {}, "sort": 1},
        ]},
        "annotations": {"list": []},
        "links": [],
        "panels": panels(),
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    text = render()
    if sys.argv[1:] == ["--check"]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: run python3 deploy/grafana/build_dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
