"""The chaos workload and its ledger: concurrent document writes through several Miroir
instances, each recorded with what its acknowledgement says, and the states each
document may legitimately be in afterwards.

Every worker thread owns a disjoint set of document ids, so the writes to one
document are sequential and their order is known. A write is
  - acknowledged: its Miroir task succeeded — it must be visible afterwards
    (unless a later write to the same document replaced it);
  - refused: Miroir answered an error before accepting it (a 4xx, or a 503 such as
    miroir_writes_held), or the connection was refused — it must not be visible;
  - indeterminate: no answer (timeout, connection dropped) or a task that never
    finished — it may have landed or not.
The ledger keeps, per document, every state it may be in: a set that starts as
{absent} and is mapped through each write (both outcomes kept for an
indeterminate one). The checker compares the cluster against those sets.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

ABSENT = None  # the state of a document that does not exist

# A present document's state: (version, patch) — `version` set by full writes,
# `patch` by partial updates.
State = tuple[int, int] | None


@dataclass
class Counters:
    acknowledged: int = 0
    refused: int = 0
    indeterminate: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.acknowledged + self.refused + self.indeterminate


class Ledger:
    """Possible states per document id. Each id is written by one thread only, so
    no lock is needed per id; the dict itself is pre-filled.

    An indeterminate write adds its outcome to the possibilities without
    removing any: a full write adds one state, a partial update at most one
    per distinct version, a delete absence; so the sets grow slowly. A set
    that still outgrows MAX_STATES is not trimmed (dropping a possibility
    would make the checker report a correct document as lost or stale): the
    id is marked unchecked instead, and the checker counts it in its notes."""

    MAX_STATES = 4096

    def __init__(self, ids: range) -> None:
        self.states: dict[int, set[State]] = {i: {ABSENT} for i in ids}
        self.unchecked: set[int] = set()

    def apply(self, doc_id: int, change: Callable[[State], State], outcome: str) -> None:
        current = self.states[doc_id]
        after = {change(s) for s in current}
        if outcome == "acknowledged":
            self.states[doc_id] = after
            if change(ABSENT) == change((-1, -1)):  # a full write or delete: known again
                self.unchecked.discard(doc_id)
        elif outcome == "indeterminate" and doc_id not in self.unchecked:
            merged = current | after
            if len(merged) > self.MAX_STATES:
                self.unchecked.add(doc_id)
                merged = after  # kept small: not checked until a full write or delete
            self.states[doc_id] = merged
        # refused: unchanged


def replace(version: int) -> Callable[[State], State]:
    return lambda _s: (version, 0)


def patch(value: int) -> Callable[[State], State]:
    # A partial update of an absent document creates it (Meilisearch's PUT).
    return lambda s: (0, value) if s is None else (s[0], value)


def delete(_s: State) -> State:
    return ABSENT


class Connections:
    """One keep-alive connection per Miroir instance, for one worker thread.
    http.client rather than requests: the workload is bound by this process's
    CPU on a small machine, and requests costs several times more per call.
    A failed call closes its connection (the next one reconnects) and raises
    OSError or http.client.HTTPException."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._open: dict[str, http.client.HTTPConnection] = {}

    def request(self, method: str, base: str, path: str, headers: dict[str, str],
                body=None) -> tuple[int, bytes]:
        conn = self._open.get(base)
        if conn is None:
            parts = urlsplit(base)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
            self._open[base] = conn
        data = None if body is None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            del self._open[base]
            raise

    def close(self) -> None:
        for conn in self._open.values():
            conn.close()


