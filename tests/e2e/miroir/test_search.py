"""Searching 10,000 documents through Miroir, with expectations computed from the
documents themselves (Meilisearch semantics; default maxTotalHits = 1000)."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from harness import assert_error_response

from . import dataset as ds
from .common import assert_not_degraded, ids, ok_json, search, search_json

N = 10_000
MAX_TOTAL_HITS = 1000  # Meilisearch's default pagination.maxTotalHits


def with_word(docs, word):
    return [d for d in docs if d["title"].split()[0] == word]


def by_rank(docs, reverse=False):
    return sorted(docs, key=lambda d: d["rank"], reverse=reverse)


# ------------------------------------------------------------------ queries


def test_unique_keyword_returns_exactly_that_document(client, dataset):
    index = client.index(dataset.uid)
    for i in random.Random(3).sample(range(N), 40):
        doc = dataset.by_id[i]
        result = index.search(ds.codeword_of(doc))
        assert result["hits"] == [doc], (i, result["hits"][:3])
        assert result["estimatedTotalHits"] == 1


def test_unique_keyword_through_get_search(cluster, dataset):
    doc = dataset.by_id[8128]
    body = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/search",
                                params={"q": ds.codeword_of(doc)}))
    assert body["hits"] == [doc]
    assert body["query"] == ds.codeword_of(doc)
    assert (body["limit"], body["offset"], body["estimatedTotalHits"]) == (20, 0, 1)


def test_search_answer_shape(cluster, dataset):
    resp = search(cluster, dataset.uid, {"q": "golf"})
    body = ok_json(resp)
    assert_not_degraded(resp)
    assert {"hits", "query", "processingTimeMs", "limit", "offset",
            "estimatedTotalHits"} <= set(body)
    assert not {"totalHits", "totalPages", "page", "hitsPerPage", "facetDistribution",
                "facetStats"} & set(body)
    assert (body["query"], body["limit"], body["offset"]) == ("golf", 20, 0)
    assert body["estimatedTotalHits"] == 625
    assert len(body["hits"]) == 20


def test_word_query_finds_every_matching_document(cluster, dataset):
    expected = {d["id"]: d for d in with_word(dataset.docs, "hotel")}
    body = search_json(cluster, dataset.uid, {"q": "hotel", "limit": 1000})
    assert body["estimatedTotalHits"] == len(expected) == 625
    assert len(body["hits"]) == 625
    assert {h["id"]: h for h in body["hits"]} == expected


def test_ranking_score_only_when_asked(cluster, dataset):
    body = search_json(cluster, dataset.uid, {"q": "kilo", "limit": 50})
    assert all("_rankingScore" not in h for h in body["hits"])
    body = search_json(cluster, dataset.uid, {"q": "kilo", "limit": 50, "showRankingScore": True})
    scores = [h["_rankingScore"] for h in body["hits"]]
    assert all(0 < s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_filter_finds_exactly_the_matching_documents(cluster, dataset):
    cases = {
        "color = blue AND rank < 2000": lambda d: d["color"] == "blue" and d["rank"] < 2000,
        "family IN [1, 2, 3]": lambda d: d["family"] in (1, 2, 3),
        "price >= 99 OR rank = 77": lambda d: d["price"] >= 99 or d["rank"] == 77,
        "NOT color = red AND family < 20": lambda d: d["color"] != "red" and d["family"] < 20,
    }
    for expr, pred in cases.items():
        expected = {d["id"]: d for d in dataset.docs if pred(d)}
        assert 0 < len(expected) <= 1000, expr
        body = search_json(cluster, dataset.uid, {"q": "", "filter": expr, "limit": 1000})
        assert body["estimatedTotalHits"] == len(expected), expr
        assert {h["id"]: h for h in body["hits"]} == expected, expr


# ------------------------------------------------------------------- facets


def test_facet_over_three_values_sums_to_document_count(client, dataset):
    result = client.index(dataset.uid).search("", {"facets": ["color"], "limit": 0})
    dist = result["facetDistribution"]["color"]
    assert dist == dict(Counter(d["color"] for d in dataset.docs))
    assert sum(dist.values()) == N
    assert result["hits"] == []
    assert result["estimatedTotalHits"] == MAX_TOTAL_HITS


def test_facets_follow_query_and_filter(client, dataset):
    docs = [d for d in with_word(dataset.docs, "lima") if d["price"] > 50]
    result = client.index(dataset.uid).search(
        "lima", {"facets": ["color", "rank", "price"], "filter": "price > 50", "limit": 0})
    assert result["facetDistribution"]["color"] == dict(Counter(d["color"] for d in docs))
    assert sum(result["facetDistribution"]["color"].values()) == len(docs)
    assert result["facetStats"]["rank"] == {"min": min(d["rank"] for d in docs),
                                            "max": max(d["rank"] for d in docs)}
    assert result["facetStats"]["price"] == {"min": min(d["price"] for d in docs),
                                             "max": max(d["price"] for d in docs)}
    assert result["estimatedTotalHits"] == len(docs)


def test_facet_values_beyond_max_values_per_facet(client, dataset):
    """maxValuesPerFacet (100) keeps the first values in facet order, with counts over the
    whole index. With more than 3000 candidates Meilisearch walks its facet database,
    so numbers come in numeric order (below that it orders them as strings)."""
    result = client.index(dataset.uid).search("", {"facets": ["family"], "limit": 0})
    dist = result["facetDistribution"]["family"]
    counts = Counter(d["family"] for d in dataset.docs)
    expected = {str(k): counts[k] for k in sorted(counts)[:100]}
    assert dist == expected
    assert list(dist) == [str(k) for k in range(100)]


def test_facet_search(client, dataset):
    result = client.index(dataset.uid).facet_search("color", "re")
    assert result["facetHits"] == [{"value": "red", "count": 3334}]
    assert result["facetQuery"] == "re"
    result = client.index(dataset.uid).facet_search("color", "", {"q": "papa"})
    papa = Counter(d["color"] for d in with_word(dataset.docs, "papa"))
    assert {h["value"]: h["count"] for h in result["facetHits"]} == dict(papa)


# --------------------------------------------------------------- pagination


@pytest.mark.parametrize("extra", [
    {"q": ""},
    {"q": "golf"},
    {"q": "", "sort": ["price:asc"]},
    {"q": "echo", "filter": "color = green"},
], ids=["placeholder", "word", "sorted-with-ties", "word-filter"])
def test_five_pages_of_ten_equal_one_page_of_fifty(cluster, dataset, extra):
    one = search_json(cluster, dataset.uid, {**extra, "offset": 0, "limit": 50})
    pages = [search_json(cluster, dataset.uid, {**extra, "offset": o, "limit": 10})
             for o in range(0, 50, 10)]
    paged = [h for p in pages for h in p["hits"]]
    assert len(one["hits"]) == 50
    assert len({h["id"] for h in paged}) == 50, "duplicate across pages"
    assert paged == one["hits"]
    assert all(p["estimatedTotalHits"] == one["estimatedTotalHits"] for p in pages)
    # page / hitsPerPage gives the same hits too.
    hp = [search_json(cluster, dataset.uid, {**extra, "page": p, "hitsPerPage": 10})
          for p in range(1, 6)]
    assert [h for p in hp for h in p["hits"]] == one["hits"]
    big = search_json(cluster, dataset.uid, {**extra, "page": 1, "hitsPerPage": 50})
    assert big["hits"] == one["hits"]


def test_offset_pages_cover_the_whole_result_once(cluster, dataset):
    expected = {d["id"] for d in with_word(dataset.docs, "romeo")}
    seen = []
    for offset in range(0, 700, 100):
        body = search_json(cluster, dataset.uid, {"q": "romeo", "offset": offset, "limit": 100})
        assert body["offset"] == offset and body["limit"] == 100
        seen.extend(ids(body))
    assert len(seen) == len(set(seen)) == 625
    assert set(seen) == expected


def test_page_mode_totals(cluster, dataset):
    word = with_word(dataset.docs, "tango")
    seen = []
    for page in range(1, 65):
        body = search_json(cluster, dataset.uid, {"q": "tango", "page": page, "hitsPerPage": 10})
        assert (body["page"], body["hitsPerPage"], body["totalHits"], body["totalPages"]) == (
            page, 10, 625, 63), page
        assert "estimatedTotalHits" not in body and "offset" not in body
        assert len(body["hits"]) == (5 if page == 63 else 0 if page == 64 else 10)
        seen.extend(ids(body))
    assert len(seen) == len(set(seen)) == 625
    assert set(seen) == {d["id"] for d in word}


def test_totals_are_capped_by_max_total_hits(cluster, dataset):
    body = search_json(cluster, dataset.uid, {"q": "", "page": 1, "hitsPerPage": 10})
    assert (body["totalHits"], body["totalPages"]) == (MAX_TOTAL_HITS, MAX_TOTAL_HITS // 10)
    body = search_json(cluster, dataset.uid, {"q": "", "offset": 990, "limit": 20,
                                              "sort": ["rank:asc"]})
    assert body["estimatedTotalHits"] == MAX_TOTAL_HITS
    assert ids(body) == [d["id"] for d in by_rank(dataset.docs)[990:1000]]
    body = search_json(cluster, dataset.uid, {"q": "", "offset": 1000, "limit": 20})
    assert body["hits"] == []


# --------------------------------------------------------------------- sort


@pytest.mark.parametrize("body,pred,key,offset,limit", [
    ({"q": "", "sort": ["rank:asc"], "filter": "color = red"},
     lambda d: d["color"] == "red", lambda d: d["rank"], 0, 100),
    ({"q": "", "sort": ["rank:asc"], "filter": "color = red"},
     lambda d: d["color"] == "red", lambda d: d["rank"], 250, 100),
    ({"q": "", "sort": ["rank:desc"]}, lambda d: True, lambda d: -d["rank"], 0, 1000),
    ({"q": "", "sort": ["price:desc", "rank:asc"]}, lambda d: True,
     lambda d: (-d["price"], d["rank"]), 40, 60),
    ({"q": "delta", "sort": ["rank:desc"]}, lambda d: d["title"].startswith("delta "),
     lambda d: -d["rank"], 0, 625),
], ids=["red-asc", "red-asc-offset", "all-desc", "two-keys", "word-desc"])
def test_sort_matches_a_client_side_sort(cluster, dataset, body, pred, key, offset, limit):
    expected = sorted((d for d in dataset.docs if pred(d)), key=key)[offset:offset + limit]
    result = search_json(cluster, dataset.uid, {**body, "offset": offset, "limit": limit})
    assert result["hits"] == expected


def test_sort_with_attributes_to_retrieve(cluster, dataset):
    """Miroir needs the sort values to merge, but the client asked only for `id`."""
    body = search_json(cluster, dataset.uid, {"q": "", "sort": ["rank:asc"], "limit": 25,
                                              "attributesToRetrieve": ["id"]})
    assert body["hits"] == [{"id": d["id"]} for d in by_rank(dataset.docs)[:25]]


# ----------------------------------------------------------------- distinct


def test_distinct_holds_across_shards(cluster, dataset):
    body = search_json(cluster, dataset.uid, {"q": "", "distinct": "family", "limit": 1000})
    families = [h["family"] for h in body["hits"]]
    assert len(families) == len(set(families)) == ds.FAMILIES


def test_distinct_keeps_the_best_ranked_document_of_each_value(cluster, dataset):
    best = {}
    for d in by_rank(dataset.docs):
        best.setdefault(d["family"], d)
    expected = by_rank(best.values())
    body = search_json(cluster, dataset.uid, {"q": "", "distinct": "family",
                                              "sort": ["rank:asc"], "limit": 1000})
    assert body["hits"] == expected
    page = search_json(cluster, dataset.uid, {"q": "", "distinct": "family",
                                              "sort": ["rank:asc"], "offset": 40, "limit": 20})
    assert page["hits"] == expected[40:60]


def test_distinct_total_in_page_mode(cluster, dataset):
    """With page/hitsPerPage Meilisearch counts exhaustively, after distinct."""
    body = search_json(cluster, dataset.uid, {"q": "", "distinct": "family", "page": 1,
                                              "hitsPerPage": 20, "sort": ["rank:asc"]})
    assert body["totalHits"] == ds.FAMILIES
    assert body["totalPages"] == math.ceil(ds.FAMILIES / 20)


def test_distinct_attribute_setting(cluster, client, dataset, uid_factory):
    uid = uid_factory()
    docs = dataset.docs[:2000]
    ds.load(client, uid, docs, settings={"distinctAttribute": "family",
                                         "sortableAttributes": ["rank"]})
    body = search_json(cluster, uid, {"q": "", "sort": ["rank:desc"], "limit": 1000})
    best = {}
    for d in by_rank(docs, reverse=True):
        best.setdefault(d["family"], d)
    assert body["hits"] == by_rank(best.values(), reverse=True)
    api_delete = client.delete_index(uid)
    client.wait_for_task(api_delete.task_uid)


# ------------------------------------------------------------- multi-search


def test_multi_search_equals_single_searches(cluster, client, dataset):
    queries = [
        {"indexUid": dataset.uid, "q": ds.codeword_of(dataset.docs[55])},
        {"indexUid": dataset.uid, "q": "", "sort": ["rank:asc"], "limit": 7, "offset": 3},
        {"indexUid": dataset.uid, "q": "zulu", "facets": ["color"], "limit": 0},
    ]
    result = client.multi_search(queries)
    assert [r["indexUid"] for r in result["results"]] == [dataset.uid] * 3
    for query, got in zip(queries, result["results"]):
        single = search_json(cluster, dataset.uid,
                             {k: v for k, v in query.items() if k != "indexUid"})
        for key in ("hits", "estimatedTotalHits", "facetDistribution", "limit", "offset"):
            assert got.get(key) == single.get(key), (query, key)
    assert result["results"][0]["hits"] == [dataset.docs[55]]


def test_federated_multi_search(client, dataset):
    a, b = dataset.docs[10], dataset.docs[20]
    result = client.multi_search(
        [{"indexUid": dataset.uid, "q": ds.codeword_of(a)},
         {"indexUid": dataset.uid, "q": ds.codeword_of(b)}],
        federation={"limit": 10})
    assert sorted(h["id"] for h in result["hits"]) == [10, 20]
    assert result["estimatedTotalHits"] == 2
    assert all(h["_federation"]["indexUid"] == dataset.uid for h in result["hits"])
    assert sorted(h["_federation"]["queriesPosition"] for h in result["hits"]) == [0, 1]


# ------------------------------------------------------------------- errors


def test_search_errors(cluster, dataset):
    assert_error_response(search(cluster, dataset.uid, {"q": "", "filter": "title = x"}),
                          400, "invalid_search_filter")
    assert_error_response(search(cluster, dataset.uid, {"q": "", "sort": ["title:asc"]}),
                          400, "invalid_search_sort")
    assert_error_response(search(cluster, dataset.uid, {"q": "", "limit": -1}),
                          400, "invalid_search_limit")
    assert_error_response(search(cluster, "no_such_index", {"q": ""}), 404, "index_not_found",
                          message="Index `no_such_index` not found.")
