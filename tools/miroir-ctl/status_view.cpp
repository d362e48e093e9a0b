#include "status_view.hpp"

#include <cstdio>

namespace miroir::ctl {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  std::string digits = buf, out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

double Num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

}  // namespace

std::string RenderTopology(const json& t) {
  std::string out = "epoch " + Str(t, "epoch") + ", replication factor " +
                    Str(t, "replicationFactor") + ", " + Str(t, "shards") + " shards\n";
  const json groups = t.value("groups", json::array());
  for (const auto& g : groups) {
    out += "group " + Str(g, "id") + "\n";
    const json nodes = g.value("nodes", json::array());
    for (const auto& n : nodes) {
      out += "  " + Str(n, "id") + "  " + Str(n, "address") +
             (n.value("healthy", false) ? "  healthy" : "  DOWN") +
             (n.value("draining", false) ? "  draining" : "") + "\n";
    }
  }
  if (t.contains("migration") && t["migration"].is_object()) {
    out += "migration: " + Str(t["migration"], "description") + " (" +
           Str(t["migration"], "state") + ")\n";
  }
  const json instances = t.value("instances", json::array());
  if (!instances.empty()) {
    out += "instances\n";
    for (const auto& i : instances) {
      out += "  " + Str(i, "id") + "  epoch " + Str(i, "topologyEpoch") + "\n";
    }
  }
  return out;
}

std::string RenderMigration(const json& status) {
  const json m = status.value("migration", json());
  if (!m.is_object()) {
    const json last = status.value("last", json());
    if (!last.is_object()) return "no topology change in progress\n";
    return "no topology change in progress; last: " + Str(last, "description") + ": " +
           Str(last, "outcome") + " at " + Str(last, "finishedAt") + "\n";
  }
  std::string out = Str(m, "description") + " — " + Str(m, "state") + " — epoch " +
                    Str(m, "epoch") + "\n";
  const json indexes = m.value("indexes", json::object());
  for (const auto& [uid, index] : indexes.items()) {
    double copied = Num(index, "documentsCopied"), total = 0;
    const json shards = index.value("shards", json::object());
    for (const auto& [s, shard] : shards.items()) {
      total += Num(shard, "documentsTotal");
    }
    char line[256];
    std::snprintf(line, sizeof(line), "  %-24s %-9s %s / %s documents, %s shards moving\n",
                  uid.c_str(), Str(index, "phase").c_str(), Number(copied).c_str(),
                  Number(total).c_str(), Number(Num(index, "shardsMoving")).c_str());
    out += line;
  }
  out += "  copied " + Number(Num(m, "documentsCopied")) + " of " +
         Number(Num(m, "documentsTotal")) + " documents, " +
         Number(Num(m, "documentsPerSecond")) + " documents/s";
  if (m.contains("etaSeconds") && m["etaSeconds"].is_number()) {
    out += ", about " + Number(m["etaSeconds"].get<double>()) + " s left";
  }
  out += "\n";
  const json errors = m.value("errors", json::array());
  if (!errors.empty()) out += "  last error: " + Str(errors.back(), "message") + "\n";
  return out;
}

std::string RenderVerify(const json& r) {
  const std::string index = Str(r, "indexUid");
  std::string out = "pass " + Str(r, "uid") + " (" + (index.empty() ? "every index" : index) +
                    ", " + (r.value("dryRun", false) ? "report only" : "repair") + "): " +
                    Str(r, "status") + " in " + Number(Num(r, "durationMs")) + " ms\n";
  out += "  shards scanned " + Number(Num(r, "shardsScanned")) + ", skipped " +
         Number(Num(r, "shardsSkipped")) + "\n";
  out += "  documents scanned " + Number(Num(r, "documentsScanned")) + " (" +
         Number(Num(r, "bytesRead")) + " bytes)\n";
  out += "  mismatches " + Number(Num(r, "mismatches")) + ", repaired " +
         Number(Num(r, "documentsRepaired")) + ", tombstones applied " +
         Number(Num(r, "tombstonesApplied")) + ", expired deleted " +
         Number(Num(r, "expiredDeleted")) + "\n";
  for (const auto& e : r.value("errors", json::array())) {
    out += "  error: " + (e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
  }
  return out;
}

}  // namespace miroir::ctl
