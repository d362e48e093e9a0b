#include "read_plan.hpp"

#include <map>
#include <optional>
#include <set>

#include "miroir/core/hash.hpp"
#include "miroir/log/log.hpp"
#include "miroir/meili/index_requests.hpp"

namespace miroir::api {

uint64_t QueryRotation(std::string_view body) {
  json query = json::parse(body, nullptr, false);
  if (!query.is_object()) return Xxh64(body);
  for (const char* key : {"offset", "limit", "page", "hitsPerPage"}) query.erase(key);
  return Xxh64(query.dump());
}

namespace {

// Nodes that may answer reads: healthy, and not catching up on hinted
// writes (they would answer without the writes they missed).
class ReadableNodes : public NodeHealth {
 public:
  explicit ReadableNodes(const meili::Cluster& cluster) : cluster_(cluster) {}
  bool IsHealthy(NodeIndex n) const override { return cluster_.IsReadable(n); }

 private:
  const meili::Cluster& cluster_;
};

}  // namespace

Result<IndexRead> PlanIndexRead(Services& services, const std::string& uid, bool stable,
                                std::optional<uint64_t> rotation) {
  auto record = services.catalog.Get(uid);
  if (!record) return meili::IndexNotFoundError(uid);
  IndexRead read;
  read.record = std::move(*record);
  read.topology = services.cluster.topology();
  read.placement = read.topology->PlacementFor(uid, read.record.shard_count);
  const uint64_t turn = stable ? 0 : rotation.value_or(services.cluster.NextRotation());
  read.plan = PlanRead(*read.topology, *read.placement, ReadableNodes(services.cluster), turn);
  if (!read.plan.missing_shards.empty()) {
    // Every healthy copy of some shard is catching up on hints: a copy that
    // may lack the newest writes beats no answer for those shards.
    read.plan = PlanRead(*read.topology, *read.placement, services.cluster, turn);
  }
  return read;
}

namespace {

// Node health for one request: the readable nodes minus the ones that just
// failed us.
class RequestHealth : public NodeHealth {
 public:
  RequestHealth(const NodeHealth& base, const std::set<NodeIndex>& failed)
      : base_(base), failed_(failed) {}
  bool IsHealthy(NodeIndex n) const override { return !failed_.count(n) && base_.IsHealthy(n); }

