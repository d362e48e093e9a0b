// Deletes Miroir task records that finished longer ago than the retention
// (task_store.retention), so the store does not grow without bound.
//
// The scan is partitioned, the first of Miroir's shard-partitioned
// background workers (ARCHITECTURE §5): task uids are cut into blocks of
// `block_size` consecutive uids, block b belongs to partition
// b % partitions, and each partition is scanned by exactly one live
// instance — its rendezvous owner (workers/membership.hpp). When an
// instance dies its partitions move to the survivors.
//
// With a coordination store the owner also holds a lease per partition
// (scope "prune/<p>") and records each pass in the partition's fenced state
// (key "last_pass": holder, token, time, tasks deleted). The fenced write
// is the safety check: an owner that was paused past its lease (GC, SIGSTOP)
// and resumes believing it still owns the partition has its write refused,
// counts it in stats().fenced_writes_refused, and drops the lease. The
// deletions themselves need no fence: deleting a task past its retention
// twice is harmless.
//
// Runs on a thread of its own (store calls block). Start/Stop may be called
// from any thread, one at a time. Stop releases the leases this instance
// holds, so its partitions move at once; if the store is unreachable it
// leaves them to expire rather than wait on each.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "miroir/core/error.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"
#include "miroir/workers/membership.hpp"

namespace miroir::workers {

struct TaskPrunerOptions {
  std::chrono::milliseconds interval{60'000};  // between passes
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};
  uint64_t block_size = 4096;  // task uids per block
  uint32_t partitions = 16;
  size_t batch = 1000;  // tasks deleted per store call
  // Lease of a partition; renewed every pass, so it must outlast an interval.
  std::chrono::milliseconds lease_ttl{180'000};
};

struct TaskPrunerStats {
  uint64_t passes = 0;
  uint64_t tasks_deleted = 0;
  uint64_t partitions_held = 0;  // partitions scanned in the last pass
  uint64_t fenced_writes_refused = 0;
  uint64_t errors = 0;  // store calls that failed
};

class TaskPruner {
 public:
  // `coordination` may be null (embedded store: no leases needed).
  TaskPruner(store::Store& store, store::Coordination* coordination,
             const Membership& membership, TaskPrunerOptions options);
  ~TaskPruner();
  TaskPruner(const TaskPruner&) = delete;
  TaskPruner& operator=(const TaskPruner&) = delete;

  void Start();
  void Stop();

  // One pass over the partitions this instance owns (the thread's body;
  // tests call it directly). Returns the tasks deleted.
  Result<size_t> RunOnce(SystemTime now);

  TaskPrunerStats stats() const;

 private:
  void Loop();
  // Scans partition p's blocks; false when a store call failed.
  bool PrunePartition(uint32_t p, uint64_t first_uid, uint64_t last_uid, SystemTime cutoff,
                      size_t* deleted);
  // Holds p's lease (acquiring it if needed); false when another holds it.
  bool HoldLease(uint32_t p);
  void DropLease(uint32_t p, bool release);

  store::Store& store_;
  store::Coordination* coordination_;
  const Membership& membership_;
  TaskPrunerOptions options_;

  std::map<uint32_t, store::Lease> leases_;  // touched by the pass only

  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> tasks_deleted_{0};
  std::atomic<uint64_t> partitions_held_{0};
  std::atomic<uint64_t> fenced_refused_{0};
  std::atomic<uint64_t> errors_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace miroir::workers
