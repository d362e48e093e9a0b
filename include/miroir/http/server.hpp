// The HTTP/1.1 server shared by Miroir and the test node.
//
// One io_context per worker thread, each with its own SO_REUSEPORT listener,
// so a connection lives on one thread for its whole life and handlers need no
// cross-thread synchronisation for per-thread state (such as upstream pools).
// Every read and write has a deadline; bodies and headers have limits.
//
// Thread-safety: Start() and Stop() may be called from any thread; Run()
// blocks the caller until Stop(). The handler runs on the connection's
// thread and must not block it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "miroir/core/error.hpp"
#include "miroir/http/message.hpp"

namespace miroir::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port; see Server::port()
  unsigned threads = 1;
  size_t body_limit = 100 * 1024 * 1024;   // Meilisearch's default payload limit
  size_t header_limit = 64 * 1024;
  std::chrono::milliseconds read_timeout{30'000};   // for one whole request
  std::chrono::milliseconds idle_timeout{75'000};   // between keep-alive requests
  std::chrono::milliseconds write_timeout{30'000};
  size_t max_connections = 10'000;  // further connections are closed at accept
  size_t max_header_count = 100;    // header fields per request; more: 431
  size_t max_url_bytes = 16 * 1024;  // request target; longer: 414
  std::string server_name;          // sent as the Server header when non-empty
};

class Server {
 public:
  using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners and starts the worker threads. Fails with a clear
  // message when the address cannot be bound.
  Result<void> Start();
  // The bound port (useful with port 0). Valid after Start().
  uint16_t port() const;
  // Blocks until Stop() has completed.
  void Wait();
  // Stops accepting, closes idle connections, lets in-flight requests finish
  // for up to grace, then cancels the rest. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // The executor of worker thread i (for background work that must live on a
  // worker thread). REQUIRES: Start() succeeded, i < options.threads.
  boost::asio::any_io_executor executor(unsigned i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::http
