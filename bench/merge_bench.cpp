// The read path's CPU cost: merging node answers into one Meilisearch answer
// (issue 4 targets: 3 nodes x 1,000 hits in < 200 us; a whole fan-out of a
// 20-hit search over 3 nodes of ~1 KB hits in <= 40 us), and its parts alone:
// parsing one node's answer (BM_ParseNodeResponse_*) and the facet merge
// (BM_FacetMerge_*).
//
// Each benchmark also times two baselines on the same bytes and reports
// them as counters, so one run shows the ratios:
//   simdjson_us   simdjson On-Demand walking every hit's members (no output)
//   nlohmann_us   nlohmann parse of every node body + dump of one answer
//   x_simdjson    merge time / simdjson walk time (cost over a bare parse)
//   x_nlohmann    nlohmann time / merge time (speed-up over a DOM merge)
// All counters are this thread's CPU time per call, in microseconds.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "core/facet_merge.hpp"
#include "core/search_response.hpp"
#include "miroir/core/search_merge.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace {

using miroir::NodeResult;

std::string Words(std::mt19937* rng, size_t bytes) {
  static const char* kWords[] = {"lorem", "ipsum", "dolor", "sit", "amet", "river", "city",
                                 "night", "dream", "stone", "light", "storm", "glass", "winter"};
  std::string text;
  while (text.size() < bytes) {
    if (!text.empty()) text.push_back(' ');
    text.append(kWords[(*rng)() % 14]);
  }
  return text;
}

// A node answer with `hits` hits of about `hit_bytes` bytes, best first.
std::string NodeBody(uint32_t node, size_t hits, size_t hit_bytes, bool details,
                     size_t facets, size_t facet_values) {
  std::mt19937 rng(node * 7919 + 1);
  std::vector<double> scores(hits);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  for (double& s : scores) s = dist(rng);
  std::sort(scores.rbegin(), scores.rend());
  std::string body = "{\"hits\":[";
  for (size_t i = 0; i < hits; ++i) {
    if (i > 0) body.push_back(',');
    size_t id = node * 1000000 + i;
    std::string hit = "{\"id\":" + std::to_string(id) + ",\"title\":\"" + Words(&rng, 30) +
                      "\",\"genres\":[\"Drama\",\"Crime\"],\"year\":" +
                      std::to_string(1950 + rng() % 70) + ",\"price\":" +
                      std::to_string(rng() % 1000) + ",\"overview\":\"";
    size_t overview = hit_bytes > hit.size() + 120 ? hit_bytes - hit.size() - 120 : 10;
    hit += Words(&rng, overview) + "\",\"_miroir_shard\":" + std::to_string(rng() % 64) +
           ",\"_rankingScore\":" + std::to_string(scores[i]);
    if (details) {
      hit += ",\"_rankingScoreDetails\":{\"words\":{\"order\":0,\"matchingWords\":1,"
             "\"maxMatchingWords\":1,\"score\":1.0},\"price:asc\":{\"order\":1,\"value\":" +
             std::to_string(i * 3 + node) + "}}";
    }
    hit.push_back('}');
    body += hit;
  }
  body += "],\"query\":\"night\",\"processingTimeMs\":3,\"limit\":" + std::to_string(hits) +
          ",\"offset\":0,\"estimatedTotalHits\":" + std::to_string(hits * 10);
  if (facets > 0) {
    body += ",\"facetDistribution\":{";
    for (size_t f = 0; f < facets; ++f) {
      if (f > 0) body.push_back(',');
      body += "\"facet" + std::to_string(f) + "\":{";
      // Meilisearch lists values in alpha order (sortFacetValuesBy default);
      // nodes share a third of their values.
      std::vector<std::string> values;
      for (size_t v = 0; v < facet_values; ++v) {
        values.push_back("value" + std::to_string(v * 2 + node));
      }
      std::sort(values.begin(), values.end());
      for (size_t v = 0; v < values.size(); ++v) {
        if (v > 0) body.push_back(',');
        body += "\"" + values[v] + "\":" + std::to_string(rng() % 500);
      }
      body.push_back('}');
    }
    body += "},\"facetStats\":{\"year\":{\"min\":1950.0,\"max\":2019.0}}";
  }
  body += ",\"requestUid\":\"01900000-0000-7000-8000-000000000000\"}";
  return body;
}

