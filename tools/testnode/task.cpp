#include "task.hpp"


namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

OJson OptionalTime(const std::optional<SystemTime>& t) {
  return t ? OJson(FormatRfc3339(*t)) : OJson(nullptr);
}

}  // namespace

OJson TaskView(const Task& task) {
  OJson j;
  j["uid"] = task.uid;
  j["batchUid"] = task.batch_uid ? OJson(*task.batch_uid) : OJson(nullptr);
  j["indexUid"] = task.index_uid ? OJson(*task.index_uid) : OJson(nullptr);
  j["status"] = TaskStatusName(task.status);
  j["type"] = task.type;
  j["canceledBy"] = task.canceled_by ? OJson(*task.canceled_by) : OJson(nullptr);
  if (!task.details.is_null()) j["details"] = task.details;
  if (task.error) {
    OJson e;
    e["message"] = task.error->message;
    e["code"] = task.error->code_name();
    e["type"] = task.error->type_name();
    e["link"] = task.error->link();
    j["error"] = std::move(e);
  } else {
    j["error"] = nullptr;
  }
  if (task.started_at && task.finished_at) {
    j["duration"] = FormatIsoDuration(*task.finished_at - *task.started_at);
  } else {
    j["duration"] = nullptr;
  }
  j["enqueuedAt"] = FormatRfc3339(task.enqueued_at);
  j["startedAt"] = OptionalTime(task.started_at);
  j["finishedAt"] = OptionalTime(task.finished_at);
  return j;
}

OJson SummarizedTaskView(const Task& task) {
  OJson j;
  j["taskUid"] = task.uid;
  j["indexUid"] = task.index_uid ? OJson(*task.index_uid) : OJson(nullptr);
  j["status"] = TaskStatusName(task.status);
  j["type"] = task.type;
  j["enqueuedAt"] = FormatRfc3339(task.enqueued_at);
  return j;
}

bool TaskMatches(const TaskQuery& query, const Task& task) {
  TaskFacts facts;
  facts.uid = task.uid;
  facts.batch_uid = task.batch_uid;
  facts.canceled_by = task.canceled_by;
  facts.index_uid = &task.index_uid;
  facts.type = task.type;
  facts.status = task.status;
  facts.enqueued_at = task.enqueued_at;
  facts.started_at = task.started_at;
  facts.finished_at = task.finished_at;
  return miroir::TaskMatches(query, facts);
}

}  // namespace miroir::testnode
