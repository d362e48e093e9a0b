#include "miroir/core/task_query.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "miroir/core/index_uid.hpp"

namespace miroir {
namespace {

const std::vector<std::string_view> kTaskTypes = {
    "documentAdditionOrUpdate", "documentEdition", "documentDeletion", "settingsUpdate",
    "indexCreation", "indexDeletion", "indexUpdate", "indexSwap", "taskCancelation",
    "taskDeletion", "dumpCreation", "snapshotCreation", "export", "upgradeDatabase",
    "indexCompaction", "networkTopologyChange", "dsrUpdate", "dsrClear"};

constexpr std::array<std::string_view, 5> kStatuses = {"enqueued", "processing", "succeeded",
                                                       "failed", "canceled"};

Error InvalidValue(ErrorCode code, std::string_view param, std::string_view detail) {
  return Error(code, "Invalid value in parameter `" + std::string(param) + "`: " +
                         std::string(detail));
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string_view part = s.substr(pos, comma == std::string_view::npos ? s.npos : comma - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    out.push_back(part);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::optional<uint64_t> ParseUnsigned(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A comma list of integers; "*" means no filter. Element errors name the
// element's position, as Meilisearch does ("uids[1]").
Result<std::optional<std::set<uint64_t>>> ParseUidList(std::string_view param,
                                                       std::string_view value, ErrorCode code) {
  auto parts = SplitCommas(value);
  if (std::find(parts.begin(), parts.end(), "*") != parts.end()) {
    return std::optional<std::set<uint64_t>>{};
  }
  std::set<uint64_t> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto v = ParseUnsigned(parts[i]);
    if (!v) {
      std::string name(param);
      if (parts.size() > 1) name += "[" + std::to_string(i) + "]";
      return InvalidValue(code, name,
                          "could not parse `" + std::string(parts[i]) + "` as a positive integer");
    }
    out.insert(*v);
  }
  return std::optional<std::set<uint64_t>>(std::move(out));
}

Result<std::optional<SystemTime>> ParseDate(std::string_view param, std::string_view value,
                                            ErrorCode code, bool is_after) {
  auto t = ParseRfc3339(value);
  if (!t) {
    return InvalidValue(code, param,
                        "`" + std::string(value) +
                            "` is an invalid date-time. It should follow the YYYY-MM-DD or RFC "
                            "3339 date-time format.");
  }
  // A bare date given to an `after` filter means after that whole day.
  if (is_after && value.size() == 10) *t += std::chrono::hours(24);
  return std::optional<SystemTime>(*t);
}

}  // namespace

std::string_view TaskStatusName(TaskStatus status) { return kStatuses[static_cast<size_t>(status)]; }

std::optional<TaskStatus> ParseTaskStatus(std::string_view name) {
  auto it = std::find(kStatuses.begin(), kStatuses.end(), name);
  if (it == kStatuses.end()) return std::nullopt;
  return static_cast<TaskStatus>(it - kStatuses.begin());
}

const std::vector<std::string_view>& KnownTaskTypes() { return kTaskTypes; }

bool IsKnownTaskType(std::string_view type) {
  return std::find(kTaskTypes.begin(), kTaskTypes.end(), type) != kTaskTypes.end();
}

bool TaskMatches(const TaskQuery& q, const TaskFacts& t) {
  if (q.uids && !q.uids->count(t.uid)) return false;
  if (q.batch_uids && (!t.batch_uid || !q.batch_uids->count(*t.batch_uid))) return false;
  if (q.canceled_by && (!t.canceled_by || !q.canceled_by->count(*t.canceled_by))) return false;
  if (q.types && !q.types->count(std::string(t.type))) return false;
  if (q.statuses && !q.statuses->count(t.status)) return false;
  if (q.index_uids &&
      (!t.index_uid || !*t.index_uid || !q.index_uids->count(**t.index_uid))) {
    return false;
  }
  if (q.after_enqueued_at && !(t.enqueued_at > *q.after_enqueued_at)) return false;
  if (q.before_enqueued_at && !(t.enqueued_at < *q.before_enqueued_at)) return false;
  if (q.after_started_at && !(t.started_at && *t.started_at > *q.after_started_at)) return false;
  if (q.before_started_at && !(t.started_at && *t.started_at < *q.before_started_at)) {
    return false;
  }
  if (q.after_finished_at && !(t.finished_at && *t.finished_at > *q.after_finished_at)) {
    return false;
  }
  if (q.before_finished_at && !(t.finished_at && *t.finished_at < *q.before_finished_at)) {
    return false;
  }
  return true;
}

Result<TaskQuery> ParseTaskQuery(const std::vector<std::pair<std::string, std::string>>& params,
                                 TaskQueryKind kind) {
  TaskQuery q;
  // Whether a parameter was present at all matters for cancel/delete: an
  // explicit "*" counts as a filter there, as in Meilisearch.
  bool any_filter = false;
  for (const auto& [name, value] : params) {
    if (kind == TaskQueryKind::kList && name == "limit") {
      auto v = ParseUnsigned(value);
      if (!v) {
        return InvalidValue(ErrorCode::kInvalidTaskLimit, name,
                            "could not parse `" + value + "` as a positive integer");
      }
      q.limit = *v;
    } else if (kind == TaskQueryKind::kList && name == "from") {
      auto v = ParseUnsigned(value);
      if (!v) {
        return InvalidValue(ErrorCode::kInvalidTaskFrom, name,
                            "could not parse `" + value + "` as a positive integer");
      }
      q.from = *v;
    } else if (kind == TaskQueryKind::kList && name == "reverse") {
      if (value != "true" && value != "false") {
        return InvalidValue(ErrorCode::kInvalidTaskReverse, name,
                            "could not parse `" + value +
                                "` as a boolean, expected either `true` or `false`");
      }
      q.reverse = value == "true";
    } else if (name == "uids") {
      MIROIR_ASSIGN_OR_RETURN(q.uids, ParseUidList(name, value, ErrorCode::kInvalidTaskUids));
      any_filter = true;
    } else if (name == "batchUids") {
      MIROIR_ASSIGN_OR_RETURN(q.batch_uids,
                        ParseUidList(name, value, ErrorCode::kInvalidTaskUids));
      any_filter = true;
    } else if (name == "canceledBy") {
      MIROIR_ASSIGN_OR_RETURN(q.canceled_by,
                        ParseUidList(name, value, ErrorCode::kInvalidTaskCanceledBy));
      any_filter = true;
    } else if (name == "types") {
      any_filter = true;
      auto parts = SplitCommas(value);
      if (std::find(parts.begin(), parts.end(), "*") != parts.end()) continue;
      std::set<std::string> types;
      for (auto part : parts) {
        if (!IsKnownTaskType(part)) {
          std::string all;
          for (auto t : kTaskTypes) all += (all.empty() ? "`" : ", `") + std::string(t) + "`";
          return InvalidValue(ErrorCode::kInvalidTaskTypes, name,
                              "`" + std::string(part) +
                                  "` is not a valid task type. Available types are " + all + ".");
        }
        types.emplace(part);
      }
      q.types = std::move(types);
    } else if (name == "statuses") {
      any_filter = true;
      auto parts = SplitCommas(value);
      if (std::find(parts.begin(), parts.end(), "*") != parts.end()) continue;
      std::set<TaskStatus> statuses;
      for (auto part : parts) {
        auto it = std::find(kStatuses.begin(), kStatuses.end(), part);
        if (it == kStatuses.end()) {
          return InvalidValue(ErrorCode::kInvalidTaskStatuses, name,
                              "`" + std::string(part) +
                                  "` is not a valid task status. Available statuses are "
                                  "`enqueued`, `processing`, `succeeded`, `failed`, `canceled`.");
        }
        statuses.insert(static_cast<TaskStatus>(it - kStatuses.begin()));
      }
      q.statuses = std::move(statuses);
    } else if (name == "indexUids") {
      any_filter = true;
      auto parts = SplitCommas(value);
      if (std::find(parts.begin(), parts.end(), "*") != parts.end()) continue;
      std::set<std::string> uids;
      for (auto part : parts) {
        if (!IsValidIndexUid(part)) {
          return InvalidValue(ErrorCode::kInvalidTaskIndexUids, name,
                              "`" + std::string(part) + "` " + std::string(kIndexUidRules));
        }
        uids.emplace(part);
      }
      q.index_uids = std::move(uids);
    } else {
      struct DateParam {
        std::string_view name;
        std::optional<SystemTime> TaskQuery::*field;
        ErrorCode code;
        bool is_after;
      };
      static const DateParam kDates[] = {
          {"afterEnqueuedAt", &TaskQuery::after_enqueued_at,
           ErrorCode::kInvalidTaskAfterEnqueuedAt, true},
          {"beforeEnqueuedAt", &TaskQuery::before_enqueued_at,
           ErrorCode::kInvalidTaskBeforeEnqueuedAt, false},
          {"afterStartedAt", &TaskQuery::after_started_at, ErrorCode::kInvalidTaskAfterStartedAt,
           true},
          {"beforeStartedAt", &TaskQuery::before_started_at,
           ErrorCode::kInvalidTaskBeforeStartedAt, false},
          {"afterFinishedAt", &TaskQuery::after_finished_at,
           ErrorCode::kInvalidTaskAfterFinishedAt, true},
          {"beforeFinishedAt", &TaskQuery::before_finished_at,
           ErrorCode::kInvalidTaskBeforeFinishedAt, false},
      };
      const DateParam* match = nullptr;
      for (const auto& d : kDates) {
        if (d.name == name) match = &d;
      }
      if (!match) {
        std::string expected =
            kind == TaskQueryKind::kList ? "`limit`, `from`, `reverse`, `batchUids`, `uids`"
                                         : "`uids`, `batchUids`";
        expected +=
            ", `canceledBy`, `types`, `statuses`, `indexUids`, `afterEnqueuedAt`, "
            "`beforeEnqueuedAt`, `afterStartedAt`, `beforeStartedAt`, `afterFinishedAt`, "
            "`beforeFinishedAt`";
        return Error(ErrorCode::kBadRequest,
                     "Unknown parameter `" + name + "`: expected one of " + expected);
      }
      MIROIR_ASSIGN_OR_RETURN(q.*(match->field),
                        ParseDate(name, value, match->code, match->is_after));
      any_filter = true;
    }
  }
  q.has_filter = any_filter;
  if (kind != TaskQueryKind::kList && !any_filter) {
    return Error(ErrorCode::kMissingTaskFilters,
                 std::string("Query parameters to filter the tasks to ") +
                     (kind == TaskQueryKind::kCancel ? "cancel" : "delete") +
                     " are missing. Available query parameters are: `uids`, `indexUids`, "
                     "`statuses`, `types`, `canceledBy`, `beforeEnqueuedAt`, `afterEnqueuedAt`, "
                     "`beforeStartedAt`, `afterStartedAt`, `beforeFinishedAt`, "
                     "`afterFinishedAt`.");
  }
  return q;
}

}  // namespace miroir
