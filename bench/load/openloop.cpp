// miroir-openloop: an open-loop, fixed-rate HTTP/1.1 load generator.
//
// Requests are scheduled at a fixed rate, request i at t0 + i / rate, whatever
// happened to the earlier ones. Each of N keep-alive connections takes the
// next scheduled request as soon as it is free, waits for its intended time
// if that is still ahead, sends it and reads the answer. Latency is measured
// from the request's *intended* send time, so a slow answer that holds up the
// requests behind it is charged to them too (no coordinated omission, as in
// wrk2 or HdrHistogram's corrected mode). When every connection is busy the
// schedule does not slow down: the backlog shows up as latency.
//
//   miroir-openloop --url http://127.0.0.1:7700/indexes/x/search --rate 2000
//       --duration 10 --connections 16 [--method POST] [--body-file F]
//       [--header 'Content-Type: application/json'] [--warmup 2] [--timeout-ms 2000] [--json]
//
// Only plain http:// on an IP address (the benchmarks run on loopback). One
// thread, one io_context: the generator stays off the cores it measures as
// much as a generator can. Exit status: 0 when every request got a 2xx, 1 when
// some failed or timed out, 2 on bad arguments.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 80;
  std::string target = "/";
  std::string method = "GET";
  std::string body;
  std::vector<std::string> headers;
  unsigned connections = 16;
  double rate = 1000;       // requests per second
  double duration_s = 10;   // measured part
  double warmup_s = 0;      // scheduled and sent, not recorded
  int timeout_ms = 2000;    // per request, connect included
  bool json = false;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "miroir-openloop: %s\n"
               "usage: miroir-openloop --url http://IP:PORT/PATH --rate R --duration S\n"
               "       [--connections N] [--method M] [--body-file F] [--header 'K: V']...\n"
               "       [--warmup S] [--timeout-ms MS] [--json]\n",
               why.c_str());
  std::exit(2);
}

void ParseUrl(const std::string& url, Options& o) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) Usage("only http:// URLs are supported");
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) Usage("the URL needs a port");
  o.host = authority.substr(0, colon);
  o.port = static_cast<unsigned short>(std::stoul(authority.substr(colon + 1)));
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  bool have_url = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) Usage("missing value after " + arg);
    const std::string value = argv[++i];
    try {
      if (arg == "--url") {
        ParseUrl(value, o);
        have_url = true;
      } else if (arg == "--rate") {
        o.rate = std::stod(value);
      } else if (arg == "--duration") {
        o.duration_s = std::stod(value);
      } else if (arg == "--warmup") {
        o.warmup_s = std::stod(value);
      } else if (arg == "--connections") {
        o.connections = static_cast<unsigned>(std::stoul(value));
      } else if (arg == "--method") {
        o.method = value;
      } else if (arg == "--header") {
        o.headers.push_back(value);
      } else if (arg == "--timeout-ms") {
        o.timeout_ms = std::stoi(value);
      } else if (arg == "--body-file") {
        std::ifstream in(value, std::ios::binary);
        if (!in) Usage("cannot read " + value);
        o.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } else {
        Usage("unknown option " + arg);
      }
    } catch (const std::logic_error&) {  // stoul/stod on bad text
      Usage("bad value for " + arg + ": " + value);
    }
  }
  if (!have_url) Usage("--url is required");
  if (o.rate <= 0 || o.duration_s <= 0 || o.warmup_s < 0 || o.connections == 0 ||
      o.timeout_ms <= 0) {
    Usage("rate, duration, connections and timeout must be positive");
  }
  return o;
}

