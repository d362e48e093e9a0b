"""Miroir behaviours the suites check that are not built yet.

Each entry marks the matching tests `xfail(strict=True)` with the reason below,
so the gap is visible in every run, and a fix makes the run fail until the
entry is removed. Keep this list short and every reason actionable.
"""

from __future__ import annotations

# (regular expression searched in the test's node id, reason)
KNOWN_GAPS: list[tuple[str, str]] = [
    (r"RG1-RF1-S16-3-placeholder-facets|"
     r"test_facet_values_beyond_max_values_per_facet\[RG1-RF1",
     "a node holding at most 3,000 of the matches lists number facet values in text order, "
     "so its maxValuesPerFacet cut drops values that the merged order (by value: the whole "
     "index has more matches) keeps, and their counts come out short. Exact counts need the "
     "nodes to list more values than the client's maxValuesPerFacet (Miroir raising it on the "
     "nodes and keeping the client's value for settings reads and the merge); this placement "
     "has such a node (src/core/facet_merge.cpp, src/api/settings.cpp)"),
    ("test_reserved_field_is_not_searchable",
     "a q made of digits matches _miroir_shard on the nodes. With searchableAttributes [\"*\"] "
     "Meilisearch cannot leave one field out, and an explicit list is not equivalent ([\"*\"] "
     "weighs every field 0, a list weighs fields by rank; it would also need a settings update, "
     "a reindex, before every batch bringing a new field). The faithful fix is per query: "
     "send `attributesToSearchOn` = every known field but the reserved ones when the client "
     "sends none (Meilisearch keeps the 0 weights and ignores unknown names under [\"*\"]), "
     "with the field list kept current by the document write path (src/api/documents.cpp)"),
]


def apply(items) -> None:
    import re

    import pytest

    for item in items:
        for pattern, reason in KNOWN_GAPS:
            if re.search(pattern, item.nodeid):
                item.add_marker(pytest.mark.xfail(reason=f"known gap: {reason}", strict=True))
                break
