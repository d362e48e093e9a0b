"""Search: matching, ranking score, filters, sort, facets, pagination, distinct, GET/POST."""

from __future__ import annotations

import uuid

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response

BOOKS = [
    {"id": 1, "title": "The Hobbit", "author": "Tolkien", "genre": "fantasy", "price": 10,
     "year": 1937, "tags": ["dragon", "adventure"], "rating": 4.5, "info": {"pages": 310}},
    {"id": 2, "title": "The Silmarillion", "author": "Tolkien", "genre": "fantasy", "price": 15,
     "year": 1977, "tags": ["myth"], "rating": None, "info": {"pages": 365}},
    {"id": 3, "title": "Dune", "author": "Herbert", "genre": "scifi", "price": 12, "year": 1965,
     "tags": ["desert", "spice"], "rating": 4.8},
    {"id": 4, "title": "Neuromancer", "author": "Gibson", "genre": "scifi", "price": 8,
     "year": 1984, "tags": [], "rating": 4.1},
    {"id": 5, "title": "Emma", "author": "Austen", "genre": "romance", "price": 5, "year": 1815,
     "tags": ["classic"], "rating": ""},
    {"id": 6, "title": "Persuasion", "author": "Austen", "genre": "romance", "price": 7,
     "year": 1817, "rating": 3.9},
    {"id": 7, "title": "Zyxwvut Chronicles", "author": "Nobody", "genre": "mystery", "price": 20,
     "year": 2001, "tags": ["quokka"]},
    {"id": 8, "title": "Untitled notes", "author": "Anon", "price": 1, "year": 2020},
]
ALL_IDS = {d["id"] for d in BOOKS}
FILTERABLE = ["author", "genre", "info.pages", "price", "rating", "tags", "title", "year"]
SORTABLE = ["price", "title", "year"]


@pytest.fixture(scope="module")
def books(client) -> str:
    uid = f"books_{uuid.uuid4().hex[:8]}"
    api.make_index(client, uid, BOOKS, settings={"filterableAttributes": FILTERABLE,
                                                 "sortableAttributes": SORTABLE})
    return uid


