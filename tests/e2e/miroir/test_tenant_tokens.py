"""Tenant tokens, signed by the official client, enforced by Miroir before any node call.

A token's search rule filter is fused with the query's own filter the way
Meilisearch fuses them (both as AND-ed lists, the query's terms first), in
search, facet search and every query of a multi-search. The reference node shares
the master key, so the same token is valid on it and both must answer alike.
"""

from __future__ import annotations

import datetime
import time

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import assert_api_error

UID = "small"


@pytest.fixture(scope="module")
def search_key(client, small_dataset):
    key = client.create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    yield key
    client.delete_key(key.uid)


def token(client, key, rules, expires_at=None) -> str:
    return client.generate_tenant_token(key.uid, rules, api_key=key.key, expires_at=expires_at)


def matching(docs, predicate) -> set:
    return {d["id"] for d in docs if predicate(d)}


def all_hits(searcher, body: dict) -> set:
    result = searcher.index(UID).search(body.pop("q", ""), {**body, "limit": 1000})
    return {hit["id"] for hit in result["hits"]}


def test_rule_filter_restricts_every_search(cluster, client, small_dataset, search_key):
    docs = small_dataset.docs
    searcher = cluster.client(api_key=token(client, search_key, {UID: {"filter": "color = red"}}))
    assert all_hits(searcher, {}) == matching(docs, lambda d: d["color"] == "red")
    # The client's own filter is ANDed, never replaces the rule.
    assert all_hits(searcher, {"filter": "color = blue"}) == set()
    assert all_hits(searcher, {"filter": "rank < 5000"}) == matching(
        docs, lambda d: d["color"] == "red" and d["rank"] < 5000)
    # A filter given as an array keeps its meaning: outer AND, inner OR.
    body = {"filter": [["rank < 1000", "rank > 9000"], "price < 50"]}
    assert all_hits(searcher, body) == matching(
        docs, lambda d: d["color"] == "red" and (d["rank"] < 1000 or d["rank"] > 9000)
        and d["price"] < 50)
    facets = searcher.index(UID).search("", {"facets": ["color"], "limit": 0})
    assert facets["facetDistribution"]["color"] == {"red": len(matching(
        docs, lambda d: d["color"] == "red"))}


def test_array_rule_keeps_its_meaning_with_sort_and_facets(cluster, client, small_dataset,
                                                          search_key):
    rules = {"*": {"filter": ["price >= 20", ["color = red", "color = green"]]}}
    searcher = cluster.client(api_key=token(client, search_key, rules))
    result = searcher.index(UID).search("", {"filter": "rank > 3000", "sort": ["rank:asc"],
                                             "limit": 50, "facets": ["color"]})
    allowed = sorted((d for d in small_dataset.docs
                      if d["price"] >= 20 and d["color"] in ("red", "green")
                      and d["rank"] > 3000), key=lambda d: d["rank"])
    assert [h["id"] for h in result["hits"]] == [d["id"] for d in allowed[:50]]
    assert result["estimatedTotalHits"] == len(allowed)
    expected: dict[str, int] = {}
    for d in allowed:
        expected[d["color"]] = expected.get(d["color"], 0) + 1
    assert result["facetDistribution"]["color"] == expected


def test_multi_search_applies_each_index_rule(cluster, client, small_dataset, search_key):
    docs = small_dataset.docs
    tok = token(client, search_key, {UID: {"filter": "color = green"}})
    searcher = cluster.client(api_key=tok)
    results = searcher.multi_search([
        {"indexUid": UID, "q": "", "limit": 1000},
        {"indexUid": UID, "q": "", "filter": "rank < 2000", "limit": 1000},
    ])["results"]
    assert {h["id"] for h in results[0]["hits"]} == matching(docs, lambda d: d["color"] == "green")
    assert {h["id"] for h in results[1]["hits"]} == matching(
        docs, lambda d: d["color"] == "green" and d["rank"] < 2000)
    federated = searcher.multi_search([{"indexUid": UID, "q": ""}], federation={"limit": 1000})
    assert {h["id"] for h in federated["hits"]} == matching(docs, lambda d: d["color"] == "green")


def test_facet_search_applies_the_rule(cluster, client, small_dataset, search_key):
    docs = small_dataset.docs
    tok = token(client, search_key, {UID: {"filter": "rank < 3000"}})
    resp = cluster.http("POST", f"/indexes/{UID}/facet-search",
                        headers={"Authorization": f"Bearer {tok}"},
                        json={"facetName": "color", "facetQuery": ""}, key=None)
    assert resp.status_code == 200, resp.text
    got = {hit["value"]: hit["count"] for hit in resp.json()["facetHits"]}
    expected: dict[str, int] = {}
    for d in docs:
        if d["rank"] < 3000:
            expected[d["color"]] = expected.get(d["color"], 0) + 1
    assert got == expected


def test_refused_tokens_reach_no_node(cluster, client, small_dataset, search_key):
    before = cluster.snapshot([UID], documents=True)
    # The client refuses to sign an expired token: sign one that expires at once.
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    expiring = token(client, search_key, {UID: {}}, expires_at=soon)
    time.sleep(2.1)
    for tok in (token(client, search_key, {"other-index": {}}), expiring):
        searcher = cluster.client(api_key=tok)
        with pytest.raises(MeilisearchApiError) as err:
            searcher.index(UID).search("")
        assert_api_error(err.value, 403, "invalid_api_key", "auth")
    # A tenant token only searches.
    writer = cluster.client(api_key=token(client, search_key, {UID: {}}))
    with pytest.raises(MeilisearchApiError) as err:
        writer.index(UID).add_documents([{"id": 1, "title": "x"}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    with pytest.raises(MeilisearchApiError) as err:
        writer.multi_search([{"indexUid": "other-index", "q": ""}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    assert cluster.snapshot([UID], documents=True) == before
