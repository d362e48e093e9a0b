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
#include <set>
#include <string>
#include <string_view>
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
  bool operator==(const NodeSpec&) const = default;
};

// A topology change in progress (ARCHITECTURE §3), as routing must see it.
// The topology's nodes are the cluster before the change, `target` the
// cluster after it; a shard whose owners differ between the two is moving.
// While a migration is present:
//  - writes to a moving shard go to its old and its new owners (dual write);
//  - reads go to the old owners until the shard is activated for its index,
//    then to the new owners;
//  - writes to a held shard wait (the quiesce phase) until it is released;
//  - every read is restricted to the shards it is for (`_miroir_shard IN`),
//    since nodes hold copies of shards they do not own.
// The migration coordinator (workers/migration_coordinator.hpp) moves a
// change through these states one epoch at a time.
//
// The last phase, cleanup, is a migration whose target equals the nodes (no
// shard moves any more; reads stay filtered) and whose `previous` lists the
// cluster before the change: nodes there may still hold copies of shards
// they no longer own, which the coordinator deletes before it drops the
// migration. Cancelling is the same phase the other way round: the nodes
// stay, the abandoned target becomes `previous`.
enum class MigrationState {
  kPreparing,   // the target's new nodes get every index (and its settings)
                // before any write is sent to them: routing is unchanged, but
                // index-wide requests (create, settings, delete) reach them too
  kRunning,     // the coordinator moves shards
  kPaused,      // an operator paused it: dual writes go on, nothing is copied
  kCancelling,  // an operator cancelled it: the coordinator rolls back
  kCleanup,     // nodes == target; copies left on `previous` are being deleted
};
std::string_view MigrationStateName(MigrationState s);
std::optional<MigrationState> ParseMigrationState(std::string_view name);

struct MigrationSpec {
  std::vector<NodeSpec> target;
  std::map<std::string, std::set<uint32_t>> activated;  // index uid -> shards
  std::map<std::string, std::set<uint32_t>> held;       // index uid -> shards
  MigrationState state = MigrationState::kPreparing;
  std::vector<NodeSpec> previous;  // kCleanup: the cluster before the change
  std::string description;         // what the operator asked for, for status
  uint64_t id = 0;                 // the epoch that started it: names it in progress records
  bool operator==(const MigrationSpec&) const = default;
};

struct TopologySpec {
  uint64_t epoch = 1;
  uint32_t replication_factor = 1;
  // Shards of a new index. Its placement is computed eagerly, so the common
  // case takes no lock on the request path.
  uint32_t default_shards = 64;
  std::vector<NodeSpec> nodes;  // groups are the distinct NodeSpec::group values, in order
  std::optional<MigrationSpec> migration;
};

// Owners of every shard for one shard count, per group. Built once per
// (topology, S) and shared.
class Placement {
 public:
  Placement(uint32_t shard_count, size_t node_count,
            std::vector<std::vector<std::vector<NodeIndex>>> owners);

  uint32_t shard_count() const { return shard_count_; }
  // With `extra_writers` ([group][shard] -> nodes): during a migration, the
  // nodes that receive a shard's writes without owning it (empty otherwise).
  // `filter_reads`: every read target must restrict its query to its shards.
  Placement(uint32_t shard_count, size_t node_count,
            std::vector<std::vector<std::vector<NodeIndex>>> owners,
            std::vector<std::vector<std::vector<NodeIndex>>> extra_writers, bool filter_reads);

  // The RF owners of a shard in a group, best rendezvous score first: the
  // nodes reads go to and whose acknowledgements make a write's quorum.
  const std::vector<NodeIndex>& Owners(size_t group, uint32_t shard) const {
    return owners_[group][shard];
  }
  // Nodes that also receive the shard's writes (a migration's other side).
  const std::vector<NodeIndex>& ExtraWriters(size_t group, uint32_t shard) const {
    return extra_writers_.empty() ? kNone : extra_writers_[group][shard];
  }
  // How many shards a node owns (in its own group).
  uint32_t ShardsOwnedBy(NodeIndex node) const { return owned_count_[node]; }
  bool filter_reads() const { return filter_reads_; }

