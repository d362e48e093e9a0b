#include "miroir/store/store_runner.hpp"

#include <atomic>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include "miroir/store/sqlite_store.hpp"

namespace miroir::store {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

std::shared_ptr<Store> MemoryStore() {
  auto s = SqliteStore::Open(":memory:");
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::shared_ptr<Store>(std::move(*s));
}

// A door store calls wait at, so a test decides when they finish. Declare it
// (and whatever store calls capture) before the runner, so that the runner's
// threads are joined before it goes away.
class Gate {
 public:
  void Wait() { opened_.wait(); }
  void Open() {
    if (!open_.exchange(true)) promise_.set_value();
  }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
  std::atomic<bool> open_{false};
};

TEST(StoreRunnerTest, RunsOnAStoreThreadAndResumesOnTheCallersExecutor) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  std::thread::id caller, store_thread, resumed;
  Result<uint64_t> uid = Error();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        caller = std::this_thread::get_id();
        uid = co_await runner.Run([&](Store& s) {
          store_thread = std::this_thread::get_id();
          return s.NextTaskUid();
        });
        resumed = std::this_thread::get_id();
        EXPECT_TRUE(ioc.get_executor().running_in_this_thread());
      },
      asio::detached);
  ioc.run();
  ASSERT_TRUE(uid) << uid.error().message;
  EXPECT_EQ(*uid, 0u);
  EXPECT_NE(store_thread, std::thread::id());
  EXPECT_NE(store_thread, caller);
  EXPECT_EQ(resumed, caller);
}

TEST(StoreRunnerTest, ResumesOnTheCallersStrandInAThreadPool) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  std::atomic<int> on_strand{0};
  std::set<uint64_t> uids;  // touched on the strand only
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        strand,
        [&]() -> asio::awaitable<void> {
          auto uid = co_await runner.Run([](Store& s) { return s.NextTaskUid(); });
          if (strand.running_in_this_thread()) ++on_strand;
          if (uid) uids.insert(*uid);
        },
        asio::detached);
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < 3; ++i) pool.emplace_back([&] { ioc.run(); });
  for (auto& t : pool) t.join();
  EXPECT_EQ(on_strand.load(), 20);
  EXPECT_EQ(uids.size(), 20u);
}

TEST(StoreRunnerTest, WrapsPlainAndVoidReturnsInResult) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  Result<int> number = Error();
  Result<void> nothing = Error();
  bool ran = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        number = co_await runner.Run([](Store&) { return 42; });
        nothing = co_await runner.Run([&](Store&) { ran = true; });
      },
      asio::detached);
  ioc.run();
  ASSERT_TRUE(number);
  EXPECT_EQ(*number, 42);
  EXPECT_TRUE(nothing);
  EXPECT_TRUE(ran);
}

TEST(StoreRunnerTest, PassesTheStoresErrorThrough) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  Result<bool> r = true;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // Epoch 0 after 0 breaks SqliteStore's precondition: an internal error.
        r = co_await runner.Run(
            [](Store& s) { return s.CompareAndSetTopology(0, TopologyRecord{0, {}}); });
      },
      asio::detached);
  ioc.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

TEST(StoreRunnerTest, AThrowingCallBecomesAnInternalErrorAndTheThreadLivesOn) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  Result<int> thrown = 0;
  Result<int> after = Error();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        thrown = co_await runner.Run([](Store&) -> Result<int> {
          throw std::runtime_error("kaput");
        });
        after = co_await runner.Run([](Store&) { return 7; });
      },
      asio::detached);
  ioc.run();
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, ErrorCode::kInternal);
  EXPECT_NE(thrown.error().message.find("kaput"), std::string::npos);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, 7);
}

TEST(StoreRunnerTest, AFullQueueFailsFastWithoutRunningTheCall) {
  StoreRunnerOptions options;
  options.queue_capacity = 2;
  options.timeout = milliseconds(60'000);
  Gate gate;
  std::atomic<int> ran{0};
  StoreRunner runner(MemoryStore(), options);
  asio::io_context ioc;
  std::vector<Result<int>> blocked(2, Result<int>(Error()));
  Result<int> refused = 0;
  size_t pending_when_refused = 0;

  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          blocked[i] = co_await runner.Run([&, i](Store&) {
            gate.Wait();
            ++ran;
            return i;
          });
        },
        asio::detached);
  }
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // One call runs, one waits: the third does not fit.
        refused = co_await runner.Run([&](Store&) {
          ++ran;
          return 99;
        });
        pending_when_refused = runner.pending();
        gate.Open();
      },
      asio::detached);
  ioc.run();

  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_EQ(refused.error().status, 503u);
  EXPECT_NE(refused.error().message.find("2 calls"), std::string::npos) << refused.error().message;
  EXPECT_EQ(pending_when_refused, 2u);
  EXPECT_EQ(ran.load(), 2);
  ASSERT_TRUE(blocked[0] && blocked[1]);
  EXPECT_EQ(*blocked[0], 0);
  EXPECT_EQ(*blocked[1], 1);
  EXPECT_EQ(runner.pending(), 0u);
}

