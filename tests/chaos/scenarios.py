"""Chaos scenarios for topology changes (issue 6): real test nodes, two Miroir
instances sharing a private redis-server, a concurrent workload through both, one
topology change, and one fault injected at a chosen moment.

    run_scenario(workdir, change="add", fault="kill-coordinator", phase="copy",
                 operations=100_000) -> Result

Changes: add (a node joins g1), drain (n2), remove (n3), group-add (g2 of two nodes).
Faults:
  none
  kill-source        kill -9 of a node copied from, mid-copy; restarted 1 s later
  kill-coordinator   kill -9 of the Miroir instance holding the migration lease when
                     the migration reaches `phase`; restarted 1 s later
  sigstop-old-owner  SIGSTOP of a node copied from during the hold/drain, 3 s
  drop-connections   the nodes drop 5% of document reads and writes (testnode faults)
                     for the whole change
  slow-writes        every POST of documents waits 300 ms at the node before it is
                     queued (a slow link, a big page), for the whole change: partial
                     updates and deletes overtake the copy's pages
  pause-instance     SIGSTOP of the instance not coordinating, mid-copy, until the
                     change has finished without it (it must fence itself)
Everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import MiroirCluster, NodeProcess, TopologySpec
from harness.migrations import admin, status, wait_migration
from harness.redis import RedisProcess, redis_overrides

from .checker import Report, check
from .workload import Counters, Workload

UID = "chaos"
CHANGES = ("add", "drain", "remove", "group-add")
FAULTS = ("none", "kill-source", "kill-coordinator", "sigstop-old-owner", "drop-connections",
          "slow-writes", "pause-instance")
PHASES = ("copy", "catch-up", "hold", "drain", "delta", "activate", "cleanup")


@dataclass
class Result:
    change: str
    fault: str
    phase: str
    counters: Counters
    report: Report
    seconds: float
    fault_injected: bool
    notes: list[str] = field(default_factory=list)


class Setup:
    """redis + nodes n1..n3 (g1) + Miroir a and b on the redis, RF 1, 16 shards.

    With `anti_entropy`, a second group g2 of one node (n4) holds a second copy of
    every shard, and both instances run anti-entropy passes every 3 s and
    hinted handoff: the copies of g1 and g2 must agree at the end."""

    def __init__(self, workdir: Path, *, task_delay_ms: int = 1,
                 per_second: int = 0, delta_pass: bool = True,
                 anti_entropy: bool = False) -> None:
        self.workdir = Path(workdir)
        self.anti_entropy = anti_entropy
        self.groups = (3, 1) if anti_entropy else (3,)
        self.redis = RedisProcess(self.workdir / "redis")
        self.task_delay_ms = task_delay_ms
        rebalancer = {"max_concurrent_migrations": 2, "write_hold_timeout_ms": 5000,
                      "max_documents_per_second": per_second, "delta_pass": delta_pass}
        self.rebalancer = rebalancer
        self.cluster: MiroirCluster | None = None
        self.b = None

    def start(self) -> "Setup":
        self.redis.start()
        overrides = redis_overrides(self.redis)
        overrides["rebalancer"] = self.rebalancer
        overrides["upstream"] = {"write_timeout_ms": 10_000, "timeout_ms": 10_000}
        if self.anti_entropy:
            overrides["anti_entropy"] = {"enabled": True, "schedule": "3s",
                                         "tombstone_retention": "1h"}
        self.cluster = MiroirCluster(self.workdir / "cluster",
                                     TopologySpec(groups=self.groups, replication_factor=1,
                                                  shards=16),
                                     miroir_overrides=overrides)
        env = {} if self.rebalancer["delta_pass"] else {"MIROIR_UNSAFE_ALLOW_NO_DELTA_PASS": "1"}
        self.cluster.proxy.env.update(env)
        self.env = env
        for nid, node in list(self.cluster.nodes.items()):
            # Durable nodes (a journal under db/), on the ports Miroir was configured with.
            self.cluster.nodes[nid] = NodeProcess(node.workdir, name=nid, port=node.port,
                                                  master_key=self.cluster.master_key,
                                                  db_path=node.workdir / "db",
                                                  task_delay_ms=self.task_delay_ms)
        self.cluster.start()
        self.b = self.cluster.make_proxy("miroir-b", overrides=overrides, env=self.env)
        self.b.start()
        for nid in self.cluster.nodes:
            self.b.wait_node_health(nid, True, timeout=15.0)
        return self

    @property
    def a(self):
        return self.cluster.proxy

    def proxies(self):
        return [self.a, self.b]

    def add_node(self, nid: str) -> NodeProcess:
        node = NodeProcess(self.cluster.workdir / nid, name=nid,
                           master_key=self.cluster.master_key, db_path=self.cluster.workdir / nid / "db",
                           task_delay_ms=self.task_delay_ms)
        node.start()
        self.cluster.nodes[nid] = node
        return node

    def stop(self) -> None:
        try:
            if self.b is not None:
                try:
                    self.b.stop(timeout=10)
                except Exception:  # noqa: BLE001
                    self.b.kill9()
            if self.cluster is not None:
                self.cluster.stop()
        finally:
            self.redis.stop()

    def leader(self):
        """The Miroir process holding the migration lease, if any."""
        for p in self.proxies():
            try:
                holder = status(p)["migration"]
            except Exception:  # noqa: BLE001 - that one may be down
                continue
            if holder and holder.get("leader"):
                for q in self.proxies():
                    if f":{q.port}:" in holder["leader"]:
                        return q
        return None


def begin_change(setup: Setup, change: str) -> None:
    a = setup.a
    if change == "add":
        nid = f"n{len(setup.cluster.nodes) + 1}"
        node = setup.add_node(nid)
        resp = admin(a, "POST", "/_miroir/nodes",
                     {"id": nid, "address": f"127.0.0.1:{node.port}", "group": "g1"})
    elif change == "drain":
        resp = admin(a, "POST", "/_miroir/nodes/n2/drain")
    elif change == "remove":
        resp = admin(a, "DELETE", "/_miroir/nodes/n3")
    elif change == "group-add":
        m1, m2 = setup.add_node("m1"), setup.add_node("m2")
        resp = admin(a, "POST", "/_miroir/groups",
                     {"id": f"g{len(setup.groups) + 1}", "nodes": [{"id": "m1", "address": f"127.0.0.1:{m1.port}"},
                                            {"id": "m2", "address": f"127.0.0.1:{m2.port}"}]})
    else:
        raise ValueError(change)
    assert resp.status_code == 202, resp.text


def source_node(setup: Setup, change: str) -> str:
    return {"add": "n1", "drain": "n2", "remove": "n3", "group-add": "n1"}[change]


def wait_for_phase(setup: Setup, phases: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in setup.proxies():
            try:
                m = status(p)["migration"]
            except Exception:  # noqa: BLE001
                continue
            if m is None:
                return False
            if any(ix.get("phase") in phases for ix in m["indexes"].values()):
                return True
            break
        time.sleep(0.01)
    return False


def inject(setup: Setup, change: str, fault: str, phase: str, notes: list[str]) -> bool:
    """Runs the fault; True when it was injected (the migration reached its moment)."""
    if fault == "none":
        return True
    if fault == "drop-connections":
        for node in setup.cluster.nodes.values():
            for route in ("/indexes/*/documents", "/indexes/*/documents/**"):
                r = node.http("POST", "/_testnode/faults",
                              json={"route": route, "drop_rate": 0.05})
                assert r.status_code in (200, 201), r.text
        return True
    if fault == "slow-writes":
        for node in setup.cluster.nodes.values():
            r = node.http("POST", "/_testnode/faults",
                          json={"route": "/indexes/*/documents", "method": "POST",
                                "latency_ms": 300})
            assert r.status_code in (200, 201), r.text
        return True
    if fault == "kill-source":
        if not wait_for_phase(setup, {"copy"}, 60):
            return False
        node = setup.cluster.nodes[source_node(setup, change)]
        node.kill9()
        time.sleep(1.0)
        node.start()
        return True
    if fault == "sigstop-old-owner":
        if not wait_for_phase(setup, {"hold", "drain"}, 120):
            return False
        node = setup.cluster.nodes[source_node(setup, change)]
        node.sigstop()
        time.sleep(3.0)
        node.sigcont()
        return True
    if fault == "pause-instance":
        # The instance not coordinating is SIGSTOPped mid-copy, with writes of
        # the workload in flight inside it, and resumed only once the change
        # has finished without it (it dropped out of the live list): its
        # writes routed by the old topology must not reach the old owners
        # after their cleanup (it fences itself).
        if not wait_for_phase(setup, {"copy"}, 60):
            return False
        leader = setup.leader()
        victim = setup.b if leader is setup.a else setup.a
        notes.append(f"paused {victim.name}")
        os.kill(victim.pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                other = setup.b if victim is setup.a else setup.a
                try:
                    if status(other)["migration"] is None:
                        break
                except Exception:  # noqa: BLE001
                    pass
                time.sleep(0.2)
        finally:
            os.kill(victim.pid, signal.SIGCONT)
        return True
    if fault == "kill-coordinator":
        # Page reads slowed to 100 ms, so that short phases (catch-up, delta)
        # last long enough to be caught, and for the drain phase the task
        # listings it polls until the node queues are empty (they empty in
        # milliseconds here). The hold, and a group-add's cleanup (which
        # deletes nothing: no old owner loses a shard), mostly wait for every
        # instance to acknowledge an epoch, which an instance does once no
        # write routed by the older one is in flight: document writes are
        # slowed by 300 ms to make them last. Cleared once the kill is done.
        for node in setup.cluster.nodes.values():
            node.http("POST", "/_testnode/faults",
                      json={"route": "/indexes/*/documents/fetch", "latency_ms": 100})
            if phase == "drain":
                node.http("POST", "/_testnode/faults",
                          json={"route": "/tasks", "method": "GET", "latency_ms": 300})
            if phase == "hold" or (phase == "cleanup" and change == "group-add"):
                node.http("POST", "/_testnode/faults",
                          json={"route": "/indexes/*/documents", "method": "POST",
                                "latency_ms": 300})
        reached = wait_for_phase(setup, {phase}, 180)
        victim = setup.leader() if reached else None  # before the phase ends
        clear_faults(setup)
        if not reached:
            return False
        if victim is None:
            notes.append("no leader found")
            return False
        notes.append(f"killed {victim.name} in {phase}")
        victim.kill9()
        time.sleep(1.0)
        victim.start()
        return True
    raise ValueError(fault)


def clear_faults(setup: Setup) -> None:
    for node in setup.cluster.nodes.values():
        if node.is_running():
            node.http("DELETE", "/_testnode/faults")


def hints_pending(proxy) -> float:
    """Hinted writes waiting for any node, as the instance last polled the store."""
    text = admin(proxy, "GET", "/_miroir/metrics").text
    return sum(float(v) for v in re.findall(r"^miroir_hints_pending\{[^}]*\} (\S+)$", text, re.M))


def drain_hints(setup: Setup, timeout: float = 300.0) -> str:
    """Once the writes stopped: waits until no hinted write is left (a write that
    met quorum while one owner missed it is replayed to that owner by hinted
    handoff, on by default); how many there were and how long they took."""
    started = time.monotonic()
    pending = first = hints_pending(setup.a)
    while pending > 0:
        assert time.monotonic() - started < timeout, f"{pending:.0f} hints never replayed"
        time.sleep(0.2)
        pending = hints_pending(setup.a)
    return (f"{first:.0f} hinted writes pending when the workload ended, replayed in "
            f"{time.monotonic() - started:.1f} s")


def converge(setup: Setup, timeout: float = 300.0) -> str:
    """Once the writes stopped: waits for every hint to be replayed, then runs
    repairing passes until one finds nothing and skips no shard (at most three);
    what they found, for the notes. The scheduled passes ran throughout."""
    deadline = time.monotonic() + timeout
    while hints_pending(setup.a) > 0:
        assert time.monotonic() < deadline, "hints were never replayed"
        time.sleep(0.2)
    found: list = []
    for _ in range(3):
        started = admin(setup.a, "POST", "/_miroir/verify", {"repair": True})
        while started.status_code == 409:  # a scheduled pass runs: wait for it
            time.sleep(0.2)
            started = admin(setup.a, "POST", "/_miroir/verify", {"repair": True})
        assert started.status_code == 202, started.text
        uid = started.json()["uid"]
        while True:
            last = admin(setup.a, "GET", "/_miroir/verify").json()["last"]
            if last is not None and last["uid"] == uid:
                break
            assert time.monotonic() < deadline, "the pass did not finish"
            time.sleep(0.2)
        # A pass fails when a node call does (a node restarted by the fault):
        # the next one tries again.
        found.append(last["mismatches"] if last["status"] == "succeeded" else last["status"])
        if last["status"] == "succeeded" and last["mismatches"] == 0 \
                and last["shardsSkipped"] == 0:
            break
    return f"anti-entropy passes after the run (hints replayed) found {found} mismatches"


def run_scenario(workdir: Path, *, change: str, fault: str = "none", phase: str = "copy",
                 operations: int = 10_000, ids: int = 4000, threads: int = 8,
                 preload: int = 4000, per_second: int = 0, delta_pass: bool = True,
                 anti_entropy: bool = False, migration_timeout: float = 600.0) -> Result:
    setup = Setup(workdir, per_second=per_second, delta_pass=delta_pass,
                  anti_entropy=anti_entropy).start()
    started = time.monotonic()
    notes: list[str] = []
    try:
        client = setup.a.client()
        task = client.create_index(UID, {"primaryKey": "id"})
        client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
        task = client.index(UID).update_filterable_attributes(["id"])
        client.wait_for_task(task.task_uid, timeout_in_ms=30_000)
        workload = Workload([p.url for p in setup.proxies()], setup.cluster.master_key, UID,
                            ids=ids, threads=threads, operations=operations)
        # Start from a full index, recorded in the ledger like any write.
        for start in range(0, min(preload, ids), 1000):
            batch = [{"id": i, "version": 0, "patch": 0, "pad": "x" * 64}
                     for i in range(start, min(preload, ids, start + 1000))]
            task = client.index(UID).add_documents(batch)
            assert client.wait_for_task(task.task_uid, timeout_in_ms=60_000).status == "succeeded"
            for d in batch:
                workload.ledger.states[d["id"]] = {(0, 0)}
        workload.start()
        while workload.sent < operations // 4 and not workload.done():
            time.sleep(0.05)
        begin_change(setup, change)
        injected = inject(setup, change, fault, phase, notes)
        wait_migration(setup.a, timeout=migration_timeout, proxies=[setup.b])
        # Later writes would overwrite (and hide) what the change got wrong.
        workload.switch_ids()
        if fault in ("drop-connections", "slow-writes"):
            clear_faults(setup)
        workload.join()
        if workload.errors:
            notes.extend(workload.errors[:5])
        if workload.reasons:
            notes.append(f"indeterminate or refused: {workload.reasons}")
        notes.append(drain_hints(setup))
        if anti_entropy:
            notes.append(converge(setup))
        report = check(setup.a, setup.cluster.nodes, UID, workload.ledger)
        return Result(change, fault, phase if fault == "kill-coordinator" else "-",
                      workload.counters, report, time.monotonic() - started, injected, notes)
    finally:
        setup.stop()
