// Meilisearch tasks as data: statuses, types, and the query of GET /tasks,
// POST /tasks/cancel and DELETE /tasks, parsed with Meilisearch's errors.
// Shared by Miroir, its store and the test node. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/time.hpp"

namespace miroir {

enum class TaskStatus { kEnqueued, kProcessing, kSucceeded, kFailed, kCanceled };
inline constexpr TaskStatus kAllTaskStatuses[] = {TaskStatus::kEnqueued, TaskStatus::kProcessing,
                                                  TaskStatus::kSucceeded, TaskStatus::kFailed,
                                                  TaskStatus::kCanceled};

std::string_view TaskStatusName(TaskStatus status);
std::optional<TaskStatus> ParseTaskStatus(std::string_view name);
inline bool IsTerminal(TaskStatus s) {
  return s == TaskStatus::kSucceeded || s == TaskStatus::kFailed || s == TaskStatus::kCanceled;
}

// Every task type Meilisearch reports, in its documented order.
const std::vector<std::string_view>& KnownTaskTypes();
bool IsKnownTaskType(std::string_view type);

struct TaskQuery {
  std::optional<std::set<uint64_t>> uids;
  std::optional<std::set<uint64_t>> batch_uids;
  std::optional<std::set<uint64_t>> canceled_by;
  std::optional<std::set<std::string>> index_uids;
  std::optional<std::set<std::string>> types;
  std::optional<std::set<TaskStatus>> statuses;
  std::optional<SystemTime> after_enqueued_at, before_enqueued_at;
  std::optional<SystemTime> after_started_at, before_started_at;
  std::optional<SystemTime> after_finished_at, before_finished_at;
  // Paging (GET /tasks only): newest first from `from` down, or oldest first
  // from `from` up when `reverse`.
  std::optional<uint64_t> from;
  bool reverse = false;
  uint64_t limit = 20;
  // True when any filter parameter was given, even "*" (cancel and delete
  // refuse a request without one).
  bool has_filter = false;
};

enum class TaskQueryKind { kList, kCancel, kDelete };

// Parses decoded query parameters. Only kList knows limit/from/reverse.
Result<TaskQuery> ParseTaskQuery(const std::vector<std::pair<std::string, std::string>>& params,
                                 TaskQueryKind kind);

// Whether a task with these attributes passes the query's filters (paging aside).
struct TaskFacts {
  uint64_t uid = 0;
  std::optional<uint64_t> batch_uid;
  std::optional<uint64_t> canceled_by;
  const std::optional<std::string>* index_uid = nullptr;
  std::string_view type;
  TaskStatus status = TaskStatus::kEnqueued;
  SystemTime enqueued_at;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
};
bool TaskMatches(const TaskQuery& query, const TaskFacts& task);

}  // namespace miroir
