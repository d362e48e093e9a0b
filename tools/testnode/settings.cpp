#include "settings.hpp"

#include <algorithm>
#include <array>
#include <functional>

#include "deserr.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;
using deserr::Key;

// The fields of Meilisearch's settings object, in its declaration order:
// the order of the "expected one of" lists in unknown-field errors.
const std::vector<std::string_view> kSettingKeys = {
    "displayedAttributes", "searchableAttributes", "filterableAttributes", "sortableAttributes",
    "foreignKeys",         "rankingRules",         "stopWords",            "nonSeparatorTokens",
    "separatorTokens",     "dictionary",           "synonyms",             "distinctAttribute",
    "proximityPrecision",  "typoTolerance",        "faceting",             "pagination",
    "embedders",           "searchCutoffMs",       "localizedAttributes",  "facetSearch",
    "prefixSearch",        "chat"};

constexpr std::array<SettingsRoute, 22> kRoutes = {{
    {"filterable-attributes", "filterableAttributes", false,
     ErrorCode::kInvalidSettingsFilterableAttributes},
    {"sortable-attributes", "sortableAttributes", false,
     ErrorCode::kInvalidSettingsSortableAttributes},
    {"displayed-attributes", "displayedAttributes", false,
     ErrorCode::kInvalidSettingsDisplayedAttributes},
    {"typo-tolerance", "typoTolerance", true, ErrorCode::kInvalidSettingsTypoTolerance},
    {"searchable-attributes", "searchableAttributes", false,
     ErrorCode::kInvalidSettingsSearchableAttributes},
    {"stop-words", "stopWords", false, ErrorCode::kInvalidSettingsStopWords},
    {"non-separator-tokens", "nonSeparatorTokens", false,
     ErrorCode::kInvalidSettingsNonSeparatorTokens},
    {"separator-tokens", "separatorTokens", false, ErrorCode::kInvalidSettingsSeparatorTokens},
    {"dictionary", "dictionary", false, ErrorCode::kInvalidSettingsDictionary},
    {"synonyms", "synonyms", false, ErrorCode::kInvalidSettingsSynonyms},
    {"distinct-attribute", "distinctAttribute", false,
     ErrorCode::kInvalidSettingsDistinctAttribute},
    {"proximity-precision", "proximityPrecision", false,
     ErrorCode::kInvalidSettingsProximityPrecision},
    {"localized-attributes", "localizedAttributes", false,
     ErrorCode::kInvalidSettingsLocalizedAttributes},
    {"ranking-rules", "rankingRules", false, ErrorCode::kInvalidSettingsRankingRules},
    {"faceting", "faceting", true, ErrorCode::kInvalidSettingsFaceting},
    {"pagination", "pagination", true, ErrorCode::kInvalidSettingsPagination},
    {"embedders", "embedders", true, ErrorCode::kInvalidSettingsEmbedders},
    {"search-cutoff-ms", "searchCutoffMs", false, ErrorCode::kInvalidSettingsSearchCutoffMs},
    {"facet-search", "facetSearch", false, ErrorCode::kInvalidSettingsFacetSearch},
    {"prefix-search", "prefixSearch", false, ErrorCode::kInvalidSettingsPrefixSearch},
    {"chat", "chat", true, ErrorCode::kInvalidSettingsIndexChat},
    {"foreign-keys", "foreignKeys", false, ErrorCode::kInvalidSettingsForeignKeys},
}};

const SettingsRoute* RouteByKey(std::string_view key) {
  for (const auto& route : kRoutes) {
    if (route.key == key) return &route;
  }
  return nullptr;
}

// --- validation helpers ---

// Rejects every key of `object` not in `accepted`.
Result<void> CheckKeys(ErrorCode code, std::string_view location, const Json& object,
                       const std::vector<std::string_view>& accepted) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(accepted.begin(), accepted.end(), it.key()) == accepted.end()) {
      return deserr::UnknownKey(code, location, it.key(), accepted);
    }
  }
  return {};
}

Result<void> NullableStringArray(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  return deserr::ExpectStringArray(code, location, v);
}

Result<void> NullableBool(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  return deserr::ExpectKind(code, location, v, deserr::kBoolean);
}

