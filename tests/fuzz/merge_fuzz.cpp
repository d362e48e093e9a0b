// Fuzzes the merging of node answers into one client answer
// (miroir/core/search_merge.hpp, facet_search.hpp, documents_merge.hpp):
// malformed, truncated and oddly typed node bodies, huge numbers, deep
// nesting.
//
// Input: parts separated by a line "--":
//   <merge> [settings...]     which merge: search, multi, facet or documents;
//                             settings as in search_rewrite_fuzz.cpp
//   <client request body>     analyzed as the proxy would
//   <node answer>...          one part per node (node_order = position)
// e.g. "search distinct=genre\n--\n{\"q\":\"a\"}\n--\n{\"hits\":[],...}".
//
// Invariants beyond "no crash":
//  - a merge either fails with miroir_node_error (502) or returns a JSON
//    object, which is valid JSON whenever every node body was;
//  - a merged search never returns more hits than the client's window asks.
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
#include "miroir/core/search_merge.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace {

using namespace miroir;

constexpr std::string_view kSeparator = "\n--\n";

void CheckMerged(const Result<std::string>& merged, bool nodes_valid) {
  if (!merged) {
    FUZZ_CHECK(merged.error().code == ErrorCode::kMiroirNodeError, merged.error().ToJson());
    return;
  }
  FUZZ_CHECK(!merged->empty() && merged->front() == '{', *merged);
  if (nodes_valid) FUZZ_CHECK(fuzz::IsJsonObject(*merged), *merged);
}

void CheckHitCount(const std::string& merged, uint64_t limit) {
  const auto answer = nlohmann::json::parse(merged, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("hits") || !answer["hits"].is_array()) return;
  FUZZ_CHECK(answer["hits"].size() <= limit, merged);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input input(data, size);
  const std::string_view line = input.Until(kSeparator);
  const std::string_view client = input.Until(kSeparator);
  std::vector<NodeResult> nodes;
  bool nodes_valid = true;
  while (!input.AtEnd() && nodes.size() < 8) {
    const std::string_view body = input.Until(kSeparator);
    nodes_valid = nodes_valid && fuzz::IsValidJson(body);
    nodes.push_back(NodeResult{std::string(body), static_cast<uint32_t>(nodes.size())});
  }
  const IndexSearchSettings settings = fuzz::ParseSettings(line);
  MergeOptions options;
  if (line.find("timed") != std::string_view::npos) {
    options.processing_time_ms = 12;
    options.request_uid = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  }

  if (line.starts_with("multi")) {
    auto info = AnalyzeMultiSearchRequest(
        client, [&](std::string_view uid) { return uid == "movies" ? &settings : nullptr; });
    if (!info || info->passthrough) return 0;
    CheckMerged(MergeMultiSearchResponses(*info, nodes, options), nodes_valid);
  } else if (line.starts_with("facet")) {
    auto info = AnalyzeFacetSearchRequest(client, settings);
    if (!info || info->passthrough) return 0;
    CheckMerged(MergeFacetSearchResponses(*info, nodes, options), nodes_valid);
  } else if (line.starts_with("documents")) {
    auto info = AnalyzeDocumentsFetchRequest(client);
    if (!info || info->passthrough) return 0;
    auto merged = MergeDocumentsResponses(*info, nodes);
    CheckMerged(merged, nodes_valid);
  } else {
    auto info = AnalyzeSearchRequest(client, settings);
    if (!info || info->passthrough) return 0;
    auto merged = MergeSearchResponses(*info, nodes, options);
    CheckMerged(merged, nodes_valid);
    if (merged && nodes_valid) CheckHitCount(*merged, info->limit);
  }
  return 0;
}
