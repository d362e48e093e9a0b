// Task records of the test node, their JSON views and the /tasks query filter.
//
// A Task is the node's unit of asynchronous work, as in Meilisearch: every
// write is enqueued as one, answered with a summarized view, then processed
// in uid order by the TaskQueue's worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/task_query.hpp"
#include "miroir/core/time.hpp"

namespace miroir::testnode {

using miroir::IsTerminal;
using miroir::TaskQuery;
using miroir::TaskStatus;
using miroir::TaskStatusName;

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

// Whether a task passes a /tasks query's filters (paging aside).
bool TaskMatches(const TaskQuery& query, const Task& task);

}  // namespace miroir::testnode
