// Fuzzes HTTP request parsing and routing: the bytes a client sends go
// through Beast's request parser set up as Miroir's server sets it up
// (src/http/server.cpp: the padded body type, the header and body limits),
// then become an http::Request as the server builds it; its path is split
// and looked up in a route table shaped like Miroir's (api/*.cpp), and the
// query string of GET /search and GET /documents becomes the POST body that
// search rewriting reads (meili/query_params.hpp).
//
// Input: raw bytes of one or more pipelined HTTP/1.1 requests.
//
// Invariants beyond "no crash":
//  - a request's path is the start of its target, its query what follows '?';
//  - a route found matches the path segment by segment, captures one
//    parameter per {capture}, and has the method asked (HEAD: GET);
//  - percent-decoding never lengthens text; query names and values are
//    valid UTF-8 (bytes that are not become U+FFFD);
//  - the body made from GET /search's parameters is valid JSON that search
//    rewriting accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "fuzz_util.hpp"
#include "http/padded_body.hpp"
#include "miroir/api/route_table.hpp"
#include "miroir/core/search_rewrite.hpp"
#include "miroir/http/message.hpp"
#include "miroir/meili/query_params.hpp"

namespace {

using namespace miroir;
namespace bhttp = boost::beast::http;
using http::Method;

// Small limits, so the fuzzer reaches them (the server's defaults are
// 64 KiB of headers and 100 MiB of body: config.hpp).
constexpr uint32_t kHeaderLimit = 2048;
constexpr uint64_t kBodyLimit = 4096;

// The shapes of Miroir's routes (src/api/*.cpp register them): literal
// paths, captures, the same path under several methods, literal routes
// before captures of the same position. Handlers are not called here.
const api::RouteTable& Routes() {
  static const api::RouteTable* table = [] {
    auto* t = new api::RouteTable;
    const std::pair<Method, const char*> routes[] = {
        {Method::kGet, "/health"},
        {Method::kGet, "/version"},
        {Method::kPost, "/_miroir/nodes"},
        {Method::kPost, "/_miroir/nodes/{id}/drain"},
        {Method::kDelete, "/_miroir/nodes/{id}"},
        {Method::kGet, "/_miroir/topology"},
        {Method::kPost, "/_miroir/migrations/pause"},
        {Method::kGet, "/keys"},
        {Method::kPost, "/keys"},
        {Method::kGet, "/keys/{key}"},
        {Method::kPatch, "/keys/{key}"},
        {Method::kDelete, "/keys/{key}"},
        {Method::kGet, "/tasks"},
        {Method::kPost, "/tasks/cancel"},
        {Method::kGet, "/tasks/{uid}"},
        {Method::kGet, "/stats"},
        {Method::kGet, "/indexes/{index}/stats"},
        {Method::kGet, "/indexes/{index}/search"},
        {Method::kPost, "/indexes/{index}/search"},
        {Method::kPost, "/indexes/{index}/facet-search"},
        {Method::kPost, "/multi-search"},
        {Method::kGet, "/indexes/{index}/documents"},
        {Method::kPost, "/indexes/{index}/documents"},
        {Method::kPut, "/indexes/{index}/documents"},
        {Method::kPost, "/indexes/{index}/documents/fetch"},
        {Method::kPost, "/indexes/{index}/documents/delete-batch"},
        {Method::kGet, "/indexes/{index}/documents/{id}"},
        {Method::kDelete, "/indexes/{index}/documents/{id}"},
        {Method::kGet, "/indexes/{index}/settings"},
        {Method::kGet, "/indexes/{index}/settings/{setting}"},
        {Method::kPatch, "/indexes/{index}/settings/{setting}"},
        {Method::kGet, "/indexes"},
        {Method::kPost, "/indexes"},
        {Method::kGet, "/indexes/{index}"},
        {Method::kPatch, "/indexes/{index}"},
        {Method::kDelete, "/indexes/{index}"},
        {Method::kPost, "/swap-indexes"},
    };
    for (const auto& [method, pattern] : routes) {
      t->Add(method, pattern, api::Access::kAction, "search", nullptr);
    }
    return t;
  }();
  return *table;
}

void CheckRoute(const http::Request& req, const std::vector<std::string>& segments) {
  const auto match = Routes().Find(req.method, segments);
  if (!match.route) return;
  const api::Route& route = *match.route;
  FUZZ_CHECK(match.path_known, req.target);
  FUZZ_CHECK(route.method == (req.method == Method::kHead ? Method::kGet : req.method),
             req.target);
  FUZZ_CHECK(route.pattern.size() == segments.size(), req.target);
  size_t captures = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (route.pattern[i].front() == '{') {
      FUZZ_CHECK(captures < match.params.size() && match.params[captures] == segments[i],
                 req.target);
      ++captures;
    } else {
      FUZZ_CHECK(route.pattern[i] == segments[i], req.target);
    }
  }
  FUZZ_CHECK(captures == match.params.size(), req.target);

