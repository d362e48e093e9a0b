// Thin RAII layer over a blocking hiredis connection for RedisStore: connect
// with a deadline, AUTH and SELECT, commands with a per-command deadline,
// replies copied into plain values (so no hiredis object outlives a call).
//
// Not thread-safe: RedisStore hands each connection to one call at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/store/redis_store.hpp"

struct redisContext;

namespace miroir::store::redis {

// One reply. Redis error replies ("ERR ...", "NOSCRIPT ...") are values of
// kind kError, not failures: the caller decides what they mean.
struct Reply {
  enum class Kind { kNil, kInteger, kString, kStatus, kError, kArray };
  Kind kind = Kind::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_nil() const { return kind == Kind::kNil; }
  bool is_error() const { return kind == Kind::kError; }
  // "integer 3", "error ERR ...", ... for messages about unexpected replies.
  std::string Describe() const;
};

class Connection {
 public:
  // Connects to `endpoint`, authenticates and selects its database.
  // Failures are miroir_store_unavailable, except a refused AUTH or SELECT
  // (a configuration error), which is internal.
  static Result<std::unique_ptr<Connection>> Open(const RedisEndpoint& endpoint,
                                                  std::chrono::milliseconds connect_timeout,
                                                  std::chrono::milliseconds command_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply. A transport failure (timeout,
  // reset, EOF) breaks the connection for good: broken() turns true.
  Result<Reply> Command(const std::vector<std::string>& args);

  // For a connection in subscriber mode (after SUBSCRIBE): waits up to
  // `timeout` for one pushed message. Empty when none came in time; an
  // error (and broken()) when the connection failed.
  Result<std::optional<Reply>> WaitForPush(std::chrono::milliseconds timeout);

  bool broken() const { return broken_; }
  // Whether the last failure looked like a connection Redis had closed
  // (EOF or reset before any reply) rather than a timeout.
  bool last_failure_was_stale() const { return stale_; }

 private:
  Connection(redisContext* ctx, std::string where) : ctx_(ctx), where_(std::move(where)) {}

  redisContext* ctx_;
  std::string where_;  // endpoint description for messages
  bool broken_ = false;
  bool stale_ = false;
};

// Whether a Redis error reply means "try again later" (503) rather than a bug:
// LOADING, BUSY, OOM, READONLY, MASTERDOWN, TRYAGAIN, NOREPLICAS, CLUSTERDOWN.
bool IsTransientError(std::string_view error_reply);

}  // namespace miroir::store::redis
