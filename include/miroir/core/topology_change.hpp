// Operator topology changes (ARCHITECTURE §3): what the cluster should look
// like after "add a node", "drain a node", ..., and which shards that moves.
//
// Pure functions over TopologySpec/Topology: the admin API validates a
// request with TargetNodes before it publishes a migration, and the
// migration coordinator plans its copies with PlanMoves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/topology.hpp"

namespace miroir {

struct TopologyChange {
  enum class Kind {
    kAddNode,      // node_id, address, group: a new node joins a group
    kDrainNode,    // node_id: the node gives its shards away and stays, owning none
    kRemoveNode,   // node_id: the node leaves (also how RF is restored after a node died)
    kAddGroup,     // group, nodes: a new replica group, filled from the others
    kRemoveGroup,  // group: every node of the group leaves
  };
  Kind kind = Kind::kAddNode;
  std::string node_id;
  std::string address;
  std::string group;
  std::vector<NodeSpec> nodes;  // kAddGroup
};

// The node list after `change` is applied to `current` (which must have no
// migration). miroir_invalid_topology_change when the change names an
// unknown node or group, repeats an id or address, would leave a group with
// fewer shard-holding nodes than the replication factor, or removes the
// last group.
Result<std::vector<NodeSpec>> TargetNodes(const TopologySpec& current,
                                          const TopologyChange& change);

// "add node n4 (10.0.0.4:7700) to group g1", for status displays and logs.
std::string DescribeChange(const TopologyChange& change);

// One shard whose owners change in some group: copy it to `to` from a
// node of `from` (listed by preference: same group as the destination
// first, then the others).
struct ShardMove {
  uint32_t shard = 0;
  std::vector<NodeIndex> from;  // every node that owns the shard before, all groups
  std::vector<NodeIndex> to;    // nodes that own it after and not before
  std::vector<NodeIndex> drop;  // nodes that own it before and not after
};

// The moves of an index with `shard_count` shards under `topology`'s
// migration (empty without one): only shards whose owners change.
std::vector<ShardMove> PlanMoves(const Topology& topology, uint32_t shard_count);

// What the admin API asks of the migration coordinator
// (workers/migration_coordinator.hpp), which the application provides.
// Calls block on the coordination store: make them from a store thread.
class TopologyChanger {
 public:
  virtual ~TopologyChanger() = default;
  // Publishes the change's dual-write epoch; the coordinator takes it from there.
  virtual Result<nlohmann::json> Begin(const TopologyChange& change) = 0;
  // "pause", "resume" or "cancel".
  virtual Result<nlohmann::json> Control(std::string_view action) = 0;
  virtual Result<nlohmann::json> Status() = 0;
};

}  // namespace miroir
