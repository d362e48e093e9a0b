// GET /indexes/{uid}/documents and POST /indexes/{uid}/documents/fetch across
// shards: the node requests and the merge of the nodes' pages.
//
// Each node of the covering set is asked for offset 0 and limit
// offset+limit, restricted to its shards, so the merged page can be cut from
// the union.
//
// Order of the merged list:
//   - with `sort`: by the sort values read from the documents, as Meilisearch
//     sorts documents (numbers before strings, strings compared normalized,
//     documents lacking the field last; a multi-valued field sorts by its
//     smallest value ascending, largest descending), ties by node order;
//   - without: node after node, in node order, each node's documents in the
//     node's own order (its internal ids). Meilisearch lists one index in
//     internal-id order, which has no meaning across nodes; this order is
//     stable as long as the covering set is. So the caller must choose the
//     covering set for document listing deterministically (e.g. for each
//     shard its first live replica in rendezvous order, not a load-balanced
//     pick), or pages will overlap or skip when replicas alternate.
// `total` is the sum of the nodes' totals. `_miroir_*` fields are removed
// from every document, as are fields Miroir added to `fields` for sorting.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/node_result.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir {

inline constexpr uint64_t kDefaultDocumentsLimit = 20;

struct DocumentsRequestInfo {
  uint64_t offset = 0;
  uint64_t limit = kDefaultDocumentsLimit;
  uint64_t node_limit = kDefaultDocumentsLimit;  // offset + limit
  std::vector<std::string> sort;                  // "field:asc" expressions
  bool restricts_fields = false;
  std::vector<std::string> fields;                // when restricted, plus sort fields
  std::vector<std::string> added_fields;          // removed again by the merge
  // As SearchRequestInfo::passthrough.
  bool passthrough = false;

  // Implementation detail (offsets into the client body).
  std::vector<RequestMember> members;
  uint8_t filter_kind = 0;
};

// POST /documents/fetch. Invalid JSON -> bad_request.
Result<DocumentsRequestInfo> AnalyzeDocumentsFetchRequest(std::string_view client_body);

// The /documents/fetch body for one node; `shards` as in BuildNodeSearchBody.
// REQUIRES: !info.passthrough.
std::string BuildNodeDocumentsFetchBody(const DocumentsRequestInfo& info,
                                        std::string_view client_body,
                                        const std::vector<uint32_t>* shards);

// GET /documents, from the query parameters the caller has already read
// (`fields` and `sort` as the raw comma-separated parameter values, empty
// when absent). The caller sends each node offset=0, limit=node_limit,
// filter=CombineFilterString(client filter, shards), fields=NodeFields(info)
// when not empty, and the other parameters unchanged.
DocumentsRequestInfo DocumentsInfoFromQuery(uint64_t offset, uint64_t limit,
                                            std::string_view fields, std::string_view sort);
// The `fields` parameter for the nodes (comma-separated), or "" when the
// client's parameter can be sent unchanged.
std::string NodeFields(const DocumentsRequestInfo& info);

// Merges the nodes' {"results","offset","limit","total"} answers.
// Errors: a malformed node answer -> miroir_node_error (502).
Result<std::string> MergeDocumentsResponses(const DocumentsRequestInfo& info,
                                            std::vector<NodeResult>& results);

}  // namespace miroir