Result<void> NullableEnum(ErrorCode code, std::string_view location, const Json& v,
                          const std::vector<std::string_view>& accepted) {
  if (v.is_null()) return {};
  if (!v.is_string()) return deserr::InvalidType(code, location, deserr::kString, v);
  const std::string& s = v.get_ref<const std::string&>();
  if (std::find(accepted.begin(), accepted.end(), s) == accepted.end()) {
    return deserr::UnknownValue(code, location, s, accepted);
  }
  return {};
}

bool IsReservedKeyword(std::string_view s) {
  return s == "_geo" || s == "_geoDistance" || s == "_geoPoint" || s == "_geoRadius" ||
         s == "_geoBoundingBox";
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Meilisearch's wording for an invalid ranking rule, or "" when valid.
std::string RankingRuleError(std::string_view rule) {
  static constexpr std::array<std::string_view, 8> kBuiltins = {
      "words", "typo", "proximity", "attribute", "attributeRank", "wordPosition", "sort",
      "exactness"};
  if (std::find(kBuiltins.begin(), kBuiltins.end(), rule) != kBuiltins.end()) return "";
  size_t colon = rule.rfind(':');
  std::string_view direction = colon == std::string_view::npos ? "" : rule.substr(colon + 1);
  if (colon == std::string_view::npos || (direction != "asc" && direction != "desc")) {
    return "`" + std::string(rule) +
           "` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, "
           "attribute, exactness and custom ranking rules.";
  }
  std::string_view field = rule.substr(0, colon);
  auto reserved = [](std::string_view name) {
    return "`" + std::string(name) +
           "` is a reserved keyword and thus can't be used as a ranking rule";
  };
  if (StartsWith(field, "_geoPoint")) {
    return reserved("_geoPoint") + ". `_geoPoint` can only be used for sorting at search time";
  }
  if (StartsWith(field, "_geoRadius")) {
    return reserved("_geoRadius") + ". `_geoRadius` can only be used for filtering at search time";
  }
  if (StartsWith(field, "_geoBoundingBox")) {
    return reserved("_geoBoundingBox") +
           ". `_geoBoundingBox` can only be used for filtering at search time";
  }
  if (IsReservedKeyword(field) || StartsWith(field, "_geo(") ||
      StartsWith(field, "_geoDistance(")) {
    return reserved(field);
  }
  return "";
}

Result<void> ValidateRankingRules(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) return deserr::InvalidType(code, location, deserr::kArray, v);
  bool attribute = false;
  bool split_attribute = false;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string where = deserr::Index(location, i);
    if (!v[i].is_string()) return deserr::InvalidType(code, where, deserr::kString, v[i]);
    const std::string& rule = v[i].get_ref<const std::string&>();
    std::string error = RankingRuleError(rule);
    if (!error.empty()) return deserr::Unexpected(code, where, error);
    attribute |= rule == "attribute";
    split_attribute |= rule == "attributeRank" || rule == "wordPosition";
  }
  if (attribute && split_attribute) {
    return Error(code,
                 "Mixed usage of the attribute, attributeRank, and wordPosition ranking rules. You "
                 "must either use the attribute ranking rule alone or the attributeRank and "
                 "wordPosition ranking rules.");
  }
  return {};
}

Result<void> ValidateFilterable(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) return deserr::InvalidType(code, location, deserr::kArray, v);
  for (size_t i = 0; i < v.size(); ++i) {
    std::string where = deserr::Index(location, i);
    const Json& rule = v[i];
    if (!rule.is_object()) {
      if (!rule.is_string()) return deserr::InvalidType(code, where, deserr::kString, rule);
      continue;
    }
    if (auto r = CheckKeys(code, where, rule, {"attributePatterns", "features"}); !r) return r;
    auto patterns = rule.find("attributePatterns");
    if (patterns == rule.end()) return deserr::MissingField(code, where, "attributePatterns");
    if (auto r = deserr::ExpectStringArray(code, Key(where, "attributePatterns"), *patterns); !r) {
      return r;
    }
    auto features = rule.find("features");
    if (features == rule.end()) continue;
    std::string fwhere = Key(where, "features");
    if (!features->is_object()) {
      return deserr::InvalidType(code, fwhere, deserr::kObject, *features);
    }
    if (auto r = CheckKeys(code, fwhere, *features, {"facetSearch", "filter"}); !r) return r;
    if (auto fs = features->find("facetSearch"); fs != features->end() && !fs->is_boolean()) {
      return deserr::InvalidType(code, Key(fwhere, "facetSearch"), deserr::kBoolean, *fs);
    }
    auto filter = features->find("filter");
    if (filter == features->end()) continue;
    std::string fl = Key(fwhere, "filter");
    if (!filter->is_object()) return deserr::InvalidType(code, fl, deserr::kObject, *filter);
    if (auto r = CheckKeys(code, fl, *filter, {"equality", "comparison"}); !r) return r;
    for (const char* flag : {"equality", "comparison"}) {
      auto f = filter->find(flag);
      if (f != filter->end() && !f->is_boolean()) {
        return deserr::InvalidType(code, Key(fl, flag), deserr::kBoolean, *f);
      }
    }
  }
  return {};
}

