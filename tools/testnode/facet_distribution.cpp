#include "facet_distribution.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <unordered_map>

#include "document_fields.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

// milli counts values document by document up to this many candidates and
// walks its facet tree beyond; the two orders numbers differently.
constexpr size_t kLinearScanThreshold = 3000;

bool MatchesAnyPattern(const std::vector<std::string>& patterns, const std::string& field) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return MatchPattern(p, field) == PatternMatch::kMatch;
  });
}

// Whether a rule may match some field the request pattern also matches.
bool Intersects(const FilterableRule& rule, const std::string& pattern) {
  for (const auto& p : rule.patterns) {
    if (rule.legacy) {
      if (MatchPattern(pattern, p) != PatternMatch::kNoMatch) return true;
      if (fields::IsFacetedBy(pattern, p)) return true;
    } else if (MatchPattern(p, pattern) != PatternMatch::kNoMatch ||
               MatchPattern(pattern, p) != PatternMatch::kNoMatch) {
      return true;
    }
  }
  return false;
}

Error InvalidFacet(const std::string& pattern, const std::vector<FilterableRule>& rules,
                   std::optional<size_t> rule_index) {
  std::string message = "Invalid facet distribution: ";
  if (rule_index) {
    std::string i = std::to_string(*rule_index);
    message += "Attribute `" + pattern + "` matched rule #" + i +
               " in filterableAttributes, but this rule does not enable filtering.\nHint: enable "
               "filtering in rule #" + i + " by modifying the features.filter object\nHint: "
               "prepend another rule matching `" + pattern +
               "` with appropriate filter features before rule #" + i;
  } else {
    std::set<std::string> valid = FilterablePatterns(rules);
    if (valid.empty()) {
      message += "Pattern `" + pattern +
                 "` is not filterable. This index does not have configured filterable "
                 "attributes.";
    } else {
      std::string list;
      for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
      message += "Pattern `" + pattern +
                 "` is not filterable. Available filterable attributes patterns are: `" + list +
                 "`.";
    }
  }
  return Error(ErrorCode::kInvalidSearchFacets, message);
}

// Documents of `ids` among the candidates (all of them when every live
// document is a candidate).
uint64_t CountIn(const std::vector<uint32_t>& ids, const Bitmap& candidates, bool all) {
  if (all) return ids.size();
  uint64_t n = 0;
  for (uint32_t id : ids) n += candidates.Test(id) ? 1 : 0;
  return n;
}

// The form of a string value shown: the one of the first candidate holding it.
const std::string* Original(const FacetField& field, const std::string& normalized,
                            const std::vector<uint32_t>& ids, const Bitmap& candidates) {
  for (uint32_t id : ids) {
    if (!candidates.Test(id)) continue;
    for (const auto& s : field.docs[id].strings) {
      if (*s.first == normalized) return &s.second;
    }
  }
  return &normalized;
}

OJson Distribution(const FacetField* field, const Bitmap& candidates, size_t candidate_count,
                   bool all, bool by_count, uint64_t max_values) {
  OJson out = OJson::object();
  if (!field) return out;
  // Counting walks the value lists (already in value order), not the
  // candidates: a filter check per id, no hashing.
  std::vector<std::pair<double, uint64_t>> num;
  for (const auto& [n, ids] : field->numbers) {
    if (uint64_t c = CountIn(ids, candidates, all)) num.emplace_back(n, c);
  }
  struct Str {
    const std::string* normalized;
    const std::vector<uint32_t>* ids;
    uint64_t count;
  };
  std::vector<Str> str;
  for (const auto& [s, ids] : field->strings) {
    if (uint64_t c = CountIn(ids, candidates, all)) str.push_back({&s, &ids, c});
  }
  if (by_count) {
    std::stable_sort(num.begin(), num.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::stable_sort(str.begin(), str.end(),
                     [](const Str& a, const Str& b) { return a.count > b.count; });
  } else if (candidate_count <= kLinearScanThreshold) {
    std::sort(num.begin(), num.end(), [](const auto& a, const auto& b) {
      return FormatFacetNumber(a.first) < FormatFacetNumber(b.first);
    });
  }
  for (const auto& [n, count] : num) {
    if (out.size() >= max_values) break;
    out[FormatFacetNumber(n)] = count;
  }
  for (const Str& s : str) {
    if (out.size() >= max_values) break;
    out[*Original(*field, *s.normalized, *s.ids, candidates)] = s.count;
  }
  return out;
}

}  // namespace

std::string FormatFacetNumber(double value) {
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buf, end);
}

Result<void> CheckFacetPatterns(const std::vector<std::string>& patterns,
                                const std::vector<FilterableRule>& rules) {
  for (const auto& pattern : patterns) {
    bool valid = false;
    for (size_t i = 0; i < rules.size() && !valid; ++i) {
      if (rules[i].filterable()) {
        valid = Intersects(rules[i], pattern);
      } else if (MatchRule(rules[i], pattern) == PatternMatch::kMatch) {
        return InvalidFacet(pattern, rules, i);
      }
    }
    if (!valid) return InvalidFacet(pattern, rules, std::nullopt);
  }
  return {};
}

FacetsResult ComputeFacets(const std::vector<std::string>& patterns,
                           const std::vector<std::string>& fields,
                           const std::vector<FilterableRule>& rules, const FacetIndex& facets,
                           const Bitmap& candidates, size_t live_documents,
                           const Faceting& faceting) {
  // The fields the patterns name, then every filterable field in or under them.
  std::vector<std::string> named;
  for (const auto& f : fields) {
    if (MatchesAnyPattern(patterns, f) && IsFilterable(rules, f)) named.push_back(f);
  }
  std::map<std::string, bool> selected;  // field -> sorted by count
  for (const auto& f : fields) {
    if (!IsFilterable(rules, f)) continue;
    bool in = std::any_of(named.begin(), named.end(),
                          [&](const std::string& n) { return fields::IsFacetedBy(f, n); });
    if (!in) continue;
    auto order = faceting.sort_facet_values_by.find(f);
    if (order == faceting.sort_facet_values_by.end()) {
      order = faceting.sort_facet_values_by.find("*");
    }
    selected[f] = order != faceting.sort_facet_values_by.end() && order->second == "count";
  }

  const size_t candidate_count = candidates.Count();
  FacetsResult result{OJson::object(), OJson::object()};
  for (const auto& [name, by_count] : selected) {
    const FacetField* field = facets.Get(name);
    const bool all = candidate_count == live_documents;
    result.distribution[name] = Distribution(field, candidates, candidate_count, all, by_count,
                                             faceting.max_values_per_facet);
    if (!field) continue;
    // The numbers are in order: the first and last held by a candidate.
    bool any = false;
    double min = 0;
    double max = 0;
    for (const auto& [n, ids] : field->numbers) {
      if (CountIn(ids, candidates, all) == 0) continue;
      min = n;
      any = true;
      break;
    }
    for (auto it = field->numbers.rbegin(); any && it != field->numbers.rend(); ++it) {
      if (CountIn(it->second, candidates, all) == 0) continue;
      max = it->first;
      break;
    }
    if (any) {
      OJson s;
      s["min"] = min;
      s["max"] = max;
      result.stats[name] = std::move(s);
    }
  }
  return result;
}

}  // namespace miroir::testnode
