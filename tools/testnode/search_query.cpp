#include "search_query.hpp"

#include <algorithm>
#include <functional>

#include "deserr.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using deserr::Key;

// The parameters of a search body in Meilisearch's declaration order (the
// order of its "expected one of" list).
const std::vector<std::string_view> kSearchKeys = {
    "q",
    "offset",
    "limit",
    "page",
    "hitsPerPage",
    "attributesToRetrieve",
    "attributesToCrop",
    "cropLength",
    "cropMarker",
    "attributesToHighlight",
    "highlightPreTag",
    "highlightPostTag",
    "showMatchesPosition",
    "filter",
    "sort",
    "distinct",
    "facets",
    "matchingStrategy",
    "attributesToSearchOn",
    "rankingScoreThreshold",
    "locales",
    "hybrid",
    "vector",
    "retrieveVectors",
    "media",
    "personalize",
    "useNetwork",
    "showRankingScore",
    "showRankingScoreDetails",
    "showPerformanceDetails",
};

Result<void> Usize(ErrorCode code, const std::string& where, const Json& v, uint64_t* out) {
  auto n = deserr::ExpectUnsigned(code, where, v, UINT64_MAX, "usize");
  if (!n) return n.error();
  *out = *n;
  return {};
}

Result<void> OptionalUsize(ErrorCode code, const std::string& where, const Json& v,
                           std::optional<uint64_t>* out) {
  if (v.is_null()) return {};
  uint64_t n = 0;
  if (auto r = Usize(code, where, v, &n); !r) return r;
  *out = n;
  return {};
}

Result<void> Bool(ErrorCode code, const std::string& where, const Json& v, bool* out) {
  if (auto r = deserr::ExpectKind(code, where, v, deserr::kBoolean); !r) return r;
  *out = v.get<bool>();
  return {};
}

Result<void> String(ErrorCode code, const std::string& where, const Json& v, std::string* out) {
  if (auto r = deserr::ExpectKind(code, where, v, deserr::kString); !r) return r;
  *out = v.get<std::string>();
  return {};
}

Result<void> OptionalString(ErrorCode code, const std::string& where, const Json& v,
                            std::optional<std::string>* out) {
  if (v.is_null()) return {};
  std::string s;
  if (auto r = String(code, where, v, &s); !r) return r;
  *out = std::move(s);
  return {};
}

Result<void> OptionalStrings(ErrorCode code, const std::string& where, const Json& v,
                             std::optional<std::vector<std::string>>* out) {
  if (v.is_null()) return {};
  if (auto r = deserr::ExpectStringArray(code, where, v); !r) return r;
  std::vector<std::string> list;
  for (const auto& s : v) list.push_back(s.get<std::string>());
  *out = std::move(list);
  return {};
}

Result<void> Strategy(const std::string& where, const Json& v, MatchingStrategy* out) {
  constexpr ErrorCode kCode = ErrorCode::kInvalidSearchMatchingStrategy;
  if (auto r = deserr::ExpectKind(kCode, where, v, deserr::kString); !r) return r;
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "last") {
    *out = MatchingStrategy::kLast;
  } else if (s == "all") {
    *out = MatchingStrategy::kAll;
  } else if (s == "frequency") {
    *out = MatchingStrategy::kFrequency;
  } else {
    return deserr::UnknownValue(kCode, where, s, {"last", "all", "frequency"});
  }
  return {};
}

Result<void> Threshold(const std::string& where, const Json& v, std::optional<double>* out) {
  constexpr ErrorCode kCode = ErrorCode::kInvalidSearchRankingScoreThreshold;
  if (v.is_null()) return {};
  if (auto r = deserr::ExpectKind(kCode, where, v, deserr::kAnyNumber); !r) return r;
  double d = v.get<double>();
  if (!(d >= 0.0 && d <= 1.0)) {
    return deserr::Unexpected(kCode, where,
                              "the value of `rankingScoreThreshold` is invalid, expected a float "
                              "between `0.0` and `1.0`.");
  }
  *out = d;
  return {};
}

Result<void> Vector(ErrorCode code, const std::string& where, const Json& v, bool* present) {
  if (v.is_null()) return {};
  if (!v.is_array()) return deserr::InvalidType(code, where, deserr::kArray, v);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number()) {
      return deserr::InvalidType(code, deserr::Index(where, i), deserr::kAnyNumber, v[i]);
    }
  }
  *present = true;
  return {};
}

