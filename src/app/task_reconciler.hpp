// The task reconciler: runs Api::ReconcileTasks every `interval` on one I/O
// thread, so Miroir tasks finish (and the index catalog learns what they
// did) even when no client polls them, and the task metrics stay current.
//
// Thread-safety: Start and Stop may be called from any thread, one at a
// time; Stop returns at once and the loop ends at its next wake-up (a pass in
// progress finishes first — every call it makes has a timeout).
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "miroir/api/api.hpp"

namespace miroir::app {

class TaskReconciler {
 public:
  TaskReconciler(api::Api& api, std::chrono::milliseconds interval);
  ~TaskReconciler();
  TaskReconciler(const TaskReconciler&) = delete;
  TaskReconciler& operator=(const TaskReconciler&) = delete;

  void Start(boost::asio::any_io_executor executor);
  void Stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace miroir::app
