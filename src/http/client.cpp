#include "miroir/http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace miroir::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Per node exchange; freed when the answer has been parsed.
constexpr size_t kReadBufferBytes = 64 * 1024;

bhttp::verb ToVerb(Method m) {
  switch (m) {
    case Method::kGet: return bhttp::verb::get;
    case Method::kHead: return bhttp::verb::head;
    case Method::kPost: return bhttp::verb::post;
    case Method::kPut: return bhttp::verb::put;
    case Method::kPatch: return bhttp::verb::patch;
    case Method::kDelete: return bhttp::verb::delete_;
    case Method::kOptions: return bhttp::verb::options;
    case Method::kOther: return bhttp::verb::get;
  }
  return bhttp::verb::get;
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

}  // namespace

std::string_view UpstreamFailureName(UpstreamFailure f) {
  switch (f) {
    case UpstreamFailure::kNone: return "none";
    case UpstreamFailure::kConnect: return "connect";
    case UpstreamFailure::kTimeout: return "timeout";
    case UpstreamFailure::kReset: return "reset";
    case UpstreamFailure::kProtocol: return "protocol";
    case UpstreamFailure::kTooLarge: return "too_large";
  }
  return "unknown";
}

struct UpstreamPool::Impl {
  asio::any_io_executor executor;
  std::string address;
  std::string host;
  std::string port;
  PoolOptions options;
  std::vector<std::unique_ptr<beast::tcp_stream>> idle;
  std::vector<tcp::endpoint> endpoints;  // resolved once, on first use

  asio::awaitable<UpstreamResult> Connect(std::unique_ptr<beast::tcp_stream>& out,
                                          std::chrono::steady_clock::time_point deadline);
  asio::awaitable<UpstreamResult> Exchange(beast::tcp_stream& stream, const UpstreamRequest& req,
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
  for (auto& s : impl_->idle) {
    beast::error_code ignored;
    s->socket().close(ignored);
  }
  impl_->idle.clear();
}

asio::awaitable<UpstreamResult> UpstreamPool::Impl::Connect(
    std::unique_ptr<beast::tcp_stream>& out, std::chrono::steady_clock::time_point deadline) {
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
  auto stream = std::make_unique<beast::tcp_stream>(executor);
  auto now = std::chrono::steady_clock::now();
  auto connect_deadline = std::min(deadline, now + options.connect_timeout);
  stream->expires_at(connect_deadline);
  auto [ec, ep] = co_await stream->async_connect(endpoints, kNoThrow);
  if (ec) {
    result.failure = ec == beast::error::timeout ? UpstreamFailure::kTimeout
                                                 : UpstreamFailure::kConnect;
    result.detail = "cannot connect to " + address + ": " + ec.message();
    co_return result;
  }
  beast::error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  out = std::move(stream);
  co_return result;
}

asio::awaitable<UpstreamResult> UpstreamPool::Impl::Exchange(
    beast::tcp_stream& stream, const UpstreamRequest& req,
    std::chrono::steady_clock::time_point deadline, bool& received_anything, bool& reusable) {
  UpstreamResult result;
  received_anything = false;
  reusable = false;
  bhttp::request<bhttp::string_body> out{ToVerb(req.method), req.target, 11};
  out.set(bhttp::field::host, address);
  for (const auto& [name, value] : req.headers.entries()) out.set(name, value);
  if (!req.body.empty()) {
    out.set(bhttp::field::content_type, req.content_type);
    out.body() = req.body;
  }
  out.keep_alive(true);
  out.prepare_payload();

  stream.expires_at(deadline);
  auto [wec, wn] = co_await bhttp::async_write(stream, out, kNoThrow);
  if (wec) {
    result.failure = Classify(wec);
    result.detail = "cannot send to " + address + ": " + wec.message();
    co_return result;
  }
  // Beast reads at most the buffer's free capacity (at least 512 bytes) per
  // call, and the body is moved out of the buffer as it is parsed: without
  // room reserved, a 100 KB answer would take some 200 reads.
  beast::flat_buffer buffer;
  buffer.reserve(kReadBufferBytes);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  received_anything = rn > 0 || buffer.size() > 0;
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
  reusable = res.keep_alive();
  co_return result;
}

asio::awaitable<UpstreamResult> UpstreamPool::Send(UpstreamRequest request) {
  // Keep the pool state alive across suspension even if the owner goes away.
  std::shared_ptr<Impl> self = impl_;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<beast::tcp_stream> stream;
    bool reused = false;
    if (!self->idle.empty()) {
      stream = std::move(self->idle.back());
      self->idle.pop_back();
      reused = true;
    } else {
      UpstreamResult connected = co_await self->Connect(stream, deadline);
      if (!connected.ok()) co_return connected;
    }
    bool received = false, reusable = false;
    UpstreamResult result = co_await self->Exchange(*stream, request, deadline, received, reusable);
    if (result.ok()) {
      if (reusable && self->idle.size() < self->options.max_idle_connections) {
        self->idle.push_back(std::move(stream));
      }
      co_return result;
    }
    // Only a stale keep-alive connection that produced nothing is retried.
    const bool stale = reused && !received && result.failure != UpstreamFailure::kTimeout;
    if (!stale || std::chrono::steady_clock::now() >= deadline) co_return result;
  }
  UpstreamResult exhausted;
  exhausted.failure = UpstreamFailure::kReset;
  exhausted.detail = "connection to " + self->address + " kept failing";
  co_return exhausted;
}

}  // namespace miroir::http
