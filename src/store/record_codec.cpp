#include "record_codec.hpp"

namespace miroir::store::codec {

using nlohmann::ordered_json;

int64_t ToMicros(SystemTime t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

int64_t ToMicrosCeil(SystemTime t) {
  return std::chrono::ceil<std::chrono::microseconds>(t.time_since_epoch()).count();
}

SystemTime FromMicros(int64_t us) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(us)));
}

std::string TaskPayload(const TaskRecord& t) {
  ordered_json payload = ordered_json::object();
  payload["details"] = t.details;
  if (t.error) payload["error"] = *t.error;
  ordered_json nodes = ordered_json::array();
  for (const auto& n : t.node_tasks) nodes.push_back({{"node", n.node_id}, {"uid", n.task_uid}});
  payload["nodeTasks"] = std::move(nodes);
  return Dump(payload);
}

std::optional<std::string> ReadTaskPayload(std::string_view text, TaskRecord& t) {
  // ordered_json keeps the details' keys in the order they were written,
  // which is the order clients see them in.
  ordered_json payload = ordered_json::parse(text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return "payload is not JSON";
  if (auto it = payload.find("details"); it != payload.end()) t.details = std::move(*it);
  if (auto it = payload.find("error"); it != payload.end()) t.error = std::move(*it);
  if (auto it = payload.find("nodeTasks"); it != payload.end()) {
    if (!it->is_array()) return "nodeTasks is not an array";
    for (const auto& n : *it) {
      if (!n.is_object()) return "malformed node task " + Dump(n);
      auto node = n.find("node");
      auto uid = n.find("uid");
      if (node == n.end() || !node->is_string() || uid == n.end() || !uid->is_number_unsigned()) {
        return "malformed node task " + Dump(n);
      }
      t.node_tasks.push_back({node->get<std::string>(), uid->get<uint64_t>()});
    }
  }
  return std::nullopt;
}

}  // namespace miroir::store::codec
