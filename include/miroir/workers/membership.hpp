// This instance's place among the live Miroir instances (ARCHITECTURE §5):
// it heartbeats into the coordination store with the topology epoch it
// routes by (its acknowledgement of that epoch), keeps the list of live
// instances from the last heartbeat, and decides which background
// partitions this instance owns.
//
// Ownership is rendezvous hashing over the live instance ids: partition p
// belongs to the instance with the highest Xxh64(p || 0 || id). Every
// instance computes the same owner from the same list, and when an instance
// dies (its heartbeat expires) only its partitions move. Two instances can
// briefly disagree while their lists differ (a heartbeat period at most);
// workers that must never overlap take a lease per partition on top
// (workers/task_pruner.hpp shows how).
//
// Without a coordination store (the embedded SQLite back end: one instance
// by construction) the instance is alone: it is the only live instance and
// owns every partition.
//
// Heartbeats block on the network, so they run on a thread of their own,
// never on an I/O thread. Thread-safety: every method may be called from any
// thread; Start and Stop from one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/store/coordination.hpp"

namespace miroir::workers {

struct MembershipOptions {
  std::chrono::milliseconds interval{3'000};  // between heartbeats
  std::chrono::milliseconds ttl{10'000};      // a silent instance is dead after this
  // Called on the heartbeat thread after each successful heartbeat, with the
  // time it was sent: the store holds this instance as alive until at least
  // that time + ttl (the application renews its write fence from it).
  std::function<void(std::chrono::steady_clock::time_point sent)> on_renewed;
};

// The rendezvous owner of `partition` among `instance_ids`; empty when the
// list is empty. Pure; exposed for tests.
std::string RendezvousOwner(std::string_view partition,
                            const std::vector<std::string>& instance_ids);

class Membership {
 public:
  // Alone: no store, this instance owns everything.
  explicit Membership(store::InstanceInfo self);
  // Shared: heartbeats into `coordination`; `epoch` reads the topology epoch
  // this instance routes by at each heartbeat.
  Membership(store::Coordination& coordination, store::InstanceInfo self,
             std::function<uint64_t()> epoch, MembershipOptions options);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Heartbeats once before returning, so a store that refuses it fails
  // start-up, then keeps heartbeating from its own thread. A failed
  // heartbeat is retried at the next tick (the TTL outlives two).
  Result<void> Start();
  // Stops heartbeating and leaves at once rather than after the TTL.
  // Idempotent; Start may be called again afterwards.
  void Stop();
  // Heartbeats now rather than at the next tick: how a topology change is
  // acknowledged promptly.
  void BeatSoon();

  const store::InstanceInfo& self() const { return self_; }
  // The live instances as of the last successful heartbeat, ordered by id;
  // this instance alone when there is no store.
  std::vector<store::InstanceInfo> LiveInstances() const;
  // Whether this instance owns `partition` by the last list it saw. False
  // when that list lacks this instance (its heartbeats are failing: the
  // store is unreachable, and others may already have taken over).
  bool Owns(std::string_view partition) const;

 private:
  Result<void> Beat();
  void Loop();

  store::Coordination* coordination_;  // null when alone
  store::InstanceInfo self_;
  std::function<uint64_t()> epoch_;
  MembershipOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool beat_soon_ = false;
  std::vector<store::InstanceInfo> live_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace miroir::workers
