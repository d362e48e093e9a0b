// The three Prometheus instrument kinds Miroir records on its request path:
// Counter, Gauge and Histogram. Each is a handful of relaxed atomics, so
// recording takes no lock and no allocation (ARCHITECTURE §8); reading them
// for a scrape sees a slightly torn but monotone picture, which Prometheus
// tolerates by design.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace miroir::metrics {

class Counter {
 public:
  void Increment(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed upper bounds chosen at construction; observations above the last
// bound land in the implicit +Inf bucket.
class Histogram {
 public:
  explicit Histogram(std::span<const double> upper_bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Bucket sets shared by Miroir's histograms.
inline constexpr double kLatencySecondsBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,  0.1,    0.25,  0.5,
                                                     1,      2.5,   5,      10};
inline constexpr double kFanOutBuckets[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64};

}  // namespace miroir::metrics
