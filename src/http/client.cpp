#include "miroir/http/client.hpp"

#include <array>
#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "http/padded_body.hpp"

namespace miroir::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Per upstream connection, kept while the connection is.
constexpr size_t kReadBufferBytes = 64 * 1024;

// "POST /indexes/a/search HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n". Content-Length
// as Beast's prepare_payload sets it: whenever there is a body, and for an
// empty one on the methods that expect one.
std::string RequestHead(const UpstreamRequest& req, std::string_view host) {
  std::string_view method = req.method == Method::kOther ? "GET" : MethodName(req.method);
  size_t size = method.size() + req.target.size() + host.size() + req.content_type.size() + 96;
  for (const auto& [name, value] : req.headers.entries()) size += name.size() + value.size() + 4;
  std::string head;
  head.reserve(size);
  head.append(method);
  head.push_back(' ');
  head.append(req.target);
  head.append(" HTTP/1.1\r\nHost: ");
  head.append(host);
  head.append("\r\n");
  for (const auto& [name, value] : req.headers.entries()) {
    head.append(name);
    head.append(": ");
    head.append(value);
    head.append("\r\n");
  }
  if (!req.body.empty()) {
    head.append("Content-Type: ");
    head.append(req.content_type);
    head.append("\r\n");
  }
  if (!req.body.empty() || req.method == Method::kPost || req.method == Method::kPut ||
      req.method == Method::kOptions) {
    head.append("Content-Length: ");
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), req.body.size());
    head.append(digits, end);
    head.append("\r\n");
  }
  head.append("\r\n");
  return head;
}

UpstreamFailure Classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return UpstreamFailure::kTimeout;
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
    return UpstreamFailure::kTooLarge;
  }
  if (ec.category() == beast::error_code(bhttp::error::end_of_stream).category()) {
    return UpstreamFailure::kProtocol;
  }
  return UpstreamFailure::kReset;
}

// One keep-alive connection and its read buffer, kept together so the
// buffer is allocated once per connection instead of once per exchange.
struct UpstreamConnection {
  explicit UpstreamConnection(const asio::any_io_executor& executor) : stream(executor) {
    // Beast reads at most the buffer's free capacity (at least 512 bytes) per
    // call, and the body is moved out of the buffer as it is parsed: without
    // room reserved, a 100 KB answer would take some 200 reads.
    buffer.reserve(kReadBufferBytes);
  }
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

}  // namespace

std::string_view UpstreamFailureName(UpstreamFailure f) {
  switch (f) {
    case UpstreamFailure::kNone: return "none";
    case UpstreamFailure::kConnect: return "connect";
    case UpstreamFailure::kTimeout: return "timeout";
    case UpstreamFailure::kReset: return "reset";
    case UpstreamFailure::kProtocol: return "protocol";
    case UpstreamFailure::kTooLarge: return "too_large";
    case UpstreamFailure::kFenced: return "fenced";
  }
  return "unknown";
}

struct UpstreamPool::Impl {
  asio::any_io_executor executor;
  std::string address;
  std::string host;
  std::string port;
  PoolOptions options;
  std::vector<std::unique_ptr<UpstreamConnection>> idle;
  std::vector<tcp::endpoint> endpoints;  // resolved once, on first use

  asio::awaitable<UpstreamResult> Connect(std::unique_ptr<UpstreamConnection>& out,
                                          std::chrono::steady_clock::time_point deadline);
  asio::awaitable<UpstreamResult> Exchange(UpstreamConnection& conn, const UpstreamRequest& req,
                                           std::chrono::steady_clock::time_point deadline,
                                           bool& received_anything, bool& reusable);
};

UpstreamPool::UpstreamPool(asio::any_io_executor executor, std::string address,
                           PoolOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->address = std::move(address);
  impl_->options = options;
  auto colon = impl_->address.rfind(':');
  impl_->host = impl_->address.substr(0, colon);
  impl_->port = colon == std::string::npos ? "80" : impl_->address.substr(colon + 1);
  if (impl_->host.size() > 2 && impl_->host.front() == '[') {
    impl_->host = impl_->host.substr(1, impl_->host.size() - 2);
  }
}

UpstreamPool::~UpstreamPool() { Close(); }

const std::string& UpstreamPool::address() const { return impl_->address; }
size_t UpstreamPool::idle_connections() const { return impl_->idle.size(); }

void UpstreamPool::Close() {
  for (auto& c : impl_->idle) {
    beast::error_code ignored;
    c->stream.socket().close(ignored);
  }
  impl_->idle.clear();
}

