// Search routes: /indexes/{uid}/search (GET and POST), /facet-search and
// /multi-search. Each reads over a covering set (read_plan.hpp): every chosen
// node gets one rewritten query (offset 0, enough hits, ranking scores, a
// shard filter when it holds shards it was not chosen for) and the answers
// are merged into one Meilisearch response (core/search_merge.hpp).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "miroir/core/crypto.hpp"
#include "miroir/core/facet_search.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/search_merge.hpp"
#include "miroir/core/search_rewrite.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/query_params.hpp"
#include "miroir/meili/request_body.hpp"
#include "index_ops.hpp"
#include "read_plan.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

std::string IndexPath(const std::string& uid, std::string_view rest) {
  return "/indexes/" + EncodeSegment(uid) + std::string(rest);
}

// A tenant token's rule filter is ANDed with the query's own filter the way
// Meilisearch fuses them: both as lists of AND-ed terms, the query's first.
void FuseTenantFilter(const TenantRule& rule, json& query) {
  if (!rule.filter || rule.filter->is_null()) return;
  const json& rule_filter = *rule.filter;
  if (!query.contains("filter") || query["filter"].is_null()) {
    query["filter"] = rule_filter;
    return;
  }
  json fused = query["filter"].is_array() ? query["filter"] : json::array({query["filter"]});
  if (rule_filter.is_array()) {
    for (const auto& term : rule_filter) fused.push_back(term);
  } else {
    fused.push_back(rule_filter);
  }
  query["filter"] = std::move(fused);
}

Result<std::string> ApplyTenantFilter(const Grant& grant, std::string body) {
  if (!grant.tenant_rule || !grant.tenant_rule->filter) return body;
  json query = json::parse(body, nullptr, false);
  if (!query.is_object()) return body;  // the node reports the malformed body
  FuseTenantFilter(*grant.tenant_rule, query);
  return query.dump();
}

// Multi-search with a tenant token: each query gets the rule of its index.
// Queries the token does not allow are left alone; their error comes later,
// naming the query.
std::string ApplyTenantFilters(const Authenticator& auth, std::string_view authorization,
                               std::string body) {
  if (authorization.find('.') == std::string_view::npos) return body;  // not a JWT
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("queries") || !parsed["queries"].is_array()) {
    return body;
  }
  bool changed = false;
  for (auto& query : parsed["queries"]) {
    if (!query.is_object() || !query.contains("indexUid") || !query["indexUid"].is_string()) {
      continue;
    }
    auto granted = auth.Authorize(authorization, "search", query["indexUid"].get<std::string>());
    if (!granted || !granted->tenant_rule || !granted->tenant_rule->filter) continue;
    FuseTenantFilter(*granted->tenant_rule, query);
    changed = true;
  }
  return changed ? parsed.dump() : body;
}

// Every search answer carries its own request uid, as Meilisearch's do.
MergeOptions FreshMergeOptions() {
  MergeOptions options;
  options.request_uid = crypto::FastUuidV4();
  return options;
}

http::Response Finish(Result<std::string> merged, bool degraded) {
  if (!merged) return ErrorResponse(merged.error());
  http::Response r = http::Response::Json(200, std::move(*merged));
  if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
  return r;
}

// A client body naming Miroir's reserved fields is sent masked (see
// MaskReservedNames); the nodes' errors then name the masked spelling.
bool MaskReserved(std::string* body) {
  auto masked = MaskReservedNames(*body);
  if (!masked) return false;
  *body = std::move(*masked);
  return true;
}

http::Response Unmasked(http::Response r, bool masked) {
  if (masked && r.status >= 400) r.body = filter::UnmaskReservedNames(std::move(r.body));
  return r;
}

using NodeBodyBuilder = std::function<std::string(const std::vector<uint32_t>* shards)>;
using ResponseMerger = std::function<Result<std::string>(std::vector<NodeResult>& results)>;

// Search and facet search once the request is analyzed: one that needs no
// merging (`passthrough`) goes to one node as it is; otherwise each node of
// the covering set gets `node_body(its shards)`, and the answers are merged
// by `merge`.
awaitable<http::Response> AnswerSearch(RequestContext& ctx, const IndexRead& read,
                                       const std::string& target, const std::string& body,
                                       bool passthrough, bool masked,
                                       const NodeBodyBuilder& node_body,
                                       const ResponseMerger& merge) {
  const auto timeout = ctx.services.options.search_timeout;
  if (passthrough) {
    http::Response forwarded = co_await ForwardToOneNode(
        ctx.services, MakeRequest(http::Method::kPost, target, body, timeout));
    co_return Unmasked(std::move(forwarded), masked);
  }
  const NodeRequestBuilder build = [&](const std::vector<uint32_t>* shards) {
    return MakeRequest(http::Method::kPost, target, node_body(shards), timeout);
  };
  auto outcome = co_await ExecuteRead(ctx.services, read, build);
  if (!outcome) co_return ErrorResponse(outcome.error());
  if (outcome->client_error) co_return Unmasked(*outcome->client_error, masked);
  auto merged = MergeReadable(ctx.services, *read.topology, *outcome, merge);
  co_return Finish(std::move(merged), outcome->degraded);
}

