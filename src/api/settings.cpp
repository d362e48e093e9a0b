// /indexes/{uid}/settings and its sub-routes. Updates go to every node; reads
// come from one healthy node. Miroir keeps its reserved fields filterable and
// hides them from what clients read back.
#include "index_ops.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/request_body.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

// "filterable-attributes" -> "filterableAttributes".
std::string CamelCase(std::string_view kebab) {
  std::string out;
  bool upper = false;
  for (char c : kebab) {
    if (c == '-') {
      upper = true;
    } else {
      out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
      upper = false;
    }
  }
  return out;
}

// Removes Miroir's reserved fields from a filterableAttributes value: plain
// names, and names inside the granular form's attributePatterns.
OJson HideReserved(const OJson& filterable) {
  if (!filterable.is_array()) return filterable;
  OJson out = OJson::array();
  for (const auto& entry : filterable) {
    if (entry.is_string() && IsReservedField(entry.get<std::string>())) continue;
    if (entry.is_object() && entry.contains("attributePatterns") &&
        entry["attributePatterns"].is_array()) {
      OJson copy = entry;
      OJson patterns = OJson::array();
      for (const auto& p : entry["attributePatterns"]) {
        if (!(p.is_string() && IsReservedField(p.get<std::string>()))) patterns.push_back(p);
      }
      if (patterns.empty()) continue;
      copy["attributePatterns"] = std::move(patterns);
      out.push_back(std::move(copy));
      continue;
    }
    out.push_back(entry);
  }
  return out;
}

Result<std::string> CheckedIndex(const RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) return meili::InvalidIndexUidError(uid);
  return uid;
}

awaitable<http::Response> GetSettings(RequestContext& ctx) {
  auto uid = CheckedIndex(ctx);
  if (!uid) co_return ErrorResponse(uid.error());
  if (!ctx.services.catalog.Get(*uid)) co_return ErrorResponse(meili::IndexNotFoundError(*uid));
  const std::string sub = ctx.params.size() > 1 ? ctx.params[1] : "";
  auto topology = ctx.services.cluster.topology();
  std::string target = "/indexes/" + EncodeSegment(*uid) + "/settings";
  if (!sub.empty()) target += "/" + EncodeSegment(sub);
  http::UpstreamResult last;
  for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
    if (!ctx.services.cluster.IsHealthy(n)) continue;
    last = co_await SendToNode(
        ctx.services, *topology, n,
        MakeRequest(http::Method::kGet, target, "", ctx.services.options.search_timeout));
    if (!last.ok() || last.response.status >= 500) continue;
    if (last.response.status != 200) co_return RelayNodeResponse(last);
    auto body = OJson::parse(last.response.body, nullptr, false);
    if (body.is_discarded()) continue;
    if (sub.empty() && body.contains("filterableAttributes")) {
      body["filterableAttributes"] = HideReserved(body["filterableAttributes"]);
    } else if (sub == "filterable-attributes") {
      body = HideReserved(body);
    }
    co_return JsonResponse(200, body);
  }
  co_return ErrorResponse(Error(ErrorCode::kMiroirShardUnavailable,
                                "No node could answer for index `" + *uid + "`."));
}

