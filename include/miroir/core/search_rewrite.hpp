// Rewriting a client's search request into the request each node of the
// covering set receives (ARCHITECTURE §2, "Search").
//
// A node is asked for everything the merge needs and nothing is lost:
//   - offset 0 and limit offset+limit (page mode: page 1 and hitsPerPage
//     page*hitsPerPage, which keeps `totalHits` exhaustive on every node, so
//     the merged totalHits/totalPages are exact sums; with distinct, at
//     least maxTotalHits, so that the merge sees every duplicate);
//   - showRankingScore, and showRankingScoreDetails when the order depends on
//     sort rules (the details carry the sort values the node compared, even
//     for attributes the client cannot see);
//   - the distinct attribute and sort fields in attributesToRetrieve when the
//     client restricted it (stripped again by the merge);
//   - `_miroir_shard` appended to the client's `facets` (see
//     count_shard_facet; the merge drops it again);
//   - `_miroir_shard IN [..]` ANDed with the client's filter when the node
//     holds shards it was not chosen for. The filter is fused the way
//     Meilisearch's own sharding fuses filters: the client's filter becomes
//     the first element of an array filter (a string s -> [s, clause]; an
//     array a -> [...a, clause]), so a client filter with a syntax error
//     yields the exact message and positions Meilisearch would give.
// Every other member of the client's body is copied byte for byte.
//
// Validation stays with the nodes: a body Miroir does not understand (a
// member of an unexpected type, a non-object body) is marked `passthrough`;
// the caller then forwards the client's body unchanged to one node and
// relays its answer, which is Meilisearch's own error.
//
// All functions are pure; thread-safe. Results hold byte offsets into the
// client body, which the caller keeps alive and unchanged between Analyze*
// and Build*.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "miroir/core/error.hpp"

namespace miroir {

inline constexpr uint64_t kDefaultSearchLimit = 20;
inline constexpr uint64_t kDefaultMaxValuesPerFacet = 100;

// sortFacetValuesBy. kAuto: not known to Miroir; the merge infers it from the
// nodes' answers (a heuristic: pass the setting when known).
enum class FacetValuesOrder : uint8_t { kAuto, kLexicographic, kCount };

// What Miroir knows about an index from its settings. Every field has a
// default that is right for an index with default settings.
struct IndexSearchSettings {
  // settings.distinctAttribute; empty when none.
  std::string distinct_attribute;
  // settings.pagination.maxTotalHits. When set, the merged totals and window
  // are capped as one node caps them; when unknown (nullopt) they are not.
  std::optional<uint64_t> max_total_hits;
  // settings.faceting.maxValuesPerFacet.
  uint64_t max_values_per_facet = kDefaultMaxValuesPerFacet;
  // settings.faceting.sortFacetValuesBy: "*" and per-facet entries.
  FacetValuesOrder facet_order = FacetValuesOrder::kAuto;
  std::vector<std::pair<std::string, FacetValuesOrder>> facet_order_by_facet;
  // True when settings.rankingRules holds an "attribute:asc|desc" rule: the
  // order then depends on sort values even when the client does not sort.
  bool ranking_rules_have_sort = false;
};

// One member of a client JSON object, as byte offsets into the client body:
// [begin, end) covers `"key": value`, the value starts at value_begin.
// Opaque to callers.
struct RequestMember {
  uint32_t begin = 0;
  uint32_t value_begin = 0;
  uint32_t end = 0;
  uint8_t param = 0;
};

// A client search (one /search body, or one query of a /multi-search) as the
// merge and the node-body builder need it.
struct SearchRequestInfo {
  // --- Pagination, resolved as Meilisearch resolves it. ---
  bool page_mode = false;              // page or hitsPerPage given
  uint64_t offset = 0;                 // first merged hit returned
  uint64_t limit = kDefaultSearchLimit;  // merged hits returned
  uint64_t page = 1;                   // page mode: echoed
  uint64_t hits_per_page = kDefaultSearchLimit;  // page mode: echoed
  // Hits asked of each node: offset+limit, or page*hitsPerPage — at least
  // maxTotalHits in page mode with distinct, for an exact totalHits.
  uint64_t node_hits = kDefaultSearchLimit;

  // --- What the client asked to see. ---
  bool show_ranking_score = false;
  bool show_ranking_score_details = false;

  // --- How to merge. ---
  // Order by `_rankingScoreDetails` (client sort, or sort ranking rules).
  bool compare_score_details = false;
  std::vector<std::string> sort;       // the client's sort expressions
  std::string distinct;                // client's `distinct`, else the index's
  // Top-level members added to attributesToRetrieve for the merge; the merge
  // removes them from hits (and from _formatted).
  std::vector<std::string> added_fields;
  bool has_facets = false;
  // The nodes also answer the `_miroir_shard` facet (the client listed
  // facets; Miroir appends it unless "*" selects it already): its counts add
  // up to the documents each node counted facets over, uncapped by
  // maxTotalHits, which decides how Meilisearch orders number values
  // (search_merge.cpp).
  bool count_shard_facet = false;
  bool append_shard_facet = false;

