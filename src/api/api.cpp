#include "miroir/api/api.hpp"

#include <chrono>

#include "common.hpp"
#include "index_ops.hpp"
#include "resources.hpp"

namespace miroir::api {

struct Api::Impl {
  explicit Impl(Services s) : services(std::move(s)) {}
  // Authorizes the matched route and runs its handler.
  awaitable<http::Response> Dispatch(const http::Request& request, RouteTable::Match& match);

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

}  // namespace

awaitable<http::Response> Api::Handle(http::Request request) {
  const auto started = std::chrono::steady_clock::now();
  metrics::ProxyMetrics& metrics = impl_->services.metrics;
  InFlight in_flight(metrics.in_flight());
  const auto segments = http::SplitPath(request.path());
  auto match = impl_->routes.Find(request.method, segments);
  metrics::RouteMetrics& route_metrics =
      match.route ? *match.route->metrics : metrics.unmatched();
  http::Response response = co_await impl_->Dispatch(request, match);
  if (request.method == http::Method::kHead) response.body.clear();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  route_metrics.Record(response.status, elapsed.count(),
                       !response.headers.Get("X-Miroir-Degraded").empty());
  co_return response;
}

awaitable<http::Response> Api::Impl::Dispatch(const http::Request& request,
                                              RouteTable::Match& match) {
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
  if (services.options.shared_store && WritesNodes(route)) {
    // The task that records this write needs the store afterwards: with the
    // store unreachable, refuse before any node is touched rather than
    // leave data on the nodes that the client was told was refused.
    auto reachable = co_await StorePing(services);
    if (!reachable) co_return ErrorResponse(reachable.error());
  }
  if (route.index_param >= 0) {
    auto learned = co_await LearnIndex(services, match.params[route.index_param]);
    if (!learned) co_return ErrorResponse(learned.error());
  }
  RequestContext context{request, http::QueryParams(request.query()), std::move(match.params),
                         std::move(grant), services};
  co_return co_await route.handler(context);
}

}  // namespace miroir::api
