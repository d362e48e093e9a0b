// Coordination between Miroir instances (ARCHITECTURE.md §5): leader leases
// with fencing tokens, state writes checked against those tokens, and
// membership heartbeats that double as per-instance topology epoch
// acknowledgements, and change notifications for the state every instance
// mirrors in memory.
//
// RedisStore implements it for several instances sharing one Redis. Calls are
// synchronous and block on the network; like Store calls they are made
// through StoreRunner or from a worker's own thread, never on an I/O thread.
// Implementations must be thread-safe.
//
// Leases and fencing, in short: a lease per scope ("migration", "prune",
// ...) is held by at most one holder at a time and expires `ttl` after its
// last acquire or renewal. Each new holder of a scope gets a fencing token
// greater than every token handed out for that scope before. A leader writes
// its scope's state only through FencedPut/FencedDelete, which refuse any
// token but the scope's newest: a leader that was paused past its TTL (GC,
// SIGSTOP, a slow disk) and resumes believing it still leads can never
// overwrite the state of the leader that replaced it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/time.hpp"

namespace miroir::store {

struct Lease {
  std::string scope;
  std::string holder;  // the instance id that acquired it
  uint64_t token = 0;  // fencing token, >= 1
  bool operator==(const Lease&) const = default;
};

// One live instance as it last reported itself.
struct InstanceInfo {
  std::string id;       // unique per process (e.g. host name + pid + start time)
  std::string address;  // where operators and peers reach it, e.g. "10.0.0.5:7700"
  // The topology epoch the instance routes by: its acknowledgement of an
  // epoch published by a migration (ARCHITECTURE §3).
  uint64_t topology_epoch = 0;
  SystemTime started_at;
  bool operator==(const InstanceInfo&) const = default;
};

class Coordination {
 public:
  virtual ~Coordination() = default;

  // --- leader leases ---
  // Takes the scope's lease for `holder` when nobody holds it, with a new
  // fencing token. When `holder` already holds it, extends it and returns
  // it with its current token (so an acquire whose reply was lost can be
  // retried). Empty when another holder has it.
  // REQUIRES: ttl >= 1 ms; scope and holder non-empty.
  virtual Result<std::optional<Lease>> AcquireLease(const std::string& scope,
                                                    const std::string& holder,
                                                    std::chrono::milliseconds ttl) = 0;
  // Extends the lease by `ttl` from now if it is still exactly `lease`
  // (same holder, same token). False when it expired or changed hands: the
  // caller is no longer the leader and must stop leader work.
  virtual Result<bool> RenewLease(const Lease& lease, std::chrono::milliseconds ttl) = 0;
  // Gives the lease up if it is still `lease`; otherwise does nothing.
  virtual Result<void> ReleaseLease(const Lease& lease) = 0;
  // Who holds the scope's lease now, if anyone.
  virtual Result<std::optional<Lease>> CurrentLease(const std::string& scope) = 0;

  // --- fenced state (one key-value map per scope) ---
  // Writes `key` = `value` in the scope's state if `token` is the newest
  // fencing token of the scope. False, writing nothing, when it is not: a
  // newer leader exists (or the store lost its tokens and every holder must
  // acquire again).
  virtual Result<bool> FencedPut(const std::string& scope, uint64_t token, const std::string& key,
                                 const std::string& value) = 0;
  // Deletes `key` under the same rule; true when the token was accepted.
  virtual Result<bool> FencedDelete(const std::string& scope, uint64_t token,
                                    const std::string& key) = 0;
  // Reads need no token.
  virtual Result<std::optional<std::string>> FencedGet(const std::string& scope,
                                                       const std::string& key) = 0;

  // --- membership ---
  // Records `self` as live for `ttl` (call it every ttl/3 or so); also the
  // way an instance acknowledges the topology epoch it routes by.
  virtual Result<void> Heartbeat(const InstanceInfo& self, std::chrono::milliseconds ttl) = 0;
  // Removes the instance at once (clean shutdown) instead of waiting for its TTL.
  virtual Result<void> Leave(const std::string& instance_id) = 0;
  // Instances whose last heartbeat has not expired, ordered by id.
  virtual Result<std::vector<InstanceInfo>> LiveInstances() = 0;

  // --- shared-state changes ---
  // A counter that every change of the state instances mirror in memory
  // (index catalog, API keys, topology) increases, in the same atomic
  // write as the change. 0 before the first change.
  virtual Result<uint64_t> StateGeneration() = 0;
  // Blocks until the generation differs from `seen` or `timeout` has passed,
  // and returns the generation then. Wakes as soon as a change is published
  // (a channel) and reads the counter itself at least once per call, so a
  // lost notification delays a change by at most `timeout`.
  virtual Result<uint64_t> WaitForStateChange(uint64_t seen, std::chrono::milliseconds timeout) = 0;
};

}  // namespace miroir::store
