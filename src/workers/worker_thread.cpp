#include "miroir/workers/worker_thread.hpp"

#include <algorithm>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace miroir::workers {

namespace asio = boost::asio;

WorkerThread::~WorkerThread() {
  // The owner stops first; this only keeps a forgotten Stop from aborting
  // the process in std::thread's destructor.
  Stop([] { return true; }, std::chrono::milliseconds(0));
}

bool WorkerThread::Start(const std::function<void(asio::io_context&)>& spawn) {
  if (thread_.joinable()) return false;
  stopping_.store(false);
  io_.restart();
  spawn(io_);
  thread_ = std::thread([this] { io_.run(); });
  return true;
}

bool WorkerThread::Stop(const std::function<bool()>& finished, std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return false;
  stopping_.store(true);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!finished() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  io_.stop();
  thread_.join();
  return true;
}

asio::awaitable<void> SleepFor(std::chrono::milliseconds d) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> ForEachBounded(size_t count, size_t concurrency,
                                     std::function<asio::awaitable<bool>(size_t)> job) {
  struct Shared {
    size_t count = 0;
    size_t next = 0;
    size_t running = 0;
    bool stop = false;
    std::function<asio::awaitable<bool>(size_t)> job;
  };
  auto shared = std::make_shared<Shared>();
  shared->count = count;
  shared->job = std::move(job);
  auto executor = co_await asio::this_coro::executor;
  const size_t lanes = std::min(std::max<size_t>(1, concurrency), count);
  for (size_t lane = 0; lane < lanes; ++lane) {
    ++shared->running;
    asio::co_spawn(
        executor,
        [shared]() -> asio::awaitable<void> {
          while (shared->next < shared->count && !shared->stop) {
            const size_t i = shared->next++;
            const bool go_on = co_await shared->job(i);
            if (!go_on) shared->stop = true;
          }
          --shared->running;
        },
        asio::detached);
  }
  while (shared->running > 0) co_await SleepFor(std::chrono::milliseconds(10));
}

}  // namespace miroir::workers
