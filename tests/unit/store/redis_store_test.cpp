#include "miroir/store/redis_store.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "redis_server.hpp"
#include "store_behaviour.hpp"

namespace miroir::store {
namespace {

using namespace std::chrono_literals;
using testing::Micros;
using testing::RedisServer;
using testing::Value;

// One redis-server for the whole test program; each test keeps to its own
// key prefix, so none sees another's data.
// Destroyed at exit, which stops the server and removes its directory.
RedisServer& SharedServer() {
  static RedisServer server;
  static bool started [[maybe_unused]] = RedisServer::Available() && server.Start();
  return server;
}

std::string FreshPrefix() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(n++) + ":";
}

RedisStoreOptions Options(const RedisServer& server, std::string prefix) {
  RedisStoreOptions o;
  o.url = server.url();
  o.key_prefix = std::move(prefix);
  o.connect_timeout = 500ms;
  o.command_timeout = 500ms;
  return o;
}

std::unique_ptr<RedisStore> OpenOrFail(const RedisStoreOptions& o) {
  auto store = RedisStore::Open(o);
  EXPECT_TRUE(store) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

// The shared behaviour suite (store_behaviour.hpp) against the shared server.
struct RedisEnv {
  std::unique_ptr<Store> Open() {
    if (!SharedServer().running()) {
      ADD_FAILURE() << "redis-server is not installed or did not start";
      return nullptr;
    }
    return OpenOrFail(Options(SharedServer(), prefix));
  }
  std::string prefix = FreshPrefix();
};

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_FAIL() << "redis-server is not installed: run scripts/setup.sh";
    ASSERT_TRUE(SharedServer().running());
    store_ = OpenOrFail(Options(SharedServer(), prefix_));
    ASSERT_NE(store_, nullptr);
  }
  // A second instance of the store on the same data, as another Miroir has.
  std::unique_ptr<RedisStore> Other() { return OpenOrFail(Options(SharedServer(), prefix_)); }

  std::string prefix_ = FreshPrefix();
  std::unique_ptr<RedisStore> store_;
};

// --- URL and options ---

TEST(RedisUrlTest, ParsesHostPortCredentialsAndDatabase) {
  auto ep = ParseRedisUrl("redis://alice:s3cret@redis.internal:6380/2");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "redis.internal");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->user, "alice");
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_EQ(ep->db, 2u);
  EXPECT_EQ(ep->Describe(), "redis://redis.internal:6380/2");  // never the password

  auto plain = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0u);
  EXPECT_TRUE(plain->password.empty());
  EXPECT_EQ(ParseRedisUrl("redis://:pw@h:1/")->password, "pw");
}

TEST(RedisUrlTest, RefusesWhatItCannotUse) {
  for (const char* url : {"http://h:1", "rediss://h:6379", "redis://h:0", "redis://h:99999",
                          "redis://h:x", "redis://h/db", "redis://:pw@"}) {
    auto ep = ParseRedisUrl(url);
    EXPECT_FALSE(ep) << url;
    if (!ep) {
      EXPECT_NE(ep.error().message.find("invalid redis URL"), std::string::npos);
      EXPECT_EQ(ep.error().message.find("pw"), std::string::npos) << ep.error().message;
    }
  }
}

TEST(RedisStoreOpenTest, UnreachableServerIsAClearErrorWithinTheTimeout) {
  RedisServer never_started;  // a free port nobody listens on
  RedisStoreOptions o;
  o.url = never_started.url();
  o.connect_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = RedisStore::Open(o);
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(r.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_NE(r.error().message.find(never_started.url()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;
}

TEST(RedisStoreOpenTest, PasswordIsSentAndAWrongOneIsRefusedClearly) {
  if (!RedisServer::Available()) GTEST_FAIL() << "redis-server is not installed: run scripts/setup.sh";
  RedisServer server;
  ASSERT_TRUE(server.Start({"--requirepass", "right-one"}));
  RedisStoreOptions o = Options(server, "p:");
  auto none = RedisStore::Open(o);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("NOAUTH"), std::string::npos) << none.error().message;

  o.password = "wrong-one";
  auto wrong = RedisStore::Open(o);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("AUTH"), std::string::npos) << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("wrong-one"), std::string::npos);

  o.password = "right-one";
  auto right = RedisStore::Open(o);
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(Value((*right)->NextTaskUid()), 0u);
  // The URL's password works too; the option wins over it.
  o.url = "redis://:right-one@127.0.0.1:" + std::to_string(server.port());
  o.password.clear();
  EXPECT_TRUE(RedisStore::Open(o));
}

