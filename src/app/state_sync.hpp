// Keeps this instance's in-memory mirrors of shared state — the index
// catalog, the API keys and the topology — in step with the coordination
// store when several instances share it (ARCHITECTURE §5).
//
// Every change of that state moves the store's state generation in the
// same atomic write and is published on a channel (store/coordination.hpp).
// This worker waits on the generation from a thread of its own; when it
// moves, it re-reads the three and swaps them in: within a few milliseconds
// of the change through the channel, within one poll period (`poll`) if a
// notification is lost or Redis restarted. A failed reload is retried at the
// next wake-up; until then the instance serves from what it has.
//
// The request path does not depend on this for correctness where it
// matters: an index missing from the catalog is looked up in the store
// before it is called unknown (api/index_ops.hpp, LearnIndex).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "miroir/api/auth.hpp"
#include "miroir/api/index_catalog.hpp"
#include "miroir/meili/cluster.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"

namespace miroir::app {

class StateSync {
 public:
  // `seen` is the generation read before the start-up loads, so a change
  // made while they ran is picked up by the first wait. `on_new_topology`
  // runs after a newer topology was swapped in (to acknowledge its epoch).
  StateSync(store::Store& store, store::Coordination& coordination, api::IndexCatalog& catalog,
            api::Authenticator& auth, meili::Cluster& cluster, uint64_t seen,
            std::function<void()> on_new_topology,
            std::chrono::milliseconds poll = std::chrono::milliseconds(500));
  ~StateSync();
  StateSync(const StateSync&) = delete;
  StateSync& operator=(const StateSync&) = delete;

  void Start();
  // Returns within one poll period.
  void Stop();

  // Completed reloads (tests and metrics).
  uint64_t reloads() const;
  // The state generation this instance's mirrors reflect (the one read
  // before the last successful reload, or `seen` before any).
  uint64_t applied_generation() const { return applied_.load(); }

 private:
  void Loop();
  Result<void> Reload();

  store::Store& store_;
  store::Coordination& coordination_;
  api::IndexCatalog& catalog_;
  api::Authenticator& auth_;
  meili::Cluster& cluster_;
  uint64_t seen_;
  std::function<void()> on_new_topology_;
  std::chrono::milliseconds poll_;

  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> applied_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace miroir::app