Result<void> ValidateSynonyms(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (auto r = deserr::ExpectStringArray(code, Key(location, it.key()), it.value()); !r) {
      return r;
    }
  }
  return {};
}

Result<void> ValidateMinWordSize(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  if (auto r = CheckKeys(code, location, v, {"oneTypo", "twoTypos"}); !r) return r;
  std::optional<uint64_t> one;
  std::optional<uint64_t> two;
  for (const char* name : {"oneTypo", "twoTypos"}) {
    auto it = v.find(name);
    if (it == v.end() || it->is_null()) continue;
    auto n = deserr::ExpectUnsigned(code, Key(location, name), *it, 255, "u8");
    if (!n) return n.error();
    (std::string_view(name) == "oneTypo" ? one : two) = *n;
  }
  if (one && two && *one > *two) {
    return deserr::Unexpected(
        code, location,
        "`minWordSizeForTypos` setting is invalid. `oneTypo` and `twoTypos` fields should be "
        "between `0` and `255`, and `twoTypos` should be greater or equals to `oneTypo` but found "
        "`oneTypo: " +
            std::to_string(*one) + "` and twoTypos: " + std::to_string(*two) + "`.");
  }
  return {};
}

Result<void> ValidateTypoTolerance(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  if (auto r = CheckKeys(code, location, v,
                         {"enabled", "minWordSizeForTypos", "disableOnWords",
                          "disableOnAttributes", "disableOnNumbers"});
      !r) {
    return r;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string where = Key(location, it.key());
    Result<void> r;
    if (it.key() == "enabled" || it.key() == "disableOnNumbers") {
      r = NullableBool(code, where, it.value());
    } else if (it.key() == "minWordSizeForTypos") {
      r = ValidateMinWordSize(code, where, it.value());
    } else {
      r = NullableStringArray(code, where, it.value());
    }
    if (!r) return r;
  }
  return {};
}

Result<void> ValidateFaceting(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  if (auto r = CheckKeys(code, location, v, {"maxValuesPerFacet", "sortFacetValuesBy"}); !r) {
    return r;
  }
  if (auto it = v.find("maxValuesPerFacet"); it != v.end() && !it->is_null()) {
    auto n = deserr::ExpectUnsigned(code, Key(location, "maxValuesPerFacet"), *it, UINT64_MAX,
                                    "usize");
    if (!n) return n.error();
  }
  if (auto it = v.find("sortFacetValuesBy"); it != v.end() && !it->is_null()) {
    std::string where = Key(location, "sortFacetValuesBy");
    if (!it->is_object()) return deserr::InvalidType(code, where, deserr::kObject, *it);
    for (auto e = it->begin(); e != it->end(); ++e) {
      if (auto r = NullableEnum(code, Key(where, e.key()), e.value(), {"alpha", "count"}); !r) {
        return r;
      }
      if (e.value().is_null()) {
        return deserr::InvalidType(code, Key(where, e.key()), deserr::kString, e.value());
      }
    }
  }
  return {};
}

Result<void> ValidatePagination(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  if (auto r = CheckKeys(code, location, v, {"maxTotalHits"}); !r) return r;
  if (auto it = v.find("maxTotalHits"); it != v.end() && !it->is_null()) {
    std::string where = Key(location, "maxTotalHits");
    auto n = deserr::ExpectUnsigned(code, where, *it, UINT64_MAX, "usize");
    if (!n) return n.error();
    if (*n == 0) {
      return deserr::Unexpected(code, where,
                                "a non-zero integer value lower than `18446744073709551615` was "
                                "expected, but found a zero");
    }
  }
  return {};
}

