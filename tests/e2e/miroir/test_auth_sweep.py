"""Every route Miroir serves, swept with no key, a wrong key, a key lacking the
route's action, an expired key, and — for the admin routes — the master key.

The route list is read from the registrations in src/api/*.cpp, so a new route
is swept without editing this file. Every refused request carries its own
X-Request-Id; afterwards no node may have seen any of them: a refused request
never reaches a node. The keys must not show up in Miroir's log or metrics.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harness import MiroirCluster, TopologySpec

from .common import ok_json

REPO = Path(__file__).resolve().parents[3]
UID = "sweep"

_ADD = re.compile(r'routes\.Add\(\s*(http::Method::k\w+|method)\s*,\s*("[^"]*"|kIndex)\s*,\s*'
                  r'Access::k(\w+)\s*,\s*"([^"]*)"', re.S)
_LOOP = re.compile(r'for \(auto method : \{([^}]*)\}\)')
_KINDEX = re.compile(r'kIndex = "([^"]*)"')


def registered_routes() -> list[tuple[str, str, str, str]]:
    """(method, template, access, action) for every route registration."""
    routes = []
    for path in sorted((REPO / "src/api").glob("*.cpp")):
        text = path.read_text()
        kindex = _KINDEX.search(text)
        for m in _ADD.finditer(text):
            method_token, template, access, action = m.groups()
            template = kindex.group(1) if template == "kIndex" else template.strip('"')
            if method_token == "method":
                loop = [l for l in _LOOP.finditer(text) if l.start() < m.start()][-1]
                methods = re.findall(r"k(\w+)", loop.group(1))
            else:
                methods = [method_token.split("::k")[1]]
            for method in methods:
                routes.append((method.upper(), template, access, action))
    return routes


ROUTES = registered_routes()


def concrete(template: str) -> str:
    return (template.replace("{index}", UID).replace("{id}", "1").replace("{uid}", "0")
            .replace("{key}", "00000000-0000-0000-0000-000000000000")
            .replace("{setting}", "filterable-attributes"))


BODIES = {"/multi-search": {"queries": [{"indexUid": UID, "q": ""}]},
          "/swap-indexes": [], "/indexes": {"uid": "sweep-new"}}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    c = MiroirCluster(tmp_path_factory.mktemp("sweep"),
                      TopologySpec(groups=(2,), replication_factor=1, shards=8))
    c.start()
    try:
        client = c.client()
        client.wait_for_task(client.create_index(UID, {"primaryKey": "id"}).task_uid)
        client.wait_for_task(client.index(UID).add_documents([{"id": 1, "t": "a"}]).task_uid)
        expiry = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3)
        expires = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        keys = {}
        for name, actions, expires_at in (("lacking-stats", ["stats.get"], None),
                                          ("lacking-version", ["version"], None),
                                          ("expired", ["*"], expires)):
            created = ok_json(c.http("POST", "/keys", json={
                "name": name, "actions": actions, "indexes": ["*"], "expiresAt": expires_at}), 201)
            keys[name] = created["key"]
        # Let the expiring key expire.
        time.sleep(max(0.0, (expiry - datetime.now(timezone.utc)).total_seconds() + 0.5))
        c.keys = keys
        yield c
    finally:
        c.stop()


def test_the_sweep_knows_every_kind_of_route():
    accesses = {access for _, _, access, _ in ROUTES}
    assert accesses == {"Public", "Action", "Admin", "Handler"}, accesses
    assert len(ROUTES) >= 50, ROUTES
    assert ("GET", "/indexes/{index}/search", "Action", "search") in ROUTES
    assert ("POST", "/_miroir/nodes", "Admin", "") in ROUTES


def test_every_route_refuses_every_bad_credential_before_reaching_a_node(swept):
    proxy = swept.proxy
    sent = 0
    failures = []
    for method, template, access, action in ROUTES:
        if access == "Public":
            continue
        path = concrete(template)
        lacking = swept.keys["lacking-version" if action == "stats.get" else "lacking-stats"]
        cases = [("no key", None, 401, "missing_authorization_header"),
                 ("wrong key", "not-a-key-at-all", 403, None),
                 ("key lacking the action", lacking, 403, None),
                 ("expired key", swept.keys["expired"], 403, None)]
        if access == "Admin":
            cases.append(("master key", proxy.master_key, 403, "miroir_invalid_admin_key"))
        for label, key, status, code in cases:
            sent += 1
            rid = f"sweep-{sent}"
            resp = proxy.http(method, path, key=key, headers={"X-Request-Id": rid},
                              json=BODIES.get(template) if method in ("POST", "PUT", "PATCH")
                              else None)
            want_code = code or ("miroir_invalid_admin_key" if access == "Admin"
                                 else "invalid_api_key")
            body = resp.json() if resp.content else {}
            if resp.status_code != status or body.get("code") != want_code:
                failures.append(f"{method} {path} with {label}: {resp.status_code} {body}")
                continue
            assert set(body) == {"message", "code", "type", "link"}, body
            assert body["type"] == "auth"
    assert not failures, "\n".join(failures)
    assert sent > 200
    for nid, node in swept.nodes.items():
        seen = [r for r in ok_json(node.http("GET", "/_testnode/requests"))
                if r["requestId"].startswith("sweep-")]
        assert not seen, f"{nid} received refused requests: {seen[:5]}"


def test_health_needs_no_key(swept):
    assert swept.proxy.http("GET", "/health", key=None).status_code == 200


def test_keys_appear_in_neither_log_nor_metrics(swept):
    metrics = swept.proxy.admin("GET", "/_miroir/metrics")
    assert metrics.status_code == 200
    log = swept.proxy.read_log()
    secrets = [swept.proxy.master_key, swept.proxy.admin_key, *swept.keys.values()]
    for secret in secrets:
        assert secret not in metrics.text
        assert secret not in log
