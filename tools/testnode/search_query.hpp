// The bodies of POST /indexes/{uid}/search and /facet-search, decoded and
// validated as Meilisearch does it before searching: every parameter's type
// (invalid_search_* codes, deserr wording), unknown parameters (bad_request
// with "did you mean"; facet search ignores them), enumerations and ranges.
// Checks that need the index (filterable, sortable, searchable attributes)
// are the search's job.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode {

enum class MatchingStrategy { kLast, kAll, kFrequency };

struct SearchQuery {
  std::optional<std::string> q;
  uint64_t offset = 0;
  uint64_t limit = 20;
  std::optional<uint64_t> page;
  std::optional<uint64_t> hits_per_page;
  std::optional<std::vector<std::string>> attributes_to_retrieve;
  std::optional<std::vector<std::string>> attributes_to_crop;
  uint64_t crop_length = 10;
  std::string crop_marker = "\xE2\x80\xA6";  // "…"
  std::optional<std::vector<std::string>> attributes_to_highlight;
  std::string highlight_pre_tag = "<em>";
  std::string highlight_post_tag = "</em>";
  bool show_matches_position = false;
  nlohmann::json filter;  // null when absent
  std::optional<std::vector<std::string>> sort;
  std::optional<std::string> distinct;
  std::optional<std::vector<std::string>> facets;
  MatchingStrategy matching_strategy = MatchingStrategy::kLast;
  std::optional<std::vector<std::string>> attributes_to_search_on;
  std::optional<double> ranking_score_threshold;
  std::optional<std::vector<std::string>> locales;
  nlohmann::json hybrid;  // null when absent
  bool has_vector = false;
  bool has_media = false;
  bool retrieve_vectors = false;
  bool show_ranking_score = false;
  bool show_ranking_score_details = false;
  bool show_performance_details = false;

  // page or hitsPerPage given: exhaustive page-based pagination.
  bool finite_pagination() const { return page.has_value() || hits_per_page.has_value(); }
};

Result<SearchQuery> ParseSearchQuery(const nlohmann::json& body);

struct FacetSearchQuery {
  std::optional<std::string> facet_query;
  std::string facet_name;
  SearchQuery search;  // q, filter, matchingStrategy, attributesToSearchOn, ...
  std::optional<bool> exhaustive_facet_count;
};

Result<FacetSearchQuery> ParseFacetSearchQuery(const nlohmann::json& body);

}  // namespace miroir::testnode
