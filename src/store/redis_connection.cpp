#include "redis_connection.hpp"

#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include <hiredis/hiredis.h>

namespace miroir::store::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply Copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.kind = r->type == REDIS_REPLY_STRING   ? Reply::Kind::kString
                 : r->type == REDIS_REPLY_STATUS ? Reply::Kind::kStatus
                                                 : Reply::Kind::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Reply::Kind::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      out.kind = Reply::Kind::kNil;
      break;
  }
  return out;
}

Error Unavailable(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kMiroirStoreUnavailable, "coordination store " + where + ": " + what);
}

}  // namespace

std::string Reply::Describe() const {
  switch (kind) {
    case Kind::kNil: return "nil";
    case Kind::kInteger: return "integer " + std::to_string(integer);
    case Kind::kString: return "string '" + str.substr(0, 80) + "'";
    case Kind::kStatus: return "status " + str;
    case Kind::kError: return "error " + str;
    case Kind::kArray: return "array of " + std::to_string(elements.size());
  }
  return "?";
}

bool IsTransientError(std::string_view e) {
  for (std::string_view prefix : {"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN",
                                  "NOREPLICAS", "CLUSTERDOWN"}) {
    if (e.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

Result<std::unique_ptr<Connection>> Connection::Open(const RedisEndpoint& endpoint,
                                                     std::chrono::milliseconds connect_timeout,
                                                     std::chrono::milliseconds command_timeout) {
  const std::string where = endpoint.Describe();
  redisContext* ctx =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, ToTimeval(connect_timeout));
  if (ctx == nullptr) return Unavailable(where, "cannot allocate a connection");
  if (ctx->err) {
    std::string why = ctx->errstr;
    redisFree(ctx);
    if (why.find("Resource temporarily unavailable") != std::string::npos ||
        why.find("timed out") != std::string::npos) {
      why = "no answer within " + std::to_string(connect_timeout.count()) + " ms";
    }
    return Unavailable(where, "cannot connect: " + why);
  }
  if (redisSetTimeout(ctx, ToTimeval(command_timeout)) != REDIS_OK) {
    redisFree(ctx);
    return Unavailable(where, "cannot set the command timeout");
  }
  // Keep-alive notices a Redis that vanished while the connection sat idle.
  (void)redisEnableKeepAlive(ctx);
  std::unique_ptr<Connection> conn(new Connection(ctx, where));

  auto setup = [&](std::vector<std::string> args, std::string_view what) -> Result<void> {
    MIROIR_ASSIGN_OR_RETURN(Reply reply, conn->Command(args));
    if (!reply.is_error()) return {};
    if (IsTransientError(reply.str)) return Unavailable(where, reply.str);
    return Error(ErrorCode::kInternal,
                 "coordination store " + where + ": " + std::string(what) + " refused: " + reply.str);
  };
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    MIROIR_RETURN_IF_ERROR(setup(std::move(auth), "AUTH (check the password)"));
  }
  if (endpoint.db != 0) {
    MIROIR_RETURN_IF_ERROR(setup({"SELECT", std::to_string(endpoint.db)}, "SELECT"));
  }
  return conn;
}

Connection::~Connection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Result<Reply> Connection::Command(const std::vector<std::string>& args) {
  if (broken_) return Unavailable(where_, "connection is closed");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  errno = 0;
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (raw == nullptr) {
    int err = errno;
    broken_ = true;
    stale_ = ctx_->err == REDIS_ERR_EOF ||
             (ctx_->err == REDIS_ERR_IO && (err == ECONNRESET || err == EPIPE));
    std::string why = ctx_->errstr;
    if (ctx_->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK)) {
      why = "no reply within the command timeout";
    }
    return Unavailable(where_, args.empty() ? why : args[0] + " failed: " + why);
  }
  Reply reply = Copy(raw);
  freeReplyObject(raw);
  return reply;
}

Result<std::optional<Reply>> Connection::WaitForPush(std::chrono::milliseconds timeout) {
  if (broken_) return Unavailable(where_, "connection is closed");
  auto take = [this]() -> Result<std::optional<Reply>> {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) {
      broken_ = true;
      return Unavailable(where_, std::string("subscription failed: ") + ctx_->errstr);
    }
    if (raw == nullptr) return std::optional<Reply>();
    Reply reply = Copy(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    return std::optional<Reply>(std::move(reply));
  };
  // A message may already sit in the reader from an earlier read.
  MIROIR_ASSIGN_OR_RETURN(std::optional<Reply> buffered, take());
  if (buffered) return buffered;
  pollfd pfd{};
  pfd.fd = ctx_->fd;
  pfd.events = POLLIN;
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready == 0 || (ready < 0 && errno == EINTR)) return std::optional<Reply>();
  if (ready < 0 || redisBufferRead(ctx_) != REDIS_OK) {
    broken_ = true;
    return Unavailable(where_, std::string("subscription failed: ") + ctx_->errstr);
  }
  return take();  // empty when only part of a message has arrived
}

}  // namespace miroir::store::redis