awaitable<http::Response> Search(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  std::string body;
  if (ctx.request.method == http::Method::kGet) {
    auto converted = meili::SearchQueryFromParams(ctx.query);
    if (!converted) co_return ErrorResponse(converted.error());
    body = converted->dump();
  } else {
    if (auto ok = meili::CheckJsonBody(ctx.request); !ok) co_return ErrorResponse(ok.error());
    body = ctx.request.body;
  }
  auto filtered = ApplyTenantFilter(ctx.grant, std::move(body));
  if (!filtered) co_return ErrorResponse(filtered.error());
  body = std::move(*filtered);
  const bool masked = MaskReserved(&body);

  auto read = PlanIndexRead(ctx.services, uid, false, QueryRotation(body));
  if (!read) co_return ErrorResponse(read.error());
  auto settings = co_await SearchSettingsFor(ctx.services, uid);
  auto info = AnalyzeSearchRequest(body, *settings);
  if (!info) co_return ErrorResponse(info.error());
  const NodeBodyBuilder node_body = [&](const std::vector<uint32_t>* shards) {
    return BuildNodeSearchBody(*info, body, shards);
  };
  const ResponseMerger merge = [&](std::vector<NodeResult>& results) {
    return MergeSearchResponses(*info, results, FreshMergeOptions());
  };
  co_return co_await AnswerSearch(ctx, *read, IndexPath(uid, "/search"), body,
                                  info->passthrough, masked, node_body, merge);
}

awaitable<http::Response> FacetSearch(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  if (auto ok = meili::CheckJsonBody(ctx.request); !ok) co_return ErrorResponse(ok.error());
  auto filtered = ApplyTenantFilter(ctx.grant, ctx.request.body);
  if (!filtered) co_return ErrorResponse(filtered.error());
  std::string body = std::move(*filtered);
  const bool masked = MaskReserved(&body);
  auto read = PlanIndexRead(ctx.services, uid);
  if (!read) co_return ErrorResponse(read.error());
  auto settings = co_await SearchSettingsFor(ctx.services, uid);
  auto info = AnalyzeFacetSearchRequest(body, *settings);
  if (!info) co_return ErrorResponse(info.error());
  const NodeBodyBuilder node_body = [&](const std::vector<uint32_t>* shards) {
    return BuildNodeFacetSearchBody(*info, body, shards);
  };
  const ResponseMerger merge = [&](std::vector<NodeResult>& results) {
    return MergeFacetSearchResponses(*info, results);
  };
  co_return co_await AnswerSearch(ctx, *read, IndexPath(uid, "/facet-search"), body,
                                  info->passthrough, masked, node_body, merge);
}