asio::awaitable<UpstreamResult> UpstreamPool::Impl::Connect(
    std::unique_ptr<UpstreamConnection>& out, std::chrono::steady_clock::time_point deadline) {
  UpstreamResult result;
  if (endpoints.empty()) {
    beast::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(ip, static_cast<uint16_t>(std::stoul(port)));
    } else {
      tcp::resolver resolver(executor);
      auto [rec, results] = co_await resolver.async_resolve(host, port, kNoThrow);
      if (rec) {
        result.failure = UpstreamFailure::kConnect;
        result.detail = "cannot resolve " + host + ": " + rec.message();
        co_return result;
      }
      for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
  }
  auto conn = std::make_unique<UpstreamConnection>(executor);
  auto now = std::chrono::steady_clock::now();
  auto connect_deadline = std::min(deadline, now + options.connect_timeout);
  conn->stream.expires_at(connect_deadline);
  auto [ec, ep] = co_await conn->stream.async_connect(endpoints, kNoThrow);
  if (ec) {
    result.failure = ec == beast::error::timeout ? UpstreamFailure::kTimeout
                                                 : UpstreamFailure::kConnect;
    result.detail = "cannot connect to " + address + ": " + ec.message();
    co_return result;
  }
  beast::error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  out = std::move(conn);
  co_return result;
}

asio::awaitable<UpstreamResult> UpstreamPool::Impl::Exchange(
    UpstreamConnection& conn, const UpstreamRequest& req,
    std::chrono::steady_clock::time_point deadline, bool& received_anything, bool& reusable) {
  UpstreamResult result;
  received_anything = false;
  reusable = false;
  // The head is written by hand and sent with the body in one gather write:
  // a Beast request message would need its own copy of the body, and every
  // search sends one body per node.
  std::string head = RequestHead(req, address);
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head), asio::buffer(req.body)};
  conn.stream.expires_at(deadline);
  auto [wec, wn] = co_await asio::async_write(conn.stream, buffers, kNoThrow);
  if (wec) {
    result.failure = Classify(wec);
    result.detail = "cannot send to " + address + ": " + wec.message();
    co_return result;
  }
  // The body keeps room for simdjson's padding: the merges parse it in place.
  bhttp::response_parser<detail::PaddedStringBody> parser;
  parser.body_limit(options.max_response_bytes);
  auto [rec, rn] = co_await bhttp::async_read(conn.stream, conn.buffer, parser, kNoThrow);
  received_anything = rn > 0 || conn.buffer.size() > 0;
  if (rec) {
    result.failure = Classify(rec);
    if (rec == bhttp::error::end_of_stream || rec == asio::error::eof) {
      result.failure = received_anything ? UpstreamFailure::kProtocol : UpstreamFailure::kReset;
    }
    result.detail = "bad response from " + address + ": " + rec.message();
    co_return result;
  }
  auto res = parser.release();
  result.response.status = res.result_int();
  for (const auto& field : res) result.response.headers.Add(field.name_string(), field.value());
  result.response.body = std::move(res.body());
  // Bytes past the answer would be read as the next one: not reused then.
  reusable = res.keep_alive() && conn.buffer.size() == 0;
  co_return result;
}

asio::awaitable<UpstreamResult> UpstreamPool::Send(UpstreamRequest request) {
  // Keep the pool state alive across suspension even if the owner goes away.
  std::shared_ptr<Impl> self = impl_;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<UpstreamConnection> conn;
    bool reused = false;
    if (!self->idle.empty()) {
      conn = std::move(self->idle.back());
      self->idle.pop_back();
      reused = true;
    } else {
      UpstreamResult connected = co_await self->Connect(conn, deadline);
      if (!connected.ok()) co_return connected;
    }
    bool received = false, reusable = false;
    UpstreamResult result = co_await self->Exchange(*conn, request, deadline, received, reusable);
    if (result.ok()) {
      if (reusable && self->idle.size() < self->options.max_idle_connections) {
        self->idle.push_back(std::move(conn));
      }
      co_return result;
    }
    // Only a stale keep-alive connection that produced nothing is retried.
    const bool stale = reused && !received && result.failure != UpstreamFailure::kTimeout;
    if (!stale || std::chrono::steady_clock::now() >= deadline) co_return result;
    // The node closed it: most likely it restarted, and every other idle
    // connection to it is just as dead. The retry connects afresh.
    self->idle.clear();
  }
  UpstreamResult exhausted;
  exhausted.failure = UpstreamFailure::kReset;
  exhausted.detail = "connection to " + self->address + " kept failing";
  co_return exhausted;
}

}  // namespace miroir::http
