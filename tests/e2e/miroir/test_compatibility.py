"""The same requests against one standalone node holding the 10,000 documents and
against Miroir in front of a cluster holding them: same answers.

Hits are compared in order when the order is defined by the request (sort, a
unique match); otherwise — relevance ties, which a single Meilisearch breaks by
its internal document ids — as sets, and only when the whole result fits in the
page. Totals, facet distributions and stats, query echoes and errors must be
identical.
"""

from __future__ import annotations

import pytest

from . import dataset as ds
from .common import normalized, ok_json

DOCS = ds.documents(10_000)
CODE_A = ds.codeword_of(DOCS[1234])
CODE_B = ds.codeword_of(DOCS[9876])

# (name, body, order_matters, compare_hits)
SEARCHES = [
    ("placeholder", {"q": ""}, False, False),
    ("placeholder-facets", {"q": "", "limit": 0,
                            "facets": ["color", "family", "rank", "price"]}, True, True),
    ("placeholder-facets-star", {"q": "", "limit": 0, "facets": ["*"]}, True, True),
    ("word-all-hits", {"q": "golf", "limit": 1000}, False, True),
    ("word-scores", {"q": "oscar", "limit": 1000, "showRankingScore": True}, False, True),
    ("two-words-last", {"q": "alpha bravo", "limit": 1000}, False, True),
    ("two-words-all", {"q": "alpha bravo", "limit": 1000, "matchingStrategy": "all"}, True, True),
    ("typo", {"q": CODE_A[:3] + ("x" if CODE_A[3] != "x" else "y") + CODE_A[4:]}, True, True),
    ("unique-a", {"q": CODE_A}, True, True),
    ("unique-b-highlight", {"q": CODE_B, "attributesToHighlight": ["title"],
                            "showMatchesPosition": True}, True, True),
    ("unique-b-crop", {"q": CODE_B, "attributesToCrop": ["title:1"],
                       "attributesToRetrieve": ["id", "title"]}, True, True),
    ("sorted-offset", {"q": "", "sort": ["rank:asc"], "offset": 100, "limit": 50}, True, True),
    ("sorted-two-keys", {"q": "hotel", "sort": ["price:desc", "rank:asc"],
                         "filter": "color = green", "limit": 30}, True, True),
    ("sorted-retrieve", {"q": "", "sort": ["rank:desc"], "limit": 15,
                         "attributesToRetrieve": ["id", "rank"]}, True, True),
    ("filter-in", {"q": "", "filter": "family IN [1, 2, 3]", "limit": 100}, False, True),
    ("filter-array", {"q": "", "filter": [["color = red", "color = blue"], "rank < 300"],
                      "limit": 1000}, False, True),
    ("filter-facets", {"q": "", "filter": "price > 50", "facets": ["color", "price"],
                       "limit": 0}, True, True),
    ("page-mode", {"q": "", "page": 3, "hitsPerPage": 20, "sort": ["rank:desc"]}, True, True),
    ("page-mode-word", {"q": "mike", "page": 2, "hitsPerPage": 100}, False, False),
    ("page-zero", {"q": "mike", "page": 0, "hitsPerPage": 10}, True, True),
    ("hits-per-page-zero", {"q": "mike", "page": 1, "hitsPerPage": 0}, True, True),
    ("distinct-sorted", {"q": "", "distinct": "family", "sort": ["rank:asc"],
                         "page": 1, "hitsPerPage": 600}, True, True),
    ("beyond-max-total-hits", {"q": "", "offset": 995, "limit": 10, "sort": ["rank:asc"]},
     True, True),
    ("nothing", {"q": "qqqqqqqqqqqq"}, True, True),
]


def _compare(want: dict, got: dict, order_matters: bool, compare_hits: bool, name: str) -> None:
    w = normalized(want, order_matters=order_matters)
    g = normalized(got, order_matters=order_matters)
    if not compare_hits:
        assert len(g["hits"]) == len(w["hits"]), name
        w = {k: v for k, v in w.items() if k != "hits"}
        g = {k: v for k, v in g.items() if k != "hits"}
    assert set(g) == set(w), f"{name}: keys {sorted(g)} != {sorted(w)}"
    for key in w:
        assert g[key] == w[key], f"{name}: {key} differs:\nmiroir    {g[key]!r:.800}\n" \
                                 f"reference {w[key]!r:.800}"


@pytest.mark.parametrize("name,body,order_matters,compare_hits", SEARCHES,
                         ids=[s[0] for s in SEARCHES])
def test_same_search_answer(cluster, reference, dataset, name, body, order_matters,
                            compare_hits):
    want = reference.http("POST", f"/indexes/{dataset.uid}/search", json=body)
    got = cluster.http("POST", f"/indexes/{dataset.uid}/search", json=body)
    _compare(ok_json(want), ok_json(got), order_matters, compare_hits, name)


def test_same_get_search_answer(cluster, reference, dataset):
    params = {"q": "india", "sort": "rank:asc", "filter": "color = blue", "limit": 40,
              "offset": 5, "facets": "color,price"}
    want = ok_json(reference.http("GET", f"/indexes/{dataset.uid}/search", params=params))
    got = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/search", params=params))
    _compare(want, got, True, True, "GET search")


