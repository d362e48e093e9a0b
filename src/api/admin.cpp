// Miroir's own routes under /_miroir/ (admin key): the topology, where every
// shard lives, readiness and metrics.
#include "common.hpp"
#include "miroir/core/router.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

awaitable<http::Response> GetTopology(RequestContext& ctx) {
  auto topology = ctx.services.cluster.topology();
  OJson groups = OJson::array();
  for (size_t g = 0; g < topology->group_count(); ++g) {
    OJson nodes = OJson::array();
    for (NodeIndex n : topology->group_members(g)) {
      const NodeSpec& spec = topology->node(n);
      nodes.push_back(OJson{{"id", spec.id},
                            {"address", spec.address},
                            {"healthy", ctx.services.cluster.IsHealthy(n)},
                            {"draining", spec.draining}});
    }
    groups.push_back(OJson{{"id", topology->group_id(g)}, {"nodes", std::move(nodes)}});
  }
  OJson out;
  out["epoch"] = topology->epoch();
  out["replicationFactor"] = topology->replication_factor();
  out["shards"] = topology->spec().default_shards;
  out["groups"] = std::move(groups);
  co_return JsonResponse(200, out);
}

OJson ShardMap(const Services& services, const Topology& topology, uint32_t shard_count) {
  auto placement = topology.PlacementFor(shard_count);
  OJson shards = OJson::array();
  for (uint32_t s = 0; s < shard_count; ++s) {
    OJson groups = OJson::object();
    bool covered = false;
    for (size_t g = 0; g < topology.group_count(); ++g) {
      OJson owners = OJson::array();
      for (NodeIndex n : placement->Owners(g, s)) {
        owners.push_back(topology.node(n).id);
        covered |= services.cluster.IsHealthy(n);
      }
      groups[topology.group_id(g)] = std::move(owners);
    }
    shards.push_back(OJson{{"shard", s}, {"owners", std::move(groups)}, {"covered", covered}});
  }
  return shards;
}

awaitable<http::Response> GetShards(RequestContext& ctx) {
  auto topology = ctx.services.cluster.topology();
  OJson indexes = OJson::object();
  for (const auto& record : ctx.services.catalog.List()) {
    indexes[record.uid] = OJson{{"shardCount", record.shard_count},
                                {"shards", ShardMap(ctx.services, *topology, record.shard_count)}};
  }
  OJson out;
  out["epoch"] = topology->epoch();
  out["defaultShards"] =
      ShardMap(ctx.services, *topology, topology->spec().default_shards);
  out["indexes"] = std::move(indexes);
  co_return JsonResponse(200, out);
}

awaitable<http::Response> GetReady(RequestContext& ctx) {
  auto topology = ctx.services.cluster.topology();
  auto placement = topology->PlacementFor(topology->spec().default_shards);
  ReadPlan plan = PlanRead(*topology, *placement, ctx.services.cluster, 0);
  auto store_ok = co_await StoreLoadTopology(ctx.services);
  OJson out;
  out["shardsCovered"] = plan.missing_shards.empty();
  out["store"] = store_ok.has_value();
  const bool ready = plan.missing_shards.empty() && store_ok.has_value();
  out["status"] = ready ? "ready" : "unavailable";
  co_return JsonResponse(ready ? 200 : 503, out);
}

// The same exposition as the metrics port, for deployments that scrape the
// API port with the admin key.
awaitable<http::Response> GetMetrics(RequestContext& ctx) {
  http::Response r;
  r.status = 200;
  r.content_type = std::string(metrics::kTextContentType);
  r.body = ctx.services.metrics.Render();
  co_return r;
}

}  // namespace

void RegisterAdminRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/_miroir/topology", Access::kAdmin, "", GetTopology);
  routes.Add(http::Method::kGet, "/_miroir/shards", Access::kAdmin, "", GetShards);
  routes.Add(http::Method::kGet, "/_miroir/ready", Access::kAdmin, "", GetReady);
  routes.Add(http::Method::kGet, "/_miroir/metrics", Access::kAdmin, "", GetMetrics);
}

}  // namespace miroir::api
