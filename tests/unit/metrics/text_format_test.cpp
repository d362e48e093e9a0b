#include "miroir/metrics/text_format.hpp"

#include <gtest/gtest.h>

namespace miroir::metrics {
namespace {

TEST(TextWriterTest, WritesHelpTypeAndLabelledSamples) {
  TextWriter w;
  w.Family("miroir_things_total", "Things seen.", TextWriter::Type::kCounter);
  w.Sample("miroir_things_total", {{"kind", "a"}, {"node", "n1"}}, 3);
  w.Sample("miroir_things_total", {}, 0.25);
  EXPECT_EQ(w.text(),
            "# HELP miroir_things_total Things seen.\n"
            "# TYPE miroir_things_total counter\n"
            "miroir_things_total{kind=\"a\",node=\"n1\"} 3\n"
            "miroir_things_total 0.25\n");
}

TEST(TextWriterTest, EscapesLabelValuesAndHelp) {
  TextWriter w;
  w.Family("miroir_x", "line one\nback\\slash \"quoted\"", TextWriter::Type::kGauge);
  w.Sample("miroir_x", {{"route", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(w.text(),
            "# HELP miroir_x line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE miroir_x gauge\n"
            "miroir_x{route=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(TextWriterTest, HistogramSeriesIsCumulativeWithInfSumAndCount) {
  constexpr double kBounds[] = {0.1, 1};
  Histogram h(kBounds);
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  TextWriter w;
  w.HistogramSeries("miroir_d_seconds", {{"node", "n1"}}, h);
  EXPECT_EQ(w.text(),
            "miroir_d_seconds_bucket{node=\"n1\",le=\"0.1\"} 2\n"
            "miroir_d_seconds_bucket{node=\"n1\",le=\"1\"} 3\n"
            "miroir_d_seconds_bucket{node=\"n1\",le=\"+Inf\"} 4\n"
            "miroir_d_seconds_sum{node=\"n1\"} 7.65\n"
            "miroir_d_seconds_count{node=\"n1\"} 4\n");
}

}  // namespace
}  // namespace miroir::metrics