Result<void> Hybrid(const std::string& where, const Json& v, Json* out) {
  constexpr ErrorCode kCode = ErrorCode::kInvalidSearchHybridQuery;
  if (v.is_null()) return {};
  if (!v.is_object()) return deserr::InvalidType(kCode, where, deserr::kObject, v);
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() != "semanticRatio" && it.key() != "embedder") {
      return deserr::UnknownKey(kCode, where, it.key(), {"semanticRatio", "embedder"});
    }
  }
  if (!v.contains("embedder")) return deserr::MissingField(kCode, where, "embedder");
  if (auto r = deserr::ExpectKind(kCode, Key(where, "embedder"), v["embedder"], deserr::kString);
      !r) {
    return r;
  }
  *out = v;
  return {};
}

// Decodes one known parameter into `q`.
Result<void> Field(const std::string& name, const Json& v, SearchQuery* q) {
  const std::string where = Key("", name);
  if (name == "q") return OptionalString(ErrorCode::kInvalidSearchQ, where, v, &q->q);
  if (name == "offset") return Usize(ErrorCode::kInvalidSearchOffset, where, v, &q->offset);
  if (name == "limit") return Usize(ErrorCode::kInvalidSearchLimit, where, v, &q->limit);
  if (name == "page") return OptionalUsize(ErrorCode::kInvalidSearchPage, where, v, &q->page);
  if (name == "hitsPerPage") {
    return OptionalUsize(ErrorCode::kInvalidSearchHitsPerPage, where, v, &q->hits_per_page);
  }
  if (name == "attributesToRetrieve") {
    return OptionalStrings(ErrorCode::kInvalidSearchAttributesToRetrieve, where, v,
                           &q->attributes_to_retrieve);
  }
  if (name == "attributesToCrop") {
    return OptionalStrings(ErrorCode::kInvalidSearchAttributesToCrop, where, v,
                           &q->attributes_to_crop);
  }
  if (name == "cropLength") {
    return Usize(ErrorCode::kInvalidSearchCropLength, where, v, &q->crop_length);
  }
  if (name == "cropMarker") {
    return String(ErrorCode::kInvalidSearchCropMarker, where, v, &q->crop_marker);
  }
  if (name == "attributesToHighlight") {
    return OptionalStrings(ErrorCode::kInvalidSearchAttributesToHighlight, where, v,
                           &q->attributes_to_highlight);
  }
  if (name == "highlightPreTag") {
    return String(ErrorCode::kInvalidSearchHighlightPreTag, where, v, &q->highlight_pre_tag);
  }
  if (name == "highlightPostTag") {
    return String(ErrorCode::kInvalidSearchHighlightPostTag, where, v, &q->highlight_post_tag);
  }
  if (name == "showMatchesPosition") {
    return Bool(ErrorCode::kInvalidSearchShowMatchesPosition, where, v, &q->show_matches_position);
  }
  if (name == "filter") {
    q->filter = v;
    return {};
  }
  if (name == "sort") return OptionalStrings(ErrorCode::kInvalidSearchSort, where, v, &q->sort);
  if (name == "distinct") {
    return OptionalString(ErrorCode::kInvalidSearchDistinct, where, v, &q->distinct);
  }
  if (name == "facets") {
    return OptionalStrings(ErrorCode::kInvalidSearchFacets, where, v, &q->facets);
  }
  if (name == "matchingStrategy") return Strategy(where, v, &q->matching_strategy);
  if (name == "attributesToSearchOn") {
    return OptionalStrings(ErrorCode::kInvalidSearchAttributesToSearchOn, where, v,
                           &q->attributes_to_search_on);
  }
  if (name == "rankingScoreThreshold") return Threshold(where, v, &q->ranking_score_threshold);
  if (name == "locales") {
    return OptionalStrings(ErrorCode::kInvalidSearchLocales, where, v, &q->locales);
  }
  if (name == "hybrid") return Hybrid(where, v, &q->hybrid);
  if (name == "vector") return Vector(ErrorCode::kInvalidSearchVector, where, v, &q->has_vector);
  if (name == "retrieveVectors") {
    return Bool(ErrorCode::kInvalidSearchRetrieveVectors, where, v, &q->retrieve_vectors);
  }
  if (name == "media") {
    q->has_media = !v.is_null();
    return {};
  }
  if (name == "personalize") {
    constexpr ErrorCode kCode = ErrorCode::kInvalidSearchPersonalize;
    if (v.is_null()) return {};
    if (!v.is_object()) return deserr::InvalidType(kCode, where, deserr::kObject, v);
    if (!v.contains("userContext")) return deserr::MissingField(kCode, where, "userContext");
    return {};
  }
  if (name == "useNetwork") {
    if (v.is_null()) return {};
    return deserr::ExpectKind(ErrorCode::kInvalidSearchUseNetwork, where, v, deserr::kBoolean);
  }
  if (name == "showRankingScore") {
    return Bool(ErrorCode::kInvalidSearchShowRankingScore, where, v, &q->show_ranking_score);
  }
  if (name == "showRankingScoreDetails") {
    return Bool(ErrorCode::kInvalidSearchShowRankingScoreDetails, where, v,
                &q->show_ranking_score_details);
  }
  if (name == "showPerformanceDetails") {
    return Bool(ErrorCode::kInvalidSearchShowPerformanceDetails, where, v,
                &q->show_performance_details);
  }
  return {};
}

