#include "miroir/core/topology.hpp"

#include <algorithm>
#include <set>

#include "miroir/core/hash.hpp"

namespace miroir {

Placement::Placement(uint32_t shard_count, size_t node_count,
                     std::vector<std::vector<std::vector<NodeIndex>>> owners)
    : shard_count_(shard_count), owners_(std::move(owners)), owned_count_(node_count, 0) {
  for (const auto& group : owners_) {
    for (const auto& shard_owners : group) {
      for (NodeIndex n : shard_owners) ++owned_count_[n];
    }
  }
}

std::vector<NodeIndex> RankOwners(uint32_t shard, const std::vector<NodeIndex>& candidates,
                                  const std::vector<NodeSpec>& nodes, uint32_t rf) {
  std::vector<std::pair<uint64_t, NodeIndex>> scored;
  scored.reserve(candidates.size());
  for (NodeIndex n : candidates) scored.emplace_back(RendezvousScore(shard, nodes[n].id), n);
  // Highest score first; the node id breaks the (astronomically unlikely) tie
  // so every instance computes the same order.
  std::sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return nodes[a.second].id < nodes[b.second].id;
  });
  std::vector<NodeIndex> owners;
  for (size_t i = 0; i < scored.size() && i < rf; ++i) owners.push_back(scored[i].second);
  return owners;
}

Result<std::shared_ptr<const Topology>> Topology::Create(TopologySpec spec) {
  if (spec.nodes.empty()) {
    return Error(ErrorCode::kInternal, "topology: at least one node is required");
  }
  if (spec.replication_factor < 1) {
    return Error(ErrorCode::kInternal, "topology: replication_factor must be at least 1");
  }
  std::set<std::string> ids, addresses;
  for (const auto& n : spec.nodes) {
    if (n.id.empty()) return Error(ErrorCode::kInternal, "topology: a node has an empty id");
    if (!ids.insert(n.id).second) {
      return Error(ErrorCode::kInternal, "topology: duplicate node id '" + n.id + "'");
    }
    if (!addresses.insert(n.address).second) {
      return Error(ErrorCode::kInternal, "topology: duplicate node address '" + n.address + "'");
    }
  }
  std::shared_ptr<Topology> t(new Topology(std::move(spec)));
  t->group_of_.resize(t->spec_.nodes.size());
  for (NodeIndex i = 0; i < t->spec_.nodes.size(); ++i) {
    const NodeSpec& n = t->spec_.nodes[i];
    auto it = std::find_if(t->groups_.begin(), t->groups_.end(),
                           [&](const Group& g) { return g.id == n.group; });
    if (it == t->groups_.end()) {
      t->groups_.push_back(Group{n.group, {}, {}});
      it = t->groups_.end() - 1;
    }
    it->members.push_back(i);
    if (!n.draining) it->shard_holders.push_back(i);
    t->group_of_[i] = static_cast<size_t>(it - t->groups_.begin());
  }
  for (const auto& g : t->groups_) {
    if (g.shard_holders.size() < t->spec_.replication_factor) {
      return Error(ErrorCode::kInternal,
                   "topology: replication_factor " +
                       std::to_string(t->spec_.replication_factor) + " is larger than group '" +
                       g.id + "' (" + std::to_string(g.shard_holders.size()) +
                       " nodes that can hold shards)");
    }
  }
  if (t->spec_.default_shards < 1) {
    return Error(ErrorCode::kInternal, "topology: shards must be at least 1");
  }
  t->default_placement_ = t->ComputePlacement(t->spec_.default_shards);
  return std::shared_ptr<const Topology>(std::move(t));
}

std::optional<NodeIndex> Topology::FindNode(std::string_view id) const {
  for (NodeIndex i = 0; i < spec_.nodes.size(); ++i) {
    if (spec_.nodes[i].id == id) return i;
  }
  return std::nullopt;
}

std::shared_ptr<const Placement> Topology::PlacementFor(uint32_t shard_count) const {
  if (shard_count == default_placement_->shard_count()) return default_placement_;
  std::lock_guard lock(placements_mu_);
  auto it = placements_.find(shard_count);
  if (it != placements_.end()) return it->second;
  auto placement = ComputePlacement(shard_count);
  placements_.emplace(shard_count, placement);
  return placement;
}

std::shared_ptr<const Placement> Topology::ComputePlacement(uint32_t shard_count) const {  std::vector<std::vector<std::vector<NodeIndex>>> owners(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    owners[g].resize(shard_count);
    for (uint32_t s = 0; s < shard_count; ++s) {
      owners[g][s] = RankOwners(s, groups_[g].shard_holders, spec_.nodes,
                                spec_.replication_factor);
    }
  }
  return std::make_shared<const Placement>(shard_count, spec_.nodes.size(), std::move(owners));
}

}  // namespace miroir