Result<void> ValidateEmbedders(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(code, location, deserr::kObject, v);
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_null() && !it.value().is_object()) {
      return deserr::InvalidType(code, Key(location, it.key()), deserr::kObject, it.value());
    }
  }
  return {};
}

Result<void> ValidateLocalized(ErrorCode code, std::string_view location, const Json& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) return deserr::InvalidType(code, location, deserr::kArray, v);
  for (size_t i = 0; i < v.size(); ++i) {
    std::string where = deserr::Index(location, i);
    if (!v[i].is_object()) return deserr::InvalidType(code, where, deserr::kObject, v[i]);
    if (auto r = CheckKeys(code, where, v[i], {"attributePatterns", "locales"}); !r) return r;
    for (const char* field : {"attributePatterns", "locales"}) {
      auto it = v[i].find(field);
      if (it == v[i].end()) return deserr::MissingField(code, where, field);
      if (auto r = deserr::ExpectStringArray(code, Key(where, field), *it); !r) return r;
    }
  }
  return {};
}

Error FeatureNotEnabled(std::string_view what, std::string_view feature,
                        std::string_view discussion) {
  return Error(ErrorCode::kFeatureNotEnabled,
               "setting `" + std::string(what) +
                   "` in the index settings requires enabling the `" + std::string(feature) +
                   "` experimental feature. See https://github.com/orgs/meilisearch/discussions/" +
                   std::string(discussion));
}

// --- merging helpers ---

std::vector<std::string> Strings(const Json& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.get<std::string>());
  return out;
}

std::set<std::string> StringSet(const Json& v) {
  std::set<std::string> out;
  for (const auto& s : v) out.insert(s.get<std::string>());
  return out;
}

std::optional<std::vector<std::string>> Wildcard(const Json& v) {
  if (v.is_null()) return std::nullopt;
  std::vector<std::string> list = Strings(v);
  if (std::find(list.begin(), list.end(), "*") != list.end()) return std::nullopt;
  return list;
}

