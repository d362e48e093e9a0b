// Miroir's own routes under /_miroir/ (admin key): the topology and the live
// Miroir instances, where every shard lives, readiness and metrics, and the
// topology changes the migration coordinator carries out.
#include <functional>

#include "common.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/router.hpp"
#include "miroir/core/topology_change.hpp"
#include "miroir/meili/request_body.hpp"
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
  if (topology->migrating()) {
    const MigrationSpec& m = *topology->spec().migration;
    out["migration"] = OJson{{"description", m.description},
                             {"state", MigrationStateName(m.state)}};
  } else {
    out["migration"] = nullptr;
  }
  OJson instances = OJson::array();
  if (ctx.services.live_instances) {
    for (const auto& i : ctx.services.live_instances()) {
      instances.push_back(OJson{{"id", i.id},
                                {"address", i.address},
                                {"topologyEpoch", i.topology_epoch},
                                {"startedAt", FormatRfc3339(i.started_at)}});
    }
  }
  out["instances"] = std::move(instances);
  co_return JsonResponse(200, out);
}

OJson ShardMap(const Services& services, const Topology& topology, const std::string& uid,
               uint32_t shard_count) {
  auto placement = topology.PlacementFor(uid, shard_count);
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
    indexes[record.uid] =
        OJson{{"shardCount", record.shard_count},
              {"shards", ShardMap(ctx.services, *topology, record.uid, record.shard_count)}};
  }
  OJson out;
  out["epoch"] = topology->epoch();
  out["defaultShards"] =
      ShardMap(ctx.services, *topology, "", topology->spec().default_shards);
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

// --- topology changes (ARCHITECTURE §3; workers/migration_coordinator.hpp) ---

// Runs `fn` on the coordinator from a store thread (its calls block on the
// store) and answers `code` with the status it returns.
awaitable<http::Response> CallChanger(RequestContext& ctx,
                                      std::function<Result<json>(TopologyChanger&)> fn,
                                      unsigned code) {
  TopologyChanger* changer = ctx.services.topology_changer;
  if (changer == nullptr) {
    co_return ErrorResponse(
        Error(ErrorCode::kMiroirUnsupported, "Topology changes are not enabled on this instance."));
  }
  auto call = [changer, fn = std::move(fn)](store::Store&) { return fn(*changer); };
  auto status = co_await ctx.services.store.Run(std::move(call));
  if (!status) co_return ErrorResponse(status.error());
  co_return JsonResponse(code, OJson::parse(status->dump()));
}

Error BadChange(const std::string& message) {
  return Error(ErrorCode::kMiroirInvalidTopologyChange, message);
}

// A required non-empty string member of a JSON object body.
Result<std::string> RequiredString(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
    return BadChange(std::string("`") + name + "` must be a non-empty string.");
  }
  return it->get<std::string>();
}

awaitable<http::Response> ChangeTopology(RequestContext& ctx, TopologyChange change) {
  std::function<Result<json>(TopologyChanger&)> begin =
      [change = std::move(change)](TopologyChanger& c) { return c.Begin(change); };
  co_return co_await CallChanger(ctx, std::move(begin), 202);
}

awaitable<http::Response> AddNode(RequestContext& ctx) {
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  if (!body->is_object()) co_return ErrorResponse(BadChange("The body must be a JSON object."));
  TopologyChange change;
  change.kind = TopologyChange::Kind::kAddNode;
  auto id = RequiredString(*body, "id");
  auto address = RequiredString(*body, "address");
  auto group = RequiredString(*body, "group");
  for (const auto* r : {&id, &address, &group}) {
    if (!*r) co_return ErrorResponse(r->error());
  }
  change.node_id = *id;
  change.address = *address;
  change.group = *group;
  co_return co_await ChangeTopology(ctx, std::move(change));
}

awaitable<http::Response> DrainNode(RequestContext& ctx) {
  TopologyChange change;
  change.kind = TopologyChange::Kind::kDrainNode;
  change.node_id = ctx.params[0];
  co_return co_await ChangeTopology(ctx, std::move(change));
}

awaitable<http::Response> RemoveNode(RequestContext& ctx) {
  TopologyChange change;
  change.kind = TopologyChange::Kind::kRemoveNode;
  change.node_id = ctx.params[0];
  co_return co_await ChangeTopology(ctx, std::move(change));
}

awaitable<http::Response> AddGroup(RequestContext& ctx) {
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  if (!body->is_object()) co_return ErrorResponse(BadChange("The body must be a JSON object."));
  TopologyChange change;
  change.kind = TopologyChange::Kind::kAddGroup;
  auto id = RequiredString(*body, "id");
  if (!id) co_return ErrorResponse(id.error());
  change.group = *id;
  auto nodes = body->find("nodes");
  if (nodes == body->end() || !nodes->is_array() || nodes->empty()) {
    co_return ErrorResponse(BadChange("`nodes` must be a non-empty array of {id, address}."));
  }
  for (const json& n : *nodes) {
    if (!n.is_object()) co_return ErrorResponse(BadChange("Each of `nodes` must be an object."));
    auto node_id = RequiredString(n, "id");
    if (!node_id) co_return ErrorResponse(node_id.error());
    auto address = RequiredString(n, "address");
    if (!address) co_return ErrorResponse(address.error());
    change.nodes.push_back(NodeSpec{*node_id, *address, *id, false});
  }
  co_return co_await ChangeTopology(ctx, std::move(change));
}

awaitable<http::Response> RemoveGroup(RequestContext& ctx) {
  TopologyChange change;
  change.kind = TopologyChange::Kind::kRemoveGroup;
  change.group = ctx.params[0];
  co_return co_await ChangeTopology(ctx, std::move(change));
}

