#include "node_calls.hpp"

#include <algorithm>

#include "miroir/workers/worker_thread.hpp"

namespace miroir::workers {

namespace asio = boost::asio;
using asio::awaitable;
using json = nlohmann::json;

std::string ShardFilter(uint32_t shard) { return "_miroir_shard = " + std::to_string(shard); }

std::string IndexPath(std::string_view uid) { return "/indexes/" + std::string(uid); }

awaitable<Result<NodeAnswer>> NodeCalls::Call(const std::string& address, http::Method method,
                                              std::string target, std::string body,
                                              std::string content_type) {
  http::UpstreamRequest request;
  request.method = method;
  request.target = std::move(target);
  request.body = std::move(body);
  if (!content_type.empty()) request.content_type = std::move(content_type);
  request.timeout = node_timeout_;
  const std::string what = std::string(http::MethodName(method)) + " " + request.target;
  http::UpstreamResult result = co_await cluster_.Send(address, std::move(request));
  if (!result.ok()) {
    co_return Error(ErrorCode::kMiroirNodeError,
                    "node " + address + ": " + what + ": " + result.detail);
  }
  NodeAnswer answer;
  answer.status = result.response.status;
  answer.body_bytes = result.response.body.size();
  if (!result.response.body.empty()) {
    answer.body = json::parse(result.response.body, nullptr, false);
  }
  co_return answer;
}

Error NodeCalls::Refused(const std::string& address, const std::string& what,
                         const NodeAnswer& answer) {
  std::string message =
      answer.body.is_object() ? answer.body.value("message", std::string()) : "";
  return Error(ErrorCode::kMiroirNodeError, "node " + address + ": " + what + " answered " +
                                                std::to_string(answer.status) + " " + message);
}

awaitable<Result<uint64_t>> NodeCalls::Submit(const std::string& address, http::Method method,
                                              std::string target, std::string body,
                                              std::string content_type) {
  const std::string what = target;
  auto answer = co_await Call(address, method, std::move(target), std::move(body),
                              std::move(content_type));
  if (!answer) co_return answer.error();
  if (answer->status != 202 || !answer->body.is_object() ||
      !answer->body.contains("taskUid") || !answer->body["taskUid"].is_number_unsigned()) {
    co_return Refused(address, what, *answer);
  }
  co_return answer->body["taskUid"].get<uint64_t>();
}

awaitable<Result<std::string>> NodeCalls::WaitTaskFinished(const std::string& address,
                                                           uint64_t task_uid) {
  const auto deadline = std::chrono::steady_clock::now() + task_timeout_;
  auto delay = std::chrono::milliseconds(10);
  const std::string target = "/tasks/" + std::to_string(task_uid);
  while (std::chrono::steady_clock::now() < deadline && !stopping_.load()) {
    auto answer = co_await Call(address, http::Method::kGet, target, "");
    if (!answer) co_return answer.error();
    if (answer->status != 200 || !answer->body.is_object()) {
      co_return Refused(address, target, *answer);
    }
    std::string status = answer->body.value("status", std::string());
    if (status == "succeeded" || status == "failed" || status == "canceled") co_return status;
    co_await SleepFor(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
  co_return Error(ErrorCode::kMiroirNodeError,
                  "node " + address + ": task " + std::to_string(task_uid) + " did not finish");
}

awaitable<Result<void>> NodeCalls::WaitTask(const std::string& address, uint64_t task_uid) {
  auto status = co_await WaitTaskFinished(address, task_uid);
  if (!status) co_return status.error();
  if (*status == "succeeded") co_return Result<void>();
  // Fetched again for the error's message: rare, and keeps the wait simple.
  std::string why = "task " + std::to_string(task_uid) + " " + *status;
  auto answer = co_await Call(address, http::Method::kGet, "/tasks/" + std::to_string(task_uid), "");
  if (answer && answer->body.is_object() && answer->body["error"].is_object()) {
    why += ": " + answer->body["error"].value("message", std::string());
  }
  co_return Error(ErrorCode::kMiroirNodeError, "node " + address + ": " + why);
}

awaitable<Result<void>> NodeCalls::Enqueue(const std::string& address, http::Method method,
                                           std::string target, std::string body) {
  auto uid = co_await Submit(address, method, std::move(target), std::move(body));
  if (!uid) co_return uid.error();
  co_return co_await WaitTask(address, *uid);
}

awaitable<Result<json>> NodeCalls::FetchDocuments(const std::string& address,
                                                  const std::string& uid, const json& body,
                                                  uint64_t* bytes_read) {
  const std::string target = IndexPath(uid) + "/documents/fetch";
  auto answer = co_await Call(address, http::Method::kPost, target, body.dump());
  if (!answer) co_return answer.error();
  if (bytes_read != nullptr) *bytes_read += answer->body_bytes;
  if (answer->status != 200 || !answer->body.is_object() || !answer->body.contains("results") ||
      !answer->body["results"].is_array()) {
    co_return Refused(address, target, *answer);
  }
  co_return std::move(answer->body);
}

}  // namespace miroir::workers
