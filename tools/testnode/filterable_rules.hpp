// The rules of the filterableAttributes setting and how a field name is
// matched against them, as Meilisearch matches them:
//
// - a plain string rule ("genre") matches that field and every field nested
//   in it ("genre.name"), with every feature enabled;
// - a granular rule {attributePatterns: [...], features: {facetSearch,
//   filter: {equality, comparison}}} matches by pattern: "*", "prefix*",
//   "*suffix", "*infix*" or an exact name, with the features it states;
// - the first matching rule decides a field's features.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace miroir::testnode {

struct FilterableRule {
  bool legacy = true;                 // written as a plain string
  std::vector<std::string> patterns;  // one name for a legacy rule
  bool facet_search = true;
  bool equality = true;
  bool comparison = true;

  bool filterable() const { return equality || comparison; }
  // The rule as GET /settings shows it.
  nlohmann::ordered_json ToJson() const;
};

enum class PatternMatch { kNoMatch, kParent, kMatch };

// Matching of one pattern of a granular rule (wildcards allowed).
PatternMatch MatchPattern(std::string_view pattern, std::string_view field);
// Matching of a legacy rule's name (nested fields match too).
PatternMatch MatchLegacy(std::string_view name, std::string_view field);
PatternMatch MatchRule(const FilterableRule& rule, std::string_view field);

struct RuleMatch {
  size_t index;  // position of the rule in the setting
  const FilterableRule* rule;
};
// The first rule matching `field`, if any.
std::optional<RuleMatch> FirstMatchingRule(const std::vector<FilterableRule>& rules,
                                           std::string_view field);
// True when the first rule matching `field` enables filtering.
bool IsFilterable(const std::vector<FilterableRule>& rules, std::string_view field);

// Every pattern (legacy names included) of the rules enabling filtering,
// sorted, for error messages.
std::set<std::string> FilterablePatterns(const std::vector<FilterableRule>& rules);
std::set<std::string> FacetSearchablePatterns(const std::vector<FilterableRule>& rules);

}  // namespace miroir::testnode
