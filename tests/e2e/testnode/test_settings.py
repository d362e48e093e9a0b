"""Index settings: defaults, whole updates, every sub-route, reset, and their effects."""

from __future__ import annotations

import copy

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response

DEFAULT_RANKING_RULES = ["words", "typo", "proximity", "attributeRank", "sort", "wordPosition",
                         "exactness"]
DEFAULT_TYPO = {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": False}
DEFAULT_FACETING = {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}}
DEFAULT_PAGINATION = {"maxTotalHits": 1000}
DEFAULT_SETTINGS = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": DEFAULT_RANKING_RULES,
    "stopWords": [],
    "nonSeparatorTokens": [],
    "separatorTokens": [],
    "dictionary": [],
    "synonyms": {},
    "distinctAttribute": None,
    "proximityPrecision": "byWord",
    "typoTolerance": DEFAULT_TYPO,
    "faceting": DEFAULT_FACETING,
    "pagination": DEFAULT_PAGINATION,
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}

MOVIES = [
    {"id": 1, "title": "The Hobbit", "overview": "a dragon named smaug", "genre": "fantasy",
     "price": 10, "year": 2012},
    {"id": 2, "title": "Cars", "overview": "a red car races", "genre": "animation", "price": 5,
     "year": 2006},
    {"id": 3, "title": "Brave", "overview": "a scottish princess", "genre": "animation",
     "price": 7, "year": 2012},
    {"id": 4, "title": "Alien", "overview": "space horror", "genre": "scifi", "price": 8,
     "year": 1979},
]


def get_settings(node, uid, sub: str = "") -> object:
    path = f"/indexes/{uid}/settings" + (f"/{sub}" if sub else "")
    resp = node.http("GET", path)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_default_settings(node, client, index_uid):
    api.create_index(client, index_uid)
    assert get_settings(node, index_uid) == DEFAULT_SETTINGS
    assert client.index(index_uid).get_settings() == DEFAULT_SETTINGS


def test_settings_of_missing_index(node, index_uid):
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/settings"), 404,
                          "index_not_found")
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/settings/filterable-attributes"),
                          404, "index_not_found")


def test_update_whole_settings(node, client, index_uid):
    api.make_index(client, index_uid, MOVIES)
    body = {
        "displayedAttributes": ["id", "title", "genre", "price"],
        "searchableAttributes": ["title", "overview"],
        "filterableAttributes": ["genre", "price"],
        "sortableAttributes": ["price", "year"],
        "rankingRules": ["words", "typo", "sort", "proximity", "attribute", "exactness",
                         "year:desc"],
        "stopWords": ["a", "the"],
        "nonSeparatorTokens": ["@"],
        "separatorTokens": ["|"],
        "dictionary": ["J. R. R."],
        "synonyms": {"automobile": ["car"], "car": ["automobile"]},
        "distinctAttribute": "genre",
        "proximityPrecision": "byAttribute",
        "typoTolerance": {"minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8},
                          "disableOnWords": ["smaug"], "disableOnAttributes": ["overview"]},
        "faceting": {"maxValuesPerFacet": 50, "sortFacetValuesBy": {"genre": "count"}},
        "pagination": {"maxTotalHits": 500},
        "searchCutoffMs": 150,
        "facetSearch": False,
        "prefixSearch": "disabled",
    }
    resp = node.http("PATCH", f"/indexes/{index_uid}/settings", json=body)
    assert resp.status_code == 202
    summary = resp.json()
    assert summary["type"] == "settingsUpdate" and summary["indexUid"] == index_uid
    task = api.succeeded(node, summary)
    assert task["details"] == body

    expected = copy.deepcopy(DEFAULT_SETTINGS)
    expected.update(body)
    expected["typoTolerance"] = {"enabled": True,
                                 "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8},
                                 "disableOnWords": ["smaug"], "disableOnAttributes": ["overview"],
                                 "disableOnNumbers": False}
    expected["faceting"] = {"maxValuesPerFacet": 50,
                            "sortFacetValuesBy": {"*": "alpha", "genre": "count"}}
    assert get_settings(node, index_uid) == expected

    # A partial update leaves the other settings alone.
    api.update_settings(client, index_uid, {"sortableAttributes": ["title"]})
    expected["sortableAttributes"] = ["title"]
    assert get_settings(node, index_uid) == expected

    # Reset everything.
    resp = node.http("DELETE", f"/indexes/{index_uid}/settings")
    assert resp.status_code == 202
    assert resp.json()["type"] == "settingsUpdate"
    api.succeeded(node, resp.json())
    assert get_settings(node, index_uid) == DEFAULT_SETTINGS


