// Self-fencing: past the write fence, Cluster::Send refuses writes without
// sending them, and still sends reads.
#include <atomic>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "miroir/http/server.hpp"
#include "miroir/meili/cluster.hpp"

namespace miroir::meili {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class ClusterFenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{}, [this](http::Request) -> asio::awaitable<http::Response> {
          received_.fetch_add(1);
          co_return http::Response::Json(202, "{}");
        });
    ASSERT_TRUE(server_->Start());
    address_ = "127.0.0.1:" + std::to_string(server_->port());
    TopologySpec spec;
    spec.nodes.push_back({"n1", address_, "g1"});
    auto topology = Topology::Create(spec);
    ASSERT_TRUE(topology);
    cluster_ = std::make_unique<Cluster>(*topology, ClusterOptions{});
  }

  void TearDown() override {
    cluster_.reset();
    server_->Stop();
  }

  http::UpstreamResult Send(http::Method method) {
    http::UpstreamRequest r;
    r.method = method;
    r.target = "/indexes/a/documents";
    r.body = method == http::Method::kGet ? "" : "[]";
    asio::io_context& ioc = Context();
    auto future = asio::co_spawn(ioc, cluster_->Send(address_, std::move(r)), asio::use_future);
    ioc.restart();
    ioc.run();
    return future.get();
  }

  // One context for every test, never destroyed: Cluster keeps its upstream
  // pools per thread, bound to the context they were made on, and drops them
  // only when the thread sends on another one — which must still be alive.
  static asio::io_context& Context() {
    static auto* context = new asio::io_context;
    return *context;
  }

  std::unique_ptr<http::Server> server_;
  std::string address_;
  std::unique_ptr<Cluster> cluster_;
  std::atomic<int> received_{0};
};

TEST_F(ClusterFenceTest, WithoutAFenceWritesGoOut) {
  EXPECT_FALSE(cluster_->WritesFenced());
  EXPECT_TRUE(Send(http::Method::kPost).ok());
  EXPECT_EQ(received_.load(), 1);
}

TEST_F(ClusterFenceTest, PastTheFenceWritesAreRefusedUnsentAndReadsStillGo) {
  cluster_->FenceWritesAfter(Clock::now() - std::chrono::milliseconds(1));
  EXPECT_TRUE(cluster_->WritesFenced());
  for (auto method : {http::Method::kPost, http::Method::kPut, http::Method::kPatch,
                      http::Method::kDelete}) {
    auto result = Send(method);
    EXPECT_EQ(result.failure, http::UpstreamFailure::kFenced) << http::MethodName(method);
  }
  EXPECT_EQ(received_.load(), 0);
  EXPECT_EQ(cluster_->fenced_writes(), 4u);
  EXPECT_TRUE(Send(http::Method::kGet).ok());
  EXPECT_EQ(received_.load(), 1);
}

TEST_F(ClusterFenceTest, ARenewalReopensWritesAndALateOneNeverShortensTheFence) {
  cluster_->FenceWritesAfter(Clock::now() - std::chrono::milliseconds(1));
  ASSERT_TRUE(cluster_->WritesFenced());
  cluster_->FenceWritesAfter(Clock::now() + std::chrono::hours(1));
  EXPECT_FALSE(cluster_->WritesFenced());
  // A renewal computed from an older heartbeat arrives late: ignored.
  cluster_->FenceWritesAfter(Clock::now() - std::chrono::seconds(5));
  EXPECT_FALSE(cluster_->WritesFenced());
  EXPECT_TRUE(Send(http::Method::kPost).ok());
  EXPECT_EQ(received_.load(), 1);
}

}  // namespace
}  // namespace miroir::meili
