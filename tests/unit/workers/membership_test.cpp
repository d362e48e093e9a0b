#include "miroir/workers/membership.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace miroir::workers {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("instance-" + std::to_string(i));
  return ids;
}

TEST(RendezvousOwnerTest, EveryPartitionHasOneOwnerAndTheLoadIsSpread) {
  const auto ids = Ids(3);
  std::map<std::string, int> owned;
  for (int p = 0; p < 3000; ++p) owned[RendezvousOwner("tasks/" + std::to_string(p), ids)]++;
  ASSERT_EQ(owned.size(), 3u);
  for (const auto& [id, n] : owned) {
    EXPECT_GT(n, 850) << id;  // 1,000 each on average
    EXPECT_LT(n, 1150) << id;
  }
  EXPECT_EQ(RendezvousOwner("tasks/0", {}), "");
}

TEST(RendezvousOwnerTest, TheOrderOfTheListDoesNotMatter) {
  auto ids = Ids(5);
  auto reversed = std::vector<std::string>(ids.rbegin(), ids.rend());
  for (int p = 0; p < 200; ++p) {
    const std::string partition = "tasks/" + std::to_string(p);
    EXPECT_EQ(RendezvousOwner(partition, ids), RendezvousOwner(partition, reversed));
  }
}

TEST(RendezvousOwnerTest, ALeavingInstanceMovesOnlyItsOwnPartitions) {
  const auto before = Ids(4);
  auto after = before;
  after.erase(after.begin() + 2);  // instance-2 dies
  int moved = 0;
  for (int p = 0; p < 1000; ++p) {
    const std::string partition = "tasks/" + std::to_string(p);
    const std::string was = RendezvousOwner(partition, before);
    const std::string is = RendezvousOwner(partition, after);
    if (was == "instance-2") {
      ++moved;
      EXPECT_NE(is, "instance-2");
    } else {
      EXPECT_EQ(is, was) << partition << " moved although its owner lives";
    }
  }
  EXPECT_GT(moved, 150);  // about a quarter
}

TEST(RendezvousOwnerTest, PartitionAndIdBoundariesDoNotCollide) {
  // "ab" + "c" and "a" + "bc" hash different keys.
  int differ = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string n = std::to_string(i);
    differ += RendezvousOwner("p" + n, {"x", "y" + n}) != RendezvousOwner("p", {"x", n + "y"});
  }
  EXPECT_GT(differ, 0);
}

TEST(MembershipTest, AnInstanceWithoutAStoreIsAloneAndOwnsEverything) {
  store::InstanceInfo self;
  self.id = "solo";
  Membership membership(self);
  ASSERT_TRUE(membership.Start());
  ASSERT_EQ(membership.LiveInstances().size(), 1u);
  EXPECT_EQ(membership.LiveInstances()[0].id, "solo");
  for (int p = 0; p < 16; ++p) EXPECT_TRUE(membership.Owns("tasks/" + std::to_string(p)));
  membership.Stop();
  EXPECT_TRUE(membership.Owns("tasks/0"));
}

}  // namespace
}  // namespace miroir::workers