TEST(RedisStoreOpenTest, DatabaseNumberSelectsADatabase) {
  if (!RedisServer::Available()) GTEST_FAIL() << "redis-server is not installed: run scripts/setup.sh";
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisStoreOptions o = Options(server, "p:");
  o.url = server.url() + "/3";
  auto db3 = RedisStore::Open(o);
  ASSERT_TRUE(db3) << db3.error().message;
  EXPECT_EQ(Value((*db3)->NextTaskUid()), 0u);
  EXPECT_EQ(Value((*db3)->NextTaskUid()), 1u);
  o.url = server.url() + "/0";
  EXPECT_EQ(Value((*RedisStore::Open(o))->NextTaskUid()), 0u);  // another database
}

// --- several instances on one Redis ---

TEST_F(RedisStoreTest, TwoInstancesShareOneTaskSequenceAndSeeEachOthersTasks) {
  auto other = Other();
  std::set<uint64_t> uids;
  for (int i = 0; i < 5; ++i) {
    uids.insert(Value(store_->NextTaskUid()));
    uids.insert(Value(other->NextTaskUid()));
  }
  EXPECT_EQ(uids.size(), 10u);
  EXPECT_EQ(*uids.rbegin(), 9u);

  TaskRecord t;
  t.uid = 4;
  t.type = "indexCreation";
  t.index_uid = "movies";
  t.enqueued_at = Micros(1);
  ASSERT_TRUE(store_->PutTask(t));
  auto seen = other->GetTask(4);
  ASSERT_TRUE(seen && seen->has_value());
  EXPECT_EQ((**seen).index_uid, "movies");
  t.status = TaskStatus::kSucceeded;
  ASSERT_TRUE(other->PutTask(t));
  EXPECT_EQ((**store_->GetTask(4)).status, TaskStatus::kSucceeded);
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{TaskStatus::kEnqueued};
  EXPECT_EQ(Value(store_->ListTasks(q)).total, 0u) << "the old status index entry is gone";
}

TEST_F(RedisStoreTest, ConcurrentInstancesNeverShareATaskUid) {
  std::vector<std::unique_ptr<RedisStore>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(Other());
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 50; ++n) {
        auto uid = stores[i]->NextTaskUid();
        if (uid) got[i].push_back(*uid);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(*all.rbegin(), 199u);
}

