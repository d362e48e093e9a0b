// GET /health and GET /version.
#include "common.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

awaitable<http::Response> Health(RequestContext&) {
  co_return JsonResponse(200, OJson{{"status", "available"}});
}

awaitable<http::Response> Version(RequestContext& ctx) {
  // Report the Meilisearch version of a healthy node, so SDKs that adapt to
  // the server version see what they will really talk to.
  auto topology = ctx.services.cluster.topology();
  for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
    if (!ctx.services.cluster.IsHealthy(n)) continue;
    auto result = co_await SendToNode(
        ctx.services, *topology, n,
        MakeRequest(http::Method::kGet, "/version", "", ctx.services.options.search_timeout));
    if (result.ok() && result.response.status == 200) {
      auto body = json::parse(result.response.body, nullptr, false);
      if (body.is_object()) {
        OJson out;
        out["commitSha"] = body.value("commitSha", "unknown");
        out["commitDate"] = body.value("commitDate", "unknown");
        out["pkgVersion"] = body.value("pkgVersion", "unknown");
        out["miroirVersion"] = MIROIR_VERSION;
        co_return JsonResponse(200, out);
      }
    }
  }
  co_return ErrorResponse(Error(ErrorCode::kMiroirShardUnavailable, "No node is reachable."));
}

}  // namespace

void RegisterHealthRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/health", Access::kPublic, "", Health);
  routes.Add(http::Method::kGet, "/version", Access::kAction, "version", Version);
}

}  // namespace miroir::api
