// The state of one test node: its indexes, its task queue and worker, its API
// keys, its journal and its fault injector.
//
// Writes are enqueued as tasks (journaled before they are acknowledged) and
// applied one at a time by a single worker thread, in uid order, after the
// configured --task-delay-ms; task cancelations and deletions jump the queue
// as in Meilisearch. Reads run concurrently under a shared lock.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "faults.hpp"
#include "request_log.hpp"
#include "index.hpp"
#include "journal.hpp"
#include "miroir/core/api_key.hpp"
#include "miroir/core/error.hpp"
#include "task.hpp"

namespace miroir::testnode {

struct NodeOptions {
  std::string master_key;  // empty: no authentication, as Meilisearch without one
  std::string db_path;     // empty: memory only
  std::chrono::milliseconds task_delay{0};
};

class Node {
 public:
  using OJson = nlohmann::ordered_json;

  // Opens the journal (if any), replays it, and starts the task worker.
  static Result<std::unique_ptr<Node>> Create(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // --- authentication ---
  bool has_master_key() const { return !options_.master_key.empty(); }
  // Checks the Authorization header for `action` on `index` (nullopt for
  // routes that are not about one index). Meilisearch's 401/403 errors.
  Result<void> Authorize(std::string_view authorization, std::string_view action,
                         std::optional<std::string_view> index) const;
  // True when the header carries the master key itself.
  bool IsMasterKey(std::string_view authorization) const;

  // --- tasks ---
  // Records and journals a new task; returns its summarized view.
  Result<OJson> Enqueue(std::optional<std::string> index_uid, std::string type, OJson payload,
                        OJson details);
  Result<OJson> GetTask(uint64_t uid) const;
  OJson ListTasks(const TaskQuery& query) const;
  // Number of tasks matching a filter right now (matchedTasks).
  uint64_t CountTasks(const TaskQuery& filter) const;

  // --- indexes (reads) ---
  // Runs fn under the shared lock with the index, or fails index_not_found.
  Result<OJson> ReadIndex(const std::string& uid,
                          const std::function<Result<OJson>(const Index&)>& fn) const;
  Result<OJson> IndexView(const std::string& uid) const;
  OJson ListIndexes(uint64_t offset, uint64_t limit) const;
  bool IndexExists(const std::string& uid) const;
  OJson IndexStats(const Index& index) const;
  OJson GlobalStats() const;

  // --- keys ---
  OJson ListKeys(uint64_t offset, uint64_t limit) const;
  Result<OJson> GetKey(std::string_view uid_or_key) const;
  Result<OJson> CreateKey(const nlohmann::json& body);
  Result<OJson> UpdateKey(std::string_view uid_or_key, const nlohmann::json& body);
  Result<void> DeleteKey(std::string_view uid_or_key);

  FaultInjector& faults() { return faults_; }
  RequestLog& requests() { return requests_; }

  // Stops the worker (the task being processed finishes first). Idempotent.
  void Stop();

 private:
  struct IndexEntry {
    explicit IndexEntry(std::string uid, std::optional<std::string> pk)
        : index(std::move(uid), std::move(pk)) {}
    Index index;
    SystemTime created_at;
    SystemTime updated_at;
  };

  explicit Node(NodeOptions options);
  void ReplayRecord(const OJson& record);
  void WorkerLoop();
  // Picks the next task to run: cancelations first, then deletions, then uid order.
  Task* NextTaskLocked();
  // Applies a task's effect at time `now`; sets status, details and error.
  // REQUIRES: the caller holds no lock; takes state_mu_ exclusively itself
  // (and tasks_mu_ for task cancelation/deletion).
  void Apply(Task& task, SystemTime now);
  Result<OJson> ApplyToIndexes(const Task& task, SystemTime now);
  OJson ApplyTaskCancelation(Task& task, SystemTime now);
  OJson ApplyTaskDeletion(Task& task);
  Result<void> JournalAppend(const OJson& record);
  const ApiKey* FindKeyLocked(std::string_view uid_or_key) const;
  bool IndexIsBusy(const std::string& uid) const;
  // Sets a task's status and keeps queued_ in step. REQUIRES: tasks_mu_ (or replay).
  void SetStatusLocked(Task& task, TaskStatus status);
  // Calls visit(task) for every task the query can match, oldest first or newest
  // first, visiting only the named uids, or only queued and processing tasks
  // when the query asks for no other status. REQUIRES: tasks_mu_.
  template <typename Visit>
  void ForEachCandidateLocked(const TaskQuery& q, bool newest_first, Visit visit) const;

  NodeOptions options_;
  std::unique_ptr<Journal> journal_;
  bool replaying_ = false;

  mutable std::shared_mutex state_mu_;
  std::map<std::string, std::unique_ptr<IndexEntry>> indexes_;

  mutable std::mutex tasks_mu_;
  std::condition_variable tasks_cv_;
  std::map<uint64_t, Task> tasks_;
  // The uids of enqueued tasks, so that picking the next task and the filters
  // polled most (by uid, by enqueued/processing) do not walk the whole history.
  std::set<uint64_t> queued_;
  uint64_t next_task_uid_ = 0;
  uint64_t next_batch_uid_ = 0;
  std::optional<uint64_t> processing_uid_;
  bool stopping_ = false;

  mutable std::mutex keys_mu_;
  std::vector<ApiKey> keys_;

  FaultInjector faults_;
  RequestLog requests_;
  std::thread worker_;
};

}  // namespace miroir::testnode