// The checks Meilisearch makes on a decoded query before looking at the
// index: a vector without `hybrid` is refused.
Result<void> CheckSemantic(const SearchQuery& q) {
  if ((q.has_vector || q.has_media) && q.hybrid.is_null()) {
    if (q.has_vector && q.has_media) {
      return Error(ErrorCode::kBadRequest,
                   "Invalid request: both `media` and `vector` parameters are present.");
    }
    return Error(ErrorCode::kMissingSearchHybrid,
                 "Invalid request: missing `hybrid` parameter when `vector` or `media` are "
                 "present.");
  }
  return {};
}

}  // namespace

Result<SearchQuery> ParseSearchQuery(const Json& body) {
  if (!body.is_object()) {
    return deserr::InvalidType(ErrorCode::kBadRequest, "", deserr::kObject, body);
  }
  SearchQuery q;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(kSearchKeys.begin(), kSearchKeys.end(), it.key()) == kSearchKeys.end()) {
      return deserr::UnknownKey(ErrorCode::kBadRequest, "", it.key(), kSearchKeys);
    }
    if (auto r = Field(it.key(), it.value(), &q); !r) return r.error();
  }
  if (auto r = CheckSemantic(q); !r) return r.error();
  return q;
}

Result<FacetSearchQuery> ParseFacetSearchQuery(const Json& body) {
  if (!body.is_object()) {
    return deserr::InvalidType(ErrorCode::kBadRequest, "", deserr::kObject, body);
  }
  FacetSearchQuery fq;
  bool has_name = false;
  // Unknown parameters are ignored: clients send whole search queries here.
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& name = it.key();
    const Json& v = it.value();
    const std::string where = Key("", name);
    Result<void> r;
    if (name == "facetQuery") {
      r = OptionalString(ErrorCode::kInvalidFacetSearchQuery, where, v, &fq.facet_query);
    } else if (name == "facetName") {
      r = String(ErrorCode::kInvalidFacetSearchFacetName, where, v, &fq.facet_name);
      has_name = true;
    } else if (name == "exhaustiveFacetCount") {
      if (!v.is_null()) {
        bool b = false;
        r = Bool(ErrorCode::kInvalidFacetSearchExhaustiveFacetCount, where, v, &b);
        fq.exhaustive_facet_count = b;
      }
    } else if (name == "q" || name == "vector" || name == "media" || name == "hybrid" ||
               name == "filter" || name == "matchingStrategy" ||
               name == "attributesToSearchOn" || name == "rankingScoreThreshold" ||
               name == "locales" || name == "useNetwork") {
      r = Field(name, v, &fq.search);
    }
    if (!r) return r.error();
  }
  if (!has_name) {
    return deserr::MissingField(ErrorCode::kMissingFacetSearchFacetName, "", "facetName");
  }
  if (auto r = CheckSemantic(fq.search); !r) return r.error();
  return fq;
}

}  // namespace miroir::testnode
