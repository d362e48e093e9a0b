// Reads over a covering set: plan one replica per shard, send each chosen
// node its query, and when a node fails, mark it unhealthy and ask other
// replicas for its shards before giving up on them.
#pragma once

#include <functional>
#include <memory>

#include "common.hpp"
#include "miroir/core/node_result.hpp"
#include "miroir/core/router.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir::api {

struct IndexRead {
  store::IndexRecord record;
  std::shared_ptr<const Topology> topology;
  std::shared_ptr<const Placement> placement;
  ReadPlan plan;
};

// Looks the index up and plans its covering set. index_not_found when Miroir
// does not know the index. Searches rotate replicas to spread load; document
// listings pass `stable` so consecutive pages come from the same replicas and
// never overlap or skip.
Result<IndexRead> PlanIndexRead(Services& services, const std::string& uid, bool stable = false,
                                std::optional<uint64_t> rotation = std::nullopt);

// A rotation that is the same for every page of one query: the body's hash
// with its pagination members left out. Equal queries then read the same
// replicas, so ties break the same way on every page; different queries
// still spread over groups and replicas.
uint64_t QueryRotation(std::string_view body);

struct ReadOutcome {
  std::vector<NodeResult> results;  // successful 2xx bodies, node_order = send order
  std::vector<NodeIndex> result_nodes;  // the node each result came from
  bool degraded = false;            // some shard answered by no replica
  std::optional<http::Response> client_error;  // a node's 4xx answer, relayed as is
};

// Builds one request per node: `shards` is null when the node answers for
// everything it holds, else the shards it must restrict itself to.
using NodeRequestBuilder = std::function<http::UpstreamRequest(const std::vector<uint32_t>* shards)>;

// Runs the plan. Shards no replica could answer make the read degraded, or
// fail with 503 miroir_shard_unavailable under unavailable_shard_policy error.
awaitable<Result<ReadOutcome>> ExecuteRead(Services& services, const IndexRead& read,
                                           const NodeRequestBuilder& build);

// Merges `outcome.results` with `merge`. When that fails on a node answer
// Miroir cannot read (garbage, truncated, wrong types), each answer is merged
// alone to find the ones at fault: they count as `protocol` errors of their
// nodes and are logged, and the others are merged without them into a
// degraded answer. Only when every answer is at fault is the error returned,
// naming the node.
Result<std::string> MergeReadable(
    Services& services, const Topology& topology, ReadOutcome& outcome,
    const std::function<Result<std::string>(std::vector<NodeResult>&)>& merge);

// Sends `request` to one healthy node (reads that need no covering set, and
// bodies Miroir forwards untouched) and relays the answer.
awaitable<http::Response> ForwardToOneNode(Services& services, http::UpstreamRequest request);

// The index settings a merge needs, from the catalog's cache or one node.
awaitable<std::shared_ptr<const IndexSearchSettings>> SearchSettingsFor(Services& services,
                                                                        const std::string& uid);
IndexSearchSettings SearchSettingsFromJson(const json& settings);

}  // namespace miroir::api
