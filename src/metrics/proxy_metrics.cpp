#include "miroir/metrics/proxy_metrics.hpp"

#include <algorithm>
#include <mutex>

namespace miroir::metrics {
namespace {

std::string_view NodeErrorName(NodeError kind) {
  switch (kind) {
    case NodeError::kConnect: return "connect";
    case NodeError::kTimeout: return "timeout";
    case NodeError::kReset: return "reset";
    case NodeError::kProtocol: return "protocol";
    case NodeError::kTooLarge: return "too_large";
    case NodeError::kServer: return "server_error";
  }
  return "unknown";
}

}  // namespace

RouteMetrics::RouteMetrics(std::string method, std::string route)
    : method_(std::move(method)), route_(std::move(route)) {}

void RouteMetrics::Record(unsigned status, double seconds, bool degraded) {
  if (status < kFirstStatus || status > kLastStatus) status = 500;
  by_status_[status - kFirstStatus].Increment();
  duration_.Observe(seconds);
  if (degraded) degraded_.Increment();
}

void NodeMetrics::RecordAnswer(double seconds) {
  requests_.Increment();
  duration_.Observe(seconds);
}

void NodeMetrics::RecordError(NodeError kind, double seconds) {
  requests_.Increment();
  errors_[static_cast<size_t>(kind)].Increment();
  duration_.Observe(seconds);
}

void NodeMetrics::RecordUnreadable() {
  errors_[static_cast<size_t>(NodeError::kProtocol)].Increment();
}

ProxyMetrics::ProxyMetrics() : unmatched_(std::make_unique<RouteMetrics>("", "unmatched")) {}

RouteMetrics& ProxyMetrics::AddRoute(std::string method, std::string route) {
  routes_.push_back(std::make_unique<RouteMetrics>(std::move(method), std::move(route)));
  return *routes_.back();
}

NodeMetrics& ProxyMetrics::Node(const std::string& node_id) {
  {
    std::shared_lock lock(nodes_mutex_);
    if (auto it = nodes_.find(node_id); it != nodes_.end()) return *it->second;
  }
  std::unique_lock lock(nodes_mutex_);
  auto& entry = nodes_[node_id];
  if (!entry) entry = std::make_unique<NodeMetrics>();
  return *entry;
}

void ProxyMetrics::AddCollector(Collector collector) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.push_back(std::move(collector));
}

std::string ProxyMetrics::Render() const {
  using Type = TextWriter::Type;
  TextWriter w;
  std::vector<const RouteMetrics*> routes;
  for (const auto& r : routes_) routes.push_back(r.get());
  routes.push_back(unmatched_.get());

  w.Family("miroir_http_requests_total", "Client requests answered, by route template, method and status.",
           Type::kCounter);
  for (const RouteMetrics* r : routes) {
    for (unsigned s = RouteMetrics::kFirstStatus; s <= RouteMetrics::kLastStatus; ++s) {
      const uint64_t n = r->by_status_[s - RouteMetrics::kFirstStatus].value();
      if (n == 0) continue;
      const std::string status = std::to_string(s);
      w.Sample("miroir_http_requests_total",
               {{"method", r->method_}, {"route", r->route_}, {"status", status}},
               static_cast<double>(n));
    }
  }
  w.Family("miroir_http_request_duration_seconds",
           "Time from a parsed request to its response, by route template and method.",
           Type::kHistogram);
  for (const RouteMetrics* r : routes) {
    if (r->duration_.Read().cumulative_counts.back() == 0) continue;
    w.HistogramSeries("miroir_http_request_duration_seconds",
                      {{"method", r->method_}, {"route", r->route_}}, r->duration_);
  }
  w.Family("miroir_degraded_responses_total",
           "Responses sent with X-Miroir-Degraded: partial results or writes that missed a "
           "replica.",
           Type::kCounter);
  for (const RouteMetrics* r : routes) {
    if (r->degraded_.value() == 0) continue;
    w.Sample("miroir_degraded_responses_total", {{"method", r->method_}, {"route", r->route_}},
             static_cast<double>(r->degraded_.value()));
  }
  w.Family("miroir_http_requests_in_flight", "Client requests being handled now.", Type::kGauge);
  w.Sample("miroir_http_requests_in_flight", {}, static_cast<double>(in_flight_.value()));

  w.Family("miroir_scatter_fanout_nodes", "Nodes addressed by one round of a scatter.",
           Type::kHistogram);
  w.HistogramSeries("miroir_scatter_fanout_nodes", {}, fan_out_);
  w.Family("miroir_scatter_retries_total",
           "Read rounds re-sent to other replicas after nodes failed.", Type::kCounter);
  w.Sample("miroir_scatter_retries_total", {}, static_cast<double>(scatter_retries_.value()));

  {
    std::shared_lock lock(nodes_mutex_);
    w.Family("miroir_node_requests_total", "Requests sent to each node.", Type::kCounter);
    for (const auto& [id, n] : nodes_) {
      w.Sample("miroir_node_requests_total", {{"node", id}},
               static_cast<double>(n->requests_.value()));
    }
    w.Family("miroir_node_errors_total",
             "Node requests without a usable answer, by node and kind (5xx is server_error).",
             Type::kCounter);
    for (const auto& [id, n] : nodes_) {
      for (NodeError kind : kNodeErrors) {
        w.Sample("miroir_node_errors_total", {{"node", id}, {"kind", NodeErrorName(kind)}},
                 static_cast<double>(n->errors_[static_cast<size_t>(kind)].value()));
      }
    }
    w.Family("miroir_node_request_duration_seconds", "Time of each node request, by node.",
             Type::kHistogram);
    for (const auto& [id, n] : nodes_) {
      w.HistogramSeries("miroir_node_request_duration_seconds", {{"node", id}}, n->duration_);
    }
  }
  {
    std::lock_guard lock(tasks_mutex_);
    w.Family("miroir_tasks",
             "Miroir tasks in the registry by status, as the task reconciler last counted them.",
             Type::kGauge);
    w.Family("miroir_task_oldest_unfinished_age_seconds",
             "Age of the oldest enqueued or processing Miroir task; 0 when there is none.",
             Type::kGauge);
    if (tasks_) {
      for (const auto& [status, count] : tasks_->by_status) {
        w.Sample("miroir_tasks", {{"status", status}}, static_cast<double>(count));
      }
      double age = 0;
      if (tasks_->oldest_unfinished) {
        const std::chrono::duration<double> d =
            std::chrono::system_clock::now() - *tasks_->oldest_unfinished;
        age = std::max(0.0, d.count());
      }
      w.Sample("miroir_task_oldest_unfinished_age_seconds", {}, age);
    }
  }
  std::lock_guard lock(collectors_mutex_);
  for (const auto& collect : collectors_) collect(w);
  return w.Take();
}

void ProxyMetrics::SetTaskRegistry(TaskRegistrySample sample) {
  std::lock_guard lock(tasks_mutex_);
  tasks_ = std::move(sample);
}

}  // namespace miroir::metrics