std::vector<NodeResult> Nodes(size_t hits, size_t hit_bytes, bool details = false,
                              size_t facets = 0, size_t facet_values = 0) {
  std::vector<NodeResult> nodes;
  for (uint32_t n = 0; n < 3; ++n) {
    NodeResult r{NodeBody(n, hits, hit_bytes, details, facets, facet_values), n};
    r.body.reserve(r.body.size() + miroir::kNodeBodyPadding);
    nodes.push_back(std::move(r));
  }
  return nodes;
}

// Baseline 1: simdjson On-Demand visiting every member of every hit.
size_t SimdjsonWalk(std::vector<NodeResult>& nodes) {
  static simdjson::ondemand::parser parser;
  size_t members = 0;
  for (NodeResult& n : nodes) {
    auto doc = parser.iterate(n.body.data(), n.body.size(), n.body.capacity());
    for (auto field : doc.get_object()) {
      if (field.key().value() == "hits") {
        for (auto hit : field.value().get_array()) {
          for (auto member : hit.get_object()) {
            (void)member.key();
            ++members;
          }
        }
      }
    }
  }
  return members;
}

// Baseline 2: a DOM merge's floor — parse every body, dump one answer.
size_t NlohmannParseDump(const std::vector<NodeResult>& nodes) {
  size_t bytes = 0;
  nlohmann::json first;
  for (const NodeResult& n : nodes) {
    nlohmann::json j = nlohmann::json::parse(n.body);
    if (first.is_null()) first = std::move(j);
  }
  bytes += first.dump().size();
  return bytes;
}

// This thread's CPU time in microseconds: the machine running the benchmarks
// may be shared, and wall time would count other processes.
double CpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

template <class F>
double MicrosPerCall(F f, int calls) {
  double start = CpuMicros();
  for (int i = 0; i < calls; ++i) benchmark::DoNotOptimize(f());
  return (CpuMicros() - start) / calls;
}

void ReportBaselines(benchmark::State& state, std::vector<NodeResult>& nodes, double merge_us) {
  int calls = std::max(3, static_cast<int>(20000 / std::max(1.0, merge_us)));
  double simd_us = MicrosPerCall([&] { return SimdjsonWalk(nodes); }, calls);
  double nl_us = MicrosPerCall([&] { return NlohmannParseDump(nodes); }, std::max(3, calls / 10));
  state.counters["merge_us"] = merge_us;
  state.counters["simdjson_us"] = simd_us;
  state.counters["nlohmann_us"] = nl_us;
  state.counters["x_simdjson"] = merge_us / simd_us;
  state.counters["x_nlohmann"] = nl_us / merge_us;
}

void RunMerge(benchmark::State& state, const std::string& client, std::vector<NodeResult> nodes) {
  auto info = miroir::AnalyzeSearchRequest(client).value();
  size_t out_bytes = 0;
  double start = CpuMicros();
  for (auto _ : state) {
    auto merged = miroir::MergeSearchResponses(info, nodes);
    if (!merged) state.SkipWithError(merged.error().message.c_str());
    out_bytes = merged ? merged->size() : 0;
    benchmark::DoNotOptimize(merged);
  }
  double elapsed = CpuMicros() - start;
  size_t in_bytes = 0;
  for (const NodeResult& n : nodes) in_bytes += n.body.size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in_bytes));
  state.counters["out_KB"] = static_cast<double>(out_bytes) / 1024;
  ReportBaselines(state, nodes, elapsed / static_cast<double>(state.iterations()));
}

// 3 nodes x 1,000 hits of ~300 bytes, client limit 1000: every hit is
// parsed, ranked and written.
void BM_Merge_3x1000Hits(benchmark::State& state) {
  RunMerge(state, R"({"q":"night","limit":1000})", Nodes(1000, 300));
}
BENCHMARK(BM_Merge_3x1000Hits)->Unit(benchmark::kMicrosecond);

// 3 nodes x 1,000 hits of ~120 bytes (attributesToRetrieve-style hits).
void BM_Merge_3x1000Hits_120B(benchmark::State& state) {
  RunMerge(state, R"({"q":"night","limit":1000})", Nodes(1000, 120));
}
BENCHMARK(BM_Merge_3x1000Hits_120B)->Unit(benchmark::kMicrosecond);