def search(node, uid, body: dict) -> dict:
    resp = node.http("POST", f"/indexes/{uid}/search", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def ids_for(node, uid, **body) -> set:
    body.setdefault("limit", 100)
    return {h["id"] for h in search(node, uid, body)["hits"]}


# ---------------------------------------------------------------- matching


def test_placeholder_search_shape(node, books):
    res = search(node, books, {})
    assert {"hits", "query", "processingTimeMs", "limit", "offset",
            "estimatedTotalHits"} <= set(res)
    assert "totalHits" not in res and "page" not in res and "totalPages" not in res
    assert res["query"] == "" and res["limit"] == 20 and res["offset"] == 0
    assert isinstance(res["processingTimeMs"], int)
    assert res["estimatedTotalHits"] == len(BOOKS)
    assert sorted(h["id"] for h in res["hits"]) == sorted(ALL_IDS)
    # Hits are the stored documents, untouched.
    by_id = {d["id"]: d for d in BOOKS}
    assert all(h == by_id[h["id"]] for h in res["hits"])


def test_query_matches_words(client, books):
    res = client.index(books).search("hobbit")
    assert res["query"] == "hobbit"
    assert api.hit_ids(res) == [1]
    assert api.hit_ids(client.index(books).search("tolkien")) in ([1, 2], [2, 1])


def test_prefix_on_last_word(node, books):
    assert ids_for(node, books, q="silmar") == {2}
    assert ids_for(node, books, q="neurom") == {4}
    assert ids_for(node, books, q="emm") == {5}


def test_matching_strategy_last_drops_words_from_the_end(node, books):
    # No document has both words: the last one is dropped, never the first.
    assert ids_for(node, books, q="persuasion emm") == {6}
    assert ids_for(node, books, q="dune spice") == {3}


def test_unique_keyword_returns_exactly_that_document(client, books):
    res = client.index(books).search("zyxwvut")
    assert res["estimatedTotalHits"] == 1
    assert res["hits"] == [BOOKS[6]]


def test_no_match(client, books):
    res = client.index(books).search("qwertyuiopasdf")
    assert res["hits"] == [] and res["estimatedTotalHits"] == 0


def test_ranking_score(node, books):
    res = search(node, books, {"q": "the hobbit", "showRankingScore": True})
    hits = res["hits"]
    assert hits[0]["id"] == 1  # the only document with both words
    assert 2 in [h["id"] for h in hits]
    scores = [h["_rankingScore"] for h in hits]
    assert all(0.0 < s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]
    # Without showRankingScore there is no score.
    assert all("_rankingScore" not in h for h in search(node, books, {"q": "hobbit"})["hits"])


def test_placeholder_ranking_score_is_one(node, books):
    hits = search(node, books, {"showRankingScore": True, "limit": 3})["hits"]
    assert [h["_rankingScore"] for h in hits] == [1.0, 1.0, 1.0]


def test_search_on_missing_index(node, index_uid):
    assert_error_response(node.http("POST", f"/indexes/{index_uid}/search", json={"q": "a"}),
                          404, "index_not_found", message=f"Index `{index_uid}` not found.")


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("expr,expected", [
    ("genre = scifi", {3, 4}),
    ("genre = 'scifi'", {3, 4}),
    ('title = "The Hobbit"', {1}),
    ("genre != scifi", ALL_IDS - {3, 4}),          # includes the document without genre
    ("price > 10", {2, 3, 7}),
    ("price >= 10", {1, 2, 3, 7}),
    ("price < 8", {5, 6, 8}),
    ("price <= 8", {4, 5, 6, 8}),
    ("price = 10", {1}),
    ("price != 10", ALL_IDS - {1}),
    ("price 8 TO 12", {1, 3, 4}),
    ("year 1815 TO 1817", {5, 6}),
    ("rating > 4.2", {1, 3}),
    ("genre IN [romance, mystery]", {5, 6, 7}),
    ("price IN [5, 10, 99]", {1, 5}),
    ("rating = 4.5", {1}),
    ("year > 1900 AND year < 1980 AND price >= 12", {2, 3}),
    ("genre NOT IN [romance, mystery]", {1, 2, 3, 4, 8}),
    ("NOT genre = fantasy", ALL_IDS - {1, 2}),
    ("NOT price > 10", ALL_IDS - {2, 3, 7}),
    ("tags = dragon", {1}),
    ("tags IN [spice, myth]", {2, 3}),
    ("info.pages > 320", {2}),
    ("rating EXISTS", {1, 2, 3, 4, 5, 6}),
    ("rating NOT EXISTS", {7, 8}),
    ("NOT rating EXISTS", {7, 8}),
    ("tags NOT EXISTS", {6, 8}),
    ("rating IS NULL", {2}),
    ("rating IS NOT NULL", ALL_IDS - {2}),
    ("rating IS EMPTY", {5}),
    ("tags IS EMPTY", {4}),
    ("tags IS NOT EMPTY", ALL_IDS - {4}),
    ("genre = scifi AND price > 10", {3}),
    ("genre = romance OR genre = scifi AND price > 6", {3, 4, 5, 6}),
    ("(genre = romance OR genre = scifi) AND price > 6", {3, 4, 6}),
    ("genre = romance OR (genre = scifi AND price > 10)", {3, 5, 6}),
    ("NOT (genre = romance OR genre = scifi)", {1, 2, 7, 8}),
    ("author = Tolkien AND NOT year < 1950", {2}),
])
def test_filter_expressions(node, books, expr, expected):
    assert ids_for(node, books, filter=expr) == expected, expr


@pytest.mark.parametrize("filter_,expected", [
    (["genre = fantasy"], {1, 2}),
    (["genre = fantasy", "price > 10"], {2}),                       # outer array: AND
    ([["genre = romance", "genre = mystery"]], {5, 6, 7}),          # inner array: OR
    ([["genre = romance", "genre = mystery"], "price > 6"], {6, 7}),
    ([["genre = scifi", "price < 6"], ["year > 1900"]], {3, 4, 8}),
])
def test_filter_arrays(node, books, filter_, expected):
    assert ids_for(node, books, filter=filter_) == expected


def test_filter_string_equality_is_case_insensitive(node, books):
    assert ids_for(node, books, filter="author = TOLKIEN") == {1, 2}
    assert ids_for(node, books, filter="genre = SciFi") == {3, 4}


def test_filter_combined_with_query(client, books):
    res = client.index(books).search("the", {"filter": "year > 1950"})
    assert api.hit_ids(res) == [2]


def test_filter_on_non_filterable_attribute(node, client, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"filter": "nothere = 1"})
    assert_error_response(resp, 400, "invalid_search_filter")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(books).search("", {"filter": "nothere = 1"})
    assert_api_error(err.value, 400, "invalid_search_filter")


