#include "miroir/http/server.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/padded_body.hpp"

namespace miroir::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Per client connection: 1,000 idle keep-alive clients cost 16 MB.
constexpr size_t kConnectionReadBufferBytes = 16 * 1024;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// One accepted connection. Lives on its worker's thread only.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for a request: safe to close on shutdown
};

// One worker thread: its io_context, its listener, its live connections.
struct Worker {
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::list<Connection*> connections;
  std::thread thread;
};

bhttp::response<bhttp::string_body> ToBeast(Response& res, unsigned version, bool keep_alive,
                                           const std::string& server_name) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  if (!server_name.empty()) out.set(bhttp::field::server, server_name);
  if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (const auto& [name, value] : res.headers.entries()) out.insert(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  return out;
}

// The status line and headers ToBeast's message would be serialized with,
// written by hand: the body is then sent from the Response itself, in one
// gather write with the head, without Beast's serializer.
std::string ResponseHead(const Response& res, unsigned version, bool keep_alive,
                         const std::string& server_name) {
  const std::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  size_t size = reason.size() + server_name.size() + res.content_type.size() + 128;
  for (const auto& [name, value] : res.headers.entries()) size += name.size() + value.size() + 4;
  std::string head;
  head.reserve(size);
  char number[24];
  head.append("HTTP/");
  head.push_back(static_cast<char>('0' + version / 10 % 10));
  head.push_back('.');
  head.push_back(static_cast<char>('0' + version % 10));
  head.push_back(' ');
  head.append(number, std::to_chars(number, number + sizeof(number), res.status).ptr);
  head.push_back(' ');
  head.append(reason);
  head.append("\r\n");
  auto field = [&head](std::string_view name, std::string_view value) {
    head.append(name);
    head.append(": ");
    head.append(value);
    head.append("\r\n");
  };
  if (!server_name.empty()) field("Server", server_name);
  if (!res.content_type.empty()) field("Content-Type", res.content_type);
  for (const auto& [name, value] : res.headers.entries()) field(name, value);
  // As Beast's keep_alive(): HTTP/1.1 is persistent unless told, 1.0 is not.
  if (version >= 11 && !keep_alive) field("Connection", "close");
  if (version < 11 && keep_alive) field("Connection", "keep-alive");
  field("Content-Length",
        std::string_view(number, std::to_chars(number, number + sizeof(number),
                                                res.body.size()).ptr - number));
  head.append("\r\n");
  return head;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<size_t> open_connections{0};
  std::atomic<bool> stopping{false};
  uint16_t bound_port = 0;

  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  bool started = false;

  asio::awaitable<void> AcceptLoop(Worker& w);
  asio::awaitable<void> Session(Worker& w, tcp::socket socket);
  asio::awaitable<void> WriteError(Connection& c, unsigned version, const Error& e);
};