// Client page of 20 (offset 980) over 3 x 1,000 hits: 1,000 hits are ranked,
// the 2,000 others are skipped through the structural index.
void BM_Merge_3x1000Hits_Offset980(benchmark::State& state) {
  RunMerge(state, R"({"q":"night","offset":980,"limit":20})", Nodes(1000, 300));
}
BENCHMARK(BM_Merge_3x1000Hits_Offset980)->Unit(benchmark::kMicrosecond);

// Same, sorted: hits ordered rule by rule from _rankingScoreDetails.
void BM_Merge_3x1000Hits_Sorted(benchmark::State& state) {
  RunMerge(state, R"({"q":"night","limit":1000,"sort":["price:asc"]})", Nodes(1000, 300, true));
}
BENCHMARK(BM_Merge_3x1000Hits_Sorted)->Unit(benchmark::kMicrosecond);

// 3 nodes x 20 hits of ~1 KB, client limit 20.
void BM_Merge_3x20Hits_1KB(benchmark::State& state) {
  RunMerge(state, R"({"q":"night"})", Nodes(20, 1024));
}
BENCHMARK(BM_Merge_3x20Hits_1KB)->Unit(benchmark::kMicrosecond);

// Facets: 3 nodes x 10 facets x 100 values (and 20 small hits).
void BM_Merge_FacetDistribution_3x10x100(benchmark::State& state) {
  RunMerge(state, R"({"q":"night","facets":["*"]})", Nodes(20, 200, false, 10, 100));
}
BENCHMARK(BM_Merge_FacetDistribution_3x10x100)->Unit(benchmark::kMicrosecond);

