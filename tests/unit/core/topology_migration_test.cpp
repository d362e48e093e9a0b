// Routing during a topology change (MigrationSpec): dual writes, reads on the
// old owners until activation, held shards, and the JSON form.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "miroir/core/router.hpp"
#include "miroir/core/topology.hpp"
#include "miroir/core/topology_json.hpp"

namespace miroir {
namespace {

NodeSpec Node(const std::string& id, const std::string& group, int port) {
  return {id, "127.0.0.1:" + std::to_string(port), group, false};
}

TopologySpec ThreeNodes() {
  TopologySpec spec;
  spec.default_shards = 64;
  spec.nodes = {Node("n1", "g", 7701), Node("n2", "g", 7702), Node("n3", "g", 7703)};
  return spec;
}

std::shared_ptr<const Topology> Make(TopologySpec spec) {
  auto t = Topology::Create(std::move(spec));
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  return t ? *t : nullptr;
}

std::set<std::string> Ids(const Topology& t, const std::vector<NodeIndex>& nodes) {
  std::set<std::string> out;
  for (NodeIndex n : nodes) out.insert(t.node(n).id);
  return out;
}

struct AllHealthy : NodeHealth {
  bool IsHealthy(NodeIndex) const override { return true; }
};

TEST(TopologyMigrationTest, AddingANodeDualWritesMovingShardsAndReadsTheOldOwners) {
  TopologySpec spec = ThreeNodes();
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = spec.nodes;
  spec.migration->target.push_back(Node("n4", "g", 7704));
  auto t = Make(spec);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->nodes().size(), 4u);
  const NodeIndex n4 = *t->FindNode("n4");
  EXPECT_FALSE(t->InCurrent(n4));
  EXPECT_TRUE(t->InTarget(n4));

  auto placement = t->PlacementFor("books", 64);
  int moving = 0;
  for (uint32_t s = 0; s < 64; ++s) {
    const auto old_owners = t->OldOwners(0, s);
    const auto new_owners = t->NewOwners(0, s);
    EXPECT_EQ(placement->Owners(0, s), old_owners) << "reads stay on the old owners";
    const auto writes = Ids(*t, WriteTargets(*t, *placement, s));
    if (old_owners != new_owners) {
      ++moving;
      EXPECT_EQ(Ids(*t, new_owners), std::set<std::string>{"n4"});
      EXPECT_EQ(writes.size(), 2u);
      EXPECT_TRUE(writes.count("n4")) << "the new owner gets the writes too";
    } else {
      EXPECT_EQ(writes.size(), 1u);
      EXPECT_FALSE(writes.count("n4"));
    }
  }
  EXPECT_GT(moving, 8);
  EXPECT_LT(moving, 28);
  // Every read is restricted to its shards: nodes hold copies they do not own.
  ReadPlan plan = PlanRead(*t, *placement, AllHealthy{}, 0);
  for (const auto& target : plan.targets) EXPECT_TRUE(target.needs_shard_filter);
  for (const auto& target : plan.targets) EXPECT_NE(target.node, n4);
}

TEST(TopologyMigrationTest, AnActivatedShardIsReadFromItsNewOwnerAndStillWrittenToBoth) {
  TopologySpec spec = ThreeNodes();
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = spec.nodes;
  spec.migration->target.push_back(Node("n4", "g", 7704));
  auto probe = Make(spec);
  uint32_t moving = 0;
  while (probe->OldOwners(0, moving) == probe->NewOwners(0, moving)) ++moving;
  spec.migration->activated["books"] = {moving};
  spec.migration->held["books"] = {moving};
  auto t = Make(spec);
  auto books = t->PlacementFor("books", 64);
  auto movies = t->PlacementFor("movies", 64);
  EXPECT_EQ(Ids(*t, books->Owners(0, moving)), std::set<std::string>{"n4"});
  EXPECT_EQ(Ids(*t, WriteTargets(*t, *books, moving)).size(), 2u);
  EXPECT_EQ(movies->Owners(0, moving), t->OldOwners(0, moving)) << "activation is per index";
  EXPECT_TRUE(t->IsHeld("books", moving));
  EXPECT_FALSE(t->IsHeld("movies", moving));
  EXPECT_FALSE(t->IsHeld("books", moving + 1));
  EXPECT_EQ(t->PlacementFor("books", 64), books) << "cached per index";
}

TEST(TopologyMigrationTest, DrainingMovesEveryShardOffTheNodeAndRemovingDropsIt) {
  TopologySpec spec = ThreeNodes();
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = spec.nodes;
  spec.migration->target[1].draining = true;  // drain n2
  auto drain = Make(spec);
  for (uint32_t s = 0; s < 64; ++s) EXPECT_FALSE(Ids(*drain, drain->NewOwners(0, s)).count("n2"));

  spec.migration->target.erase(spec.migration->target.begin() + 1);  // remove n2
  auto remove = Make(spec);
  const NodeIndex n2 = *remove->FindNode("n2");
  EXPECT_TRUE(remove->InCurrent(n2));
  EXPECT_FALSE(remove->InTarget(n2));
  for (uint32_t s = 0; s < 64; ++s) EXPECT_FALSE(Ids(*remove, remove->NewOwners(0, s)).count("n2"));
}

TEST(TopologyMigrationTest, AGroupBeingAddedHasNoOwnersUntilActivated) {
  TopologySpec spec = ThreeNodes();
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = spec.nodes;
  spec.migration->target.push_back(Node("m1", "h", 7711));
  spec.migration->target.push_back(Node("m2", "h", 7712));
  auto t = Make(spec);
  ASSERT_EQ(t->group_count(), 2u);
  auto p = t->PlacementFor("books", 64);
  for (uint32_t s = 0; s < 64; ++s) {
    EXPECT_TRUE(p->Owners(1, s).empty());
    EXPECT_EQ(p->ExtraWriters(1, s).size(), 1u) << "the new group gets every write";
  }
  ReadPlan plan = PlanRead(*t, *p, AllHealthy{}, 1);  // rotation would prefer group 1
  EXPECT_TRUE(plan.missing_shards.empty());
  for (const auto& target : plan.targets) EXPECT_EQ(t->group_of(target.node), 0u);
}

TEST(TopologyMigrationTest, TheTargetMustBeValidToo) {
  TopologySpec spec = ThreeNodes();
  spec.replication_factor = 2;
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = {spec.nodes[0]};  // RF 2 over one node
  auto t = Topology::Create(spec);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("after the change"), std::string::npos) << t.error().message;

