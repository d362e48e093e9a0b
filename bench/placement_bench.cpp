// Placement: which shard a document goes to and which nodes own it.
//
// 10,000 primary keys over S = 64 shards and 3 nodes (one group, RF 1), the
// case of issue 4. Baseline in the same run: std::hash over the same keys,
// the cost of any hash-based routing at all.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "miroir/core/hash.hpp"
#include "miroir/core/topology.hpp"

namespace {

constexpr uint32_t kShards = 64;
constexpr int kKeys = 10000;

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (int i = 0; i < kKeys; ++i) out.push_back("product-" + std::to_string(i * 7919));
    return out;
  }();
  return keys;
}

std::shared_ptr<const miroir::Topology> ThreeNodes() {
  miroir::TopologySpec spec;
  spec.default_shards = kShards;
  for (int n = 1; n <= 3; ++n) {
    spec.nodes.push_back({"node-" + std::to_string(n), "127.0.0.1:" + std::to_string(7700 + n),
                          "g1"});
  }
  return miroir::Topology::Create(spec).value();
}

void BM_Baseline_StdHash_10kKeys(benchmark::State& state) {
  std::hash<std::string_view> hash;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& key : Keys()) sum += hash(key);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_Baseline_StdHash_10kKeys)->Unit(benchmark::kMicrosecond);

// xxh64 of each key, modulo S.
void BM_ShardOf_10kKeys(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& key : Keys()) sum += miroir::ShardOf(key, kShards);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_ShardOf_10kKeys)->Unit(benchmark::kMicrosecond);

// The write path's whole routing decision: shard, then its owner from the
// topology's cached placement.
void BM_RouteToOwner_10kKeys(benchmark::State& state) {
  auto topology = ThreeNodes();
  auto placement = topology->PlacementFor(kShards);
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& key : Keys()) {
      sum += placement->Owners(0, miroir::ShardOf(key, kShards)).front();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_RouteToOwner_10kKeys)->Unit(benchmark::kMicrosecond);

// Rendezvous ranking of every shard over the nodes: paid once per topology
// epoch and shard count, when a snapshot is built.
void BM_ComputePlacement_64Shards_3Nodes(benchmark::State& state) {
  for (auto _ : state) {
    auto topology = ThreeNodes();
    benchmark::DoNotOptimize(topology->PlacementFor(kShards));
  }
}
BENCHMARK(BM_ComputePlacement_64Shards_3Nodes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
