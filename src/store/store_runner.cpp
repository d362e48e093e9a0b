#include "miroir/store/store_runner.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace miroir::store {

namespace detail {

Error StoreCallThrew(const char* what) {
  return Error(ErrorCode::kInternal, std::string("coordination store call failed: ") + what);
}

Error StoreCallTimedOut(std::chrono::milliseconds timeout) {
  return Error(ErrorCode::kMiroirStoreUnavailable,
               "coordination store did not answer within " + std::to_string(timeout.count()) +
                   " ms");
}

}  // namespace detail

struct StoreRunner::Impl {
  boost::asio::io_context ioc;
  // Keeps the store threads in ioc.run() while idle; reset by Stop so that
  // run() returns once the admitted calls are done.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // Admission and Stop exclude each other under `mu`, so once Stop has
  // released the work guard no new call can slip into the queue unrun.
  std::mutex mu;
  bool stopped = false;        // guarded by mu
  std::atomic<size_t> pending{0};

  std::mutex join_mu;  // serializes concurrent Stop calls around join()
};

StoreRunner::StoreRunner(std::shared_ptr<Store> store, StoreRunnerOptions options)
    : options_(options), store_(std::move(store)), impl_(std::make_unique<Impl>()) {
  options_.threads = std::max<size_t>(options_.threads, 1);
  options_.queue_capacity = std::max<size_t>(options_.queue_capacity, 1);
  options_.timeout = std::max(options_.timeout, std::chrono::milliseconds(1));
  impl_->work.emplace(impl_->ioc.get_executor());
  for (size_t i = 0; i < options_.threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
}

StoreRunner::~StoreRunner() { Stop(); }

Result<void> StoreRunner::Submit(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->stopped) {
    return Error(ErrorCode::kMiroirStoreUnavailable, "coordination store is shutting down");
  }
  // Running calls count against the bound too: a hung store fills the queue
  // and further calls fail at once instead of piling up behind it.
  if (impl_->pending.load(std::memory_order_relaxed) >= options_.queue_capacity) {
    return Error(ErrorCode::kMiroirStoreUnavailable,
                 "coordination store is overloaded: " + std::to_string(options_.queue_capacity) +
                     " calls already waiting");
  }
  impl_->pending.fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(impl_->ioc, [impl = impl_.get(), job = std::move(job)] {
    job();
    impl->pending.fetch_sub(1, std::memory_order_relaxed);
  });
  return {};
}

void StoreRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopped = true;
    impl_->work.reset();
  }
  std::lock_guard<std::mutex> lock(impl_->join_mu);
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

size_t StoreRunner::pending() const { return impl_->pending.load(std::memory_order_relaxed); }

}  // namespace miroir::store
