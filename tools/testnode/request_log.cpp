#include "request_log.hpp"

namespace miroir::testnode {

namespace {

// `bytes` as valid UTF-8 (a body cut inside a sequence, or not text at
// all, gets U+FFFD), so listing the log never fails to serialise.
std::string ValidUtf8(const std::string& bytes) {
  const std::string quoted = nlohmann::json(bytes).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

}  // namespace

void RequestLog::Record(const http::Request& request) {
  Entry e{std::string(http::MethodName(request.method)), request.target,
          std::string(request.headers.Get("x-request-id")), request.body.size(),
          ValidUtf8(request.body.substr(0, kBodyKept))};
  std::lock_guard lock(mu_);
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(std::move(e));
}

nlohmann::json RequestLog::List() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const Entry& e : entries_) {
    out.push_back({{"method", e.method},
                   {"target", e.target},
                   {"requestId", e.request_id},
                   {"bodyBytes", e.body_bytes},
                   {"body", e.body}});
  }
  return out;
}

void RequestLog::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace miroir::testnode