std::vector<FilterableRule> ParseFilterable(const Json& v) {
  std::vector<FilterableRule> rules;
  if (v.is_null()) return rules;
  for (const auto& r : v) {
    FilterableRule rule;
    if (r.is_string()) {
      rule.patterns = {r.get<std::string>()};
    } else {
      rule.legacy = false;
      rule.patterns = Strings(r.at("attributePatterns"));
      // Granular rules default to equality only, no facet search.
      rule.facet_search = false;
      rule.equality = true;
      rule.comparison = false;
      if (auto f = r.find("features"); f != r.end()) {
        rule.facet_search = f->value("facetSearch", false);
        if (auto fl = f->find("filter"); fl != f->end()) {
          rule.equality = fl->value("equality", true);
          rule.comparison = fl->value("comparison", false);
        }
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

void MergeTypo(TypoTolerance& typo, const Json& v) {
  const TypoTolerance defaults;
  if (v.is_null()) {
    typo = defaults;
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const Json& x = it.value();
    if (it.key() == "enabled") {
      typo.enabled = x.is_null() ? defaults.enabled : x.get<bool>();
    } else if (it.key() == "disableOnNumbers") {
      typo.disable_on_numbers = x.is_null() ? defaults.disable_on_numbers : x.get<bool>();
    } else if (it.key() == "disableOnWords") {
      typo.disable_on_words = x.is_null() ? std::set<std::string>{} : StringSet(x);
    } else if (it.key() == "disableOnAttributes") {
      typo.disable_on_attributes = x.is_null() ? std::set<std::string>{} : StringSet(x);
    } else if (it.key() == "minWordSizeForTypos") {
      if (x.is_null()) {
        typo.one_typo = defaults.one_typo;
        typo.two_typos = defaults.two_typos;
        continue;
      }
      if (auto one = x.find("oneTypo"); one != x.end()) {
        typo.one_typo = one->is_null() ? defaults.one_typo : one->get<uint8_t>();
      }
      if (auto two = x.find("twoTypos"); two != x.end()) {
        typo.two_typos = two->is_null() ? defaults.two_typos : two->get<uint8_t>();
      }
    }
  }
}

void MergeFaceting(Faceting& faceting, const Json& v) {
  const Faceting defaults;
  if (v.is_null()) {
    faceting = defaults;
    return;
  }
  if (auto it = v.find("maxValuesPerFacet"); it != v.end()) {
    faceting.max_values_per_facet =
        it->is_null() ? defaults.max_values_per_facet : it->get<uint64_t>();
  }
  if (auto it = v.find("sortFacetValuesBy"); it != v.end()) {
    faceting.sort_facet_values_by = defaults.sort_facet_values_by;
    if (!it->is_null()) {
      for (auto e = it->begin(); e != it->end(); ++e) {
        faceting.sort_facet_values_by[e.key()] = e.value().get<std::string>();
      }
    }
  }
}

// Merges object `patch` into `target` key by key; null removes a key.
void MergeObject(OJson& target, const Json& patch) {
  if (!target.is_object()) target = OJson::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      target[it.key()] = OJson::parse(it.value().dump());
    }
  }
}

Result<void> MergeKey(Settings& s, const std::string& key, const Json& v) {
  const Settings defaults;
  if (key == "displayedAttributes") {
    s.displayed_attributes = Wildcard(v);
  } else if (key == "searchableAttributes") {
    s.searchable_attributes = Wildcard(v);
  } else if (key == "filterableAttributes") {
    s.filterable_attributes = ParseFilterable(v);
  } else if (key == "sortableAttributes") {
    s.sortable_attributes = v.is_null() ? std::set<std::string>{} : StringSet(v);
  } else if (key == "rankingRules") {
    s.ranking_rules = v.is_null() ? defaults.ranking_rules : Strings(v);
  } else if (key == "stopWords") {
    s.stop_words = v.is_null() ? std::set<std::string>{} : StringSet(v);
  } else if (key == "nonSeparatorTokens") {
    s.non_separator_tokens = v.is_null() ? std::set<std::string>{} : StringSet(v);
  } else if (key == "separatorTokens") {
    s.separator_tokens = v.is_null() ? std::set<std::string>{} : StringSet(v);
  } else if (key == "dictionary") {
    s.dictionary = v.is_null() ? std::set<std::string>{} : StringSet(v);
  } else if (key == "synonyms") {
    s.synonyms.clear();
    if (!v.is_null()) {
      for (auto it = v.begin(); it != v.end(); ++it) s.synonyms[it.key()] = Strings(it.value());
    }
  } else if (key == "distinctAttribute") {
    s.distinct_attribute =
        v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>());
  } else if (key == "proximityPrecision") {
    s.proximity_precision = v.is_null() ? defaults.proximity_precision : v.get<std::string>();
  } else if (key == "typoTolerance") {
    MergeTypo(s.typo_tolerance, v);
  } else if (key == "faceting") {
    MergeFaceting(s.faceting, v);
  } else if (key == "pagination") {
    if (v.is_null()) {
      s.max_total_hits = defaults.max_total_hits;
    } else if (auto it = v.find("maxTotalHits"); it != v.end()) {
      s.max_total_hits = it->is_null() ? defaults.max_total_hits : it->get<uint64_t>();
    }
  } else if (key == "embedders") {
    if (v.is_null()) {
      s.embedders.clear();
    } else {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it.value().is_null()) {
          s.embedders.erase(it.key());
        } else {
          MergeObject(s.embedders[it.key()], it.value());
        }
      }
    }
  } else if (key == "searchCutoffMs") {
    s.search_cutoff_ms = v.is_null() ? std::nullopt : std::optional<uint64_t>(v.get<uint64_t>());
  } else if (key == "localizedAttributes") {
    s.localized_attributes =
        v.is_null() ? std::nullopt : std::optional<OJson>(OJson::parse(v.dump()));
  } else if (key == "facetSearch") {
    s.facet_search = v.is_null() ? true : v.get<bool>();
  } else if (key == "prefixSearch") {
    s.prefix_search = v.is_null() ? defaults.prefix_search : v.get<std::string>();
  } else if (key == "foreignKeys") {
    s.foreign_keys = v.is_null() ? OJson::array() : OJson::parse(v.dump());
  } else if (key == "chat") {
    if (v.is_null()) {
      s.chat.reset();
    } else {
      if (!s.chat) s.chat = OJson::object();
      MergeObject(*s.chat, v);
    }
  }
  return {};
}

OJson TypoToJson(const TypoTolerance& t) {
  OJson j;
  j["enabled"] = t.enabled;
  j["minWordSizeForTypos"]["oneTypo"] = t.one_typo;
  j["minWordSizeForTypos"]["twoTypos"] = t.two_typos;
  j["disableOnWords"] = t.disable_on_words;
  j["disableOnAttributes"] = t.disable_on_attributes;
  j["disableOnNumbers"] = t.disable_on_numbers;
  return j;
}