 private:
  const NodeHealth& base_;
  const std::set<NodeIndex>& failed_;
};

bool NodeFailed(const http::UpstreamResult& r) { return !r.ok() || r.response.status >= 500; }

// `cause` says what the last failed node did, when one did.
Error Unavailable(const std::string& uid, size_t shards, const std::string& cause) {
  return Error(ErrorCode::kMiroirShardUnavailable,
               std::to_string(shards) + " shard(s) of index `" + uid +
                   "` have no reachable replica" + (cause.empty() ? "" : " (" + cause + ")") +
                   ".");
}

}  // namespace

awaitable<Result<ReadOutcome>> ExecuteRead(Services& services, const IndexRead& read,
                                           const NodeRequestBuilder& build) {
  const Topology& topology = *read.topology;
  ReadOutcome outcome;
  std::set<NodeIndex> failed;
  std::string last_failure;  // for the error when shards stay unanswered
  std::vector<uint32_t> missing = read.plan.missing_shards;

  // Round one: the plan. Later rounds: the shards of nodes that failed, on
  // other replicas, always with a shard filter.
  std::vector<std::pair<NodeIndex, std::vector<uint32_t>>> round;
  std::vector<bool> filtered;
  for (const auto& t : read.plan.targets) {
    round.emplace_back(t.node, t.shards);
    filtered.push_back(t.needs_shard_filter);
  }
  uint32_t order = 0;
  for (int attempt = 0; attempt < 3 && !round.empty(); ++attempt) {
    if (attempt > 0) services.metrics.RecordScatterRetry();
    std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
    for (size_t i = 0; i < round.size(); ++i) {
      requests.emplace_back(round[i].first,
                            build(filtered[i] ? &round[i].second : nullptr));
    }
    auto replies = co_await SendToNodes(services, topology, std::move(requests));
    std::vector<uint32_t> retry;
    for (size_t i = 0; i < replies.size(); ++i) {
      const auto& r = replies[i].result;
      if (NodeFailed(r)) {
        failed.insert(round[i].first);
        last_failure = NodeError(topology.node(round[i].first).id, r).message;
        if (!last_failure.empty() && last_failure.back() == '.') last_failure.pop_back();
        // Passive health: stop routing to it until the checker sees it back —
        // unless it only answered more than Miroir reads, which says nothing
        // about its health.
        if (!r.ok() && r.failure != http::UpstreamFailure::kTooLarge) {
          services.cluster.SetHealthy(topology.node(round[i].first).id, false);
        }
        retry.insert(retry.end(), round[i].second.begin(), round[i].second.end());
        continue;
      }
      if (r.response.status >= 400) {
        outcome.client_error = RelayNodeResponse(r);
        co_return outcome;
      }
      NodeResult result;
      result.body.reserve(r.response.body.size() + kNodeBodyPadding);
      result.body = r.response.body;
      result.node_order = order++;
      outcome.results.push_back(std::move(result));
      outcome.result_nodes.push_back(round[i].first);
    }
    round.clear();
    filtered.clear();
    if (retry.empty()) break;
    // Place the failed shards on other healthy replicas, any group.
    const ReadableNodes readable(services.cluster);
    RequestHealth health(readable, failed);
    std::map<NodeIndex, std::vector<uint32_t>> moved;
    for (uint32_t s : retry) {
      std::optional<NodeIndex> chosen;
      for (size_t g = 0; g < topology.group_count() && !chosen; ++g) {
        for (NodeIndex n : read.placement->Owners(g, s)) {
          if (health.IsHealthy(n)) {
            chosen = n;
            break;
          }
        }
      }
      if (chosen) {
        moved[*chosen].push_back(s);
      } else {
        missing.push_back(s);
      }
    }
    for (auto& [node, shards] : moved) {
      round.emplace_back(node, std::move(shards));
      filtered.push_back(true);
    }
  }
  if (!missing.empty()) {
    if (!services.options.partial_results) {
      co_return Unavailable(read.record.uid, missing.size(), last_failure);
    }
    outcome.degraded = true;
  }
  if (outcome.results.empty() && !missing.empty()) {
    co_return Unavailable(read.record.uid, missing.size(), last_failure);
  }
  co_return outcome;
}

Result<std::string> MergeReadable(
    Services& services, const Topology& topology, ReadOutcome& outcome,
    const std::function<Result<std::string>(std::vector<NodeResult>&)>& merge) {
  auto merged = merge(outcome.results);
  if (merged || merged.error().code != ErrorCode::kMiroirNodeError) return merged;
  // The slow path, taken only when some answer is unreadable.
  std::vector<NodeResult> readable;
  std::vector<NodeIndex> readable_nodes;
  std::optional<Error> first_fault;
  for (size_t i = 0; i < outcome.results.size(); ++i) {
    std::vector<NodeResult> alone{outcome.results[i]};
    auto single = merge(alone);
    if (single || single.error().code != ErrorCode::kMiroirNodeError) {
      readable.push_back(std::move(outcome.results[i]));
      readable_nodes.push_back(outcome.result_nodes[i]);
      continue;
    }
    const std::string& node_id = topology.node(outcome.result_nodes[i]).id;
    services.metrics.Node(node_id).RecordUnreadable();
    log::Warn("node answer unreadable")
        .Str("request_id", services.request_id)
        .Str("node", node_id)
        .Str("error", single.error().message);
    if (!first_fault) {
      first_fault = Error(ErrorCode::kMiroirNodeError,
                          "Node `" + node_id + "`: " + single.error().message);
    }
  }
  if (!first_fault) return merged;  // no single answer is at fault: their combination is
  if (readable.empty()) return *first_fault;
  outcome.results = std::move(readable);
  outcome.result_nodes = std::move(readable_nodes);
  outcome.degraded = true;
  return merge(outcome.results);
}

awaitable<http::Response> ForwardToOneNode(Services& services, http::UpstreamRequest request) {
  auto topology = services.cluster.topology();
  const size_t count = topology->nodes().size();
  const uint64_t start = services.cluster.NextRotation();
  std::optional<http::UpstreamResult> last;
  NodeIndex last_node = 0;
  for (size_t i = 0; i < count; ++i) {
    NodeIndex n = static_cast<NodeIndex>((start + i) % count);
    if (!services.cluster.IsHealthy(n)) continue;
    auto result = co_await SendToNode(services, *topology, n, request);
    if (!NodeFailed(result)) co_return RelayNodeResponse(result);
    last = std::move(result);
    last_node = n;
  }
  if (last) co_return ErrorResponse(NodeError(topology->node(last_node).id, *last));
  co_return ErrorResponse(Error(ErrorCode::kMiroirShardUnavailable, "No node is reachable."));
}

IndexSearchSettings SearchSettingsFromJson(const json& s) {
  IndexSearchSettings out;
  auto order_of = [](const json& v) {
    if (v.is_string() && v.get<std::string>() == "count") return FacetValuesOrder::kCount;
    if (v.is_string() && v.get<std::string>() == "alpha") return FacetValuesOrder::kLexicographic;
    return FacetValuesOrder::kAuto;
  };
  if (!s.is_object()) return out;
  if (s.contains("distinctAttribute") && s["distinctAttribute"].is_string()) {
    out.distinct_attribute = s["distinctAttribute"].get<std::string>();
  }
  if (s.contains("pagination") && s["pagination"].is_object() &&
      s["pagination"].contains("maxTotalHits") &&
      s["pagination"]["maxTotalHits"].is_number_unsigned()) {
    out.max_total_hits = s["pagination"]["maxTotalHits"].get<uint64_t>();
  }
  if (s.contains("faceting") && s["faceting"].is_object()) {
    const json& f = s["faceting"];
    if (f.contains("maxValuesPerFacet") && f["maxValuesPerFacet"].is_number_unsigned()) {
      out.max_values_per_facet = f["maxValuesPerFacet"].get<uint64_t>();
    }
    if (f.contains("sortFacetValuesBy") && f["sortFacetValuesBy"].is_object()) {
      for (const auto& [facet, order] : f["sortFacetValuesBy"].items()) {
        if (facet == "*") {
          out.facet_order = order_of(order);
        } else {
          out.facet_order_by_facet.emplace_back(facet, order_of(order));
        }
      }
    }
  }
  if (s.contains("rankingRules") && s["rankingRules"].is_array()) {
    for (const auto& rule : s["rankingRules"]) {
      if (!rule.is_string()) continue;
      const std::string r = rule.get<std::string>();
      if (r.ends_with(":asc") || r.ends_with(":desc")) out.ranking_rules_have_sort = true;
    }
  }
  return out;
}

awaitable<std::shared_ptr<const IndexSearchSettings>> SearchSettingsFor(Services& services,
                                                                        const std::string& uid) {
  if (auto cached = services.catalog.SearchSettings(uid)) co_return cached;
  auto topology = services.cluster.topology();
  for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
    if (!services.cluster.IsHealthy(n)) continue;
    auto r = co_await SendToNode(
        services, *topology, n,
        MakeRequest(http::Method::kGet, "/indexes/" + EncodeSegment(uid) + "/settings", "",
                    services.options.search_timeout));
    if (!r.ok() || r.response.status != 200) continue;
    auto body = json::parse(r.response.body, nullptr, false);
    if (!body.is_object()) continue;
    auto settings = std::make_shared<const IndexSearchSettings>(SearchSettingsFromJson(body));
    services.catalog.SetSearchSettings(uid, settings);
    co_return settings;
  }
  // No node answered: defaults (the merge is then right for default settings).
  co_return std::make_shared<const IndexSearchSettings>();
}

}  // namespace miroir::api
