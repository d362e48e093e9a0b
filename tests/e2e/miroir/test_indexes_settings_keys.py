"""Index lifecycle, settings, stats and API keys through Miroir, with the official
client; settings are compared with a standalone node given the same updates, and
the nodes are read directly to check that index operations reached all of them."""

from __future__ import annotations

import pytest
from meilisearch.errors import MeilisearchApiError

from harness import api, assert_api_error, assert_error_response

from . import dataset as ds
from .common import assert_no_reserved, ok_json

FULL_SETTINGS = {
    "displayedAttributes": ["id", "title", "color", "rank"],
    "searchableAttributes": ["title", "color"],
    "filterableAttributes": ["color", "rank", "family"],
    "sortableAttributes": ["rank", "price"],
    "rankingRules": ["words", "sort", "typo", "proximity", "attribute", "exactness",
                     "rank:desc"],
    "stopWords": ["the", "a"],
    "synonyms": {"golf": ["hotel"], "hotel": ["golf"]},
    "distinctAttribute": "family",
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 10},
                      "disableOnWords": ["kilo"], "disableOnAttributes": []},
    "pagination": {"maxTotalHits": 5000},
    "faceting": {"maxValuesPerFacet": 42, "sortFacetValuesBy": {"*": "count"}},
    "separatorTokens": ["|"],
    "nonSeparatorTokens": ["@"],
    "dictionary": ["e.g."],
    "proximityPrecision": "byAttribute",
    "searchCutoffMs": 1500,
}


def wait_both(cluster_client, ref_client, call):
    """Run `call(client)` through Miroir and on the standalone node; both tasks must
    succeed with the same type and details. Returns Miroir's task."""
    got = api.succeeded(cluster_client, call(cluster_client))
    want = api.succeeded(ref_client, call(ref_client))
    assert (got["type"], got["details"]) == (want["type"], want["details"])
    return got


def both_settings(cluster, reference, uid):
    got = ok_json(cluster.http("GET", f"/indexes/{uid}/settings"))
    want = ok_json(reference.http("GET", f"/indexes/{uid}/settings"))
    return got, want


# ------------------------------------------------------------------ settings


def test_settings_round_trip(cluster, client, reference, uid_factory):
    uid = uid_factory()
    ref = reference.client()
    for c in (client, ref):
        api.create_index(c, uid, "id")
    got, want = both_settings(cluster, reference, uid)
    assert got == want, "default settings differ"
    task = wait_both(client, ref, lambda c: c.index(uid).update_settings(FULL_SETTINGS))
    assert task["type"] == "settingsUpdate"
    assert task["details"] == FULL_SETTINGS
    got, want = both_settings(cluster, reference, uid)
    assert got == want
    for key, value in FULL_SETTINGS.items():
        if key in ("filterableAttributes",):
            assert sorted(got[key]) == sorted(value)
        elif key in ("stopWords", "sortableAttributes", "separatorTokens",
                     "nonSeparatorTokens", "dictionary"):
            assert sorted(got[key]) == sorted(value), key
        elif key == "typoTolerance":
            assert {k: got[key][k] for k in value} == value
        elif key == "faceting":
            assert got[key] == value
        else:
            assert got[key] == value, key
    assert_no_reserved(got, "settings")
    # The nodes: every node has the index with the client's settings, plus the
    # reserved shard field filterable (ARCHITECTURE §2).
    for nid in cluster.nodes:
        node_settings = cluster.node_settings(nid, uid)
        assert node_settings is not None, f"{nid} lacks {uid}"
        assert "_miroir_shard" in node_settings["filterableAttributes"], nid
        assert set(node_settings["filterableAttributes"]) - {"_miroir_shard"} == set(
            FULL_SETTINGS["filterableAttributes"]), nid
        assert node_settings["sortableAttributes"] == got["sortableAttributes"], nid
        assert node_settings["synonyms"] == got["synonyms"], nid
    # Reset everything: back to the defaults, still identical to the standalone node.
    wait_both(client, ref, lambda c: c.index(uid).reset_settings())
    got, want = both_settings(cluster, reference, uid)
    assert got == want
    assert got["filterableAttributes"] == []
    for nid in cluster.nodes:
        assert cluster.node_settings(nid, uid)["filterableAttributes"] == ["_miroir_shard"]


