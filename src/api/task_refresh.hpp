// Bringing a Miroir task's status up to date from the node tasks behind it.
#pragma once

#include "common.hpp"

namespace miroir::api {

// Asks the nodes for the task's node tasks, derives its status, and stores
// the record when it changed. A node that cannot be asked leaves the task as
// it was (it is derived again next time).
awaitable<void> RefreshTask(Services& services, store::TaskRecord& task);

// Refreshes up to `limit` unfinished tasks, oldest first.
awaitable<void> RefreshUnfinishedTasks(Services& services, size_t limit);

// The derivation itself, from the node tasks' JSON views (pure; exposed for
// tests). Returns true when `task` changed.
bool DeriveTaskStatus(store::TaskRecord& task, const std::vector<json>& node_tasks,
                      uint32_t replication_factor, size_t group_count);

}  // namespace miroir::api
