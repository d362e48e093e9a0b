#include "miroir/meili/cluster.hpp"

#include <algorithm>

#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace miroir::meili {
namespace {

// One pool per node address per thread: connections live on one io_context.
struct ThreadPools {
  boost::asio::any_io_executor executor;
  std::map<std::string, std::unique_ptr<http::UpstreamPool>, std::less<>> pools;
};
thread_local ThreadPools t_pools;

}  // namespace

Cluster::Cluster(std::shared_ptr<const Topology> topology, ClusterOptions options)
    : options_(std::move(options)) {
  SetTopology(std::move(topology));
}

void Cluster::SetTopology(std::shared_ptr<const Topology> topology) {
  auto old = health_.load();
  auto entries = std::make_shared<std::vector<HealthEntry>>();
  for (const auto& node : topology->nodes()) {
    bool healthy = true;
    bool catching_up = false;
    if (old) {
      for (const auto& e : *old) {
        if (e.node_id != node.id) continue;
        healthy = e.healthy->load();
        catching_up = e.catching_up->load();
      }
    }
    entries->push_back({node.id, std::make_unique<std::atomic<bool>>(healthy),
                        std::make_unique<std::atomic<bool>>(catching_up)});
  }
  // Health first, so a reader of the new topology finds entries for all its nodes.
  health_.store(std::move(entries));
  topology_.store(std::move(topology));
}

bool Cluster::IsHealthy(NodeIndex node) const {
  auto health = health_.load();
  return node < health->size() ? (*health)[node].healthy->load(std::memory_order_relaxed) : false;
}

bool Cluster::IsHealthyById(const std::string& node_id) const {
  auto health = health_.load();
  for (const auto& e : *health) {
    if (e.node_id == node_id) return e.healthy->load(std::memory_order_relaxed);
  }
  return false;
}

void Cluster::SetHealthy(const std::string& node_id, bool healthy) {
  auto health = health_.load();
  for (const auto& e : *health) {
    if (e.node_id == node_id) e.healthy->store(healthy, std::memory_order_relaxed);
  }
}

void Cluster::SetCatchingUp(const std::string& node_id, bool catching_up) {
  auto health = health_.load();
  for (const auto& e : *health) {
    if (e.node_id == node_id) e.catching_up->store(catching_up);
  }
}

bool Cluster::IsCatchingUp(NodeIndex node) const {
  auto health = health_.load();
  return node < health->size() ? (*health)[node].catching_up->load() : false;
}

boost::asio::awaitable<http::UpstreamResult> Cluster::Send(const std::string& address,
                                                           http::UpstreamRequest request) const {
  auto executor = co_await boost::asio::this_coro::executor;
  if (t_pools.executor != executor) {
    // First use on this thread (or the thread's context changed, as in tests).
    t_pools.pools.clear();
    t_pools.executor = executor;
  }
  auto it = t_pools.pools.find(address);
  if (it == t_pools.pools.end()) {
    it = t_pools.pools
             .emplace(address, std::make_unique<http::UpstreamPool>(executor, address,
                                                                    options_.pool))
             .first;
  }
  if (!options_.node_key.empty()) {
    request.headers.Set("Authorization", "Bearer " + options_.node_key);
  }
  // The fence is checked last, right before the request leaves: a write
  // routed before a long pause is refused here when the pause outlived
  // this instance's registration.
  if (request.method != http::Method::kGet && request.method != http::Method::kHead &&
      WritesFenced()) {
    fenced_writes_.fetch_add(1, std::memory_order_relaxed);
    http::UpstreamResult fenced;
    fenced.failure = http::UpstreamFailure::kFenced;
    fenced.detail = "this Miroir instance has not renewed its membership in time";
    co_return fenced;
  }
  const auto started = std::chrono::steady_clock::now();
  http::UpstreamResult result = co_await it->second->Send(std::move(request));
  result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  co_return result;
}

boost::asio::awaitable<std::vector<http::UpstreamResult>> Cluster::SendAll(
    std::vector<Outgoing> requests) const {
  namespace asio = boost::asio;
  auto executor = co_await asio::this_coro::executor;
  // Every child runs on this same executor, so the shared state needs no
  // synchronisation; the timer is the rendezvous the parent waits on.
  struct State {
    explicit State(asio::any_io_executor ex, size_t n) : done(ex), results(n), remaining(n) {
      done.expires_at(asio::steady_timer::time_point::max());
    }
    asio::steady_timer done;
    std::vector<http::UpstreamResult> results;
    size_t remaining;
  };
  auto state = std::make_shared<State>(executor, requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    asio::co_spawn(
        executor,
        [this, state, i, out = std::move(requests[i])]() mutable -> asio::awaitable<void> {
          state->results[i] = co_await Send(out.address, std::move(out.request));
          if (--state->remaining == 0) state->done.cancel();
        },
        asio::detached);
  }
  if (state->remaining > 0) {
    co_await state->done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return std::move(state->results);
}

void Cluster::FenceWritesAfter(std::chrono::steady_clock::time_point until) {
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
  // Only forward: a late renewal must not shorten a newer one.
  int64_t current = write_fence_ns_.load(std::memory_order_relaxed);
  while ((current == INT64_MAX || current < ns) &&
         !write_fence_ns_.compare_exchange_weak(current, ns, std::memory_order_relaxed)) {
  }
}

bool Cluster::WritesFenced() const {
  const int64_t fence = write_fence_ns_.load(std::memory_order_relaxed);
  if (fence == INT64_MAX) return false;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  return now > fence;
}

Cluster::WriteInFlight::~WriteInFlight() {
  if (cluster_ == nullptr) return;
  std::lock_guard lock(cluster_->writes_mu_);
  cluster_->open_tickets_.erase(ticket_);
  auto it = cluster_->writes_in_flight_.find(epoch_);
  if (it != cluster_->writes_in_flight_.end() && --it->second == 0) {
    cluster_->writes_in_flight_.erase(it);
  }
}

Cluster::WriteInFlight Cluster::TrackWrite(uint64_t epoch) const {
  std::lock_guard lock(writes_mu_);
  ++writes_in_flight_[epoch];
  const uint64_t ticket = next_ticket_++;
  open_tickets_.insert(ticket);
  return WriteInFlight(this, epoch, ticket);
}

uint64_t Cluster::NextWriteTicket() const {
  std::lock_guard lock(writes_mu_);
  return next_ticket_;
}

bool Cluster::WritesBefore(uint64_t ticket) const {
  std::lock_guard lock(writes_mu_);
  return !open_tickets_.empty() && *open_tickets_.begin() < ticket;
}

uint64_t Cluster::AcknowledgedEpoch() const {
  const uint64_t current = topology()->epoch();
  std::lock_guard lock(writes_mu_);
  if (writes_in_flight_.empty()) return current;
  return std::min(current, writes_in_flight_.begin()->first);
}

}  // namespace miroir::meili
