#include "request_log.hpp"

namespace miroir::testnode {

void RequestLog::Record(const http::Request& request) {
  Entry e{std::string(http::MethodName(request.method)), request.target,
          std::string(request.headers.Get("x-request-id")), request.body.size()};
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
                   {"bodyBytes", e.body_bytes}});
  }
  return out;
}

void RequestLog::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace miroir::testnode
