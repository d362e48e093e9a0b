// The test node's HTTP API: Meilisearch's routes, checked and converted into
// Node calls, plus /_testnode/faults. Fault rules are applied here, before a
// request reaches its route.
//
// Thread-safe (all state lives in Node).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "miroir/http/message.hpp"
#include "node.hpp"

namespace miroir::testnode {

class Routes {
 public:
  explicit Routes(Node& node) : node_(node) {}

  boost::asio::awaitable<http::Response> Handle(http::Request request);

  // The synchronous part of Handle, without fault injection (for unit tests).
  http::Response Dispatch(const http::Request& request);

 private:
  Node& node_;
};

}  // namespace miroir::testnode