awaitable<http::Response> MultiSearch(RequestContext& ctx) {
  const std::string_view authorization = ctx.request.headers.Get("authorization");
  // The key first, before the body is read, as Meilisearch checks it.
  if (auto granted = ctx.services.auth.Authorize(authorization, "search", std::nullopt);
      !granted) {
    co_return ErrorResponse(granted.error());
  }
  if (auto ok = meili::CheckJsonBody(ctx.request); !ok) co_return ErrorResponse(ok.error());
  std::string body = ApplyTenantFilters(ctx.services.auth, authorization, ctx.request.body);
  const bool masked = MaskReserved(&body);

  // Settings of every index named, loaded before the (synchronous) analysis.
  std::map<std::string, std::shared_ptr<const IndexSearchSettings>> settings;
  {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_object() && parsed.contains("queries") && parsed["queries"].is_array()) {
      if (parsed["queries"].size() > ctx.services.options.max_multi_search_queries) {
        co_return ErrorResponse(
            Error(ErrorCode::kMiroirLimitExceeded,
                  "The request holds " + std::to_string(parsed["queries"].size()) +
                      " queries, more than the limit of " +
                      std::to_string(ctx.services.options.max_multi_search_queries) +
                      " (limits.max_multi_search_queries)."));
      }
      for (const auto& q : parsed["queries"]) {
        if (q.is_object() && q.contains("indexUid") && q["indexUid"].is_string()) {
          std::string uid = q["indexUid"].get<std::string>();
          if (settings.count(uid)) continue;
          if (auto learned = co_await LearnIndex(ctx.services, uid); !learned) {
            co_return ErrorResponse(learned.error());
          }
          if (ctx.services.catalog.Get(uid)) {
            settings[uid] = co_await SearchSettingsFor(ctx.services, uid);
          }
        }
      }
    }
  }
  auto info = AnalyzeMultiSearchRequest(body, [&](std::string_view uid) -> const IndexSearchSettings* {
    auto it = settings.find(std::string(uid));
    return it == settings.end() ? nullptr : it->second.get();
  });
  if (!info) co_return ErrorResponse(info.error());
  if (info->passthrough) {
    http::Response forwarded = co_await ForwardToOneNode(
        ctx.services, MakeRequest(http::Method::kPost, "/multi-search", body,
                                  ctx.services.options.search_timeout));
    co_return Unmasked(std::move(forwarded), masked);
  }

  // Per query: its index's key check (errors name the query) and its plan.
  std::vector<IndexRead> reads;
  for (size_t i = 0; i < info->queries.size(); ++i) {
    const std::string& uid = info->queries[i].index_uid;
    auto granted = ctx.services.auth.Authorize(authorization, "search", uid);
    if (!granted) {
      Error e = granted.error();
      e.message = "Inside `.queries[" + std::to_string(i) + "]`: " + e.message;
      co_return ErrorResponse(e);
    }
    auto read = PlanIndexRead(ctx.services, uid);
    if (!read) {
      Error e = read.error();
      e.message = "Inside `.queries[" + std::to_string(i) + "]`: " + e.message;
      co_return ErrorResponse(e);
    }
    reads.push_back(std::move(*read));
  }

  // One /multi-search per node, carrying every query with that node's shards.
  auto topology = ctx.services.cluster.topology();
  std::map<NodeIndex, std::vector<std::optional<std::vector<uint32_t>>>> per_node;
  bool degraded = false;
  for (size_t i = 0; i < reads.size(); ++i) {
    if (!reads[i].plan.missing_shards.empty()) {
      if (!ctx.services.options.partial_results) {
        co_return ErrorResponse(Error(ErrorCode::kMiroirShardUnavailable,
                                      "Index `" + reads[i].record.uid +
                                          "` has shards with no reachable replica."));
      }
      degraded = true;
    }
    for (const auto& target : reads[i].plan.targets) {
      auto& slots = per_node[target.node];
      slots.resize(reads.size(), std::vector<uint32_t>{});
      if (target.needs_shard_filter) {
        slots[i] = target.shards;
      } else {
        slots[i] = std::nullopt;
      }
    }
  }
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (auto& [node, slots] : per_node) {
    std::vector<const std::vector<uint32_t>*> pointers;
    for (auto& slot : slots) pointers.push_back(slot ? &*slot : nullptr);
    requests.emplace_back(
        node, MakeRequest(http::Method::kPost, "/multi-search",
                          BuildNodeMultiSearchBody(*info, body, pointers),
                          ctx.services.options.search_timeout));
  }
  auto replies = co_await SendToNodes(ctx.services, *topology, std::move(requests));
  std::vector<NodeResult> results;
  uint32_t order = 0;
  for (const auto& r : replies) {
    if (!r.result.ok() || r.result.response.status >= 500) {
      if (!r.result.ok()) ctx.services.cluster.SetHealthy(topology->node(r.node).id, false);
      if (!ctx.services.options.partial_results) {
        co_return ErrorResponse(NodeError(topology->node(r.node).id, r.result));
      }
      degraded = true;
      continue;
    }
    if (r.result.response.status >= 400) {
      co_return Unmasked(RelayNodeResponse(r.result), masked);
    }
    NodeResult result;
    result.body.reserve(r.result.response.body.size() + kNodeBodyPadding);
    result.body = r.result.response.body;
    result.node_order = order++;
    results.push_back(std::move(result));
  }
  co_return Finish(MergeMultiSearchResponses(*info, results, FreshMergeOptions()), degraded);
}

}  // namespace

void RegisterSearchRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/indexes/{index}/search", Access::kAction, "search", Search);
  routes.Add(http::Method::kPost, "/indexes/{index}/search", Access::kAction, "search", Search);
  routes.Add(http::Method::kPost, "/indexes/{index}/facet-search", Access::kAction, "search",
             FacetSearch);
  routes.Add(http::Method::kPost, "/multi-search", Access::kHandler, "search", MultiSearch);
}

}  // namespace miroir::api