// The proxy's whole CPU share of one search of 20 hits x ~1 KB over 3
// nodes: read the client body, build 3 node bodies, merge the 3 answers.
void BM_SearchPath_3x20Hits_1KB(benchmark::State& state) {
  std::string client =
      R"({"q":"night","limit":20,"filter":"year > 1990","attributesToHighlight":["title"]})";
  std::vector<NodeResult> nodes = Nodes(20, 1024);
  std::vector<uint32_t> shards[3] = {{0, 3, 6}, {1, 4, 7}, {2, 5, 8}};
  double start = CpuMicros();
  for (auto _ : state) {
    auto info = miroir::AnalyzeSearchRequest(client);
    for (int n = 0; n < 3; ++n) {
      benchmark::DoNotOptimize(miroir::BuildNodeSearchBody(*info, client, &shards[n]));
    }
    auto merged = miroir::MergeSearchResponses(*info, nodes);
    benchmark::DoNotOptimize(merged);
  }
  double elapsed = CpuMicros() - start;
  ReportBaselines(state, nodes, elapsed / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SearchPath_3x20Hits_1KB)->Unit(benchmark::kMicrosecond);

// The client-body rewrite alone, simdjson (as shipped) vs. nlohmann.
void BM_Rewrite_ClientBody(benchmark::State& state) {
  std::string client =
      R"({"q":"night","limit":20,"offset":40,"filter":["year > 1990",["genre = a","genre = b"]],)"
      R"("sort":["price:asc"],"attributesToRetrieve":["title","overview"],"distinct":"sku",)"
      R"("attributesToHighlight":["title"],"facets":["genre","year"]})";
  std::vector<uint32_t> shards = {0, 3, 6, 9};
  double start = CpuMicros();
  for (auto _ : state) {
    auto info = miroir::AnalyzeSearchRequest(client);
    benchmark::DoNotOptimize(miroir::BuildNodeSearchBody(*info, client, &shards));
  }
  double elapsed = CpuMicros() - start;
  double ours = elapsed / static_cast<double>(state.iterations());
  double dom = MicrosPerCall(
      [&] {
        nlohmann::json j = nlohmann::json::parse(client);
        j["offset"] = 0;
        j["limit"] = 60;
        j["showRankingScore"] = true;
        j["filter"].push_back("_miroir_shard IN [0,3,6,9]");
        return j.dump().size();
      },
      20000);
  state.counters["rewrite_us"] = ours;
  state.counters["nlohmann_us"] = dom;
  state.counters["x_nlohmann"] = dom / ours;
}
BENCHMARK(BM_Rewrite_ClientBody)->Unit(benchmark::kMicrosecond);

// Parsing one node's answer alone (no merge, no output): the reader the merge
// runs once per node body — stage 1 over the body, then every hit read with
// its cuts (`_miroir_shard`, the `_rankingScore` the client did not ask for),
// then the members after the hits.
void RunParse(benchmark::State& state, const std::string& client, std::vector<NodeResult> nodes) {
  namespace sr = miroir::search_response;
  auto info = miroir::AnalyzeSearchRequest(client).value();
  const sr::HitPolicy policy = sr::PolicyFor(info);
  simdjson::ondemand::parser parser;
  std::string& body = nodes[0].body;
  size_t hits = 0;
  double start = CpuMicros();
  for (auto _ : state) {
    sr::Store store;
    sr::Response response;
    simdjson::ondemand::document doc;
    simdjson::ondemand::value root;
    auto err = parser.iterate(body.data(), body.size(), body.capacity()).get(doc);
    if (!err) err = doc.get_value().get(root);
    if (!err) {
      err = sr::ParseResponse(root, body.data(), std::span(&policy, 1), /*federated=*/false,
                              &store, &response);
    }
    if (err) state.SkipWithError(simdjson::error_message(err));
    hits = response.hits.size();
    benchmark::DoNotOptimize(response);
  }
  double parse_us = (CpuMicros() - start) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["hits"] = static_cast<double>(hits);
  std::vector<NodeResult> one;
  one.push_back(std::move(nodes[0]));
  int calls = std::max(3, static_cast<int>(20000 / std::max(1.0, parse_us)));
  double simd_us = MicrosPerCall([&] { return SimdjsonWalk(one); }, calls);
  state.counters["parse_us"] = parse_us;
  state.counters["simdjson_us"] = simd_us;
  state.counters["x_simdjson"] = parse_us / simd_us;
}

// One node's answer of 1,000 hits of ~300 bytes (~300 KB).
void BM_ParseNodeResponse_1000Hits(benchmark::State& state) {
  RunParse(state, R"({"q":"night","limit":1000})", Nodes(1000, 300));
}
BENCHMARK(BM_ParseNodeResponse_1000Hits)->Unit(benchmark::kMicrosecond);

// One node's answer of 20 hits of ~1 KB (the fan-out load benchmark's shape).
void BM_ParseNodeResponse_20Hits_1KB(benchmark::State& state) {
  RunParse(state, R"({"q":"night"})", Nodes(20, 1024));
}
BENCHMARK(BM_ParseNodeResponse_20Hits_1KB)->Unit(benchmark::kMicrosecond);

// The facet merge alone: 3 nodes x 10 facets x 100 values (a third shared),
// already parsed, merged in alpha order and written (maxValuesPerFacet 100).
void BM_FacetMerge_3x10x100(benchmark::State& state) {
  namespace facets = miroir::facets;
  std::vector<NodeResult> nodes = Nodes(0, 0, false, 10, 100);
  simdjson::ondemand::parser parser;
  std::vector<facets::Block> blocks(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    std::string& body = nodes[n].body;
    simdjson::ondemand::document doc;
    if (parser.iterate(body.data(), body.size(), body.capacity()).get(doc)) std::abort();
    for (auto field : doc.get_object()) {
      if (field.unescaped_key().value() == "facetDistribution") {
        if (facets::ParseDistribution(field.value().value(), &blocks[n])) std::abort();
      }
    }
  }
  std::vector<const facets::Block*> view;
  for (const facets::Block& b : blocks) view.push_back(&b);
  facets::MergeRules rules;
  rules.order = miroir::FacetValuesOrder::kLexicographic;
  rules.max_values = 100;
  size_t out_bytes = 0;
  double start = CpuMicros();
  for (auto _ : state) {
    std::string out;
    facets::AppendDistribution(&out, view, rules);
    out_bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["merge_us"] = (CpuMicros() - start) / static_cast<double>(state.iterations());
  state.counters["out_KB"] = static_cast<double>(out_bytes) / 1024;
}
BENCHMARK(BM_FacetMerge_3x10x100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