@pytest.mark.parametrize("route,sdk_update,value", [
    ("filterable-attributes", "update_filterable_attributes", ["color", "family"]),
    ("sortable-attributes", "update_sortable_attributes", ["rank"]),
    ("searchable-attributes", "update_searchable_attributes", ["title"]),
    ("displayed-attributes", "update_displayed_attributes", ["id", "title"]),
    ("distinct-attribute", "update_distinct_attribute", "color"),
    ("stop-words", "update_stop_words", ["of"]),
    ("synonyms", "update_synonyms", {"kilo": ["lima"]}),
    ("ranking-rules", "update_ranking_rules", ["sort", "words", "typo", "proximity",
                                              "attribute", "exactness"]),
])
def test_settings_sub_routes(cluster, client, reference, uid_factory, route, sdk_update, value):
    uid = uid_factory()
    ref = reference.client()
    for c in (client, ref):
        api.create_index(c, uid, "id")
    wait_both(client, ref, lambda c: getattr(c.index(uid), sdk_update)(value))
    got = ok_json(cluster.http("GET", f"/indexes/{uid}/settings/{route}"))
    want = ok_json(reference.http("GET", f"/indexes/{uid}/settings/{route}"))
    assert got == want
    assert_no_reserved(got)
    # Resetting the sub-setting: back to the default, like the standalone node.
    for target, c in ((cluster, client), (reference, ref)):
        resp = target.http("DELETE", f"/indexes/{uid}/settings/{route}")
        assert resp.status_code == 202, resp.text
        api.succeeded(c, resp.json())
    got = ok_json(cluster.http("GET", f"/indexes/{uid}/settings/{route}"))
    want = ok_json(reference.http("GET", f"/indexes/{uid}/settings/{route}"))
    assert got == want


def test_settings_change_search_behaviour(cluster, client, small_dataset, uid_factory):
    uid = uid_factory()
    docs = small_dataset.docs
    ds.load(client, uid, docs, batch=500, settings={"filterableAttributes": ["color"]})
    assert_error_response(cluster.http("POST", f"/indexes/{uid}/search",
                                       json={"q": "", "sort": ["rank:asc"]}),
                          400, "invalid_search_sort")
    api.succeeded(client, client.index(uid).update_sortable_attributes(["rank"]))
    api.succeeded(client, client.index(uid).update_displayed_attributes(["id", "rank"]))
    body = ok_json(cluster.http("POST", f"/indexes/{uid}/search",
                                json={"q": "", "sort": ["rank:asc"], "limit": 5}))
    expected = sorted(docs, key=lambda d: d["rank"])[:5]
    assert body["hits"] == [{"id": d["id"], "rank": d["rank"]} for d in expected]
    api.succeeded(client, client.index(uid).update_pagination_settings({"maxTotalHits": 3000}))
    body = ok_json(cluster.http("POST", f"/indexes/{uid}/search",
                                json={"q": "", "hitsPerPage": 10}))
    assert body["totalHits"] == len(docs)


# ------------------------------------------------------------------- indexes


def test_index_create_get_list_delete(cluster, client, uid_factory):
    uid = uid_factory()
    info = client.create_index(uid, {"primaryKey": "sku"})
    assert info.type == "indexCreation"
    api.succeeded(client, info)
    index = client.get_index(uid)
    assert index.uid == uid and index.primary_key == "sku"
    raw = ok_json(cluster.http("GET", f"/indexes/{uid}"))
    assert set(raw) == {"uid", "createdAt", "updatedAt", "primaryKey"}
    assert raw["uid"] == uid and raw["primaryKey"] == "sku"
    assert uid in [i.uid for i in client.get_indexes({"limit": 1000})["results"]]
    for nid in cluster.nodes:
        assert uid in cluster.node_indexes(nid), f"{nid} lacks {uid}"
        node_index = ok_json(cluster.nodes[nid].http("GET", f"/indexes/{uid}"))
        assert node_index["primaryKey"] == "sku"
    # Changing the primary key of an empty index reaches every node.
    api.succeeded(client, client.index(uid).update(primary_key="code"))
    assert client.get_index(uid).primary_key == "code"
    for nid in cluster.nodes:
        assert ok_json(cluster.nodes[nid].http("GET", f"/indexes/{uid}"))["primaryKey"] == "code"
    api.succeeded(client, client.delete_index(uid))
    with pytest.raises(MeilisearchApiError) as err:
        client.get_index(uid)
    assert_api_error(err.value, 404, "index_not_found", message=f"Index `{uid}` not found.")
    for nid in cluster.nodes:
        assert uid not in cluster.node_indexes(nid), f"{nid} still has {uid}"


