#include "miroir/store/store.hpp"

namespace miroir::store {

std::string_view TaskStatusName(TaskStatus s) {
  switch (s) {
    case TaskStatus::kEnqueued: return "enqueued";
    case TaskStatus::kProcessing: return "processing";
    case TaskStatus::kSucceeded: return "succeeded";
    case TaskStatus::kFailed: return "failed";
    case TaskStatus::kCanceled: return "canceled";
  }
  return "enqueued";  // unreachable: every enumerator is handled above
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view s) {
  for (TaskStatus t : {TaskStatus::kEnqueued, TaskStatus::kProcessing, TaskStatus::kSucceeded,
                       TaskStatus::kFailed, TaskStatus::kCanceled}) {
    if (TaskStatusName(t) == s) return t;
  }
  return std::nullopt;
}

}  // namespace miroir::store
