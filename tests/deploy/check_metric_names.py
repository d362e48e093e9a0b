#!/usr/bin/env python3
"""Every metric the Grafana dashboard and the alerting rules name is one that
Miroir exports.

    python3 tests/deploy/check_metric_names.py [--source | --scrape FILE]

The exported set comes from a scrape of a running Miroir (test nodes and Miroir
started on 127.0.0.1 with the embedded store) when the release binaries are
built, else from the metric registrations in src/ (--source forces that;
--scrape FILE reads a saved exposition). Checks:

- the dashboard is valid JSON, every panel has at least one query, and every
  panel query and variable query names only exported metrics;
- the rules name exported metrics, their own recording rules, `up`, and the
  PENDING metrics below — which must not be exported yet (when one is, it
  comes off this list and off docs/operations.md) and must be exactly the
  ones docs/operations.md lists under "Alerts waiting for metrics".

Exit status 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import miroir_metrics as mm  # noqa: E402

REPO = mm.REPO
DASHBOARD = REPO / "deploy/grafana/miroir-dashboard.json"
RULES = REPO / "charts/miroir/files/miroir-rules.yaml"
OPERATIONS = REPO / "docs/operations.md"

# Metrics the rules use that Miroir does not export yet (issue 7).
PENDING: set[str] = set()
PROMETHEUS_OWN = {"up"}


def dashboard_queries(dash: dict) -> list[tuple[str, str, bool]]:
    """(where, query, is_variable_query) for every query of the dashboard."""
    out = []
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            q = var.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            out.append((f"variable {var['name']}", q, True))

    def walk(panels):
        for p in panels:
            if p.get("type") == "row":
                walk(p.get("panels", []))
                continue
            targets = p.get("targets", [])
            if not targets:
                out.append((f"panel {p.get('title')!r}", "", False))
            for t in targets:
                out.append((f"panel {p.get('title')!r} {t.get('refId')}", t.get("expr", ""), False))
    walk(dash.get("panels", []))
    return out


def documented_pending(text: str) -> set[str]:
    """Backticked metric names in the 'Alerts waiting for metrics' section."""
    m = re.search(r"^#+ Alerts waiting for metrics\s*$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    if not m:
        return set()
    return set(re.findall(r"`(miroir_[a-z0-9_]+)`", m.group(1)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", action="store_true", help="read exported metrics from src/")
    ap.add_argument("--scrape", type=Path, help="read exported metrics from a saved scrape")
    args = ap.parse_args()

    if args.scrape:
        exported, origin = mm.exported_from_exposition(args.scrape.read_text()), f"scrape {args.scrape}"
    elif not args.source and (text := mm.scrape_running_miroir()) is not None:
        exported, origin = mm.exported_from_exposition(text), "a scrape of a running Miroir"
        source = mm.exported_from_source()
        if set(source) != set(exported):
            print("note: registrations read from src/ differ from the scrape: "
                  f"only in src {sorted(set(source) - set(exported))}, "
                  f"only scraped {sorted(set(exported) - set(source))}")
    else:
        exported = mm.exported_from_source()
        origin = "the registrations in src/" + ("" if args.source else " (no binary built)")
    if not exported:
        print(f"error: no miroir_ metric found in {origin}")
        return 1
    print(f"exported metrics: {len(exported)} series names, from {origin}")

    problems: list[str] = []

    # Dashboard.
    try:
        dash = json.loads(DASHBOARD.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: {DASHBOARD}: {exc}")
        return 1
    used_by_dashboard: set[str] = set()
    queries = dashboard_queries(dash)
    if not queries:
        problems.append(f"{DASHBOARD}: no queries")
    for where, query, is_var in queries:
        if not query.strip():
            problems.append(f"dashboard {where}: no query")
            continue
        names = mm.variable_query_names(query) if is_var else mm.metric_names(query)
        if not names:
            problems.append(f"dashboard {where}: names no metric: {query}")
        for name in sorted(names - set(exported)):
            problems.append(f"dashboard {where}: {name} is not exported by Miroir")
        used_by_dashboard |= names
    print(f"dashboard: {len(queries)} queries over {len(used_by_dashboard)} metrics")

    # Rules.
    rules = yaml.safe_load(RULES.read_text())
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    used_by_rules: set[str] = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            names = mm.metric_names(rule["expr"])
            used_by_rules |= names
            for n in sorted(names - set(exported) - recorded - PROMETHEUS_OWN - PENDING):
                problems.append(f"rule {name}: {n} is not exported by Miroir (nor pending)")
    for n in sorted(PENDING & set(exported)):
        problems.append(f"{n} is exported now: take it off PENDING in {Path(__file__).name} "
                        f"and off 'Alerts waiting for metrics' in docs/operations.md")
    for n in sorted(PENDING - used_by_rules):
        problems.append(f"PENDING lists {n}, which no rule uses")
    documented = documented_pending(OPERATIONS.read_text()) if OPERATIONS.exists() else set()
    if documented != PENDING:
        problems.append(f"docs/operations.md 'Alerts waiting for metrics' lists {sorted(documented)}, "
                        f"the rules wait for {sorted(PENDING)}")
    print(f"rules: {len(used_by_rules)} metrics; waiting for {len(PENDING)} not exported yet")

    families = {re.sub(r"_(bucket|sum|count)$", "", n) if exported[n] == "histogram" else n
                for n in exported}
    uncovered = sorted(f for f in families
                       if not any(u == f or u.startswith(f + "_") for u in used_by_dashboard))
    if uncovered:
        print(f"note: exported but on no dashboard panel: {', '.join(uncovered)}")

    for p in problems:
        print(f"error: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