 private:
  static const std::vector<NodeIndex> kNone;
  uint32_t shard_count_;
  std::vector<std::vector<std::vector<NodeIndex>>> owners_;  // [group][shard] -> owners
  std::vector<std::vector<std::vector<NodeIndex>>> extra_writers_;  // empty when none
  std::vector<uint32_t> owned_count_;                        // [node] -> shards owned
  bool filter_reads_ = false;
};

class Topology {
 public:
  // Validates the spec: unique node ids and addresses, at least one node per
  // group, RF between 1 and the size of every group. Errors name the fault.
  static Result<std::shared_ptr<const Topology>> Create(TopologySpec spec);

  uint64_t epoch() const { return spec_.epoch; }
  uint32_t replication_factor() const { return spec_.replication_factor; }
  // Every node routing may use: the current ones, then (during a migration)
  // those only its target has. NodeIndex values index this list.
  const std::vector<NodeSpec>& nodes() const { return all_nodes_; }
  const NodeSpec& node(NodeIndex i) const { return all_nodes_[i]; }
  std::optional<NodeIndex> FindNode(std::string_view id) const;
  const TopologySpec& spec() const { return spec_; }

  size_t group_count() const { return groups_.size(); }
  const std::string& group_id(size_t g) const { return groups_[g].id; }
  const std::vector<NodeIndex>& group_members(size_t g) const { return groups_[g].members; }
  size_t group_of(NodeIndex node) const { return group_of_[node]; }

  // The placement for an index with `shard_count` shards; computed on first
  // use and cached for the life of this snapshot. Thread-safe. During a
  // migration this ignores activations: use the overload with the index uid.
  std::shared_ptr<const Placement> PlacementFor(uint32_t shard_count) const;
  // The placement of one index: PlacementFor(shard_count) with the shards
  // the migration activated for `index_uid` routed to their new owners.
  std::shared_ptr<const Placement> PlacementFor(const std::string& index_uid,
                                                uint32_t shard_count) const;

  // --- migrations (see MigrationSpec) ---
  bool migrating() const { return spec_.migration.has_value(); }
  // Whether writes to the shard must wait (quiesce).
  bool IsHeld(const std::string& index_uid, uint32_t shard) const;
  // The owners of a shard in a group before and after the migration
  // (equal when the shard does not move; both the topology's owners when
  // there is no migration).
  std::vector<NodeIndex> OldOwners(size_t group, uint32_t shard) const;
  std::vector<NodeIndex> NewOwners(size_t group, uint32_t shard) const;
  // Whether the node exists before / after the migration.
  bool InCurrent(NodeIndex node) const { return node < current_count_; }
  bool InTarget(NodeIndex node) const { return in_target_[node]; }
  // Whether documents may live on the node, so deletions by filter must
  // reach it: every node, except the target's new ones while the migration
  // is still preparing (they do not have the indexes yet).
  bool HoldsDocuments(NodeIndex node) const {
    return InCurrent(node) ||
           (spec_.migration && spec_.migration->state != MigrationState::kPreparing);
  }

 private:
  std::shared_ptr<const Placement> ComputePlacement(
      uint32_t shard_count, const std::set<uint32_t>* activated) const;

  struct Group {
    std::string id;
    std::vector<NodeIndex> members;         // every node of the group, both sides of a migration
    std::vector<NodeIndex> shard_holders;   // members that hold shards (not draining) now
    std::vector<NodeIndex> target_holders;  // the same once the migration is done
  };
  explicit Topology(TopologySpec spec) : spec_(std::move(spec)) {}

  TopologySpec spec_;
  std::vector<NodeSpec> all_nodes_;  // spec_.nodes, then nodes only the migration's target has
  size_t current_count_ = 0;         // how many of all_nodes_ are spec_.nodes
  std::vector<bool> in_target_;      // [node]
  std::vector<Group> groups_;
  std::vector<size_t> group_of_;
  std::shared_ptr<const Placement> default_placement_;
  mutable std::mutex placements_mu_;
  mutable std::map<uint32_t, std::shared_ptr<const Placement>> placements_;
  mutable std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const Placement>>
      index_placements_;
};

// Placement of one shard in one group: the `rf` highest-scoring candidates.
std::vector<NodeIndex> RankOwners(uint32_t shard, const std::vector<NodeIndex>& candidates,
                                  const std::vector<NodeSpec>& nodes, uint32_t rf);

}  // namespace miroir
