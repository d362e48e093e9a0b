// GET /indexes/{uid}/stats and GET /stats. Counts come from one replica
// group: every document lives on exactly RF nodes of a group, so the sum over
// the group's nodes divided by RF is exact — never a sum over replicas.
#include "common.hpp"
#include "read_plan.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/meili/index_requests.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

struct IndexStats {
  OJson body;
  bool degraded = false;
};

// Picks the first group (from a rotation) whose nodes are all healthy, or
// the group with the most healthy nodes.
size_t PickGroup(const Services& services, const Topology& topology) {
  size_t best = 0, best_healthy = 0;
  const size_t start = services.cluster.NextRotation() % topology.group_count();
  for (size_t i = 0; i < topology.group_count(); ++i) {
    size_t g = (start + i) % topology.group_count();
    size_t healthy = 0;
    for (NodeIndex n : topology.group_members(g)) healthy += services.cluster.IsHealthy(n);
    if (healthy == topology.group_members(g).size()) return g;
    if (healthy > best_healthy) {
      best = g;
      best_healthy = healthy;
    }
  }
  return best;
}

// The number of documents of an index, summed over one replica per shard.
// A filtered document fetch answers an exact `total` (search totals are
// capped by maxTotalHits, facet counts by maxValuesPerFacet).
awaitable<std::optional<uint64_t>> CountOverCoveringSet(Services& services,
                                                        const std::string& uid) {
  auto read = PlanIndexRead(services, uid);
  if (!read || !read->plan.missing_shards.empty()) co_return std::nullopt;
  const std::string target = "/indexes/" + EncodeSegment(uid) + "/documents/fetch";
  const NodeRequestBuilder build = [&](const std::vector<uint32_t>* shards) {
    json query = {{"limit", 0}, {"fields", json::array({kShardField})}};
    if (shards) query["filter"] = ShardFilterExpression(*shards);
    return MakeRequest(http::Method::kPost, target, query.dump(),
                       services.options.search_timeout);
  };
  auto outcome = co_await ExecuteRead(services, *read, build);
  if (!outcome || outcome->client_error || outcome->degraded) co_return std::nullopt;
  uint64_t total = 0;
  for (const auto& result : outcome->results) {
    auto body = json::parse(result.body, nullptr, false);
    if (!body.is_object() || !body["total"].is_number_unsigned()) co_return std::nullopt;
    total += body["total"].get<uint64_t>();
  }
  co_return total;
}

awaitable<Result<IndexStats>> ComputeIndexStats(Services& services, const std::string& uid) {
  auto topology = services.cluster.topology();
  size_t g = PickGroup(services, *topology);
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (NodeIndex n : topology->group_members(g)) {
    requests.emplace_back(n, MakeRequest(http::Method::kGet,
                                         "/indexes/" + EncodeSegment(uid) + "/stats", "",
                                         services.options.search_timeout));
  }
  auto replies = co_await SendToNodes(services, *topology, std::move(requests));
  IndexStats out;
  uint64_t documents = 0, raw_size = 0, embeddings = 0, embedded = 0;
  bool indexing = false;
  std::map<std::string, uint64_t> fields;
  for (const auto& r : replies) {
    if (!r.result.ok() || r.result.response.status != 200) {
      if (IsNodeClientError(r.result)) co_return Error(meili::IndexNotFoundError(uid));
      out.degraded = true;
      continue;
    }
    auto s = json::parse(r.result.response.body, nullptr, false);
    if (!s.is_object()) {
      out.degraded = true;
      continue;
    }
    documents += s.value("numberOfDocuments", uint64_t{0});
    raw_size += s.value("rawDocumentDbSize", uint64_t{0});
    embeddings += s.value("numberOfEmbeddings", uint64_t{0});
    embedded += s.value("numberOfEmbeddedDocuments", uint64_t{0});
    indexing |= s.value("isIndexing", false);
    if (s.contains("fieldDistribution") && s["fieldDistribution"].is_object()) {
      for (const auto& [field, count] : s["fieldDistribution"].items()) {
        if (!IsReservedField(field) && count.is_number_unsigned()) {
          fields[field] += count.get<uint64_t>();
        }
      }
    }
  }
  const uint64_t rf = topology->replication_factor();
  documents /= rf;
  if (out.degraded) {
    // Some node of the group did not answer: count the documents over a
    // covering set instead (other replicas, other groups).
    if (auto counted = co_await CountOverCoveringSet(services, uid)) {
      documents = *counted;
    }
  }
  raw_size /= rf;
  OJson body;
  body["numberOfDocuments"] = documents;
  body["rawDocumentDbSize"] = raw_size;
  body["avgDocumentSize"] = documents ? raw_size / documents : 0;
  body["isIndexing"] = indexing;
  body["numberOfEmbeddings"] = embeddings / rf;
  body["numberOfEmbeddedDocuments"] = embedded / rf;
  OJson distribution = OJson::object();
  for (const auto& [field, count] : fields) distribution[field] = count / rf;
  body["fieldDistribution"] = std::move(distribution);
  out.body = std::move(body);
  co_return out;
}

awaitable<http::Response> GetIndexStats(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  if (!ctx.services.catalog.Get(uid)) co_return ErrorResponse(meili::IndexNotFoundError(uid));
  auto stats = co_await ComputeIndexStats(ctx.services, uid);
  if (!stats) co_return ErrorResponse(stats.error());
  http::Response r = JsonResponse(200, stats->body);
  if (stats->degraded) r.headers.Add("X-Miroir-Degraded", "true");
  co_return r;
}

awaitable<http::Response> GetGlobalStats(RequestContext& ctx) {
  OJson indexes = OJson::object();
  uint64_t database_size = 0;
  bool degraded = false;
  std::optional<SystemTime> last_update;
  for (const auto& record : ctx.services.catalog.List()) {
    auto stats = co_await ComputeIndexStats(ctx.services, record.uid);
    if (!stats) {
      degraded = true;
      continue;
    }
    degraded |= stats->degraded;
    database_size += stats->body.value("rawDocumentDbSize", uint64_t{0});
    indexes[record.uid] = std::move(stats->body);
    if (!last_update || record.updated_at > *last_update) last_update = record.updated_at;
  }
  OJson out;
  out["databaseSize"] = database_size;
  out["usedDatabaseSize"] = database_size;
  out["lastUpdate"] = last_update ? OJson(FormatRfc3339(*last_update)) : OJson(nullptr);
  out["indexes"] = std::move(indexes);
  http::Response r = JsonResponse(200, out);
  if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
  co_return r;
}

}  // namespace

void RegisterStatsRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/stats", Access::kAction, "stats.get", GetGlobalStats);
  routes.Add(http::Method::kGet, "/indexes/{index}/stats", Access::kAction, "stats.get",
             GetIndexStats);
}

}  // namespace miroir::api
