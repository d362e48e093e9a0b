#include "task_reconciler.hpp"

#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace miroir::app {

namespace asio = boost::asio;

struct TaskReconciler::State {
  State(api::Api& a, std::chrono::milliseconds i) : api(a), interval(i) {}
  asio::awaitable<void> Loop(std::shared_ptr<State> self);

  api::Api& api;
  std::chrono::milliseconds interval;
  std::atomic<bool> stopped{true};
  asio::any_io_executor executor;
  std::unique_ptr<asio::steady_timer> timer;  // used on `executor` only
};

asio::awaitable<void> TaskReconciler::State::Loop(std::shared_ptr<State> self) {
  timer = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  while (!stopped.load()) {
    co_await api.ReconcileTasks();
    if (stopped.load()) break;
    timer->expires_after(interval);
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  (void)self;
}

TaskReconciler::TaskReconciler(api::Api& api, std::chrono::milliseconds interval)
    : state_(std::make_shared<State>(api, interval)) {}

TaskReconciler::~TaskReconciler() { Stop(); }

void TaskReconciler::Start(asio::any_io_executor executor) {
  if (!state_->stopped.exchange(false)) return;
  state_->executor = executor;
  asio::co_spawn(executor, state_->Loop(state_), asio::detached);
}

void TaskReconciler::Stop() {
  if (state_->stopped.exchange(true)) return;
  asio::post(state_->executor, [s = state_] {
    if (s->timer) s->timer->cancel();
  });
}

}  // namespace miroir::app