  // --- Settings the merge applies. ---
  IndexSearchSettings settings;

  // --- Forwarding. ---
  // The body could not be rewritten (see the file comment): send it as is to
  // one node and relay that node's answer.
  bool passthrough = false;

  // --- Implementation detail (offsets into the client body). ---
  uint32_t object_begin = 0;  // the query object's '{'
  uint32_t object_end = 0;    // its '}'
  std::vector<RequestMember> members;
  std::vector<std::string> attributes_to_retrieve;  // when restricted
  bool restricts_attributes = false;
  uint8_t filter_kind = 0;    // absent/null, string, array, other
  bool in_federation = false;  // a query of a federated multi-search
};

// Reads a client search body. Invalid JSON -> bad_request (Meilisearch's
// "Json deserialize error: ..." wording; the detail text is simdjson's, not
// serde_json's). Anything else that Meilisearch would reject is left to the
// nodes (see `passthrough`).
Result<SearchRequestInfo> AnalyzeSearchRequest(std::string_view client_body,
                                               const IndexSearchSettings& settings = {});

// The body to POST to one node's /indexes/{uid}/search. `shards`: nullptr
// when the node searches every document it holds; otherwise the shards it
// was chosen for (empty: none, the node then answers with no hits).
// REQUIRES: `info` comes from AnalyzeSearchRequest(client_body, ...) and
// !info.passthrough.
std::string BuildNodeSearchBody(const SearchRequestInfo& info, std::string_view client_body,
                                const std::vector<uint32_t>* shards);

// --- /multi-search -----------------------------------------------------------

struct MultiSearchQuery {
  std::string index_uid;
  double weight = 1.0;        // federationOptions.weight
  SearchRequestInfo search;   // this query, in the body's coordinates
};

// A /multi-search body. Each participating node receives the whole request
// (every query, so that Meilisearch's error messages name the client's query
// positions), with each query's filter restricted to the node's shards for
// that query's index — or to none when the node is not in that index's
// covering set.
struct MultiSearchInfo {
  bool federated = false;
  bool passthrough = false;
  std::vector<MultiSearchQuery> queries;

  // --- Federated only: the federation's window, as for one search. ---
  bool page_mode = false;
  uint64_t offset = 0;
  uint64_t limit = kDefaultSearchLimit;
  uint64_t page = 1;
  uint64_t hits_per_page = kDefaultSearchLimit;
  uint64_t node_hits = kDefaultSearchLimit;
  std::string distinct;                  // federation.distinct
  bool merge_facets = false;             // federation.mergeFacets given
  std::optional<uint64_t> merge_max_values_per_facet;

  // --- Implementation detail. ---
  uint32_t federation_begin = 0;  // the federation object's '{' (0: none)
  uint32_t federation_end = 0;
  std::vector<RequestMember> federation_members;
  uint32_t queries_begin = 0;     // the queries array's '['
  uint32_t queries_end = 0;       // its ']'
  std::vector<RequestMember> members;  // top-level members
};

// Settings of an index by uid; nullptr when unknown (defaults apply).
using IndexSettingsLookup = std::function<const IndexSearchSettings*(std::string_view index_uid)>;

Result<MultiSearchInfo> AnalyzeMultiSearchRequest(std::string_view client_body,
                                                  const IndexSettingsLookup& settings);

// The /multi-search body for one node. `shards_per_query[i]` is as `shards`
// in BuildNodeSearchBody for query i (an empty vector when the node is not
// in the covering set of query i's index).
// REQUIRES: shards_per_query.size() == info.queries.size(), !info.passthrough.
std::string BuildNodeMultiSearchBody(const MultiSearchInfo& info, std::string_view client_body,
                                     std::span<const std::vector<uint32_t>* const> shards_per_query);

// --- Miroir's reserved fields named by clients --------------------------------

// A client body (search, /multi-search, facet search, documents fetch or
// delete by filter) with every use of a reserved field Miroir makes
// filterable masked (filter.hpp, "Miroir's reserved fields"): attributes in
// `filter` (string or array form), entries of `facets`, `distinct`,
// `facetName`, and the field of `sort` entries, also inside the `queries` of
// a /multi-search. Other bytes are copied as they are. nullopt when nothing
// needed masking or the body is not a JSON object (the node reports it).
// Errors relayed for a masked body go through filter::UnmaskReservedNames.
std::optional<std::string> MaskReservedNames(std::string_view client_body);

// --- Shard filters for routes whose filter is a query parameter ---------------

// "_miroir_shard IN [1,2]"
std::string ShardFilterExpression(const std::vector<uint32_t>& shards);
// A GET route's `filter` parameter restricted to `shards`:
// "(<client>) AND _miroir_shard IN [..]", or the clause alone when the client
// gave no filter (empty, or only Unicode whitespace, as filter::Parse sees
// it). A client filter with a syntax error is returned unchanged, so the
// node refuses it with Meilisearch's own message: wrapped, an unbalanced one
// such as `a = 1) OR (b = 2` would parse and escape the shard clause.
std::string CombineFilterString(std::string_view client_filter,
                                const std::vector<uint32_t>& shards);

}  // namespace miroir
