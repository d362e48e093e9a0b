// The node calls the background workers make (migration coordinator,
// anti-entropy, hint replayer): one request with its timeout, a write whose
// node task is waited on, a page of a shard's documents. The request path
// has its own (api/common.hpp), with metrics and request ids; workers report
// through their own status instead.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/meili/cluster.hpp"

namespace miroir::workers {

// A node's answer: its status and parsed body (null when empty or not JSON).
struct NodeAnswer {
  unsigned status = 0;
  nlohmann::json body;
  uint64_t body_bytes = 0;  // as received
};

// `_miroir_shard = <shard>`: the filter that selects one shard's documents.
std::string ShardFilter(uint32_t shard);
// "/indexes/<uid>" (index uids are [A-Za-z0-9_-]: nothing to escape).
std::string IndexPath(std::string_view uid);

class NodeCalls {
 public:
  // `stopping` ends task waits early (the worker is shutting down).
  NodeCalls(meili::Cluster& cluster, std::chrono::milliseconds node_timeout,
            std::chrono::milliseconds task_timeout, const std::atomic<bool>& stopping)
      : cluster_(cluster),
        node_timeout_(node_timeout),
        task_timeout_(task_timeout),
        stopping_(stopping) {}

  // One request. An error only when no answer came (connection, timeout);
  // any HTTP status is an answer.
  boost::asio::awaitable<Result<NodeAnswer>> Call(const std::string& address, http::Method method,
                                                  std::string target, std::string body,
                                                  std::string content_type = "application/json");
  // A write that enqueues a node task: its task uid once the node accepted it (202).
  boost::asio::awaitable<Result<uint64_t>> Submit(const std::string& address, http::Method method,
                                                  std::string target, std::string body,
                                                  std::string content_type = "application/json");
  // Waits until the node task succeeded; its failure, cancellation or the
  // task timeout is an error.
  boost::asio::awaitable<Result<void>> WaitTask(const std::string& address, uint64_t task_uid);
  // Waits until the node task finished, however it ended: its status
  // ("succeeded", "failed" or "canceled"). An error only when the node does
  // not answer or the task timeout passes.
  boost::asio::awaitable<Result<std::string>> WaitTaskFinished(const std::string& address,
                                                               uint64_t task_uid);
  // Submit, then WaitTask.
  boost::asio::awaitable<Result<void>> Enqueue(const std::string& address, http::Method method,
                                               std::string target, std::string body);
  // POST /indexes/<uid>/documents/fetch with `body`: {"results": [...], "total": n, ...}.
  // `*bytes_read`, when given, grows by the size of the answer as received.
  boost::asio::awaitable<Result<nlohmann::json>> FetchDocuments(const std::string& address,
                                                                const std::string& uid,
                                                                const nlohmann::json& body,
                                                                uint64_t* bytes_read = nullptr);

  // The error for an answer that was not the one expected.
  static Error Refused(const std::string& address, const std::string& what,
                       const NodeAnswer& answer);

 private:
  meili::Cluster& cluster_;
  std::chrono::milliseconds node_timeout_;
  std::chrono::milliseconds task_timeout_;
  const std::atomic<bool>& stopping_;
};

}  // namespace miroir::workers
