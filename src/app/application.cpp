#include "miroir/app/application.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "miroir/api/api.hpp"
#include "miroir/core/topology_json.hpp"
#include "miroir/http/server.hpp"
#include "miroir/meili/cluster.hpp"
#include "miroir/store/redis_store.hpp"
#include "miroir/store/sqlite_store.hpp"
#include "miroir/store/store_runner.hpp"
#include "miroir/workers/health_checker.hpp"
#include "miroir/workers/membership.hpp"
#include "miroir/workers/anti_entropy.hpp"
#include "miroir/workers/hint_replayer.hpp"
#include "miroir/workers/migration_coordinator.hpp"
#include "miroir/workers/task_pruner.hpp"
#include "miroir/log/log.hpp"
#include "state_sync.hpp"
#include "task_reconciler.hpp"

namespace miroir::app {

namespace {

std::string InstanceId(const Config& config) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return std::string(host) + ":" + std::to_string(config.listen.port) + ":" +
         std::to_string(::getpid()) + ":" + std::to_string(ms);
}

}  // namespace

struct Application::Impl {
  Config config;
  std::shared_ptr<store::Store> store;
  std::unique_ptr<store::StoreRunner> runner;
  std::unique_ptr<meili::Cluster> cluster;
  std::unique_ptr<api::IndexCatalog> catalog;
  std::unique_ptr<api::Authenticator> auth;
  metrics::ProxyMetrics metrics;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<http::Server> metrics_server;  // only when listen.metrics_port != 0
  std::unique_ptr<workers::HealthChecker> health;
  store::RedisStore* redis = nullptr;  // the store, when it is RedisStore
  store::Coordination* coordination = nullptr;  // the store's leases and fenced state
  std::unique_ptr<workers::Membership> membership;
  std::unique_ptr<StateSync> state_sync;          // only with a shared store
  std::unique_ptr<workers::TaskPruner> pruner;
  std::unique_ptr<workers::MigrationCoordinator> migrations;
  std::unique_ptr<TaskReconciler> task_reconciler;
  std::unique_ptr<workers::AntiEntropy> anti_entropy;    // only when anti_entropy.enabled
  std::unique_ptr<workers::HintReplayer> hint_replayer;  // only when hinted_handoff.enabled
};

