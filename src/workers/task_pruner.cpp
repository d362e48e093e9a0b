#include "miroir/workers/task_pruner.hpp"

#include <nlohmann/json.hpp>

#include "miroir/core/time.hpp"

namespace miroir::workers {
namespace {

std::string PartitionName(uint32_t p) { return "tasks/" + std::to_string(p); }
std::string LeaseScope(uint32_t p) { return "prune/" + std::to_string(p); }

// The lowest or highest task uid in the store; empty when there are none.
Result<std::optional<uint64_t>> EdgeUid(store::Store& store, bool lowest) {
  store::TaskQuery q;
  q.limit = 1;
  q.reverse = lowest;  // reverse = oldest (lowest uid) first
  MIROIR_ASSIGN_OR_RETURN(store::TaskPage page, store.ListTasks(q));
  if (page.tasks.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(page.tasks.front().uid);
}

}  // namespace

TaskPruner::TaskPruner(store::Store& store, store::Coordination* coordination,
                       const Membership& membership, TaskPrunerOptions options)
    : store_(store), coordination_(coordination), membership_(membership), options_(options) {
  if (options_.block_size == 0) options_.block_size = 1;
  if (options_.partitions == 0) options_.partitions = 1;
  if (options_.batch == 0) options_.batch = 1;
}

TaskPruner::~TaskPruner() { Stop(); }

void TaskPruner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void TaskPruner::Stop() {
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running = thread_.joinable();
    stopping_ = true;
  }
  if (running) {
    cv_.notify_all();
    thread_.join();
  }
  // Hand the partitions over now rather than when the leases expire; with
  // the store unreachable, one failed release is enough: let them expire.
  bool reachable = coordination_ != nullptr;
  for (const auto& [p, lease] : leases_) {
    if (reachable) reachable = coordination_->ReleaseLease(lease).has_value();
  }
  leases_.clear();
}

TaskPrunerStats TaskPruner::stats() const {
  TaskPrunerStats s;
  s.passes = passes_.load();
  s.tasks_deleted = tasks_deleted_.load();
  s.partitions_held = partitions_held_.load();
  s.fenced_writes_refused = fenced_refused_.load();
  s.errors = errors_.load();
  return s;
}

void TaskPruner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, options_.interval, [this] { return stopping_; })) return;
    lock.unlock();
    (void)RunOnce(NowMicros());
    lock.lock();
  }
}

Result<size_t> TaskPruner::RunOnce(SystemTime now) {
  const SystemTime cutoff = now - options_.retention;
  auto first = EdgeUid(store_, /*lowest=*/true);
  auto last = first ? EdgeUid(store_, /*lowest=*/false) : first;
  if (!first || !last) {
    ++errors_;
    return first ? last.error() : first.error();
  }
  size_t deleted = 0;
  uint64_t held = 0;
  for (uint32_t p = 0; p < options_.partitions; ++p) {
    if (!membership_.Owns(PartitionName(p))) {
      if (leases_.count(p)) DropLease(p, /*release=*/true);
      continue;
    }
    if (coordination_ != nullptr && !HoldLease(p)) continue;
    ++held;
    size_t partition_deleted = 0;
    if (*first && *last &&
        !PrunePartition(p, **first, **last, cutoff, &partition_deleted)) {
      ++errors_;
    }
    deleted += partition_deleted;
    if (coordination_ == nullptr) continue;

    const store::Lease& lease = leases_.at(p);
    nlohmann::json pass = {{"holder", lease.holder},
                           {"token", lease.token},
                           {"at", FormatRfc3339(now)},
                           {"deleted", partition_deleted}};
    auto written = coordination_->FencedPut(lease.scope, lease.token, "last_pass", pass.dump());
    if (!written) {
      ++errors_;
      continue;  // keep the lease: the store may be back next pass
    }
    if (!*written) {
      // A newer owner exists: this instance was paused past its lease.
      ++fenced_refused_;
      DropLease(p, /*release=*/false);
      continue;
    }
    auto renewed = coordination_->RenewLease(lease, options_.lease_ttl);
    if (renewed && !*renewed) DropLease(p, /*release=*/false);
  }
  tasks_deleted_ += deleted;
  partitions_held_ = held;
  ++passes_;
  return deleted;
}

bool TaskPruner::PrunePartition(uint32_t p, uint64_t first_uid, uint64_t last_uid,
                                SystemTime cutoff, size_t* deleted) {
  const uint64_t b = options_.block_size;
  const uint64_t n = options_.partitions;
  // The first block of partition p at or after first_uid's block.
  uint64_t block = first_uid / b;
  block += (p + n - block % n) % n;
  for (; block <= last_uid / b; block += n) {
    for (;;) {
      auto pruned = store_.PruneTasks(block * b, (block + 1) * b, cutoff, options_.batch);
      if (!pruned) return false;
      *deleted += *pruned;
      if (*pruned < options_.batch) break;
    }
  }
  return true;
}

bool TaskPruner::HoldLease(uint32_t p) {
  if (leases_.count(p)) return true;
  auto lease = coordination_->AcquireLease(LeaseScope(p), membership_.self().id, options_.lease_ttl);
  if (!lease) {
    ++errors_;
    return false;
  }
  if (!lease->has_value()) return false;  // another instance holds it
  leases_.emplace(p, std::move(**lease));
  return true;
}

void TaskPruner::DropLease(uint32_t p, bool release) {
  auto it = leases_.find(p);
  if (it == leases_.end()) return;
  if (release && coordination_ != nullptr) (void)coordination_->ReleaseLease(it->second);
  leases_.erase(it);
}

}  // namespace miroir::workers
