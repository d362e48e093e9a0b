"""Topology changes seen from outside: start them through the admin API, wait for
the migration coordinator to finish, and check where every shard lives by asking
the nodes themselves.

Used by tests/e2e/migration and the chaos harness (tests/chaos).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Iterable

import requests

from .miroir import MiroirProcess
from .process import NodeProcess


def admin(proxy: MiroirProcess, method: str, path: str, body: Any = None,
          timeout: float = 30.0) -> requests.Response:
    kwargs: dict[str, Any] = {"timeout": timeout}
    if body is not None:
        kwargs["json"] = body
    return proxy.admin(method, path, **kwargs)


def status(proxy: MiroirProcess) -> dict:
    resp = admin(proxy, "GET", "/_miroir/migrations")
    assert resp.status_code == 200, resp.text
    return resp.json()


def wait_migration(proxy: MiroirProcess, timeout: float = 120.0,
                   proxies: Iterable[MiroirProcess] = ()) -> dict:
    """Wait until no migration is in progress; returns the finished one ("last").
    Asks `proxy`, or the first of `proxies` that answers."""
    candidates = [proxy, *proxies]
    deadline = time.monotonic() + timeout
    last_seen: Any = None
    while time.monotonic() < deadline:
        for p in candidates:
            try:
                s = status(p)
            except (requests.RequestException, AssertionError):
                continue
            last_seen = s
            if s["migration"] is None:
                return s["last"]
            break
        time.sleep(0.1)
    raise AssertionError(f"migration did not finish in {timeout}s; last status: {last_seen}")


def wait_phase(proxy: MiroirProcess, uid: str, phases: Iterable[str],
               timeout: float = 60.0) -> dict:
    """Wait until index `uid` of the migration in progress is in one of `phases`."""
    wanted = set(phases)
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        s = status(proxy)
        last = s
        m = s["migration"]
        if m is not None and m["indexes"].get(uid, {}).get("phase") in wanted:
            return m
        time.sleep(0.02)
    raise AssertionError(f"index {uid} never reached {wanted}; last status: {last}")


def node_documents(node: NodeProcess, uid: str, fields: list[str] | None = None) -> list[dict]:
    """Every document of `uid` on `node`, read from the node directly (empty when the
    node has no such index)."""
    out: list[dict] = []
    offset = 0
    while True:
        body: dict[str, Any] = {"limit": 1000, "offset": offset}
        if fields is not None:
            body["fields"] = fields
        resp = node.http("POST", f"/indexes/{uid}/documents/fetch", json=body)
        if resp.status_code == 404:
            return out
        assert resp.status_code == 200, resp.text
        results = resp.json()["results"]
        out.extend(results)
        offset += len(results)
        if len(results) < 1000:
            return out


def node_shards(node: NodeProcess, uid: str) -> Counter:
    """Documents of `uid` on `node` per shard."""
    return Counter(d["_miroir_shard"] for d in node_documents(node, uid, ["_miroir_shard"]))


def owned_shards(proxy: MiroirProcess, uid: str) -> dict[str, set[int]]:
    """node id -> the shards of `uid` it owns, from GET /_miroir/shards."""
    shards = proxy.admin_json("/_miroir/shards")["indexes"][uid]["shards"]
    out: dict[str, set[int]] = {}
    for entry in shards:
        for owners in entry["owners"].values():
            for nid in owners:
                out.setdefault(nid, set()).add(entry["shard"])
    return out


def assert_shards_live_on_owners_only(proxy: MiroirProcess, nodes: dict[str, NodeProcess],
                                      uid: str) -> None:
    """Every node holds documents of exactly the shards it owns (and nothing of the
    others), nodes that left the topology included."""
    owned = owned_shards(proxy, uid)
    topology_ids = {n["id"] for g in proxy.topology()["groups"] for n in g["nodes"]}
    for nid, node in nodes.items():
        if not node.is_running():
            continue
        held = set(node_shards(node, uid))
        mine = owned.get(nid, set()) if nid in topology_ids else set()
        assert held <= mine, f"{nid} holds shards it does not own: {sorted(held - mine)}"
