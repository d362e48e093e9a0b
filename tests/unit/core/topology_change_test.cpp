// Operator changes (TargetNodes) and the shard moves they cause (PlanMoves).
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "miroir/core/topology.hpp"
#include "miroir/core/topology_change.hpp"

namespace miroir {
namespace {

NodeSpec Node(const std::string& id, const std::string& group, int port) {
  return {id, "127.0.0.1:" + std::to_string(port), group, false};
}

TopologySpec Cluster(uint32_t rf = 1) {
  TopologySpec spec;
  spec.replication_factor = rf;
  spec.default_shards = 64;
  spec.nodes = {Node("n1", "g1", 7701), Node("n2", "g1", 7702), Node("n3", "g1", 7703)};
  return spec;
}

TopologyChange AddNode(const std::string& id, const std::string& group, int port) {
  TopologyChange c;
  c.kind = TopologyChange::Kind::kAddNode;
  c.node_id = id;
  c.group = group;
  c.address = "127.0.0.1:" + std::to_string(port);
  return c;
}

TopologyChange OfNode(TopologyChange::Kind kind, const std::string& id) {
  TopologyChange c;
  c.kind = kind;
  c.node_id = id;
  return c;
}

std::shared_ptr<const Topology> Migrating(TopologySpec spec, std::vector<NodeSpec> target) {
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = std::move(target);
  auto t = Topology::Create(std::move(spec));
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  return t ? *t : nullptr;
}

std::set<std::string> Ids(const Topology& t, const std::vector<NodeIndex>& nodes) {
  std::set<std::string> out;
  for (NodeIndex n : nodes) out.insert(t.node(n).id);
  return out;
}

TEST(TopologyChangeTest, AddNodeAppendsItToItsGroup) {
  auto target = TargetNodes(Cluster(), AddNode("n4", "g1", 7704));
  ASSERT_TRUE(target.has_value()) << target.error().message;
  ASSERT_EQ(target->size(), 4u);
  EXPECT_EQ(target->back().id, "n4");
  EXPECT_EQ(target->back().group, "g1");
}

TEST(TopologyChangeTest, InvalidChangesAreRefusedWithTheirReason) {
  struct Case {
    TopologyChange change;
    std::string message_part;
  };
  TopologyChange empty_group;
  empty_group.kind = TopologyChange::Kind::kAddGroup;
  empty_group.group = "g2";
  TopologyChange existing_group = empty_group;
  existing_group.group = "g1";
  existing_group.nodes = {Node("n9", "", 7709)};
  TopologyChange remove_unknown_group;
  remove_unknown_group.kind = TopologyChange::Kind::kRemoveGroup;
  remove_unknown_group.group = "nope";
  TopologyChange remove_last_group = remove_unknown_group;
  remove_last_group.group = "g1";
  const std::vector<Case> cases = {
      {AddNode("n1", "g1", 7799), "already exists"},
      {AddNode("n9", "g1", 7701), "already has the address"},
      {AddNode("n9", "g7", 7709), "does not exist"},
      {AddNode("", "g1", 7709), "non-empty `id`"},
      {OfNode(TopologyChange::Kind::kDrainNode, "n9"), "not found"},
      {OfNode(TopologyChange::Kind::kRemoveNode, "n9"), "not found"},
      {empty_group, "needs `nodes`"},
      {existing_group, "already exists"},
      {remove_unknown_group, "not found"},
      {remove_last_group, "without nodes"},
  };
  for (const auto& c : cases) {
    auto target = TargetNodes(Cluster(), c.change);
    ASSERT_FALSE(target.has_value()) << DescribeChange(c.change);
    EXPECT_EQ(target.error().code, ErrorCode::kMiroirInvalidTopologyChange);
    EXPECT_NE(target.error().message.find(c.message_part), std::string::npos)
        << target.error().message;
  }
}

TEST(TopologyChangeTest, RemovingBelowTheReplicationFactorIsRefused) {
  auto spec = Cluster(/*rf=*/3);
  auto target = TargetNodes(spec, OfNode(TopologyChange::Kind::kRemoveNode, "n2"));
  ASSERT_FALSE(target.has_value());
  EXPECT_NE(target.error().message.find("fewer than the replication factor 3"), std::string::npos);
  auto drained = TargetNodes(spec, OfNode(TopologyChange::Kind::kDrainNode, "n2"));
  EXPECT_FALSE(drained.has_value());
}

TEST(TopologyChangeTest, DrainingTwiceIsRefused) {
  auto spec = Cluster();
  auto target = TargetNodes(spec, OfNode(TopologyChange::Kind::kDrainNode, "n2"));
  ASSERT_TRUE(target.has_value());
  spec.nodes = *target;
  EXPECT_FALSE(TargetNodes(spec, OfNode(TopologyChange::Kind::kDrainNode, "n2")).has_value());
}

TEST(TopologyChangeTest, AddingANodeMovesOnlyTheShardsItWins) {
  auto spec = Cluster();
  auto target = TargetNodes(spec, AddNode("n4", "g1", 7704));
  ASSERT_TRUE(target.has_value());
  auto t = Migrating(spec, *target);
  ASSERT_TRUE(t);
  const auto moves = PlanMoves(*t, 64);
  ASSERT_FALSE(moves.empty());
  // Rendezvous: about a quarter of the shards, every one of them to n4 only.
  EXPECT_GT(moves.size(), 64u / 8);
  EXPECT_LT(moves.size(), 64u / 2);
  for (const auto& m : moves) {
    EXPECT_EQ(Ids(*t, m.to), std::set<std::string>{"n4"});
    EXPECT_EQ(m.drop.size(), 1u);
    EXPECT_EQ(Ids(*t, m.from), Ids(*t, m.drop)) << "RF 1: the source is the old owner";
  }
  // Shards that do not move keep their owner.
  for (uint32_t s = 0; s < 64; ++s) {
    const bool moving = std::any_of(moves.begin(), moves.end(),
                                    [&](const ShardMove& m) { return m.shard == s; });
    EXPECT_EQ(moving, t->OldOwners(0, s) != t->NewOwners(0, s)) << "shard " << s;
  }
}

TEST(TopologyChangeTest, DrainingANodeMovesEveryShardItOwns) {
  auto spec = Cluster();
  auto before = Topology::Create(spec);
  ASSERT_TRUE(before.has_value());
  const uint32_t owned = (*before)->PlacementFor(64)->ShardsOwnedBy(*(*before)->FindNode("n2"));
  auto target = TargetNodes(spec, OfNode(TopologyChange::Kind::kDrainNode, "n2"));
  ASSERT_TRUE(target.has_value());
  auto t = Migrating(spec, *target);
  ASSERT_TRUE(t);
  const auto moves = PlanMoves(*t, 64);
  EXPECT_EQ(moves.size(), owned);
  for (const auto& m : moves) {
    EXPECT_EQ(Ids(*t, m.drop), std::set<std::string>{"n2"});
    EXPECT_FALSE(Ids(*t, m.to).count("n2"));
  }
}

TEST(TopologyChangeTest, AddingAGroupCopiesEveryShardFromTheExistingGroup) {
  auto spec = Cluster();
  TopologyChange add;
  add.kind = TopologyChange::Kind::kAddGroup;
  add.group = "g2";
  add.nodes = {Node("m1", "", 7801), Node("m2", "", 7802)};
  auto target = TargetNodes(spec, add);
  ASSERT_TRUE(target.has_value()) << target.error().message;
  auto t = Migrating(spec, *target);
  ASSERT_TRUE(t);
  const auto moves = PlanMoves(*t, 64);
  ASSERT_EQ(moves.size(), 64u);
  for (const auto& m : moves) {
    ASSERT_EQ(m.to.size(), 1u);
    EXPECT_EQ(t->node(m.to[0]).group, "g2");
    EXPECT_TRUE(m.drop.empty());
    ASSERT_EQ(m.from.size(), 1u);
    EXPECT_EQ(t->node(m.from[0]).group, "g1");
  }
}

TEST(TopologyChangeTest, NoMigrationMeansNoMoves) {
  auto t = Topology::Create(Cluster());
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(PlanMoves(**t, 64).empty());
}

}  // namespace
}  // namespace miroir
