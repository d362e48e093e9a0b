#include "miroir/meili/query_params.hpp"

#include <charconv>
#include <cstdlib>

namespace miroir::meili {
namespace {

using nlohmann::json;

enum class ParamType { kString, kUnsigned, kBool, kFloat, kList, kSortList };

struct ParamSpec {
  const char* name;
  ParamType type;
  ErrorCode code;
};

Error InvalidParam(ErrorCode code, const std::string& name, const std::string& detail) {
  return Error(code, "Invalid value in parameter `" + name + "`: " + detail);
}

std::vector<std::string> SplitList(std::string_view s, bool respect_parentheses) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : s) {
    if (respect_parentheses && c == '(') ++depth;
    if (respect_parentheses && c == ')') --depth;
    if (c == ',' && depth <= 0) {
      out.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  out.push_back(current);
  for (auto& part : out) {
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
  }
  return out;
}

Result<json> Convert(const http::QueryParams& params, const std::vector<ParamSpec>& specs) {
  json out = json::object();
  for (const auto& [name, value] : params.entries()) {
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (name == s.name) spec = &s;
    }
    if (!spec) {
      std::string expected;
      for (const auto& s : specs) expected += (expected.empty() ? "`" : ", `") + std::string(s.name) + "`";
      return Error(ErrorCode::kBadRequest,
                   "Unknown parameter `" + name + "`: expected one of " + expected);
    }
    switch (spec->type) {
      case ParamType::kString:
        out[name] = value;
        break;
      case ParamType::kUnsigned: {
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || ec != std::errc() || p != value.data() + value.size()) {
          return InvalidParam(spec->code, name,
                              "could not parse `" + value + "` as a positive integer");
        }
        out[name] = v;
        break;
      }
      case ParamType::kBool:
        if (value != "true" && value != "false") {
          return InvalidParam(spec->code, name,
                              "could not parse `" + value +
                                  "` as a boolean, expected either `true` or `false`");
        }
        out[name] = value == "true";
        break;
      case ParamType::kFloat: {
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (value.empty() || end != value.c_str() + value.size()) {
          return InvalidParam(spec->code, name, "could not parse `" + value + "` as a float");
        }
        out[name] = v;
        break;
      }
      case ParamType::kList:
        out[name] = SplitList(value, false);
        break;
      case ParamType::kSortList:
        out[name] = SplitList(value, true);
        break;
    }
  }
  return out;
}

}  // namespace

Result<json> SearchQueryFromParams(const http::QueryParams& params) {
  static const std::vector<ParamSpec> kSpecs = {
      {"q", ParamType::kString, ErrorCode::kInvalidSearchQ},
      {"offset", ParamType::kUnsigned, ErrorCode::kInvalidSearchOffset},
      {"limit", ParamType::kUnsigned, ErrorCode::kInvalidSearchLimit},
      {"page", ParamType::kUnsigned, ErrorCode::kInvalidSearchPage},
      {"hitsPerPage", ParamType::kUnsigned, ErrorCode::kInvalidSearchHitsPerPage},
      {"attributesToRetrieve", ParamType::kList, ErrorCode::kInvalidSearchAttributesToRetrieve},
      {"retrieveVectors", ParamType::kBool, ErrorCode::kBadRequest},
      {"attributesToCrop", ParamType::kList, ErrorCode::kInvalidSearchAttributesToCrop},
      {"cropLength", ParamType::kUnsigned, ErrorCode::kInvalidSearchCropLength},
      {"cropMarker", ParamType::kString, ErrorCode::kBadRequest},
      {"attributesToHighlight", ParamType::kList, ErrorCode::kInvalidSearchAttributesToHighlight},
      {"filter", ParamType::kString, ErrorCode::kInvalidSearchFilter},
      {"sort", ParamType::kSortList, ErrorCode::kInvalidSearchSort},
      {"distinct", ParamType::kString, ErrorCode::kInvalidSearchDistinct},
      {"showMatchesPosition", ParamType::kBool, ErrorCode::kInvalidSearchShowMatchesPosition},
      {"showRankingScore", ParamType::kBool, ErrorCode::kInvalidSearchShowRankingScore},
      {"showRankingScoreDetails", ParamType::kBool,
       ErrorCode::kInvalidSearchShowRankingScoreDetails},
      {"showPerformanceDetails", ParamType::kBool, ErrorCode::kBadRequest},
      {"facets", ParamType::kList, ErrorCode::kInvalidSearchFacets},
      {"highlightPreTag", ParamType::kString, ErrorCode::kBadRequest},
      {"highlightPostTag", ParamType::kString, ErrorCode::kBadRequest},
      {"matchingStrategy", ParamType::kString, ErrorCode::kInvalidSearchMatchingStrategy},
      {"attributesToSearchOn", ParamType::kList, ErrorCode::kInvalidSearchAttributesToSearchOn},
      {"rankingScoreThreshold", ParamType::kFloat, ErrorCode::kInvalidSearchRankingScoreThreshold},
      {"locales", ParamType::kList, ErrorCode::kBadRequest},
  };
  return Convert(params, kSpecs);
}

Result<json> DocumentsQueryFromParams(const http::QueryParams& params) {
  static const std::vector<ParamSpec> kSpecs = {
      {"offset", ParamType::kUnsigned, ErrorCode::kInvalidDocumentOffset},
      {"limit", ParamType::kUnsigned, ErrorCode::kInvalidDocumentLimit},
      {"fields", ParamType::kList, ErrorCode::kInvalidDocumentFields},
      {"retrieveVectors", ParamType::kBool, ErrorCode::kBadRequest},
      {"filter", ParamType::kString, ErrorCode::kInvalidDocumentFilter},
      {"ids", ParamType::kList, ErrorCode::kInvalidDocumentIds},
      {"sort", ParamType::kList, ErrorCode::kInvalidDocumentSort},
  };
  return Convert(params, kSpecs);
}

}  // namespace miroir::meili
