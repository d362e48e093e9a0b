// Write path: splitting a client payload into per-shard node bodies, with the
// reserved fields spliced in (ARCHITECTURE.md §8: >= 150 MB/s per core).
//
// 10,000 documents of about 1 KiB, S = 64, as a JSON array, an NDJSON stream
// and a CSV file. Baselines in the same run, over the same bytes:
//  - memcpy of the payload (the floor of any pass);
//  - simdjson's DOM parser (runtime-dispatched SIMD kernels, full validation)
//    for JSON/NDJSON, and the csv::Reader alone for CSV;
// and a summary of ratios printed after the runs.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "miroir/core/csv.hpp"
#include "miroir/core/document_batch.hpp"

namespace {

constexpr uint32_t kShards = 64;
constexpr int kDocuments = 10000;

struct Payloads {
  std::string json;
  std::string ndjson;
  std::string csv;
};

std::string Words(std::mt19937& rng, size_t bytes) {
  static const char* const kWords[] = {
      "shard",  "replica", "search",  "caf\xc3\xa9", "index",   "quorum",  "node",
      "lorem",  "ipsum",   "dolor",   "amet",        "vector",  "ranking", "typo",
      "filter", "facet",   "na\xc3\xafve", "\xe2\x82\xac" "42", "rendezvous", "hash"};
  std::string out;
  while (out.size() < bytes) {
    if (!out.empty()) out += ' ';
    out += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
  }
  return out;
}

// Roughly 1 KiB per document: a few short fields, a long description with
// escapes and non-ASCII text, an array and a nested object.
const Payloads& Data() {
  static const Payloads data = [] {
    std::mt19937 rng(42);
    Payloads p;
    p.json = "[";
    p.csv = "id,title,description,price:number,stock:number,tags,author,year:number\n";
    for (int i = 0; i < kDocuments; ++i) {
      const std::string title = Words(rng, 60);
      const std::string description = Words(rng, 640);
      const std::string author = Words(rng, 20);
      const int year = 1900 + static_cast<int>(rng() % 125);
      const std::string price = std::to_string(rng() % 10000) + "." + std::to_string(rng() % 100);
      const std::string stock = std::to_string(rng() % 500);
      // Odd documents use string ids, even ones integers.
      const std::string id = i % 2 ? "\"sku-" + std::to_string(i) + "\"" : std::to_string(i);
      std::string tags_json = "[";
      std::string tags_csv;
      for (int t = 0; t < 5; ++t) {
        const std::string tag = Words(rng, 8);
        tags_json += (t ? ",\"" : "\"") + tag + "\"";
        tags_csv += (t ? "|" : "") + tag;
      }
      tags_json += "]";
      std::string doc = "{\"id\":" + id + ",\"title\":\"" + title + "\",\"description\":\"" +
                        description + " \\\"quoted\\\"\\nnext line\",\"price\":" + price +
                        ",\"stock\":" + stock + ",\"available\":true,\"tags\":" + tags_json +
                        ",\"meta\":{\"author\":\"" + author + "\",\"year\":" +
                        std::to_string(year) + ",\"rating\":4.5,\"ref\":null}}";
      if (i > 0) p.json += ',';
      p.json += doc;
      p.ndjson += doc;
      p.ndjson += '\n';
      const std::string csv_id = i % 2 ? "sku-" + std::to_string(i) : std::to_string(i);
      p.csv += csv_id + ",\"" + title + "\",\"" + description + ", \"\"quoted\"\"\"," + price +
               "," + stock + "," + tags_csv + "," + author + "," + std::to_string(year) + "\n";
    }
    p.json += "]";
    return p;
  }();
  return data;
}

const std::string& PayloadFor(miroir::PayloadFormat format) {
  switch (format) {
    case miroir::PayloadFormat::kJson: return Data().json;
    case miroir::PayloadFormat::kNdjson: return Data().ndjson;
    case miroir::PayloadFormat::kCsv: return Data().csv;
  }
  return Data().json;
}

void Split(benchmark::State& state, miroir::PayloadFormat format, bool anti_entropy) {
  const std::string& payload = PayloadFor(format);
  const miroir::StampOptions stamp{anti_entropy, 1700000000000};
  const std::optional<std::string> pk = std::string("id");
  size_t shards = 0;
  for (auto _ : state) {
    auto result = miroir::ShardDocuments(payload, format, ',', pk, kShards, stamp);
    if (!result || result->task_error()) {
      state.SkipWithError("split failed");
      break;
    }
    shards = result->shards().size();
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
  state.counters["docs"] = kDocuments;
  state.counters["shards"] = static_cast<double>(shards);
  state.counters["doc_bytes"] = static_cast<double>(payload.size()) / kDocuments;
}

void BM_Split_Json(benchmark::State& s) { Split(s, miroir::PayloadFormat::kJson, false); }
void BM_Split_Ndjson(benchmark::State& s) { Split(s, miroir::PayloadFormat::kNdjson, false); }
void BM_Split_Csv(benchmark::State& s) { Split(s, miroir::PayloadFormat::kCsv, false); }
void BM_Split_Json_AntiEntropy(benchmark::State& s) {
  Split(s, miroir::PayloadFormat::kJson, true);
}
void BM_Split_Csv_AntiEntropy(benchmark::State& s) { Split(s, miroir::PayloadFormat::kCsv, true); }

// Split, then one body per node: 8 nodes owning 8 shards each (RF = 1).
void BM_SplitAndBuildBodies_Json(benchmark::State& state) {
  const std::string& payload = Data().json;
  const std::optional<std::string> pk = std::string("id");
  std::string body;
  for (auto _ : state) {
    auto result = miroir::ShardDocuments(payload, miroir::PayloadFormat::kJson, ',', pk, kShards,
                                         {});
    for (uint32_t node = 0; node < 8; ++node) {
      std::vector<uint32_t> owned;
      for (uint32_t s = node; s < kShards; s += 8) owned.push_back(s);
      body.clear();
      result->AppendBody(owned, &body);
      benchmark::DoNotOptimize(body.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}

// --- Baselines -------------------------------------------------------------

void BM_Baseline_Memcpy(benchmark::State& state) {
  const std::string& payload = Data().json;
  std::string copy(payload.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), payload.data(), payload.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}

void BM_Baseline_SimdjsonDom_Json(benchmark::State& state) {
  const std::string& payload = Data().json;
  const simdjson::padded_string padded(payload);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc)) {
      state.SkipWithError("simdjson failed");
      break;
    }
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
  state.SetLabel(simdjson::get_active_implementation()->name());
}

void BM_Baseline_SimdjsonDom_Ndjson(benchmark::State& state) {
  const std::string& payload = Data().ndjson;
  const simdjson::padded_string padded(payload);
  simdjson::dom::parser parser;
  parser.threaded = false;  // one core, like the split
  for (auto _ : state) {
    simdjson::dom::document_stream stream;
    if (parser.parse_many(padded).get(stream)) {
      state.SkipWithError("simdjson failed");
      break;
    }
    size_t count = 0;
    for (auto doc : stream) {
      simdjson::dom::object object;
      if (doc.get(object)) break;
      ++count;
    }
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}

void BM_Baseline_CsvReader(benchmark::State& state) {
  const std::string& payload = Data().csv;
  for (auto _ : state) {
    miroir::csv::Reader reader(payload, ',');
    miroir::csv::Record record;
    size_t count = 0;
    while (reader.Next(record)) ++count;
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}

BENCHMARK(BM_Split_Json)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Split_Ndjson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Split_Csv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Split_Json_AntiEntropy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Split_Csv_AntiEntropy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SplitAndBuildBodies_Json)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Baseline_Memcpy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Baseline_SimdjsonDom_Json)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Baseline_SimdjsonDom_Ndjson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Baseline_CsvReader)->Unit(benchmark::kMillisecond);

// Prints the usual table, then each split's throughput against its baseline.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // With --benchmark_repetitions the median stands for the benchmark.
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      auto it = run.counters.find("bytes_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.str();
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[name] = it->second.value;
      } else {
        rates_[name] = it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nThroughput (MB/s = 1e6 bytes/s) and ratio to baseline:\n");
    const std::pair<const char*, const char*> pairs[] = {
        {"BM_Split_Json", "BM_Baseline_SimdjsonDom_Json"},
        {"BM_Split_Ndjson", "BM_Baseline_SimdjsonDom_Ndjson"},
        {"BM_Split_Csv", "BM_Baseline_CsvReader"},
        {"BM_Split_Json_AntiEntropy", "BM_Split_Json"},
        {"BM_Split_Csv_AntiEntropy", "BM_Split_Csv"},
        {"BM_SplitAndBuildBodies_Json", "BM_Split_Json"},
    };
    const double memcpy_rate = Rate("BM_Baseline_Memcpy");
    for (const auto& [name, baseline] : pairs) {
      const double rate = Rate(name);
      const double base = Rate(baseline);
      if (rate <= 0) continue;
      std::printf("  %-30s %8.0f MB/s   %5.2fx %-32s %5.3fx memcpy\n", name, rate / 1e6,
                  base > 0 ? rate / base : 0.0, baseline,
                  memcpy_rate > 0 ? rate / memcpy_rate : 0.0);
    }
  }

 private:
  double Rate(const std::string& name) const {
    if (auto it = medians_.find(name); it != medians_.end()) return it->second;
    auto it = rates_.find(name);
    return it == rates_.end() ? 0.0 : it->second;
  }

  std::map<std::string, double> rates_;
  std::map<std::string, double> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
