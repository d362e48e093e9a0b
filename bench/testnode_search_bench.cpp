// Search latency of the test node's in-memory engine over 100,000 small
// documents, limit 20, one core: placeholder, one word, two words with a
// prefix, and filtered searches. The index is built once per process.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "index.hpp"

namespace {

using miroir::testnode::Index;
using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

constexpr int kDocuments = 100000;

// A vocabulary with a Zipf-like use: a few frequent words, a long tail.
std::vector<std::string> Vocabulary() {
  static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
                                     "de", "po", "an", "el", "or", "ul", "im", "ze"};
  std::vector<std::string> words;
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    int n = i;
    do {
      w += kSyllables[n % 16];
      n /= 16;
    } while (n);
    w += kSyllables[(i * 7) % 16];
    words.push_back(w);
  }
  return words;
}

const Index& SharedIndex() {
  static Index* index = [] {
    auto* idx = new Index("bench", std::string("id"));
    std::mt19937 rng(42);
    std::vector<std::string> vocabulary = Vocabulary();
    // Rank r is drawn with probability ~ 1/(r+1).
    std::vector<double> weights;
    for (size_t r = 0; r < vocabulary.size(); ++r) {
      weights.push_back(1.0 / static_cast<double>(r + 1));
    }
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    const char* genres[] = {"drama", "comedy", "action", "horror", "romance",
                            "thriller", "documentary", "animation", "western", "music"};
    std::vector<OJson> docs;
    docs.reserve(kDocuments);
    for (int i = 0; i < kDocuments; ++i) {
      OJson d;
      d["id"] = i;
      std::string title;
      for (int w = 0, n = 2 + static_cast<int>(rng() % 4); w < n; ++w) {
        title += (w ? " " : "") + vocabulary[pick(rng)];
      }
      d["title"] = title;
      d["genre"] = genres[rng() % 10];
      d["price"] = static_cast<int>(rng() % 100);
      docs.push_back(std::move(d));
    }
    auto settings = idx->UpdateSettings(Json::parse(
        R"({"filterableAttributes":["genre","price"],"sortableAttributes":["price"]})"));
    if (!settings) std::abort();
    auto added = idx->AddDocuments(std::move(docs), std::nullopt, true);
    if (!added) std::abort();
    return idx;
  }();
  return *index;
}

void Run(benchmark::State& state, const Json& query) {
  const Index& index = SharedIndex();
  size_t hits = 0;
  for (auto _ : state) {
    auto r = index.Search(query);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    hits = (*r)["estimatedTotalHits"].get<size_t>();
    benchmark::DoNotOptimize(r);
  }
  state.counters["matches"] = static_cast<double>(hits);
}

void BM_Placeholder(benchmark::State& state) { Run(state, Json::parse(R"({"limit":20})")); }
void BM_OneWordFrequent(benchmark::State& state) {
  // The most frequent word of the vocabulary: the worst one-word case.
  Run(state, Json{{"q", Vocabulary()[0]}, {"limit", 20}});
}
void BM_OneWordTypical(benchmark::State& state) {
  Run(state, Json{{"q", Vocabulary()[40]}, {"limit", 20}});
}
void BM_TwoWordsWithPrefix(benchmark::State& state) {
  std::string prefix = Vocabulary()[3].substr(0, 3);
  Run(state, Json{{"q", Vocabulary()[1] + " " + prefix}, {"limit", 20}});
}
void BM_PlaceholderFiltered(benchmark::State& state) {
  Run(state, Json::parse(R"({"filter":"genre = drama AND price > 50","limit":20})"));
}
void BM_OneWordFiltered(benchmark::State& state) {
  Run(state, Json{{"q", Vocabulary()[40]}, {"filter", "genre IN [drama, comedy]"}, {"limit", 20}});
}
void BM_PlaceholderSorted(benchmark::State& state) {
  Run(state, Json::parse(R"({"sort":["price:desc"],"limit":20})"));
}
void BM_PlaceholderFacets(benchmark::State& state) {
  Run(state, Json::parse(R"({"facets":["genre","price"],"limit":20})"));
}

BENCHMARK(BM_Placeholder)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OneWordFrequent)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OneWordTypical)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TwoWordsWithPrefix)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlaceholderFiltered)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OneWordFiltered)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlaceholderSorted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlaceholderFacets)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
