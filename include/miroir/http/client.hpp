// Keep-alive HTTP/1.1 client connections to one upstream node.
//
// An UpstreamPool belongs to one worker thread (one io_context) and is not
// thread-safe: each thread keeps its own pool per node, so the request path
// takes no lock (ARCHITECTURE.md §8). Every request has a deadline covering
// connect, write and the whole response; the response body is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "miroir/core/error.hpp"
#include "miroir/http/message.hpp"

namespace miroir::http {

struct UpstreamRequest {
  Method method = Method::kGet;
  std::string target;  // "/indexes/movies/search"
  Headers headers;
  std::string body;
  std::string content_type = "application/json";  // sent when the body is not empty
  std::chrono::milliseconds timeout{10'000};
};

struct UpstreamResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
};

// Why a request got no response, for metrics and logs.
// kFenced: never sent — this Miroir instance refuses writes until it has
// renewed its membership (meili::Cluster::FenceWritesAfter).
enum class UpstreamFailure { kNone, kConnect, kTimeout, kReset, kProtocol, kTooLarge, kFenced };

struct UpstreamResult {
  UpstreamFailure failure = UpstreamFailure::kNone;
  std::string detail;            // human-readable cause when failure != kNone
  UpstreamResponse response;     // valid when failure == kNone
  std::chrono::microseconds elapsed{0};  // from sending to the answer or the failure
  bool ok() const { return failure == UpstreamFailure::kNone; }
};

std::string_view UpstreamFailureName(UpstreamFailure f);

struct PoolOptions {
  size_t max_idle_connections = 32;
  size_t max_response_bytes = 256 * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{2'000};
};

class UpstreamPool {
 public:
  // `address` is "host:port"; host may be a name or an IP literal.
  UpstreamPool(boost::asio::any_io_executor executor, std::string address, PoolOptions options);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Sends one request, reusing an idle connection when there is one. A
  // reused connection that the peer had already closed is retried once on a
  // fresh connection (nothing was received, so nothing was processed twice).
  boost::asio::awaitable<UpstreamResult> Send(UpstreamRequest request);

  const std::string& address() const;
  // Idle connections currently kept (for tests and metrics).
  size_t idle_connections() const;
  // Closes every idle connection.
  void Close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace miroir::http
