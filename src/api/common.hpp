// Helpers shared by the resource handlers of src/api: responses, relaying
// node answers, broadcasting to every node, and recording Miroir tasks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "miroir/api/api.hpp"
#include "miroir/api/route_table.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/topology.hpp"
#include "miroir/http/client.hpp"
#include "miroir/store/store.hpp"

namespace miroir::api {

using nlohmann::json;
using OJson = nlohmann::ordered_json;
using boost::asio::awaitable;

http::Response JsonResponse(unsigned status, const OJson& body);
http::Response ErrorResponse(const Error& e);

// The error a client sees when a node could not be reached or answered
// garbage: 502 miroir_node_error naming the node and the cause.
Error NodeError(const std::string& node_id, const http::UpstreamResult& result);

// A node's own Meilisearch error (4xx with an error body), relayed as is.
bool IsNodeClientError(const http::UpstreamResult& result);
http::Response RelayNodeResponse(const http::UpstreamResult& result);

struct NodeReply {
  NodeIndex node = 0;
  http::UpstreamResult result;
  bool accepted() const { return result.ok() && result.response.status == 202; }
  // The node's taskUid from a 202 answer.
  std::optional<uint64_t> task_uid() const;
};

// Every node call of a request goes through one of the three below: they
// add the request's X-Request-Id, record the node metrics and log failures.

// Sends one request to one node.
awaitable<http::UpstreamResult> SendToNode(Services& services, const Topology& topology,
                                           NodeIndex node, http::UpstreamRequest request);
// Sends `request` to every node of every group, in parallel.
awaitable<std::vector<NodeReply>> Broadcast(Services& services, const Topology& topology,
                                            const http::UpstreamRequest& request);
// Sends one request per (node, request) pair, in parallel.
awaitable<std::vector<NodeReply>> SendToNodes(
    Services& services, const Topology& topology,
    std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests);

// Store calls, run on the store's thread. Each names its call object before
// awaiting it: GCC 12 destroys a capturing lambda temporary twice when it is
// part of a co_await expression, so handlers never pass lambdas to the runner
// themselves.
awaitable<Result<void>> StorePing(Services& services);
awaitable<Result<uint64_t>> StoreNextTaskUid(Services& services);
awaitable<Result<void>> StorePutTask(Services& services, store::TaskRecord task);
awaitable<Result<std::optional<store::TaskRecord>>> StoreGetTask(Services& services,
                                                                 uint64_t uid);
awaitable<Result<store::TaskPage>> StoreListTasks(Services& services, TaskQuery query);
awaitable<Result<std::vector<store::TaskRecord>>> StoreUnfinishedTasks(Services& services,
                                                                      size_t limit);
awaitable<Result<size_t>> StoreDeleteTasks(Services& services, std::vector<uint64_t> uids);
// Tasks per status and the oldest unfinished one's enqueue time.
awaitable<Result<metrics::TaskRegistrySample>> StoreCountTasks(Services& services);
awaitable<Result<void>> StorePutIndex(Services& services, store::IndexRecord index);
awaitable<Result<void>> StoreDeleteIndex(Services& services, std::string uid);
awaitable<Result<bool>> StoreCreateIndex(Services& services, store::IndexRecord index);
awaitable<Result<std::optional<store::IndexRecord>>> StoreGetIndex(Services& services,
                                                                   std::string uid);
awaitable<Result<std::vector<ApiKey>>> StoreListKeys(Services& services);
awaitable<Result<void>> StorePutKey(Services& services, ApiKey key);
awaitable<Result<bool>> StoreDeleteKey(Services& services, std::string uid);
awaitable<Result<std::optional<store::TopologyRecord>>> StoreLoadTopology(Services& services);

// Records a new Miroir task whose node tasks are `replies` (the accepted
// ones) and answers 202 with its summarized view. `degraded` adds the
// X-Miroir-Degraded header.
awaitable<http::Response> AcceptTask(Services& services, std::optional<std::string> index_uid,
                                     std::string type, OJson details,
                                     std::vector<store::NodeTaskRef> node_tasks, bool degraded);

// Records a task that failed before any node was called (Meilisearch reports
// such errors — no primary key, invalid ids — as failed tasks) and answers 202.
awaitable<http::Response> RecordFailedTask(Services& services, std::string index_uid,
                                           std::string type, OJson details, const Error& error);

// The summarized task view of a 202 answer.
OJson SummarizedTaskView(const store::TaskRecord& task);
// The full task view of GET /tasks.
OJson TaskView(const store::TaskRecord& task);

// Node task references of every accepted reply.
std::vector<store::NodeTaskRef> NodeTasks(const Topology& topology,
                                          const std::vector<NodeReply>& replies);

// True when every shard of `placement` still has a quorum of accepting owners.
bool BroadcastReachedQuorum(const Topology& topology, const std::vector<NodeReply>& replies,
                            bool& degraded);

http::UpstreamRequest MakeRequest(http::Method method, std::string target, std::string body,
                                  std::chrono::milliseconds timeout,
                                  std::string content_type = "application/json");

// A non-negative integer query parameter, with Meilisearch's error wording.
Result<uint64_t> UnsignedQueryParam(const RequestContext& ctx, const char* name,
                                    uint64_t fallback, ErrorCode code);

// Percent-encodes one path segment.
std::string EncodeSegment(std::string_view s);

// The fields Miroir stores in every document and hides from clients.
inline constexpr std::string_view kShardField = "_miroir_shard";
bool IsReservedField(std::string_view name);
// Removes reserved fields from a JSON object (documents, fieldDistribution).
void StripReserved(OJson& object);

}  // namespace miroir::api
