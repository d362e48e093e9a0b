#include "miroir/workers/health_checker.hpp"

#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "miroir/log/log.hpp"

namespace miroir::workers {

namespace asio = boost::asio;

struct HealthChecker::State {
  meili::Cluster& cluster;
  HealthCheckerOptions options;
  Listener listener;
  std::atomic<bool> stopped{false};
  std::atomic<uint64_t> rounds{0};
  std::unique_ptr<asio::steady_timer> timer;  // touched on the executor only
  struct Counters {
    uint32_t failures = 0;
    uint32_t successes = 0;
  };
  std::map<std::string, Counters> counters;

  State(meili::Cluster& c, HealthCheckerOptions o, Listener l)
      : cluster(c), options(o), listener(std::move(l)) {}

  asio::awaitable<void> Loop(std::shared_ptr<State> self);
};

asio::awaitable<void> HealthChecker::State::Loop(std::shared_ptr<State> self) {
  while (!stopped.load()) {
    auto topology = cluster.topology();
    std::vector<meili::Cluster::Outgoing> requests;
    for (const auto& node : topology->nodes()) {
      http::UpstreamRequest r;
      r.target = "/health";
      r.timeout = options.timeout;
      requests.push_back({node.address, std::move(r)});
    }
    auto results = co_await cluster.SendAll(std::move(requests));
    for (size_t i = 0; i < results.size() && i < topology->nodes().size(); ++i) {
      const std::string& id = topology->node(static_cast<NodeIndex>(i)).id;
      const bool ok = results[i].ok() && results[i].response.status == 200;
      Counters& c = counters[id];
      const bool was_healthy = cluster.IsHealthyById(id);
      if (ok) {
        c.failures = 0;
        ++c.successes;
        if (!was_healthy && c.successes >= options.healthy_after) {
          cluster.SetHealthy(id, true);
          log::Info("node healthy").Str("node", id);
          if (listener) listener(id, true);
        }
      } else {
        c.successes = 0;
        ++c.failures;
        if (was_healthy && c.failures >= options.unhealthy_after) {
          cluster.SetHealthy(id, false);
          log::Warn("node unhealthy")
              .Str("node", id)
              .Str("cause", results[i].ok()
                                ? "answered HTTP " + std::to_string(results[i].response.status)
                                : std::string(http::UpstreamFailureName(results[i].failure)))
              .Uint("failed_checks", c.failures);
          if (listener) listener(id, false);
        }
      }
    }
    rounds.fetch_add(1);
    if (!timer) timer = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
    timer->expires_after(options.interval);
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  (void)self;
}

HealthChecker::HealthChecker(meili::Cluster& cluster, HealthCheckerOptions options,
                             Listener listener)
    : state_(std::make_shared<State>(cluster, options, std::move(listener))) {}

HealthChecker::~HealthChecker() { Stop(); }

void HealthChecker::Start(asio::any_io_executor executor) {
  state_->stopped.store(false);
  asio::co_spawn(executor, state_->Loop(state_), asio::detached);
  executor_ = executor;
}

void HealthChecker::Stop() {
  if (state_->stopped.exchange(true)) return;
  if (executor_) {
    asio::post(executor_, [s = state_] {
      if (s->timer) s->timer->cancel();
    });
  }
}

uint64_t HealthChecker::rounds() const { return state_->rounds.load(); }

}  // namespace miroir::workers
