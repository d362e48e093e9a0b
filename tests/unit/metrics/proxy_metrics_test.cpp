#include "miroir/metrics/proxy_metrics.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace miroir::metrics {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ProxyMetricsTest, CountsRequestsByRouteAndStatus) {
  ProxyMetrics m;
  RouteMetrics& search = m.AddRoute("POST", "/indexes/{index}/search");
  search.Record(200, 0.002, false);
  search.Record(200, 0.003, true);
  search.Record(404, 0.001, false);
  m.unmatched().Record(404, 0.0001, false);
  const std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "miroir_http_requests_total{method=\"POST\",route=\"/indexes/"
                             "{index}/search\",status=\"200\"} 2"));
  EXPECT_TRUE(Contains(text, "miroir_http_requests_total{method=\"POST\",route=\"/indexes/"
                             "{index}/search\",status=\"404\"} 1"));
  EXPECT_TRUE(Contains(text,
                       "miroir_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"} 1"));
  EXPECT_TRUE(Contains(text, "miroir_degraded_responses_total{method=\"POST\",route=\"/indexes/"
                             "{index}/search\"} 1"));
  EXPECT_TRUE(Contains(text, "miroir_http_request_duration_seconds_count{method=\"POST\",route="
                             "\"/indexes/{index}/search\"} 3"));
  // Statuses never seen are not exported.
  EXPECT_EQ(text.find("status=\"500\""), std::string::npos);
}

TEST(ProxyMetricsTest, OutOfRangeStatusCountsAsServerError) {
  ProxyMetrics m;
  m.AddRoute("GET", "/x").Record(42, 0, false);
  EXPECT_TRUE(Contains(m.Render(),
                       "miroir_http_requests_total{method=\"GET\",route=\"/x\",status=\"500\"} 1"));
}

TEST(ProxyMetricsTest, NodeErrorsByKindAndCollectorsAppended) {
  ProxyMetrics m;
  m.Node("n1").RecordAnswer(0.01);
  m.Node("n1").RecordError(NodeError::kTimeout, 2);
  m.Node("n2").RecordError(NodeError::kServer, 0.01);
  m.AddCollector([](TextWriter& w) {
    w.Family("miroir_custom", "A collector's family.", TextWriter::Type::kGauge);
    w.Sample("miroir_custom", {}, 7);
  });
  const std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "miroir_node_requests_total{node=\"n1\"} 2"));
  EXPECT_TRUE(Contains(text, "miroir_node_errors_total{node=\"n1\",kind=\"timeout\"} 1"));
  EXPECT_TRUE(Contains(text, "miroir_node_errors_total{node=\"n1\",kind=\"connect\"} 0"));
  EXPECT_TRUE(Contains(text, "miroir_node_errors_total{node=\"n2\",kind=\"server_error\"} 1"));
  EXPECT_TRUE(Contains(text, "miroir_custom 7"));
}

TEST(ProxyMetricsTest, ConcurrentRecordingLosesNothing) {
  ProxyMetrics m;
  RouteMetrics& route = m.AddRoute("GET", "/health");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        route.Record(200, 0.001, false);
        m.Node("n" + std::to_string(i % 3)).RecordAnswer(0.001);
        m.RecordFanOut(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = m.Render();
  EXPECT_TRUE(Contains(text,
                       "miroir_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 40000"));
  EXPECT_TRUE(Contains(text, "miroir_scatter_fanout_nodes_count 40000"));
  EXPECT_TRUE(Contains(text, "miroir_node_requests_total{node=\"n0\"} 13336"));
}

}  // namespace
}  // namespace miroir::metrics
