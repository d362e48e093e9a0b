// The thread a coroutine-based background worker runs on (migration
// coordinator, anti-entropy, hint replayer): a private io_context, the stop
// flag its loops poll, and a Stop that gives them a moment to end before it
// stops the context.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace miroir::workers {

class WorkerThread {
 public:
  WorkerThread() = default;
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  // REQUIRES: stopped (the owner's destructor calls Stop first).
  ~WorkerThread();

  // Lowers the stop flag, lets `spawn` co_spawn the loops on the context and
  // runs it on a new thread. False, doing nothing, when it runs already.
  bool Start(const std::function<void(boost::asio::io_context&)>& spawn);

  // Raises the stop flag and waits until `finished()` (polled every 20 ms) or
  // `grace` has passed, then stops the context and joins the thread. The
  // frames of coroutines still suspended are destroyed with the context, so
  // they must hold no reference the owner does not outlive. False when it was
  // not running.
  bool Stop(const std::function<bool()>& finished,
            std::chrono::milliseconds grace = std::chrono::seconds(2));

  bool running() const { return thread_.joinable(); }
  // For the loops, and for NodeCalls to end its task waits early.
  const std::atomic<bool>& stopping() const { return stopping_; }

 private:
  boost::asio::io_context io_{1};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

// Suspends the calling coroutine for `d` on its own executor.
boost::asio::awaitable<void> SleepFor(std::chrono::milliseconds d);

// Runs job(0) .. job(count - 1), at most `concurrency` at once, on the calling
// coroutine's executor, and returns once every started job has ended. A job
// answering false lets the running ones finish but starts no more.
boost::asio::awaitable<void> ForEachBounded(
    size_t count, size_t concurrency, std::function<boost::asio::awaitable<bool>(size_t)> job);

}  // namespace miroir::workers