def test_list_indexes_sorted_and_paged(cluster, client, uid_factory):
    base = uid_factory("lst")
    uids = [f"{base}_{c}" for c in "dbca"]
    for uid in uids:
        api.create_index(client, uid, "id")
    every = ok_json(cluster.http("GET", "/indexes", params={"limit": 1000}))
    listed = [i["uid"] for i in every["results"]]
    assert listed == sorted(listed), "indexes are listed in uid order"
    assert set(uids) <= set(listed) and every["total"] == len(listed)
    start = listed.index(f"{base}_a")
    page = ok_json(cluster.http("GET", "/indexes", params={"offset": start, "limit": 2}))
    assert [i["uid"] for i in page["results"]] == [f"{base}_a", f"{base}_b"]
    assert (page["offset"], page["limit"], page["total"]) == (start, 2, len(listed))
    for uid in uids:
        api.succeeded(client, client.delete_index(uid))


def test_create_existing_index_fails_and_missing_index_404(cluster, client, uid_factory):
    uid = uid_factory()
    api.create_index(client, uid)
    task = api.failed(client, client.create_index(uid))
    assert task["error"]["code"] == "index_already_exists"
    assert_error_response(cluster.http("GET", f"/indexes/{uid}_nope"), 404, "index_not_found")
    assert_error_response(cluster.http("GET", "/indexes/bad%20uid"), 400, "invalid_index_uid")