OJson FacetingToJson(const Faceting& f) {
  OJson j;
  j["maxValuesPerFacet"] = f.max_values_per_facet;
  OJson by = OJson::object();
  for (const auto& [name, order] : f.sort_facet_values_by) by[name] = order;
  j["sortFacetValuesBy"] = std::move(by);
  return j;
}

OJson WildcardToJson(const std::optional<std::vector<std::string>>& v) {
  return v ? OJson(*v) : OJson::array({"*"});
}

}  // namespace

Result<void> ValidateSettingValue(std::string_view key, const Json& value,
                                  std::string_view location, SettingsFeatures features) {
  const SettingsRoute* route = RouteByKey(key);
  if (!route) return deserr::UnknownKey(ErrorCode::kBadRequest, "", key, kSettingKeys);
  const ErrorCode code = route->error;
  if (key == "displayedAttributes" || key == "searchableAttributes" ||
      key == "sortableAttributes" || key == "stopWords" || key == "nonSeparatorTokens" ||
      key == "separatorTokens" || key == "dictionary") {
    return NullableStringArray(code, location, value);
  }
  if (key == "filterableAttributes") return ValidateFilterable(code, location, value);
  if (key == "rankingRules") return ValidateRankingRules(code, location, value);
  if (key == "synonyms") return ValidateSynonyms(code, location, value);
  if (key == "distinctAttribute") {
    if (value.is_null()) return {};
    return deserr::ExpectKind(code, location, value, deserr::kString);
  }
  if (key == "proximityPrecision") {
    return NullableEnum(code, location, value, {"byWord", "byAttribute"});
  }
  if (key == "typoTolerance") return ValidateTypoTolerance(code, location, value);
  if (key == "faceting") return ValidateFaceting(code, location, value);
  if (key == "pagination") return ValidatePagination(code, location, value);
  if (key == "embedders") return ValidateEmbedders(code, location, value);
  if (key == "searchCutoffMs") {
    if (value.is_null()) return {};
    auto n = deserr::ExpectUnsigned(code, location, value, UINT64_MAX, "u64");
    if (!n) return n.error();
    return {};
  }
  if (key == "localizedAttributes") return ValidateLocalized(code, location, value);
  if (key == "facetSearch") return NullableBool(code, location, value);
  if (key == "prefixSearch") {
    return NullableEnum(code, location, value, {"indexingTime", "disabled"});
  }
  if (key == "foreignKeys") {
    if (value.is_null()) return {};
    if (!value.is_array()) return deserr::InvalidType(code, location, deserr::kArray, value);
    if (!features.foreign_keys) {
      return FeatureNotEnabled("foreignKeys", "foreign_keys", "873");
    }
    return {};
  }
  if (key == "chat") {
    if (value.is_null()) return {};
    if (!value.is_object()) return deserr::InvalidType(code, location, deserr::kObject, value);
    if (!features.chat_completions) {
      return FeatureNotEnabled("chat", "chat completions", "835");
    }
    return {};
  }
  return {};
}

Result<void> ValidateSettingsPatch(const Json& patch, SettingsFeatures features) {
  if (!patch.is_object()) {
    return deserr::InvalidType(ErrorCode::kBadRequest, "", deserr::kObject, patch);
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (std::find(kSettingKeys.begin(), kSettingKeys.end(), it.key()) == kSettingKeys.end()) {
      return deserr::UnknownKey(ErrorCode::kBadRequest, "", it.key(), kSettingKeys);
    }
    if (auto r = ValidateSettingValue(it.key(), it.value(), Key("", it.key()), features); !r) {
      return r;
    }
  }
  return {};
}

Result<Settings> ApplySettingsPatch(const Settings& current, const Json& patch,
                                    SettingsFeatures features) {
  if (auto r = ValidateSettingsPatch(patch, features); !r) return r.error();
  Settings merged = current;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (auto r = MergeKey(merged, it.key(), it.value()); !r) return r.error();
  }
  const TypoTolerance& typo = merged.typo_tolerance;
  if (typo.one_typo > typo.two_typos) {
    return Error(ErrorCode::kInvalidSettingsTypoTolerance,
                 "`minWordSizeForTypos` setting is invalid. `oneTypo` and `twoTypos` fields should "
                 "be between `0` and `255`, and `twoTypos` should be greater or equals to "
                 "`oneTypo` but found `oneTypo: " +
                     std::to_string(typo.one_typo) + "` and twoTypos: " +
                     std::to_string(typo.two_typos) + "`.");
  }
  return merged;
}