class Workload:
    """`threads` workers, each writing its own ids through the `urls` in turn (one
    Miroir instance after the other), until `operations` writes were sent or stop():
    the first half of the ids until switch_ids(), the second half after it."""

    def __init__(self, urls: list[str], key: str, uid: str, *, ids: int = 4000,
                 threads: int = 8, operations: int = 10_000, seed: int = 7,
                 timeout: float = 20.0, task_timeout: float = 60.0) -> None:
        self.urls = urls
        self.uid = uid
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.ids = ids
        self.threads = threads
        self.operations = operations
        self.timeout = timeout
        self.task_timeout = task_timeout
        self.ledger = Ledger(range(ids))
        self.counters = Counters()
        self.errors: list[str] = []  # unexpected answers (not 503/timeouts)
        self.reasons: dict[str, int] = {}  # why writes were indeterminate or refused
        self._lock = threading.Lock()
        self._sent = 0
        self._stop = threading.Event()
        self._switched = threading.Event()
        self._workers: list[threading.Thread] = []
        self._seed = seed
        self._version = 0

    # -------------------------------------------------------------- control

    def start(self) -> "Workload":
        for t in range(self.threads):
            w = threading.Thread(target=self._run, args=(t,), daemon=True)
            w.start()
            self._workers.append(w)
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        for w in self._workers:
            w.join(timeout)

    def done(self) -> bool:
        return all(not w.is_alive() for w in self._workers)

    @property
    def sent(self) -> int:
        return self._sent

    # -------------------------------------------------------------- workers

    def _next_version(self) -> int:
        with self._lock:
            self._version += 1
            return self._version

    def _take(self) -> bool:
        with self._lock:
            if self._sent >= self.operations or self._stop.is_set():
                return False
            self._sent += 1
            return True

    def _record(self, kind: str, outcome: str) -> None:
        with self._lock:
            setattr(self.counters, outcome, getattr(self.counters, outcome) + 1)
            self.counters.by_kind[kind] = self.counters.by_kind.get(kind, 0) + 1

    def switch_ids(self) -> None:
        """From now on, write only the second half of the ids (the first half until
        now). Called once the topology change is over: the documents written while
        it ran are then left as it left them for the checker, and the writes that
        follow it (routed by the new topology) touch other documents."""
        self._switched.set()

    def _run(self, worker: int) -> None:
        rng = random.Random(self._seed * 1000 + worker)
        mine = [i for i in range(self.ids) if i % self.threads == worker]
        halves = ([i for i in mine if i < self.ids // 2], [i for i in mine if i >= self.ids // 2])
        session = Connections(self.timeout)
        try:
            self._write_until_done(rng, halves, session, worker)
        finally:
            session.close()

    def _write_until_done(self, rng: random.Random, halves: tuple[list[int], list[int]],
                          session: "Connections", turn: int) -> None:
        while self._take():
            mine = halves[1] if self._switched.is_set() else halves[0]
            turn += 1
            base = self.urls[turn % len(self.urls)]
            roll = rng.random()
            if roll < 0.1:
                # Delete by filter: a handful of this worker's ids.
                chosen = rng.sample(mine, min(3, len(mine)))
                body = {"filter": f"id IN [{', '.join(str(i) for i in chosen)}]"}
                outcome = self._write(session, base, "POST",
                                      f"/indexes/{self.uid}/documents/delete", body)
                for i in chosen:
                    self.ledger.apply(i, delete, outcome)
                self._record("delete_by_filter", outcome)
                continue
            # Batches of a few documents: one write, several ids.
            chosen = rng.sample(mine, min(rng.randint(1, 5), len(mine)))
            if roll < 0.55:
                version = self._next_version()
                docs = [{"id": i, "version": version, "patch": 0, "pad": "x" * 64} for i in chosen]
                outcome = self._write(session, base, "POST", f"/indexes/{self.uid}/documents", docs)
                change, kind = replace(version), "add"
            elif roll < 0.8:
                value = self._next_version()
                docs = [{"id": i, "patch": value} for i in chosen]
                outcome = self._write(session, base, "PUT", f"/indexes/{self.uid}/documents", docs)
                change, kind = patch(value), "partial_update"
            else:
                outcome = self._write(session, base, "POST",
                                      f"/indexes/{self.uid}/documents/delete-batch", chosen)
                change, kind = delete, "delete_by_id"
            for i in chosen:
                self.ledger.apply(i, change, outcome)
            self._record(kind, outcome)

    def _reason(self, why: str) -> None:
        with self._lock:
            self.reasons[why] = self.reasons.get(why, 0) + 1

    def _write(self, session: Connections, base: str, method: str, path: str,
               body) -> str:
        try:
            status, text = session.request(method, base, path, self.headers, body)
        except ConnectionRefusedError as e:
            # No connection, so nothing was sent (that instance is down): the
            # write must not appear.
            self._reason(type(e).__name__)
            return "refused"
        except (OSError, http.client.HTTPException) as e:
            self._reason(type(e).__name__)
            return "indeterminate"
        if status != 202:
            code = ""
            try:
                code = json.loads(text).get("code", "")
            except ValueError:
                pass
            self._reason(f"{status} {code}")
            if code == "miroir_writes_held":
                return "refused"  # held past the bound and refused before anything was sent
            if status >= 500:
                # A 5xx may come after the write reached some owners (no quorum,
                # a node error): it may have landed.
                return "indeterminate"
            with self._lock:
                self.errors.append(f"{method} {path}: {status} {text[:200]!r}")
            return "refused"
        task_uid = json.loads(text)["taskUid"]
        return self._wait_task(session, base, task_uid)

    def _wait_task(self, session: Connections, base: str, task_uid: int) -> str:
        deadline = time.monotonic() + self.task_timeout
        delay = 0.01
        while time.monotonic() < deadline:
            try:
                code, text = session.request("GET", base, f"/tasks/{task_uid}", self.headers)
                if code == 200:
                    task = json.loads(text)
                    status = task["status"]
                    if status == "succeeded":
                        return "acknowledged"
                    if status in ("failed", "canceled"):
                        # A failed Miroir task may have been applied by some
                        # owners (it failed on others): either way.
                        error = task.get("error") or {}
                        self._reason(f"task {status}: {error.get('code')}")
                        return "indeterminate"
            except (OSError, http.client.HTTPException):
                pass  # that instance may be down: ask another
                base = self.urls[(self.urls.index(base) + 1) % len(self.urls)]
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        self._reason("task never finished")
        return "indeterminate"
