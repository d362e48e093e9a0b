#include "miroir/api/api.hpp"

#include "common.hpp"
#include "resources.hpp"

namespace miroir::api {

struct Api::Impl {
  explicit Impl(Services s) : services(std::move(s)) {}
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
}

Api::~Api() = default;

awaitable<http::Response> Api::Handle(http::Request request) {
  const auto segments = http::SplitPath(request.path());
  auto match = impl_->routes.Find(request.method, segments);
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
      auto ok = impl_->services.auth.AuthorizeAdmin(authorization);
      if (!ok) co_return ErrorResponse(ok.error());
      break;
    }
    case Access::kAction: {
      std::optional<std::string_view> index;
      if (route.index_param >= 0) index = match.params[route.index_param];
      auto granted = impl_->services.auth.Authorize(authorization, route.action, index);
      if (!granted) co_return ErrorResponse(granted.error());
      grant = std::move(*granted);
      break;
    }
  }
  RequestContext context{request, http::QueryParams(request.query()), std::move(match.params),
                         std::move(grant), impl_->services};
  http::Response response = co_await route.handler(context);
  if (request.method == http::Method::kHead) response.body.clear();
  co_return response;
}

}  // namespace miroir::api