// Sends one settings change to every node and records the task.
awaitable<http::Response> UpdateSettings(RequestContext& ctx, http::Method method,
                                         const std::string& target, const json& node_body,
                                         const OJson& details) {
  const std::string& uid = ctx.params[0];
  auto topology = ctx.services.cluster.topology();
  std::vector<NodeReply> replies;
  const bool known = ctx.services.catalog.Get(uid).has_value();
  // Built before the co_await: GCC 12 mishandles temporaries of a ?: inside
  // a co_await expression (destroying one twice).
  std::string body_text;
  if (!node_body.is_null()) body_text = node_body.dump();
  const http::UpstreamRequest request =
      MakeRequest(method, target, std::move(body_text), ctx.services.options.write_timeout);
  replies = co_await Broadcast(ctx.services, *topology, request);
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, replies, degraded)) {
    // A node's validation error is the client's error: relay it.
    for (const auto& r : replies) {
      if (IsNodeClientError(r.result)) co_return RelayNodeResponse(r.result);
    }
    co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                  "The settings of `" + uid + "` could not be updated on enough "
                                  "nodes."));
  }
  // The merge reads the new settings again (the nodes apply them with the task).
  ctx.services.catalog.InvalidateSearchSettings(uid);
  auto tasks = NodeTasks(*topology, replies);
  // A reset of filterable attributes (or of everything) must keep Miroir's
  // own fields filterable, and a settings update that created the index
  // must make them so too.
  const bool resets_filterable =
      method == http::Method::kDelete &&
      (target.ends_with("/settings") || target.ends_with("/filterable-attributes"));
  const bool creates_index = !known;
  if (resets_filterable || (creates_index && !(node_body.is_object() &&
                                               node_body.contains("filterableAttributes")))) {
    json fix = {{"filterableAttributes",
                 FilterableWithReserved(json(), ctx.services.options.anti_entropy)}};
    auto fixes = co_await Broadcast(
        ctx.services, *topology,
        MakeRequest(http::Method::kPatch, "/indexes/" + EncodeSegment(uid) + "/settings",
                    fix.dump(), ctx.services.options.write_timeout));
    bool fix_degraded = false;
    if (!BroadcastReachedQuorum(*topology, fixes, fix_degraded)) {
      co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                    "The settings of `" + uid +
                                        "` could not be updated on enough nodes."));
    }
    degraded |= fix_degraded;
    for (auto& t : NodeTasks(*topology, fixes)) tasks.push_back(t);
  }
  if (creates_index) {
    store::IndexRecord record;
    record.uid = uid;
    record.shard_count = ctx.services.options.default_shards;
    record.created_at = record.updated_at = NowMicros();
    if (auto saved = co_await RegisterIndex(ctx.services, std::move(record)); !saved) {
      co_return ErrorResponse(saved.error());
    }
  }
  co_return co_await AcceptTask(ctx.services, uid, "settingsUpdate", details, tasks, degraded);
}

awaitable<http::Response> ChangeSettings(RequestContext& ctx) {
  auto uid = CheckedIndex(ctx);
  if (!uid) co_return ErrorResponse(uid.error());
  const std::string sub = ctx.params.size() > 1 ? ctx.params[1] : "";
  std::string target = "/indexes/" + EncodeSegment(*uid) + "/settings";
  if (!sub.empty()) target += "/" + EncodeSegment(sub);
  const http::Method method = ctx.request.method;
  const bool anti_entropy = ctx.services.options.anti_entropy;

  if (method == http::Method::kDelete) {
    OJson details;
    if (sub.empty()) {
      for (const char* key :
           {"displayedAttributes", "searchableAttributes", "filterableAttributes",
            "sortableAttributes", "rankingRules", "stopWords", "nonSeparatorTokens",
            "separatorTokens", "dictionary", "synonyms", "distinctAttribute",
            "proximityPrecision", "typoTolerance", "faceting", "pagination", "embedders",
            "searchCutoffMs", "localizedAttributes", "facetSearch", "prefixSearch"}) {
        details[key] = nullptr;
      }
    } else {
      details[CamelCase(sub)] = nullptr;
    }
    co_return co_await UpdateSettings(ctx, method, target, json(), details);
  }

  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  json node_body = *body;
  OJson details;
  if (sub.empty()) {
    details = OJson(*body);
    if (node_body.is_object() && node_body.contains("filterableAttributes")) {
      node_body["filterableAttributes"] =
          FilterableWithReserved(node_body["filterableAttributes"], anti_entropy);
    }
  } else {
    details[CamelCase(sub)] = OJson(*body);
    if (sub == "filterable-attributes") node_body = FilterableWithReserved(node_body, anti_entropy);
  }
  co_return co_await UpdateSettings(ctx, method, target, node_body, details);
}

}  // namespace

void RegisterSettingsRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/indexes/{index}/settings", Access::kAction, "settings.get",
             GetSettings);
  routes.Add(http::Method::kPatch, "/indexes/{index}/settings", Access::kAction,
             "settings.update", ChangeSettings);
  routes.Add(http::Method::kDelete, "/indexes/{index}/settings", Access::kAction,
             "settings.update", ChangeSettings);
  routes.Add(http::Method::kGet, "/indexes/{index}/settings/{setting}", Access::kAction,
             "settings.get", GetSettings);
  // Meilisearch takes PUT for most sub-settings and PATCH for the object ones;
  // the nodes enforce which, and Miroir relays their answer.
  for (auto method : {http::Method::kPut, http::Method::kPatch, http::Method::kDelete}) {
    routes.Add(method, "/indexes/{index}/settings/{setting}", Access::kAction, "settings.update",
               ChangeSettings);
  }
}

}  // namespace miroir::api
