#include "faults.hpp"

namespace miroir::testnode {
namespace {

nlohmann::json RuleToJson(const FaultRule& r) {
  nlohmann::json j;
  j["id"] = r.id;
  j["route"] = r.route;
  j["method"] = r.method ? nlohmann::json(*r.method) : nlohmann::json(nullptr);
  j["latency_ms"] = r.latency_ms;
  j["error_rate"] = r.error_rate;
  j["error_status"] = r.error_status;
  j["hang"] = r.hang;
  j["drop"] = r.drop;
  j["drop_rate"] = r.drop_rate;
  j["close_mid_response"] = r.close_mid_response;
  if (r.body) j["body"] = *r.body;
  return j;
}

Error Invalid(const std::string& message) { return Error(ErrorCode::kBadRequest, message); }

}  // namespace

bool RouteMatches(std::string_view pattern, std::string_view path) {
  // Iterative glob with backtracking to the last star.
  size_t p = 0, s = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  bool star_crosses = false;
  while (s < path.size()) {
    if (p + 1 < pattern.size() && pattern[p] == '*' && pattern[p + 1] == '*') {
      star_p = p;
      p += 2;
      star_s = s;
      star_crosses = true;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star_p = p;
      ++p;
      star_s = s;
      star_crosses = false;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (star_p != std::string_view::npos && (star_crosses || path[star_s] != '/')) {
      p = star_p + (star_crosses ? 2 : 1);
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<FaultRule> FaultInjector::Add(const nlohmann::json& body) {
  if (!body.is_object()) return Invalid("a fault rule must be a JSON object");
  FaultRule rule;
  for (const auto& [key, value] : body.items()) {
    if (key == "route" && value.is_string()) {
      rule.route = value.get<std::string>();
    } else if (key == "method" && (value.is_string() || value.is_null())) {
      if (value.is_string()) rule.method = value.get<std::string>();
    } else if (key == "latency_ms" && value.is_number_unsigned()) {
      rule.latency_ms = value.get<uint64_t>();
    } else if (key == "error_rate" && value.is_number() && value.get<double>() >= 0 &&
               value.get<double>() <= 1) {
      rule.error_rate = value.get<double>();
    } else if (key == "error_status" && value.is_number_unsigned() &&
               value.get<unsigned>() >= 400 && value.get<unsigned>() <= 599) {
      rule.error_status = value.get<unsigned>();
    } else if (key == "hang" && value.is_boolean()) {
      rule.hang = value.get<bool>();
    } else if (key == "drop" && value.is_boolean()) {
      rule.drop = value.get<bool>();
    } else if (key == "drop_rate" && value.is_number() && value.get<double>() >= 0 &&
               value.get<double>() <= 1) {
      rule.drop_rate = value.get<double>();
    } else if (key == "close_mid_response" && value.is_boolean()) {
      rule.close_mid_response = value.get<bool>();
    } else if (key == "body" && value.is_string()) {
      rule.body = value.get<std::string>();
    } else {
      return Invalid("invalid fault rule field `" + key + "`: " + value.dump());
    }
  }
  std::lock_guard lock(mu_);
  rule.id = next_id_++;
  rules_.push_back(rule);
  return rule;
}

void FaultInjector::Clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

nlohmann::json FaultInjector::List() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules_) out.push_back(RuleToJson(r));
  return out;
}

FaultDecision FaultInjector::Decide(std::string_view method, std::string_view path) {
  FaultDecision d;
  std::lock_guard lock(mu_);
  for (const auto& r : rules_) {
    if (r.method && *r.method != method) continue;
    if (!RouteMatches(r.route, path)) continue;
    d.latency += std::chrono::milliseconds(r.latency_ms);
    if (r.error_rate > 0 && !d.error_status &&
        std::uniform_real_distribution<double>(0, 1)(rng_) < r.error_rate) {
      d.error_status = r.error_status;
    }
    d.hang |= r.hang;
    d.drop |= r.drop;
    if (r.drop_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < r.drop_rate) {
      d.drop = true;
    }
    d.close_mid_response |= r.close_mid_response;
    if (r.body && !d.body) d.body = r.body;
  }
  return d;
}

}  // namespace miroir::testnode
