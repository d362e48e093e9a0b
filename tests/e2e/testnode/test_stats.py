"""GET /stats and GET /indexes/{uid}/stats."""

from __future__ import annotations

from harness import api, assert_error_response, parse_timestamp_ns

DOCS = [{"id": 1, "name": "Alexey"}, {"id": 2, "age": 45}, {"id": 3, "name": "Bo", "age": 3}]


def test_index_stats(node, client, index_uid):
    api.create_index(client, index_uid, "id")
    empty = node.http("GET", f"/indexes/{index_uid}/stats").json()
    assert empty["numberOfDocuments"] == 0
    assert empty["isIndexing"] is False
    assert empty["fieldDistribution"] == {}

    api.add_documents(client, index_uid, DOCS)
    stats = node.http("GET", f"/indexes/{index_uid}/stats").json()
    assert stats["numberOfDocuments"] == 3
    assert stats["isIndexing"] is False
    assert stats["fieldDistribution"] == {"id": 3, "name": 2, "age": 2}

    sdk = client.index(index_uid).get_stats()
    assert sdk.number_of_documents == 3 and sdk.is_indexing is False
    assert sdk.field_distribution.name == 2

    api.succeeded(client, client.index(index_uid).delete_document(2))
    stats = node.http("GET", f"/indexes/{index_uid}/stats").json()
    assert stats["numberOfDocuments"] == 2
    assert stats["fieldDistribution"]["id"] == 2 and stats["fieldDistribution"]["name"] == 2


def test_updates_count_each_document_once(node, client, index_uid):
    api.add_documents(client, index_uid, DOCS)
    api.succeeded(client, client.index(index_uid).update_documents(
        [{"id": 1, "age": 30}, {"id": 4}]))
    stats = node.http("GET", f"/indexes/{index_uid}/stats").json()
    assert stats["numberOfDocuments"] == 4
    assert stats["fieldDistribution"] == {"id": 4, "name": 2, "age": 3}


def test_global_stats(node, client, uid_factory):
    a, b = uid_factory("a"), uid_factory("b")
    api.add_documents(client, a, DOCS)
    api.create_index(client, b)
    stats = node.http("GET", "/stats").json()
    assert isinstance(stats["databaseSize"], int)
    assert stats["lastUpdate"] is not None
    parse_timestamp_ns(stats["lastUpdate"])
    assert stats["indexes"][a]["numberOfDocuments"] == 3
    assert stats["indexes"][a]["isIndexing"] is False
    assert stats["indexes"][a]["fieldDistribution"] == {"id": 3, "name": 2, "age": 2}
    assert stats["indexes"][b]["numberOfDocuments"] == 0
    assert stats["indexes"][b]["fieldDistribution"] == {}

    sdk = client.get_all_stats()
    assert sdk["indexes"][a]["numberOfDocuments"] == 3

    api.succeeded(client, client.delete_index(b))
    assert b not in node.http("GET", "/stats").json()["indexes"]


def test_stats_of_missing_index(node, index_uid):
    assert_error_response(node.http("GET", f"/indexes/{index_uid}/stats"), 404,
                          "index_not_found", message=f"Index `{index_uid}` not found.")
