"""10,000 documents through Miroir: all come back, each stored RF times per
replica group on the nodes the documented hashes name, counted once, and no
reserved field ever reaches a client."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import RESERVED_FIELDS, api, assert_api_error, assert_error_response

from . import dataset as ds
from .common import assert_no_reserved, ok_json, search_json

N = 10_000


# ------------------------------------------------------------ reading back


def test_every_document_is_fetched_back(client, dataset):
    docs = ds.fetch_all(client, dataset.uid, page=1000)
    got_ids = [d["id"] for d in docs]
    assert len(got_ids) == N, f"{len(got_ids)} documents fetched"
    assert len(set(got_ids)) == N, "a document came back twice while paging"
    assert {d["id"]: d for d in docs} == dataset.by_id


def test_pages_of_documents_have_no_gap_or_overlap(client, dataset):
    index = client.index(dataset.uid)
    first = index.get_documents({"offset": 0, "limit": 300})
    assert (first.offset, first.limit, first.total) == (0, 300, N)
    parts = [index.get_documents({"offset": o, "limit": 100}) for o in (0, 100, 200)]
    assert [dict(d) for p in parts for d in p.results] == [dict(d) for d in first.results]
    last = index.get_documents({"offset": N - 7, "limit": 100})
    assert len(last.results) == 7 and last.total == N
    beyond = index.get_documents({"offset": N, "limit": 10})
    assert beyond.results == [] and beyond.total == N


def test_get_documents_route_with_fields(cluster, dataset):
    body = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/documents",
                                params={"limit": 50, "offset": 20, "fields": "id,rank"}))
    assert set(body) == {"results", "offset", "limit", "total"}
    assert (body["offset"], body["limit"], body["total"]) == (20, 50, N)
    assert len(body["results"]) == 50
    for doc in body["results"]:
        assert doc == {"id": doc["id"], "rank": dataset.by_id[doc["id"]]["rank"]}


def test_fetch_documents_by_ids(client, dataset):
    wanted = random.Random(7).sample(range(N), 250)
    result = client.index(dataset.uid).get_documents({"ids": wanted, "limit": 1000})
    assert result.total == len(wanted)
    assert {d["id"]: dict(d) for d in (dict(x) for x in result.results)} == {
        i: dataset.by_id[i] for i in wanted}
    # String ids name the same documents as integers.
    result = client.index(dataset.uid).get_documents({"ids": [str(i) for i in wanted[:10]]})
    assert sorted(dict(d)["id"] for d in result.results) == sorted(wanted[:10])


def test_fetch_documents_by_filter(client, dataset):
    expected = {d["id"]: d for d in dataset.docs if d["rank"] < 150 and d["color"] == "blue"}
    docs = ds.fetch_all(client, dataset.uid, page=20, filter="rank < 150 AND color = blue")
    assert {d["id"]: d for d in docs} == expected
    assert len(docs) == len(expected)


def test_fetch_documents_sorted(client, dataset):
    result = client.index(dataset.uid).get_documents(
        {"sort": ["rank:desc"], "limit": 30, "offset": 10, "fields": ["id", "rank"]})
    expected = sorted(dataset.docs, key=lambda d: -d["rank"])[10:40]
    assert [dict(d) for d in result.results] == [{"id": d["id"], "rank": d["rank"]}
                                                for d in expected]


def test_get_one_document(client, dataset):
    index = client.index(dataset.uid)
    for i in random.Random(11).sample(range(N), 60):
        assert dict(index.get_document(i)) == dataset.by_id[i]
    doc = dataset.by_id[4242]
    assert dict(index.get_document("4242", {"fields": ["title", "color"]})) == {
        "title": doc["title"], "color": doc["color"]}


def test_missing_document(cluster, client, dataset):
    with pytest.raises(MeilisearchApiError) as err:
        client.index(dataset.uid).get_document(123456)
    assert_api_error(err.value, 404, "document_not_found",
                     message="Document `123456` not found.")
    assert_error_response(cluster.http("GET", f"/indexes/{dataset.uid}/documents/abc-def"),
                          404, "document_not_found", message="Document `abc-def` not found.")


# ------------------------------------------------------------ where they live


def test_documents_are_spread_over_every_node(cluster, dataset):
    counts = {nid: cluster.node_document_count(nid, dataset.uid) for nid in cluster.nodes}
    assert all(c > 0 for c in counts.values()), f"a node holds no document: {counts}"


def test_each_group_holds_every_document_rf_times(cluster, dataset):
    rf = cluster.spec.replication_factor
    for gid, nids in cluster.groups.items():
        copies: Counter = Counter()
        total = 0
        for nid in nids:
            node_ids = cluster.node_ids(nid, dataset.uid)
            assert len(node_ids) == len(set(node_ids)), f"{nid} holds a document twice"
            count = cluster.node_document_count(nid, dataset.uid)
            assert count == len(node_ids), f"{nid}: stats say {count}, documents {len(node_ids)}"
            copies.update(node_ids)
            total += count
        assert total == N * rf, f"group {gid}: {total} stored documents, expected {N} x {rf}"
        assert set(copies) == set(range(N)), f"group {gid} misses documents"
        wrong = {i: c for i, c in copies.items() if c != rf}
        assert not wrong, f"group {gid}: documents not stored exactly {rf} times: " \
                          f"{dict(list(wrong.items())[:10])}"


def test_stored_documents_follow_the_documented_placement(cluster, dataset):
    """ARCHITECTURE §1: shard = xxh64(pk) % S, owners = top-RF rendezvous nodes of each group;
    stored documents carry _miroir_shard and are otherwise the client's document."""
    for gid, nids in cluster.groups.items():
        for nid in nids:
            for raw in cluster.node_documents(nid, dataset.uid):
                shard = cluster.shard_of(raw["id"])
                assert raw.get("_miroir_shard") == shard, (nid, raw)
                assert nid in cluster.owners(shard)[gid], (nid, shard, raw["id"])
                client_doc = {k: v for k, v in raw.items() if k not in RESERVED_FIELDS}
                assert client_doc == dataset.by_id[raw["id"]]


