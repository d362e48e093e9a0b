// Marks nodes unhealthy after consecutive failed health checks and healthy
// again after consecutive successes (ARCHITECTURE §2: reads avoid unhealthy
// nodes; writes to them count as misses).
//
// Runs as a coroutine on one executor; Start/Stop may be called from any
// thread. Stop() is idempotent and waits for nothing: the loop ends at its
// next wake-up.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "miroir/meili/cluster.hpp"

namespace miroir::workers {

struct HealthCheckerOptions {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
  uint32_t unhealthy_after = 3;
  uint32_t healthy_after = 2;
};

class HealthChecker {
 public:
  // Called on the checker's executor whenever a node changes state.
  using Listener = std::function<void(const std::string& node_id, bool healthy)>;

  HealthChecker(meili::Cluster& cluster, HealthCheckerOptions options, Listener listener = {});
  ~HealthChecker();

  void Start(boost::asio::any_io_executor executor);
  void Stop();
  // Completed check rounds (tests wait on it).
  uint64_t rounds() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  boost::asio::any_io_executor executor_;
};

}  // namespace miroir::workers
