// The cluster's shape: replica groups of nodes, the replication factor, and
// where each shard of an index lives (rendezvous placement).
//
// A Topology is an immutable value. Changes build a new one with a higher
// epoch; readers hold a shared_ptr<const Topology> snapshot for the length of
// a request (ARCHITECTURE.md §8), so no lock is taken on the request path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "miroir/core/error.hpp"

namespace miroir {

using NodeIndex = uint32_t;  // position of a node in Topology::nodes()

struct NodeSpec {
  std::string id;       // stable identity; part of the placement hash
  std::string address;  // "host:port" of the Meilisearch node
  std::string group;    // id of its replica group
  // A draining node keeps its data and serves reads but owns no shards in
  // the target placement (issue 6 moves them away).
  bool draining = false;
};

struct TopologySpec {
  uint64_t epoch = 1;
  uint32_t replication_factor = 1;
  // Shards of a new index. Its placement is computed eagerly, so the common
  // case takes no lock on the request path.
  uint32_t default_shards = 64;
  std::vector<NodeSpec> nodes;  // groups are the distinct NodeSpec::group values, in order
};

// Owners of every shard for one shard count, per group. Built once per
// (topology, S) and shared.
class Placement {
 public:
  Placement(uint32_t shard_count, size_t node_count,
            std::vector<std::vector<std::vector<NodeIndex>>> owners);

  uint32_t shard_count() const { return shard_count_; }
  // The RF owners of a shard in a group, best rendezvous score first.
  const std::vector<NodeIndex>& Owners(size_t group, uint32_t shard) const {
    return owners_[group][shard];
  }
  // How many shards a node owns (in its own group).
  uint32_t ShardsOwnedBy(NodeIndex node) const { return owned_count_[node]; }

 private:
  uint32_t shard_count_;
  std::vector<std::vector<std::vector<NodeIndex>>> owners_;  // [group][shard] -> owners
  std::vector<uint32_t> owned_count_;                        // [node] -> shards owned
};

class Topology {
 public:
  // Validates the spec: unique node ids and addresses, at least one node per
  // group, RF between 1 and the size of every group. Errors name the fault.
  static Result<std::shared_ptr<const Topology>> Create(TopologySpec spec);

  uint64_t epoch() const { return spec_.epoch; }
  uint32_t replication_factor() const { return spec_.replication_factor; }
  const std::vector<NodeSpec>& nodes() const { return spec_.nodes; }
  const NodeSpec& node(NodeIndex i) const { return spec_.nodes[i]; }
  std::optional<NodeIndex> FindNode(std::string_view id) const;
  const TopologySpec& spec() const { return spec_; }

  size_t group_count() const { return groups_.size(); }
  const std::string& group_id(size_t g) const { return groups_[g].id; }
  const std::vector<NodeIndex>& group_members(size_t g) const { return groups_[g].members; }
  size_t group_of(NodeIndex node) const { return group_of_[node]; }

  // The placement for an index with `shard_count` shards; computed on first
  // use and cached for the life of this snapshot. Thread-safe.
  std::shared_ptr<const Placement> PlacementFor(uint32_t shard_count) const;

 private:
  std::shared_ptr<const Placement> ComputePlacement(uint32_t shard_count) const;

  struct Group {
    std::string id;
    std::vector<NodeIndex> members;         // every node of the group
    std::vector<NodeIndex> shard_holders;   // members that are not draining
  };
  explicit Topology(TopologySpec spec) : spec_(std::move(spec)) {}

  TopologySpec spec_;
  std::vector<Group> groups_;
  std::vector<size_t> group_of_;
  std::shared_ptr<const Placement> default_placement_;
  mutable std::mutex placements_mu_;
  mutable std::map<uint32_t, std::shared_ptr<const Placement>> placements_;
};

// Placement of one shard in one group: the `rf` highest-scoring candidates.
std::vector<NodeIndex> RankOwners(uint32_t shard, const std::vector<NodeIndex>& candidates,
                                  const std::vector<NodeSpec>& nodes, uint32_t rf);

}  // namespace miroir