def test_reset_settings_through_sdk(node, client, index_uid):
    api.create_index(client, index_uid)
    api.update_settings(client, index_uid, {"filterableAttributes": ["a"], "stopWords": ["x"]})
    api.succeeded(client, client.index(index_uid).reset_settings())
    assert get_settings(node, index_uid) == DEFAULT_SETTINGS


SUB_ROUTES = [
    # (route, sdk suffix, value, value read back, default)
    ("filterable-attributes", "filterable_attributes", ["genre", "price"], ["genre", "price"], []),
    ("sortable-attributes", "sortable_attributes", ["price", "year"], ["price", "year"], []),
    ("searchable-attributes", "searchable_attributes", ["title", "overview"],
     ["title", "overview"], ["*"]),
    ("displayed-attributes", "displayed_attributes", ["title", "id"], ["title", "id"], ["*"]),
    ("ranking-rules", "ranking_rules",
     ["typo", "words", "sort", "proximity", "attribute", "exactness", "price:desc"],
     ["typo", "words", "sort", "proximity", "attribute", "exactness", "price:desc"],
     DEFAULT_RANKING_RULES),
    ("stop-words", "stop_words", ["the", "a", "of"], ["a", "of", "the"], []),
    ("synonyms", "synonyms", {"wolverine": ["xmen", "logan"], "logan": ["wolverine"]},
     {"logan": ["wolverine"], "wolverine": ["xmen", "logan"]}, {}),
    ("distinct-attribute", "distinct_attribute", "genre", "genre", None),
    ("typo-tolerance", "typo_tolerance",
     {"enabled": False, "disableOnNumbers": True},
     {**DEFAULT_TYPO, "enabled": False, "disableOnNumbers": True}, DEFAULT_TYPO),
    ("faceting", "faceting_settings", {"maxValuesPerFacet": 7},
     {"maxValuesPerFacet": 7, "sortFacetValuesBy": {"*": "alpha"}}, DEFAULT_FACETING),
    ("pagination", "pagination_settings", {"maxTotalHits": 42}, {"maxTotalHits": 42},
     DEFAULT_PAGINATION),
    ("dictionary", "dictionary", ["J. R. R.", "W. E. B."], ["J. R. R.", "W. E. B."], []),
    ("separator-tokens", "separator_tokens", ["|", "&hellip;"], ["&hellip;", "|"], []),
]


@pytest.mark.parametrize("route,sdk,value,read_back,default", SUB_ROUTES,
                         ids=[r[0] for r in SUB_ROUTES])
def test_settings_sub_route(node, client, index_uid, route, sdk, value, read_back, default):
    api.create_index(client, index_uid)
    index = client.index(index_uid)
    assert get_settings(node, index_uid, route) == default
    getattr(index, f"get_{sdk}")()  # the SDK parses the default

    task = getattr(index, f"update_{sdk}")(value)
    assert task.type == "settingsUpdate" and task.index_uid == index_uid
    api.succeeded(client, task)
    assert get_settings(node, index_uid, route) == read_back
    whole = get_settings(node, index_uid)
    camel = route.replace("-", " ").title().replace(" ", "")
    camel = camel[0].lower() + camel[1:]
    assert whole[camel] == read_back
    getattr(index, f"get_{sdk}")()

    api.succeeded(client, getattr(index, f"reset_{sdk}")())
    assert get_settings(node, index_uid, route) == default
    assert get_settings(node, index_uid) == DEFAULT_SETTINGS


@pytest.mark.parametrize("route,verb,value", [
    ("filterable-attributes", "PUT", ["genre"]),
    ("typo-tolerance", "PATCH", {"enabled": False}),
    ("faceting", "PATCH", {"maxValuesPerFacet": 3}),
    ("pagination", "PATCH", {"maxTotalHits": 3}),
    ("distinct-attribute", "PUT", "genre"),
])
def test_sub_route_raw_verbs(node, client, index_uid, route, verb, value):
    api.create_index(client, index_uid)
    resp = node.http(verb, f"/indexes/{index_uid}/settings/{route}", json=value)
    assert resp.status_code == 202, resp.text
    assert resp.json()["type"] == "settingsUpdate"
    api.succeeded(node, resp.json())
    resp = node.http("DELETE", f"/indexes/{index_uid}/settings/{route}")
    assert resp.status_code == 202
    api.succeeded(node, resp.json())
    assert get_settings(node, index_uid) == DEFAULT_SETTINGS


def test_settings_update_creates_missing_index(node, client, index_uid):
    task = client.index(index_uid).update_filterable_attributes(["genre"])
    api.succeeded(client, task)
    assert client.get_index(index_uid).primary_key is None
    assert get_settings(node, index_uid, "filterable-attributes") == ["genre"]


