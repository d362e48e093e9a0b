// Merging the nodes' search answers into the one answer a single Meilisearch
// node would have given (ARCHITECTURE §2, "Search").
//
// How: hits are never turned into a DOM. Each node body is indexed once by
// simdjson (stage 1) and read with On-Demand; a hit stays a byte slice of its
// node's body and is written back with a few members cut out (`_miroir_*`,
// `_rankingScore`/`_rankingScoreDetails` the client did not ask for, fields
// Miroir added to attributesToRetrieve — also inside `_formatted` and
// `_matchesPosition`). Hits are read lazily, as the k-way merge consumes
// them: a merge reads offset+limit hits in all and skips the others through
// the structural index (unless `distinct` needs them all for its counts).
//
// Order (facts from Meilisearch's bucket sort and score details):
//   - when the request sorts (or the index's ranking rules sort): rule by
//     rule from `_rankingScoreDetails` — the rules before `sort` first, then
//     the sort values (null last, numbers before strings), then the rules
//     after it. `_rankingScore` ignores sort rules, so it alone cannot order
//     sorted results, nor can the sort values alone when `q` is not empty;
//   - if a node sent no details: the sort values read from the documents,
//     then `_rankingScore`;
//   - otherwise `_rankingScore`, highest first;
//   - ties: the lower node_order, and each node's own order is kept.
// Then `distinct` across nodes (the best-ranked hit of a value wins; values
// compare as Meilisearch's facet values: strings normalized, arrays by any
// shared element; the losers are subtracted from the totals), then the
// client's window (capped by maxTotalHits when known).
//
// Response members, in Meilisearch's order: hits, query, queryVector?,
// processingTimeMs, then limit/offset/estimatedTotalHits or
// hitsPerPage/page/totalPages/totalHits, facetDistribution?, facetStats?,
// requestUid?, metadata?, performanceDetails?, semanticHitCount?, then any
// member Miroir does not know, from the first node. Totals are sums over the
// nodes (page mode asks the nodes for page 1, so each totalHits is exact and
// so is the sum; totalPages is recomputed). facetDistribution counts are
// summed per value, ordered per sortFacetValuesBy and cut to
// maxValuesPerFacet; facetStats take the min of mins and max of maxes;
// `_miroir_*` facets are removed. processingTimeMs is the slowest node's
// unless MergeOptions gives one (e.g. the proxy's own wall time).
// requestUid, metadata, queryVector and performanceDetails come from the
// first node unless MergeOptions gives a request uid. semanticHitCount is
// the nodes' sum, at most the number of hits returned (an approximation).
//
// Errors: a node body that is not a well-formed answer -> miroir_node_error
// (502). Node error answers (non-2xx) are the caller's business and must not
// be passed here. The document bytes inside hits are trusted as the node
// wrote them; the structure around them is checked.
//
// Thread-safe: no shared state (parsers are per thread). Cost: see
// bench/merge_bench.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/node_result.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir {

struct MergeOptions {
  // Reported processingTimeMs; default: the slowest node's.
  std::optional<uint64_t> processing_time_ms;
  // Reported requestUid (a UUID string, unquoted); default: the first node's.
  std::string request_uid;
};

// Merges /indexes/{uid}/search answers. `results` in any order; bodies are
// read in place (see NodeResult). The returned body borrows nothing.
Result<std::string> MergeSearchResponses(const SearchRequestInfo& info,
                                         std::vector<NodeResult>& results,
                                         const MergeOptions& options = {});

// Merges /multi-search answers of the bodies BuildNodeMultiSearchBody made.
// Non-federated: {"results":[...]} with each query merged as above.
// Federated: hits of all queries ranked by `_federation.weightedRankingScore`
// (= _rankingScore * weight, computed by the nodes), ties by query position
// then node order; hits of the same query compare by their details when the
// query sorts. facetDistribution/facetStats (mergeFacets) or facetsByIndex
// are merged per facet / per index; `distinct` applies across nodes when
// given in `federation` (an index-level distinct attribute is applied by each
// node only).
Result<std::string> MergeMultiSearchResponses(const MultiSearchInfo& info,
                                              std::vector<NodeResult>& results,
                                              const MergeOptions& options = {});

}  // namespace miroir
