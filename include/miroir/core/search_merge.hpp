// Merging the nodes' search answers into the one answer a single Meilisearch
// node would have given (ARCHITECTURE §2, "Search").
//
// Hits are never turned into a DOM: each stays a byte slice of its node's
// body and is written back with a few members cut out. Order:
//   - by `_rankingScoreDetails` rule by rule when the request sorts (or the
//     index's ranking rules sort): exactly Meilisearch's bucket order — the
//     rules before `sort` first, then the sort values (null last, numbers
//     before strings), then the rules after it;
//   - if a node sent no details: by the sort values read from the documents,
//     then `_rankingScore`;
//   - otherwise by `_rankingScore`, highest first;
//   - ties by node order, then by the node's own order (a k-way merge keeps
//     each node's order intact).
// Then `distinct` across nodes (the best-ranked hit of a value wins, the
// losers are subtracted from the totals), then the client's window.
//
// Response members, in Meilisearch's order: hits, query, queryVector?,
// processingTimeMs, then limit/offset/estimatedTotalHits or
// hitsPerPage/page/totalPages/totalHits, facetDistribution?, facetStats?,
// requestUid?, metadata?, performanceDetails?, semanticHitCount?, then any
// member Miroir does not know, from the first node. Totals are sums over the
// nodes (capped by maxTotalHits when known); facet counts are summed, facet
// stats combined (min of mins, max of maxes). processingTimeMs is the
// slowest node's unless MergeOptions gives one (e.g. the proxy's own wall
// time). requestUid, metadata, queryVector and performanceDetails come from
// the first node unless MergeOptions gives a request uid.
//
// Errors: a node body that is not a well-formed search answer ->
// miroir_node_error (502). Error answers from nodes (non-2xx) are the
// caller's business and must not be passed here.
//
// Thread-safe: no shared state (each thread has its own parser).
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