OJson SettingToJson(const Settings& s, std::string_view key) {
  if (key == "displayedAttributes") return WildcardToJson(s.displayed_attributes);
  if (key == "searchableAttributes") return WildcardToJson(s.searchable_attributes);
  if (key == "filterableAttributes") {
    OJson rules = OJson::array();
    for (const auto& rule : s.filterable_attributes) rules.push_back(rule.ToJson());
    return rules;
  }
  if (key == "sortableAttributes") return s.sortable_attributes;
  if (key == "foreignKeys") return s.foreign_keys;
  if (key == "rankingRules") return s.ranking_rules;
  if (key == "stopWords") return s.stop_words;
  if (key == "nonSeparatorTokens") return s.non_separator_tokens;
  if (key == "separatorTokens") return s.separator_tokens;
  if (key == "dictionary") return s.dictionary;
  if (key == "synonyms") {
    OJson j = OJson::object();
    for (const auto& [word, list] : s.synonyms) j[word] = list;
    return j;
  }
  if (key == "distinctAttribute") {
    return s.distinct_attribute ? OJson(*s.distinct_attribute) : OJson(nullptr);
  }
  if (key == "proximityPrecision") return s.proximity_precision;
  if (key == "typoTolerance") return TypoToJson(s.typo_tolerance);
  if (key == "faceting") return FacetingToJson(s.faceting);
  if (key == "pagination") return OJson{{"maxTotalHits", s.max_total_hits}};
  if (key == "embedders") {
    OJson j = OJson::object();
    for (const auto& [name, config] : s.embedders) j[name] = config;
    return j;
  }
  if (key == "searchCutoffMs") {
    return s.search_cutoff_ms ? OJson(*s.search_cutoff_ms) : OJson(nullptr);
  }
  if (key == "localizedAttributes") {
    return s.localized_attributes ? *s.localized_attributes : OJson(nullptr);
  }
  if (key == "facetSearch") return s.facet_search;
  if (key == "prefixSearch") return s.prefix_search;
  if (key == "chat") return s.chat ? *s.chat : OJson::object();
  return nullptr;
}

OJson ToJson(const Settings& s, SettingsFeatures features) {
  // Meilisearch's GET /settings order.
  static const std::array<std::string_view, 20> kOrder = {
      "displayedAttributes", "searchableAttributes", "filterableAttributes", "sortableAttributes",
      "rankingRules",        "stopWords",            "nonSeparatorTokens",   "separatorTokens",
      "dictionary",          "synonyms",             "distinctAttribute",    "proximityPrecision",
      "typoTolerance",       "faceting",             "pagination",           "embedders",
      "searchCutoffMs",      "localizedAttributes",  "facetSearch",          "prefixSearch"};
  OJson j = OJson::object();
  for (std::string_view key : kOrder) {
    if (key == "rankingRules" && features.foreign_keys) {
      j["foreignKeys"] = SettingToJson(s, "foreignKeys");
    }
    j[std::string(key)] = SettingToJson(s, key);
  }
  if (features.chat_completions) j["chat"] = SettingToJson(s, "chat");
  return j;
}

std::span<const SettingsRoute> SettingsRoutes() { return kRoutes; }

std::span<const std::string_view> AllSettingsKeys() { return kSettingKeys; }

const SettingsRoute* FindSettingsRoute(std::string_view path) {
  for (const auto& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

Result<Json> SubRouteBodyToPatch(const SettingsRoute& route, const Json& body,
                                 SettingsFeatures features) {
  if (auto r = ValidateSettingValue(route.key, body, "", features); !r) return r.error();
  Json patch = Json::object();
  patch[std::string(route.key)] = body;
  return patch;
}

Json ResetAllPatch() {
  Json patch = Json::object();
  for (std::string_view key : kSettingKeys) {
    if (key == "foreignKeys" || key == "chat") continue;
    patch[std::string(key)] = nullptr;
  }
  return patch;
}

}  // namespace miroir::testnode
