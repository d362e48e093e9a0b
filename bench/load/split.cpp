// miroir-bench-split: splits a document batch the way Miroir does, with
// Miroir's own code, so the ingest benchmark can send the same bytes straight
// to the nodes and compare.
//
//   miroir-bench-split --shards 48 --rf 1 --nodes n1,n2,n3 --payload batch.json --out DIR
//
// Reads a JSON array of documents, shards it with ShardDocuments (reserved
// field spliced in, as Miroir sends it), places the shards on the nodes of one
// replica group with Topology::PlacementFor + WriteTargets, and writes each
// node's body to DIR/<node-id>.json. Prints one line per node: `<id> <docs>`.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "miroir/core/document_batch.hpp"
#include "miroir/core/router.hpp"
#include "miroir/core/topology.hpp"

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "miroir-bench-split: %s\n", why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t shards = 64;
  uint32_t rf = 1;
  std::vector<std::string> node_ids;
  std::string payload_path;
  std::string out_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    const std::string value = argv[i + 1];
    if (arg == "--shards") {
      shards = static_cast<uint32_t>(std::stoul(value));
    } else if (arg == "--rf") {
      rf = static_cast<uint32_t>(std::stoul(value));
    } else if (arg == "--nodes") {
      std::stringstream list(value);
      for (std::string id; std::getline(list, id, ',');) node_ids.push_back(id);
    } else if (arg == "--payload") {
      payload_path = value;
    } else if (arg == "--out") {
      out_dir = value;
    } else {
      Die("unknown option " + arg);
    }
  }
  if (node_ids.empty() || payload_path.empty() || out_dir.empty()) {
    Die("usage: --shards S --rf RF --nodes a,b,c --payload FILE --out DIR");
  }

  std::ifstream in(payload_path, std::ios::binary);
  if (!in) Die("cannot read " + payload_path);
  const std::string payload((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  miroir::TopologySpec spec;
  spec.replication_factor = rf;
  spec.default_shards = shards;
  for (size_t n = 0; n < node_ids.size(); ++n) {
    // Addresses only need to be unique; placement hashes the node ids.
    spec.nodes.push_back({node_ids[n], "127.0.0.1:" + std::to_string(10000 + n), "g", false});
  }
  auto topology = miroir::Topology::Create(spec);
  if (!topology) Die("topology: " + topology.error().message);
  auto placement = (*topology)->PlacementFor(shards);

  const std::optional<std::string> primary_key = "id";
  auto sharded = miroir::ShardDocuments(payload, miroir::PayloadFormat::kJson, ',', primary_key,
                                        shards, miroir::StampOptions{});
  if (!sharded) Die("payload: " + sharded.error().message);
  if (sharded->task_error()) Die("payload: " + sharded->task_error()->message);

  std::map<miroir::NodeIndex, std::vector<uint32_t>> per_node;
  for (uint32_t s : sharded->shards()) {
    for (miroir::NodeIndex n : miroir::WriteTargets(**topology, *placement, s)) {
      per_node[n].push_back(s);
    }
  }
  for (const auto& [node, node_shards] : per_node) {
    size_t docs = 0;
    for (uint32_t s : node_shards) docs += sharded->CountFor(s);
    const std::string& id = (*topology)->node(node).id;
    std::ofstream out(out_dir + "/" + id + ".json", std::ios::binary);
    out << sharded->BuildBody(node_shards);
    if (!out) Die("cannot write " + out_dir + "/" + id + ".json");
    std::printf("%s %zu\n", id.c_str(), docs);
  }
  return 0;
}
