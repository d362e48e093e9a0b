// Evaluation of a parsed filter over a whole index at once, on its facet
// index: the set of matching document ids, computed the way milli computes
// it, including its quirks:
// - a condition on a field no document ever had matches nothing, even `!=`
//   (while the NOT forms then match every document);
// - AND stops at the first empty intermediate result, so the operator
//   checks of the conditions after it are skipped;
// - granular filterableAttributes rules are enforced per operator
//   (CheckOperator) when a condition is evaluated.
// The filterable-attributes check (CheckFilterable) is the caller's, before.
//
// Thread-safe as long as the index is not written meanwhile.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitmap.hpp"
#include "facet_index.hpp"
#include "filterable_rules.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/filter.hpp"

namespace miroir::testnode {

struct FilterEnv {
  const FacetIndex& facets;
  const std::vector<FilterableRule>& rules;
  const Bitmap& all;  // every live document
  // Whether any document ever had the field (Meilisearch's fields map).
  std::function<bool(std::string_view field)> field_known;
  // The document with an id, for the _geo functions.
  std::function<const nlohmann::ordered_json*(uint32_t doc)> document;
  ErrorCode code;  // invalid_search_filter or invalid_document_filter
};

Result<Bitmap> EvaluateFilter(const filter::Node& node, const FilterEnv& env);

}  // namespace miroir::testnode
