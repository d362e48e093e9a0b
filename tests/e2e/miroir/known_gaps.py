"""Miroir behaviours the suites check that are not built yet.

Each entry marks the matching tests `xfail(strict=True)` with the reason below,
so the gap is visible in every run, and a fix makes the run fail until the
entry is removed. Keep this list short and every reason actionable.
"""

from __future__ import annotations

# (regular expression searched in the test's node id, reason)
KNOWN_GAPS: list[tuple[str, str]] = [
    ("placeholder-facets",
     "facet merge orders numeric facet values by their text when each node saw at most "
     "3,000 matches, although the whole index has more (Meilisearch then orders by value); "
     "the merge must decide on the summed count (src/core/facet_merge.cpp)"),
    ("word-scores",
     "the test node's _rankingScore depends on index-wide statistics, so a shard scores a "
     "document differently from one whole index; Meilisearch's score is per document "
     "(tools/testnode/ranking.cpp)"),
    (r"test_reserved_field_is_not_usable_by_clients\[.*-(distinct|facet-search|facets|"
     r"fetch-filter|filter-and|filter)\]",
     "Miroir does not yet refuse client filters, sorts, facets, distinct and facet searches "
     "on _miroir_* fields: the nodes accept them because Miroir makes them filterable"),
    ("test_reserved_field_is_not_searchable",
     "a q matching a _miroir_* value still finds documents: Miroir does not yet exclude its "
     "reserved fields from searchableAttributes on the nodes"),
    ("test_delete_by_reserved_field_deletes_nothing",
     "delete by filter on a _miroir_* field is not refused yet (same gap as filters)"),
    ("test_facet_values_beyond_max_values_per_facet",
     "facet merge keeps values past maxValuesPerFacet when the nodes' value sets differ, and "
     "orders numeric values by text (same root cause as placeholder-facets)"),
    ("test_distinct_total_in_page_mode",
     "page-mode totalHits with `distinct` sums the nodes' distinct counts; a distinct value "
     "present on several shards is counted once per shard"),
]


def apply(items) -> None:
    import re

    import pytest

    for item in items:
        for pattern, reason in KNOWN_GAPS:
            if re.search(pattern, item.nodeid):
                item.add_marker(pytest.mark.xfail(reason=f"known gap: {reason}", strict=True))
                break
