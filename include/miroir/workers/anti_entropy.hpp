// The anti-entropy reconciler (ARCHITECTURE §4): keeps the replicas of every
// shard identical, without bringing deleted documents back.
//
// A pass, per (index, shard), over the shard's owners in every group:
//
//   expire   ask each replica for the documents whose `_miroir_expires_at`
//            has passed; tombstone them and delete them everywhere;
//   digest   page each replica's `(pk, _miroir_updated_at, _miroir_digest)`
//            (shard filter + `fields`) into 256 bucket digests
//            (core/replica_digest.hpp) and compare them;
//   list     only when some bucket differs: page the replicas again, keeping
//            the versions of the differing buckets;
//   repair   per differing document, core PlanRepair with its tombstone and
//            the filter tombstones (delete by filter, delete-all) that match
//            it: copy the newest version (fetched fresh from its holder) to
//            the replicas that lack it, or delete every copy a newer delete
//            beat. Repairs are node writes tagged `customMetadata=miroir-repair`.
//
// Passes start on the schedule (aligned to multiples of it since the Unix
// epoch, so every instance starts together) and on request (admin API,
// `miroir-ctl verify`). A scheduled pass on an instance sharing the store
// scans only the shards it owns by rendezvous over the live instances; a
// requested pass scans every shard it is asked for. A dry run reports what a
// repair would do and writes nothing. Shards of an index a topology change is
// moving are skipped (the change's delta pass covers them), and so are
// replicas that are unhealthy or still replaying hints.
//
// Writes racing a repair: a delete removes only the version it saw (a
// filter on its stamps, applied in the node's task order), so a newer write
// survives it. A copy writes the version it fetched from its source; a
// client write that reached the target in between is overwritten by it, so
// the source is read again afterwards and what moved there is copied again,
// fresh (a few rounds; the next pass takes the rest).
//
// Runs its own thread and io_context (store calls block there). Thread-safety:
// Verify/Status/stats from any thread; Start/Stop from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/replica_digest.hpp"
#include "miroir/meili/cluster.hpp"
#include "miroir/store/store.hpp"
#include "miroir/workers/membership.hpp"

namespace miroir::workers {

struct AntiEntropyOptions {
  // A pass starts at every multiple of this since the Unix epoch; 0: only on request.
  std::chrono::milliseconds schedule = std::chrono::hours(6);
  std::chrono::milliseconds tombstone_retention = std::chrono::hours(24 * 7);
  bool dry_run = false;             // scheduled passes only report
  uint32_t read_concurrency = 2;    // shards scanned at once
  double max_documents_per_second = 0;  // documents read per second, over all replicas; 0: none
  uint32_t page_size = 1000;        // documents per fetch
  std::chrono::milliseconds node_timeout{30'000};
  std::chrono::milliseconds task_timeout{600'000};
  // Several instances share the store: scheduled passes split the shards.
  bool shared = false;
};

// What passes counted: one pass's report, or the totals of the passes run here.
struct AntiEntropyCounts {
  uint64_t shards_scanned = 0;
  uint64_t shards_skipped = 0;
  uint64_t documents_scanned = 0;
  uint64_t bytes_read = 0;
  uint64_t mismatches = 0;
  uint64_t documents_repaired = 0;  // in a dry run: what a repair would copy or delete
  uint64_t tombstones_applied = 0;
  uint64_t expired_deleted = 0;
  AntiEntropyCounts& operator+=(const AntiEntropyCounts& other);
};

// Totals since start, for metrics.
struct AntiEntropyStats {
  uint64_t passes = 0;
  AntiEntropyCounts counts;  // repairs counted only when made (dry runs left out)
  uint64_t errors = 0;
  uint64_t mismatch_streak = 0;  // consecutive finished passes that found mismatches
  double last_pass_seconds = 0;
  int64_t last_pass_finished_unix_ms = 0;
  bool running = false;
};

class AntiEntropy : public antientropy::ReplicaVerifier {
 public:
  AntiEntropy(store::Store& store, meili::Cluster& cluster, Membership& membership,
              AntiEntropyOptions options);
  ~AntiEntropy() override;
  AntiEntropy(const AntiEntropy&) = delete;
  AntiEntropy& operator=(const AntiEntropy&) = delete;

  void Start();
  void Stop();

  // ReplicaVerifier.
  Result<nlohmann::json> Verify(const std::optional<std::string>& index_uid,
                                bool repair) override;
  Result<nlohmann::json> Status() override;

  AntiEntropyStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::workers