def test_admin_shard_map_matches_the_placement(cluster, dataset):
    body = cluster.proxy.admin_json("/_miroir/shards")
    entry = body["indexes"][dataset.uid]
    assert entry["shardCount"] == cluster.spec.shards
    assert len(entry["shards"]) == cluster.spec.shards
    for item in entry["shards"]:
        expected = cluster.owners(item["shard"])
        assert {g: sorted(o) for g, o in item["owners"].items()} == expected, item
        assert item["covered"] is True


# -------------------------------------------------------------------- counts


def test_stats_count_each_document_once(cluster, client, dataset):
    stats = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/stats"))
    assert stats["numberOfDocuments"] == N
    assert stats["isIndexing"] is False
    assert stats["fieldDistribution"] == {f: N for f in
                                          ("id", "title", "color", "rank", "price", "family")}
    assert client.index(dataset.uid).get_stats().number_of_documents == N
    everything = ok_json(cluster.http("GET", "/stats"))
    assert everything["indexes"][dataset.uid]["numberOfDocuments"] == N
    assert_no_reserved(everything, "GET /stats")
    assert client.index(dataset.uid).get_documents({"limit": 1}).total == N


# ------------------------------------------------------------ reserved fields


def test_reserved_fields_never_in_search_hits(cluster, dataset):
    doc = dataset.docs[777]
    bodies = [
        {"q": "", "limit": 1000},
        {"q": "", "limit": 50, "attributesToRetrieve": ["*"], "sort": ["rank:asc"]},
        {"q": ds.codeword_of(doc), "attributesToHighlight": ["*"], "attributesToCrop": ["*"],
         "showMatchesPosition": True, "showRankingScore": True,
         "showRankingScoreDetails": True},
        {"q": "golf", "facets": ["*"], "limit": 5},
        {"q": "", "page": 2, "hitsPerPage": 30, "distinct": "family"},
    ]
    for body in bodies:
        result = search_json(cluster, dataset.uid, body)
        assert result["hits"], body
        assert_no_reserved(result, f"search {body}")
    result = search_json(cluster, dataset.uid, {"q": "golf", "facets": ["*"], "limit": 0})
    assert set(result["facetDistribution"]) == {"color", "family", "rank", "price"}
    assert set(result["facetStats"]) == {"family", "rank", "price"}


