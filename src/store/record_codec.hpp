// Encoding shared by the store back ends: times as integer microseconds and
// the JSON payload of a task record (details, error, node tasks), so SQLite
// and Redis keep the same bytes for the same task.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "miroir/core/time.hpp"
#include "miroir/store/store.hpp"

namespace miroir::store::codec {

// Microseconds since the Unix epoch, truncated (ToMicros) or rounded up (ToMicrosCeil).
int64_t ToMicros(SystemTime t);
int64_t ToMicrosCeil(SystemTime t);
SystemTime FromMicros(int64_t us);

// JSON text that never throws: client-supplied strings inside details or
// errors may hold invalid UTF-8, which a strict dump would refuse.
template <class J>
std::string Dump(const J& j) {
  return j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

// {"details":…, "error":… (when set), "nodeTasks":[{"node":…,"uid":…}]}.
std::string TaskPayload(const TaskRecord& task);
// Fills details, error and node_tasks of `task` from a payload; on a
// malformed payload returns what is wrong (for a "corrupt record" error).
std::optional<std::string> ReadTaskPayload(std::string_view payload, TaskRecord& task);

}  // namespace miroir::store::codec