TEST_F(RedisStoreTest, TaskUidsAboveTwoToThe53AreRefused) {
  TaskRecord t;
  t.uid = uint64_t{1} << 53;
  t.type = "indexCreation";
  auto r = store_->PutTask(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  t.uid = (uint64_t{1} << 53) - 1;
  EXPECT_TRUE(store_->PutTask(t));
  TaskQuery q;
  q.from = UINT64_MAX;
  EXPECT_EQ(Value(store_->ListTasks(q)).tasks.size(), 1u);
}

TEST_F(RedisStoreTest, ACounterLostByRedisNeverHandsOutAUidThisStoreHandedOut) {
  for (uint64_t want = 0; want < 3; ++want) EXPECT_EQ(Value(store_->NextTaskUid()), want);
  redisContext* c = redisConnect("127.0.0.1", SharedServer().port());
  ASSERT_TRUE(c && !c->err);
  freeReplyObject(redisCommand(c, "DEL %s", (prefix_ + "task_uid").c_str()));
  redisFree(c);
  EXPECT_EQ(Value(store_->NextTaskUid()), 3u);
  EXPECT_EQ(Value(Other()->NextTaskUid()), 4u) << "and the counter moved on";
}

TEST_F(RedisStoreTest, TopologyChangesArePublishedWithTheirEpoch) {
  redisContext* sub = redisConnect("127.0.0.1", SharedServer().port());
  ASSERT_TRUE(sub && !sub->err);
  freeReplyObject(redisCommand(sub, "SUBSCRIBE %s", store_->topology_channel().c_str()));
  timeval tv{2, 0};
  redisSetTimeout(sub, tv);

  ASSERT_TRUE(Value(store_->CompareAndSetTopology(0, TopologyRecord{7, {{"v", 7}}})));
  redisReply* msg = nullptr;
  ASSERT_EQ(redisGetReply(sub, reinterpret_cast<void**>(&msg)), REDIS_OK);
  ASSERT_EQ(msg->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(msg->elements, 3u);
  EXPECT_EQ(std::string(msg->element[0]->str), "message");
  EXPECT_EQ(std::string(msg->element[1]->str), prefix_ + "topology");
  EXPECT_EQ(std::string(msg->element[2]->str), "7");
  freeReplyObject(msg);
  redisFree(sub);
  EXPECT_EQ((*Value(Other()->LoadTopology())).epoch, 7u);
}

// --- shared-state changes ---

TEST_F(RedisStoreTest, EveryChangeOfMirroredStateMovesTheGeneration) {
  uint64_t g = Value(store_->StateGeneration());
  auto moved = [&](const char* what) {
    uint64_t now = Value(Other()->StateGeneration());
    EXPECT_GT(now, g) << what;
    g = now;
  };
  auto still = [&](const char* what) { EXPECT_EQ(Value(Other()->StateGeneration()), g) << what; };
  IndexRecord movies{"movies", 64, "id", Micros(1), Micros(1)};
  EXPECT_TRUE(Value(store_->CreateIndex(movies)));
  moved("CreateIndex");
  EXPECT_FALSE(Value(store_->CreateIndex(movies)));
  still("CreateIndex of an existing index");
  ASSERT_TRUE(store_->PutIndex(movies));
  moved("PutIndex");
  ASSERT_TRUE(store_->DeleteIndex("movies"));
  moved("DeleteIndex");
  ASSERT_TRUE(store_->DeleteIndex("movies"));
  still("DeleteIndex of nothing");
  ApiKey key;
  key.uid = "01234567-89ab-4cde-8f01-23456789abcd";
  key.key = "k";
  key.actions = {"search"};
  key.indexes = {"*"};
  ASSERT_TRUE(store_->PutKey(key));
  moved("PutKey");
  EXPECT_TRUE(Value(store_->DeleteKey(key.uid)));
  moved("DeleteKey");
  ASSERT_TRUE(Value(store_->CompareAndSetTopology(0, TopologyRecord{3, {{"v", 3}}})));
  moved("CompareAndSetTopology");
  EXPECT_FALSE(Value(store_->CompareAndSetTopology(0, TopologyRecord{4, {{"v", 4}}})));
  still("a lost CompareAndSetTopology");
  ASSERT_TRUE(store_->PutTask(testing::MakeTask(0, "movies", "indexCreation", TaskStatus::kEnqueued, 1)));
  still("PutTask (tasks are not mirrored)");
}

TEST_F(RedisStoreTest, WaitForStateChangeWakesOnAChangeFromAnotherInstance) {
  const uint64_t seen = Value(store_->StateGeneration());
  // Nothing changes: the wait lasts its timeout and returns the same generation.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Value(store_->WaitForStateChange(seen, std::chrono::milliseconds(200))), seen);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));

  std::thread writer([other = Other()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    IndexRecord books{"books", 8, std::nullopt, Micros(1), Micros(1)};
    (void)other->PutIndex(books);
  });
  t0 = std::chrono::steady_clock::now();
  uint64_t got = seen;
  // The channel wakes the waiter long before the 10 s timeout.
  while (got == seen && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    got = Value(store_->WaitForStateChange(seen, std::chrono::seconds(10)));
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  writer.join();
  EXPECT_GT(got, seen);
  EXPECT_LT(waited, std::chrono::seconds(3));
}

// --- leases and fencing ---

TEST_F(RedisStoreTest, OfTwoContendersExactlyOneGetsTheLease) {
  for (int round = 0; round < 20; ++round) {
    std::string scope = "race" + std::to_string(round);
    auto a = Other();
    auto b = Other();
    std::optional<Lease> got_a, got_b;
    std::atomic<bool> go{false};
    std::thread ta([&] {
      while (!go) {
      }
      got_a = Value(a->AcquireLease(scope, "a", 10s));
    });
    std::thread tb([&] {
      while (!go) {
      }
      got_b = Value(b->AcquireLease(scope, "b", 10s));
    });
    go = true;
    ta.join();
    tb.join();
    EXPECT_NE(got_a.has_value(), got_b.has_value()) << "round " << round;
    auto holder = Value(store_->CurrentLease(scope));
    ASSERT_TRUE(holder);
    EXPECT_EQ(*holder, got_a ? *got_a : *got_b);
    EXPECT_EQ(holder->token, 1u);
  }
}

TEST_F(RedisStoreTest, AHolderReacquiresItsOwnLeaseWithTheSameToken) {
  auto first = Value(store_->AcquireLease("s", "a", 10s));
  ASSERT_TRUE(first);
  auto again = Value(store_->AcquireLease("s", "a", 10s));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->token, first->token);
  EXPECT_FALSE(Value(store_->AcquireLease("s", "b", 10s)));
}

TEST_F(RedisStoreTest, AnExpiredLeaseGoesToTheOtherWithAHigherTokenAndFencesTheOldHolder) {
  auto a = Other();
  auto b = Other();
  auto lease_a = Value(a->AcquireLease("migration", "a", 150ms));
  ASSERT_TRUE(lease_a);
  EXPECT_TRUE(Value(a->FencedPut("migration", lease_a->token, "phase", "copy")));
  EXPECT_FALSE(Value(b->AcquireLease("migration", "b", 150ms)));
  EXPECT_TRUE(Value(a->RenewLease(*lease_a, 150ms)));

  // A stops renewing (paused, say) past its TTL.
  std::this_thread::sleep_for(250ms);
  auto lease_b = Value(b->AcquireLease("migration", "b", 10s));
  ASSERT_TRUE(lease_b);
  EXPECT_GT(lease_b->token, lease_a->token);
  EXPECT_TRUE(Value(b->FencedPut("migration", lease_b->token, "phase", "delta")));

  // A resumes, still believing it leads: its renewal and its writes fail.
  EXPECT_FALSE(Value(a->RenewLease(*lease_a, 10s)));
  EXPECT_FALSE(Value(a->FencedPut("migration", lease_a->token, "phase", "cleanup")));
  EXPECT_FALSE(Value(a->FencedDelete("migration", lease_a->token, "phase")));
  EXPECT_EQ(Value(store_->FencedGet("migration", "phase")), "delta");
  // Nor can A's release take B's lease away.
  ASSERT_TRUE(a->ReleaseLease(*lease_a));
  EXPECT_EQ(Value(store_->CurrentLease("migration")), lease_b);

  EXPECT_TRUE(Value(b->FencedDelete("migration", lease_b->token, "phase")));
  EXPECT_FALSE(Value(store_->FencedGet("migration", "phase")));
}

TEST_F(RedisStoreTest, ReleasedLeaseIsFreeAtOnceAndTokensKeepGrowing) {
  uint64_t last = 0;
  for (const char* holder : {"a", "b", "a"}) {
    auto lease = Value(store_->AcquireLease("prune", holder, 10s));
    ASSERT_TRUE(lease) << holder;
    EXPECT_GT(lease->token, last);
    last = lease->token;
    ASSERT_TRUE(store_->ReleaseLease(*lease));
    EXPECT_FALSE(Value(store_->CurrentLease("prune")));
  }
  // A token that was never handed out is refused too.
  EXPECT_FALSE(Value(store_->FencedPut("prune", last + 1, "k", "v")));
  EXPECT_TRUE(Value(store_->FencedPut("prune", last, "k", "v")));
  EXPECT_FALSE(Value(store_->FencedPut("never-leased", 1, "k", "v")));
}

TEST_F(RedisStoreTest, ScopesAreIndependent) {
  auto x = Value(store_->AcquireLease("x", "a", 10s));
  auto y = Value(store_->AcquireLease("y", "b", 10s));
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->token, 1u);
  EXPECT_EQ(y->token, 1u);
  EXPECT_TRUE(Value(store_->FencedPut("x", 1, "k", "from x")));
  EXPECT_FALSE(Value(store_->FencedGet("y", "k")));
}

// --- membership ---

TEST_F(RedisStoreTest, InstancesAreLiveUntilTheirHeartbeatExpiresOrTheyLeave) {
  InstanceInfo a{"a", "10.0.0.1:7700", 3, Micros(1'700'000'000'000'000)};
  InstanceInfo b{"b", "10.0.0.2:7700", 2, Micros(1'700'000'000'000'001)};
  InstanceInfo c{"c", "10.0.0.3:7700", 3, Micros(5)};
  ASSERT_TRUE(store_->Heartbeat(b, 10s));
  ASSERT_TRUE(store_->Heartbeat(a, 10s));
  ASSERT_TRUE(Other()->Heartbeat(c, 100ms));
  EXPECT_EQ(Value(store_->LiveInstances()), (std::vector<InstanceInfo>{a, b, c}));

  // b acknowledges epoch 3 with its next heartbeat.
  b.topology_epoch = 3;
  ASSERT_TRUE(store_->Heartbeat(b, 10s));
  std::this_thread::sleep_for(200ms);  // c stops heartbeating
  EXPECT_EQ(Value(store_->LiveInstances()), (std::vector<InstanceInfo>{a, b}));
  ASSERT_TRUE(store_->Leave("a"));
  EXPECT_EQ(Value(store_->LiveInstances()), (std::vector<InstanceInfo>{b}));
}

// --- Redis failures ---

// A server of its own, so killing it disturbs no other test.
class RedisFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_FAIL() << "redis-server is not installed: run scripts/setup.sh";
    ASSERT_TRUE(server_.Start());
    auto o = Options(server_, "f:");
    o.command_timeout = 300ms;
    o.connect_timeout = 300ms;
    store_ = OpenOrFail(o);
    ASSERT_NE(store_, nullptr);
  }

  static void ExpectUnavailable(const Result<void>& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kMiroirStoreUnavailable) << r.error().message;
    EXPECT_EQ(r.error().status, 503u);
    EXPECT_NE(r.error().message.find("coordination store redis://127.0.0.1:"), std::string::npos)
        << r.error().message;
  }
  template <class T>
  static void ExpectUnavailable(const Result<T>& r) {
    ASSERT_FALSE(r);
    ExpectUnavailable(Result<void>(r.error()));
  }

  TaskRecord SomeTask(uint64_t uid) {
    TaskRecord t;
    t.uid = uid;
    t.type = "indexCreation";
    t.index_uid = "movies";
    t.enqueued_at = Micros(1);
    return t;
  }

  RedisServer server_;
  std::unique_ptr<RedisStore> store_;
};

TEST_F(RedisFailureTest, KilledRedisGivesClearErrorsThenTheSameStoreRecoversWhenItIsBack) {
  ASSERT_EQ(Value(store_->NextTaskUid()), 0u);
  ASSERT_TRUE(store_->PutTask(SomeTask(0)));
  auto lease = Value(store_->AcquireLease("s", "a", 10s));
  ASSERT_TRUE(lease);

  server_.Kill();
  auto start = std::chrono::steady_clock::now();
  ExpectUnavailable(store_->NextTaskUid());
  ExpectUnavailable(store_->PutTask(SomeTask(1)));
  ExpectUnavailable(store_->GetTask(0));
  ExpectUnavailable(store_->ListTasks({}));
  ExpectUnavailable(store_->LoadTopology());
  ExpectUnavailable(store_->RenewLease(*lease, 10s));
  ExpectUnavailable(store_->Heartbeat({"a", "x", 1, {}}, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "errors come fast, not after hangs";

  // Same port, fresh (empty: no persistence) server; the same store object.
  ASSERT_TRUE(server_.Start());
  auto uid = store_->NextTaskUid();
  ASSERT_TRUE(uid) << uid.error().message;
  EXPECT_EQ(*uid, 1u) << "the store remembers the uids it handed out";
  ASSERT_TRUE(store_->PutTask(SomeTask(*uid)));
  EXPECT_TRUE(Value(store_->GetTask(*uid)).has_value());
  // The lost fencing state accepts no old token; a new lease starts over.
  EXPECT_FALSE(Value(store_->RenewLease(*lease, 10s)));
  EXPECT_FALSE(Value(store_->FencedPut("s", lease->token, "k", "v")));
  auto again = Value(store_->AcquireLease("s", "a", 10s));
  ASSERT_TRUE(again);
  EXPECT_TRUE(Value(store_->FencedPut("s", again->token, "k", "v")));
}

TEST_F(RedisFailureTest, RestartBetweenCallsIsInvisible) {
  ASSERT_TRUE(store_->PutIndex({"movies", 8, "id", Micros(1), Micros(1)}));
  server_.Stop();
  ASSERT_TRUE(server_.Start());
  // The pooled connection is dead; the call retries once on a new one.
  auto r = store_->ListIndexes();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->empty());
}

TEST_F(RedisFailureTest, AHungRedisTimesOutThenRecovers) {
  ASSERT_TRUE(store_->PutIndex({"movies", 8, "id", Micros(1), Micros(1)}));
  server_.Pause();
  auto start = std::chrono::steady_clock::now();
  auto r = store_->ListIndexes();
  auto took = std::chrono::steady_clock::now() - start;
  ExpectUnavailable(r);
  EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  server_.Resume();
  auto after = store_->ListIndexes();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->size(), 1u);
}

TEST_F(RedisFailureTest, ScriptsAreReloadedAfterTheScriptCacheIsFlushed) {
  ASSERT_EQ(Value(store_->NextTaskUid()), 0u);
  redisContext* c = redisConnect("127.0.0.1", server_.port());
  ASSERT_TRUE(c && !c->err);
  freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
  redisFree(c);
  EXPECT_EQ(Value(store_->NextTaskUid()), 1u);
}

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StoreBehaviourTest, RedisEnv);
}  // namespace testing

}  // namespace miroir::store
