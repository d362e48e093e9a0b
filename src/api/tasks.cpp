// /tasks. A Miroir task stands for the node tasks it spawned; its status is
// derived from theirs (all succeeded -> succeeded; any failed -> failed with
// that error; any canceled -> canceled; any started -> processing) and
// stored once final.
#include <charconv>
#include <map>

#include "common.hpp"
#include "miroir/core/task_query.hpp"
#include "resources.hpp"
#include "task_refresh.hpp"

namespace miroir::api {
namespace {

awaitable<http::Response> ListTasks(RequestContext& ctx) {
  auto parsed = ParseTaskQuery(ctx.query.entries(), TaskQueryKind::kList);
  if (!parsed) co_return ErrorResponse(parsed.error());
  // Bring unfinished tasks up to date first, so status filters see the truth.
  co_await RefreshUnfinishedTasks(ctx.services, 1000);
  auto page = co_await StoreListTasks(ctx.services, *parsed);
  if (!page) co_return ErrorResponse(page.error());
  OJson results = OJson::array();
  for (auto& task : page->tasks) results.push_back(TaskView(task));
  OJson out;
  out["results"] = std::move(results);
  out["total"] = page->total;
  out["limit"] = parsed->limit;
  out["from"] = page->tasks.empty() ? OJson(nullptr) : OJson(page->tasks.front().uid);
  out["next"] = page->next ? OJson(*page->next) : OJson(nullptr);
  co_return JsonResponse(200, out);
}

awaitable<http::Response> GetTask(RequestContext& ctx) {
  const std::string& text = ctx.params[0];
  uint64_t uid = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), uid);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    co_return ErrorResponse(Error(ErrorCode::kInvalidTaskUids,
                                  "Task uid `" + text +
                                      "` is invalid. It should only contain numeric characters."));
  }
  auto task = co_await StoreGetTask(ctx.services, uid);
  if (!task) co_return ErrorResponse(task.error());
  if (!*task) {
    co_return ErrorResponse(
        Error(ErrorCode::kTaskNotFound, "Task `" + std::to_string(uid) + "` not found."));
  }
  store::TaskRecord record = std::move(**task);
  co_await RefreshTask(ctx.services, record);
  co_return JsonResponse(200, TaskView(record));
}

// POST /tasks/cancel and DELETE /tasks: both select tasks with the same
// filters and answer with a task of their own.
awaitable<http::Response> CancelOrDeleteTasks(RequestContext& ctx) {
  const bool cancel = ctx.request.method == http::Method::kPost;
  auto parsed = ParseTaskQuery(ctx.query.entries(),
                               cancel ? TaskQueryKind::kCancel : TaskQueryKind::kDelete);
  if (!parsed) co_return ErrorResponse(parsed.error());
  co_await RefreshUnfinishedTasks(ctx.services, 1000);
  TaskQuery query = *parsed;
  query.from.reset();
  query.limit = UINT64_MAX;
  auto page = co_await StoreListTasks(ctx.services, query);
  if (!page) co_return ErrorResponse(page.error());

  std::vector<store::TaskRecord> targets;
  for (auto& t : page->tasks) {
    const bool terminal = store::IsTerminal(t.status);
    if (cancel ? !terminal : terminal) targets.push_back(std::move(t));
  }
  OJson details;
  details["matchedTasks"] = page->tasks.size();
  details[cancel ? "canceledTasks" : "deletedTasks"] = nullptr;
  details["originalFilter"] = "?" + std::string(ctx.request.query());

  // Forward to every node the node tasks behind the selected tasks.
  auto topology = ctx.services.cluster.topology();
  std::map<std::string, std::vector<uint64_t>> per_node;
  for (const auto& t : targets) {
    for (const auto& ref : t.node_tasks) per_node[ref.node_id].push_back(ref.task_uid);
  }
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (const auto& [node_id, uids] : per_node) {
    auto node = topology->FindNode(node_id);
    if (!node) continue;
    std::string list;
    for (uint64_t u : uids) list += (list.empty() ? "" : ",") + std::to_string(u);
    requests.emplace_back(*node, MakeRequest(cancel ? http::Method::kPost : http::Method::kDelete,
                                             cancel ? "/tasks/cancel?uids=" + list
                                                    : "/tasks?uids=" + list,
                                             "", ctx.services.options.write_timeout));
  }
  auto replies = co_await SendToNodes(ctx.services, *topology, std::move(requests));
  bool degraded = false;
  for (const auto& r : replies) {
    // Nodes answer task routes with 200, not 202.
    degraded |= !(r.result.ok() && r.result.response.status == 200);
  }

  if (cancel) {
    // The tasks become canceled once their node tasks are; remember by whom.
    auto uid = co_await StoreNextTaskUid(ctx.services);
    if (!uid) co_return ErrorResponse(uid.error());
    for (auto& t : targets) {
      t.canceled_by = *uid;
      auto put = co_await StorePutTask(ctx.services, t);
      if (!put) co_return ErrorResponse(put.error());
    }
    store::TaskRecord record;
    record.uid = *uid;
    record.type = "taskCancelation";
    record.details = details;
    record.details["canceledTasks"] = targets.size();
    record.enqueued_at = NowMicros();
    record.started_at = record.finished_at = record.enqueued_at;
    record.status = store::TaskStatus::kSucceeded;
    auto put = co_await StorePutTask(ctx.services, record);
    if (!put) co_return ErrorResponse(put.error());
    store::TaskRecord view = record;
    view.status = store::TaskStatus::kEnqueued;
    http::Response r = JsonResponse(200, SummarizedTaskView(view));
    if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
    co_return r;
  }

  std::vector<uint64_t> uids;
  for (const auto& t : targets) uids.push_back(t.uid);
  auto deleted = co_await StoreDeleteTasks(ctx.services, uids);
  if (!deleted) co_return ErrorResponse(deleted.error());
  auto uid = co_await StoreNextTaskUid(ctx.services);
  if (!uid) co_return ErrorResponse(uid.error());
  store::TaskRecord record;
  record.uid = *uid;
  record.type = "taskDeletion";
  record.details = details;
  record.details["deletedTasks"] = *deleted;
  record.enqueued_at = NowMicros();
    record.started_at = record.finished_at = record.enqueued_at;
  record.status = store::TaskStatus::kSucceeded;
  auto put = co_await StorePutTask(ctx.services, record);
  if (!put) co_return ErrorResponse(put.error());
  store::TaskRecord view = record;
  view.status = store::TaskStatus::kEnqueued;
  http::Response r = JsonResponse(200, SummarizedTaskView(view));
  if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
  co_return r;
}

}  // namespace

void RegisterTaskRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/tasks", Access::kAction, "tasks.get", ListTasks);
  routes.Add(http::Method::kPost, "/tasks/cancel", Access::kAction, "tasks.cancel",
             CancelOrDeleteTasks);
  routes.Add(http::Method::kDelete, "/tasks", Access::kAction, "tasks.delete",
             CancelOrDeleteTasks);
  routes.Add(http::Method::kGet, "/tasks/{uid}", Access::kAction, "tasks.get", GetTask);
}

}  // namespace miroir::api
