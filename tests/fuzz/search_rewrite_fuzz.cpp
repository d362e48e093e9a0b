// Fuzzes the rewriting of client search requests into node requests
// (miroir/core/search_rewrite.hpp, facet_search.hpp, documents_merge.hpp).
//
// Input: one line of index settings, then the client body. The settings line
// may hold `distinct=<attr>`, `maxTotalHits=<n>`, `maxValues=<n>`,
// `sortRules` (ranking rules with a sort), `alpha` or `count`
// (sortFacetValuesBy), e.g. "distinct=genre maxTotalHits=1000 alpha". The
// body goes through every analyzer: /search, /multi-search, /facet-search,
// /documents/fetch, and the reserved-name masking.
//
// Invariants beyond "no crash":
//  - for a valid JSON object that Miroir rewrites (not passthrough), every
//    node body is a valid JSON object, with no shard filter when the node
//    searches all it holds and with one otherwise;
//  - a client filter that parses stays parseable once fused with the shard
//    clause, in the node body and in CombineFilterString;
//  - the hits asked of each node never wrap around (node_hits covers the
//    client's window);
//  - masking returns a valid JSON object of the same size for a valid one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.hpp"
#include "settings_line.hpp"
#include "miroir/core/documents_merge.hpp"
#include "miroir/core/facet_search.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace {

using namespace miroir;

const std::vector<uint32_t> kNoShards;
const std::vector<uint32_t> kSomeShards{0, 3, 7};

// Whether the `filter` member of a JSON object (absent, null, string or
// array) parses as a filter.
bool FilterParses(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("filter")) return true;
  auto parsed = filter::ParseJson(object["filter"]);
  return parsed.has_value();
}

