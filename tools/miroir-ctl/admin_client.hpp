// A minimal blocking HTTP/1.1 client for Miroir's admin API: one request per
// connection, JSON in and out, a timeout on connect, send and receive.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace miroir::ctl {

struct Reply {
  int status = 0;
  nlohmann::json body;  // null when the body is empty or not JSON
};

class AdminClient {
 public:
  // `url` is "http://host:port" (a trailing path is ignored); `admin_key`
  // is sent as a bearer token when not empty.
  AdminClient(std::string url, std::string admin_key,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Sends the request; an error string when no HTTP answer came back.
  std::optional<Reply> Call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body, std::string* error) const;

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::string host_;
  std::string port_;
  std::string admin_key_;
  std::chrono::milliseconds timeout_;
};

}  // namespace miroir::ctl
