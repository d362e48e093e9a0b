// Miroir's client-facing HTTP API: Meilisearch's routes, answered by
// routing, fanning out and merging over the cluster, plus /_miroir/* admin
// routes. One Api per process; Handle() runs on the server's I/O threads.
//
// Thread-safety: Handle() may run concurrently on every I/O thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "miroir/api/auth.hpp"
#include "miroir/api/index_catalog.hpp"
#include "miroir/core/replica_digest.hpp"
#include "miroir/core/topology_change.hpp"
#include "miroir/http/message.hpp"
#include "miroir/meili/cluster.hpp"
#include "miroir/metrics/proxy_metrics.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store_runner.hpp"

namespace miroir::api {

struct ApiOptions {
  uint32_t default_shards = 64;
  // unavailable_shard_policy: true = partial results with X-Miroir-Degraded,
  // false = 503 miroir_shard_unavailable.
  bool partial_results = true;
  std::chrono::milliseconds search_timeout{10'000};
  std::chrono::milliseconds write_timeout{30'000};
  bool anti_entropy = false;
  // Hinted handoff: writes an owner missed are kept for it (api/hints.hpp).
  bool hinted_handoff = true;
  uint64_t hint_max_bytes_per_node = 256ull << 20;
  // Other instances share the store (the redis back end): an index missing
  // from this instance's catalog is looked up in the store before it is
  // called unknown.
  bool shared_store = false;
  // Longest a write waits while a migration holds its shard (quiesce).
  std::chrono::milliseconds write_hold_timeout{5'000};
  // Request limits (config limits.*): past one, 400 miroir_limit_exceeded.
  uint32_t max_json_depth = 256;
  uint64_t max_documents_per_batch = 10'000'000;
  uint32_t max_multi_search_queries = 1000;
};

// What handlers use. Owned by the application; outlives the Api.
struct Services {
  meili::Cluster& cluster;
  store::StoreRunner& store;
  IndexCatalog& catalog;
  Authenticator& auth;
  ApiOptions options;
  metrics::ProxyMetrics& metrics;
  // The live Miroir instances (GET /_miroir/topology); this one alone when unset.
  std::function<std::vector<store::InstanceInfo>()> live_instances;
  // Topology changes (POST /_miroir/nodes, ...); they answer 501 when unset.
  TopologyChanger* topology_changer = nullptr;
  // The anti-entropy reconciler (POST /_miroir/verify); unset when anti-entropy is off.
  antientropy::ReplicaVerifier* verifier = nullptr;
  // The request being served (Api::Handle gives each request its own copy of
  // the Services): sent to nodes as X-Request-Id and named in log lines.
  // Empty for background work.
  std::string request_id;
};

class Api {
 public:
  explicit Api(Services services);
  ~Api();

  // Serves one client request. The answer carries X-Request-Id: the
  // client's own when it sent a usable one, else one made up here.
  boost::asio::awaitable<http::Response> Handle(http::Request request);

  // The task reconciler's pass (the application runs it every few seconds on
  // an I/O thread): finishes Miroir tasks whose node tasks finished, so they
  // do not wait for a client to poll them, and counts the task registry for
  // the miroir_tasks metrics.
  boost::asio::awaitable<void> ReconcileTasks();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::api
