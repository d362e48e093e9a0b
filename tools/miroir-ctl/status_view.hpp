// Text renderings of Miroir's admin answers for miroir-ctl: the topology and
// a migration's progress (GET /_miroir/migrations) and an anti-entropy
// pass's report (GET /_miroir/verify).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace miroir::ctl {

std::string RenderTopology(const nlohmann::json& topology);
// One block: the change, its state, one line per index, totals, last error.
std::string RenderMigration(const nlohmann::json& status);
// One anti-entropy pass report: what it scanned, found and repaired.
std::string RenderVerify(const nlohmann::json& report);

}  // namespace miroir::ctl