@pytest.mark.parametrize("bad", ["price >", "genre = ", "(genre = scifi", "genre scifi",
                                 "price 1 TO", "genre IN [a, b"])
def test_malformed_filter(node, books, bad):
    resp = node.http("POST", f"/indexes/{books}/search", json={"filter": bad})
    assert_error_response(resp, 400, "invalid_search_filter")


# ------------------------------------------------------------------- sort


def test_sort_ascending_and_descending(node, books):
    by_price = [d["id"] for d in sorted(BOOKS, key=lambda d: d["price"])]
    res = search(node, books, {"sort": ["price:asc"]})
    assert api.hit_ids(res) == by_price
    res = search(node, books, {"sort": ["price:desc"]})
    assert api.hit_ids(res) == by_price[::-1]
    res = search(node, books, {"sort": ["year:desc"], "filter": "genre = romance"})
    assert api.hit_ids(res) == [6, 5]


def test_sort_on_strings_and_multiple_keys(node, books):
    by_title = [d["id"] for d in sorted(BOOKS, key=lambda d: d["title"].lower())]
    assert api.hit_ids(search(node, books, {"sort": ["title:asc"]})) == by_title
    res = search(node, books, {"filter": "author = Austen OR author = Tolkien",
                               "sort": ["year:asc"]})
    assert api.hit_ids(res) == [5, 6, 1, 2]


def test_sort_with_query(client, books):
    res = client.index(books).search("the", {"sort": ["price:desc"]})
    assert api.hit_ids(res)[:2] == [2, 1]


def test_documents_without_sort_field_come_last(client, uid_factory):
    uid = uid_factory()
    docs = [{"id": 1, "n": 2}, {"id": 2}, {"id": 3, "n": 1}, {"id": 4, "n": 3}]
    api.make_index(client, uid, docs, settings={"sortableAttributes": ["n"]})
    asc = api.hit_ids(client.index(uid).search("", {"sort": ["n:asc"]}))
    desc = api.hit_ids(client.index(uid).search("", {"sort": ["n:desc"]}))
    assert asc == [3, 1, 4, 2]
    assert desc == [4, 1, 3, 2]


def test_sort_on_non_sortable_attribute(node, client, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"sort": ["author:asc"]})
    assert_error_response(resp, 400, "invalid_search_sort")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(books).search("", {"sort": ["genre:desc"]})
    assert_api_error(err.value, 400, "invalid_search_sort")


def test_malformed_sort(node, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"sort": ["price:up"]})
    assert_error_response(resp, 400, "invalid_search_sort")


# ----------------------------------------------------------------- facets


def test_facet_distribution_and_stats(client, books):
    res = client.index(books).search("", {"facets": ["genre", "price", "year"]})
    assert res["facetDistribution"]["genre"] == {
        "fantasy": 2, "mystery": 1, "romance": 2, "scifi": 2}
    assert res["facetStats"] == {"price": {"min": 1, "max": 20},
                                 "year": {"min": 1815, "max": 2020}}
    assert res["estimatedTotalHits"] == len(BOOKS)


def test_facets_follow_the_filter(client, books):
    res = client.index(books).search("", {"facets": ["genre", "price", "tags"],
                                          "filter": "genre = scifi"})
    assert res["facetDistribution"]["genre"] == {"scifi": 2}
    assert res["facetDistribution"]["tags"] == {"desert": 1, "spice": 1}
    assert res["facetStats"] == {"price": {"min": 8, "max": 12}}


def test_facets_of_array_values(client, books):
    res = client.index(books).search("", {"facets": ["tags"]})
    assert res["facetDistribution"]["tags"] == {
        "adventure": 1, "classic": 1, "desert": 1, "dragon": 1, "myth": 1, "quokka": 1,
        "spice": 1}
    assert res["facetStats"] == {}