// The request's bytes, serialized once and written as they are.
std::string SerializeRequest(const Options& o) {
  std::string out = o.method + " " + o.target + " HTTP/1.1\r\nHost: " + o.host + ":" +
                    std::to_string(o.port) + "\r\n";
  for (const auto& h : o.headers) out += h + "\r\n";
  if (!o.body.empty() || o.method == "POST" || o.method == "PUT") {
    out += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += o.body;
  return out;
}

// Shared by every connection; one thread, so no locking.
struct Run {
  Options options;
  std::string request;
  tcp::endpoint endpoint;
  Clock::time_point start;        // intended time of request 0
  uint64_t scheduled_total = 0;   // requests in warmup + duration
  uint64_t warmup_requests = 0;   // the first ones, not recorded
  uint64_t next = 0;              // next request to claim
  std::vector<int64_t> latencies_ns;  // recorded requests that got a 2xx
  uint64_t errors = 0;            // recorded requests with no 2xx (status, timeout, I/O)
  uint64_t non_2xx = 0;
  std::map<unsigned, uint64_t> non_2xx_by_status;  // status -> count
  uint64_t reconnects = 0;
  Clock::time_point last_done;

  Clock::time_point Intended(uint64_t i) const {
    const auto offset = std::chrono::duration<double>(static_cast<double>(i) / options.rate);
    return start + std::chrono::duration_cast<Clock::duration>(offset);
  }
};

// One keep-alive connection: claim, wait, send, read, record; reconnect after
// any error.
awaitable<void> Connection(Run& run) {
  auto executor = co_await asio::this_coro::executor;
  const auto timeout = std::chrono::milliseconds(run.options.timeout_ms);
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  asio::steady_timer timer(executor);
  while (run.next < run.scheduled_total) {
    const uint64_t i = run.next++;
    const Clock::time_point intended = run.Intended(i);
    if (Clock::now() < intended) {
      timer.expires_at(intended);
      auto [ignored] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ignored;
    }
    bool ok = false;
    unsigned status = 0;
    if (!stream) {
      stream = std::make_unique<beast::tcp_stream>(executor);
      stream->expires_after(timeout);
      auto [ec] = co_await stream->async_connect(run.endpoint,
                                                 asio::as_tuple(asio::use_awaitable));
      if (ec) stream.reset();
      buffer.clear();
    }
    if (stream) {
      stream->expires_after(timeout);
      auto request_buffer = asio::buffer(run.request);
      auto [wec, written] = co_await asio::async_write(*stream, request_buffer,
                                                       asio::as_tuple(asio::use_awaitable));
      (void)written;
      if (!wec) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(1ull << 30);
        auto [rec, read] = co_await http::async_read(*stream, buffer, parser,
                                                     asio::as_tuple(asio::use_awaitable));
        (void)read;
        if (!rec) {
          status = parser.get().result_int();
          ok = status >= 200 && status < 300;
          if (!parser.keep_alive()) stream.reset();
        } else {
          stream.reset();
        }
      } else {
        stream.reset();
      }
      if (!stream) ++run.reconnects;
    }
    const Clock::time_point done = Clock::now();
    run.last_done = std::max(run.last_done, done);
    if (i < run.warmup_requests) continue;
    if (ok) {
      run.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - intended).count());
    } else {
      ++run.errors;
      if (status != 0) {
        ++run.non_2xx;
        ++run.non_2xx_by_status[status];
      }
    }
  }
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.options = ParseArgs(argc, argv);
  const Options& o = run.options;
  run.request = SerializeRequest(o);
  boost::system::error_code ec;
  run.endpoint = tcp::endpoint(asio::ip::make_address(o.host, ec), o.port);
  if (ec) Usage("the URL's host must be an IP address: " + o.host);
  run.warmup_requests = static_cast<uint64_t>(std::llround(o.warmup_s * o.rate));
  run.scheduled_total =
      run.warmup_requests + static_cast<uint64_t>(std::llround(o.duration_s * o.rate));
  run.latencies_ns.reserve(run.scheduled_total);

  asio::io_context io(1);
  // Give connections a moment to start before request 0 is due, so the first
  // requests are not charged for the coroutines' start-up.
  run.start = Clock::now() + std::chrono::milliseconds(20);
  for (unsigned c = 0; c < o.connections; ++c) {
    asio::co_spawn(io, Connection(run), asio::detached);
  }
  io.run();

  const Clock::time_point measured_start = run.Intended(run.warmup_requests);
  const double elapsed =
      std::chrono::duration<double>(run.last_done - measured_start).count();
  std::vector<int64_t>& lat = run.latencies_ns;
  std::sort(lat.begin(), lat.end());
  const uint64_t completed = lat.size();
  const double throughput = elapsed > 0 ? static_cast<double>(completed) / elapsed : 0;
  auto us = [&](double p) { return Percentile(lat, p) / 1000.0; };
  const double max_us = lat.empty() ? 0 : static_cast<double>(lat.back()) / 1000.0;

  std::string statuses;  // "503":12,"500":1
  for (const auto& [status, count] : run.non_2xx_by_status) {
    if (!statuses.empty()) statuses += ',';
    statuses += "\"" + std::to_string(status) + "\":" + std::to_string(count);
  }
  if (o.json) {
    std::printf(
        "{\"url\":\"http://%s:%u%s\",\"rate\":%.1f,\"connections\":%u,\"duration_s\":%.3f,"
        "\"requests\":%llu,\"errors\":%llu,\"non_2xx\":%llu,\"non_2xx_by_status\":{%s},"
        "\"reconnects\":%llu,"
        "\"throughput\":%.1f,\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
        "\"p99.9\":%.1f,\"max\":%.1f}}\n",
        o.host.c_str(), o.port, o.target.c_str(), o.rate, o.connections, elapsed,
        static_cast<unsigned long long>(completed), static_cast<unsigned long long>(run.errors),
        static_cast<unsigned long long>(run.non_2xx), statuses.c_str(),
        static_cast<unsigned long long>(run.reconnects), throughput, us(50), us(90), us(99),
        us(99.9), max_us);
  } else {
    std::printf("%s %s:%u%s  rate %.0f/s  %u connections  %.2f s\n", o.method.c_str(),
                o.host.c_str(), o.port, o.target.c_str(), o.rate, o.connections, elapsed);
    std::printf("  %llu ok, %llu errors (%llu non-2xx {%s}), %llu reconnects, %.1f req/s\n",
                static_cast<unsigned long long>(completed),
                static_cast<unsigned long long>(run.errors),
                static_cast<unsigned long long>(run.non_2xx), statuses.c_str(),
                static_cast<unsigned long long>(run.reconnects), throughput);
    std::printf("  latency from intended send (us): p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
                "max %.1f\n",
                us(50), us(90), us(99), us(99.9), max_us);
  }
  return run.errors == 0 ? 0 : 1;
}
