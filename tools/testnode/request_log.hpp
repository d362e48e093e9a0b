// The test node's memory of the requests it received, for tests that assert
// on what Miroir sent: which targets, with which X-Request-Id, how large.
// Read over GET /_testnode/requests, cleared with DELETE; /_testnode/*
// requests themselves are not recorded.
//
// Bounded: the newest `capacity` requests are kept. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/http/message.hpp"

namespace miroir::testnode {

class RequestLog {
 public:
  explicit RequestLog(size_t capacity = 10'000) : capacity_(capacity) {}

  void Record(const http::Request& request);
  // Oldest first: [{"method", "target", "requestId", "bodyBytes", "body"}, ...];
  // "body" is the first kBodyKept bytes of the body (enough for a query).
  nlohmann::json List() const;
  void Clear();

 private:
  static constexpr size_t kBodyKept = 2048;

  struct Entry {
    std::string method;
    std::string target;
    std::string request_id;
    uint64_t body_bytes = 0;
    std::string body;  // its first kBodyKept bytes
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  size_t capacity_;
};

}  // namespace miroir::testnode