def test_facets_with_query(client, books):
    res = client.index(books).search("tolkien", {"facets": ["genre", "price"]})
    assert res["facetDistribution"]["genre"] == {"fantasy": 2}
    assert res["facetStats"]["price"] == {"min": 10, "max": 15}


def test_facets_on_non_filterable_attribute(node, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"facets": ["id"]})
    assert_error_response(resp, 400, "invalid_search_facets")


def test_no_facets_no_facet_keys(node, books):
    res = search(node, books, {"q": "dune"})
    assert "facetDistribution" not in res and "facetStats" not in res


# ------------------------------------------------------------- pagination


def test_offset_and_limit(node, books):
    ordered = [d["id"] for d in sorted(BOOKS, key=lambda d: d["price"])]
    res = search(node, books, {"sort": ["price:asc"], "offset": 2, "limit": 3})
    assert res["offset"] == 2 and res["limit"] == 3
    assert res["estimatedTotalHits"] == len(BOOKS)
    assert api.hit_ids(res) == ordered[2:5]
    res = search(node, books, {"sort": ["price:asc"], "offset": 7, "limit": 3})
    assert api.hit_ids(res) == ordered[7:]
    res = search(node, books, {"offset": 100})
    assert res["hits"] == [] and res["estimatedTotalHits"] == len(BOOKS)
    res = search(node, books, {"limit": 0})
    assert res["hits"] == [] and res["estimatedTotalHits"] == len(BOOKS)


def test_page_and_hits_per_page(node, books):
    ordered = [d["id"] for d in sorted(BOOKS, key=lambda d: d["price"])]
    res = search(node, books, {"sort": ["price:asc"], "page": 2, "hitsPerPage": 3})
    assert {"hits", "query", "processingTimeMs", "hitsPerPage", "page", "totalPages",
            "totalHits"} <= set(res)
    assert "estimatedTotalHits" not in res and "offset" not in res and "limit" not in res
    assert res["page"] == 2 and res["hitsPerPage"] == 3
    assert res["totalHits"] == 8 and res["totalPages"] == 3
    assert api.hit_ids(res) == ordered[3:6]
    last = search(node, books, {"sort": ["price:asc"], "page": 3, "hitsPerPage": 3})
    assert api.hit_ids(last) == ordered[6:]
    beyond = search(node, books, {"page": 4, "hitsPerPage": 3})
    assert beyond["hits"] == [] and beyond["totalHits"] == 8
    only_page = search(node, books, {"page": 1})
    assert only_page["hitsPerPage"] == 20 and only_page["totalPages"] == 1
    filtered = search(node, books, {"filter": "genre = fantasy", "hitsPerPage": 1})
    assert filtered["page"] == 1 and filtered["totalHits"] == 2 and filtered["totalPages"] == 2


def test_page_zero_and_hits_per_page_zero(node, books):
    res = search(node, books, {"page": 0})
    assert res["hits"] == [] and res["page"] == 0 and res["totalHits"] == 8
    res = search(node, books, {"hitsPerPage": 0})
    assert res["hits"] == [] and res["totalHits"] == 8 and res["totalPages"] == 0


# ------------------------------------------------------- shaping the hits


def test_attributes_to_retrieve(node, books):
    res = search(node, books, {"q": "dune", "attributesToRetrieve": ["title", "price"]})
    assert res["hits"] == [{"title": "Dune", "price": 12}]
    res = search(node, books, {"filter": "price = 1", "attributesToRetrieve": ["title", "rating"]})
    assert res["hits"] == [{"title": "Untitled notes"}]
    res = search(node, books, {"q": "hobbit", "attributesToRetrieve": ["info.pages", "id"]})
    assert res["hits"] == [{"id": 1, "info": {"pages": 310}}]
    res = search(node, books, {"q": "hobbit", "attributesToRetrieve": ["*"]})
    assert res["hits"] == [BOOKS[0]]


def test_distinct_at_search_time(node, books):
    res = search(node, books, {"distinct": "author", "limit": 100})
    authors = [h["author"] for h in res["hits"]]
    assert len(authors) == len(set(authors)) == len({d["author"] for d in BOOKS})
    res = search(node, books, {"distinct": "genre", "filter": "genre EXISTS", "limit": 100})
    assert sorted(h["genre"] for h in res["hits"]) == ["fantasy", "mystery", "romance", "scifi"]


