#include "miroir/api/route_table.hpp"

namespace miroir::api {

void RouteTable::Add(http::Method method, std::string_view pattern, Access access,
                     std::string action, Handler handler) {
  Route r;
  r.method = method;
  r.path_template = std::string(pattern);
  r.access = access;
  r.action = std::move(action);
  r.handler = std::move(handler);
  int capture = 0;
  for (auto& segment : http::SplitPath(pattern)) {
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      if (segment == "{index}") r.index_param = capture;
      ++capture;
    }
    r.pattern.push_back(std::move(segment));
  }
  routes_.push_back(std::move(r));
}

RouteTable::Match RouteTable::Find(http::Method method,
                                   const std::vector<std::string>& segments) const {
  Match m;
  // HEAD is answered by the GET route, without a body.
  const http::Method wanted = method == http::Method::kHead ? http::Method::kGet : method;
  for (const auto& r : routes_) {
    if (r.pattern.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool matches = true;
    for (size_t i = 0; i < segments.size() && matches; ++i) {
      const std::string& p = r.pattern[i];
      if (p.front() == '{') {
        params.push_back(segments[i]);
      } else {
        matches = p == segments[i];
      }
    }
    if (!matches) continue;
    m.path_known = true;
    if (r.method == wanted) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

void RouteTable::AttachMetrics(metrics::ProxyMetrics& metrics) {
  for (auto& r : routes_) {
    r.metrics = &metrics.AddRoute(std::string(http::MethodName(r.method)), r.path_template);
  }
}

}  // namespace miroir::api
