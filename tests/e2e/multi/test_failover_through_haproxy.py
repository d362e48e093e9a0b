"""Two Miroir instances behind HAProxy behave as one address (issue 5): one of
them is SIGKILLed while a steady stream of writes and searches goes through
HAProxy with the client's normal retry, and no acknowledged write is lost and
every search is answered."""

from __future__ import annotations

import threading
import time

import meilisearch
import pytest
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError

from harness.process import DEFAULT_MASTER_KEY

from .conftest import HaproxyProcess, require_haproxy

RETRYABLE_STATUSES = {502, 503, 504}


@pytest.fixture(scope="module")
def fleet(pair, tmp_path_factory: pytest.TempPathFactory):
    require_haproxy()
    cluster, a, b = pair
    haproxy = HaproxyProcess(tmp_path_factory.mktemp("haproxy"), [a, b]).start()
    try:
        yield cluster, a, b, haproxy
    finally:
        haproxy.stop()


def with_retry(call, attempts: int = 40, pause: float = 0.1):
    """What an application does around an SDK call: retry connection failures and
    5xx answers for a while. Returns the result; raises the last error if it never
    succeeds."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return call()
        except MeilisearchCommunicationError as e:
            last = e
        except MeilisearchApiError as e:
            if e.status_code not in RETRYABLE_STATUSES:
                raise
            last = e
        time.sleep(pause)
    assert last is not None
    raise last


def test_kill9_of_one_instance_under_load_loses_no_acknowledged_write(fleet) -> None:
    cluster, a, b, haproxy = fleet
    client = meilisearch.Client(haproxy.url, DEFAULT_MASTER_KEY, timeout=10)
    task = with_retry(lambda: client.create_index("stream", {"primaryKey": "id"}))
    assert client.wait_for_task(task.task_uid, timeout_in_ms=20_000).status == "succeeded"

    stop = threading.Event()
    acknowledged: dict[int, list[int]] = {}  # task uid -> document ids
    searches = {"answered": 0, "failed": 0}
    errors: list[str] = []

    def writer() -> None:
        batch = 0
        while not stop.is_set():
            ids = list(range(batch * 10, batch * 10 + 10))
            docs = [{"id": i, "title": f"doc {i}"} for i in ids]
            try:
                info = with_retry(lambda: client.index("stream").add_documents(docs))
            except Exception as e:  # noqa: BLE001 - recorded, asserted below
                errors.append(f"write {batch}: {e!r}")
            else:
                acknowledged[info.task_uid] = ids
            batch += 1

    def searcher() -> None:
        while not stop.is_set():
            try:
                with_retry(lambda: client.index("stream").search("doc", {"limit": 5}))
                searches["answered"] += 1
            except Exception as e:  # noqa: BLE001
                searches["failed"] += 1
                errors.append(f"search: {e!r}")

    threads = [threading.Thread(target=writer), threading.Thread(target=searcher)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        killed_acks = len(acknowledged)
        a.kill9()
        time.sleep(2.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert not errors, errors[:5]
        assert killed_acks > 0 and len(acknowledged) > killed_acks, \
            "writes were acknowledged before and after the kill"
        assert searches["answered"] > 0 and searches["failed"] == 0

        # Every acknowledged task settles (through B, the survivor) and its documents are there.
        for uid in sorted(acknowledged):
            done = client.wait_for_task(uid, timeout_in_ms=30_000)
            assert done.status == "succeeded", (uid, done)
        want = sorted(i for ids in acknowledged.values() for i in ids)
        got = client.index("stream").get_documents({"limit": len(want) + 100, "fields": ["id"]})
        present = {d.id if hasattr(d, "id") else d["id"] for d in got.results}
        missing = [i for i in want if i not in present]
        assert not missing, f"{len(missing)} acknowledged documents lost, e.g. {missing[:10]}"
    finally:
        a.start()  # the module's other tests (and its teardown) expect both
