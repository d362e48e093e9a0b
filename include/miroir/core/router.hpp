// Where a request goes: the covering set for a read, the owner set for a
// write, and the quorum rule that decides whether a write succeeded
// (ARCHITECTURE.md §2). Pure logic over a topology snapshot and a view of
// node health; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "miroir/core/topology.hpp"

namespace miroir {

// Which nodes this instance currently considers healthy.
class NodeHealth {
 public:
  virtual ~NodeHealth() = default;
  virtual bool IsHealthy(NodeIndex node) const = 0;
};

// One node's part of a read.
struct ReadTarget {
  NodeIndex node = 0;
  std::vector<uint32_t> shards;  // the shards it answers for, ascending
  // True when the node holds shards it was not chosen for, so its query must
  // be restricted with `_miroir_shard IN [shards]` to count nothing twice.
  bool needs_shard_filter = false;
};

struct ReadPlan {
  std::vector<ReadTarget> targets;
  std::vector<uint32_t> missing_shards;  // no healthy replica in any group
  bool used_fallback_group = false;      // some shard came from another group
};

// Picks one replica per shard. `rotation` varies per request so that load
// spreads over groups and replicas; equal inputs give equal plans.
ReadPlan PlanRead(const Topology& topology, const Placement& placement, const NodeHealth& health,
                  uint64_t rotation);

// Every node a write to `shard` must reach: the owners in every group, and
// during a migration the other side's owners too (Placement::ExtraWriters).
std::vector<NodeIndex> WriteTargets(const Topology& topology, const Placement& placement,
                                    uint32_t shard);

struct QuorumOutcome {
  bool ok = false;                       // every shard met quorum in at least one group
  bool degraded = false;                 // ok, but some owner missed the write
  std::vector<uint32_t> failed_shards;   // shards that met quorum in no group
};

// The quorum rule: a group succeeds for a shard when floor(RF/2)+1 of its RF
// owners accepted; the write succeeds when some group succeeds for every
// shard. `accepted(node)` says whether that node accepted its part.
template <class Accepted>
QuorumOutcome EvaluateQuorum(const Topology& topology, const Placement& placement,
                             const std::vector<uint32_t>& shards, Accepted&& accepted) {
  QuorumOutcome out;
  const uint32_t needed = topology.replication_factor() / 2 + 1;
  for (uint32_t shard : shards) {
    bool shard_ok = false;
    for (size_t g = 0; g < topology.group_count(); ++g) {
      uint32_t acks = 0;
      for (NodeIndex n : placement.Owners(g, shard)) {
        if (accepted(n)) {
          ++acks;
        } else {
          out.degraded = true;
        }
      }
      if (acks >= needed) shard_ok = true;
    }
    if (!shard_ok) out.failed_shards.push_back(shard);
  }
  out.ok = out.failed_shards.empty();
  if (!out.ok) out.degraded = false;
  return out;
}

}  // namespace miroir