def test_distinct_requires_filterable(node, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"distinct": "nothere"})
    assert_error_response(resp, 400, "invalid_search_distinct")


# --------------------------------------------------------------------- GET


def test_get_search(node, books):
    resp = node.http("GET", f"/indexes/{books}/search",
                     params={"q": "hobbit", "attributesToRetrieve": "id,title"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["hits"] == [{"id": 1, "title": "The Hobbit"}]
    assert body["query"] == "hobbit" and body["limit"] == 20 and body["offset"] == 0


def test_get_search_with_filter_sort_facets_and_paging(node, books):
    resp = node.http("GET", f"/indexes/{books}/search", params={
        "filter": "genre = scifi OR genre = fantasy", "sort": "price:desc",
        "facets": "genre,price", "limit": 3, "offset": 1})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [h["id"] for h in body["hits"]] == [3, 1, 4]
    assert body["estimatedTotalHits"] == 4 and body["limit"] == 3 and body["offset"] == 1
    assert body["facetDistribution"]["genre"] == {"fantasy": 2, "scifi": 2}
    assert body["facetStats"] == {"price": {"min": 8, "max": 15}}

    resp = node.http("GET", f"/indexes/{books}/search",
                     params={"page": 2, "hitsPerPage": 5, "sort": "price:asc"})
    body = resp.json()
    assert body["totalHits"] == 8 and body["totalPages"] == 2 and len(body["hits"]) == 3

    resp = node.http("GET", f"/indexes/{books}/search",
                     params={"q": "hobbit", "showRankingScore": "true"})
    hits = resp.json()["hits"]
    assert [h["id"] for h in hits] == [1] and 0.0 < hits[0]["_rankingScore"] <= 1.0


def test_get_search_errors(node, books):
    resp = node.http("GET", f"/indexes/{books}/search", params={"filter": "nothere = 1"})
    assert_error_response(resp, 400, "invalid_search_filter")
    resp = node.http("GET", f"/indexes/{books}/search", params={"limit": "doggo"})
    assert_error_response(resp, 400, "invalid_search_limit")


def test_bad_search_parameters(node, books):
    resp = node.http("POST", f"/indexes/{books}/search", json={"limit": "doggo"})
    assert_error_response(resp, 400, "invalid_search_limit")
    resp = node.http("POST", f"/indexes/{books}/search", json={"offset": -1})
    assert_error_response(resp, 400, "invalid_search_offset")
    resp = node.http("POST", f"/indexes/{books}/search", json={"doggo": 1})
    assert_error_response(resp, 400, "bad_request")


def test_underscore_fields_are_ordinary_fields(node, client, index_uid):
    # Miroir tags documents with `_miroir_shard` and restricts node queries with it.
    docs = [{"id": i, "title": f"doc {i}", "_miroir_shard": i % 4} for i in range(12)]
    api.make_index(client, index_uid, docs, settings={"filterableAttributes": ["_miroir_shard"]})
    res = search(node, index_uid, {"filter": "_miroir_shard IN [0, 2]", "limit": 100,
                                    "showRankingScore": True})
    assert sorted(h["id"] for h in res["hits"]) == [0, 2, 4, 6, 8, 10]
    assert res["estimatedTotalHits"] == 6
    assert all(h["_miroir_shard"] in (0, 2) for h in res["hits"])
    res = search(node, index_uid, {"q": "doc", "filter": "(_miroir_shard = 1)",
                                    "attributesToRetrieve": ["id"]})
    assert sorted(h["id"] for h in res["hits"]) == [1, 5, 9]
    assert all(set(h) == {"id"} for h in res["hits"])
    body = node.http("GET", f"/indexes/{index_uid}/documents",
                     params={"filter": "_miroir_shard = 3", "fields": "id,_miroir_shard"}).json()
    assert body["total"] == 3
    assert sorted(body["results"], key=lambda d: d["id"]) == [
        {"id": 3, "_miroir_shard": 3}, {"id": 7, "_miroir_shard": 3},
        {"id": 11, "_miroir_shard": 3}]
