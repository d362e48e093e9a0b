"""Small Meilisearch-API conveniences on top of the official Python SDK.

They work against anything that speaks the Meilisearch API (test node, real
Meilisearch, a Miroir proxy) and assert on the outcome of what they wait for,
so a suite's setup fails loudly instead of producing confusing later errors.
"""

from __future__ import annotations

from typing import Any, Iterable

from .tasks import wait_for_task

DEFAULT_TIMEOUT = 15.0


def succeeded(target: Any, task: Any, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Wait for `task` and assert it succeeded; returns the task dict."""
    result = wait_for_task(target, task, timeout=timeout)
    assert result["status"] == "succeeded", f"task did not succeed: {result}"
    return result


def failed(target: Any, task: Any, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Wait for `task` and assert it failed; returns the task dict."""
    result = wait_for_task(target, task, timeout=timeout)
    assert result["status"] == "failed", f"task did not fail: {result}"
    return result


def create_index(client: Any, uid: str, primary_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Create an index, wait for success, return the SDK Index object."""
    options = {"primaryKey": primary_key} if primary_key is not None else None
    succeeded(client, client.create_index(uid, options), timeout)
    return client.index(uid)


def add_documents(client: Any, uid: str, documents: list[dict], primary_key: str | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> dict:
    """POST documents (creating the index if needed), wait for success."""
    return succeeded(client, client.index(uid).add_documents(documents, primary_key), timeout)


def update_settings(client: Any, uid: str, settings: dict,
                    timeout: float = DEFAULT_TIMEOUT) -> dict:
    return succeeded(client, client.index(uid).update_settings(settings), timeout)


def make_index(client: Any, uid: str, documents: list[dict], *, primary_key: str = "id",
               settings: dict | None = None, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Index with optional settings then documents, everything waited for."""
    create_index(client, uid, primary_key, timeout)
    if settings:
        update_settings(client, uid, settings, timeout)
    if documents:
        add_documents(client, uid, documents, timeout=timeout)
    return client.index(uid)


def hit_ids(response: dict, field: str = "id") -> list[Any]:
    """The `field` of every hit, in order."""
    return [hit[field] for hit in response["hits"]]


def all_documents(client: Any, uid: str, fields: Iterable[str] | None = None) -> list[dict]:
    """Every document of an index through POST /documents/fetch, in pages."""
    out: list[dict] = []
    offset = 0
    while True:
        params: dict[str, Any] = {"offset": offset, "limit": 100}
        if fields is not None:
            params["fields"] = list(fields)
        page = client.index(uid).get_documents(params)
        out.extend(dict(doc) for doc in page.results)
        offset += len(page.results)
        if not page.results or offset >= page.total:
            return out