asio::awaitable<void> Server::Impl::AcceptLoop(Worker& w) {
  asio::steady_timer backoff(w.ioc);
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(kNoThrow);
    if (stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or similar: pause instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (open_connections.load() >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    open_connections.fetch_add(1);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(w.ioc, Session(w, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::WriteError(Connection& c, unsigned version, const Error& e) {
  Response res = Response::FromError(e);
  auto out = ToBeast(res, version, false, options.server_name);
  c.stream.expires_after(options.write_timeout);
  co_await bhttp::async_write(c.stream, out, kNoThrow);
}

asio::awaitable<void> Server::Impl::Session(Worker& w, tcp::socket socket) {
  Connection conn(std::move(socket));
  auto registration = w.connections.insert(w.connections.end(), &conn);
  std::string remote;
  {
    beast::error_code ec;
    auto ep = conn.stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  // Room for large reads of request bodies (Beast reads at most the free
  // capacity, at least 512 bytes, per call); kept for the connection's life.
  beast::flat_buffer buffer;
  buffer.reserve(kConnectionReadBufferBytes);

  while (!stopping.load()) {
    // The body keeps room for simdjson's padding: handlers parse it in place.
    bhttp::request_parser<detail::PaddedStringBody> parser;
    parser.body_limit(options.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));

    conn.idle = true;
    conn.stream.expires_after(options.idle_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(conn.stream, buffer, parser, kNoThrow);
    conn.idle = false;
    if (hec) {
      if (hec == bhttp::error::body_limit) {
        // The declared Content-Length is already over the limit.
        co_await WriteError(
            conn, 11,
            Error(ErrorCode::kPayloadTooLarge,
                  "The provided payload reached the size limit. The maximum accepted payload "
                  "size is " + std::to_string(options.body_limit) + " B."));
      } else if (hec == bhttp::error::header_limit) {
        co_await WriteError(conn, 11, Error(ErrorCode::kBadRequest,
                                            "The request headers exceed the size limit.", 431));
      } else if (hec != bhttp::error::end_of_stream && hec != beast::error::timeout &&
                 hec != asio::error::operation_aborted && hec != asio::error::eof &&
                 hec != asio::error::connection_reset) {
        co_await WriteError(conn, 11, Error(ErrorCode::kBadRequest, "Malformed HTTP request."));
      }
      break;
    }
    const unsigned version = parser.get().version();
    if (parser.get().target().size() > options.max_url_bytes) {
      co_await WriteError(
          conn, version,
          Error(ErrorCode::kMiroirLimitExceeded,
                "The request target is longer than the limit of " +
                    std::to_string(options.max_url_bytes) + " B (listen.max_url_bytes).",
                414));
      break;
    }
    if (const auto fields = static_cast<size_t>(
            std::distance(parser.get().begin(), parser.get().end()));
        fields > options.max_header_count) {
      co_await WriteError(
          conn, version,
          Error(ErrorCode::kMiroirLimitExceeded,
                "The request has " + std::to_string(fields) + " header fields, more than the "
                    "limit of " + std::to_string(options.max_header_count) +
                    " (listen.max_header_count).",
                431));
      break;
    }
    if (!parser.is_done()) {
      conn.stream.expires_after(options.read_timeout);
      auto [bec, bn] = co_await bhttp::async_read(conn.stream, buffer, parser, kNoThrow);
      if (bec == bhttp::error::body_limit) {
        co_await WriteError(
            conn, version,
            Error(ErrorCode::kPayloadTooLarge,
                  "The provided payload reached the size limit. The maximum accepted payload "
                  "size is " + std::to_string(options.body_limit) + " B."));
        break;
      }
      if (bec) break;
    }

    auto beast_req = parser.release();
    const bool keep_alive = beast_req.keep_alive();
    Request req;
    req.method = http::MethodFromName(beast_req.method_string());
    req.target = std::string(beast_req.target());
    for (const auto& field : beast_req) req.headers.Add(field.name_string(), field.value());
    req.body = std::move(beast_req.body());
    req.remote_address = remote;
    const bool is_head = req.method == Method::kHead;

    Response res;
    try {
      res = co_await handler(std::move(req));
    } catch (const std::exception& e) {
      res = Response::FromError(Error(ErrorCode::kInternal, e.what()));
    }

    switch (res.disposition) {
      case Disposition::kDrop:
        goto close;
      case Disposition::kHang: {
        // Read and discard until the peer closes or the server stops.
        conn.idle = true;
        conn.stream.expires_never();
        std::array<char, 4096> sink;
        for (;;) {
          auto [rec, rn] = co_await conn.stream.async_read_some(asio::buffer(sink), kNoThrow);
          if (rec) break;
        }
        goto close;
      }
      case Disposition::kTruncate: {
        auto out = ToBeast(res, version, true, options.server_name);
        std::string head;
        head += "HTTP/1.1 " + std::to_string(res.status) + " " +
                std::string(bhttp::obsolete_reason(out.result())) + "\r\n";
        for (const auto& field : out) {
          head += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
        }
        head += "\r\n";
        head += out.body().substr(0, out.body().size() / 2);
        conn.stream.expires_after(options.write_timeout);
        co_await asio::async_write(conn.stream, asio::buffer(head), kNoThrow);
        goto close;
      }
      case Disposition::kSend:
      case Disposition::kSendAndClose: {
        const bool keep = keep_alive && res.disposition == Disposition::kSend && !stopping.load();
        // A HEAD answer announces the body's length but sends no body.
        const std::string head = ResponseHead(res, version, keep, options.server_name);
        const std::array<asio::const_buffer, 2> buffers = {
            asio::buffer(head), asio::buffer(res.body.data(), is_head ? 0 : res.body.size())};
        conn.stream.expires_after(options.write_timeout);
        auto [wec, wn] = co_await asio::async_write(conn.stream, buffers, kNoThrow);
        if (wec || !keep) goto close;
        break;
      }
    }
  }
close:
  beast::error_code ignored;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn.stream.close();
  w.connections.erase(registration);
  open_connections.fetch_sub(1);
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.threads == 0) impl_->options.threads = 1;
  impl_->handler = std::move(handler);
}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<void> Server::Start() {
  Impl& d = *impl_;
  beast::error_code ec;
  auto address = asio::ip::make_address(d.options.address, ec);
  if (ec) return Error(ErrorCode::kInternal, "invalid listen address '" + d.options.address + "'");
  uint16_t port = d.options.port;
  for (unsigned i = 0; i < d.options.threads; ++i) {
    auto w = std::make_unique<Worker>();
    tcp::endpoint ep(address, port);
    w->acceptor.emplace(w->ioc);
    w->acceptor->open(ep.protocol(), ec);
    if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) w->acceptor->set_option(ReusePort(true), ec);
    if (!ec) w->acceptor->bind(ep, ec);
    if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(ErrorCode::kInternal, "cannot listen on " + d.options.address + ":" +
                                             std::to_string(port) + ": " + ec.message());
    }
    port = w->acceptor->local_endpoint().port();
    d.workers.push_back(std::move(w));
  }
  d.bound_port = port;
  for (auto& w : d.workers) {
    asio::co_spawn(w->ioc, d.AcceptLoop(*w), asio::detached);
    w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  }
  std::lock_guard lock(d.mu);
  d.started = true;
  return {};
}

uint16_t Server::port() const { return impl_->bound_port; }

boost::asio::any_io_executor Server::executor(unsigned i) const {
  return impl_->workers.at(i)->ioc.get_executor();
}

void Server::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopped || !impl_->started; });
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.stopped || !d.started) {
      d.stopped = true;
      d.cv.notify_all();
      return;
    }
  }
  d.stopping.store(true);
  for (auto& w : d.workers) {
    asio::post(w->ioc, [&w = *w] {
      beast::error_code ignored;
      w.acceptor->close(ignored);
      for (Connection* c : w.connections) {
        if (c->idle) c->stream.socket().cancel(ignored);
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (d.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& w : d.workers) w->ioc.stop();
  for (auto& w : d.workers) {
    if (w->thread.joinable()) w->thread.join();
    // The posted close may not have run before the stop; the thread is gone,
    // so closing here races with nothing.
    beast::error_code ignored;
    w->acceptor->close(ignored);
  }
  std::lock_guard lock(d.mu);
  d.stopped = true;
  d.cv.notify_all();
}

}  // namespace miroir::http