  if (route.path_template == "/indexes/{index}/search" && req.method == Method::kGet) {
    auto body = meili::SearchQueryFromParams(http::QueryParams(req.query()));
    if (!body) {
      FUZZ_CHECK(!body.error().message.empty(), "empty error");
      return;
    }
    const std::string text = body->dump();
    FUZZ_CHECK(fuzz::IsJsonObject(text), text);
    auto info = AnalyzeSearchRequest(text);
    FUZZ_CHECK(info.has_value(), text + " -> " + info.error().message);
  }
  if (route.path_template == "/indexes/{index}/documents" && req.method == Method::kGet) {
    auto body = meili::DocumentsQueryFromParams(http::QueryParams(req.query()));
    if (body) FUZZ_CHECK(body->is_object(), body->dump());
  }
}

void CheckRequest(const http::Request& req) {
  const std::string_view path = req.path();
  const std::string_view query = req.query();
  FUZZ_CHECK(std::string_view(req.target).starts_with(path), req.target);
  if (!query.empty()) {
    FUZZ_CHECK(req.target.size() == path.size() + 1 + query.size(), req.target);
    FUZZ_CHECK(req.target[path.size()] == '?', req.target);
  }
  const std::vector<std::string> segments = http::SplitPath(path);
  for (const auto& s : segments) FUZZ_CHECK(s.size() <= path.size(), req.target);
  FUZZ_CHECK(http::PercentDecode(query, true).size() <= query.size(), req.target);
  const http::QueryParams params(query);
  for (const auto& [name, value] : params.entries()) {
    FUZZ_CHECK(simdjson::validate_utf8(name.data(), name.size()), req.target);
    FUZZ_CHECK(simdjson::validate_utf8(value.data(), value.size()), req.target);
    FUZZ_CHECK(params.Get(name) != nullptr, name);
  }
  for (const auto& [name, value] : req.headers.entries()) {
    FUZZ_CHECK(req.headers.Has(name), name);
  }
  CheckRoute(req, segments);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::asio::const_buffer input(data, size);
  // Pipelined requests, each with a fresh parser as the server's loop has.
  for (int requests = 0; input.size() > 0 && requests < 8; ++requests) {
    bhttp::request_parser<http::detail::PaddedStringBody> parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(kHeaderLimit);
    parser.eager(true);
    // As the server's reads: the parser takes what it can, until the
    // message is done, fails, or the bytes run out (then the peer closed).
    boost::beast::error_code ec;
    size_t used = 0;
    while (!parser.is_done()) {
      const size_t n = parser.put(input, ec);
      input += n;
      used += n;
      if (ec == bhttp::error::need_more) {
        parser.put_eof(ec);
        break;
      }
      if (ec || n == 0) break;
    }
    if (ec || !parser.is_done()) return 0;

    auto beast_req = parser.release();
    http::Request req;
    req.method = http::MethodFromName(beast_req.method_string());
    req.target = std::string(beast_req.target());
    for (const auto& field : beast_req) req.headers.Add(field.name_string(), field.value());
    req.body = std::move(beast_req.body());
    CheckRequest(req);
    if (used == 0) return 0;
  }
  return 0;
}
