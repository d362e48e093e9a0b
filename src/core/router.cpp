#include "miroir/core/router.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace miroir {
namespace {

// Chooses, for each shard in `shards`, the healthy owner in group `g` with the
// fewest shards assigned so far (ties rotate with the request), recording
// the choice in `assigned`. Returns the shards it could not place.
std::vector<uint32_t> AssignInGroup(const Placement& placement, const NodeHealth& health,
                                    size_t g, const std::vector<uint32_t>& shards,
                                    uint64_t rotation,
                                    std::map<NodeIndex, std::vector<uint32_t>>& assigned) {
  std::vector<uint32_t> unplaced;
  for (uint32_t shard : shards) {
    const auto& owners = placement.Owners(g, shard);
    const size_t k = owners.size();
    std::optional<NodeIndex> best;
    size_t best_load = SIZE_MAX;
    for (size_t i = 0; i < k; ++i) {
      NodeIndex n = owners[(i + rotation + shard) % k];
      if (!health.IsHealthy(n)) continue;
      auto it = assigned.find(n);
      size_t load = it == assigned.end() ? 0 : it->second.size();
      if (load < best_load) {
        best = n;
        best_load = load;
      }
    }
    if (best) {
      assigned[*best].push_back(shard);
    } else {
      unplaced.push_back(shard);
    }
  }
  return unplaced;
}

}  // namespace

ReadPlan PlanRead(const Topology& topology, const Placement& placement, const NodeHealth& health,
                  uint64_t rotation) {
  const size_t groups = topology.group_count();
  std::vector<uint32_t> all(placement.shard_count());
  for (uint32_t s = 0; s < placement.shard_count(); ++s) all[s] = s;

  // Prefer the first group, from the rotation, that covers every shard alone;
  // otherwise the one that covers most, with the rest from other groups.
  size_t primary = rotation % groups;
  size_t best_missing = SIZE_MAX;
  for (size_t i = 0; i < groups; ++i) {
    size_t g = (rotation + i) % groups;
    size_t missing = 0;
    for (uint32_t s : all) {
      const auto& owners = placement.Owners(g, s);
      if (std::none_of(owners.begin(), owners.end(),
                       [&](NodeIndex n) { return health.IsHealthy(n); })) {
        ++missing;
      }
    }
    if (missing < best_missing) {
      best_missing = missing;
      primary = g;
      if (missing == 0) break;
    }
  }

  ReadPlan plan;
  std::map<NodeIndex, std::vector<uint32_t>> assigned;
  std::vector<uint32_t> remaining =
      AssignInGroup(placement, health, primary, all, rotation, assigned);
  for (size_t i = 1; i < groups && !remaining.empty(); ++i) {
    size_t g = (primary + i) % groups;
    size_t before = remaining.size();
    remaining = AssignInGroup(placement, health, g, remaining, rotation, assigned);
    if (remaining.size() < before) plan.used_fallback_group = true;
  }
  plan.missing_shards = std::move(remaining);

  for (auto& [node, shards] : assigned) {
    std::sort(shards.begin(), shards.end());
    ReadTarget t;
    t.node = node;
    // During a migration nodes also hold shards they do not own.
    t.needs_shard_filter =
        placement.filter_reads() || placement.ShardsOwnedBy(node) != shards.size();
    t.shards = std::move(shards);
    plan.targets.push_back(std::move(t));
  }
  return plan;
}

std::vector<NodeIndex> WriteTargets(const Topology& topology, const Placement& placement,
                                    uint32_t shard) {
  std::vector<NodeIndex> targets;
  for (size_t g = 0; g < topology.group_count(); ++g) {
    const auto& owners = placement.Owners(g, shard);
    targets.insert(targets.end(), owners.begin(), owners.end());
    const auto& extra = placement.ExtraWriters(g, shard);
    targets.insert(targets.end(), extra.begin(), extra.end());
  }
  return targets;
}

}  // namespace miroir
