// SqliteStore: the embedded coordination store (ARCHITECTURE.md §5), one
// SQLite file used by exactly one Miroir process.
//
// Ownership: the store owns its connection and an exclusive lock on the
// sidecar file `<path>.lock`, both released when it is destroyed. A second
// SqliteStore on the same file — in another process or in this one — fails
// to open while the first is alive.
//
// Thread-safety: every method may be called from any thread; calls are
// serialized on one connection by an internal mutex. Calls block on disk, so
// the proxy makes them through StoreRunner, never on an I/O thread.
//
// Durability: WAL journal. With Durability::kFull (the default) a call that
// returned success is on stable storage: it survives kill -9 and power loss.
// kNormal skips the fsync at each commit: still safe against a crash of the
// process (kill -9 leaves the written WAL in the OS page cache), but a power
// loss or kernel crash may roll back the last commits — including task uids
// already handed out, which would then be handed out again.
//
// Precision: times are stored as integer microseconds since the Unix epoch;
// sub-microsecond parts of SystemTime values are truncated.
//
// Errors: environmental failures (disk full, I/O error, file busy or
// unreadable) are miroir_store_unavailable (503); corrupt records and misuse
// are internal (500). Messages name the database file.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"

namespace miroir::store {

enum class Durability {
  kFull,    // fsync the WAL at every commit (PRAGMA synchronous=FULL)
  kNormal,  // fsync only at checkpoints (PRAGMA synchronous=NORMAL)
};

struct SqliteStoreOptions {
  Durability durability = Durability::kFull;
  // How long a statement waits for a lock held by another connection (a
  // `sqlite3` shell inspecting the file, say) before failing with 503.
  std::chrono::milliseconds busy_timeout{5'000};
};

class SqliteStore final : public Store, public Coordination {
 public:
  // Opens or creates the database at `path` (its directory must exist),
  // takes the lock file, switches to WAL and brings the schema up to date.
  // Fails when another SqliteStore holds the file, when the file was written
  // by a newer schema version, or when it cannot be opened.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteStoreOptions& options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version this build writes (stored in the schema_version table).
  static int SchemaVersion();

  // Store. Besides the interface's contract:
  // - ListTasks: date bounds are exclusive, as in Meilisearch; a task without
  //   startedAt/finishedAt never matches a bound on that date.
  // - ListKeys: ordered by createdAt, then uid.  ListIndexes: by uid.
  // - CompareAndSetTopology: REQUIRES record.epoch > expected_epoch (epochs
  //   only grow); otherwise an internal error and nothing is stored.
  // - Task uids and canceled_by above INT64_MAX are refused (SQLite integers
  //   are signed); filters on such values match nothing.
  Result<void> Ping() override { return {}; }  // a local file is always there
  Result<uint64_t> NextTaskUid() override;
  Result<void> PutTask(const TaskRecord& task) override;
  Result<std::optional<TaskRecord>> GetTask(uint64_t uid) override;
  Result<TaskPage> ListTasks(const TaskQuery& query) override;
  Result<std::vector<TaskRecord>> UnfinishedTasks(size_t limit) override;
  Result<std::map<TaskStatus, uint64_t>> CountTasks() override;
  Result<size_t> DeleteTasks(const std::vector<uint64_t>& uids) override;
  Result<size_t> PruneTasks(uint64_t uid_begin, uint64_t uid_end, SystemTime finished_before,
                            size_t limit) override;

  Result<std::optional<IndexRecord>> GetIndex(const std::string& uid) override;
  Result<std::vector<IndexRecord>> ListIndexes() override;
  Result<void> PutIndex(const IndexRecord& index) override;
  Result<bool> CreateIndex(const IndexRecord& index) override;
  Result<void> DeleteIndex(const std::string& uid) override;

  Result<std::vector<ApiKey>> ListKeys() override;
  Result<void> PutKey(const ApiKey& key) override;
  Result<bool> DeleteKey(const std::string& uid) override;

  Result<std::optional<TopologyRecord>> LoadTopology() override;
  Result<bool> CompareAndSetTopology(uint64_t expected_epoch,
                                     const TopologyRecord& record) override;

  // Tombstones and hints: each call is one transaction. Hint seqs start at 1
  // per node and are kept in the file, so a reopened store goes on from the
  // last one handed out; a through_seq above INT64_MAX drops everything.
  Result<void> PutTombstones(const std::string& index_uid, uint32_t shard,
                             const std::vector<std::string>& pks,
                             int64_t deleted_at_ms) override;
  Result<std::map<std::string, int64_t>> FindTombstones(
      const std::string& index_uid, uint32_t shard, const std::vector<std::string>& pks) override;
  Result<void> PutFilterTombstone(const std::string& index_uid,
                                  const FilterTombstone& tombstone) override;
  Result<std::vector<FilterTombstone>> ListFilterTombstones(const std::string& index_uid) override;
  Result<size_t> PruneTombstones(int64_t before_ms) override;
  Result<bool> AppendHint(const Hint& hint, uint64_t max_bytes) override;
  Result<std::vector<Hint>> PeekHints(const std::string& node_id, size_t limit) override;
  Result<void> DropHints(const std::string& node_id, uint64_t through_seq) override;
  Result<std::map<std::string, HintBacklog>> HintBacklogs() override;
  Result<std::set<std::string>> NodesWithHints() override;
  Result<std::map<std::string, uint64_t>> ExpireHints(int64_t before_ms) override;

  // Coordination (coordination.hpp), for the one instance an embedded store
  // serves: leases, fencing tokens and fenced state persist in the file (a
  // restarted instance keeps its tokens growing); membership is in memory;
  // the state generation never moves (no other instance changes anything).
  Result<std::optional<Lease>> AcquireLease(const std::string& scope, const std::string& holder,
                                            std::chrono::milliseconds ttl) override;
  Result<bool> RenewLease(const Lease& lease, std::chrono::milliseconds ttl) override;
  Result<void> ReleaseLease(const Lease& lease) override;
  Result<std::optional<Lease>> CurrentLease(const std::string& scope) override;
  Result<bool> FencedPut(const std::string& scope, uint64_t token, const std::string& key,
                         const std::string& value) override;
  Result<bool> FencedDelete(const std::string& scope, uint64_t token,
                            const std::string& key) override;
  Result<std::optional<std::string>> FencedGet(const std::string& scope,
                                               const std::string& key) override;
  Result<void> Heartbeat(const InstanceInfo& self, std::chrono::milliseconds ttl) override;
  Result<void> Leave(const std::string& instance_id) override;
  Result<std::vector<InstanceInfo>> LiveInstances() override;
  Result<uint64_t> StateGeneration() override;
  Result<uint64_t> WaitForStateChange(uint64_t seen, std::chrono::milliseconds timeout) override;

 private:
  class Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::mutex members_mu_;
  std::map<std::string, std::pair<InstanceInfo, std::chrono::steady_clock::time_point>> members_;
};

}  // namespace miroir::store
