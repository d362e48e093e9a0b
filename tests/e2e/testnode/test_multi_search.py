"""POST /multi-search: independent results per query, and federation."""

from __future__ import annotations

import uuid

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response

BOOKS = [
    {"id": 1, "title": "Quokka", "kind": "book", "price": 3},
    {"id": 2, "title": "Wombat tales", "kind": "book", "price": 5},
    {"id": 3, "title": "Platypus guide", "kind": "book", "price": 9},
]
MOVIES = [
    {"id": 1, "title": "Quokka", "kind": "movie", "price": 4},
    {"id": 2, "title": "Kangaroo jack", "kind": "movie", "price": 2},
]


@pytest.fixture(scope="module")
def indexes(client) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    books, movies = f"mbooks_{suffix}", f"mmovies_{suffix}"
    settings = {"filterableAttributes": ["kind", "price"], "sortableAttributes": ["price"]}
    api.make_index(client, books, BOOKS, settings=settings)
    api.make_index(client, movies, MOVIES, settings=settings)
    return books, movies


def test_multi_search_returns_one_result_per_query(client, indexes):
    books, movies = indexes
    res = client.multi_search([
        {"indexUid": books, "q": "quokka"},
        {"indexUid": movies, "q": "", "limit": 1, "sort": ["price:asc"]},
        {"indexUid": books, "filter": "price > 4", "page": 1, "hitsPerPage": 1},
    ])
    assert set(res) == {"results"}
    first, second, third = res["results"]
    assert first["indexUid"] == books and second["indexUid"] == movies
    assert first["hits"] == [BOOKS[0]]
    assert first["query"] == "quokka" and first["estimatedTotalHits"] == 1
    assert first["limit"] == 20 and first["offset"] == 0
    assert second["hits"] == [MOVIES[1]] and second["limit"] == 1
    assert second["estimatedTotalHits"] == 2
    assert third["indexUid"] == books
    assert third["totalHits"] == 2 and third["totalPages"] == 2 and len(third["hits"]) == 1
    for result in res["results"]:
        assert "processingTimeMs" in result


def test_multi_search_facets_per_query(client, indexes):
    books, movies = indexes
    res = client.multi_search([
        {"indexUid": books, "facets": ["kind", "price"]},
        {"indexUid": movies, "facets": ["kind"]},
    ])
    assert res["results"][0]["facetDistribution"]["kind"] == {"book": 3}
    assert res["results"][0]["facetStats"] == {"price": {"min": 3, "max": 9}}
    assert res["results"][1]["facetDistribution"]["kind"] == {"movie": 2}


def test_multi_search_missing_index(node, indexes, index_uid):
    books, _ = indexes
    resp = node.http("POST", "/multi-search", json={"queries": [
        {"indexUid": books, "q": "quokka"}, {"indexUid": index_uid, "q": "x"}]})
    body = assert_error_response(resp, 404, "index_not_found")
    assert body["message"] == f"Inside `.queries[1]`: Index `{index_uid}` not found."


def test_multi_search_error_in_one_query(client, indexes):
    books, _ = indexes
    with pytest.raises(MeilisearchApiError) as err:
        client.multi_search([{"indexUid": books, "filter": "title = x"}])
    assert_api_error(err.value, 400, "invalid_search_filter")


def test_federated_search_merges_hits(client, indexes):
    books, movies = indexes
    res = client.multi_search(
        [{"indexUid": books, "q": "quokka"}, {"indexUid": movies, "q": "quokka"}],
        federation={})
    assert "results" not in res
    assert {"hits", "processingTimeMs", "limit", "offset", "estimatedTotalHits"} <= set(res)
    assert res["limit"] == 20 and res["offset"] == 0 and res["estimatedTotalHits"] == 2
    assert len(res["hits"]) == 2
    origins = set()
    for hit in res["hits"]:
        fed = hit["_federation"]
        assert {"indexUid", "queriesPosition", "weightedRankingScore"} <= set(fed)
        assert 0.0 < fed["weightedRankingScore"] <= 1.0
        origins.add((fed["indexUid"], fed["queriesPosition"], hit["kind"]))
    assert origins == {(books, 0, "book"), (movies, 1, "movie")}


def test_federated_hits_are_ordered_by_weighted_score(client, indexes):
    books, movies = indexes
    res = client.multi_search(
        [{"indexUid": books, "q": "quokka", "showRankingScore": True},
         {"indexUid": books, "q": "wombat", "showRankingScore": True},
         {"indexUid": movies, "q": "kangaroo", "showRankingScore": True}],
        federation={})
    scores = [h["_federation"]["weightedRankingScore"] for h in res["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert sorted((h["_federation"]["queriesPosition"], h["id"]) for h in res["hits"]) == [
        (0, 1), (1, 2), (2, 2)]
    assert all("_rankingScore" in h for h in res["hits"])


def test_federation_weight(client, indexes):
    books, movies = indexes
    queries = [{"indexUid": books, "q": "quokka"},
               {"indexUid": movies, "q": "quokka", "federationOptions": {"weight": 2.0}}]
    res = client.multi_search(queries, federation={})
    assert res["hits"][0]["_federation"]["indexUid"] == movies
    assert res["hits"][0]["_federation"]["weightedRankingScore"] > 1.0
    queries[1]["federationOptions"]["weight"] = 0.5
    queries[0]["federationOptions"] = {"weight": 1.0}
    res = client.multi_search(queries, federation={})
    assert res["hits"][0]["_federation"]["indexUid"] == books


def test_federation_limit_and_offset(client, indexes):
    books, movies = indexes
    queries = [{"indexUid": books, "q": ""}, {"indexUid": movies, "q": ""}]
    everything = client.multi_search(queries, federation={})
    assert everything["estimatedTotalHits"] == 5 and len(everything["hits"]) == 5
    page = client.multi_search(queries, federation={"limit": 2, "offset": 1})
    assert page["limit"] == 2 and page["offset"] == 1
    assert page["estimatedTotalHits"] == 5
    assert page["hits"] == everything["hits"][1:3]


def test_federated_query_may_not_paginate(node, indexes):
    books, movies = indexes
    resp = node.http("POST", "/multi-search", json={"federation": {}, "queries": [
        {"indexUid": books, "q": "quokka"}, {"indexUid": movies, "q": "x", "limit": 3}]})
    assert_error_response(resp, 400, "invalid_multi_search_query_pagination")
