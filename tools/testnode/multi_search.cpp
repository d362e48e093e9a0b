#include "multi_search.hpp"

#include <algorithm>
#include <cmath>

#include "miroir/core/json_errors.hpp"

namespace miroir::testnode {
namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;

Error Inside(size_t i, const Error& e) {
  Error out = e;
  out.message = "Inside `.queries[" + std::to_string(i) + "]`: " + e.message;
  return out;
}

struct FederatedHit {
  OJson hit;
  double weighted_score;
  size_t query_position;
  size_t rank;  // position within its own query's results
};

Result<uint64_t> FederationNumber(const json& federation, const char* key, uint64_t fallback) {
  if (!federation.contains(key) || federation[key].is_null()) return fallback;
  const json& v = federation[key];
  if (!v.is_number_unsigned()) {
    return json_errors::InvalidType(ErrorCode::kInvalidMultiSearchFederated,
                                    std::string(".federation.") + key, "a positive integer", v);
  }
  return v.get<uint64_t>();
}

}  // namespace

Result<OJson> MultiSearch(const json& body, const MultiSearchAuthorizer& authorize,
                          const MultiSearchSearcher& search) {
  if (!body.is_object()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, "", "an object", body);
  }
  if (!body.contains("queries")) return json_errors::MissingField(ErrorCode::kBadRequest, "queries");
  const json& queries = body["queries"];
  if (!queries.is_array()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, ".queries", "an array", queries);
  }
  const bool federated = body.contains("federation") && !body["federation"].is_null();
  const json federation = federated ? body["federation"] : json::object();
  if (federated && !federation.is_object()) {
    return json_errors::InvalidType(ErrorCode::kInvalidMultiSearchFederated, ".federation",
                                    "an object", federation);
  }

  // Validate every query and its permissions before running any.
  for (size_t i = 0; i < queries.size(); ++i) {
    const json& q = queries[i];
    if (!q.is_object()) {
      return json_errors::InvalidType(ErrorCode::kBadRequest,
                                      ".queries[" + std::to_string(i) + "]", "an object", q);
    }
    if (!q.contains("indexUid")) {
      return Inside(i, json_errors::MissingField(ErrorCode::kMissingIndexUid, "indexUid"));
    }
    if (!q["indexUid"].is_string()) {
      return Inside(i, json_errors::InvalidType(ErrorCode::kInvalidIndexUid, ".indexUid",
                                                "a string", q["indexUid"]));
    }
    if (auto allowed = authorize(q["indexUid"].get<std::string>()); !allowed) {
      return Inside(i, allowed.error());
    }
    if (!federated && q.contains("federationOptions")) {
      return Inside(i, Error(ErrorCode::kInvalidMultiSearchFederationOptions,
                             "Using `federationOptions` is not allowed in a non-federated "
                             "search.\n - Hint: remove `federationOptions` from query #" +
                                 std::to_string(i) + " or add `federation` to the request."));
    }
    if (federated) {
      for (const char* key : {"offset", "limit", "page", "hitsPerPage"}) {
        if (q.contains(key)) {
          return Inside(i, Error(ErrorCode::kInvalidMultiSearchQueryPagination,
                                 "Using pagination options is not allowed in federated "
                                 "queries.\n - Hint: remove `" +
                                     std::string(key) + "` from query #" + std::to_string(i) +
                                     " or remove `federation` from the request\n - Hint: pass "
                                     "`federation.limit` and `federation.offset` for pagination "
                                     "in federated search"));
        }
      }
      if (q.contains("facets")) {
        return Inside(i, Error(ErrorCode::kInvalidMultiSearchQueryFacets,
                               "Using facet options is not allowed in federated queries.\n - "
                               "Hint: remove `facets` from query #" +
                                   std::to_string(i) +
                                   " or remove `federation` from the request\n - Hint: pass "
                                   "`federation.facetsByIndex.INDEX_UID: [\"ATTRIBUTE\"]` "
                                   "for facets in federated search"));
      }
    }
  }

  if (!federated) {
    OJson results = OJson::array();
    for (size_t i = 0; i < queries.size(); ++i) {
      json q = queries[i];
      const std::string uid = q["indexUid"].get<std::string>();
      q.erase("indexUid");
      auto r = search(uid, q);
      if (!r) return Inside(i, r.error());
      OJson entry;
      entry["indexUid"] = uid;
      for (auto& [k, v] : r->items()) entry[k] = std::move(v);
      results.push_back(std::move(entry));
    }
    return OJson{{"results", std::move(results)}};
  }

  MIROIR_ASSIGN_OR_RETURN(uint64_t offset, FederationNumber(federation, "offset", 0));
  MIROIR_ASSIGN_OR_RETURN(uint64_t limit, FederationNumber(federation, "limit", 20));
  MIROIR_ASSIGN_OR_RETURN(uint64_t page, FederationNumber(federation, "page", 0));
  MIROIR_ASSIGN_OR_RETURN(uint64_t hits_per_page, FederationNumber(federation, "hitsPerPage", 0));
  const bool page_mode = federation.contains("page") || federation.contains("hitsPerPage");
  if (page_mode) {
    if (!federation.contains("page")) page = 1;
    if (!federation.contains("hitsPerPage")) hits_per_page = 20;
    offset = page == 0 ? 0 : (page - 1) * hits_per_page;
    limit = page == 0 ? 0 : hits_per_page;
  }

  std::vector<FederatedHit> merged;
  uint64_t total = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    json q = queries[i];
    const std::string uid = q["indexUid"].get<std::string>();
    double weight = 1.0;
    if (q.contains("federationOptions") && q["federationOptions"].is_object()) {
      const json& w = q["federationOptions"].value("weight", json(1.0));
      if (!w.is_number() || w.get<double>() < 0) {
        return Inside(i, json_errors::InvalidType(ErrorCode::kInvalidMultiSearchWeight,
                                                  ".federationOptions.weight",
                                                  "a positive number", w));
      }
      weight = w.get<double>();
    }
    const bool wants_score = q.value("showRankingScore", false);
    q.erase("indexUid");
    q.erase("federationOptions");
    q["offset"] = 0;
    q["limit"] = offset + limit;
    q["showRankingScore"] = true;
    auto r = search(uid, q);
    if (!r) return Inside(i, r.error());
    total += r->value("estimatedTotalHits", uint64_t{0});
    size_t rank = 0;
    for (auto& hit : (*r)["hits"]) {
      double score = hit.value("_rankingScore", 1.0);
      if (!wants_score) hit.erase("_rankingScore");
      OJson fed;
      fed["indexUid"] = uid;
      fed["queriesPosition"] = i;
      fed["weightedRankingScore"] = score * weight;
      hit["_federation"] = std::move(fed);
      merged.push_back({std::move(hit), score * weight, i, rank++});
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const FederatedHit& a, const FederatedHit& b) {
    if (a.weighted_score != b.weighted_score) return a.weighted_score > b.weighted_score;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.query_position < b.query_position;
  });
  OJson hits = OJson::array();
  for (size_t k = offset; k < merged.size() && hits.size() < limit; ++k) {
    hits.push_back(std::move(merged[k].hit));
  }
  OJson out;
  out["hits"] = std::move(hits);
  out["processingTimeMs"] = 0;
  if (page_mode) {
    out["hitsPerPage"] = hits_per_page;
    out["page"] = page;
    out["totalPages"] = hits_per_page == 0 ? 0 : (total + hits_per_page - 1) / hits_per_page;
    out["totalHits"] = total;
  } else {
    out["limit"] = limit;
    out["offset"] = offset;
    out["estimatedTotalHits"] = total;
  }
  return out;
}

}  // namespace miroir::testnode
