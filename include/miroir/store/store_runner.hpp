// StoreRunner: runs Store calls off the I/O threads (ARCHITECTURE.md §8).
//
//   Result<uint64_t> uid = co_await runner.Run([](Store& s) { return s.NextTaskUid(); });
//
// The call runs on the runner's own thread(s); the awaiting coroutine resumes
// on its own executor (the completion handler's associated executor) with
// whatever the function returned, or with miroir_store_unavailable (503) when
//  - the queue is full: `queue_capacity` calls are already queued or running
//    (fails at once, nothing is queued);
//  - the call did not finish within the timeout, counted from submission, so
//    time spent queued counts. The store thread still finishes the call and
//    its effects stand (a timed-out PutTask may have been written); the
//    result is dropped;
//  - the runner is stopped.
// A function that throws yields an internal error; the store thread lives on.
//
// Ordering: with threads == 1 (the default, and what SqliteStore wants: it
// serializes on one connection anyway) calls run one at a time in submission
// order. With more threads they run concurrently in no particular order.
//
// Thread-safety: Run, RunFor, Stop and pending may be called from any thread.
// Ownership: the runner co-owns the store; `fn` is moved to the store thread
// and destroyed there.
//
// Lifetimes: a call counts as outstanding work on the caller's executor until
// the store thread is done with it — even after the caller was told it timed
// out — so the caller's io_context::run() does not return while it has calls
// in flight. REQUIRES: an io_context is not destroyed while calls it awaits
// are in flight; if it is stopped with ioc.stop() rather than left to run out
// of work, call the runner's Stop() first (it returns only once every
// admitted call ran). REQUIRES: Stop is not called from inside a store call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "miroir/core/error.hpp"
#include "miroir/store/store.hpp"

namespace miroir::store {

struct StoreRunnerOptions {
  size_t threads = 1;            // store threads; at least 1
  size_t queue_capacity = 1024;  // calls queued or running; at least 1
  std::chrono::milliseconds timeout{5'000};  // per call, from submission; > 0
};

namespace detail {

template <class R>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<Result<T>> : std::true_type {};

// What Run completes with: the function's Result<T> as is, any other return
// type R as Result<R>, void as Result<void>.
template <class Raw>
using RunResult = std::conditional_t<IsResult<Raw>::value, Raw,
                                     Result<std::conditional_t<std::is_void_v<Raw>, void, Raw>>>;

Error StoreCallThrew(const char* what);
Error StoreCallTimedOut(std::chrono::milliseconds timeout);

template <class R, class F>
R InvokeStoreCall(F& fn, Store& store) noexcept {
  using Raw = std::invoke_result_t<F&, Store&>;
  try {
    if constexpr (IsResult<Raw>::value) {
      return fn(store);
    } else if constexpr (std::is_void_v<Raw>) {
      fn(store);
      return R();
    } else {
      return R(boost::system::in_place_value, fn(store));
    }
  } catch (const std::exception& e) {
    return R(boost::system::in_place_error, StoreCallThrew(e.what()));
  } catch (...) {
    return R(boost::system::in_place_error, StoreCallThrew("unknown exception"));
  }
}

// One call in flight. Exactly one of three paths completes the handler,
// decided by `state`: the store thread (kPending -> kPosted, then deliver on
// the handler's executor), the timer (kPending -> kDone), or a refused
// submission (kPending -> kDone). The store thread posts to the caller's
// executor only while the timer is still pending, so it never posts after
// the caller has been told "timed out".
//
// The call also holds outstanding work on the caller's executor, released by
// the store thread as the very last thing it does for the call — after its
// post has returned and after it dropped its reference to this state, which
// may hold a strand. So the caller's io_context cannot run out of work, and
// be destroyed, while the store thread still touches anything of it.
template <class Handler, class R>
struct StoreCall {
  enum : int { kPending, kPosted, kDone };

  StoreCall(Handler h, boost::asio::any_io_executor executor)
      : handler(std::move(h)),
        ex(std::move(executor)),
        work(boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked)) {}

  std::atomic<int> state{kPending};
  std::optional<Handler> handler;
  boost::asio::any_io_executor ex;
  // Touched by the store thread only (or, for a refused call, the caller).
  boost::asio::any_io_executor work;
  std::optional<boost::asio::steady_timer> timer;  // touched only on ex
  std::optional<R> result;

