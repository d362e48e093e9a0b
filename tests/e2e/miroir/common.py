"""Assertions and small request helpers shared by the Miroir suites."""

from __future__ import annotations

from typing import Any

import requests

from harness import DEGRADED_HEADER, RESERVED_FIELDS

# Parts of a search answer that legitimately differ between two servers.
VOLATILE_KEYS = {"processingTimeMs", "requestUid"}


def assert_no_reserved(value: Any, where: str = "response") -> None:
    """No reserved field name anywhere in `value` (keys or string values, any depth)."""
    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                assert not str(k).startswith("_miroir"), f"{where}: reserved key {k!r} at {path}"
                walk(sub, f"{path}.{k}")
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                walk(sub, f"{path}[{i}]")
        elif isinstance(v, str):
            assert not v.startswith("_miroir"), f"{where}: reserved name {v!r} at {path}"
    walk(value, "$")


def is_degraded(resp: requests.Response) -> bool:
    return DEGRADED_HEADER in resp.headers  # requests' headers are case-insensitive


def assert_not_degraded(resp: requests.Response) -> None:
    assert not is_degraded(resp), (
        f"{resp.request.method} {resp.url}: unexpected {DEGRADED_HEADER} header: "
        f"{dict(resp.headers)}")


def assert_degraded(resp: requests.Response) -> None:
    assert is_degraded(resp), (
        f"{resp.request.method} {resp.url}: expected an {DEGRADED_HEADER} header, got "
        f"{dict(resp.headers)}")


def ok_json(resp: requests.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.url}: expected HTTP {status}, got {resp.status_code}: "
        f"{resp.text[:800]}")
    return resp.json()


def search(target: Any, uid: str, body: dict, **kwargs: Any) -> requests.Response:
    """POST /indexes/{uid}/search on a NodeProcess, MiroirProcess or MiroirCluster."""
    return target.http("POST", f"/indexes/{uid}/search", json=body, **kwargs)


def search_json(target: Any, uid: str, body: dict) -> dict:
    return ok_json(search(target, uid, body))


def ids(response: dict, key: str = "id") -> list:
    return [hit[key] for hit in response["hits"]]


def normalized(body: Any, *, order_matters: bool = True, key: str = "id") -> Any:
    """A search answer without its volatile parts; hits sorted by `key` unless order matters."""
    if not isinstance(body, dict):
        return body
    out = {k: v for k, v in body.items() if k not in VOLATILE_KEYS}
    if "hits" in out and not order_matters:
        out["hits"] = sorted(out["hits"], key=lambda h: (str(type(h.get(key))), h.get(key)))
    return out


def task_total(target: Any, **params: Any) -> int:
    """`total` of GET /tasks with the given filters (through whatever `target` is)."""
    resp = target.http("GET", "/tasks", params={"limit": 1, **params})
    return ok_json(resp)["total"]


def reserved_free(doc: dict) -> dict:
    """A node's raw document without Miroir's reserved fields."""
    return {k: v for k, v in doc.items() if k not in RESERVED_FIELDS}
