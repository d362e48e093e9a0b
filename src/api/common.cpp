#include "common.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "miroir/core/router.hpp"
#include "miroir/log/log.hpp"

namespace miroir::api {

http::Response JsonResponse(unsigned status, const OJson& body) {
  return http::Response::Json(status,
                              body.dump(-1, ' ', false, OJson::error_handler_t::replace));
}

http::Response ErrorResponse(const Error& e) {
  http::Response r = http::Response::FromError(e);
  if (e.status == 503) r.headers.Add("Retry-After", "1");
  return r;
}

Error NodeError(const std::string& node_id, const http::UpstreamResult& result) {
  std::string cause = result.ok() ? "answered HTTP " + std::to_string(result.response.status)
                                  : std::string(http::UpstreamFailureName(result.failure)) +
                                        " (" + result.detail + ")";
  return Error(ErrorCode::kMiroirNodeError, "Node `" + node_id + "` failed: " + cause + ".");
}

bool IsNodeClientError(const http::UpstreamResult& result) {
  return result.ok() && result.response.status >= 400 && result.response.status < 500;
}

namespace {

// Node errors list the index's filterable attributes, which include Miroir's
// reserved fields; clients must see the list without them, as if the index
// were one Meilisearch index of their own.
std::string HideReservedInMessage(std::string message) {
  for (std::string_view field :
       {"_miroir_shard", "_miroir_updated_at", "_miroir_digest", "_miroir_expires_at"}) {
    const std::string f(field);
    for (const std::string& pattern : {"`" + f + "`, ", ", `" + f + "`", f + ", ", ", " + f}) {
      for (size_t at = message.find(pattern); at != std::string::npos;
           at = message.find(pattern, at)) {
        message.erase(at, pattern.size());
      }
    }
  }
  return message;
}

}  // namespace

http::Response RelayNodeResponse(const http::UpstreamResult& result) {
  http::Response r;
  r.status = result.response.status;
  r.body = result.response.body;
  if (r.status >= 400 && r.body.find("_miroir_") != std::string::npos) {
    auto error = OJson::parse(r.body, nullptr, false);
    if (error.is_object() && error.contains("message") && error["message"].is_string()) {
      error["message"] = HideReservedInMessage(error["message"].get<std::string>());
      r.body = error.dump();
    }
  }
  std::string_view ct = result.response.headers.Get("content-type");
  r.content_type = ct.empty() ? std::string("application/json") : std::string(ct);
  return r;
}

std::optional<uint64_t> NodeReply::task_uid() const {
  if (!accepted()) return std::nullopt;
  auto body = json::parse(result.response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  auto it = body.find("taskUid");
  if (it == body.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

namespace {

void RecordNodeCall(metrics::NodeMetrics& node, const http::UpstreamResult& result) {
  const double seconds = std::chrono::duration<double>(result.elapsed).count();
  using F = http::UpstreamFailure;
  using E = metrics::NodeError;
  switch (result.failure) {
    case F::kNone:
      if (result.response.status >= 500) {
        node.RecordError(E::kServer, seconds);
      } else {
        node.RecordAnswer(seconds);
      }
      return;
    case F::kConnect: node.RecordError(E::kConnect, seconds); return;
    case F::kTimeout: node.RecordError(E::kTimeout, seconds); return;
    case F::kReset: node.RecordError(E::kReset, seconds); return;
    case F::kProtocol: node.RecordError(E::kProtocol, seconds); return;
    case F::kTooLarge: node.RecordError(E::kTooLarge, seconds); return;
    case F::kFenced: return;  // not sent: nothing to say about the node
  }
}

void StampRequestId(const Services& services, http::UpstreamRequest& request) {
  if (!services.request_id.empty()) request.headers.Set("X-Request-Id", services.request_id);
}

// Records the call in the node's metrics and logs it when it failed (no
// answer, or a 5xx): the line names the node and the client request.
void ObserveNodeCall(Services& services, const Topology& topology, NodeIndex node,
                     http::Method method, std::string_view target,
                     const http::UpstreamResult& result) {
  const std::string& node_id = topology.node(node).id;
  RecordNodeCall(services.metrics.Node(node_id), result);
  if (result.ok() && result.response.status < 500) return;
  log::Warn("node call failed")
      .Str("request_id", services.request_id)
      .Str("node", node_id)
      .Str("method", http::MethodName(method))
      .Str("target", target.substr(0, target.find('?')))
      .Str("failure", result.ok() ? "server_error" : http::UpstreamFailureName(result.failure))
      .Uint("status", result.ok() ? result.response.status : 0)
      .Str("detail", result.detail)
      .Num("seconds", std::chrono::duration<double>(result.elapsed).count());
}

}  // namespace

awaitable<std::vector<NodeReply>> SendToNodes(
    Services& services, const Topology& topology,
    std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests) {
  std::vector<meili::Cluster::Outgoing> outgoing;
  outgoing.reserve(requests.size());
  // What the log line of a failed call names; the requests themselves move.
  std::vector<std::pair<http::Method, std::string>> sent;
  sent.reserve(requests.size());
  for (auto& [node, request] : requests) {
    StampRequestId(services, request);
    sent.emplace_back(request.method, request.target);
    outgoing.push_back({topology.node(node).address, std::move(request)});
  }
  services.metrics.RecordFanOut(outgoing.size());
  // Writes count as in flight under the epoch they were routed by until
  // every node answered: a topology change waits for them (Cluster).
  const bool writes = std::any_of(outgoing.begin(), outgoing.end(), [](const auto& o) {
    return o.request.method != http::Method::kGet && o.request.method != http::Method::kHead;
  });
  std::optional<meili::Cluster::WriteInFlight> in_flight;
  if (writes) in_flight.emplace(services.cluster.TrackWrite(topology.epoch()));
  auto results = co_await services.cluster.SendAll(std::move(outgoing));
  std::vector<NodeReply> replies;
  replies.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    ObserveNodeCall(services, topology, requests[i].first, sent[i].first, sent[i].second,
                    results[i]);
    replies.push_back({requests[i].first, std::move(results[i])});
  }
  co_return replies;
}

awaitable<http::UpstreamResult> SendToNode(Services& services, const Topology& topology,
                                           NodeIndex node, http::UpstreamRequest request) {
  StampRequestId(services, request);
  const bool write =
      request.method != http::Method::kGet && request.method != http::Method::kHead;
  std::optional<meili::Cluster::WriteInFlight> in_flight;
  if (write) in_flight.emplace(services.cluster.TrackWrite(topology.epoch()));
  // Kept for the log line: Send consumes the request.
  const http::Method method = request.method;
  const std::string target = request.target;
  auto result = co_await services.cluster.Send(topology.node(node).address, std::move(request));
  ObserveNodeCall(services, topology, node, method, target, result);
  co_return result;
}

awaitable<std::vector<NodeReply>> Broadcast(Services& services, const Topology& topology,
                                            const http::UpstreamRequest& request) {
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (NodeIndex n = 0; n < topology.nodes().size(); ++n) requests.emplace_back(n, request);
  co_return co_await SendToNodes(services, topology, std::move(requests));
}

std::vector<store::NodeTaskRef> NodeTasks(const Topology& topology,
                                          const std::vector<NodeReply>& replies) {
  std::vector<store::NodeTaskRef> refs;
  for (const auto& r : replies) {
    if (auto uid = r.task_uid()) refs.push_back({topology.node(r.node).id, *uid});
  }
  return refs;
}

bool BroadcastReachedQuorum(const Topology& topology, const std::vector<NodeReply>& replies,
                            bool& degraded) {
  std::vector<bool> accepted(topology.nodes().size(), false);
  for (const auto& r : replies) accepted[r.node] = r.accepted();
  auto placement = topology.PlacementFor(topology.spec().default_shards);
  std::vector<uint32_t> shards(placement->shard_count());
  for (uint32_t s = 0; s < shards.size(); ++s) shards[s] = s;
  auto outcome = EvaluateQuorum(topology, *placement, shards,
                                [&](NodeIndex n) { return accepted[n]; });
  degraded = outcome.degraded;
  // A node that is not a shard owner (draining) must still get index changes.
  for (const auto& r : replies) degraded |= !r.accepted();
  return outcome.ok;
}

OJson SummarizedTaskView(const store::TaskRecord& t) {
  OJson j;
  j["taskUid"] = t.uid;
  j["indexUid"] = t.index_uid ? OJson(*t.index_uid) : OJson(nullptr);
  j["status"] = store::TaskStatusName(t.status);
  j["type"] = t.type;
  j["enqueuedAt"] = FormatRfc3339(t.enqueued_at);
  return j;
}

OJson TaskView(const store::TaskRecord& t) {
  OJson j;
  j["uid"] = t.uid;
  j["batchUid"] = t.started_at ? OJson(t.uid) : OJson(nullptr);
  j["indexUid"] = t.index_uid ? OJson(*t.index_uid) : OJson(nullptr);
  j["status"] = store::TaskStatusName(t.status);
  j["type"] = t.type;
  // Set when a cancelation was asked for; shown once the task is canceled.
  j["canceledBy"] = t.canceled_by && t.status == store::TaskStatus::kCanceled
                        ? OJson(*t.canceled_by)
                        : OJson(nullptr);
  if (!t.details.is_null()) j["details"] = t.details;
  j["error"] = t.error ? *t.error : OJson(nullptr);
  j["duration"] = t.started_at && t.finished_at
                      ? OJson(FormatIsoDuration(*t.finished_at - *t.started_at))
                      : OJson(nullptr);
  j["enqueuedAt"] = FormatRfc3339(t.enqueued_at);
  j["startedAt"] = t.started_at ? OJson(FormatRfc3339(*t.started_at)) : OJson(nullptr);
  j["finishedAt"] = t.finished_at ? OJson(FormatRfc3339(*t.finished_at)) : OJson(nullptr);
  return j;
}

awaitable<Result<void>> StorePing(Services& services) {
  auto call = [](store::Store& s) { return s.Ping(); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<uint64_t>> StoreNextTaskUid(Services& services) {
  auto call = [](store::Store& s) { return s.NextTaskUid(); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<void>> StorePutTask(Services& services, store::TaskRecord task) {
  auto call = [task = std::move(task)](store::Store& s) { return s.PutTask(task); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<std::optional<store::TaskRecord>>> StoreGetTask(Services& services,
                                                                 uint64_t uid) {
  auto call = [uid](store::Store& s) { return s.GetTask(uid); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<store::TaskPage>> StoreListTasks(Services& services, TaskQuery query) {
  auto call = [query = std::move(query)](store::Store& s) { return s.ListTasks(query); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<std::vector<store::TaskRecord>>> StoreUnfinishedTasks(Services& services,
                                                                      size_t limit) {
  auto call = [limit](store::Store& s) { return s.UnfinishedTasks(limit); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<metrics::TaskRegistrySample>> StoreCountTasks(Services& services) {
  auto call = [](store::Store& s) -> Result<metrics::TaskRegistrySample> {
    metrics::TaskRegistrySample sample;
    MIROIR_ASSIGN_OR_RETURN(auto counts, s.CountTasks());
    for (const auto& [status, n] : counts) sample.by_status.emplace_back(TaskStatusName(status), n);
    MIROIR_ASSIGN_OR_RETURN(std::vector<store::TaskRecord> oldest, s.UnfinishedTasks(1));
    if (!oldest.empty()) sample.oldest_unfinished = oldest.front().enqueued_at;
    return sample;
  };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<size_t>> StoreDeleteTasks(Services& services, std::vector<uint64_t> uids) {
  auto call = [uids = std::move(uids)](store::Store& s) { return s.DeleteTasks(uids); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<void>> StorePutIndex(Services& services, store::IndexRecord index) {
  auto call = [index = std::move(index)](store::Store& s) { return s.PutIndex(index); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<void>> StoreDeleteIndex(Services& services, std::string uid) {
  auto call = [uid = std::move(uid)](store::Store& s) { return s.DeleteIndex(uid); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<bool>> StoreCreateIndex(Services& services, store::IndexRecord index) {
  auto call = [index = std::move(index)](store::Store& s) { return s.CreateIndex(index); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<std::optional<store::IndexRecord>>> StoreGetIndex(Services& services,
                                                                   std::string uid) {
  auto call = [uid = std::move(uid)](store::Store& s) { return s.GetIndex(uid); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<std::vector<ApiKey>>> StoreListKeys(Services& services) {
  auto call = [](store::Store& s) { return s.ListKeys(); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<void>> StorePutKey(Services& services, ApiKey key) {
  auto call = [key = std::move(key)](store::Store& s) { return s.PutKey(key); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<bool>> StoreDeleteKey(Services& services, std::string uid) {
  auto call = [uid = std::move(uid)](store::Store& s) { return s.DeleteKey(uid); };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<Result<std::optional<store::TopologyRecord>>> StoreLoadTopology(Services& services) {
  auto call = [](store::Store& s) { return s.LoadTopology(); };
  co_return co_await services.store.Run(std::move(call));
}

namespace {

awaitable<Result<store::TaskRecord>> StoreNewTask(Services& services, store::TaskRecord task) {
  auto uid = co_await StoreNextTaskUid(services);
  if (!uid) co_return uid.error();
  task.uid = *uid;
  auto put = co_await StorePutTask(services, task);
  if (!put) co_return put.error();
  co_return task;
}

}  // namespace

awaitable<http::Response> AcceptTask(Services& services, std::optional<std::string> index_uid,
                                     std::string type, OJson details,
                                     std::vector<store::NodeTaskRef> node_tasks, bool degraded) {
  store::TaskRecord task;
  task.index_uid = std::move(index_uid);
  task.type = std::move(type);
  task.details = std::move(details);
  task.enqueued_at = NowMicros();
  task.node_tasks = std::move(node_tasks);
  task.status = store::TaskStatus::kEnqueued;
  if (task.node_tasks.empty()) {
    // Nothing to wait for (an empty batch): done as soon as it is recorded.
    task.status = store::TaskStatus::kSucceeded;
    task.started_at = task.finished_at = task.enqueued_at;
    if (task.details.is_object() && task.details.contains("indexedDocuments")) {
      task.details["indexedDocuments"] = task.details.value("receivedDocuments", 0);
    }
    if (task.details.is_object() && task.details.contains("deletedDocuments")) {
      task.details["deletedDocuments"] = 0;
    }
  }
  auto stored = co_await StoreNewTask(services, std::move(task));
  if (!stored) co_return ErrorResponse(stored.error());
  store::TaskRecord view = *stored;
  view.status = store::TaskStatus::kEnqueued;  // what Meilisearch's 202 always says
  http::Response r = JsonResponse(202, SummarizedTaskView(view));
  if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
  co_return r;
}

awaitable<http::Response> RecordFailedTask(Services& services, std::string index_uid,
                                           std::string type, OJson details, const Error& error) {
  store::TaskRecord task;
  task.index_uid = std::move(index_uid);
  task.type = std::move(type);
  task.details = std::move(details);
  task.enqueued_at = NowMicros();
  task.started_at = task.enqueued_at;
  task.finished_at = task.enqueued_at;
  task.status = store::TaskStatus::kFailed;
  // A failed task reports nothing done.
  for (const char* key : {"indexedDocuments", "deletedDocuments"}) {
    if (task.details.is_object() && task.details.contains(key)) task.details[key] = 0;
  }
  OJson e;
  e["message"] = error.message;
  e["code"] = error.code_name();
  e["type"] = error.type_name();
  e["link"] = error.link();
  task.error = std::move(e);
  auto stored = co_await StoreNewTask(services, std::move(task));
  if (!stored) co_return ErrorResponse(stored.error());
  // Meilisearch enqueues first and fails while processing: the client sees 202.
  store::TaskRecord view = *stored;
  view.status = store::TaskStatus::kEnqueued;
  co_return JsonResponse(202, SummarizedTaskView(view));
}

http::UpstreamRequest MakeRequest(http::Method method, std::string target, std::string body,
                                  std::chrono::milliseconds timeout, std::string content_type) {
  http::UpstreamRequest r;
  r.method = method;
  r.target = std::move(target);
  r.body = std::move(body);
  r.timeout = timeout;
  r.content_type = std::move(content_type);
  return r;
}

std::string EncodeSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<uint64_t> UnsignedQueryParam(const RequestContext& ctx, const char* name,
                                    uint64_t fallback, ErrorCode code) {
  const std::string* v = ctx.query.Get(name);
  if (!v) return fallback;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size()) {
    return Error(code, "Invalid value in parameter `" + std::string(name) +
                           "`: could not parse `" + *v + "` as a positive integer");
  }
  return n;
}

bool IsReservedField(std::string_view name) { return name.starts_with("_miroir_"); }

void StripReserved(OJson& object) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end();) {
    if (IsReservedField(it.key())) {
      it = object.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace miroir::api
