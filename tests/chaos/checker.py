"""After a chaos run: compare what the cluster holds with the workload's ledger, and
where every shard lives with the topology.

Counts (all must be 0):
  lost         an acknowledged write that is missing (the document is absent, or the
               ledger allows only present states);
  resurrected  a document present although every state it may be in is "absent"
               (an acknowledged delete came back);
  stale        a document present in a state the ledger does not allow (an older
               version than the last acknowledged write);
  duplicated   a document listed or found twice through Miroir;
  misplaced    documents on a node that does not own their shard (anywhere: nodes
               that left the cluster included), or missing from an owner that should
               hold them (replicas that differ).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from harness.migrations import node_documents, owned_shards

from .workload import Ledger


@dataclass
class Report:
    lost: int = 0
    resurrected: int = 0
    stale: int = 0
    duplicated: int = 0
    misplaced: int = 0
    examples: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (self.lost or self.resurrected or self.stale or self.duplicated
                    or self.misplaced)

    def note(self, text: str) -> None:
        if len(self.examples) < 20:
            self.examples.append(text)


def state_of(doc: dict):
    return (doc.get("version", 0), doc.get("patch", 0))


def read_through(proxy, uid: str) -> tuple[dict[int, dict], int]:
    """Every document listed through `proxy`, and how many ids were listed twice."""
    seen: dict[int, dict] = {}
    dup = 0
    offset = 0
    while True:
        resp = proxy.http("GET", f"/indexes/{uid}/documents",
                          params={"limit": 1000, "offset": offset}, timeout=60)
        assert resp.status_code == 200, resp.text
        results = resp.json()["results"]
        for d in results:
            if d["id"] in seen:
                dup += 1
            seen[d["id"]] = d
        offset += len(results)
        if len(results) < 1000:
            return seen, dup


def check(proxy, nodes: dict, uid: str, ledger: Ledger) -> Report:
    report = Report()
    docs, dup = read_through(proxy, uid)
    report.duplicated += dup
    if dup:
        report.note(f"{dup} ids listed twice")
    # The search path as well: one page of every document, no id twice.
    resp = proxy.http("POST", f"/indexes/{uid}/search", json={"q": "", "limit": 5000},
                      timeout=60)
    assert resp.status_code == 200, resp.text
    hits = Counter(h["id"] for h in resp.json()["hits"])
    twice = [i for i, n in hits.items() if n > 1]
    report.duplicated += len(twice)
    for i in twice[:5]:
        report.note(f"search returned {i} twice")

    if ledger.unchecked:
        report.note(f"{len(ledger.unchecked)} ids not checked: more than "
                    f"{ledger.MAX_STATES} possible states")
    for doc_id, allowed in ledger.states.items():
        if doc_id in ledger.unchecked:
            continue
        doc = docs.get(doc_id)
        observed = None if doc is None else state_of(doc)
        if observed in allowed:
            continue
        if observed is None:
            report.lost += 1
            report.note(f"lost {doc_id}: may be {sorted(allowed, key=str)}")
        elif allowed == {None}:
            report.resurrected += 1
            report.note(f"resurrected {doc_id} as {observed}")
        else:
            report.stale += 1
            report.note(f"stale {doc_id}: {observed}, may be {sorted(allowed, key=str)}")

    # Shards on exactly their owners: every live node, asked directly.
    owned = owned_shards(proxy, uid)
    topology_ids = {n["id"] for g in proxy.topology()["groups"] for n in g["nodes"]}
    by_shard_owner: dict[int, dict[str, set[int]]] = defaultdict(dict)
    for nid, node in nodes.items():
        if not node.is_running():
            continue
        held = node_documents(node, uid, ["id", "_miroir_shard"])
        mine = owned.get(nid, set()) if nid in topology_ids else set()
        for d in held:
            if d["_miroir_shard"] not in mine:
                report.misplaced += 1
                report.note(f"{nid} holds {d['id']} of shard {d['_miroir_shard']} it does not own")
        for s in mine:
            by_shard_owner[s][nid] = {d["id"] for d in held if d["_miroir_shard"] == s}
    for s, replicas in by_shard_owner.items():
        sets = list(replicas.values())
        union = set().union(*sets)
        for nid, ids in replicas.items():
            missing = union - ids
            if missing:
                report.misplaced += len(missing)
                report.note(f"{nid} lacks {len(missing)} documents of shard {s} its replicas hold")
    return report
