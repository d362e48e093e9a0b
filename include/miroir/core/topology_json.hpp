// The persisted form of a topology (what the coordination store and the
// admin API exchange): TopologySpec <-> JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/topology.hpp"

namespace miroir {

nlohmann::json TopologySpecToJson(const TopologySpec& spec);
Result<TopologySpec> TopologySpecFromJson(const nlohmann::json& j);

}  // namespace miroir