def test_asking_for_a_reserved_field_returns_nothing(cluster, dataset):
    """A Meilisearch index without such a field returns documents without it."""
    result = search_json(cluster, dataset.uid,
                         {"q": "", "limit": 5, "attributesToRetrieve": ["_miroir_shard"]})
    assert result["hits"] == [{}] * 5
    body = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/documents",
                                params={"limit": 5, "fields": "_miroir_shard"}))
    assert body["results"] == [{}] * 5 and body["total"] == N
    body = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/documents/17",
                                params={"fields": "_miroir_shard,id"}))
    assert body == {"id": 17}


def test_reserved_fields_never_in_documents(cluster, client, dataset):
    for doc in ds.fetch_all(client, dataset.uid, page=2500):
        assert not set(doc) & set(RESERVED_FIELDS), doc
    for i in (0, 1, 9999):
        assert_no_reserved(ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/documents/{i}")))
    body = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/documents",
                                params={"limit": 100, "fields": "*"}))
    assert_no_reserved(body, "GET /documents?fields=*")


def test_reserved_fields_never_in_settings_or_stats(cluster, client, dataset):
    settings = client.index(dataset.uid).get_settings()
    assert_no_reserved(settings, "GET /settings")
    assert sorted(settings["filterableAttributes"]) == sorted(ds.SETTINGS["filterableAttributes"])
    sub = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/settings/filterable-attributes"))
    assert sorted(sub) == sorted(ds.SETTINGS["filterableAttributes"])
    stats = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/stats"))
    assert_no_reserved(stats, "index stats")
    assert_no_reserved(ok_json(cluster.http("GET", "/stats")), "global stats")


@pytest.mark.parametrize("path,body", [
    ("/search", {"q": "", "filter": "_miroir_shard = 1"}),
    ("/search", {"q": "", "filter": "color = red AND _miroir_shard IN [1, 2]"}),
    ("/search", {"q": "", "sort": ["_miroir_shard:asc"]}),
    ("/search", {"q": "", "facets": ["_miroir_shard"]}),
    ("/search", {"q": "", "distinct": "_miroir_shard"}),
    ("/facet-search", {"facetName": "_miroir_shard", "facetQuery": ""}),
    ("/documents/fetch", {"filter": "_miroir_shard = 1"}),
], ids=["filter", "filter-and", "sort", "facets", "distinct", "facet-search", "fetch-filter"])
def test_reserved_field_is_not_usable_by_clients(cluster, reference, dataset, path, body):
    """To a client the index has no `_miroir_shard`: filtering, sorting or faceting on it
    fails exactly as on a Meilisearch whose documents lack that attribute."""
    want = reference.http("POST", f"/indexes/{dataset.uid}{path}", json=body)
    got = cluster.http("POST", f"/indexes/{dataset.uid}{path}", json=body)
    assert want.status_code == 400, want.text
    assert (got.status_code, got.json()) == (want.status_code, want.json())


