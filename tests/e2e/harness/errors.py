"""Assertions on Meilisearch-shaped errors.

Meilisearch answers every error with exactly
`{"message", "code", "type", "link"}` where link is
`https://docs.meilisearch.com/errors#<code>`.
"""

from __future__ import annotations

from typing import Any

import requests

ERROR_LINK = "https://docs.meilisearch.com/errors#"


def check_error_body(body: Any, code: str, type_: str = "invalid_request",
                     message: str | None = None) -> None:
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert set(body) == {"message", "code", "type", "link"}, f"error keys: {body!r}"
    assert body["code"] == code, f"expected code {code}, got {body!r}"
    assert body["type"] == type_, f"expected type {type_}, got {body!r}"
    assert body["link"] == ERROR_LINK + code, body
    assert isinstance(body["message"], str) and body["message"], body
    if message is not None:
        assert body["message"] == message, f"message {body['message']!r} != {message!r}"


def assert_error_response(resp: requests.Response, status: int, code: str,
                          type_: str = "invalid_request", message: str | None = None) -> dict:
    """A raw HTTP response is the Meilisearch error `code` with HTTP `status`."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.url}: expected HTTP {status}, got {resp.status_code}: "
        f"{resp.text[:500]}")
    try:
        body = resp.json()
    except ValueError as exc:
        raise AssertionError(f"error body is not JSON: {resp.text[:500]!r}") from exc
    check_error_body(body, code, type_, message)
    return body


def assert_api_error(exc: Any, status: int, code: str, type_: str = "invalid_request",
                     message: str | None = None) -> None:
    """A meilisearch.errors.MeilisearchApiError carries the given status and error."""
    assert exc.status_code == status, f"expected HTTP {status}, got {exc.status_code}: {exc}"
    assert exc.code == code, f"expected code {code}, got {exc.code}: {exc}"
    assert exc.type == type_, f"expected type {type_}, got {exc.type}: {exc}"
    assert exc.link == ERROR_LINK + code, exc.link
    if message is not None:
        assert exc.message == message, f"message {exc.message!r} != {message!r}"


def assert_task_error(task: dict, code: str, type_: str = "invalid_request",
                      message: str | None = None) -> None:
    """A finished task failed with the given error object."""
    assert task["status"] == "failed", f"expected a failed task, got {task!r}"
    check_error_body(task["error"], code, type_, message)
