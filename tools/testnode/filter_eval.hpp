// Meilisearch's filter semantics over documents, for the test node.
//
// What a condition means (as milli evaluates it):
// - facet values of a field are its numbers, its strings normalized
//   (trimmed, lowercased) and its booleans as the strings "true"/"false";
//   arrays contribute every element, nested objects are reached with dotted
//   names; a document matches when any of its values matches;
// - `=` matches a normalized string equal to the normalized literal, or a
//   number equal to the literal when it parses as a finite number;
// - `>`, `>=`, `<`, `<=`, `TO` (inclusive) match numbers numerically when
//   the literal(s) parse as numbers, and, in any case, strings compared
//   bytewise against the literal as written (not normalized);
// - `!=` and every NOT form match the documents the positive form does not,
//   including those without the field;
// - EXISTS: the field is present (any value, null included); IS NULL: its
//   value is null; IS EMPTY: "", [] or {} (neither looks inside arrays);
// - CONTAINS / STARTS WITH work on normalized strings.
//
// The checks Meilisearch makes before answering are separate functions so
// that callers can run them in Meilisearch's order.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "filterable_rules.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/filter.hpp"

namespace miroir::testnode {

// A filter literal as a finite number, parsed as Rust parses an f64
// ("1", "-2.5", "1e3", ".5", "+4"); nullopt otherwise.
std::optional<double> ParseFilterNumber(std::string_view text);

// The facet values of one field of a document.
struct FieldFacets {
  bool exists = false;
  bool is_null = false;
  bool is_empty = false;
  std::vector<double> numbers;
  std::vector<std::string> strings;    // normalized
  std::vector<std::string> originals;  // as written, parallel to `strings`
};
FieldFacets ExtractFacets(const nlohmann::ordered_json& doc, std::string_view field);

// Whether one condition holds for the facet values of its attribute
// (negation included). Not for the _geo functions.
bool ConditionHolds(const filter::Condition& condition, const FieldFacets& facets);

// Great-circle distance in meters between two points (haversine, as milli).
double GeoDistance(double lat1, double lng1, double lat2, double lng2);

// Whether a _geoRadius / _geoBoundingBox condition holds for a document's
// `_geo` point (negation included).
bool GeoConditionHolds(const filter::Condition& condition, const nlohmann::ordered_json& doc);

// Reference evaluation of a whole filter against one document. Makes no
// filterable or operator check (see below).
bool Matches(const filter::Node& node, const nlohmann::ordered_json& doc);

// --- Meilisearch's checks, each with Meilisearch's message ---

// Every attribute the filter names must be filterable:
//   Attribute `x` is not filterable. Available filterable attribute patterns
//   are: `a`, `b`.\n1:2 x = 1
// The trailing line locates the attribute in `filter` (the JSON the client
// sent). The _geo functions need `_geo` to be filterable.
Result<void> CheckFilterable(const filter::Node& node, const std::vector<FilterableRule>& rules,
                             const nlohmann::json& filter, ErrorCode code);

// The operator of `condition` must be enabled by the rule its attribute
// matches (granular rules may disable equality or comparison):
//   Filter operator `>` is not allowed for the attribute `age`.\n  - Note: ...
// IN is checked as `=`, as Meilisearch does. REQUIRES: the attribute is
// filterable.
Result<void> CheckOperator(const filter::Condition& condition,
                           const std::vector<FilterableRule>& rules, ErrorCode code);

// CONTAINS is an experimental feature in Meilisearch (feature_not_enabled).
Result<void> CheckContainsAllowed(const filter::Node& node, const nlohmann::json& filter,
                                  bool contains_enabled);

// The "\n<start>:<end> <expression>" suffix Meilisearch appends to filter
// errors, locating `token` in `filter` (a string or the array form); "" when
// it cannot be found.
std::string FilterPosition(const nlohmann::json& filter, std::string_view token);

}  // namespace miroir::testnode
