// Writes metrics in the Prometheus text exposition format, version 0.0.4:
// a `# HELP` and `# TYPE` line per family, then one line per sample, label
// values escaped. Families must be written whole, one after another.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "miroir/metrics/instruments.hpp"

namespace miroir::metrics {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class TextWriter {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family. name carries the `miroir_` prefix and, for counters,
  // the `_total` suffix.
  void Family(std::string_view name, std::string_view help, Type type);

  void Sample(std::string_view name, const Labels& labels, double value);
  // The _bucket, _sum and _count samples of one histogram series.
  void HistogramSeries(std::string_view name, const Labels& labels, const Histogram& histogram);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void AppendLabels(const Labels& labels, std::string_view le);
  std::string out_;
};

}  // namespace miroir::metrics
