// Miroir's routing table: every route, with the permission it needs, in one
// list (src/api/routes.cpp registers each resource's routes).
//
// A route's auth is declared, not coded in the handler: the dispatcher checks
// it before the handler runs, so no route can reach a node unauthenticated.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "miroir/api/auth.hpp"
#include "miroir/http/message.hpp"
#include "miroir/metrics/proxy_metrics.hpp"

namespace miroir::api {

struct Services;

// Everything a handler gets about its request.
struct RequestContext {
  const http::Request& request;
  http::QueryParams query;
  std::vector<std::string> params;  // the {captured} path segments, in order
  Grant grant;
  Services& services;
};

using Handler = std::function<boost::asio::awaitable<http::Response>(RequestContext&)>;

enum class Access {
  kPublic,   // no key needed (GET /health)
  kAction,   // a Meilisearch action, optionally scoped to the {index} parameter
  kAdmin,    // Miroir's admin key (/_miroir/*)
  kHandler,  // the handler authorizes itself (multi-search: one index per query)
};

struct Route {
  http::Method method;
  std::string path_template;         // "/indexes/{index}/search", the metrics label
  std::vector<std::string> pattern;  // segments; "{name}" captures one
  Access access = Access::kAction;
  std::string action;                // for kAction
  int index_param = -1;              // which capture is the index uid, or -1
  Handler handler;
  metrics::RouteMetrics* metrics = nullptr;  // set by AttachMetrics
};

class RouteTable {
 public:
  // pattern like "/indexes/{index}/search"; a capture named "index" scopes
  // the action to that index.
  void Add(http::Method method, std::string_view pattern, Access access, std::string action,
           Handler handler);

  struct Match {
    const Route* route = nullptr;
    std::vector<std::string> params;
    bool path_known = false;  // some route has this path (405 rather than 404)
  };
  Match Find(http::Method method, const std::vector<std::string>& segments) const;

  // Gives every route its entry in metrics. Call once, after the last Add.
  void AttachMetrics(metrics::ProxyMetrics& metrics);

 private:
  std::vector<Route> routes_;
};

}  // namespace miroir::api
