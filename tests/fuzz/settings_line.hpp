// The one-line form of an index's search settings that the merge and
// search_rewrite targets read from their input: space-separated words such as
// "distinct=genre maxTotalHits=50 maxValues=3 sortRules alpha".
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "fuzz_util.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir::fuzz {

inline IndexSearchSettings ParseSettings(std::string_view line) {
  IndexSearchSettings s;
  for (std::string_view word : Words(line)) {
    // Settings come from Meilisearch as JSON strings: valid UTF-8.
    if (word.starts_with("distinct=") && simdjson::validate_utf8(word.data(), word.size())) {
      s.distinct_attribute = std::string(word.substr(9));
    }
    if (word.starts_with("maxTotalHits=")) s.max_total_hits = Number(word.substr(13));
    if (word.starts_with("maxValues=")) s.max_values_per_facet = Number(word.substr(10));
    if (word == "sortRules") s.ranking_rules_have_sort = true;
    if (word == "alpha") s.facet_order = FacetValuesOrder::kLexicographic;
    if (word == "count") s.facet_order = FacetValuesOrder::kCount;
  }
  return s;
}

}  // namespace miroir::fuzz
