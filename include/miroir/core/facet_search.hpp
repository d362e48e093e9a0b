// POST /indexes/{uid}/facet-search across shards: the node request and the
// merge of the nodes' answers.
//
// Each node gets the client's body with its filter restricted to the node's
// shards (see search_rewrite.hpp for the filter fusion). The answers'
// facetHits are summed per value (shards partition the documents, so the
// sums are exact), ordered as Meilisearch orders them — byte order of the
// value for sortFacetValuesBy "alpha", largest count first (ties in byte
// order) for "count" — and truncated to maxValuesPerFacet. Response:
// {"facetHits":[{"value":…,"count":…}],"facetQuery":…,"processingTimeMs":…}.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/node_result.hpp"
#include "miroir/core/search_merge.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir {

struct FacetSearchInfo {
  std::string facet_name;
  FacetValuesOrder order = FacetValuesOrder::kAuto;  // from the index settings
  uint64_t max_values = kDefaultMaxValuesPerFacet;
  // As SearchRequestInfo::passthrough.
  bool passthrough = false;

  // Implementation detail (offsets into the client body).
  std::vector<RequestMember> members;
  uint8_t filter_kind = 0;
};

// Invalid JSON -> bad_request, as AnalyzeSearchRequest.
Result<FacetSearchInfo> AnalyzeFacetSearchRequest(std::string_view client_body,
                                                  const IndexSearchSettings& settings = {});

// The body for one node; `shards` as in BuildNodeSearchBody.
// REQUIRES: !info.passthrough.
std::string BuildNodeFacetSearchBody(const FacetSearchInfo& info, std::string_view client_body,
                                     const std::vector<uint32_t>* shards);

// Errors: a malformed node answer -> miroir_node_error (502).
Result<std::string> MergeFacetSearchResponses(const FacetSearchInfo& info,
                                              std::vector<NodeResult>& results,
                                              const MergeOptions& options = {});

}  // namespace miroir
