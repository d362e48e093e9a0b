"""Waiting for Meilisearch-style asynchronous tasks."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests

FINISHED_STATUSES = ("succeeded", "failed", "canceled")


class TaskTimeout(AssertionError):
    """A task did not reach a finished status in time."""


def task_uid_of(task: Any) -> int:
    """The task uid of an int, a summarized-task dict, a task dict or an SDK TaskInfo/Task."""
    if isinstance(task, bool):
        raise TypeError("a bool is not a task uid")
    if isinstance(task, int):
        return task
    if isinstance(task, dict):
        if "taskUid" in task:
            return int(task["taskUid"])
        if "uid" in task:
            return int(task["uid"])
        raise TypeError(f"no task uid in {task!r}")
    for attr in ("task_uid", "uid"):
        value = getattr(task, attr, None)
        if isinstance(value, int):
            return value
    raise TypeError(f"cannot find a task uid in {task!r}")


def _endpoint(target: Any, key: Any) -> tuple[str, str | None]:
    """(base url, api key) for a NodeProcess, a MiroirProcess or MiroirCluster, a
    meilisearch.Client or a URL string."""
    from .process import MASTER, NodeProcess

    if isinstance(target, NodeProcess):
        return target.url, target.master_key if key is MASTER else key
    if hasattr(target, "url") and hasattr(target, "master_key"):  # MiroirProcess / MiroirCluster
        return target.url, target.master_key if key is MASTER else key
    config = getattr(target, "config", None)
    if config is not None and hasattr(config, "url"):
        return config.url.rstrip("/"), config.api_key if key is MASTER else key
    if isinstance(target, str):
        return target.rstrip("/"), None if key is MASTER else key
    raise TypeError(f"cannot talk to {target!r}")


def get_task(target: Any, task: Any, *, key: Any = None, timeout: float = 10.0) -> dict:
    """GET /tasks/{uid} as a dict (raises for a non-200 answer)."""
    from .process import MASTER

    url, api_key = _endpoint(target, MASTER if key is None else key)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    resp = requests.get(f"{url}/tasks/{task_uid_of(task)}", headers=headers, timeout=timeout)
    resp.raise_for_status()
    return resp.json()


def wait_for_task(target: Any, task: Any, *, timeout: float = 10.0, interval: float = 0.02,
                  key: Any = None) -> dict:
    """Poll GET /tasks/{uid} until the task is succeeded, failed or canceled.

    `target` is a NodeProcess, a meilisearch.Client or a base URL; `task` anything
    `task_uid_of` understands. Returns the final task as a dict. Raises
    TaskTimeout (an AssertionError) with the last state seen.
    """
    uid = task_uid_of(task)
    deadline = time.monotonic() + timeout
    last: dict | None = None
    while True:
        try:
            last = get_task(target, uid, key=key)
        except requests.HTTPError as exc:
            # A task right after a restart may not be visible for a moment; keep polling.
            last = {"error": str(exc)}
        if last.get("status") in FINISHED_STATUSES:
            return last
        if time.monotonic() >= deadline:
            raise TaskTimeout(f"task {uid} not finished after {timeout}s; last seen: {last}")
        time.sleep(interval)


def wait_for_tasks(target: Any, tasks: list[Any], **kwargs: Any) -> list[dict]:
    return [wait_for_task(target, t, **kwargs) for t in tasks]


def parse_timestamp_ns(value: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 timestamp such as
    `2024-05-01T10:11:12.123456789Z` (any number of fraction digits, Z or an offset)."""
    text = value.strip()
    offset = "+00:00"
    if text.endswith(("Z", "z")):
        text = text[:-1]
    elif len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
        text, offset = text[:-6], text[-6:]
    head, _, frac = text.partition(".")
    base = dt.datetime.fromisoformat(head.replace(" ", "T") + offset)
    nanos = int((frac + "000000000")[:9]) if frac else 0
    return int(base.timestamp()) * 1_000_000_000 + nanos