  bool Claim(int next) {
    int expected = kPending;
    return state.compare_exchange_strong(expected, next, std::memory_order_acq_rel);
  }
  // On ex, after winning the state.
  void Complete(R r) {
    timer.reset();  // cancels the wait if it is still pending
    Handler h = std::move(*handler);
    handler.reset();
    std::move(h)(std::move(r));
  }
};

}  // namespace detail

class StoreRunner {
 public:
  // Starts the store threads. `store` must not be null.
  explicit StoreRunner(std::shared_ptr<Store> store, StoreRunnerOptions options = {});
  // Stops (see Stop).
  ~StoreRunner();
  StoreRunner(const StoreRunner&) = delete;
  StoreRunner& operator=(const StoreRunner&) = delete;

  // Runs `fn(Store&)` on a store thread with the default timeout; completes
  // `token` (by default: the call is co_await-able) with detail::RunResult.
  template <class F, class CompletionToken = boost::asio::use_awaitable_t<>>
  auto Run(F fn, CompletionToken&& token = {}) {
    return RunFor(options_.timeout, std::move(fn), std::forward<CompletionToken>(token));
  }

  // As Run, with this call's own timeout (> 0).
  template <class F, class CompletionToken = boost::asio::use_awaitable_t<>>
  auto RunFor(std::chrono::milliseconds timeout, F fn, CompletionToken&& token = {});

  // Refuses new calls, lets every admitted call run to completion, then
  // joins the store threads. Idempotent; safe to call concurrently.
  void Stop();

  // Calls queued or running (for metrics and tests).
  size_t pending() const;
  const StoreRunnerOptions& options() const { return options_; }

 private:
  struct Impl;

  // Admits `job` and queues it on a store thread, or fails fast (queue full
  // or stopped) without running it.
  Result<void> Submit(std::function<void()> job);

  StoreRunnerOptions options_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<Impl> impl_;
};

template <class F, class CompletionToken>
auto StoreRunner::RunFor(std::chrono::milliseconds timeout, F fn, CompletionToken&& token) {
  using Raw = std::invoke_result_t<F&, Store&>;
  using R = detail::RunResult<Raw>;
  namespace asio = boost::asio;

  auto initiation = [this, timeout](auto handler, F f) {
    using Handler = decltype(handler);
    using Call = detail::StoreCall<Handler, R>;
    asio::any_io_executor ex = asio::get_associated_executor(handler, asio::system_executor());
    auto call = std::make_shared<Call>(std::move(handler), ex);

    // The timer starts before the job is submitted: once submitted, the
    // result may be delivered on another thread at any moment.
    call->timer.emplace(ex, timeout);
    call->timer->async_wait([call, timeout](const boost::system::error_code& ec) {
      if (ec || !call->Claim(Call::kDone)) return;  // canceled, or the result won
      call->Complete(R(boost::system::in_place_error, detail::StoreCallTimedOut(timeout)));
    });

    auto fn_ptr = std::make_shared<F>(std::move(f));
    Result<void> admitted = Submit([call, fn_ptr, store = store_]() mutable {
      R r = detail::InvokeStoreCall<R>(*fn_ptr, *store);
      // The function (and what it captured) dies here, on the store thread.
      fn_ptr.reset();
      // Lost to the timer: nobody waits for r any more.
      if (call->Claim(Call::kPosted)) {
        call->result.emplace(std::move(r));
        asio::post(call->ex, [call] { call->Complete(std::move(*call->result)); });
      }
      asio::any_io_executor work = std::move(call->work);
      call.reset();
      work = {};
    });
    if (!admitted && call->Claim(Call::kDone)) {
      // Never complete inside the initiating function: post, as Asio requires.
      asio::post(call->ex, [call, error = std::move(admitted).error()]() mutable {
        call->Complete(R(boost::system::in_place_error, std::move(error)));
      });
      call->work = {};
    }
  };
  return asio::async_initiate<CompletionToken, void(R)>(std::move(initiation), token,
                                                        std::move(fn));
}

}  // namespace miroir::store
