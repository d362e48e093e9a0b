#include "miroir/core/topology_change.hpp"

#include <algorithm>

namespace miroir {
namespace {

Error Invalid(const std::string& message) {
  return Error(ErrorCode::kMiroirInvalidTopologyChange, message);
}

bool HasGroup(const std::vector<NodeSpec>& nodes, const std::string& group) {
  return std::any_of(nodes.begin(), nodes.end(),
                     [&](const NodeSpec& n) { return n.group == group; });
}

std::vector<NodeSpec>::iterator FindId(std::vector<NodeSpec>& nodes, const std::string& id) {
  return std::find_if(nodes.begin(), nodes.end(), [&](const NodeSpec& n) { return n.id == id; });
}

Result<void> CheckNewNode(const std::vector<NodeSpec>& nodes, const NodeSpec& node) {
  if (node.id.empty()) return Invalid("A new node needs a non-empty `id`.");
  if (node.address.empty()) return Invalid("Node `" + node.id + "` needs an `address`.");
  if (node.group.empty()) return Invalid("Node `" + node.id + "` needs a `group`.");
  for (const auto& n : nodes) {
    if (n.id == node.id) return Invalid("A node with id `" + node.id + "` already exists.");
    if (n.address == node.address) {
      return Invalid("Node `" + n.id + "` already has the address `" + node.address + "`.");
    }
  }
  return {};
}

// Every group keeps at least `rf` nodes that hold shards, and one group is left.
Result<void> CheckGroups(const std::vector<NodeSpec>& nodes, uint32_t rf) {
  if (nodes.empty()) return Invalid("The change would leave the cluster without nodes.");
  std::vector<std::string> groups;
  for (const auto& n : nodes) {
    if (std::find(groups.begin(), groups.end(), n.group) == groups.end()) groups.push_back(n.group);
  }
  for (const auto& g : groups) {
    auto holders = std::count_if(nodes.begin(), nodes.end(), [&](const NodeSpec& n) {
      return n.group == g && !n.draining;
    });
    if (static_cast<uint32_t>(holders) < rf) {
      return Invalid("The change would leave group `" + g + "` with " + std::to_string(holders) +
                     " node(s) that hold shards, fewer than the replication factor " +
                     std::to_string(rf) + ".");
    }
  }
  return {};
}

}  // namespace

Result<std::vector<NodeSpec>> TargetNodes(const TopologySpec& current,
                                          const TopologyChange& change) {
  std::vector<NodeSpec> nodes = current.nodes;
  using Kind = TopologyChange::Kind;
  switch (change.kind) {
    case Kind::kAddNode: {
      NodeSpec node{change.node_id, change.address, change.group, false};
      MIROIR_RETURN_IF_ERROR(CheckNewNode(nodes, node));
      if (!HasGroup(nodes, change.group)) {
        return Invalid("Group `" + change.group +
                       "` does not exist; add a whole group with POST /_miroir/groups.");
      }
      nodes.push_back(std::move(node));
      break;
    }
    case Kind::kDrainNode: {
      auto it = FindId(nodes, change.node_id);
      if (it == nodes.end()) return Invalid("Node `" + change.node_id + "` not found.");
      if (it->draining) return Invalid("Node `" + change.node_id + "` is already drained.");
      it->draining = true;
      break;
    }
    case Kind::kRemoveNode: {
      auto it = FindId(nodes, change.node_id);
      if (it == nodes.end()) return Invalid("Node `" + change.node_id + "` not found.");
      nodes.erase(it);
      break;
    }
    case Kind::kAddGroup: {
      if (change.group.empty()) return Invalid("A new group needs a non-empty `id`.");
      if (HasGroup(nodes, change.group)) {
        return Invalid("Group `" + change.group + "` already exists.");
      }
      if (change.nodes.empty()) return Invalid("Group `" + change.group + "` needs `nodes`.");
      for (NodeSpec node : change.nodes) {
        node.group = change.group;
        node.draining = false;
        MIROIR_RETURN_IF_ERROR(CheckNewNode(nodes, node));
        nodes.push_back(std::move(node));
      }
      break;
    }
    case Kind::kRemoveGroup: {
      if (!HasGroup(nodes, change.group)) return Invalid("Group `" + change.group + "` not found.");
      std::erase_if(nodes, [&](const NodeSpec& n) { return n.group == change.group; });
      break;
    }
  }
  MIROIR_RETURN_IF_ERROR(CheckGroups(nodes, current.replication_factor));
  return nodes;
}

std::string DescribeChange(const TopologyChange& change) {
  using Kind = TopologyChange::Kind;
  switch (change.kind) {
    case Kind::kAddNode:
      return "add node " + change.node_id + " (" + change.address + ") to group " + change.group;
    case Kind::kDrainNode: return "drain node " + change.node_id;
    case Kind::kRemoveNode: return "remove node " + change.node_id;
    case Kind::kAddGroup:
      return "add group " + change.group + " (" + std::to_string(change.nodes.size()) + " nodes)";
    case Kind::kRemoveGroup: return "remove group " + change.group;
  }
  return "";
}

std::vector<ShardMove> PlanMoves(const Topology& topology, uint32_t shard_count) {
  std::vector<ShardMove> moves;
  if (!topology.migrating()) return moves;
  const size_t groups = topology.group_count();
  for (uint32_t s = 0; s < shard_count; ++s) {
    ShardMove move;
    move.shard = s;
    std::vector<std::vector<NodeIndex>> old_by_group(groups);
    for (size_t g = 0; g < groups; ++g) {
      old_by_group[g] = topology.OldOwners(g, s);
      const std::vector<NodeIndex> new_owners = topology.NewOwners(g, s);
      for (NodeIndex n : new_owners) {
        if (std::find(old_by_group[g].begin(), old_by_group[g].end(), n) == old_by_group[g].end()) {
          move.to.push_back(n);
        }
      }
      for (NodeIndex n : old_by_group[g]) {
        if (std::find(new_owners.begin(), new_owners.end(), n) == new_owners.end()) {
          move.drop.push_back(n);
        }
      }
    }
    if (move.to.empty() && move.drop.empty()) continue;
    // Sources: the destination's own group first (same data path), then the rest.
    const size_t home = move.to.empty() ? 0 : topology.group_of(move.to.front());
    for (size_t i = 0; i < groups; ++i) {
      const auto& owners = old_by_group[(home + i) % groups];
      move.from.insert(move.from.end(), owners.begin(), owners.end());
    }
    moves.push_back(std::move(move));
  }
  return moves;
}

}  // namespace miroir
