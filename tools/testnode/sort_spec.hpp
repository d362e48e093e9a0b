// Sort expressions ("price:asc", "_geoPoint(48.8, 2.3):desc") as Meilisearch
// parses and applies them, for search and for document fetches:
// - numbers come before strings in both directions, documents without a
//   value come last;
// - a document with several values sorts by its smallest (ascending) or
//   largest (descending) one;
// - strings compare in their normalized (lowercased) form.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "facet_index.hpp"
#include "miroir/core/error.hpp"

namespace miroir::testnode {

struct SortCriterion {
  std::string field;  // "_geo" for a geo point
  bool ascending = true;
  bool geo = false;
  double lat = 0;
  double lng = 0;
  std::string text;  // as written, e.g. "price:asc"
};

// Parses sort expressions; errors carry `code` (invalid_search_sort or
// invalid_document_sort) and Meilisearch's messages.
Result<std::vector<SortCriterion>> ParseSort(const std::vector<std::string>& expressions,
                                             ErrorCode code);

// Every criterion must name a sortable attribute (nested fields of a
// sortable attribute count); `_geoPoint` needs `_geo`. Attributes outside
// `displayed` (nullopt: all displayed) are not listed in the error.
Result<void> CheckSortable(const std::vector<SortCriterion>& criteria,
                           const std::set<std::string>& sortable,
                           const std::optional<std::vector<std::string>>& displayed,
                           ErrorCode code, std::string_view prefix);

// A document's position key for one criterion.
struct SortKey {
  uint8_t kind = 2;  // 0: number, 1: string, 2: no value (last)
  double number = 0;
  const std::string* text = nullptr;
};

SortKey KeyOf(const FacetField* field, uint32_t doc, bool ascending);
// The great-circle distance from the criterion's point, for geo criteria.
SortKey GeoKeyOf(const SortCriterion& criterion, const nlohmann::ordered_json* doc);

// <0 when `a` sorts before `b` for the direction, 0 when tied.
int CompareKeys(const SortKey& a, const SortKey& b, bool ascending);

// The value Meilisearch reports for a sort in _rankingScoreDetails.
nlohmann::ordered_json KeyToJson(const SortKey& key, const FacetField* field, uint32_t doc);

}  // namespace miroir::testnode
