// Fault injection for the test node, driven over /_testnode/faults.
//
// A rule names a route pattern ("/indexes/*/search": '*' matches within one
// path segment, '**' across segments) and optionally a method, and what to do
// to matching requests: add latency, fail a fraction of them with a status,
// hang (accept, never answer), drop the connection without answering,
// close it half-way through the response body, or replace the body.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode {

struct FaultRule {
  uint64_t id = 0;
  std::string route = "**";
  std::optional<std::string> method;
  uint64_t latency_ms = 0;
  double error_rate = 0;
  unsigned error_status = 500;
  bool hang = false;
  bool drop = false;
  double drop_rate = 0;  // drop this fraction of matching requests (0-1)
  bool close_mid_response = false;
  // Answer with this body instead of the real one (status and headers kept):
  // garbage, truncated JSON, wrong types, for tests of what reads answers.
  std::optional<std::string> body;
};

// What to do to one request, the union of every matching rule.
struct FaultDecision {
  std::chrono::milliseconds latency{0};
  std::optional<unsigned> error_status;
  bool hang = false;
  bool drop = false;
  bool close_mid_response = false;
  std::optional<std::string> body;
};

class FaultInjector {
 public:
  // Validates and adds a rule from its JSON form; returns it with its id.
  Result<FaultRule> Add(const nlohmann::json& body);
  void Clear();
  nlohmann::json List() const;
  FaultDecision Decide(std::string_view method, std::string_view path);

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  uint64_t next_id_ = 1;
  std::mt19937_64 rng_{std::random_device{}()};
};

// Glob match of a path against a route pattern (see FaultRule).
bool RouteMatches(std::string_view pattern, std::string_view path);

}  // namespace miroir::testnode