namespace {

// The stored topology wins over the config file once one exists
// (ARCHITECTURE §5): the file only seeds a new cluster.
Result<std::shared_ptr<const Topology>> LoadOrSeedTopology(store::Store& store,
                                                           const Config& config) {
  MIROIR_ASSIGN_OR_RETURN(auto stored, store.LoadTopology());
  if (stored) {
    MIROIR_ASSIGN_OR_RETURN(TopologySpec spec, TopologySpecFromJson(stored->spec));
    return Topology::Create(std::move(spec));
  }
  MIROIR_ASSIGN_OR_RETURN(TopologySpec spec, ToTopologySpec(config.cluster));
  MIROIR_ASSIGN_OR_RETURN(auto topology, Topology::Create(spec));
  store::TopologyRecord record{spec.epoch, TopologySpecToJson(spec)};
  MIROIR_ASSIGN_OR_RETURN(bool stored_now, store.CompareAndSetTopology(0, record));
  if (!stored_now) return LoadOrSeedTopology(store, config);
  return topology;
}

// Node health as this instance sees it, read at scrape time from the
// current topology (so removed nodes disappear and new ones appear).
void AddClusterCollector(metrics::ProxyMetrics& metrics, const meili::Cluster& cluster) {
  metrics.AddCollector([&cluster](metrics::TextWriter& w) {
    auto topology = cluster.topology();
    w.Family("miroir_node_healthy", "1 when this instance routes to the node, 0 when not.",
             metrics::TextWriter::Type::kGauge);
    for (size_t g = 0; g < topology->group_count(); ++g) {
      for (NodeIndex n : topology->group_members(g)) {
        w.Sample("miroir_node_healthy",
                 {{"node", topology->node(n).id}, {"group", topology->group_id(g)}},
                 cluster.IsHealthy(n) ? 1 : 0);
      }
    }
    w.Family("miroir_topology_epoch", "Epoch of the topology this instance serves.",
             metrics::TextWriter::Type::kGauge);
    w.Sample("miroir_topology_epoch", {}, static_cast<double>(topology->epoch()));

    // Shards of the default shard count (cluster.shards), as this instance
    // routes them: how many each node owns, and how many have lost copies.
    auto placement = topology->PlacementFor(topology->spec().default_shards);
    std::vector<uint32_t> owned(topology->nodes().size(), 0);
    uint32_t uncovered = 0;
    uint32_t degraded = 0;
    for (uint32_t s = 0; s < placement->shard_count(); ++s) {
      bool covered = false;
      bool lost_copy = false;
      for (size_t g = 0; g < topology->group_count(); ++g) {
        for (NodeIndex n : placement->Owners(g, s)) {
          ++owned[n];
          const bool healthy = cluster.IsHealthy(n);
          covered |= healthy;
          lost_copy |= !healthy;
        }
      }
      uncovered += covered ? 0 : 1;
      degraded += lost_copy ? 1 : 0;
    }
    w.Family("miroir_node_shards", "Shards of cluster.shards each node owns, by node and group.",
             metrics::TextWriter::Type::kGauge);
    for (size_t g = 0; g < topology->group_count(); ++g) {
      for (NodeIndex n : topology->group_members(g)) {
        w.Sample("miroir_node_shards",
                 {{"node", topology->node(n).id}, {"group", topology->group_id(g)}}, owned[n]);
      }
    }
    w.Family("miroir_shards_uncovered",
             "Shards of cluster.shards with no healthy owner in any group (searches miss them).",
             metrics::TextWriter::Type::kGauge);
    w.Sample("miroir_shards_uncovered", {}, uncovered);
    w.Family("miroir_shards_degraded",
             "Shards of cluster.shards with at least one owner down (fewer copies than RF).",
             metrics::TextWriter::Type::kGauge);
    w.Sample("miroir_shards_degraded", {}, degraded);
  });
}

// This instance's share of the background work and what it sees of the others.
void AddBackgroundCollector(metrics::ProxyMetrics& metrics, const workers::Membership& membership,
                            const workers::TaskPruner& pruner,
                            const workers::MigrationCoordinator& migrations,
                            const meili::Cluster& cluster) {
  metrics.AddCollector([&membership, &pruner, &migrations, &cluster](metrics::TextWriter& w) {
    using Type = metrics::TextWriter::Type;
    w.Family("miroir_live_instances", "Miroir instances alive, as of this instance's last heartbeat.",
             Type::kGauge);
    w.Sample("miroir_live_instances", {}, static_cast<double>(membership.LiveInstances().size()));
    const workers::TaskPrunerStats s = pruner.stats();
    w.Family("miroir_task_pruner_passes_total", "Passes of the task pruner on this instance.",
             Type::kCounter);
    w.Sample("miroir_task_pruner_passes_total", {}, static_cast<double>(s.passes));
    w.Family("miroir_tasks_pruned_total", "Finished task records deleted past their retention.",
             Type::kCounter);
    w.Sample("miroir_tasks_pruned_total", {}, static_cast<double>(s.tasks_deleted));
    w.Family("miroir_background_partitions_held",
             "Background partitions this instance scanned in its last pass.", Type::kGauge);
    w.Sample("miroir_background_partitions_held", {{"worker", "task_pruner"}},
             static_cast<double>(s.partitions_held));
    w.Family("miroir_fenced_writes_refused_total",
             "State writes refused because a newer lease holder exists (this instance was "
             "paused past its lease).",
             Type::kCounter);
    w.Sample("miroir_fenced_writes_refused_total", {{"worker", "task_pruner"}},
             static_cast<double>(s.fenced_writes_refused));
    const workers::MigrationStats m = migrations.stats();
    w.Sample("miroir_fenced_writes_refused_total", {{"worker", "migration"}},
             static_cast<double>(m.fenced_writes_refused));
    w.Family("miroir_node_writes_fenced_total",
             "Node writes this instance refused to send because its membership had lapsed "
             "(paused or cut off from the store for longer than its TTL).",
             Type::kCounter);
    w.Sample("miroir_node_writes_fenced_total", {}, static_cast<double>(cluster.fenced_writes()));
    w.Family("miroir_background_errors_total", "Failed store calls of background workers.",
             Type::kCounter);
    w.Sample("miroir_background_errors_total", {{"worker", "task_pruner"}},
             static_cast<double>(s.errors));

    w.Family("miroir_migration_in_progress",
             "1 while a topology change is in progress (as this instance routes), else 0.",
             Type::kGauge);
    w.Sample("miroir_migration_in_progress", {}, cluster.topology()->migrating() ? 1.0 : 0.0);
    w.Family("miroir_migration_leader",
             "1 when this instance holds the migration lease (coordinates the change).",
             Type::kGauge);
    w.Sample("miroir_migration_leader", {}, m.leading ? 1.0 : 0.0);
    w.Family("miroir_migration_last_progress_timestamp_seconds",
             "When this instance's coordinator last changed phase or copied documents (Unix "
             "time; 0: never).",
             Type::kGauge);
    w.Sample("miroir_migration_last_progress_timestamp_seconds", {},
             static_cast<double>(m.last_progress_unix_ms) / 1000.0);
    w.Family("miroir_migration_steps_total", "Migration phase transitions carried out here.",
             Type::kCounter);
    w.Sample("miroir_migration_steps_total", {}, static_cast<double>(m.steps));
    w.Family("miroir_migration_documents_copied_total",
             "Documents copied to new owners by copies and delta passes run here.",
             Type::kCounter);
    w.Sample("miroir_migration_documents_copied_total", {},
             static_cast<double>(m.documents_copied));
    w.Family("miroir_migration_errors_total",
             "Failed migration steps run here (each is retried; GET /_miroir/migrations shows "
             "the last ones).",
             Type::kCounter);
    w.Sample("miroir_migration_errors_total", {}, static_cast<double>(m.errors));
    // Reported by the leader alone, so sums over instances stay right.
    w.Family("miroir_migration_indexes",
             "Indexes of the change this instance coordinates, by phase (copy, catch-up, hold, "
             "drain, delta, activate, active, cleanup).",
             Type::kGauge);
    w.Family("miroir_migration_started_timestamp_seconds",
             "When the change this instance coordinates began (Unix time); time() minus it is "
             "its duration.",
             Type::kGauge);
    if (m.leading && m.started_unix_ms > 0) {
      for (const auto& [phase, count] : m.indexes_by_phase) {
        w.Sample("miroir_migration_indexes", {{"phase", phase}}, static_cast<double>(count));
      }
      w.Sample("miroir_migration_started_timestamp_seconds", {},
               static_cast<double>(m.started_unix_ms) / 1000.0);
    }
  });
}

// The metrics listener answers GET /metrics and nothing else, without auth,
// as Prometheus scrapers expect of a dedicated port.
http::Server::Handler MetricsHandler(const metrics::ProxyMetrics& metrics) {
  return [&metrics](http::Request request) -> boost::asio::awaitable<http::Response> {
    if (request.path() != "/metrics") {
      co_return http::Response::FromError(
          Error(ErrorCode::kRouteNotFound, "The metrics listener serves only `/metrics`."));
    }
    if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
      co_return http::Response::FromError(
          Error(ErrorCode::kMethodNotAllowed, "This method is not allowed on this route."));
    }
    http::Response r;
    r.content_type = std::string(metrics::kTextContentType);
    if (request.method == http::Method::kGet) r.body = metrics.Render();
    co_return r;
  };
}

