// Task records of the test node, their JSON views and the /tasks query filter.
//
// A Task is the node's unit of asynchronous work, as in Meilisearch: every
// write is enqueued as one, answered with a summarized view, then processed
// in uid order by the TaskQueue's worker.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/time.hpp"
#include "miroir/http/message.hpp"

namespace miroir::testnode {

enum class TaskStatus { kEnqueued, kProcessing, kSucceeded, kFailed, kCanceled };

std::string_view StatusName(TaskStatus status);
bool IsFinished(TaskStatus status);

// Every task type Meilisearch reports, in its documented order.
bool IsKnownTaskType(std::string_view type);

struct Task {
  uint64_t uid = 0;
  std::optional<uint64_t> batch_uid;
  std::optional<std::string> index_uid;
  TaskStatus status = TaskStatus::kEnqueued;
  std::string type;
  std::optional<uint64_t> canceled_by;
  // What GET /tasks shows as "details"; null when the type has none.
  nlohmann::ordered_json details;
  std::optional<Error> error;
  SystemTime enqueued_at;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
  // The operation's input (documents, settings, ids...). Journaled with the
  // task and released once the task has finished.
  nlohmann::ordered_json payload;
};

// The full task object of GET /tasks/{uid}.
nlohmann::ordered_json TaskView(const Task& task);
// The 202 answer to an enqueued write.
nlohmann::ordered_json SummarizedTaskView(const Task& task);

// The filters shared by GET /tasks, POST /tasks/cancel and DELETE /tasks.
struct TaskFilter {
  std::optional<std::set<uint64_t>> uids;
  std::optional<std::set<uint64_t>> batch_uids;
  std::optional<std::set<uint64_t>> canceled_by;
  std::optional<std::set<std::string>> types;
  std::optional<std::set<TaskStatus>> statuses;
  std::optional<std::set<std::string>> index_uids;
  std::optional<SystemTime> after_enqueued_at, before_enqueued_at;
  std::optional<SystemTime> after_started_at, before_started_at;
  std::optional<SystemTime> after_finished_at, before_finished_at;

  bool Matches(const Task& task) const;
  // True when no filter is given (cancel and delete refuse that).
  bool empty() const;
};

struct TaskQuery {
  TaskFilter filter;
  uint64_t limit = 20;
  std::optional<uint64_t> from;
  bool reverse = false;
};

enum class TaskQueryKind { kList, kCancel, kDelete };

// Parses the query string of a task route, with Meilisearch's errors for bad
// values and unknown parameters. Paging parameters are only known to kList.
Result<TaskQuery> ParseTaskQuery(const http::QueryParams& params, TaskQueryKind kind);

}  // namespace miroir::testnode
