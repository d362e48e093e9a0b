#include "miroir/core/topology_json.hpp"

namespace miroir {

nlohmann::json TopologySpecToJson(const TopologySpec& spec) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : spec.nodes) {
    nodes.push_back({{"id", n.id}, {"address", n.address}, {"group", n.group},
                     {"draining", n.draining}});
  }
  return {{"epoch", spec.epoch},
          {"replicationFactor", spec.replication_factor},
          {"defaultShards", spec.default_shards},
          {"nodes", std::move(nodes)}};
}

Result<TopologySpec> TopologySpecFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& why) {
    return Error(ErrorCode::kInternal, "stored topology is invalid: " + why);
  };
  if (!j.is_object()) return bad("not an object");
  TopologySpec spec;
  try {
    spec.epoch = j.at("epoch").get<uint64_t>();
    spec.replication_factor = j.at("replicationFactor").get<uint32_t>();
    spec.default_shards = j.at("defaultShards").get<uint32_t>();
    for (const auto& n : j.at("nodes")) {
      spec.nodes.push_back({n.at("id").get<std::string>(), n.at("address").get<std::string>(),
                            n.at("group").get<std::string>(), n.value("draining", false)});
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return spec;
}

}  // namespace miroir