  spec.migration->target = spec.nodes;
  spec.migration->target.push_back({"n9", spec.nodes[0].address, "g", false});
  EXPECT_FALSE(Topology::Create(spec)) << "a new node cannot take an existing node's address";
}

TEST(TopologyMigrationTest, WhilePreparingNothingIsRoutedToTheTarget) {
  TopologySpec spec = ThreeNodes();
  spec.migration = MigrationSpec{};  // state: preparing
  spec.migration->target = spec.nodes;
  spec.migration->target.push_back(Node("n4", "g", 7704));
  auto t = Make(spec);
  ASSERT_TRUE(t);
  // The new node is known (index-wide requests reach it) ...
  ASSERT_EQ(t->nodes().size(), 4u);
  // ... but owns nothing yet, receives no document write and no read filter.
  TopologySpec before = ThreeNodes();
  auto plain = Make(before);
  auto placement = t->PlacementFor("books", 64);
  EXPECT_FALSE(placement->filter_reads());
  for (uint32_t s = 0; s < 64; ++s) {
    EXPECT_EQ(Ids(*t, WriteTargets(*t, *placement, s)),
              Ids(*plain, WriteTargets(*plain, *plain->PlacementFor(64), s)));
  }
}

TEST(TopologyMigrationTest, JsonRoundTripKeepsTheMigration) {
  TopologySpec spec = ThreeNodes();
  spec.epoch = 9;
  spec.migration = MigrationSpec{};
  spec.migration->state = MigrationState::kRunning;
  spec.migration->target = spec.nodes;
  spec.migration->target[2].draining = true;
  spec.migration->activated["books"] = {1, 5};
  spec.migration->held["books"] = {5};
  spec.migration->previous = ThreeNodes().nodes;
  spec.migration->description = "drain node n3";
  spec.migration->id = 7;
  auto back = TopologySpecFromJson(TopologySpecToJson(spec));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(back->migration);
  EXPECT_EQ(*back->migration, *spec.migration);
  EXPECT_EQ(back->epoch, 9u);
  spec.migration.reset();
  back = TopologySpecFromJson(TopologySpecToJson(spec));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->migration);
}

}  // namespace
}  // namespace miroir