def test_swap_indexes(cluster, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    docs_a = [{"id": i, "title": f"apple {i}"} for i in range(100)]
    docs_b = [{"id": 1000 + i, "title": f"banana {i}"} for i in range(60)]
    ds.load(client, a, docs_a, batch=50, settings={"filterableAttributes": ["title"]})
    ds.load(client, b, docs_b, batch=50, settings={"sortableAttributes": ["id"]})
    task = api.succeeded(client, client.swap_indexes([{"indexes": [a, b]}]))
    assert task["type"] == "indexSwap"
    assert {d["id"] for d in ds.fetch_all(client, a)} == {d["id"] for d in docs_b}
    assert {d["id"] for d in ds.fetch_all(client, b)} == {d["id"] for d in docs_a}
    assert client.index(a).get_stats().number_of_documents == 60
    assert client.index(a).get_sortable_attributes() == ["id"]
    assert client.index(b).get_filterable_attributes() == ["title"]
    assert client.index(a).search("banana", {"limit": 100})["estimatedTotalHits"] == 60
    assert client.index(b).search("banana")["hits"] == []
    # Each node swapped its copies: documents stay on the node that owns their shard.
    rf = cluster.spec.replication_factor
    for nids in cluster.groups.values():
        held_a = [i for nid in nids for i in cluster.node_ids(nid, a)]
        held_b = [i for nid in nids for i in cluster.node_ids(nid, b)]
        assert sorted(held_a) == sorted([d["id"] for d in docs_b] * rf)
        assert sorted(held_b) == sorted([d["id"] for d in docs_a] * rf)
    # Writes after the swap are routed correctly.
    api.add_documents(client, a, [{"id": 5000, "title": "banana late"}])
    assert client.index(a).get_document(5000).title == "banana late"
    for uid in (a, b):
        api.succeeded(client, client.delete_index(uid))


def test_swap_rename_that_is_not_a_boolean_is_refused(cluster, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.add_documents(client, a, [{"id": 1, "side": "a"}])
    api.add_documents(client, b, [{"id": 1, "side": "b"}])
    good = {"indexes": [uid_factory("c"), uid_factory("d")]}
    for position, bad in [(0, "yes"), (1, 1), (1, None)]:
        swaps = [good] * position + [{"indexes": [a, b], "rename": bad}]
        body = assert_error_response(cluster.http("POST", "/swap-indexes", json=swaps), 400,
                                     "invalid_swap_rename")
        assert body["message"].startswith(
            f"Invalid value type at `[{position}].rename`: expected a boolean, but found ")
    # Nothing was swapped.
    assert client.index(a).get_document(1).side == "a"
    assert client.index(b).get_document(1).side == "b"


# --------------------------------------------------------------------- stats


def test_stats_count_documents_once(cluster, client, small_dataset):
    stats = client.index(small_dataset.uid).get_stats()
    assert stats.number_of_documents == len(small_dataset) == 1000
    raw = ok_json(cluster.http("GET", f"/indexes/{small_dataset.uid}/stats"))
    assert raw["fieldDistribution"] == {f: 1000 for f in
                                        ("id", "title", "color", "rank", "price", "family")}
    total = ok_json(cluster.http("GET", "/stats"))
    assert total["indexes"][small_dataset.uid]["numberOfDocuments"] == 1000
    assert {"databaseSize", "lastUpdate", "indexes"} <= set(total)
    assert_no_reserved(total)


# ---------------------------------------------------------------------- keys


def test_default_keys(client):
    names = {k.name for k in client.get_keys({"limit": 100}).results}
    assert {"Default Search API Key", "Default Admin API Key"} <= names


def test_keys_crud(cluster, client, small_dataset):
    key = client.create_key({"name": "reader", "description": "reads small",
                             "actions": ["search", "documents.get"],
                             "indexes": [small_dataset.uid], "expiresAt": None})
    assert key.name == "reader" and sorted(key.actions) == ["documents.get", "search"]
    assert key.indexes == [small_dataset.uid] and key.expires_at is None
    assert client.get_key(key.key).uid == key.uid
    assert client.get_key(key.uid).key == key.key
    raw = ok_json(cluster.http("GET", f"/keys/{key.uid}"))
    assert {"name", "description", "key", "uid", "actions", "indexes", "expiresAt",
            "createdAt", "updatedAt"} <= set(raw)
    updated = client.update_key(key.key, {"name": "reader2", "description": None})
    assert updated.name == "reader2" and updated.description is None
    assert updated.actions == key.actions
    assert key.uid in [k.uid for k in client.get_keys({"limit": 100}).results]
    reader = cluster.client(api_key=key.key)
    assert reader.index(small_dataset.uid).search("golf")["estimatedTotalHits"] > 0
    assert reader.index(small_dataset.uid).get_document(3).id == 3
    with pytest.raises(MeilisearchApiError) as err:
        reader.index(small_dataset.uid).add_documents([{"id": 1, "title": "x"}])
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    with pytest.raises(MeilisearchApiError) as err:
        reader.get_keys()
    assert_api_error(err.value, 403, "invalid_api_key", "auth")
    client.delete_key(key.key)
    with pytest.raises(MeilisearchApiError) as err:
        client.get_key(key.uid)
    assert_api_error(err.value, 404, "api_key_not_found")
    with pytest.raises(MeilisearchApiError) as err:
        reader.index(small_dataset.uid).search("golf")
    assert_api_error(err.value, 403, "invalid_api_key", "auth")


def test_search_only_key_can_search_and_cannot_write(cluster, client, small_dataset,
                                                     uid_factory):
    key = client.create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    searcher = cluster.client(api_key=key.key)
    before = cluster.snapshot([small_dataset.uid], documents=True)
    doc = small_dataset.docs[42]
    assert searcher.index(small_dataset.uid).search(ds.codeword_of(doc))["hits"] == [doc]
    assert searcher.multi_search([{"indexUid": small_dataset.uid, "q": ds.codeword_of(doc)}])[
        "results"][0]["hits"] == [doc]
    other = uid_factory()
    for attempt in (
            lambda: searcher.index(small_dataset.uid).add_documents([{"id": 1, "title": "x"}]),
            lambda: searcher.index(small_dataset.uid).update_documents([{"id": 2, "z": 1}]),
            lambda: searcher.index(small_dataset.uid).delete_document(3),
            lambda: searcher.index(small_dataset.uid).update_sortable_attributes([]),
            lambda: searcher.index(small_dataset.uid).get_documents(),
            lambda: searcher.create_index(other),
            lambda: searcher.get_tasks(),
            lambda: searcher.create_key({"actions": ["*"], "indexes": ["*"],
                                         "expiresAt": None})):
        with pytest.raises(MeilisearchApiError) as err:
            attempt()
        assert_api_error(err.value, 403, "invalid_api_key", "auth")
    assert cluster.snapshot([small_dataset.uid], documents=True) == before
    assert_error_response(cluster.http("GET", f"/indexes/{other}"), 404, "index_not_found")
    client.delete_key(key.uid)