awaitable<http::Response> MigrationCall(RequestContext& ctx, std::string action) {
  std::function<Result<json>(TopologyChanger&)> fn;
  if (action.empty()) {
    fn = [](TopologyChanger& c) { return c.Status(); };
  } else {
    fn = [action](TopologyChanger& c) { return c.Control(action); };
  }
  const unsigned code = action.empty() ? 200 : 202;
  co_return co_await CallChanger(ctx, std::move(fn), code);
}

awaitable<http::Response> GetMigrations(RequestContext& ctx) {
  co_return co_await MigrationCall(ctx, "");
}
awaitable<http::Response> PauseMigration(RequestContext& ctx) {
  co_return co_await MigrationCall(ctx, "pause");
}
awaitable<http::Response> ResumeMigration(RequestContext& ctx) {
  co_return co_await MigrationCall(ctx, "resume");
}
awaitable<http::Response> CancelMigration(RequestContext& ctx) {
  co_return co_await MigrationCall(ctx, "cancel");
}

// --- anti-entropy (ARCHITECTURE §4; workers/anti_entropy.hpp) ---

awaitable<http::Response> CallVerifier(
    RequestContext& ctx, std::function<Result<json>(antientropy::ReplicaVerifier&)> fn,
    unsigned code) {
  antientropy::ReplicaVerifier* verifier = ctx.services.verifier;
  if (verifier == nullptr) {
    co_return ErrorResponse(Error(
        ErrorCode::kMiroirAntiEntropyDisabled,
        "Anti-entropy is off on this instance (anti_entropy.enabled: false): documents carry no "
        "version stamps and deletes leave no tombstones, so replicas cannot be compared safely."));
  }
  auto call = [verifier, fn = std::move(fn)](store::Store&) { return fn(*verifier); };
  auto status = co_await ctx.services.store.Run(std::move(call));
  if (!status) co_return ErrorResponse(status.error());
  co_return JsonResponse(code, OJson::parse(status->dump()));
}

// POST /_miroir/verify {"indexUid": "movies" | null, "repair": false}: starts
// a pass on this instance; the body may be empty (every index, report only).
awaitable<http::Response> StartVerify(RequestContext& ctx) {
  std::optional<std::string> index_uid;
  bool repair = false;
  if (!ctx.request.body.empty()) {
    auto body = meili::ParseJsonBody(ctx.request);
    if (!body) co_return ErrorResponse(body.error());
    if (!body->is_object()) {
      co_return ErrorResponse(Error(ErrorCode::kBadRequest, "The body must be a JSON object."));
    }
    for (const auto& [key, value] : body->items()) {
      if (key == "indexUid" && value.is_string() && IsValidIndexUid(value.get<std::string>())) {
        index_uid = value.get<std::string>();
      } else if (key == "indexUid" && value.is_null()) {
      } else if (key == "repair" && value.is_boolean()) {
        repair = value.get<bool>();
      } else {
        co_return ErrorResponse(Error(
            ErrorCode::kBadRequest,
            "Invalid `" + key + "`: the body takes `indexUid` (an index uid or null) and "
            "`repair` (a boolean)."));
      }
    }
  }
  std::function<Result<json>(antientropy::ReplicaVerifier&)> fn =
      [index_uid, repair](antientropy::ReplicaVerifier& v) { return v.Verify(index_uid, repair); };
  co_return co_await CallVerifier(ctx, std::move(fn), 202);
}

awaitable<http::Response> GetVerify(RequestContext& ctx) {
  std::function<Result<json>(antientropy::ReplicaVerifier&)> fn =
      [](antientropy::ReplicaVerifier& v) { return v.Status(); };
  co_return co_await CallVerifier(ctx, std::move(fn), 200);
}

}  // namespace

void RegisterAdminRoutes(RouteTable& routes) {
  routes.Add(http::Method::kPost, "/_miroir/verify", Access::kAdmin, "", StartVerify);
  routes.Add(http::Method::kGet, "/_miroir/verify", Access::kAdmin, "", GetVerify);
  routes.Add(http::Method::kPost, "/_miroir/nodes", Access::kAdmin, "", AddNode);
  routes.Add(http::Method::kPost, "/_miroir/nodes/{id}/drain", Access::kAdmin, "", DrainNode);
  routes.Add(http::Method::kDelete, "/_miroir/nodes/{id}", Access::kAdmin, "", RemoveNode);
  routes.Add(http::Method::kPost, "/_miroir/groups", Access::kAdmin, "", AddGroup);
  routes.Add(http::Method::kDelete, "/_miroir/groups/{id}", Access::kAdmin, "", RemoveGroup);
  routes.Add(http::Method::kGet, "/_miroir/migrations", Access::kAdmin, "", GetMigrations);
  routes.Add(http::Method::kPost, "/_miroir/migrations/pause", Access::kAdmin, "", PauseMigration);
  routes.Add(http::Method::kPost, "/_miroir/migrations/resume", Access::kAdmin, "",
             ResumeMigration);
  routes.Add(http::Method::kPost, "/_miroir/migrations/cancel", Access::kAdmin, "",
             CancelMigration);
  routes.Add(http::Method::kGet, "/_miroir/topology", Access::kAdmin, "", GetTopology);
  routes.Add(http::Method::kGet, "/_miroir/shards", Access::kAdmin, "", GetShards);
  routes.Add(http::Method::kGet, "/_miroir/ready", Access::kAdmin, "", GetReady);
  routes.Add(http::Method::kGet, "/_miroir/metrics", Access::kAdmin, "", GetMetrics);
}

}  // namespace miroir::api