def test_settings_errors(node, client, index_uid):
    api.create_index(client, index_uid)
    path = f"/indexes/{index_uid}/settings"
    assert_error_response(node.http("PATCH", path, json={"doggo": 1}), 400, "bad_request")
    assert_error_response(node.http("PATCH", path, json={"rankingRules": ["custom"]}), 400,
                          "invalid_settings_ranking_rules")
    assert_error_response(node.http("PATCH", path, json={"filterableAttributes": "genre"}), 400,
                          "invalid_settings_filterable_attributes")
    assert_error_response(node.http("PATCH", path, json={"pagination": {"maxTotalHits": "x"}}),
                          400, "invalid_settings_pagination")
    with pytest.raises(MeilisearchApiError) as err:
        client.index(index_uid).update_ranking_rules(["notarule"])
    assert_api_error(err.value, 400, "invalid_settings_ranking_rules")


# ----------------------------------------------------------------- effects


@pytest.fixture
def movies(client, index_uid) -> str:
    api.make_index(client, index_uid, MOVIES)
    return index_uid


def test_displayed_attributes_shape_hits_but_not_documents(node, client, movies):
    api.update_settings(client, movies, {"displayedAttributes": ["title"]})
    hits = client.index(movies).search("hobbit")["hits"]
    assert hits == [{"title": "The Hobbit"}]
    assert client.index(movies).get_document(1).__dict__ == MOVIES[0]
    assert node.http("GET", f"/indexes/{movies}/documents/1").json() == MOVIES[0]


def test_searchable_attributes_restrict_matching(client, movies):
    assert api.hit_ids(client.index(movies).search("smaug")) == [1]
    api.update_settings(client, movies, {"searchableAttributes": ["title"]})
    assert client.index(movies).search("smaug")["hits"] == []
    assert api.hit_ids(client.index(movies).search("hobbit")) == [1]


def test_filterable_attributes_enable_filters(node, client, movies):
    resp = node.http("POST", f"/indexes/{movies}/search", json={"filter": "genre = animation"})
    assert_error_response(resp, 400, "invalid_search_filter")
    api.succeeded(client, client.index(movies).update_filterable_attributes(["genre"]))
    res = client.index(movies).search("", {"filter": "genre = animation"})
    assert sorted(api.hit_ids(res)) == [2, 3]
    api.succeeded(client, client.index(movies).reset_filterable_attributes())
    resp = node.http("POST", f"/indexes/{movies}/search", json={"filter": "genre = animation"})
    assert_error_response(resp, 400, "invalid_search_filter")


def test_sortable_attributes_enable_sort(node, client, movies):
    resp = node.http("POST", f"/indexes/{movies}/search", json={"sort": ["price:asc"]})
    assert_error_response(resp, 400, "invalid_search_sort")
    api.succeeded(client, client.index(movies).update_sortable_attributes(["price"]))
    res = client.index(movies).search("", {"sort": ["price:asc"]})
    assert api.hit_ids(res) == [2, 3, 4, 1]


def test_synonyms_expand_the_query(client, movies):
    assert client.index(movies).search("automobile")["hits"] == []
    api.succeeded(client, client.index(movies).update_synonyms({"automobile": ["car"]}))
    assert api.hit_ids(client.index(movies).search("automobile")) == [2]


def test_distinct_attribute_setting(client, movies):
    api.succeeded(client, client.index(movies).update_distinct_attribute("genre"))
    res = client.index(movies).search("", {"limit": 10})
    genres = [h["genre"] for h in res["hits"]]
    assert sorted(genres) == ["animation", "fantasy", "scifi"]


def test_typo_tolerance_setting(client, movies):
    assert api.hit_ids(client.index(movies).search("hobit")) == [1]
    api.succeeded(client, client.index(movies).update_typo_tolerance({"enabled": False}))
    assert client.index(movies).search("hobit")["hits"] == []


def test_pagination_max_total_hits(client, movies):
    api.succeeded(client, client.index(movies).update_pagination_settings({"maxTotalHits": 2}))
    res = client.index(movies).search("", {"limit": 10})
    assert len(res["hits"]) == 2
    assert res["estimatedTotalHits"] == 2
    res = client.index(movies).search("", {"hitsPerPage": 10})
    assert len(res["hits"]) == 2 and res["totalHits"] == 2


def test_faceting_max_values_per_facet(client, movies):
    api.update_settings(client, movies, {"filterableAttributes": ["genre"],
                                         "faceting": {"maxValuesPerFacet": 2}})
    res = client.index(movies).search("", {"facets": ["genre"]})
    assert res["facetDistribution"]["genre"] == {"animation": 2, "fantasy": 1}
