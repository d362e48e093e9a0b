// facetDistribution and facetStats of a search response, computed as milli
// computes them:
// - the request's patterns ("genre", "*", "doggos", "price_*") select the
//   filterable fields they match; a selected field also selects the
//   filterable fields nested in it ("doggos" -> "doggos.age");
// - values are counted over the search's candidates; strings are counted by
//   normalized form and shown in the form of the first document holding them;
//   numbers are shown as Rust prints them ("1", "1.5");
// - with sortFacetValuesBy "alpha", numbers come first then strings, each in
//   order (numbers by their text while there are at most 3000 candidates, by
//   value beyond, as milli switches algorithms); with "count", by decreasing
//   count; at most maxValuesPerFacet values per field;
// - facetStats holds min/max of the numeric values of each selected field.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitmap.hpp"
#include "facet_index.hpp"
#include "filterable_rules.hpp"
#include "miroir/core/error.hpp"
#include "settings.hpp"

namespace miroir::testnode {

// Every requested pattern must match a filterable rule (invalid_search_facets,
// "Invalid facet distribution: ..." without the index prefix).
Result<void> CheckFacetPatterns(const std::vector<std::string>& patterns,
                                const std::vector<FilterableRule>& rules);

struct FacetsResult {
  nlohmann::ordered_json distribution;  // facetDistribution
  nlohmann::ordered_json stats;         // facetStats
};

// `fields` is the index's fields map (every flattened name);
// `live_documents` the number of documents in the index.
FacetsResult ComputeFacets(const std::vector<std::string>& patterns,
                           const std::vector<std::string>& fields,
                           const std::vector<FilterableRule>& rules, const FacetIndex& facets,
                           const Bitmap& candidates, size_t live_documents,
                           const Faceting& faceting);

// A number as Rust's Display prints an f64: "3", "-0.5", "1000000000000000000000".
std::string FormatFacetNumber(double value);

}  // namespace miroir::testnode
