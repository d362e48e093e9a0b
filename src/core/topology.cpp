#include "miroir/core/topology.hpp"

#include <algorithm>
#include <set>

#include "miroir/core/hash.hpp"

namespace miroir {

const std::vector<NodeIndex> Placement::kNone;

std::string_view MigrationStateName(MigrationState s) {
  switch (s) {
    case MigrationState::kPreparing: return "preparing";
    case MigrationState::kRunning: return "running";
    case MigrationState::kPaused: return "paused";
    case MigrationState::kCancelling: return "cancelling";
    case MigrationState::kCleanup: return "cleanup";
  }
  return "running";
}

std::optional<MigrationState> ParseMigrationState(std::string_view name) {
  for (auto s : {MigrationState::kPreparing, MigrationState::kRunning, MigrationState::kPaused,
                 MigrationState::kCancelling, MigrationState::kCleanup}) {
    if (MigrationStateName(s) == name) return s;
  }
  return std::nullopt;
}

Placement::Placement(uint32_t shard_count, size_t node_count,
                     std::vector<std::vector<std::vector<NodeIndex>>> owners)
    : Placement(shard_count, node_count, std::move(owners), {}, false) {}

Placement::Placement(uint32_t shard_count, size_t node_count,
                     std::vector<std::vector<std::vector<NodeIndex>>> owners,
                     std::vector<std::vector<std::vector<NodeIndex>>> extra_writers,
                     bool filter_reads)
    : shard_count_(shard_count),
      owners_(std::move(owners)),
      extra_writers_(std::move(extra_writers)),
      owned_count_(node_count, 0),
      filter_reads_(filter_reads) {
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

namespace {

Result<void> CheckNodeList(const std::vector<NodeSpec>& nodes, const char* which) {
  if (nodes.empty()) {
    return Error(ErrorCode::kInternal, std::string("topology: at least one node is required") + which);
  }
  std::set<std::string> ids, addresses;
  for (const auto& n : nodes) {
    if (n.id.empty()) return Error(ErrorCode::kInternal, "topology: a node has an empty id");
    if (!ids.insert(n.id).second) {
      return Error(ErrorCode::kInternal, "topology: duplicate node id '" + n.id + "'" + which);
    }
    if (!addresses.insert(n.address).second) {
      return Error(ErrorCode::kInternal,
                   "topology: duplicate node address '" + n.address + "'" + which);
    }
  }
  return {};
}

const NodeSpec* FindSpec(const std::vector<NodeSpec>& nodes, const std::string& id) {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::vector<NodeIndex> Without(const std::vector<NodeIndex>& a, const std::vector<NodeIndex>& b) {
  std::vector<NodeIndex> out;
  for (NodeIndex n : a) {
    if (std::find(b.begin(), b.end(), n) == b.end()) out.push_back(n);
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Topology>> Topology::Create(TopologySpec spec) {
  if (spec.replication_factor < 1) {
    return Error(ErrorCode::kInternal, "topology: replication_factor must be at least 1");
  }
  if (spec.default_shards < 1) {
    return Error(ErrorCode::kInternal, "topology: shards must be at least 1");
  }
  MIROIR_RETURN_IF_ERROR(CheckNodeList(spec.nodes, ""));
  std::shared_ptr<Topology> t(new Topology(std::move(spec)));
  const TopologySpec& sp = t->spec_;
  t->all_nodes_ = sp.nodes;
  t->current_count_ = sp.nodes.size();
  if (sp.migration) {
    MIROIR_RETURN_IF_ERROR(CheckNodeList(sp.migration->target, " in the migration's target"));
    for (const auto& n : sp.migration->target) {
      const NodeSpec* now = FindSpec(sp.nodes, n.id);
      if (now == nullptr) {
        for (const auto& c : sp.nodes) {
          if (c.address == n.address) {
            return Error(ErrorCode::kInternal, "topology: node '" + n.id + "' has the address of '" +
                                                   c.id + "'");
          }
        }
        t->all_nodes_.push_back(n);
      } else if (now->address != n.address || now->group != n.group) {
        return Error(ErrorCode::kInternal,
                     "topology: node '" + n.id + "' changes address or group in the migration");
      }
    }
  }
  const size_t count = t->all_nodes_.size();
  t->in_target_.assign(count, !sp.migration.has_value());
  t->group_of_.resize(count);
  for (NodeIndex i = 0; i < count; ++i) {
    const NodeSpec& n = t->all_nodes_[i];
    const NodeSpec* target = sp.migration ? FindSpec(sp.migration->target, n.id) : &n;
    t->in_target_[i] = target != nullptr;
    auto it = std::find_if(t->groups_.begin(), t->groups_.end(),
                           [&](const Group& g) { return g.id == n.group; });
    if (it == t->groups_.end()) {
      t->groups_.push_back(Group{n.group, {}, {}, {}});
      it = t->groups_.end() - 1;
    }
    it->members.push_back(i);
    if (i < t->current_count_ && !n.draining) it->shard_holders.push_back(i);
    if (target != nullptr && !target->draining) it->target_holders.push_back(i);
    t->group_of_[i] = static_cast<size_t>(it - t->groups_.begin());
  }
  const uint32_t rf = sp.replication_factor;
  for (const auto& g : t->groups_) {
    // A group only one side of a migration has (being added or removed) has
    // no holders on the other side.
    const bool now = std::any_of(g.members.begin(), g.members.end(),
                                 [&](NodeIndex n) { return t->InCurrent(n); });
    const bool later = std::any_of(g.members.begin(), g.members.end(),
                                   [&](NodeIndex n) { return t->InTarget(n); });
    for (auto [present, holders] : {std::pair{now, &g.shard_holders},
                                    std::pair{later, &g.target_holders}}) {
      if (present && holders->size() < rf) {
        return Error(ErrorCode::kInternal,
                     "topology: replication_factor " + std::to_string(rf) +
                         " is larger than group '" + g.id + "' (" +
                         std::to_string(holders->size()) + " nodes that can hold shards" +
                         (holders == &g.target_holders && sp.migration ? " after the change" : "") +
                         ")");
      }
    }
  }
  t->default_placement_ = t->ComputePlacement(sp.default_shards, nullptr);
  return std::shared_ptr<const Topology>(std::move(t));
}

std::optional<NodeIndex> Topology::FindNode(std::string_view id) const {
  for (NodeIndex i = 0; i < all_nodes_.size(); ++i) {
    if (all_nodes_[i].id == id) return i;
  }
  return std::nullopt;
}

std::shared_ptr<const Placement> Topology::PlacementFor(uint32_t shard_count) const {
  if (shard_count == default_placement_->shard_count()) return default_placement_;
  std::lock_guard lock(placements_mu_);
  auto it = placements_.find(shard_count);
  if (it != placements_.end()) return it->second;
  auto placement = ComputePlacement(shard_count, nullptr);
  placements_.emplace(shard_count, placement);
  return placement;
}

std::shared_ptr<const Placement> Topology::PlacementFor(const std::string& index_uid,
                                                        uint32_t shard_count) const {
  if (!spec_.migration) return PlacementFor(shard_count);
  auto activated = spec_.migration->activated.find(index_uid);
  if (activated == spec_.migration->activated.end() || activated->second.empty()) {
    return PlacementFor(shard_count);
  }
  std::lock_guard lock(placements_mu_);
  auto key = std::make_pair(index_uid, shard_count);
  auto it = index_placements_.find(key);
  if (it != index_placements_.end()) return it->second;
  auto placement = ComputePlacement(shard_count, &activated->second);
  index_placements_.emplace(std::move(key), placement);
  return placement;
}

bool Topology::IsHeld(const std::string& index_uid, uint32_t shard) const {
  if (!spec_.migration) return false;
  auto it = spec_.migration->held.find(index_uid);
  return it != spec_.migration->held.end() && it->second.count(shard) > 0;
}

std::vector<NodeIndex> Topology::OldOwners(size_t group, uint32_t shard) const {
  return RankOwners(shard, groups_[group].shard_holders, all_nodes_, spec_.replication_factor);
}

std::vector<NodeIndex> Topology::NewOwners(size_t group, uint32_t shard) const {
  return RankOwners(shard, groups_[group].target_holders, all_nodes_, spec_.replication_factor);
}

std::shared_ptr<const Placement> Topology::ComputePlacement(
    uint32_t shard_count, const std::set<uint32_t>* activated) const {
  // While preparing, nothing is routed to the target yet.
  const bool migrating =
      spec_.migration.has_value() && spec_.migration->state != MigrationState::kPreparing;
  std::vector<std::vector<std::vector<NodeIndex>>> owners(groups_.size());
  std::vector<std::vector<std::vector<NodeIndex>>> extras;
  if (migrating) extras.resize(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    owners[g].resize(shard_count);
    if (migrating) extras[g].resize(shard_count);
    for (uint32_t s = 0; s < shard_count; ++s) {
      std::vector<NodeIndex> old_owners = OldOwners(g, s);
      if (!migrating) {
        owners[g][s] = std::move(old_owners);
        continue;
      }
      std::vector<NodeIndex> new_owners = NewOwners(g, s);
      const bool moved = activated != nullptr && activated->count(s) > 0;
      // Both sides get every write until the migration ends: the side that
      // is not read stays complete, so activation can be undone.
      extras[g][s] = moved ? Without(old_owners, new_owners) : Without(new_owners, old_owners);
      owners[g][s] = moved ? std::move(new_owners) : std::move(old_owners);
    }
  }
  return std::make_shared<const Placement>(shard_count, all_nodes_.size(), std::move(owners),
                                           std::move(extras), migrating);
}

}  // namespace miroir
