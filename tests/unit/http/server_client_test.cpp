// The HTTP server and the upstream client against each other on loopback.
#include <future>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "miroir/http/client.hpp"
#include "miroir/http/server.hpp"

namespace miroir::http {
namespace {

namespace asio = boost::asio;

class ServerClientTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(options, [](Request req) -> asio::awaitable<Response> {
      Response r = Response::Json(200, "{\"path\":\"" + std::string(req.path()) +
                                           "\",\"body\":" + std::to_string(req.body.size()) + "}");
      const std::string path(req.path());
      if (path == "/hang") r.disposition = Disposition::kHang;
      if (path == "/drop") r.disposition = Disposition::kDrop;
      if (path == "/truncate") r.disposition = Disposition::kTruncate;
      if (path == "/close") r.disposition = Disposition::kSendAndClose;
      r.headers.Add("X-Method", MethodName(req.method));
      co_return r;
    });
    ASSERT_TRUE(server_->Start());
    pool_ = std::make_unique<UpstreamPool>(ioc_.get_executor(),
                                           "127.0.0.1:" + std::to_string(server_->port()),
                                           PoolOptions{});
  }

  void TearDown() override {
    pool_.reset();
    if (server_) server_->Stop();
  }

  UpstreamResult Send(UpstreamRequest req) {
    auto future = asio::co_spawn(ioc_, pool_->Send(std::move(req)), asio::use_future);
    ioc_.restart();
    ioc_.run();
    return future.get();
  }

  UpstreamRequest Get(std::string target, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    UpstreamRequest r;
    r.target = std::move(target);
    r.timeout = timeout;
    return r;
  }

  asio::io_context ioc_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<UpstreamPool> pool_;
};

TEST_F(ServerClientTest, RoundTripsAndReusesTheConnection) {
  StartServer();
  auto first = Send(Get("/indexes/a%20b/search?q=x"));
  ASSERT_TRUE(first.ok()) << first.detail;
  EXPECT_EQ(first.response.status, 200u);
  EXPECT_EQ(first.response.body, "{\"path\":\"/indexes/a%20b/search\",\"body\":0}");
  EXPECT_EQ(first.response.headers.Get("x-method"), "GET");
  EXPECT_EQ(pool_->idle_connections(), 1u);
  UpstreamRequest post = Get("/x");
  post.method = Method::kPost;
  post.body = std::string(1000, 'a');
  auto second = Send(post);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.response.body, "{\"path\":\"/x\",\"body\":1000}");
  EXPECT_EQ(pool_->idle_connections(), 1u);
}

TEST_F(ServerClientTest, ConnectionClosedByServerIsNotKept) {
  StartServer();
  auto r = Send(Get("/close"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(pool_->idle_connections(), 0u);
  EXPECT_TRUE(Send(Get("/after")).ok());
}

TEST_F(ServerClientTest, ANodeRestartLeavesNoDeadConnectionToTrip) {
  StartServer();
  // Three idle connections to the node...
  std::vector<std::future<UpstreamResult>> sent;
  for (int i = 0; i < 3; ++i) {
    sent.push_back(asio::co_spawn(ioc_, pool_->Send(Get("/warm")), asio::use_future));
  }
  ioc_.restart();
  ioc_.run();
  for (auto& f : sent) ASSERT_TRUE(f.get().ok());
  ASSERT_EQ(pool_->idle_connections(), 3u);
  // ...which all die when it restarts on the same port.
  ServerOptions same_port;
  same_port.port = server_->port();
  auto pool = std::move(pool_);  // StartServer makes a new one: keep the old
  server_->Stop();
  server_.reset();
  StartServer(same_port);
  pool_ = std::move(pool);
  ASSERT_EQ(pool_->idle_connections(), 3u);
  auto r = Send(Get("/after-restart"));
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.response.body, "{\"path\":\"/after-restart\",\"body\":0}");
}

TEST_F(ServerClientTest, HangingServerTimesOut) {
  StartServer();
  auto start = std::chrono::steady_clock::now();
  auto r = Send(Get("/hang", std::chrono::milliseconds(200)));
  EXPECT_EQ(r.failure, UpstreamFailure::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ServerClientTest, DroppedAndTruncatedResponsesAreErrors) {
  StartServer();
  EXPECT_FALSE(Send(Get("/drop")).ok());
  auto truncated = Send(Get("/truncate"));
  EXPECT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.failure, UpstreamFailure::kProtocol);
}

TEST_F(ServerClientTest, OversizedBodyGetsPayloadTooLarge) {
  ServerOptions options;
  options.body_limit = 100;
  StartServer(options);
  UpstreamRequest post = Get("/x");
  post.method = Method::kPost;
  post.body = std::string(1000, 'a');
  auto r = Send(post);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.response.status, 413u);
  EXPECT_NE(r.response.body.find("payload_too_large"), std::string::npos);
}

TEST_F(ServerClientTest, RefusedConnectionIsAConnectFailure) {
  StartServer();
  uint16_t port = server_->port();
  server_->Stop();
  pool_ = std::make_unique<UpstreamPool>(ioc_.get_executor(), "127.0.0.1:" + std::to_string(port),
                                         PoolOptions{});
  EXPECT_EQ(Send(Get("/x")).failure, UpstreamFailure::kConnect);
}

TEST(MessageTest, QueryParamsDecodeAndKeepTheLastValue) {
  QueryParams q("a=1&b=hello+world&c=%2Fx&a=2&flag");
  EXPECT_EQ(*q.Get("a"), "2");
  EXPECT_EQ(*q.Get("b"), "hello world");
  EXPECT_EQ(*q.Get("c"), "/x");
  EXPECT_EQ(*q.Get("flag"), "");
  EXPECT_EQ(q.Get("missing"), nullptr);
}

TEST(MessageTest, SplitPathDecodesSegments) {
  auto s = SplitPath("/indexes/a%20b//documents/");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1], "a b");
}

}  // namespace
}  // namespace miroir::http
