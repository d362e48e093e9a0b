// The coordination store: everything Miroir must remember or share between
// instances — the task counter and task records, the index catalog, API
// keys, and the topology with its epoch (ARCHITECTURE.md §5).
//
// One interface, two back ends: SqliteStore (embedded, one instance) and
// RedisStore (several instances; issue 5). Calls are synchronous and may
// block on disk or network; the proxy never calls them on an I/O thread —
// it goes through StoreRunner (store_runner.hpp), which runs them on the
// store's own thread. Implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/api_key.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/task_query.hpp"
#include "miroir/core/time.hpp"

namespace miroir::store {

// One node-side task a Miroir task spawned.
struct NodeTaskRef {
  std::string node_id;
  uint64_t task_uid = 0;
  bool operator==(const NodeTaskRef&) const = default;
};

// Task statuses and queries are Meilisearch's, shared with the test node.
using miroir::IsTerminal;
using miroir::ParseTaskStatus;
using miroir::TaskStatus;
using miroir::TaskStatusName;

// A Miroir task as clients see it, plus the node tasks behind it.
struct TaskRecord {
  uint64_t uid = 0;
  std::optional<std::string> index_uid;
  std::string type;  // Meilisearch task type, e.g. "documentAdditionOrUpdate"
  TaskStatus status = TaskStatus::kEnqueued;
  nlohmann::ordered_json details;          // null when the type has none
  std::optional<nlohmann::ordered_json> error;  // {message, code, type, link}
  std::optional<uint64_t> canceled_by;
  SystemTime enqueued_at;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
  std::vector<NodeTaskRef> node_tasks;
};

// Filters and paging of GET /tasks; the store applies all of them (batch
// uids aside: Miroir tasks have none).
using TaskQuery = miroir::TaskQuery;

struct TaskPage {
  std::vector<TaskRecord> tasks;  // at most limit, in the requested order
  uint64_t total = 0;             // matches ignoring from/limit
  std::optional<uint64_t> next;   // uid of the next task after this page
};

// What Miroir knows of an index it created.
struct IndexRecord {
  std::string uid;
  uint32_t shard_count = 0;  // fixed at creation (ARCHITECTURE §1)
  std::optional<std::string> primary_key;
  SystemTime created_at;
  SystemTime updated_at;
};

// A delete anti-entropy must not undo (ARCHITECTURE §4): a document of the
// shard whose `_miroir_updated_at` is older than `deleted_at_ms` is deleted
// wherever it is found, never copied back.
struct Tombstone {
  std::string pk;  // the document id as text (core DeleteIdText)
  int64_t deleted_at_ms = 0;
  bool operator==(const Tombstone&) const = default;
};

// A delete by filter (`filter` is the request's filter as JSON text) or of
// every document (`filter` empty): it deleted whatever matched then, so a
// matching document older than `deleted_at_ms` must not come back.
struct FilterTombstone {
  std::string filter;
  int64_t deleted_at_ms = 0;
  bool operator==(const FilterTombstone&) const = default;
};

// One write a node missed while the others took it (hinted handoff): the
// exact request that node would have been sent, replayed in order once it
// is healthy again.
struct Hint {
  uint64_t seq = 0;  // assigned by AppendHint; increases per node, never reused
  std::string node_id;
  std::string method;  // "POST", "PUT", "DELETE"
  std::string target;  // path and query, as sent to the node
  std::string content_type;  // empty when the request has no body type
  std::string body;
  int64_t created_at_ms = 0;
  bool operator==(const Hint&) const = default;
};

// What one node's pending hints amount to.
struct HintBacklog {
  uint64_t count = 0;
  uint64_t bytes = 0;  // sum of the hints' body sizes
  int64_t oldest_created_at_ms = 0;
  bool operator==(const HintBacklog&) const = default;
};

// The persisted topology: the spec as JSON (see app/topology_codec) and its epoch.
struct TopologyRecord {
  uint64_t epoch = 0;
  nlohmann::json spec;
};

class Store {
 public:
  virtual ~Store() = default;

  // Answers when the store is reachable; the error it would fail with when not.
  virtual Result<void> Ping() = 0;

  // --- tasks ---
  // The next cluster-wide task uid (0, 1, 2, ...); never hands out one twice,
  // across restarts too.
  virtual Result<uint64_t> NextTaskUid() = 0;
  // Inserts or replaces the record with that uid.
  virtual Result<void> PutTask(const TaskRecord& task) = 0;
  virtual Result<std::optional<TaskRecord>> GetTask(uint64_t uid) = 0;
  virtual Result<TaskPage> ListTasks(const TaskQuery& query) = 0;
  // Records not yet terminal, oldest first, at most `limit` (for the reconciler).
  virtual Result<std::vector<TaskRecord>> UnfinishedTasks(size_t limit) = 0;
  // How many records each status has (every status, zeros included), without
  // reading the records: cheap enough to call every few seconds.
  virtual Result<std::map<TaskStatus, uint64_t>> CountTasks() = 0;
  virtual Result<size_t> DeleteTasks(const std::vector<uint64_t>& uids) = 0;
  // Deletes the finished tasks (succeeded, failed or canceled) whose uid is
  // in [uid_begin, uid_end) and that finished before `finished_before`, at
  // most `limit` of them, lowest uids first; returns how many (the task
  // pruner, workers/task_pruner.hpp). Tasks not yet finished are kept.
  virtual Result<size_t> PruneTasks(uint64_t uid_begin, uint64_t uid_end,
                                    SystemTime finished_before, size_t limit) = 0;

