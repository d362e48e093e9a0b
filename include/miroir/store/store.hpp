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
};

}  // namespace miroir::store
