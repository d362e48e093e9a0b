#include "miroir/workers/task_pruner.hpp"

#include <chrono>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "../store/redis_server.hpp"
#include "../store/store_behaviour.hpp"
#include "miroir/store/redis_store.hpp"
#include "miroir/store/sqlite_store.hpp"

namespace miroir::store::testing {
// Only MakeTask and Micros are used here; the behaviour suite runs in tests/unit/store.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreBehaviourTest);
}  // namespace miroir::store::testing

namespace miroir::workers {
namespace {

using namespace std::chrono_literals;
using store::TaskStatus;
using store::testing::MakeTask;
using store::testing::Micros;

// Tasks 0..n-1; even uids finished at 1000*uid µs, odd ones still processing.
void PutTasks(store::Store& s, uint64_t n) {
  for (uint64_t uid = 0; uid < n; ++uid) {
    const bool done = uid % 2 == 0;
    auto t = MakeTask(uid, "movies", "documentAdditionOrUpdate",
                      done ? TaskStatus::kSucceeded : TaskStatus::kProcessing,
                      static_cast<int64_t>(1000 * uid));
    t.started_at = Micros(static_cast<int64_t>(1000 * uid));
    if (done) t.finished_at = Micros(static_cast<int64_t>(1000 * uid));
    ASSERT_TRUE(s.PutTask(t));
  }
}

std::set<uint64_t> Uids(store::Store& s) {
  store::TaskQuery q;
  q.limit = 100000;
  std::set<uint64_t> out;
  auto page = s.ListTasks(q);
  EXPECT_TRUE(page);
  if (!page) return out;
  for (const auto& t : page->tasks) out.insert(t.uid);
  return out;
}

TaskPrunerOptions SmallBlocks() {
  TaskPrunerOptions o;
  o.retention = std::chrono::milliseconds(1);  // 1 ms: "finished before now - 1 ms"
  o.block_size = 8;
  o.partitions = 4;
  o.batch = 3;
  o.lease_ttl = 5s;
  return o;
}

TEST(TaskPrunerTest, AloneItPrunesEveryFinishedTaskPastTheRetentionAndKeepsTheRest) {
  auto dir = std::filesystem::temp_directory_path() / ("miroir-pruner-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto opened = store::SqliteStore::Open((dir / "m.db").string());
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& s = **opened;
  PutTasks(s, 100);  // even uids finished at uid ms

  store::InstanceInfo self;
  self.id = "solo";
  Membership membership(self);
  TaskPrunerOptions o = SmallBlocks();
  o.retention = 50ms;
  TaskPruner pruner(s, nullptr, membership, o);
  // "now" = 100 ms after the epoch: tasks finished before 50 ms go.
  auto deleted = pruner.RunOnce(Micros(100'000));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(*deleted, 25u);  // 0, 2, ..., 48
  const auto left = Uids(s);
  for (uint64_t uid = 0; uid < 100; ++uid) {
    const bool gone = uid % 2 == 0 && uid < 50;
    EXPECT_EQ(left.count(uid) == 0, gone) << uid;
  }
  EXPECT_EQ(pruner.stats().partitions_held, 4u);
  EXPECT_EQ(pruner.stats().tasks_deleted, 25u);
  opened->reset();
  std::filesystem::remove_all(dir);
}

class SharedPrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store::testing::RedisServer::Available()) {
      GTEST_FAIL() << "redis-server is not installed: run scripts/setup.sh";
    }
    ASSERT_TRUE(server_.Start());
  }
  std::unique_ptr<store::RedisStore> Open() {
    store::RedisStoreOptions o;
    o.url = server_.url();
    o.connect_timeout = 500ms;
    o.command_timeout = 500ms;
    auto s = store::RedisStore::Open(o);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }
  store::testing::RedisServer server_;
};

TEST_F(SharedPrunerTest, TwoInstancesSplitThePartitionsAndTogetherPruneEverything) {
  auto a_store = Open();
  auto b_store = Open();
  ASSERT_TRUE(a_store && b_store);
  PutTasks(*a_store, 200);

  store::InstanceInfo a_self, b_self;
  a_self.id = "a";
  b_self.id = "b";
  MembershipOptions mo{100ms, 5s};
  Membership a(*a_store, a_self, [] { return uint64_t{1}; }, mo);
  Membership b(*b_store, b_self, [] { return uint64_t{1}; }, mo);
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  a.BeatSoon();  // a's first heartbeat ran before b joined
  for (int i = 0; i < 100 && a.LiveInstances().size() < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(a.LiveInstances().size(), 2u);
  ASSERT_EQ(b.LiveInstances().size(), 2u);

  TaskPrunerOptions o = SmallBlocks();
  o.partitions = 16;
  TaskPruner pa(*a_store, a_store.get(), a, o);
  TaskPruner pb(*b_store, b_store.get(), b, o);
  const SystemTime now = Micros(10'000'000);
  auto da = pa.RunOnce(now);
  auto db = pb.RunOnce(now);
  ASSERT_TRUE(da && db);
  EXPECT_EQ(*da + *db, 100u) << "every finished task, each by one instance";
  EXPECT_EQ(pa.stats().partitions_held + pb.stats().partitions_held, 16u);
  EXPECT_GT(pa.stats().partitions_held, 0u);
  EXPECT_GT(pb.stats().partitions_held, 0u);
  for (uint64_t uid : Uids(*a_store)) EXPECT_EQ(uid % 2, 1u) << uid;

  // Each partition's lease is held by its owner, and its pass recorded under it.
  for (uint32_t p = 0; p < 16; ++p) {
    const std::string scope = "prune/" + std::to_string(p);
    auto lease = a_store->CurrentLease(scope);
    ASSERT_TRUE(lease && lease->has_value()) << scope;
    const bool a_owns = a.Owns("tasks/" + std::to_string(p));
    EXPECT_EQ((*lease)->holder, a_owns ? "a" : "b") << scope;
    auto pass = a_store->FencedGet(scope, "last_pass");
    ASSERT_TRUE(pass && pass->has_value()) << scope;
    EXPECT_NE((*pass)->find("\"holder\":\"" + (*lease)->holder + "\""), std::string::npos);
  }

  // b leaves: its partitions move to a, which takes their leases with newer tokens.
  pb.Stop();  // releases b's leases
  b.Stop();
  a.BeatSoon();
  for (int i = 0; i < 100 && a.LiveInstances().size() != 1; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(a.LiveInstances().size(), 1u);
  ASSERT_TRUE(pa.RunOnce(now));
  EXPECT_EQ(pa.stats().partitions_held, 16u);
  a.Stop();
}

TEST_F(SharedPrunerTest, AnOwnerPausedPastItsLeaseHasItsWriteRefusedAndStepsDown) {
  auto a_store = Open();
  auto b_store = Open();
  ASSERT_TRUE(a_store && b_store);
  PutTasks(*a_store, 10);

  store::InstanceInfo a_self, b_self;
  a_self.id = "a";
  b_self.id = "b";
  // Each believes it is alone (as during a partition, or after a's pause
  // made b see it dead): both own everything.
  Membership a(a_self);
  Membership b(b_self);
  TaskPrunerOptions o = SmallBlocks();
  o.partitions = 2;
  o.lease_ttl = 200ms;
  TaskPruner pa(*a_store, a_store.get(), a, o);
  TaskPruner pb(*b_store, b_store.get(), b, o);
  const SystemTime now = Micros(10'000'000);
  ASSERT_TRUE(pa.RunOnce(now));
  EXPECT_EQ(pa.stats().partitions_held, 2u);
  ASSERT_TRUE(pb.RunOnce(now));
  EXPECT_EQ(pb.stats().partitions_held, 0u) << "a holds both leases";

  std::this_thread::sleep_for(300ms);  // a is "paused": its leases expire
  ASSERT_TRUE(pb.RunOnce(now));
  EXPECT_EQ(pb.stats().partitions_held, 2u);
  const auto b_lease = *a_store->CurrentLease("prune/0");
  ASSERT_TRUE(b_lease.has_value());
  EXPECT_EQ(b_lease->holder, "b");

  // a resumes, still believing it holds both leases: its writes are refused.
  ASSERT_TRUE(pa.RunOnce(now));
  EXPECT_EQ(pa.stats().fenced_writes_refused, 2u);
  auto pass = a_store->FencedGet("prune/0", "last_pass");
  ASSERT_TRUE(pass && pass->has_value());
  EXPECT_NE((*pass)->find("\"holder\":\"b\""), std::string::npos) << **pass;
  // Having stepped down, a competes again like anyone: b still holds them.
  ASSERT_TRUE(pa.RunOnce(now));
  EXPECT_EQ(pa.stats().partitions_held, 0u);
  EXPECT_EQ(pa.stats().fenced_writes_refused, 2u);
}

}  // namespace
}  // namespace miroir::workers