def test_delete_by_reserved_field_deletes_nothing(cluster, client, reference, uid_factory):
    """Deleting by a filter on `_miroir_shard` fails in its task, as on a Meilisearch
    whose documents lack that attribute, and no node loses a document."""
    uid = uid_factory()
    docs = ds.documents(200)
    ds.load(client, uid, docs, batch=200)
    ds.load(reference.client(), uid, docs, batch=200)
    before = cluster.snapshot([uid])
    body = {"filter": "_miroir_shard = 1"}
    want = reference.http("POST", f"/indexes/{uid}/documents/delete", json=body)
    got = cluster.http("POST", f"/indexes/{uid}/documents/delete", json=body)
    assert want.status_code == 202, want.text
    assert got.status_code == 202, got.text
    want_task = api.failed(reference.client(), want.json())
    got_task = api.failed(cluster, got.json())
    assert got_task["error"] == want_task["error"]
    assert got_task["details"] == want_task["details"]
    assert cluster.snapshot([uid]) == before


def test_reserved_field_is_not_searchable(cluster, client, reference, uid_factory):
    """Words of the documents match; the shard number Miroir stores does not: on a
    Meilisearch holding these documents no query made of digits finds anything."""
    uid = uid_factory()
    docs = [{"id": code, "title": "plain words"} for code in ds.codewords(300, seed=5)]
    ds.load(client, uid, docs, batch=300, settings={})
    ds.load(reference.client(), uid, docs, batch=300, settings={})
    for q in [str(s) for s in range(cluster.spec.shards)] + ["plain"]:
        want = search_json(reference, uid, {"q": q, "limit": 1000})
        got = search_json(cluster, uid, {"q": q, "limit": 1000})
        assert got["estimatedTotalHits"] == want["estimatedTotalHits"], q
        assert sorted(h["id"] for h in got["hits"]) == sorted(h["id"] for h in want["hits"]), q
    body = search_json(cluster, uid, {"q": "plain", "limit": 5, "showRankingScore": True})
    want = search_json(reference, uid, {"q": "plain", "limit": 5, "showRankingScore": True})
    assert [h["_rankingScore"] for h in body["hits"]] == [h["_rankingScore"]
                                                         for h in want["hits"]]


# ------------------------------------------------------------- more writes


def test_update_and_delete_documents(cluster, client, uid_factory):
    uid = uid_factory()
    docs = [{"id": i, "title": f"doc {i}", "color": ds.COLORS[i % 3]} for i in range(300)]
    ds.load(client, uid, docs, batch=100, settings={"filterableAttributes": ["color"]})
    index = client.index(uid)
    done = api.succeeded(client, index.update_documents([{"id": i, "extra": i * 2}
                                                         for i in range(0, 300, 30)]))
    assert done["details"] == {"receivedDocuments": 10, "indexedDocuments": 10}
    done = api.succeeded(client, index.delete_documents([1, 2, "3", 500]))
    assert done["type"] == "documentDeletion"
    assert done["details"] == {"providedIds": 4, "deletedDocuments": 3, "originalFilter": None}
    done = api.succeeded(client, index.delete_documents(filter="color = green"))
    assert done["type"] == "documentDeletion"
    expected = {d["id"]: dict(d) for d in docs if d["id"] not in (1, 2, 3) and d["id"] % 3 != 1}
    for i in range(0, 300, 30):
        if i in expected:
            expected[i]["extra"] = i * 2
    assert done["details"] == {
        "providedIds": 0, "originalFilter": '"color = green"',
        "deletedDocuments": sum(1 for d in docs if d["id"] % 3 == 1 and d["id"] != 1)}
    got = {d["id"]: d for d in ds.fetch_all(client, uid)}
    assert got == expected
    assert index.get_stats().number_of_documents == len(expected)
    # The nodes agree: each group holds each remaining document RF times, nothing else.
    rf = cluster.spec.replication_factor
    for nids in cluster.groups.values():
        held = Counter(i for nid in nids for i in cluster.node_ids(nid, uid))
        assert held == Counter({i: rf for i in expected})
    remaining = len(expected)
    done = api.succeeded(client, index.delete_all_documents())
    assert done["type"] == "documentDeletion"
    assert done["details"] == {"deletedDocuments": remaining}
    assert index.get_documents().total == 0
    assert all(cluster.node_document_count(nid, uid) == 0 for nid in cluster.nodes)