// Anti-entropy and hinted handoff; either may be off (null).
void AddRepairCollector(metrics::ProxyMetrics& metrics, const workers::AntiEntropy* anti_entropy,
                        const workers::HintReplayer* hints) {
  metrics.AddCollector([&metrics, anti_entropy, hints](metrics::TextWriter& w) {
    using Type = metrics::TextWriter::Type;
    // The families are always written, their samples only when anti-entropy
    // is on: dashboards and rules see the same names either way.
    const std::optional<workers::AntiEntropyStats> a =
        anti_entropy != nullptr ? std::optional(anti_entropy->stats()) : std::nullopt;
    auto sample = [&w, &a](const char* name, auto value) {
      if (a) w.Sample(name, {}, static_cast<double>(value(*a)));
    };
    using S = workers::AntiEntropyStats;
    w.Family("miroir_antientropy_passes_total", "Anti-entropy passes finished here.",
             Type::kCounter);
    sample("miroir_antientropy_passes_total", [](const S& x) { return x.passes; });
    w.Family("miroir_antientropy_pass_running", "1 while a pass runs here.", Type::kGauge);
    sample("miroir_antientropy_pass_running", [](const S& x) { return x.running ? 1 : 0; });
    w.Family("miroir_antientropy_last_pass_duration_seconds",
             "How long the last finished pass took.", Type::kGauge);
    sample("miroir_antientropy_last_pass_duration_seconds",
           [](const S& x) { return x.last_pass_seconds; });
    w.Family("miroir_antientropy_last_pass_timestamp_seconds",
             "When the last pass finished (Unix time; 0: none yet).", Type::kGauge);
    sample("miroir_antientropy_last_pass_timestamp_seconds",
           [](const S& x) { return static_cast<double>(x.last_pass_finished_unix_ms) / 1000.0; });
    w.Family("miroir_antientropy_shards_scanned_total",
             "Shards compared across all their replicas.", Type::kCounter);
    sample("miroir_antientropy_shards_scanned_total", [](const S& x) { return x.counts.shards_scanned; });
    w.Family("miroir_antientropy_shards_skipped_total",
             "Shards not compared: a replica down or catching up, a topology change, an error.",
             Type::kCounter);
    sample("miroir_antientropy_shards_skipped_total", [](const S& x) { return x.counts.shards_skipped; });
    w.Family("miroir_antientropy_documents_scanned_total",
             "Document versions read from replicas (pk, time and digest only).", Type::kCounter);
    sample("miroir_antientropy_documents_scanned_total",
           [](const S& x) { return x.counts.documents_scanned; });
    w.Family("miroir_antientropy_bytes_read_total", "Bytes of those reads.", Type::kCounter);
    sample("miroir_antientropy_bytes_read_total", [](const S& x) { return x.counts.bytes_read; });
    w.Family("miroir_antientropy_mismatches_total", "Documents found different between replicas.",
             Type::kCounter);
    sample("miroir_antientropy_mismatches_total", [](const S& x) { return x.counts.mismatches; });
    w.Family("miroir_antientropy_documents_repaired_total",
             "Documents copied or deleted to make replicas agree.", Type::kCounter);
    sample("miroir_antientropy_documents_repaired_total",
           [](const S& x) { return x.counts.documents_repaired; });
    w.Family("miroir_antientropy_tombstones_applied_total",
             "Documents deleted because a newer delete's tombstone beat them.", Type::kCounter);
    sample("miroir_antientropy_tombstones_applied_total",
           [](const S& x) { return x.counts.tombstones_applied; });
    w.Family("miroir_antientropy_expired_deleted_total",
             "Documents deleted because their _miroir_expires_at had passed.", Type::kCounter);
    sample("miroir_antientropy_expired_deleted_total",
           [](const S& x) { return x.counts.expired_deleted; });
    w.Family("miroir_antientropy_errors_total", "Anti-entropy node or store calls that failed.",
             Type::kCounter);
    sample("miroir_antientropy_errors_total", [](const S& x) { return x.errors; });
    w.Family("miroir_antientropy_mismatch_streak",
             "Consecutive finished passes here that found mismatches (alert at 3).",
             Type::kGauge);
    sample("miroir_antientropy_mismatch_streak", [](const S& x) { return x.mismatch_streak; });
    const std::optional<workers::HintReplayerStats> h =
        hints != nullptr ? std::optional(hints->stats()) : std::nullopt;
    w.Family("miroir_hints_pending", "Hinted writes waiting for each node (all instances').",
             Type::kGauge);
    w.Family("miroir_hints_pending_bytes", "Body bytes of those hints.", Type::kGauge);
    if (h) {
      for (const auto& [node, backlog] : h->pending) {
        w.Sample("miroir_hints_pending", {{"node", node}}, static_cast<double>(backlog.count));
        w.Sample("miroir_hints_pending_bytes", {{"node", node}},
                 static_cast<double>(backlog.bytes));
      }
    }
    w.Family("miroir_hints_stored_total", "Hints stored here for owners that missed a write.",
             Type::kCounter);
    w.Family("miroir_hints_replayed_total", "Hints replayed to their node from here.",
             Type::kCounter);
    w.Family("miroir_hints_dropped_total",
             "Hints given up, by reason (full: the node's queue was over "
             "hinted_handoff.max_bytes_per_node; age: older than max_age; refused: the node "
             "answered 4xx; removed: the node left the cluster). Anti-entropy repairs them.",
             Type::kCounter);
    if (h) {
      w.Sample("miroir_hints_stored_total", {},
               static_cast<double>(metrics.hints_stored().value()));
      w.Sample("miroir_hints_replayed_total", {}, static_cast<double>(h->replayed));
      w.Sample("miroir_hints_dropped_total", {{"reason", "full"}},
               static_cast<double>(metrics.hints_not_stored().value()));
      for (const char* reason : {"age", "refused", "removed"}) {
        auto it = h->dropped.find(reason);
        w.Sample("miroir_hints_dropped_total", {{"reason", reason}},
                 static_cast<double>(it == h->dropped.end() ? 0 : it->second));
      }
    }
  });
}

}  // namespace

