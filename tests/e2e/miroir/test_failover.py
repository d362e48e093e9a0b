"""Node failures (kill -9) under each replication layout.

- RF=2: every shard keeps a live replica, so answers stay complete and carry no
  X-Miroir-Degraded header.
- RG=2, RF=1: a shard lost in one group is read from the other group; a write
  accepted by one group only succeeds with X-Miroir-Degraded.
- RF=1, one group: the shards of the dead node are gone. Policy `partial` answers
  from the other shards with X-Miroir-Degraded; policy `error` answers 503
  miroir_shard_unavailable. A write to a shard with no live owner is 503
  miroir_no_quorum and nothing is written anywhere.

Each scenario has its own cluster (a killed node is not brought back).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness import MiroirCluster, TopologySpec, api, assert_error_response

from . import dataset as ds
from .common import (
    assert_degraded,
    assert_not_degraded,
    is_degraded,
    normalized,
    ok_json,
    search,
)

COUNT = 2000
UID = "docs"

# Searches whose whole answer is defined by the request (sorted or unique hits),
# so they can be compared byte for byte before and after a failure.
PROBES = [
    {"q": "", "facets": ["color", "rank", "price"], "limit": 0},
    {"q": "", "sort": ["rank:asc"], "limit": 100},
    {"q": "", "sort": ["price:desc", "rank:asc"], "offset": 37, "limit": 40},
    {"q": "golf", "sort": ["rank:desc"], "limit": 200},
    {"q": "", "filter": "family < 100", "sort": ["rank:asc"], "page": 2, "hitsPerPage": 50},
    {"q": ds.codeword_of(ds.documents(COUNT)[321])},
    {"q": "", "distinct": "family", "sort": ["rank:asc"], "limit": 1000},
]


def _cluster(tmp_path_factory, name: str, spec: TopologySpec, count: int = COUNT):
    c = MiroirCluster(tmp_path_factory.mktemp(name), spec)
    c.start()
    try:
        ds.load(c.client(), UID, ds.documents(count), batch=500)
    except BaseException:
        c.stop()
        raise
    return c


def _baseline(cluster: MiroirCluster) -> list[dict]:
    out = []
    for body in PROBES:
        resp = search(cluster, UID, body)
        assert_not_degraded(resp)
        out.append(normalized(ok_json(resp)))
    return out


def _write(cluster: MiroirCluster, docs: list[dict]):
    return cluster.http("POST", f"/indexes/{UID}/documents", json=docs)


def _fresh_ids(start: int = 100_000):
    return iter(range(start, start + 100_000))


# ------------------------------------------------------------------- RF = 2


@pytest.fixture(scope="module")
def rf2(tmp_path_factory):
    c = _cluster(tmp_path_factory, "rf2", TopologySpec((3,), 2, 16))
    yield c
    c.stop()


def test_rf2_node_loss_keeps_every_answer_complete(rf2):
    before = _baseline(rf2)
    docs_before = {d["id"]: d for d in ds.fetch_all(rf2.client(), UID)}
    assert len(docs_before) == COUNT
    rf2.kill_node("n2")
    for body, want in zip(PROBES, before):
        resp = search(rf2, UID, body)
        assert resp.status_code == 200, (body, resp.text)
        assert_not_degraded(resp)
        assert normalized(resp.json()) == want, body
    docs_after = {d["id"]: d for d in ds.fetch_all(rf2.client(), UID)}
    assert docs_after == docs_before
    client = rf2.client()
    for i in rf2.ids_owned_by("n2", range(COUNT), 15):  # one of their two replicas is dead
        assert dict(client.index(UID).get_document(i)) == docs_before[i]
    stats = client.index(UID).get_stats()
    assert stats.number_of_documents == COUNT
    resp = rf2.http("POST", "/multi-search", json={"queries": [{"indexUid": UID, **PROBES[1]}]})
    assert resp.status_code == 200
    assert_not_degraded(resp)


def test_rf2_write_needs_both_owners(rf2):
    """floor(RF/2)+1 = 2 of a shard's 2 owners must accept: with an owner down the
    write is refused (503 miroir_no_quorum) and no node stores it."""
    assert not rf2.nodes["n2"].is_running()
    before = rf2.snapshot([UID])
    doomed = rf2.ids_owned_by("n2", _fresh_ids(), 3)
    resp = _write(rf2, [{"id": i, "title": "golf doomed", "color": "red", "rank": 1,
                         "price": 1.0, "family": 1} for i in doomed])
    assert_error_response(resp, 503, "miroir_no_quorum", "system")
    assert rf2.snapshot([UID]) == before
    # Shards whose two owners are both alive still take writes.
    fine = rf2.ids_not_owned_by(["n2"], _fresh_ids(200_000), 3)
    resp = _write(rf2, [{"id": i, "title": "golf fine", "color": "red", "rank": 1,
                         "price": 1.0, "family": 1} for i in fine])
    assert resp.status_code == 202, resp.text
    api.succeeded(rf2, resp.json())
    got = rf2.client().index(UID).get_documents({"ids": fine})
    assert sorted(dict(d)["id"] for d in got.results) == sorted(fine)


# -------------------------------------------------------------- RG = 2, RF = 1


@pytest.fixture(scope="module")
def rg2(tmp_path_factory):
    c = _cluster(tmp_path_factory, "rg2", TopologySpec((2, 1), 1, 16))
    yield c
    c.stop()


def test_rg2_reads_fall_back_to_the_other_group(rg2):
    before = _baseline(rg2)
    rg2.kill_node("n1")  # group g1 loses half its shards; g2 (n3) holds them all
    for body, want in zip(PROBES, before):
        resp = search(rg2, UID, body)
        assert resp.status_code == 200, (body, resp.text)
        assert_not_degraded(resp)
        assert normalized(resp.json()) == want, body
    assert len(ds.fetch_all(rg2.client(), UID)) == COUNT
    assert rg2.client().index(UID).get_stats().number_of_documents == COUNT


def test_rg2_write_accepted_by_one_group_is_degraded(rg2):
    assert not rg2.nodes["n1"].is_running()
    lost = rg2.ids_owned_by("n1", _fresh_ids(), 2)
    docs = [{"id": i, "title": f"golf {i}", "color": "blue", "rank": 5, "price": 2.0,
             "family": 3} for i in lost]
    resp = _write(rg2, docs)
    assert resp.status_code == 202, resp.text
    assert_degraded(resp)
    api.succeeded(rg2, resp.json())
    assert set(lost) <= set(rg2.node_ids("n3", UID))
    assert not set(lost) & set(rg2.node_ids("n2", UID))
    client = rg2.client()
    for doc in docs:
        assert dict(client.index(UID).get_document(doc["id"])) == doc
    # A batch every group accepts is a plain success.
    kept = rg2.ids_not_owned_by(["n1"], _fresh_ids(300_000), 2)
    resp = _write(rg2, [{"id": i, "title": "fine"} for i in kept])
    assert resp.status_code == 202, resp.text
    assert_not_degraded(resp)
    api.succeeded(rg2, resp.json())


# -------------------------------------------------------- RF = 1, policy partial


@pytest.fixture(scope="module")
def rf1_partial(tmp_path_factory):
    c = _cluster(tmp_path_factory, "rf1-partial", TopologySpec((3,), 1, 16, "partial"))
    yield c
    c.stop()


def test_rf1_partial_results_are_flagged_degraded(rf1_partial):
    c = rf1_partial
    survivors = [d for nid in ("n1", "n2") for d in c.node_documents(nid, UID)]
    surviving = {d["id"] for d in survivors}
    assert 0 < len(surviving) < COUNT
    all_docs = ds.documents(COUNT)
    c.kill_node("n3")
    # Facet counts cover exactly the documents of the live shards.
    resp = search(c, UID, {"q": "", "facets": ["color"], "limit": 0})
    body = ok_json(resp)
    assert_degraded(resp)
    live_docs = [d for d in all_docs if d["id"] in surviving]
    assert body["facetDistribution"]["color"] == dict(Counter(d["color"] for d in live_docs))
    # Hits are the live documents, in the order the request defines.
    resp = search(c, UID, {"q": "", "filter": "family < 150", "sort": ["rank:asc"],
                           "page": 1, "hitsPerPage": 1000})
    body = ok_json(resp)
    assert_degraded(resp)
    expected = sorted((d for d in live_docs if d["family"] < 150), key=lambda d: d["rank"])
    assert body["hits"] == expected
    assert body["totalHits"] == len(expected)
    # A unique keyword of a live document is still found; one of a lost document is not.
    alive = next(d for d in all_docs if d["id"] in surviving)
    lost = next(d for d in all_docs if d["id"] not in surviving)
    resp = search(c, UID, {"q": ds.codeword_of(alive)})
    assert ok_json(resp)["hits"] == [alive]
    assert_degraded(resp)
    resp = search(c, UID, {"q": ds.codeword_of(lost)})
    assert ok_json(resp)["hits"] == []
    assert_degraded(resp)
    # Documents listing follows the same policy.
    resp = c.http("POST", f"/indexes/{UID}/documents/fetch", json={"limit": COUNT})
    body = ok_json(resp)
    assert_degraded(resp)
    assert sorted(d["id"] for d in body["results"]) == sorted(surviving)


def test_rf1_write_to_a_dead_shard_is_refused_and_writes_nothing(rf1_partial):
    c = rf1_partial
    assert not c.nodes["n3"].is_running()
    tasks_before = ok_json(c.http("GET", "/tasks", params={"limit": 1}))["total"]
    before = c.snapshot([UID])
    dead = c.ids_owned_by("n3", _fresh_ids(), 3)
    live = c.ids_not_owned_by(["n3"], _fresh_ids(200_000), 3)
    doc = lambda i: {"id": i, "title": f"golf {i}", "color": "red", "rank": 1,  # noqa: E731
                     "price": 1.0, "family": 1}
    # Only dead shards.
    assert_error_response(_write(c, [doc(i) for i in dead]), 503, "miroir_no_quorum", "system")
    assert c.snapshot([UID]) == before
    # A batch mixing live and dead shards is refused as a whole.
    mixed = [doc(i) for i in live + dead]
    assert_error_response(_write(c, mixed), 503, "miroir_no_quorum", "system")
    resp = c.http("PUT", f"/indexes/{UID}/documents", json=mixed)
    assert_error_response(resp, 503, "miroir_no_quorum", "system")
    ndjson = "\n".join(json.dumps(d) for d in mixed).encode()
    resp = c.http("POST", f"/indexes/{UID}/documents", data=ndjson,
                  headers={"Content-Type": "application/x-ndjson"})
    assert_error_response(resp, 503, "miroir_no_quorum", "system")
    # Deleting a document of a dead shard cannot reach quorum either.
    held_before = set(before["n1"][UID]["ids"]) | set(before["n2"][UID]["ids"])
    lost_id = next(i for i in range(COUNT) if i not in held_before)
    resp = c.http("DELETE", f"/indexes/{UID}/documents/{lost_id}")
    assert_error_response(resp, 503, "miroir_no_quorum", "system")
    assert c.snapshot([UID]) == before
    assert ok_json(c.http("GET", "/tasks", params={"limit": 1}))["total"] == tasks_before
    # Live shards alone are written normally.
    resp = _write(c, [doc(i) for i in live])
    assert resp.status_code == 202, resp.text
    assert_not_degraded(resp)
    api.succeeded(c, resp.json())
    held = set(c.node_ids("n1", UID)) | set(c.node_ids("n2", UID))
    assert set(live) <= held


# ---------------------------------------------------------- RF = 1, policy error


@pytest.fixture(scope="module")
def rf1_error(tmp_path_factory):
    c = _cluster(tmp_path_factory, "rf1-error", TopologySpec((3,), 1, 16, "error"), count=600)
    yield c
    c.stop()


def test_rf1_error_policy_refuses_incomplete_answers(rf1_error):
    c = rf1_error
    resp = search(c, UID, {"q": "golf"})
    assert resp.status_code == 200 and not is_degraded(resp)
    c.kill_node("n1")
    for body in PROBES[:4]:
        assert_error_response(search(c, UID, body), 503, "miroir_shard_unavailable", "system")
    assert_error_response(c.http("POST", f"/indexes/{UID}/documents/fetch", json={}),
                          503, "miroir_shard_unavailable", "system")
    assert_error_response(c.http("GET", f"/indexes/{UID}/documents"),
                          503, "miroir_shard_unavailable", "system")
    resp = c.http("POST", "/multi-search", json={"queries": [{"indexUid": UID, "q": ""}]})
    assert resp.status_code == 503, resp.text
    assert resp.json()["code"] == "miroir_shard_unavailable"
