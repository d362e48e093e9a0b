#include "miroir/workers/membership.hpp"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "miroir/store/sqlite_store.hpp"

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

TEST(MembershipTest, EachSuccessfulHeartbeatReportsWhenItWasSent) {
  auto dir = std::filesystem::temp_directory_path() /
             ("miroir-membership-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto opened = store::SqliteStore::Open((dir / "m.db").string());
  ASSERT_TRUE(opened) << opened.error().message;

  std::vector<std::chrono::steady_clock::time_point> renewals;
  MembershipOptions options;
  options.interval = std::chrono::hours(1);  // only the beats asked for below
  options.on_renewed = [&](std::chrono::steady_clock::time_point sent) {
    renewals.push_back(sent);
  };
  store::InstanceInfo self;
  self.id = "one";
  const auto before = std::chrono::steady_clock::now();
  Membership membership(**opened, self, [] { return uint64_t{7}; }, options);
  ASSERT_TRUE(membership.Start());  // the first heartbeat is synchronous
  ASSERT_EQ(renewals.size(), 1u);
  // The time the heartbeat was sent, not when it was answered: the store's
  // TTL runs from no earlier than that.
  EXPECT_GE(renewals[0], before);
  EXPECT_LE(renewals[0], std::chrono::steady_clock::now());
  ASSERT_EQ(membership.LiveInstances().size(), 1u);
  EXPECT_EQ(membership.LiveInstances()[0].topology_epoch, 7u);
  membership.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace miroir::workers
