#include "miroir/api/api.hpp"

#include <chrono>
#include <random>

#include "common.hpp"
#include "index_ops.hpp"
#include "miroir/core/json_depth.hpp"
#include "miroir/log/log.hpp"
#include "resources.hpp"
#include "task_refresh.hpp"

namespace miroir::api {

struct Api::Impl {
  explicit Impl(Services s) : services(std::move(s)) {}
  // Authorizes the matched route and runs its handler with `request_services`
  // (this request's copy of the services).
  awaitable<http::Response> Dispatch(const http::Request& request, RouteTable::Match& match,
                                     Services& request_services);

  Services services;
  RouteTable routes;
};

Api::Api(Services services) : impl_(std::make_unique<Impl>(std::move(services))) {
  // The one list of every route Miroir serves; literal routes come before
  // the ones that capture the same position.
  RegisterHealthRoutes(impl_->routes);
  RegisterAdminRoutes(impl_->routes);
  RegisterKeyRoutes(impl_->routes);
  RegisterTaskRoutes(impl_->routes);
  RegisterStatsRoutes(impl_->routes);
  RegisterSearchRoutes(impl_->routes);
  RegisterDocumentRoutes(impl_->routes);
  RegisterSettingsRoutes(impl_->routes);
  RegisterIndexRoutes(impl_->routes);
  impl_->routes.AttachMetrics(impl_->services.metrics);
}

Api::~Api() = default;

namespace {

// Keeps the in-flight gauge true however the handler's coroutine ends.
class InFlight {
 public:
  explicit InFlight(metrics::Gauge& gauge) : gauge_(gauge) { gauge_.Add(1); }
  ~InFlight() { gauge_.Add(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  metrics::Gauge& gauge_;
};

// Whether a route sends writes to the nodes (and so records a task).
bool WritesNodes(const Route& route) {
  if (route.access != Access::kAction && route.access != Access::kHandler) return false;
  switch (route.method) {
    case http::Method::kPost:
    case http::Method::kPut:
    case http::Method::kPatch:
    case http::Method::kDelete:
      break;
    default:
      return false;
  }
  // POSTed reads, and keys (which live in the store alone).
  return route.action != "search" && route.action != "documents.get" &&
         !route.action.starts_with("keys.");
}

// A client's X-Request-Id is kept when it is 1-128 visible ASCII characters
// without quotes or backslashes (so it is safe in a header and a log line).
bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '"' && c != '\\';
  });
}

// 16 hex digits from a per-thread generator: unique enough to find one
// request's lines across instances and nodes, and cheap.
std::string NewRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = generator();
  std::string id(16, '0');
  for (char& c : id) {
    c = kHex[bits & 15];
    bits >>= 4;
  }
  return id;
}

}  // namespace

awaitable<http::Response> Api::Handle(http::Request request) {
  const auto started = std::chrono::steady_clock::now();
  metrics::ProxyMetrics& metrics = impl_->services.metrics;
  InFlight in_flight(metrics.in_flight());
  Services request_services = impl_->services;
  const std::string_view client_id = request.headers.Get("x-request-id");
  request_services.request_id =
      UsableRequestId(client_id) ? std::string(client_id) : NewRequestId();
  const auto segments = http::SplitPath(request.path());
  auto match = impl_->routes.Find(request.method, segments);
  metrics::RouteMetrics& route_metrics =
      match.route ? *match.route->metrics : metrics.unmatched();
  const Route* route = match.route;
  http::Response response = co_await impl_->Dispatch(request, match, request_services);
  if (request.method == http::Method::kHead) response.body.clear();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  const bool degraded = !response.headers.Get("X-Miroir-Degraded").empty();
  route_metrics.Record(response.status, elapsed.count(), degraded);
  response.headers.Set("X-Request-Id", request_services.request_id);
  // Every request at debug; the ones that failed on Miroir's side, or were
  // answered from part of the shards, at warn.
  const log::Level level =
      response.status >= 500 || degraded ? log::Level::kWarn : log::Level::kDebug;
  if (log::Enabled(level)) {
    log::Line(level, "request")
        .Str("request_id", request_services.request_id)
        .Str("method", http::MethodName(request.method))
        .Str("route", route ? std::string_view(route->path_template) : "unmatched")
        .Str("path", request.path())
        .Uint("status", response.status)
        .Num("seconds", elapsed.count())
        .Bool("degraded", degraded)
        .Str("remote", request.remote_address);
  }
  co_return response;
}

awaitable<void> Api::ReconcileTasks() {
  Services& services = impl_->services;
  co_await RefreshUnfinishedTasks(services, 1000);
  auto counted = co_await StoreCountTasks(services);
  if (!counted) {
    log::Warn("task registry count failed").Str("error", counted.error().message);
    co_return;
  }
  services.metrics.SetTaskRegistry(std::move(*counted));
}

awaitable<http::Response> Api::Impl::Dispatch(const http::Request& request,
                                              RouteTable::Match& match,
                                              Services& request_services) {
  if (!match.route) {
    co_return ErrorResponse(
        match.path_known
            ? Error(ErrorCode::kMethodNotAllowed, "This method is not allowed on this route.")
            : Error(ErrorCode::kRouteNotFound,
                    "Miroir does not serve `" + std::string(request.path()) + "`."));
  }
  const Route& route = *match.route;
  Grant grant;
  const std::string_view authorization = request.headers.Get("authorization");
  switch (route.access) {
    case Access::kPublic:
    case Access::kHandler:
      break;
    case Access::kAdmin: {
      auto ok = services.auth.AuthorizeAdmin(authorization);
      if (!ok) co_return ErrorResponse(ok.error());
      break;
    }
    case Access::kAction: {
      std::optional<std::string_view> index;
      if (route.index_param >= 0) index = match.params[route.index_param];
      auto granted = services.auth.Authorize(authorization, route.action, index);
      if (!granted) co_return ErrorResponse(granted.error());
      grant = std::move(*granted);
      break;
    }
  }
  // Document bodies go to a parser without recursion (and nodes judge them);
  // every other body is refused past the depth limit before anything reads it.
  if (!request.body.empty() && route.action != "documents.add" &&
      JsonNestsDeeperThan(request.body, services.options.max_json_depth)) {
    co_return ErrorResponse(Error(
        ErrorCode::kMiroirLimitExceeded,
        "The JSON payload nests deeper than the limit of " +
            std::to_string(services.options.max_json_depth) + " levels (limits.max_json_depth)."));
  }
  if (services.options.shared_store && WritesNodes(route) && services.cluster.WritesFenced()) {
    // See meili::Cluster::FenceWritesAfter.
    co_return ErrorResponse(Error(
        ErrorCode::kMiroirStoreUnavailable,
        "This Miroir instance has not renewed its membership in the coordination store in "
        "time, so it may have missed a topology change; it refuses writes until it has."));
  }
  if (services.options.shared_store && WritesNodes(route)) {
    // The task that records this write needs the store afterwards: with the
    // store unreachable, refuse before any node is touched rather than
    // leave data on the nodes that the client was told was refused.
    auto reachable = co_await StorePing(request_services);
    if (!reachable) co_return ErrorResponse(reachable.error());
  }
  if (route.index_param >= 0) {
    auto learned = co_await LearnIndex(request_services, match.params[route.index_param]);
    if (!learned) co_return ErrorResponse(learned.error());
  }
  RequestContext context{request, http::QueryParams(request.query()), std::move(match.params),
                         std::move(grant), request_services};
  co_return co_await route.handler(context);
}

}  // namespace miroir::api
