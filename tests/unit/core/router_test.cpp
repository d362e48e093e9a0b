#include "miroir/core/router.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace miroir {
namespace {

class FakeHealth : public NodeHealth {
 public:
  bool IsHealthy(NodeIndex n) const override { return !down.count(n); }
  std::set<NodeIndex> down;
};

std::shared_ptr<const Topology> Make(std::vector<std::pair<std::string, std::string>> nodes,
                                     uint32_t rf, uint32_t shards = 16) {
  TopologySpec spec;
  spec.replication_factor = rf;
  spec.default_shards = shards;
  int port = 7701;
  for (const auto& [id, group] : nodes) {
    spec.nodes.push_back({id, "127.0.0.1:" + std::to_string(port++), group, false});
  }
  return *Topology::Create(spec);
}

// Every shard covered exactly once, by an owner of that shard.
void ExpectExactCover(const Topology& t, const Placement& p, const ReadPlan& plan) {
  std::map<uint32_t, int> seen;
  for (const auto& target : plan.targets) {
    for (uint32_t s : target.shards) {
      ++seen[s];
      bool is_owner = false;
      for (size_t g = 0; g < t.group_count(); ++g) {
        for (NodeIndex n : p.Owners(g, s)) is_owner |= n == target.node;
      }
      EXPECT_TRUE(is_owner) << "node " << target.node << " does not own shard " << s;
    }
  }
  EXPECT_EQ(seen.size(), p.shard_count());
  for (const auto& [s, count] : seen) EXPECT_EQ(count, 1) << "shard " << s;
}

TEST(RouterTest, RfOneCoversEveryShardWithoutFilters) {
  auto t = Make({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 1);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  ReadPlan plan = PlanRead(*t, *p, health, 0);
  ExpectExactCover(*t, *p, plan);
  EXPECT_TRUE(plan.missing_shards.empty());
  for (const auto& target : plan.targets) EXPECT_FALSE(target.needs_shard_filter);
}

TEST(RouterTest, RfTwoNeedsShardFiltersAndSpreadsLoad) {
  auto t = Make({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 2);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  ReadPlan plan = PlanRead(*t, *p, health, 3);
  ExpectExactCover(*t, *p, plan);
  EXPECT_EQ(plan.targets.size(), 3u);
  for (const auto& target : plan.targets) EXPECT_TRUE(target.needs_shard_filter);
}

TEST(RouterTest, RfTwoWithANodeDownStillCoversEverything) {
  auto t = Make({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 2);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  health.down = {1};
  ReadPlan plan = PlanRead(*t, *p, health, 0);
  ExpectExactCover(*t, *p, plan);
  for (const auto& target : plan.targets) EXPECT_NE(target.node, 1u);
}

TEST(RouterTest, RfOneWithANodeDownReportsItsShardsMissing) {
  auto t = Make({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 1);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  health.down = {2};
  ReadPlan plan = PlanRead(*t, *p, health, 0);
  EXPECT_EQ(plan.missing_shards.size(), p->ShardsOwnedBy(2));
  for (uint32_t s : plan.missing_shards) EXPECT_EQ(p->Owners(0, s)[0], 2u);
}

TEST(RouterTest, TwoGroupsAlternateAndFallBackToTheOtherGroup) {
  auto t = Make({{"a", "g1"}, {"b", "g1"}, {"c", "g2"}}, 1);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  std::set<size_t> groups_used;
  for (uint64_t r = 0; r < 4; ++r) {
    ReadPlan plan = PlanRead(*t, *p, health, r);
    ExpectExactCover(*t, *p, plan);
    groups_used.insert(t->group_of(plan.targets[0].node));
  }
  EXPECT_EQ(groups_used.size(), 2u);

  health.down = {0};  // group g1 loses node a: g2 alone covers everything
  for (uint64_t r = 0; r < 4; ++r) {
    ReadPlan plan = PlanRead(*t, *p, health, r);
    ExpectExactCover(*t, *p, plan);
    ASSERT_EQ(plan.targets.size(), 1u);
    EXPECT_EQ(plan.targets[0].node, 2u);
  }

  health.down = {0, 2};  // only b is left: its shards from g1, nothing else anywhere
  ReadPlan plan = PlanRead(*t, *p, health, 0);
  EXPECT_EQ(plan.missing_shards.size(), p->ShardsOwnedBy(0));
}

TEST(RouterTest, FallbackNodesAreFilteredToTheShardsTheyServe) {
  auto t = Make({{"a", "g1"}, {"b", "g1"}, {"c", "g2"}}, 1);
  auto p = t->PlacementFor(16);
  FakeHealth health;
  health.down = {1};     // b down: a serves its own shards, c (g2) serves b's
  ReadPlan plan = PlanRead(*t, *p, health, 0);
  ExpectExactCover(*t, *p, plan);
  EXPECT_TRUE(plan.missing_shards.empty());
}

TEST(RouterTest, WriteTargetsAreTheOwnersInEveryGroup) {
  auto t = Make({{"a", "g1"}, {"b", "g1"}, {"c", "g2"}, {"d", "g2"}}, 2);
  auto p = t->PlacementFor(16);
  for (uint32_t s = 0; s < 16; ++s) {
    std::set<NodeIndex> targets;
    for (NodeIndex n : WriteTargets(*t, *p, s)) targets.insert(n);
    EXPECT_EQ(targets, (std::set<NodeIndex>{0, 1, 2, 3}));
  }
}

TEST(RouterTest, QuorumNeedsAMajorityOfOwnersInSomeGroup) {
  auto t = Make({{"a", "g"}, {"b", "g"}, {"c", "g"}}, 3);
  auto p = t->PlacementFor(4);
  std::vector<uint32_t> shards = {0, 1, 2, 3};
  auto all = EvaluateQuorum(*t, *p, shards, [](NodeIndex) { return true; });
  EXPECT_TRUE(all.ok);
  EXPECT_FALSE(all.degraded);
  auto one_down = EvaluateQuorum(*t, *p, shards, [](NodeIndex n) { return n != 0; });
  EXPECT_TRUE(one_down.ok);
  EXPECT_TRUE(one_down.degraded);
  auto two_down = EvaluateQuorum(*t, *p, shards, [](NodeIndex n) { return n == 2; });
  EXPECT_FALSE(two_down.ok);
  EXPECT_EQ(two_down.failed_shards, shards);
}

TEST(RouterTest, QuorumSucceedsWhenOneGroupSucceeds) {
  auto t = Make({{"a", "g1"}, {"b", "g2"}}, 1);
  auto p = t->PlacementFor(4);
  auto r = EvaluateQuorum(*t, *p, {0, 1, 2, 3}, [](NodeIndex n) { return n == 1; });
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.degraded);
  auto none = EvaluateQuorum(*t, *p, {0, 1}, [](NodeIndex) { return false; });
  EXPECT_FALSE(none.ok);
  EXPECT_FALSE(none.degraded);
}

}  // namespace
}  // namespace miroir
