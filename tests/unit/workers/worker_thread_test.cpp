#include "miroir/workers/worker_thread.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

namespace miroir::workers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A loop that counts its rounds until the worker's stop flag rises.
struct CountingLoop {
  WorkerThread worker;
  std::atomic<int> rounds{0};
  std::atomic<bool> ended{true};

  asio::awaitable<void> Loop() {
    while (!worker.stopping().load()) {
      ++rounds;
      co_await SleepFor(2ms);
    }
    ended.store(true);
  }

  bool Start() {
    return worker.Start([this](asio::io_context& io) {
      ended.store(false);
      asio::co_spawn(io, Loop(), asio::detached);
    });
  }
  bool Stop() {
    return worker.Stop([this] { return ended.load(); });
  }
};

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerThread, RunsItsLoopUntilStoppedAndCanBeStartedAgain) {
  CountingLoop w;
  EXPECT_FALSE(w.worker.running());
  EXPECT_FALSE(w.Stop()) << "stopping a worker that never ran";

  ASSERT_TRUE(w.Start());
  EXPECT_TRUE(w.worker.running());
  EXPECT_FALSE(w.Start()) << "a second Start while running";
  ASSERT_TRUE(WaitFor([&] { return w.rounds.load() >= 3; }));
  EXPECT_TRUE(w.Stop());
  EXPECT_TRUE(w.ended.load()) << "the loop saw the flag and ended on its own";
  EXPECT_FALSE(w.worker.running());

  // Resumed: the flag is lowered again and the loop runs anew.
  const int before = w.rounds.load();
  ASSERT_TRUE(w.Start());
  EXPECT_FALSE(w.worker.stopping().load());
  ASSERT_TRUE(WaitFor([&] { return w.rounds.load() >= before + 3; }));
  EXPECT_TRUE(w.Stop());
}

TEST(WorkerThread, StopCutsOffALoopThatIgnoresTheFlagAfterTheGracePeriod) {
  WorkerThread worker;
  std::atomic<bool> resumed{false};
  ASSERT_TRUE(worker.Start([&](asio::io_context& io) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await SleepFor(1h);  // never looks at the flag
          resumed.store(true);
        },
        asio::detached);
  }));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(worker.Stop([] { return false; }, 100ms));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(resumed.load()) << "the suspended coroutine is destroyed, not resumed";
  EXPECT_FALSE(worker.running());
}

// Runs `body` as a coroutine on a worker and waits until it has returned.
void RunOnWorker(const std::function<asio::awaitable<void>()>& body) {
  WorkerThread worker;
  std::atomic<bool> done{false};
  ASSERT_TRUE(worker.Start([&](asio::io_context& io) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await body();
          done.store(true);
        },
        asio::detached);
  }));
  EXPECT_TRUE(WaitFor([&] { return done.load(); }, 10s));
  worker.Stop([&] { return done.load(); });
}

TEST(ForEachBounded, RunsEveryJobOnceWithAtMostTheConcurrencyInFlight) {
  std::mutex mu;
  std::multiset<size_t> ran;
  int in_flight = 0;
  int most_in_flight = 0;
  RunOnWorker([&]() -> asio::awaitable<void> {
    std::function<asio::awaitable<bool>(size_t)> job = [&](size_t i) -> asio::awaitable<bool> {
      {
        std::lock_guard lock(mu);
        most_in_flight = std::max(most_in_flight, ++in_flight);
      }
      co_await SleepFor(std::chrono::milliseconds(1 + i % 3));
      std::lock_guard lock(mu);
      --in_flight;
      ran.insert(i);
      co_return true;
    };
    co_await ForEachBounded(20, 3, std::move(job));
  });
  EXPECT_EQ(ran.size(), 20u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(ran.count(i), 1u) << i;
  EXPECT_EQ(most_in_flight, 3);
  EXPECT_EQ(in_flight, 0) << "returned only once every job had ended";
}

TEST(ForEachBounded, AJobAnsweringFalseStartsNoMore) {
  std::atomic<size_t> started{0};
  RunOnWorker([&]() -> asio::awaitable<void> {
    std::function<asio::awaitable<bool>(size_t)> job = [&](size_t i) -> asio::awaitable<bool> {
      ++started;
      co_await SleepFor(1ms);
      co_return i != 4;
    };
    co_await ForEachBounded(100, 2, std::move(job));
  });
  // Job 4 stops the run: the other lane may have started one more job meanwhile.
  EXPECT_GE(started.load(), 5u);
  EXPECT_LE(started.load(), 6u);
}

TEST(ForEachBounded, NothingToDoReturnsAtOnceAndZeroConcurrencyStillRuns) {
  std::atomic<size_t> ran{0};
  RunOnWorker([&]() -> asio::awaitable<void> {
    std::function<asio::awaitable<bool>(size_t)> job = [&](size_t) -> asio::awaitable<bool> {
      ++ran;
      co_return true;
    };
    co_await ForEachBounded(0, 4, job);
    co_await ForEachBounded(3, 0, job);
  });
  EXPECT_EQ(ran.load(), 3u);
}

}  // namespace
}  // namespace miroir::workers