Application::Application(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Application::~Application() { Stop(); }

Result<std::unique_ptr<Application>> Application::Start(const Config& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  store::StoreRunnerOptions runner_options;
  if (config.task_store.backend == TaskStoreBackend::kRedis) {
    const RedisConfig& rc = config.task_store.redis;
    store::RedisStoreOptions options;
    options.key_prefix = rc.key_prefix;
    options.url = rc.url;
    options.password = rc.password;
    options.connect_timeout = rc.connect_timeout;
    options.command_timeout = rc.command_timeout;
    auto redis = store::RedisStore::Open(options);
    if (!redis) {
      return Error(redis.error().code, "task_store.redis: " + redis.error().message);
    }
    impl->redis = redis->get();
    impl->coordination = redis->get();
    impl->store = std::shared_ptr<store::Store>(std::move(*redis));
    // RedisStore runs calls concurrently on its connection pool; a slow
    // call then does not hold up the others.
    runner_options.threads = 4;
  } else {
    // The lock file next to the database refuses a second instance on it.
    MIROIR_ASSIGN_OR_RETURN(auto sqlite, store::SqliteStore::Open(config.task_store.sqlite.path));
    impl->coordination = sqlite.get();
    impl->store = std::shared_ptr<store::Store>(std::move(sqlite));
  }

  // Start-up reads the store directly: nothing is serving yet. The state
  // generation is read first, so a change made by another instance while
  // the loads below run is picked up by StateSync's first wait.
  uint64_t generation = 0;
  if (impl->redis != nullptr) {
    MIROIR_ASSIGN_OR_RETURN(generation, impl->redis->StateGeneration());
  }
  MIROIR_ASSIGN_OR_RETURN(auto topology, LoadOrSeedTopology(*impl->store, config));
  impl->catalog = std::make_unique<api::IndexCatalog>();
  MIROIR_ASSIGN_OR_RETURN(auto indexes, impl->store->ListIndexes());
  impl->catalog->Replace(std::move(indexes));
  impl->auth = std::make_unique<api::Authenticator>(config.auth.master_key, config.auth.admin_key);
  MIROIR_ASSIGN_OR_RETURN(auto keys, impl->store->ListKeys());
  if (keys.empty() && !config.auth.master_key.empty()) {
    for (auto& key : DefaultApiKeys(config.auth.master_key, std::chrono::system_clock::now())) {
      MIROIR_RETURN_IF_ERROR(impl->store->PutKey(key));
      keys.push_back(std::move(key));
    }
  }
  impl->auth->SetKeys(std::move(keys));
  impl->runner = std::make_unique<store::StoreRunner>(impl->store, runner_options);

  meili::ClusterOptions cluster_options;
  cluster_options.node_key = config.auth.node_key;
  cluster_options.pool.connect_timeout = config.upstream.connect_timeout;
  cluster_options.pool.max_idle_connections = config.upstream.max_idle_connections_per_node;
  cluster_options.pool.max_response_bytes = config.upstream.max_response_bytes;
  impl->cluster = std::make_unique<meili::Cluster>(topology, cluster_options);

  api::ApiOptions api_options;
  api_options.default_shards = config.cluster.shards;
  api_options.partial_results =
      config.cluster.unavailable_shard_policy == UnavailableShardPolicy::kPartial;
  api_options.search_timeout = config.upstream.timeout;
  api_options.write_timeout = config.upstream.write_timeout;
  api_options.anti_entropy = config.anti_entropy.enabled;
  api_options.hinted_handoff = config.hinted_handoff.enabled;
  api_options.hint_max_bytes_per_node = config.hinted_handoff.max_bytes_per_node;
  api_options.shared_store = impl->redis != nullptr;
  api_options.write_hold_timeout = config.rebalancer.write_hold_timeout;
  api_options.max_json_depth = config.limits.max_json_depth;
  api_options.max_documents_per_batch = config.limits.max_documents_per_batch;
  api_options.max_multi_search_queries = config.limits.max_multi_search_queries;

  store::InstanceInfo self;
  self.id = InstanceId(config);
  self.address = config.listen.address + ":" + std::to_string(config.listen.port);
  self.started_at = NowMicros();
  if (impl->redis != nullptr) {
    workers::MembershipOptions membership_options;
    membership_options.interval = config.task_store.redis.heartbeat_interval;
    membership_options.ttl = config.task_store.redis.instance_ttl;
    // Self-fencing (meili::Cluster::FenceWritesAfter): writes may go out
    // while the store surely still holds this instance as alive — with a
    // fifth of the TTL to spare — and only once its mirrors have caught up
    // with the store's state generation, so a topology change published
    // while it was paused or cut off is applied before it writes again.
    Impl* app = impl.get();
    const auto ttl = config.task_store.redis.instance_ttl;
    membership_options.on_renewed = [app, ttl](std::chrono::steady_clock::time_point sent) {
      auto stored = app->redis->StateGeneration();
      if (!stored || !app->state_sync || *stored > app->state_sync->applied_generation()) {
        return;  // behind the store: let StateSync catch up (it beats again then)
      }
      app->cluster->FenceWritesAfter(sent + ttl - ttl / 5);
    };
    meili::Cluster* cluster = impl->cluster.get();
    impl->membership = std::make_unique<workers::Membership>(
        *impl->redis, std::move(self), [cluster] { return cluster->AcknowledgedEpoch(); },
        membership_options);
  } else {
    impl->membership = std::make_unique<workers::Membership>(std::move(self));
  }
  workers::Membership* membership = impl->membership.get();
  api::Services services{*impl->cluster, *impl->runner, *impl->catalog, *impl->auth,
                         api_options,    impl->metrics};
  services.live_instances = [membership] { return membership->LiveInstances(); };
  workers::MigrationOptions migration_options;
  migration_options.max_concurrent = config.rebalancer.max_concurrent_migrations;
  migration_options.max_documents_per_second = config.rebalancer.max_documents_per_second;
  migration_options.delta_pass = config.rebalancer.delta_pass;
  migration_options.anti_entropy = config.anti_entropy.enabled;
  migration_options.node_timeout = config.upstream.write_timeout;
  migration_options.shared = impl->redis != nullptr;
  // The chaos harness's way to measure the configuration Begin refuses
  // (tests/chaos/run.py --unsafe-no-delta); deliberately not a config key.
  if (const char* unsafe = std::getenv("MIROIR_UNSAFE_ALLOW_NO_DELTA_PASS");
      unsafe != nullptr && std::string_view(unsafe) == "1") {
    log::Warn("MIROIR_UNSAFE_ALLOW_NO_DELTA_PASS=1: migrations may lose writes that race "
              "their copies");
    migration_options.unsafe_allow_no_delta_pass = true;
  }
  // The lease outlives a heartbeat gap, so it changes hands only when its
  // holder is really gone.
  migration_options.lease_ttl = config.task_store.redis.instance_ttl;
  impl->migrations = std::make_unique<workers::MigrationCoordinator>(
      *impl->store, *impl->coordination, *impl->cluster, *impl->membership, migration_options);
  services.topology_changer = impl->migrations.get();
  if (config.anti_entropy.enabled) {
    workers::AntiEntropyOptions ae;
    ae.schedule = config.anti_entropy.schedule;
    ae.tombstone_retention = config.anti_entropy.tombstone_retention;
    ae.dry_run = config.anti_entropy.dry_run;
    ae.read_concurrency = config.anti_entropy.read_concurrency;
    ae.max_documents_per_second = config.anti_entropy.max_documents_per_second;
    ae.node_timeout = config.upstream.write_timeout;
    ae.shared = impl->redis != nullptr;
    impl->anti_entropy = std::make_unique<workers::AntiEntropy>(*impl->store, *impl->cluster,
                                                                *impl->membership, ae);
    services.verifier = impl->anti_entropy.get();
  } else {
    log::Warn("anti-entropy is off (anti_entropy.enabled: false): replicas that drift are not "
              "repaired, and deletes leave no tombstones");
  }
  if (config.hinted_handoff.enabled) {
    workers::HintReplayerOptions hr;
    hr.instance_id = impl->membership->self().id;
    hr.max_age = config.hinted_handoff.max_age;
    hr.node_timeout = config.upstream.write_timeout;
    hr.lease_ttl = config.task_store.redis.instance_ttl;
    impl->hint_replayer = std::make_unique<workers::HintReplayer>(
        *impl->store, *impl->coordination, *impl->cluster, hr);
  }
  impl->api = std::make_unique<api::Api>(std::move(services));
  AddClusterCollector(impl->metrics, *impl->cluster);

  http::ServerOptions server_options;
  server_options.address = config.listen.address;
  server_options.port = config.listen.port;
  server_options.threads =
      config.listen.threads ? config.listen.threads : std::max(1u, std::thread::hardware_concurrency());
  server_options.body_limit = config.listen.max_body_bytes;
  server_options.header_limit = config.listen.max_header_bytes;
  server_options.read_timeout = config.listen.read_timeout;
  server_options.idle_timeout = config.listen.idle_timeout;
  server_options.write_timeout = config.listen.write_timeout;
  server_options.max_connections = config.listen.max_connections;
  server_options.max_header_count = config.listen.max_header_count;
  server_options.max_url_bytes = config.listen.max_url_bytes;
  api::Api* api = impl->api.get();
  impl->server = std::make_unique<http::Server>(
      server_options, [api](http::Request request) { return api->Handle(std::move(request)); });
  MIROIR_RETURN_IF_ERROR(impl->server->Start());
  if (config.listen.metrics_port != 0) {
    http::ServerOptions metrics_options = server_options;
    metrics_options.port = config.listen.metrics_port;
    metrics_options.threads = 1;
    metrics_options.max_connections = 64;
    impl->metrics_server =
        std::make_unique<http::Server>(metrics_options, MetricsHandler(impl->metrics));
    MIROIR_RETURN_IF_ERROR(impl->metrics_server->Start());
  }

  workers::HealthCheckerOptions health_options;
  health_options.interval = config.health.interval;
  health_options.timeout = config.health.timeout;
  health_options.unhealthy_after = config.health.unhealthy_after;
  health_options.healthy_after = config.health.healthy_after;
  impl->health = std::make_unique<workers::HealthChecker>(*impl->cluster, health_options);
  impl->health->Start(impl->server->executor(0));

  if (impl->redis != nullptr) {
    // Made before the first heartbeat, which renews the write fence from it.
    impl->state_sync = std::make_unique<StateSync>(
        *impl->store, *impl->redis, *impl->catalog, *impl->auth, *impl->cluster, generation,
        [membership] { membership->BeatSoon(); });
  }
  MIROIR_RETURN_IF_ERROR(impl->membership->Start());
  if (impl->state_sync) impl->state_sync->Start();
  workers::TaskPrunerOptions pruner_options;
  pruner_options.interval = config.task_store.prune_interval;
  pruner_options.retention = config.task_store.retention;
  // A partition's lease outlives a few passes and the instance's own TTL,
  // so it changes hands only when the holder is really gone.
  pruner_options.lease_ttl =
      std::max(3 * config.task_store.prune_interval, config.task_store.redis.instance_ttl);
  impl->pruner = std::make_unique<workers::TaskPruner>(*impl->store, impl->redis,
                                                       *impl->membership, pruner_options);
  impl->pruner->Start();
  impl->migrations->Start();
  impl->task_reconciler = std::make_unique<TaskReconciler>(*impl->api, std::chrono::seconds(2));
  impl->task_reconciler->Start(impl->server->executor(0));
  AddBackgroundCollector(impl->metrics, *impl->membership, *impl->pruner, *impl->migrations,
                         *impl->cluster);
  if (impl->anti_entropy) impl->anti_entropy->Start();
  if (impl->hint_replayer) impl->hint_replayer->Start();
  AddRepairCollector(impl->metrics, impl->anti_entropy.get(), impl->hint_replayer.get());

  return std::unique_ptr<Application>(new Application(std::move(impl)));
}

uint16_t Application::port() const { return impl_->server->port(); }

void Application::Wait() { impl_->server->Wait(); }

void Application::Stop() {
  if (!impl_) return;
  if (impl_->task_reconciler) impl_->task_reconciler->Stop();
  if (impl_->anti_entropy) impl_->anti_entropy->Stop();
  if (impl_->hint_replayer) impl_->hint_replayer->Stop();
  if (impl_->migrations) impl_->migrations->Stop();
  if (impl_->pruner) impl_->pruner->Stop();
  if (impl_->state_sync) impl_->state_sync->Stop();
  if (impl_->membership) impl_->membership->Stop();
  if (impl_->health) impl_->health->Stop();
  if (impl_->server) impl_->server->Stop(impl_->config.listen.shutdown_grace);
  if (impl_->metrics_server) impl_->metrics_server->Stop();
  if (impl_->runner) impl_->runner->Stop();
}

}  // namespace miroir::app