// (Numbers nlohmann cannot hold either are tamed first: fuzz::TameNumbers.)
nlohmann::json ParseOrNull(std::string_view text) {
  auto j = nlohmann::json::parse(fuzz::TameNumbers(text), nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// A node body made for `shards` (nullptr: every shard the node holds).
void CheckNodeBody(const std::string& node_body, const nlohmann::json& client,
                   const std::vector<uint32_t>* shards) {
  FUZZ_CHECK(fuzz::IsJsonObject(node_body), node_body);
  const nlohmann::json node = ParseOrNull(node_body);
  FUZZ_CHECK(node.is_object(), node_body);
  if (shards == nullptr) return;
  FUZZ_CHECK(node.contains("filter"), "no shard filter: " + node_body);
  if (FilterParses(client)) FUZZ_CHECK(FilterParses(node), node_body);
}

void CheckSearch(std::string_view body, const IndexSearchSettings& settings, bool valid_object,
                 const nlohmann::json& client) {
  auto info = AnalyzeSearchRequest(body, settings);
  if (!info) {
    // Only JSON syntax is Miroir's to refuse; the rest goes to the nodes.
    // (Nesting beyond serde_json's 128 levels is a syntax error too, and so
    // is a number past a double's range: checked strictly.)
    // Known, left open (docs/fuzzing.md): simdjson's On-Demand reader refuses
    // a zero with a huge exponent (0e318446744073709551616080) that its DOM
    // parser and serde_json read as 0.
    if (info.error().message.ends_with("Problem while parsing a number")) return;
    FUZZ_CHECK(!fuzz::IsJsonObject(body, 100, /*tame=*/false),
               "refused a valid object: " + info.error().message);
    return;
  }
  if (!info->page_mode) {
    FUZZ_CHECK(info->node_hits >= info->limit && info->node_hits >= info->offset,
               "node_hits wrapped around");
  }
  if (info->passthrough || !valid_object) return;
  for (const std::vector<uint32_t>* shards : {static_cast<const std::vector<uint32_t>*>(nullptr),
                                              &kNoShards, &kSomeShards}) {
    CheckNodeBody(BuildNodeSearchBody(*info, body, shards), client, shards);
  }
}

void CheckMultiSearch(std::string_view body, const IndexSearchSettings& settings,
                      bool valid_object) {
  auto info = AnalyzeMultiSearchRequest(
      body, [&](std::string_view uid) { return uid == "movies" ? &settings : nullptr; });
  if (!info || info->passthrough || !valid_object) return;
  std::vector<const std::vector<uint32_t>*> shards;
  for (size_t i = 0; i < info->queries.size(); ++i) {
    shards.push_back(i % 3 == 0 ? nullptr : i % 3 == 1 ? &kNoShards : &kSomeShards);
  }
  const std::string node_body = BuildNodeMultiSearchBody(*info, body, shards);
  FUZZ_CHECK(fuzz::IsJsonObject(node_body), node_body);
  const nlohmann::json node = ParseOrNull(node_body);
  FUZZ_CHECK(node.contains("queries") && node["queries"].is_array(), node_body);
  FUZZ_CHECK(node["queries"].size() == info->queries.size(), node_body);
}

void CheckFacetSearch(std::string_view body, const IndexSearchSettings& settings,
                      bool valid_object, const nlohmann::json& client) {
  auto info = AnalyzeFacetSearchRequest(body, settings);
  if (!info || info->passthrough || !valid_object) return;
  for (const std::vector<uint32_t>* shards : {static_cast<const std::vector<uint32_t>*>(nullptr),
                                              &kNoShards, &kSomeShards}) {
    CheckNodeBody(BuildNodeFacetSearchBody(*info, body, shards), client, shards);
  }
}

void CheckDocumentsFetch(std::string_view body, bool valid_object, const nlohmann::json& client) {
  auto info = AnalyzeDocumentsFetchRequest(body);
  if (!info) return;
  FUZZ_CHECK(info->node_limit >= info->limit && info->node_limit >= info->offset,
             "node_limit wrapped around");
  if (info->passthrough || !valid_object) return;
  for (const std::vector<uint32_t>* shards : {static_cast<const std::vector<uint32_t>*>(nullptr),
                                              &kNoShards, &kSomeShards}) {
    CheckNodeBody(BuildNodeDocumentsFetchBody(*info, body, shards), client, shards);
  }
}

void CheckQueryForms(std::string_view line, std::string_view body) {
  // GET /documents: `fields` and `sort` as raw parameter values.
  const DocumentsRequestInfo info = DocumentsInfoFromQuery(0, 20, line, line);
  (void)NodeFields(info);
  // GET routes: the `filter` parameter fused with the shard clause.
  const std::string text(body.substr(0, 512));
  auto client = filter::Parse(text);
  const std::string combined = CombineFilterString(text, kSomeShards);
  auto fused = filter::Parse(combined);
  if (client) {
    FUZZ_CHECK(fused.has_value(), combined + " -> " + fused.error().message);
    FUZZ_CHECK(fused->has_value(), "the shard clause got lost: " + combined);
  } else if (client.error().code != ErrorCode::kMiroirUnsupported) {
    // What Meilisearch refuses must stay refused (no escaping the clause).
    FUZZ_CHECK(!fused.has_value(), text + " -> " + combined);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input input(data, size);
  const std::string_view line = input.Until("\n");
  const std::string_view body = input.Rest();
  const IndexSearchSettings settings = fuzz::ParseSettings(line);

  const bool valid_object = fuzz::IsJsonObject(body);
  const nlohmann::json client = valid_object ? ParseOrNull(body) : nlohmann::json();

  CheckSearch(body, settings, valid_object, client);
  CheckMultiSearch(body, settings, valid_object);
  CheckFacetSearch(body, settings, valid_object, client);
  CheckDocumentsFetch(body, valid_object, client);
  CheckQueryForms(line, body);

  if (auto masked = MaskReservedNames(body); masked && valid_object) {
    FUZZ_CHECK(fuzz::IsJsonObject(*masked), *masked);
    FUZZ_CHECK(masked->size() == body.size(), *masked);
  }
  return 0;
}
