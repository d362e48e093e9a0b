#include "miroir/core/topology.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace miroir {
namespace {

TopologySpec Spec(std::vector<std::pair<std::string, std::string>> node_groups, uint32_t rf = 1,
                  uint32_t shards = 64) {
  TopologySpec spec;
  spec.replication_factor = rf;
  spec.default_shards = shards;
  int port = 7701;
  for (const auto& [id, group] : node_groups) {
    spec.nodes.push_back({id, "127.0.0.1:" + std::to_string(port++), group, false});
  }
  return spec;
}

std::shared_ptr<const Topology> Make(TopologySpec spec) {
  auto t = Topology::Create(std::move(spec));
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  return *t;
}

TEST(TopologyTest, RejectsDuplicateNodeIds) {
  auto t = Topology::Create(Spec({{"a", "g"}, {"a", "g"}}));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("duplicate node id 'a'"), std::string::npos);
}

TEST(TopologyTest, RejectsReplicationFactorLargerThanAGroup) {
  auto t = Topology::Create(Spec({{"a", "g1"}, {"b", "g1"}, {"c", "g2"}}, 2));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("group 'g2'"), std::string::npos);
}

TEST(TopologyTest, RejectsZeroShards) {
  EXPECT_FALSE(Topology::Create(Spec({{"a", "g"}}, 1, 0)));
}

TEST(TopologyTest, PlacementIsDeterministicAcrossSnapshots) {
  auto a = Make(Spec({{"n1", "g"}, {"n2", "g"}, {"n3", "g"}}, 2));
  // The same nodes listed in another order place every shard identically.
  auto b = Make(Spec({{"n3", "g"}, {"n1", "g"}, {"n2", "g"}}, 2));
  auto pa = a->PlacementFor(64);
  auto pb = b->PlacementFor(64);
  for (uint32_t s = 0; s < 64; ++s) {
    std::vector<std::string> ids_a, ids_b;
    for (NodeIndex n : pa->Owners(0, s)) ids_a.push_back(a->node(n).id);
    for (NodeIndex n : pb->Owners(0, s)) ids_b.push_back(b->node(n).id);
    EXPECT_EQ(ids_a, ids_b) << "shard " << s;
  }
}

TEST(TopologyTest, SixtyFourShardsSpreadEvenlyOverThreeNodes) {
  auto t = Make(Spec({{"node-1", "g"}, {"node-2", "g"}, {"node-3", "g"}}));
  auto p = t->PlacementFor(64);
  for (NodeIndex n = 0; n < 3; ++n) {
    EXPECT_GE(p->ShardsOwnedBy(n), 15u) << t->node(n).id;
    EXPECT_LE(p->ShardsOwnedBy(n), 28u) << t->node(n).id;
  }
}

TEST(TopologyTest, ReplicasOfAShardAreDistinctNodes) {
  auto t = Make(Spec({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 3));
  auto p = t->PlacementFor(16);
  for (uint32_t s = 0; s < 16; ++s) {
    std::set<NodeIndex> owners(p->Owners(0, s).begin(), p->Owners(0, s).end());
    EXPECT_EQ(owners.size(), 3u);
  }
}

TEST(TopologyTest, AddingANodeMovesAboutAQuarterAndOnlyToTheNewNode) {
  auto before = Make(Spec({{"n1", "g1"}, {"n2", "g1"}, {"n3", "g1"}, {"m1", "g2"}, {"m2", "g2"}}));
  auto after = Make(Spec(
      {{"n1", "g1"}, {"n2", "g1"}, {"n3", "g1"}, {"n4", "g1"}, {"m1", "g2"}, {"m2", "g2"}}));
  const uint32_t shards = 1024;  // large S so the fraction is measured, not noise
  auto pb = before->PlacementFor(shards);
  auto pa = after->PlacementFor(shards);
  uint32_t moved = 0;
  for (uint32_t s = 0; s < shards; ++s) {
    std::string was = before->node(pb->Owners(0, s)[0]).id;
    std::string now = after->node(pa->Owners(0, s)[0]).id;
    if (was != now) {
      ++moved;
      EXPECT_EQ(now, "n4") << "shard " << s << " moved between old nodes";
    }
    // Nothing moves in the other group.
    EXPECT_EQ(before->node(pb->Owners(1, s)[0]).id, after->node(pa->Owners(1, s)[0]).id);
  }
  double fraction = static_cast<double>(moved) / shards;
  EXPECT_GT(fraction, 0.20);
  EXPECT_LT(fraction, 0.30);
}

TEST(TopologyTest, DrainingNodesOwnNoShards) {
  auto spec = Spec({{"a", "g"}, {"b", "g"}, {"c", "g"}});
  spec.nodes[1].draining = true;
  auto t = Make(spec);
  EXPECT_EQ(t->PlacementFor(64)->ShardsOwnedBy(1), 0u);
  EXPECT_EQ(t->PlacementFor(64)->ShardsOwnedBy(0) + t->PlacementFor(64)->ShardsOwnedBy(2), 64u);
}

TEST(TopologyTest, PlacementForOtherShardCountsIsCached) {
  auto t = Make(Spec({{"a", "g"}, {"b", "g"}}));
  EXPECT_EQ(t->PlacementFor(8).get(), t->PlacementFor(8).get());
  EXPECT_EQ(t->PlacementFor(8)->shard_count(), 8u);
}

}  // namespace
}  // namespace miroir
