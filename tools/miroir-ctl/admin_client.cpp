#include "admin_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace miroir::ctl {
namespace {

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

AdminClient::AdminClient(std::string url, std::string admin_key, std::chrono::milliseconds timeout)
    : url_(std::move(url)), admin_key_(std::move(admin_key)), timeout_(timeout) {
  std::string rest = url_;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  rest = rest.substr(0, rest.find('/'));
  const size_t colon = rest.rfind(':');
  host_ = colon == std::string::npos ? rest : rest.substr(0, colon);
  port_ = colon == std::string::npos ? "80" : rest.substr(colon + 1);
}

std::optional<Reply> AdminClient::Call(const std::string& method, const std::string& path,
                                       const std::optional<nlohmann::json>& body,
                                       std::string* error) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found); rc != 0) {
    *error = "cannot resolve " + host_ + ": " + ::gai_strerror(rc);
    return std::nullopt;
  }
  std::optional<Socket> sock;
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr && !sock; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && WaitFor(fd, POLLOUT, deadline))) {
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) {
        sock.emplace(fd);
        break;
      }
      last_error = std::strerror(so_error);
    } else {
      last_error = "timed out";
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (!sock) {
    *error = "cannot connect to " + url_ + ": " + last_error;
    return std::nullopt;
  }

  const std::string payload = body ? body->dump() : "";
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + port_ +
                        "\r\nConnection: close\r\nAccept: application/json\r\n";
  if (!admin_key_.empty()) request += "Authorization: Bearer " + admin_key_ + "\r\n";
  if (body) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
  for (size_t sent = 0; sent < request.size();) {
    if (!WaitFor(sock->fd(), POLLOUT, deadline)) {
      *error = "timed out sending to " + url_;
      return std::nullopt;
    }
    ssize_t n = ::send(sock->fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      *error = std::string("cannot send: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  // Connection: close: the answer ends where the stream does.
  std::string response;
  char buf[16384];
  for (;;) {
    if (!WaitFor(sock->fd(), POLLIN, deadline)) {
      *error = "timed out waiting for " + url_;
      return std::nullopt;
    }
    ssize_t n = ::recv(sock->fd(), buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      *error = std::string("cannot read: ") + std::strerror(errno);
      return std::nullopt;
    }
    response.append(buf, static_cast<size_t>(n));
    if (response.size() > (64u << 20)) {
      *error = "answer larger than 64 MiB";
      return std::nullopt;
    }
  }
  const size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) {
    *error = "not an HTTP answer from " + url_;
    return std::nullopt;
  }
  Reply reply;
  reply.status = std::atoi(response.c_str() + response.find(' ') + 1);
  std::string payload_in = response.substr(head_end + 4);
  if (response.substr(0, head_end).find("chunked") != std::string::npos) {
    // Miroir sends Content-Length; decode chunks anyway for proxies in between.
    std::string decoded;
    size_t pos = 0;
    while (pos < payload_in.size()) {
      const size_t line_end = payload_in.find("\r\n", pos);
      if (line_end == std::string::npos) break;
      const size_t size = std::strtoul(payload_in.c_str() + pos, nullptr, 16);
      if (size == 0) break;
      decoded.append(payload_in, line_end + 2, size);
      pos = line_end + 2 + size + 2;
    }
    payload_in = std::move(decoded);
  }
  if (!payload_in.empty()) reply.body = nlohmann::json::parse(payload_in, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

}  // namespace miroir::ctl
