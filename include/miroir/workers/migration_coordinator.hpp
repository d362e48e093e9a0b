// Moves shards between nodes when the topology changes (ARCHITECTURE §3).
//
// A change starts when an operator asks for one (Begin, from the admin
// API): the topology gains a migration (core/topology.hpp MigrationSpec)
// in a new epoch, which is already the dual-write phase — every instance
// that routes by it writes each moving shard to its old and new owners.
// From there the coordinator, on whichever instance holds the "migration"
// lease, drives each index through:
//
//   copy      page each moving shard off an old owner (`_miroir_shard = s`)
//             onto its new owners, after creating the index there with the
//             old owners' settings;
//   catch-up  a delta pass while writes still flow, so the held one is short;
//   hold      a new epoch holds writes to the index's moving shards
//             (api/documents.cpp waits, then answers 503 with Retry-After);
//   drain     wait until no node task of the index is enqueued or processing
//             on the old and new owners;
//   delta     compare old and new owners document by document; copy what is
//             missing or different, delete what the old owners no longer have;
//   activate  a new epoch routes the shards' reads to the new owners and
//             releases the held writes (both sides still get every write).
//
// When every index is active, one epoch makes the target the cluster and
// enters cleanup: writes go to the new owners only, and once every instance
// acknowledged it, each node deletes the copies of shards it no longer owns;
// a last epoch drops the migration. Cancelling is the same cleanup the other
// way round (the old nodes stay, the copies on the target are deleted): both
// sides received every write since the dual-write epoch, so either is
// complete.
//
// Every phase is persisted before it takes effect: the topology record (CAS
// on its epoch) holds the held and activated shards, the fenced state of the
// "migration" scope holds which indexes were copied and the progress shown
// by GET /_miroir/migrations. A coordinator that dies is replaced by the
// next lease holder (or itself after a restart), which resumes from there;
// repeating a copy or a delta pass is harmless. Each epoch is waited on
// until every live instance acknowledged it (membership heartbeats).
//
// Node failures: a failed copy from one old owner moves on to another
// replica, and the step is retried every `retry_delay` (the error is shown
// in the status) until the node is back or the operator cancels.
//
// Runs its own thread and io_context (store calls block). Thread-safety:
// Begin/Control/Status may be called from any thread (they block on the
// store); Start/Stop from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/topology_change.hpp"
#include "miroir/meili/cluster.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"
#include "miroir/workers/membership.hpp"

namespace miroir::workers {

struct MigrationOptions {
  uint32_t max_concurrent = 2;      // shards copied at once (rebalancer.max_concurrent_migrations)
  uint32_t page_size = 1000;        // documents per fetch and per write
  double max_documents_per_second = 0;  // copy throttle; 0: none
  bool delta_pass = true;
  bool anti_entropy = false;  // a migration without delta pass needs it (refused otherwise)
  // Runs the refused configuration anyway (no delta pass, no anti-entropy):
  // only for the chaos harness to measure what the refusal prevents.
  bool unsafe_allow_no_delta_pass = false;
  std::chrono::milliseconds node_timeout{30'000};   // one node call
  std::chrono::milliseconds task_timeout{600'000};  // one node task to finish
  std::chrono::milliseconds lease_ttl{10'000};
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds retry_delay{1'000};
  // Shared store (redis): wait for every live instance's acknowledgement of
  // each epoch. Alone, this instance's own routing is the acknowledgement.
  bool shared = false;
};

// What this instance's coordinator did (metrics).
struct MigrationStats {
  bool leading = false;             // holds the migration lease now
  uint64_t steps = 0;               // phase transitions it carried out
  uint64_t documents_copied = 0;    // by copies and delta passes
  uint64_t errors = 0;              // failed steps (each retried)
  uint64_t fenced_writes_refused = 0;
  int64_t last_progress_unix_ms = 0;  // last phase change or copied page; 0: none
  // Of the change this instance leads (empty / 0 when it leads none):
  std::map<std::string, uint64_t> indexes_by_phase;
  int64_t started_unix_ms = 0;  // when the change began
};

class MigrationCoordinator : public TopologyChanger {
 public:
  MigrationCoordinator(store::Store& store, store::Coordination& coordination,
                       meili::Cluster& cluster, Membership& membership,
                       MigrationOptions options);
  ~MigrationCoordinator() override;
  MigrationCoordinator(const MigrationCoordinator&) = delete;
  MigrationCoordinator& operator=(const MigrationCoordinator&) = delete;

  void Start();
  void Stop();

  // Publishes the dual-write epoch of `change` and returns the status.
  // miroir_migration_in_progress when one runs, miroir_invalid_topology_change
  // for an impossible change, miroir_migration_refused without delta pass
  // and anti-entropy.
  Result<nlohmann::json> Begin(const TopologyChange& change) override;
  // "pause", "resume" or "cancel" the migration in progress.
  Result<nlohmann::json> Control(std::string_view action) override;
  // {"migration": null | {...}, "last": null | {...}}: see docs/topology-changes.md.
  Result<nlohmann::json> Status() override;

  // Steps completed by this instance (tests wait on it).
  uint64_t steps() const;
  MigrationStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::workers
