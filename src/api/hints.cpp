#include "hints.hpp"

#include <set>
#include <string>

#include "miroir/core/time.hpp"
#include "miroir/log/log.hpp"

namespace miroir::api {

awaitable<Result<SendableNodes>> SendableNodes::Read(Services& services,
                                                     const Topology& topology) {
  SendableNodes out;
  out.sendable_.resize(topology.nodes().size());
  for (NodeIndex n = 0; n < out.sendable_.size(); ++n) {
    out.sendable_[n] = services.cluster.IsHealthy(n);
  }
  if (!services.options.hinted_handoff) co_return out;
  auto read = [](store::Store& s) { return s.NodesWithHints(); };
  Result<std::set<std::string>> hinted = co_await services.store.Run(std::move(read));
  if (!hinted) co_return hinted.error();
  for (const std::string& id : *hinted) {
    if (auto n = topology.FindNode(id)) out.sendable_[*n] = false;
  }
  co_return out;
}

bool MissedWrite(const NodeReply& reply) {
  return !reply.result.ok() || reply.result.response.status >= 500;
}

awaitable<void> StoreHints(Services& services, const Topology& topology,
                           std::vector<std::pair<NodeIndex, http::UpstreamRequest>> missed) {
  if (!services.options.hinted_handoff || missed.empty()) co_return;
  const int64_t now = NowUnixMillis();
  for (auto& [node, request] : missed) {
    store::Hint hint;
    hint.node_id = topology.node(node).id;
    hint.method = std::string(http::MethodName(request.method));
    hint.target = std::move(request.target);
    if (!request.body.empty()) hint.content_type = request.content_type;
    hint.body = std::move(request.body);
    hint.created_at_ms = now;
    const std::string node_id = hint.node_id;
    const uint64_t bound = services.options.hint_max_bytes_per_node;
    auto call = [hint = std::move(hint), bound](store::Store& s) {
      return s.AppendHint(hint, bound);
    };
    Result<bool> stored = co_await services.store.Run(std::move(call));
    if (stored && *stored) {
      services.cluster.SetCatchingUp(node_id, true);
      services.metrics.hints_stored().Increment();
      continue;
    }
    services.metrics.hints_not_stored().Increment();
    log::Warn("hint not stored; anti-entropy will repair the node")
        .Str("node", node_id)
        .Str("request_id", services.request_id)
        .Str("reason", stored ? "queue full (hinted_handoff.max_bytes_per_node)"
                              : stored.error().message);
  }
}

}  // namespace miroir::api
