#include "task_refresh.hpp"

#include <map>

namespace miroir::api {
namespace {

std::optional<SystemTime> TimeField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return ParseRfc3339(j[key].get<std::string>());
}

uint64_t Count(const json& details, const char* key) {
  if (!details.is_object() || !details.contains(key) || !details[key].is_number_unsigned()) {
    return 0;
  }
  return details[key].get<uint64_t>();
}

}  // namespace

bool DeriveTaskStatus(store::TaskRecord& task, const std::vector<json>& node_tasks,
                      uint32_t replication_factor, size_t group_count) {
  if (store::IsTerminal(task.status) || node_tasks.empty()) return false;
  size_t succeeded = 0, started = 0, finished = 0;
  const json* failed = nullptr;
  bool canceled = false;
  std::optional<SystemTime> first_start, last_finish;
  uint64_t deleted = 0;
  for (const auto& nt : node_tasks) {
    const std::string status = nt.value("status", "");
    auto start = TimeField(nt, "startedAt");
    auto finish = TimeField(nt, "finishedAt");
    if (start && (!first_start || *start < *first_start)) first_start = start;
    if (finish && (!last_finish || *finish > *last_finish)) last_finish = finish;
    if (status == "succeeded") ++succeeded;
    if (status == "failed" && !failed) failed = &nt;
    if (status == "canceled") canceled = true;
    if (status != "enqueued") ++started;
    if (status == "succeeded" || status == "failed" || status == "canceled") ++finished;
    if (nt.contains("details")) deleted += Count(nt["details"], "deletedDocuments");
  }
  const store::TaskStatus before = task.status;
  if (failed) {
    task.status = store::TaskStatus::kFailed;
    task.error = (*failed).contains("error") ? OJson((*failed)["error"]) : OJson(nullptr);
  } else if (canceled && finished == node_tasks.size()) {
    task.status = store::TaskStatus::kCanceled;
  } else if (succeeded == node_tasks.size()) {
    task.status = store::TaskStatus::kSucceeded;
  } else if (started > 0) {
    task.status = store::TaskStatus::kProcessing;
  }
  // Node clocks run ahead of the moment Miroir recorded the task (it records
  // after the nodes accepted): a task never starts before it was enqueued.
  if (started > 0) task.started_at = std::max(first_start.value_or(task.enqueued_at),
                                              task.enqueued_at);
  if (store::IsTerminal(task.status)) {
    task.finished_at = std::max(last_finish.value_or(*task.started_at), *task.started_at);
    // Counts reported by every replica of every group: each document was
    // counted replication_factor * group_count times.
    const uint64_t copies = std::max<uint64_t>(1, replication_factor * group_count);
    if (task.details.is_object()) {
      const bool ok = task.status == store::TaskStatus::kSucceeded;
      if (task.details.contains("indexedDocuments")) {
        task.details["indexedDocuments"] = ok ? task.details.value("receivedDocuments", 0) : 0;
      }
      if (task.details.contains("deletedDocuments")) {
        task.details["deletedDocuments"] = ok ? deleted / copies : 0;
      }
    }
  }
  return task.status != before || (task.started_at && before == store::TaskStatus::kEnqueued);
}

namespace {

// What a finished task changes in Miroir's own catalog: a primary key set by
// an index update only once the nodes accepted it.
awaitable<void> ApplyToCatalog(Services& services, const store::TaskRecord& task) {
  if (task.status != store::TaskStatus::kSucceeded || task.type != "indexUpdate" ||
      !task.index_uid || !task.details.is_object() || !task.details.contains("primaryKey") ||
      !task.details["primaryKey"].is_string()) {
    co_return;
  }
  auto record = services.catalog.Get(*task.index_uid);
  if (!record) co_return;
  record->primary_key = task.details["primaryKey"].get<std::string>();
  record->updated_at = NowMicros();
  (void)co_await StorePutIndex(services, *record);
  services.catalog.Put(std::move(*record));
}

// Fetches the node tasks behind `tasks` with one request per node, derives
// each task's status and stores the ones that changed.
awaitable<void> RefreshBatch(Services& services, std::vector<store::TaskRecord*> tasks) {
  auto topology = services.cluster.topology();
  std::map<std::string, std::vector<uint64_t>> per_node;
  for (const auto* t : tasks) {
    for (const auto& ref : t->node_tasks) per_node[ref.node_id].push_back(ref.task_uid);
  }
  std::vector<std::string> node_ids;
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (const auto& [node_id, uids] : per_node) {
    auto node = topology->FindNode(node_id);
    if (!node) continue;
    std::string list;
    for (uint64_t u : uids) list += (list.empty() ? "" : ",") + std::to_string(u);
    node_ids.push_back(node_id);
    requests.emplace_back(*node, MakeRequest(http::Method::kGet,
                                             "/tasks?limit=" + std::to_string(uids.size()) +
                                                 "&uids=" + list,
                                             "", services.options.search_timeout));
  }
  auto replies = co_await SendToNodes(services, *topology, std::move(requests));
  std::map<std::pair<std::string, uint64_t>, json> found;
  for (size_t i = 0; i < replies.size(); ++i) {
    const auto& r = replies[i].result;
    if (!r.ok() || r.response.status != 200) continue;
    auto body = json::parse(r.response.body, nullptr, false);
    if (!body.is_object() || !body.contains("results") || !body["results"].is_array()) continue;
    for (auto& nt : body["results"]) {
      if (nt.contains("uid") && nt["uid"].is_number_unsigned()) {
        // Read the uid first: the right side of `=` is evaluated before the left.
        const uint64_t uid = nt["uid"].get<uint64_t>();
        found[{node_ids[i], uid}] = std::move(nt);
      }
    }
  }
  for (store::TaskRecord* task : tasks) {
    std::vector<json> node_tasks;
    for (const auto& ref : task->node_tasks) {
      if (!topology->FindNode(ref.node_id)) {
        // The node left the cluster in a topology change, which drained its
        // tasks and carried its shards (this write included) to their new
        // owners before it left: its part counts as done. (Its deleted
        // document count is then missing from the task's details.)
        node_tasks.push_back(json{{"uid", ref.task_uid}, {"status", "succeeded"}});
        continue;
      }
      auto it = found.find({ref.node_id, ref.task_uid});
      if (it == found.end()) break;  // unknown for now: derive next time
      node_tasks.push_back(it->second);
    }
    if (node_tasks.size() != task->node_tasks.size()) continue;
    if (!DeriveTaskStatus(*task, node_tasks, topology->replication_factor(),
                          topology->group_count())) {
      continue;
    }
    store::TaskRecord copy = *task;
    (void)co_await StorePutTask(services, copy);
    co_await ApplyToCatalog(services, *task);
  }
}

}  // namespace

awaitable<void> RefreshTask(Services& services, store::TaskRecord& task) {
  if (store::IsTerminal(task.status) || task.node_tasks.empty()) co_return;
  std::vector<store::TaskRecord*> batch;
  batch.push_back(&task);
  co_await RefreshBatch(services, std::move(batch));
}

awaitable<void> RefreshUnfinishedTasks(Services& services, size_t limit) {
  auto tasks = co_await StoreUnfinishedTasks(services, limit);
  if (!tasks || tasks->empty()) co_return;
  std::vector<store::TaskRecord*> pointers;
  for (auto& t : *tasks) {
    if (!t.node_tasks.empty()) pointers.push_back(&t);
  }
  co_await RefreshBatch(services, std::move(pointers));
}

}  // namespace miroir::api
