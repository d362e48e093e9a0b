#include "miroir/metrics/text_format.hpp"

#include <charconv>
#include <cmath>

namespace miroir::metrics {
namespace {

// Shortest round-trip form; Prometheus's own spellings for the specials.
void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    out.append(buffer, end);
  }
}

// HELP text escapes backslash and newline; label values also the quote.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void TextWriter::Family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  AppendEscaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  switch (type) {
    case Type::kCounter: out_ += " counter\n"; break;
    case Type::kGauge: out_ += " gauge\n"; break;
    case Type::kHistogram: out_ += " histogram\n"; break;
  }
}

void TextWriter::AppendLabels(const Labels& labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += name;
    out_ += "=\"";
    AppendEscaped(out_, value, true);
    out_ += '"';
  }
  if (!le.empty()) {
    if (!first) out_ += ',';
    out_ += "le=\"";
    out_ += le;
    out_ += '"';
  }
  out_ += '}';
}

void TextWriter::Sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  AppendLabels(labels, {});
  out_ += ' ';
  AppendNumber(out_, value);
  out_ += '\n';
}

void TextWriter::HistogramSeries(std::string_view name, const Labels& labels,
                                 const Histogram& histogram) {
  const auto snapshot = histogram.Read();
  std::string bucket_name(name);
  bucket_name += "_bucket";
  for (size_t i = 0; i <= snapshot.upper_bounds.size(); ++i) {
    std::string le;
    if (i < snapshot.upper_bounds.size()) {
      AppendNumber(le, snapshot.upper_bounds[i]);
    } else {
      le = "+Inf";
    }
    out_ += bucket_name;
    AppendLabels(labels, le);
    out_ += ' ';
    AppendNumber(out_, static_cast<double>(snapshot.cumulative_counts[i]));
    out_ += '\n';
  }
  Sample(std::string(name) + "_sum", labels, snapshot.sum);
  Sample(std::string(name) + "_count", labels,
         static_cast<double>(snapshot.cumulative_counts.back()));
}

}  // namespace miroir::metrics
