#include "miroir/core/topology_json.hpp"

namespace miroir {

namespace {

nlohmann::json NodesToJson(const std::vector<NodeSpec>& nodes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : nodes) {
    out.push_back({{"id", n.id}, {"address", n.address}, {"group", n.group},
                   {"draining", n.draining}});
  }
  return out;
}

std::vector<NodeSpec> NodesFromJson(const nlohmann::json& j) {
  std::vector<NodeSpec> out;
  for (const auto& n : j) {
    out.push_back({n.at("id").get<std::string>(), n.at("address").get<std::string>(),
                   n.at("group").get<std::string>(), n.value("draining", false)});
  }
  return out;
}

}  // namespace

nlohmann::json TopologySpecToJson(const TopologySpec& spec) {
  nlohmann::json out = {{"epoch", spec.epoch},
                        {"replicationFactor", spec.replication_factor},
                        {"defaultShards", spec.default_shards},
                        {"nodes", NodesToJson(spec.nodes)}};
  if (spec.migration) {
    out["migration"] = {{"target", NodesToJson(spec.migration->target)},
                        {"activated", spec.migration->activated},
                        {"held", spec.migration->held},
                        {"state", MigrationStateName(spec.migration->state)},
                        {"previous", NodesToJson(spec.migration->previous)},
                        {"description", spec.migration->description},
                        {"id", spec.migration->id}};
  }
  return out;
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
    spec.nodes = NodesFromJson(j.at("nodes"));
    if (auto m = j.find("migration"); m != j.end() && !m->is_null()) {
      MigrationSpec migration;
      migration.target = NodesFromJson(m->at("target"));
      migration.activated =
          m->value("activated", nlohmann::json::object()).get<decltype(migration.activated)>();
      migration.held = m->value("held", nlohmann::json::object()).get<decltype(migration.held)>();
      auto state = ParseMigrationState(m->value("state", std::string("preparing")));
      if (!state) return bad("unknown migration state");
      migration.state = *state;
      migration.previous = NodesFromJson(m->value("previous", nlohmann::json::array()));
      migration.description = m->value("description", std::string());
      migration.id = m->value("id", uint64_t{0});
      spec.migration = std::move(migration);
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return spec;
}

}  // namespace miroir