  // --- index catalog ---
  virtual Result<std::optional<IndexRecord>> GetIndex(const std::string& uid) = 0;
  virtual Result<std::vector<IndexRecord>> ListIndexes() = 0;
  // Inserts or replaces.
  virtual Result<void> PutIndex(const IndexRecord& index) = 0;
  // Inserts `index` unless its uid is already taken. True when stored;
  // false, writing nothing, when another writer (another instance) created
  // the index first: GetIndex reads the record that won. Creation goes
  // through here so two instances creating one index agree on its shard count.
  virtual Result<bool> CreateIndex(const IndexRecord& index) = 0;
  virtual Result<void> DeleteIndex(const std::string& uid) = 0;

  // --- API keys ---
  virtual Result<std::vector<ApiKey>> ListKeys() = 0;
  virtual Result<void> PutKey(const ApiKey& key) = 0;  // inserts or replaces by uid
  virtual Result<bool> DeleteKey(const std::string& uid) = 0;

  // --- topology ---
  virtual Result<std::optional<TopologyRecord>> LoadTopology() = 0;
  // Stores `record` if the stored epoch is `expected_epoch` (0: none stored
  // yet). Returns false, storing nothing, when another writer got there first.
  virtual Result<bool> CompareAndSetTopology(uint64_t expected_epoch,
                                             const TopologyRecord& record) = 0;

  // --- anti-entropy tombstones (workers/anti_entropy.hpp) ---
  // Records that `pks` of the index's shard were deleted at `deleted_at_ms`;
  // a pk that already has a newer tombstone keeps it. All or nothing; empty
  // `pks` writes nothing.
  virtual Result<void> PutTombstones(const std::string& index_uid, uint32_t shard,
                                     const std::vector<std::string>& pks,
                                     int64_t deleted_at_ms) = 0;
  // The tombstones of those of `pks` that have one (pk -> deleted_at_ms);
  // pks without one are absent. Meant for thousands of pks per call.
  virtual Result<std::map<std::string, int64_t>> FindTombstones(
      const std::string& index_uid, uint32_t shard, const std::vector<std::string>& pks) = 0;
  // One filter tombstone per index and filter: as for pks, the newest time
  // wins (an older delete by the same filter is implied by the newer one),
  // so a repeated filter, at the same time or not, is stored once.
  virtual Result<void> PutFilterTombstone(const std::string& index_uid,
                                          const FilterTombstone& tombstone) = 0;
  // The index's filter tombstones, oldest first (ties: by filter bytes).
  virtual Result<std::vector<FilterTombstone>> ListFilterTombstones(
      const std::string& index_uid) = 0;
  // Deletes every tombstone (both kinds, every index) with deleted_at_ms <
  // `before_ms`; returns how many.
  virtual Result<size_t> PruneTombstones(int64_t before_ms) = 0;

  // --- hinted handoff (workers/hint_replayer.hpp) ---
  // Appends `hint` (its seq is ignored and assigned) to its node's queue,
  // unless the queue's bytes (sum of body sizes) would then exceed
  // `max_bytes`: false, storing nothing and using no seq, in that case — a
  // single body larger than `max_bytes` included. Seqs start at 1.
  virtual Result<bool> AppendHint(const Hint& hint, uint64_t max_bytes) = 0;
  // The node's oldest hints, in append order, at most `limit`; every field
  // as appended (bodies byte for byte), seq as assigned.
  virtual Result<std::vector<Hint>> PeekHints(const std::string& node_id, size_t limit) = 0;
  // Removes the node's hints whose seq <= `through_seq` (replayed); hints
  // appended after them stay.
  virtual Result<void> DropHints(const std::string& node_id, uint64_t through_seq) = 0;
  // Every node with at least one pending hint, and nothing else.
  virtual Result<std::map<std::string, HintBacklog>> HintBacklogs() = 0;
  // HintBacklogs' nodes alone, in one cheap read: the write path asks before
  // every write (api/hints.hpp), so it must not count or scan hints.
  virtual Result<std::set<std::string>> NodesWithHints() = 0;
  // Deletes hints with created_at_ms < `before_ms`; returns how many per
  // node, nodes that lost none omitted. Byte counts follow.
  virtual Result<std::map<std::string, uint64_t>> ExpireHints(int64_t before_ms) = 0;
};

}  // namespace miroir::store
