#include "state_sync.hpp"

#include "miroir/core/topology_json.hpp"

namespace miroir::app {

StateSync::StateSync(store::Store& store, store::Coordination& coordination,
                     api::IndexCatalog& catalog, api::Authenticator& auth, meili::Cluster& cluster,
                     uint64_t seen, std::function<void()> on_new_topology,
                     std::chrono::milliseconds poll)
    : store_(store),
      coordination_(coordination),
      catalog_(catalog),
      auth_(auth),
      cluster_(cluster),
      seen_(seen),
      on_new_topology_(std::move(on_new_topology)),
      poll_(poll),
      applied_(seen) {}

StateSync::~StateSync() { Stop(); }

void StateSync::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void StateSync::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t StateSync::reloads() const { return reloads_.load(); }

void StateSync::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    auto generation = coordination_.WaitForStateChange(seen_, poll_);
    if (!generation) {
      // The store is unreachable: wait a period, then try again.
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, poll_, [this] { return stopping_; })) return;
      continue;
    }
    if (*generation == seen_) continue;
    // Read the generation before the state: a change landing during the
    // reload moves it again and brings us back here.
    if (Reload()) {
      seen_ = *generation;
      applied_.store(seen_);
      ++reloads_;
    }
  }
}

Result<void> StateSync::Reload() {
  MIROIR_ASSIGN_OR_RETURN(auto indexes, store_.ListIndexes());
  MIROIR_ASSIGN_OR_RETURN(auto keys, store_.ListKeys());
  MIROIR_ASSIGN_OR_RETURN(auto topology, store_.LoadTopology());
  catalog_.Replace(std::move(indexes));
  auth_.SetKeys(std::move(keys));
  if (topology && topology->epoch > cluster_.topology()->epoch()) {
    MIROIR_ASSIGN_OR_RETURN(TopologySpec spec, TopologySpecFromJson(topology->spec));
    MIROIR_ASSIGN_OR_RETURN(auto created, Topology::Create(std::move(spec)));
    cluster_.SetTopology(std::move(created));
    if (on_new_topology_) on_new_topology_();
  }
  return {};
}

}  // namespace miroir::app