@pytest.mark.parametrize("body", [
    {"facetName": "color", "facetQuery": "bl"},
    {"facetName": "color", "q": "whisky"},
    {"facetName": "family", "facetQuery": "4", "filter": "rank < 5000"},
    {"facetName": "price", "facetQuery": "9"},
])
def test_same_facet_search_answer(cluster, reference, dataset, body):
    want = ok_json(reference.http("POST", f"/indexes/{dataset.uid}/facet-search", json=body))
    got = ok_json(cluster.http("POST", f"/indexes/{dataset.uid}/facet-search", json=body))
    want.pop("processingTimeMs", None)
    got.pop("processingTimeMs", None)
    assert got == want


def test_same_multi_search_answer(cluster, reference, dataset):
    body = {"queries": [
        {"indexUid": dataset.uid, "q": CODE_A},
        {"indexUid": dataset.uid, "q": "", "sort": ["price:asc", "rank:desc"], "limit": 12},
        {"indexUid": dataset.uid, "q": "papa", "facets": ["color"], "limit": 0},
    ]}
    want = ok_json(reference.http("POST", "/multi-search", json=body))
    got = ok_json(cluster.http("POST", "/multi-search", json=body))
    assert len(got["results"]) == len(want["results"]) == 3
    for w, g in zip(want["results"], got["results"]):
        assert normalized(g) == normalized(w)


def test_same_federated_search_answer(cluster, reference, dataset):
    body = {"federation": {"limit": 20},
            "queries": [{"indexUid": dataset.uid, "q": CODE_A},
                        {"indexUid": dataset.uid, "q": CODE_B},
                        {"indexUid": dataset.uid, "q": "", "filter": "rank < 5",
                         "sort": ["rank:asc"]}]}
    want = ok_json(reference.http("POST", "/multi-search", json=body))
    got = ok_json(cluster.http("POST", "/multi-search", json=body))
    want_ids = sorted(h["id"] for h in want["hits"])
    assert sorted(h["id"] for h in got["hits"]) == want_ids
    assert got["estimatedTotalHits"] == want["estimatedTotalHits"]
    assert (got["limit"], got["offset"]) == (want["limit"], want["offset"])


@pytest.mark.parametrize("path,body", [
    ("/documents/fetch", {"filter": "color = red AND rank < 600", "limit": 1000}),
    ("/documents/fetch", {"sort": ["rank:asc"], "limit": 20, "offset": 30}),
    ("/documents/fetch", {"ids": [1, 5, 9999, 123456], "fields": ["id", "color"]}),
    ("/documents/fetch", {"filter": "family = 7", "fields": ["id"], "limit": 100}),
])
def test_same_documents_answer(cluster, reference, dataset, path, body):
    want = ok_json(reference.http("POST", f"/indexes/{dataset.uid}{path}", json=body))
    got = ok_json(cluster.http("POST", f"/indexes/{dataset.uid}{path}", json=body))
    assert (got["total"], got["offset"], got["limit"]) == (
        want["total"], want["offset"], want["limit"])
    if "sort" in body:
        assert got["results"] == want["results"]
    else:
        key = lambda d: d["id"]  # noqa: E731 - document order follows internal ids
        assert sorted(got["results"], key=key) == sorted(want["results"], key=key)


def test_same_stats_and_settings(cluster, reference, dataset):
    want = ok_json(reference.http("GET", f"/indexes/{dataset.uid}/stats"))
    got = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/stats"))
    for key in ("numberOfDocuments", "isIndexing", "fieldDistribution"):
        assert got[key] == want[key], key
    assert set(got) == set(want)
    want = ok_json(reference.http("GET", f"/indexes/{dataset.uid}/settings"))
    got = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}/settings"))
    assert got == want
    want = ok_json(reference.http("GET", f"/indexes/{dataset.uid}"))
    got = ok_json(cluster.http("GET", f"/indexes/{dataset.uid}"))
    assert set(got) == set(want) and got["primaryKey"] == want["primaryKey"] == "id"


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/search", {"q": "", "filter": "title = x"}),
    ("POST", "/search", {"q": "", "filter": "color = "}),
    ("POST", "/search", {"q": "", "sort": ["title:asc"]}),
    ("POST", "/search", {"q": "", "sort": ["rank:sideways"]}),
    ("POST", "/search", {"q": "", "facets": "color"}),
    ("POST", "/search", {"q": "", "limit": "ten"}),
    ("POST", "/search", {"q": "", "hitsPerPage": -3}),
    ("POST", "/search", {"q": "", "unknownParameter": 1}),
    ("POST", "/search", {"q": "", "distinct": "title"}),
    ("POST", "/facet-search", {"facetName": "title"}),
    ("POST", "/documents/fetch", {"filter": "title = x"}),
    ("POST", "/documents/fetch", {"limit": -1}),
    ("GET", "/documents/not%20valid", None),
])
def test_same_error_answer(cluster, reference, dataset, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    want = reference.http(method, f"/indexes/{dataset.uid}{path}", **kwargs)
    got = cluster.http(method, f"/indexes/{dataset.uid}{path}", **kwargs)
    assert 400 <= want.status_code < 500, want.text
    assert (got.status_code, got.json()) == (want.status_code, want.json())
