#include "filterable_rules.hpp"

#include "document_fields.hpp"

namespace miroir::testnode {

nlohmann::ordered_json FilterableRule::ToJson() const {
  if (legacy) return nlohmann::ordered_json(patterns.empty() ? std::string() : patterns[0]);
  nlohmann::ordered_json j;
  j["attributePatterns"] = patterns;
  j["features"]["facetSearch"] = facet_search;
  j["features"]["filter"]["equality"] = equality;
  j["features"]["filter"]["comparison"] = comparison;
  return j;
}

PatternMatch MatchPattern(std::string_view pattern, std::string_view field) {
  if (pattern == "*") return PatternMatch::kMatch;
  const bool starts = !pattern.empty() && pattern.front() == '*';
  const bool ends = !pattern.empty() && pattern.back() == '*';
  if (starts && ends && pattern.size() >= 2) {
    if (field.find(pattern.substr(1, pattern.size() - 2)) != std::string_view::npos) {
      return PatternMatch::kMatch;
    }
  } else if (starts) {
    std::string_view suffix = pattern.substr(1);
    if (field.size() >= suffix.size() &&
        field.compare(field.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return PatternMatch::kMatch;
    }
  } else if (ends) {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    if (field.compare(0, prefix.size(), prefix) == 0 && field.size() >= prefix.size()) {
      return PatternMatch::kMatch;
    }
  } else if (pattern == field) {
    return PatternMatch::kMatch;
  }
  // A field that is a parent of what the pattern names.
  return fields::IsFacetedBy(pattern, field) ? PatternMatch::kParent : PatternMatch::kNoMatch;
}

PatternMatch MatchLegacy(std::string_view name, std::string_view field) {
  if (fields::IsFacetedBy(field, name)) return PatternMatch::kMatch;
  if (fields::IsFacetedBy(name, field)) return PatternMatch::kParent;
  return PatternMatch::kNoMatch;
}

PatternMatch MatchRule(const FilterableRule& rule, std::string_view field) {
  if (rule.legacy) {
    return rule.patterns.empty() ? PatternMatch::kNoMatch : MatchLegacy(rule.patterns[0], field);
  }
  PatternMatch best = PatternMatch::kNoMatch;
  for (const auto& pattern : rule.patterns) {
    PatternMatch m = MatchPattern(pattern, field);
    if (m == PatternMatch::kMatch) return m;
    if (m == PatternMatch::kParent) best = m;
  }
  return best;
}

std::optional<RuleMatch> FirstMatchingRule(const std::vector<FilterableRule>& rules,
                                           std::string_view field) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (MatchRule(rules[i], field) == PatternMatch::kMatch) return RuleMatch{i, &rules[i]};
  }
  return std::nullopt;
}

bool IsFilterable(const std::vector<FilterableRule>& rules, std::string_view field) {
  auto m = FirstMatchingRule(rules, field);
  return m && m->rule->filterable();
}

std::set<std::string> FilterablePatterns(const std::vector<FilterableRule>& rules) {
  std::set<std::string> out;
  for (const auto& rule : rules) {
    if (rule.filterable()) out.insert(rule.patterns.begin(), rule.patterns.end());
  }
  return out;
}

std::set<std::string> FacetSearchablePatterns(const std::vector<FilterableRule>& rules) {
  std::set<std::string> out;
  for (const auto& rule : rules) {
    if (rule.facet_search) out.insert(rule.patterns.begin(), rule.patterns.end());
  }
  return out;
}

}  // namespace miroir::testnode
