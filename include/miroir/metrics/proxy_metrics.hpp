// Miroir's metric set, all prefixed `miroir_`: what a request cost and how it
// ended (per route template), what each node call cost, how wide scatters
// went. The Api records into it on every request; a scrape renders it in the
// Prometheus text format together with gauges other components compute at
// scrape time (node health, ...) through collectors.
//
// Routes are registered once at start-up and recorded through the returned
// reference, so the request path only touches atomics. Node entries are
// created on first use and never removed (a node's series outlives its
// removal until restart, as Prometheus expects of counters).
//
// Thread-safety: everything may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "miroir/metrics/instruments.hpp"
#include "miroir/metrics/text_format.hpp"

namespace miroir::metrics {

// One route template ("/indexes/{index}/search") and method.
class RouteMetrics {
 public:
  RouteMetrics(std::string method, std::string route);

  void Record(unsigned status, double seconds, bool degraded);

 private:
  friend class ProxyMetrics;
  static constexpr unsigned kFirstStatus = 100, kLastStatus = 599;
  std::string method_, route_;
  std::array<Counter, kLastStatus - kFirstStatus + 1> by_status_;
  Histogram duration_{kLatencySecondsBuckets};
  Counter degraded_;
};

// Why a node call produced no usable answer.
enum class NodeError { kConnect, kTimeout, kReset, kProtocol, kTooLarge, kServer };
inline constexpr std::array kNodeErrors = {NodeError::kConnect,  NodeError::kTimeout,
                                           NodeError::kReset,    NodeError::kProtocol,
                                           NodeError::kTooLarge, NodeError::kServer};

class NodeMetrics {
 public:
  // A call that got an answer (any status below 500).
  void RecordAnswer(double seconds);
  void RecordError(NodeError kind, double seconds);
  // An answer already recorded that turned out unreadable (a merge could
  // not parse it): one more `protocol` error, not one more request.
  void RecordUnreadable();

 private:
  friend class ProxyMetrics;
  Counter requests_;
  std::array<Counter, kNodeErrors.size()> errors_;
  Histogram duration_{kLatencySecondsBuckets};
};

// The task registry as the task reconciler last counted it.
struct TaskRegistrySample {
  // Tasks per status, by Meilisearch's status names.
  std::vector<std::pair<std::string, uint64_t>> by_status;
  // When the oldest enqueued or processing task was enqueued; none: empty.
  std::optional<std::chrono::system_clock::time_point> oldest_unfinished;
};

class ProxyMetrics {
 public:
  ProxyMetrics();

  // Start-up only: one entry per route; the reference stays valid.
  RouteMetrics& AddRoute(std::string method, std::string route);
  // Requests no route matched, recorded under route="unmatched".
  RouteMetrics& unmatched() { return *unmatched_; }

  NodeMetrics& Node(const std::string& node_id);

  Gauge& in_flight() { return in_flight_; }
  // How many nodes one round of a scatter (read or write) addressed.
  void RecordFanOut(size_t nodes) { fan_out_.Observe(static_cast<double>(nodes)); }
  // A read round re-sent to other replicas after nodes failed.
  void RecordScatterRetry() { scatter_retries_.Increment(); }
  // Hinted handoff on the request path: hints stored, and hints not stored
  // because the node's queue was full (or the store failed). The hint
  // replayer's own counts are written by the application's collector, with these.
  Counter& hints_stored() { return hints_stored_; }
  Counter& hints_not_stored() { return hints_not_stored_; }

  // Replaces the registry sample behind miroir_tasks and
  // miroir_task_oldest_unfinished_age_seconds (the age is taken at scrape
  // time). Before the first sample both families are written without samples.
  void SetTaskRegistry(TaskRegistrySample sample);

  // Collectors write whole families computed at scrape time.
  using Collector = std::function<void(TextWriter&)>;
  void AddCollector(Collector collector);

  // The whole exposition, in the text format.
  std::string Render() const;

 private:
  std::vector<std::unique_ptr<RouteMetrics>> routes_;  // fixed after start-up
  std::unique_ptr<RouteMetrics> unmatched_;
  mutable std::shared_mutex nodes_mutex_;
  std::map<std::string, std::unique_ptr<NodeMetrics>, std::less<>> nodes_;
  Gauge in_flight_;
  Histogram fan_out_{kFanOutBuckets};
  Counter scatter_retries_;
  Counter hints_stored_;
  Counter hints_not_stored_;
  mutable std::mutex tasks_mutex_;
  std::optional<TaskRegistrySample> tasks_;
  mutable std::mutex collectors_mutex_;
  std::vector<Collector> collectors_;
};

}  // namespace miroir::metrics