TEST(StoreRunnerTest, ASlowCallTimesOutWhileTheStoreThreadFinishesIt) {
  StoreRunnerOptions options;
  options.timeout = milliseconds(50);
  Gate gate;
  std::atomic<bool> finished{false};
  StoreRunner runner(MemoryStore(), options);
  asio::io_context ioc;
  int completions = 0;
  Result<int> r = 0;
  auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration waited{};
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        r = co_await runner.Run([&](Store&) {
          gate.Wait();
          finished = true;
          return 1;
        });
        ++completions;
        waited = std::chrono::steady_clock::now() - started;
        EXPECT_FALSE(finished.load()) << "the caller must not wait for the store thread";
        gate.Open();
      },
      asio::detached);
  ioc.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_NE(r.error().message.find("50 ms"), std::string::npos) << r.error().message;
  EXPECT_GE(waited, milliseconds(50));
  // The call kept work on ioc until the store thread was done with it.
  EXPECT_TRUE(finished.load()) << "run() returned while the store thread still held the call";
  runner.Stop();
  ioc.restart();
  ioc.run();  // nothing late may reach the caller
  EXPECT_EQ(completions, 1);
}

TEST(StoreRunnerTest, RunForOverridesTheDefaultTimeout) {
  StoreRunnerOptions options;
  options.timeout = milliseconds(60'000);
  Gate gate;  // outlives the runner, whose thread may still be leaving Wait()
  StoreRunner runner(MemoryStore(), options);
  asio::io_context ioc;
  Result<int> r = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        r = co_await runner.RunFor(milliseconds(20), [&](Store&) {
          gate.Wait();
          return 1;
        });
        gate.Open();
      },
      asio::detached);
  ioc.run();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("20 ms"), std::string::npos);
}

TEST(StoreRunnerTest, StopDrainsAdmittedCallsAndDeliversTheirResults) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  std::atomic<int> ran{0};
  std::vector<int> delivered;
  for (int i = 0; i < 5; ++i) {
    runner.Run(
        [&, i](Store&) {
          ++ran;
          return i;
        },
        asio::bind_executor(ioc, [&](Result<int> r) {
          EXPECT_TRUE(r);
          if (r) delivered.push_back(*r);
        }));
  }
  runner.Stop();
  EXPECT_EQ(ran.load(), 5);
  EXPECT_TRUE(delivered.empty()) << "results wait for the caller's executor";
  ioc.run();
  EXPECT_EQ(delivered, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(StoreRunnerTest, StopIsIdempotentAndLaterCallsFailFast) {
  StoreRunner runner(MemoryStore());
  runner.Stop();
  runner.Stop();
  asio::io_context ioc;
  bool ran = false;
  Result<int> r = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        r = co_await runner.Run([&](Store&) {
          ran = true;
          return 1;
        });
      },
      asio::detached);
  ioc.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_NE(r.error().message.find("shutting down"), std::string::npos);
  EXPECT_FALSE(ran);
  runner.Stop();
}

TEST(StoreRunnerTest, ConcurrentStopsFromSeveralThreadsAreSafe) {
  StoreRunner runner(MemoryStore(), StoreRunnerOptions{.threads = 2});
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 4; ++i) stoppers.emplace_back([&] { runner.Stop(); });
  for (auto& t : stoppers) t.join();
  EXPECT_EQ(runner.pending(), 0u);
}

TEST(StoreRunnerTest, ManyCallersOnManyThreadsGetDistinctTaskUids) {
  StoreRunner runner(MemoryStore());
  asio::io_context ioc;
  std::mutex mu;
  std::set<uint64_t> uids;
  std::atomic<int> errors{0};
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto uid = co_await runner.Run([](Store& s) { return s.NextTaskUid(); });
          if (!uid) {
            ++errors;
            co_return;
          }
          std::lock_guard<std::mutex> lock(mu);
          uids.insert(*uid);
        },
        asio::detached);
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < 4; ++i) pool.emplace_back([&] { ioc.run(); });
  for (auto& t : pool) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(uids.size(), 200u);
  EXPECT_EQ(*uids.rbegin(), 199u);
}

}  // namespace
}  // namespace miroir::store
