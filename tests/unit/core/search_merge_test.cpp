#include "miroir/core/search_merge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

namespace miroir {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

SearchRequestInfo Analyze(std::string_view body, const IndexSearchSettings& settings = {}) {
  auto info = AnalyzeSearchRequest(body, settings);
  EXPECT_TRUE(info.has_value()) << body;
  return info.has_value() ? *info : SearchRequestInfo{};
}

// A node's /search answer, shaped as Meilisearch shapes it.
ojson NodeAnswer(ojson hits, uint64_t estimated_total_hits, uint64_t processing_time_ms = 1) {
  ojson answer;
  answer["hits"] = std::move(hits);
  answer["query"] = "q";
  answer["processingTimeMs"] = processing_time_ms;
  answer["limit"] = 999;  // the node's window is not the client's
  answer["offset"] = 0;
  answer["estimatedTotalHits"] = estimated_total_hits;
  answer["requestUid"] = "0190-node";
  return answer;
}

ojson ScoredHit(int id, double score) {
  ojson hit;
  hit["id"] = id;
  hit["_miroir_shard"] = id % 7;
  hit["_rankingScore"] = score;
  return hit;
}

NodeResult Node(uint32_t order, const ojson& answer) { return NodeResult{answer.dump(), order}; }

json Merge(const SearchRequestInfo& info, std::vector<NodeResult> nodes,
           const MergeOptions& options = {}) {
  auto merged = MergeSearchResponses(info, nodes, options);
  EXPECT_TRUE(merged.has_value()) << (merged.has_value() ? "" : merged.error().message);
  return merged.has_value() ? json::parse(*merged) : json();
}

// The merged facetDistribution as written (member order matters).
std::string Distribution(const SearchRequestInfo& info, std::vector<NodeResult> nodes) {
  auto merged = MergeSearchResponses(info, nodes);
  EXPECT_TRUE(merged.has_value());
  if (!merged.has_value()) return {};
  return ojson::parse(*merged)["facetDistribution"].dump();
}

std::vector<int> Ids(const json& answer) {
  std::vector<int> ids;
  for (const json& hit : answer["hits"]) ids.push_back(hit["id"].get<int>());
  return ids;
}

// Three nodes holding disjoint documents, each ranked by score. Each call
// answers what a node answers to a node query asking for `node_hits` hits.
struct Cluster {
  std::vector<std::vector<std::pair<int, double>>> nodes;  // (id, score), best first

  static Cluster Random(int per_node, uint32_t seed) {
    Cluster c;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> score(0.0, 1.0);
    int id = 0;
    for (int n = 0; n < 3; ++n) {
      auto& hits = c.nodes.emplace_back();
      for (int i = 0; i < per_node; ++i) hits.emplace_back(id++, score(rng));
      std::sort(hits.begin(), hits.end(),
                [](const auto& a, const auto& b) { return a.second > b.second; });
    }
    return c;
  }

  std::vector<NodeResult> Answer(uint64_t node_hits) const {
    std::vector<NodeResult> results;
    for (uint32_t n = 0; n < nodes.size(); ++n) {
      ojson hits = ojson::array();
      for (size_t i = 0; i < nodes[n].size() && i < node_hits; ++i) {
        hits.push_back(ScoredHit(nodes[n][i].first, nodes[n][i].second));
      }
      results.push_back(Node(n, NodeAnswer(hits, nodes[n].size())));
    }
    return results;
  }
};

TEST(SearchMerge, FivePagesOfTenFromThreeNodesEqualOnePageOfFifty) {
  Cluster cluster = Cluster::Random(30, 7);
  SearchRequestInfo all = Analyze(R"({"limit":50})");
  std::vector<int> expected = Ids(Merge(all, cluster.Answer(all.node_hits)));
  ASSERT_EQ(expected.size(), 50u);

  std::vector<int> paged;
  for (int page = 0; page < 5; ++page) {
    std::string body = "{\"offset\":" + std::to_string(page * 10) + ",\"limit\":10}";
    SearchRequestInfo info = Analyze(body);
    json answer = Merge(info, cluster.Answer(info.node_hits));
    EXPECT_EQ(answer["offset"], page * 10);
    EXPECT_EQ(answer["limit"], 10);
    EXPECT_EQ(answer["estimatedTotalHits"], 90);
    for (int id : Ids(answer)) paged.push_back(id);
  }
  EXPECT_EQ(paged, expected);

  // And the merged order is the global score order.
  std::vector<std::pair<int, double>> everything;
  for (const auto& node : cluster.nodes) everything.insert(everything.end(), node.begin(), node.end());
  std::sort(everything.begin(), everything.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(expected[i], everything[i].first);
}

TEST(SearchMerge, PageModeCutsThePageAndReportsExactTotals) {
  Cluster cluster = Cluster::Random(9, 11);  // 27 documents
  SearchRequestInfo all = Analyze(R"({"limit":27})");
  std::vector<int> expected = Ids(Merge(all, cluster.Answer(all.node_hits)));

  SearchRequestInfo info = Analyze(R"({"page":3,"hitsPerPage":5})");
  json answer = Merge(info, cluster.Answer(info.node_hits));
  EXPECT_EQ(Ids(answer), std::vector<int>(expected.begin() + 10, expected.begin() + 15));
  EXPECT_EQ(answer["hitsPerPage"], 5);
  EXPECT_EQ(answer["page"], 3);
  EXPECT_EQ(answer["totalHits"], 27);
  EXPECT_EQ(answer["totalPages"], 6);
  EXPECT_FALSE(answer.contains("estimatedTotalHits"));
  EXPECT_FALSE(answer.contains("offset"));

  SearchRequestInfo page_zero = Analyze(R"({"page":0,"hitsPerPage":5})");
  json zero = Merge(page_zero, cluster.Answer(page_zero.node_hits));
  EXPECT_TRUE(zero["hits"].empty());
  EXPECT_EQ(zero["totalHits"], 27);
  EXPECT_EQ(zero["totalPages"], 6);

  SearchRequestInfo no_pages = Analyze(R"({"hitsPerPage":0})");
  EXPECT_EQ(Merge(no_pages, cluster.Answer(no_pages.node_hits))["totalPages"], 0);
}

TEST(SearchMerge, OffsetBeyondEveryHitGivesNoHitsButTheTotal) {
  Cluster cluster = Cluster::Random(4, 3);
  SearchRequestInfo info = Analyze(R"({"offset":100,"limit":10})");
  json answer = Merge(info, cluster.Answer(info.node_hits));
  EXPECT_TRUE(answer["hits"].empty());
  EXPECT_EQ(answer["offset"], 100);
  EXPECT_EQ(answer["estimatedTotalHits"], 12);
}

TEST(SearchMerge, MaxTotalHitsCapsTheWindowAndTheTotal) {
  Cluster cluster = Cluster::Random(8, 5);
  IndexSearchSettings settings;
  settings.max_total_hits = 10;
  SearchRequestInfo info = Analyze(R"({"offset":6,"limit":10})", settings);
  json answer = Merge(info, cluster.Answer(info.node_hits));
  EXPECT_EQ(answer["hits"].size(), 4u);
  EXPECT_EQ(answer["estimatedTotalHits"], 10);
}

TEST(SearchMerge, TiesGoToTheLowerNodeOrderThenTheNodesOwnOrder) {
  auto node = [](uint32_t order, std::vector<int> ids) {
    ojson hits = ojson::array();
    for (int id : ids) hits.push_back(ScoredHit(id, 0.5));
    return Node(order, NodeAnswer(hits, ids.size()));
  };
  SearchRequestInfo info = Analyze(R"({"limit":10})");
  // Results arrive in any order; node_order decides.
  json answer = Merge(info, {node(2, {20, 21}), node(0, {1, 2, 3}), node(1, {10})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{1, 2, 3, 10, 20, 21}));
  json again = Merge(info, {node(1, {10}), node(2, {20, 21}), node(0, {1, 2, 3})});
  EXPECT_EQ(Ids(again), Ids(answer));
}

// A hit whose order comes from `_rankingScoreDetails`, as a node answers a
// sorted search: `rules` are (name, details) in ranking-rule order.
ojson DetailedHit(int id, double score, std::vector<std::pair<std::string, ojson>> rules,
                  ojson fields = ojson::object()) {
  ojson hit = fields;
  hit["id"] = id;
  ojson details = ojson::object();
  int order = 0;
  for (auto& [name, body] : rules) {
    body["order"] = order++;
    details[name] = body;
  }
  hit["_rankingScore"] = score;
  hit["_rankingScoreDetails"] = details;
  return hit;
}

ojson SortRule(ojson value) { return ojson{{"value", std::move(value)}}; }
ojson ScoreRule(double score) { return ojson{{"score", score}}; }

NodeResult NodeOf(uint32_t order, std::vector<ojson> hits) {
  ojson array = ojson::array();
  for (auto& h : hits) array.push_back(std::move(h));
  return Node(order, NodeAnswer(array, array.size()));
}

TEST(SearchMerge, SortAscendingNumbersFromScoreDetailsWithMissingValuesLast) {
  SearchRequestInfo info = Analyze(R"({"sort":["price:asc"]})");
  auto hit = [](int id, ojson price) {
    return DetailedHit(id, 1.0, {{"price:asc", SortRule(std::move(price))}});
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 5), hit(2, 30), hit(3, nullptr)}),
                             NodeOf(1, {hit(4, -2.5), hit(5, 12), hit(6, nullptr)})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{4, 1, 5, 2, 3, 6}));
  // The details Miroir asked for are not shown, nor the score.
  EXPECT_FALSE(answer["hits"][0].contains("_rankingScoreDetails"));
  EXPECT_FALSE(answer["hits"][0].contains("_rankingScore"));
}

TEST(SearchMerge, SortDescendingPutsNumbersBeforeStringsThenMissing) {
  SearchRequestInfo info = Analyze(R"({"sort":["tag:desc"],"showRankingScoreDetails":true})");
  auto hit = [](int id, ojson tag) {
    return DetailedHit(id, 1.0, {{"tag:desc", SortRule(std::move(tag))}});
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 3), hit(2, "pear"), hit(3, "apple")}),
                             NodeOf(1, {hit(4, 10), hit(5, "zebra"), hit(6, nullptr)})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{4, 1, 5, 2, 3, 6}));
  // The client asked for the details: they stay.
  EXPECT_TRUE(answer["hits"][0].contains("_rankingScoreDetails"));
}

TEST(SearchMerge, SortAscendingStringsCompareByteWise) {
  SearchRequestInfo info = Analyze(R"({"sort":["name:asc"]})");
  auto hit = [](int id, ojson name) {
    return DetailedHit(id, 1.0, {{"name:asc", SortRule(std::move(name))}});
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, "b"), hit(2, "d")}),
                             NodeOf(1, {hit(3, "a"), hit(4, "c"), hit(5, "e")})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{3, 1, 4, 2, 5}));
}

TEST(SearchMerge, RulesBeforeSortOutrankTheSortValue) {
  // Default ranking rules put "words" before "sort": a hit matching more
  // words comes first whatever its price; `_rankingScore` alone (which
  // ignores sort) could not give this order, nor could the price alone.
  SearchRequestInfo info = Analyze(R"({"q":"red shoe","sort":["price:asc"]})");
  auto hit = [](int id, double words, double price, double exactness) {
    return DetailedHit(id, words * exactness,
                       {{"words", ScoreRule(words)},
                        {"price:asc", SortRule(price)},
                        {"exactness", ScoreRule(exactness)}});
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 1.0, 50, 0.5), hit(2, 0.5, 1, 1.0)}),
                             NodeOf(1, {hit(4, 1.0, 20, 0.9), hit(3, 1.0, 20, 0.1)})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{4, 3, 1, 2}));
}

TEST(SearchMerge, GeoSortComparesDistancesMissingLast) {
  SearchRequestInfo info = Analyze(R"({"sort":["_geoPoint(48.8, 2.3):asc"]})");
  auto hit = [](int id, ojson distance) {
    return DetailedHit(id, 1.0,
                       {{"_geoPoint(48.8, 2.3):asc",
                         ojson{{"value", nullptr}, {"distance", std::move(distance)}}}});
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 10.0), hit(2, nullptr)}),
                             NodeOf(1, {hit(3, 3.5), hit(4, 900.0)})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{3, 1, 4, 2}));
}

TEST(SearchMerge, WithoutDetailsSortsByDocumentFieldsThenScore) {
  // A node that sends no score details: the sort values come from the
  // documents (numbers first, missing last), ties by _rankingScore.
  SearchRequestInfo info = Analyze(R"({"sort":["rank:asc"]})");
  auto hit = [](int id, double score, ojson rank) {
    ojson h = ScoredHit(id, score);
    if (!rank.is_null()) h["rank"] = rank;
    return h;
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 0.2, 1), hit(2, 0.9, 2), hit(3, 0.5, nullptr)}),
                             NodeOf(1, {hit(4, 0.8, 1), hit(5, 0.1, "x"), hit(6, 0.7, nullptr)})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{4, 1, 2, 5, 6, 3}));
}

TEST(SearchMerge, DistinctKeepsTheBestHitOfEachValueAcrossNodes) {
  SearchRequestInfo info = Analyze(R"({"distinct":"color","limit":10})");
  auto hit = [](int id, double score, ojson color) {
    ojson h = ScoredHit(id, score);
    h["color"] = std::move(color);
    return h;
  };
  json answer =
      Merge(info, {NodeOf(0, {hit(1, 0.9, "Red"), hit(2, 0.5, "blue")}),
                   NodeOf(1, {hit(3, 0.8, "red "), hit(4, 0.7, "green"), hit(5, 0.6, 7)}),
                   NodeOf(2, {hit(6, 0.4, "Blue"), hit(7, 0.3, 7), hit(8, 0.2, nullptr)})});
  // "Red"/"red " and "blue"/"Blue" normalize equal; 7 repeats; null is kept.
  EXPECT_EQ(Ids(answer), (std::vector<int>{1, 4, 5, 2, 8}));
  EXPECT_EQ(answer["estimatedTotalHits"], 8 - 3);
}

TEST(SearchMerge, DistinctOnArrayValuesRejectsAnySharedValue) {
  SearchRequestInfo info = Analyze(R"({"distinct":"tags"})");
  auto hit = [](int id, double score, ojson tags) {
    ojson h = ScoredHit(id, score);
    h["tags"] = std::move(tags);
    return h;
  };
  json answer = Merge(info, {NodeOf(0, {hit(1, 0.9, ojson::array({"a", "b"}))}),
                             NodeOf(1, {hit(2, 0.8, ojson::array({"c", "b"})),
                                        hit(3, 0.7, ojson::array({"d"}))})});
  EXPECT_EQ(Ids(answer), (std::vector<int>{1, 3}));
}

TEST(SearchMerge, StripsRankingScoreAndReservedFieldsByteExact) {
  SearchRequestInfo info = Analyze(R"({"attributesToHighlight":["*"],"showMatchesPosition":true})");
  std::string node =
      R"({"hits":[{"_miroir_shard":3,"id":1,"title":"Red","_miroir_digest":"ab",)"
      R"("_formatted":{"_miroir_shard":"3","id":"1","title":"<em>Red</em>"},)"
      R"("_matchesPosition":{"title":[{"start":0,"length":3}],"_miroir_shard":[]},)"
      R"("_rankingScore":0.75}],"query":"red","processingTimeMs":2,"limit":20,"offset":0,)"
      R"("estimatedTotalHits":1})";
  std::vector<NodeResult> nodes = {{node, 0}};
  auto merged = MergeSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged,
            R"({"hits":[{"id":1,"title":"Red","_formatted":{"id":"1","title":"<em>Red</em>"},)"
            R"("_matchesPosition":{"title":[{"start":0,"length":3}]}}],"query":"red",)"
            R"("processingTimeMs":2,"limit":20,"offset":0,"estimatedTotalHits":1})");
}

TEST(SearchMerge, StripsFromPrettyPrintedBodiesAndKeepsAskedForScore) {
  SearchRequestInfo info = Analyze(R"({"showRankingScore":true})");
  std::string node =
      "{\n  \"hits\" : [ {\n    \"_miroir_shard\" : 1 ,\n    \"id\" : 1,\n"
      "    \"_rankingScore\" : 0.5\n  } , { \"_miroir_shard\": 2 } ],\n"
      "  \"query\": \"\", \"processingTimeMs\": 0, \"estimatedTotalHits\": 2 }\n";
  std::vector<NodeResult> nodes = {{node, 0}};
  auto merged = MergeSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  json answer = json::parse(*merged);
  EXPECT_EQ(answer["hits"][0], json::parse(R"({"id":1,"_rankingScore":0.5})"));
  EXPECT_EQ(answer["hits"][1], json::object());
}

TEST(SearchMerge, FieldsAddedForTheMergeAreRemovedAgain) {
  std::string client = R"({"attributesToRetrieve":["title"],"distinct":"color",)"
                       R"("attributesToHighlight":["title"]})";
  SearchRequestInfo info = Analyze(client);
  ASSERT_EQ(info.added_fields, std::vector<std::string>{"color"});
  std::string node =
      R"({"hits":[{"title":"a","color":"red","_formatted":{"title":"a","color":"red"},)"
      R"("_rankingScore":0.5},{"color":"red","title":"b","_rankingScore":0.4}],)"
      R"("query":"","processingTimeMs":0,"estimatedTotalHits":2})";
  std::vector<NodeResult> nodes = {{node, 0}};
  auto merged = MergeSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->substr(0, merged->find("],")),
            R"({"hits":[{"title":"a","_formatted":{"title":"a"}})");
  // The second hit shares the first's color: dropped by distinct.
  EXPECT_EQ(json::parse(*merged)["estimatedTotalHits"], 1);
}

TEST(SearchMerge, ResponseMembersFollowMeilisearchOrder) {
  SearchRequestInfo info = Analyze(R"({"facets":["genre"]})");
  ojson a = NodeAnswer(ojson::array({ScoredHit(1, 0.5)}), 1, 3);
  a["facetDistribution"] = {{"genre", {{"drama", 1}}}};
  a["facetStats"] = {{"year", {{"min", 1990.0}, {"max", 2001.0}}}};
  a["semanticHitCount"] = 0;
  a["futureMember"] = {{"x", 1}};
  ojson b = NodeAnswer(ojson::array({ScoredHit(2, 0.4)}), 1, 9);
  b["facetDistribution"] = {{"genre", {{"drama", 2}, {"horror", 1}}}};
  b["facetStats"] = {{"year", {{"min", 1980.5}, {"max", 1999.0}}}};
  b["semanticHitCount"] = 0;
  std::vector<NodeResult> nodes = {Node(0, a), Node(1, b)};
  auto merged = MergeSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  std::vector<std::string> keys;
  ojson ordered = ojson::parse(*merged);
  for (auto& [key, value] : ordered.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"hits", "query", "processingTimeMs", "limit",
                                            "offset", "estimatedTotalHits", "facetDistribution",
                                            "facetStats", "requestUid", "semanticHitCount",
                                            "futureMember"}));
  json answer = json::parse(*merged);
  EXPECT_EQ(answer["processingTimeMs"], 9);  // the slowest node
  EXPECT_EQ(answer["requestUid"], "0190-node");
  EXPECT_EQ(answer["facetDistribution"], json::parse(R"({"genre":{"drama":3,"horror":1}})"));
  EXPECT_EQ(merged->find(R"("facetStats":{"year":{"min":1980.5,"max":2001.0}})") !=
                std::string::npos,
            true)
      << *merged;

  SearchRequestInfo paged = Analyze(R"({"page":1})");
  nodes = {Node(0, NodeAnswer(ojson::array(), 0))};
  MergeOptions options;
  options.processing_time_ms = 4;
  options.request_uid = "0190-proxy";
  auto page_answer = MergeSearchResponses(paged, nodes, options);
  ASSERT_TRUE(page_answer.has_value());
  EXPECT_EQ(*page_answer,
            R"({"hits":[],"query":"q","processingTimeMs":4,"hitsPerPage":20,"page":1,)"
            R"("totalPages":0,"totalHits":0,"requestUid":"0190-proxy"})");
}

TEST(SearchMerge, FacetCountsSumExactlyAndStatsCombine) {
  SearchRequestInfo info = Analyze(R"({"facets":["*"]})");
  ojson a = NodeAnswer(ojson::array(), 10);
  a["facetDistribution"] = {{"_miroir_shard", {{"1", 10}}},
                            {"genre", {{"Action", 4}, {"comedy", 6}}},
                            {"year", {{"1999", 3}, {"2001", 7}}}};
  a["facetStats"] = {{"_miroir_shard", {{"min", 1.0}, {"max", 1.0}}},
                     {"year", {{"min", 1999.0}, {"max", 2001.0}}}};
  ojson b = NodeAnswer(ojson::array(), 5);
  b["facetDistribution"] = {{"_miroir_shard", {{"2", 5}}},
                            {"genre", {{"Adventure", 1}, {"comedy", 4}}},
                            {"year", {{"10", 5}}}};
  b["facetStats"] = {{"_miroir_shard", {{"min", 2.0}, {"max", 2.0}}},
                     {"year", {{"min", 10.0}, {"max", 10.0}}}};
  json answer = Merge(info, {Node(0, a), Node(1, b)});
  // Alpha order: numbers numerically, strings case-insensitively.
  EXPECT_EQ(Distribution(info, {Node(0, a), Node(1, b)}),
            R"({"genre":{"Action":4,"Adventure":1,"comedy":10},"year":{"10":5,"1999":3,"2001":7}})");
  EXPECT_EQ(answer["facetStats"].dump(), R"({"year":{"max":2001.0,"min":10.0}})");
  EXPECT_EQ(answer["estimatedTotalHits"], 15);
}

TEST(SearchMerge, FacetCountOrderIsDetectedOrTakenFromSettingsAndTruncated) {
  ojson a = NodeAnswer(ojson::array(), 0);
  a["facetDistribution"] = {{"tag", {{"z", 9}, {"a", 5}, {"m", 1}}}};
  ojson b = NodeAnswer(ojson::array(), 0);
  b["facetDistribution"] = {{"tag", {{"m", 8}, {"b", 2}}}};
  SearchRequestInfo detected = Analyze(R"({"facets":["tag"]})");
  EXPECT_EQ(Distribution(detected, {Node(0, a), Node(1, b)}),
            R"({"tag":{"m":9,"z":9,"a":5,"b":2}})");

  IndexSearchSettings settings;
  settings.facet_order = FacetValuesOrder::kLexicographic;
  settings.max_values_per_facet = 3;
  SearchRequestInfo alpha = Analyze(R"({"facets":["tag"]})", settings);
  EXPECT_EQ(Distribution(alpha, {Node(0, a), Node(1, b)}), R"({"tag":{"a":5,"b":2,"m":9}})");
}

TEST(SearchMerge, FacetValuesFollowMeilisearchNormalizationAndNumberRules) {
  // Strings that normalize alike are one value; numbers come before strings.
  ojson a = NodeAnswer(ojson::array(), 1000);
  a["facetDistribution"] = {{"v", {{"10", 1}, {"2", 4}, {"Blue", 2}, {"red", 1}}}};
  ojson b = NodeAnswer(ojson::array(), 1000);
  b["facetDistribution"] = {{"v", {{"3", 1}, {" blue", 5}, {"Red", 3}}}};
  SearchRequestInfo info = Analyze(R"({"facets":["v"]})");
  // At most 3,000 matches: a node orders numbers by their text.
  EXPECT_EQ(Distribution(info, {Node(0, a), Node(1, b)}),
            R"({"v":{"10":1,"2":4,"3":1,"Blue":7,"red":4}})");
  // More: by value.
  a["estimatedTotalHits"] = 5000;
  EXPECT_EQ(Distribution(info, {Node(0, a), Node(1, b)}),
            R"({"v":{"2":4,"3":1,"10":1,"Blue":7,"red":4}})");
  // Count order: numbers by count, then strings by count.
  IndexSearchSettings by_count;
  by_count.facet_order = FacetValuesOrder::kCount;
  SearchRequestInfo counted = Analyze(R"({"facets":["v"]})", by_count);
  EXPECT_EQ(Distribution(counted, {Node(0, a), Node(1, b)}),
            R"({"v":{"2":4,"3":1,"10":1,"Blue":7,"red":4}})");
}

TEST(SearchMerge, ShardFacetCountsDecideHowNumbersAreOrdered) {
  // Each node capped its total at maxTotalHits (1000): the totals say 2000,
  // the `_miroir_shard` counts say 4000 candidates: numbers by value.
  IndexSearchSettings settings;
  settings.max_total_hits = 1000;
  SearchRequestInfo info = Analyze(R"({"facets":["v"]})", settings);
  ASSERT_TRUE(info.count_shard_facet);
  ojson a = NodeAnswer(ojson::array(), 1000);
  a["facetDistribution"] = {{"_miroir_shard", {{"1", 1500}, {"2", 500}}},
                            {"v", {{"2", 4}, {"10", 1}}}};
  ojson b = NodeAnswer(ojson::array(), 1000);
  b["facetDistribution"] = {{"_miroir_shard", {{"3", 2000}}}, {"v", {{"3", 1}}}};
  EXPECT_EQ(Distribution(info, {Node(0, a), Node(1, b)}), R"({"v":{"2":4,"3":1,"10":1}})");
  // 2,000 candidates in all: by text.
  a["facetDistribution"]["_miroir_shard"] = {{"1", 1000}};
  b["facetDistribution"]["_miroir_shard"] = {{"3", 1000}};
  a["facetDistribution"]["v"] = {{"10", 1}, {"2", 4}};
  EXPECT_EQ(Distribution(info, {Node(0, a), Node(1, b)}), R"({"v":{"10":1,"2":4,"3":1}})");
}

TEST(SearchMerge, PageModeDistinctTotalCountsEachValueOnce) {
  // Family 1 lives on both nodes; each node counts it.
  SearchRequestInfo info = Analyze(R"({"distinct":"family","page":1,"hitsPerPage":1})");
  auto hit = [](int id, int family, double score) {
    ojson h = ScoredHit(id, score);
    h["family"] = family;
    return h;
  };
  ojson a = NodeAnswer(ojson::array({hit(1, 1, 0.9), hit(2, 2, 0.8)}), 0);
  a.erase("estimatedTotalHits");
  a.erase("limit");
  a.erase("offset");
  a["hitsPerPage"] = info.node_hits;
  a["page"] = 1;
  a["totalPages"] = 1;
  a["totalHits"] = 2;
  ojson b = a;
  b["hits"] = ojson::array({hit(3, 1, 0.7), hit(4, 3, 0.6)});
  json answer = Merge(info, {Node(0, a), Node(1, b)});
  EXPECT_EQ(answer["totalHits"], 3);
  EXPECT_EQ(answer["totalPages"], 3);
  EXPECT_EQ(Ids(answer), std::vector<int>{1});
}

// --- Malformed node answers ---------------------------------------------------

void ExpectNodeError(const SearchRequestInfo& info, std::string body) {
  std::vector<NodeResult> nodes = {{std::move(body), 0}};
  auto merged = MergeSearchResponses(info, nodes);
  ASSERT_FALSE(merged.has_value()) << nodes[0].body;
  EXPECT_EQ(merged.error().code, ErrorCode::kMiroirNodeError);
  EXPECT_EQ(merged.error().status, 502u);
}

TEST(SearchMerge, MalformedOrTruncatedNodeBodiesAreNodeErrors) {
  SearchRequestInfo info = Analyze(R"({"sort":["a:asc"],"distinct":"c","facets":["x"]})");
  for (std::string body :
       {std::string(""), std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"hits":{}})"), std::string(R"({"hits":[1]})"),
        std::string(R"({"hits":[{"_rankingScore":"high"}]})"),
        std::string(R"({"hits":[{"_rankingScore":1e999}]})"),
        std::string(R"({"hits":[],"estimatedTotalHits":-1})"),
        std::string(R"({"hits":[],"estimatedTotalHits":99999999999999999999999})"),
        std::string(R"({"hits":[],"facetDistribution":{"x":{"a":"many"}}})"),
        std::string(R"({"hits":[],"facetStats":{"x":{"min":1}}})"),
        std::string(R"({"hits":[{"_rankingScoreDetails":{"a:asc":7}}]})"),
        std::string(R"({"hits":[{"id":1}]} trailing)"),
        std::string(R"({"hits":[{"id":1},]})"),
        std::string(R"({"hits":[{"id":1})"), std::string(R"({"hits":[{"id":"1)"),
        "{\"hits\":[" + std::string(100000, '[') + std::string(100000, ']') + "]}"}) {
    ExpectNodeError(info, body);
  }
}

TEST(SearchMerge, EveryTruncationOfAValidBodyIsAnErrorNeverACrash) {
  SearchRequestInfo info =
      Analyze(R"({"sort":["a:asc"],"distinct":"c","facets":["x"],"attributesToRetrieve":["t"]})");
  std::string body =
      R"({"hits":[{"t":"x","c":["p",{"q":1}],"a":3,"_miroir_shard":1,"_formatted":{"t":"x","c":"p"},)"
      R"("_rankingScore":0.5,"_rankingScoreDetails":{"words":{"order":0,"score":1.0},)"
      R"("a:asc":{"order":1,"value":"s\"\u00e9"}}}],"query":"x","processingTimeMs":1,)"
      R"("estimatedTotalHits":1,"facetDistribution":{"x":{"v":1}},)"
      R"("facetStats":{"y":{"min":1,"max":2}},"requestUid":"u"})";
  {
    std::vector<NodeResult> nodes = {{body, 0}};
    ASSERT_TRUE(MergeSearchResponses(info, nodes).has_value());
  }
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<NodeResult> nodes = {{body.substr(0, n), 0}};
    EXPECT_FALSE(MergeSearchResponses(info, nodes).has_value()) << n;
  }
  // Byte flips: any outcome but a crash.
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = body;
    mutated[rng() % mutated.size()] = static_cast<char>(rng() % 128);
    std::vector<NodeResult> nodes = {{mutated, 0}};
    (void)MergeSearchResponses(info, nodes);
  }
}

TEST(SearchMerge, TruncationsInsideHitsTheMergeSkipsAreStillErrors) {
  // Only the first hit is needed; the others are skipped, not read, yet a
  // body cut anywhere must still be refused.
  SearchRequestInfo info = Analyze(R"({"limit":1})");
  std::string body =
      R"({"hits":[{"id":1,"_rankingScore":0.9},{"id":2,"t":{"a":[1,{"b":"}"}]},"_rankingScore":0.5},)"
      R"({"id":3,"_rankingScore":0.1}],"query":"","processingTimeMs":1,"estimatedTotalHits":3})";
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<NodeResult> nodes = {{body.substr(0, n), 0}};
    EXPECT_FALSE(MergeSearchResponses(info, nodes).has_value()) << body.substr(0, n);
  }
}

// --- /multi-search ---------------------------------------------------------------

ojson FederatedHit(int id, const char* index, int position, double weighted, double score) {
  ojson hit;
  hit["id"] = id;
  hit["_miroir_shard"] = 0;
  hit["_federation"] = {{"indexUid", index},
                        {"queriesPosition", position},
                        {"weightedRankingScore", weighted}};
  hit["_rankingScore"] = score;
  return hit;
}

ojson FederatedAnswer(std::vector<ojson> hits, uint64_t total) {
  ojson answer;
  answer["hits"] = ojson::array();
  for (auto& h : hits) answer["hits"].push_back(std::move(h));
  answer["processingTimeMs"] = 2;
  answer["limit"] = 999;
  answer["offset"] = 0;
  answer["estimatedTotalHits"] = total;
  answer["requestUid"] = "0190-fed";
  return answer;
}

TEST(MultiSearchMerge, FederatedHitsRankByWeightedScoreThenQueryPositionThenNode) {
  std::string client = R"({"federation":{"limit":5},"queries":[
      {"indexUid":"movies","q":"a","showRankingScore":true},
      {"indexUid":"books","q":"a","federationOptions":{"weight":2.0}}]})";
  auto info = AnalyzeMultiSearchRequest(client, nullptr);
  ASSERT_TRUE(info.has_value());
  std::vector<NodeResult> nodes = {
      Node(1, FederatedAnswer({FederatedHit(10, "books", 1, 1.6, 0.8),
                               FederatedHit(11, "movies", 0, 0.7, 0.7)},
                              30)),
      Node(0, FederatedAnswer({FederatedHit(1, "movies", 0, 0.9, 0.9),
                               FederatedHit(2, "books", 1, 0.7, 0.35),
                               FederatedHit(3, "movies", 0, 0.2, 0.2)},
                              12))};
  auto merged = MergeMultiSearchResponses(*info, nodes);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  ojson answer = ojson::parse(*merged);
  EXPECT_EQ(Ids(json::parse(*merged)), (std::vector<int>{10, 1, 11, 2, 3}));
  std::vector<std::string> keys;
  for (auto& [key, value] : answer.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"hits", "processingTimeMs", "limit", "offset",
                                            "estimatedTotalHits", "requestUid"}));
  EXPECT_EQ(answer["estimatedTotalHits"], 42);
  EXPECT_EQ(answer["limit"], 5);
  // _federation stays; the score only for the query that asked for it.
  EXPECT_EQ(answer["hits"][0].dump(),
            R"({"id":10,"_federation":{"indexUid":"books","queriesPosition":1,)"
            R"("weightedRankingScore":1.6}})");
  EXPECT_EQ(answer["hits"][1]["_rankingScore"], 0.9);
}

TEST(MultiSearchMerge, FederatedDistinctAndFacetsByIndexMergeAcrossNodes) {
  std::string client = R"({"federation":{"distinct":"color","facetsByIndex":{"m":["g"]}},
      "queries":[{"indexUid":"m"}]})";
  auto info = AnalyzeMultiSearchRequest(client, nullptr);
  ASSERT_TRUE(info.has_value());
  auto hit = [](int id, double score, const char* color) {
    ojson h = FederatedHit(id, "m", 0, score, score);
    h["color"] = color;
    return h;
  };
  ojson a = FederatedAnswer({hit(1, 0.9, "red"), hit(2, 0.5, "blue")}, 2);
  a["facetsByIndex"] = {{"m", {{"distribution", {{"g", {{"x", 1}, {"y", 1}}}}},
                               {"stats", ojson::object()}}}};
  ojson b = FederatedAnswer({hit(3, 0.8, "red")}, 1);
  b["facetsByIndex"] = {{"m", {{"distribution", {{"g", {{"x", 2}}}}}, {"stats", ojson::object()}}}};
  std::vector<NodeResult> nodes = {Node(0, a), Node(1, b)};
  auto merged = MergeMultiSearchResponses(*info, nodes);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  json answer = json::parse(*merged);
  EXPECT_EQ(Ids(answer), (std::vector<int>{1, 2}));
  EXPECT_EQ(answer["estimatedTotalHits"], 2);
  EXPECT_EQ(answer["facetsByIndex"],
            json::parse(R"({"m":{"distribution":{"g":{"x":3,"y":1}},"stats":{}}})"));
}

TEST(MultiSearchMerge, NonFederatedResultsAreMergedQueryByQuery) {
  std::string client = R"({"queries":[{"indexUid":"a","limit":2},{"indexUid":"b"}]})";
  auto info = AnalyzeMultiSearchRequest(client, nullptr);
  ASSERT_TRUE(info.has_value());
  auto node = [](uint32_t order, std::vector<std::pair<int, double>> a_hits) {
    ojson a_answer = NodeAnswer(ojson::array(), a_hits.size());
    for (auto [id, score] : a_hits) a_answer["hits"].push_back(ScoredHit(id, score));
    ojson with_uid;
    with_uid["indexUid"] = "a";
    for (auto& [k, v] : a_answer.items()) with_uid[k] = v;
    ojson b_answer;
    b_answer["indexUid"] = "b";
    ojson empty = NodeAnswer(ojson::array(), 0);
    for (auto& [k, v] : empty.items()) b_answer[k] = v;
    ojson body;
    body["results"] = ojson::array({with_uid, b_answer});
    return Node(order, body);
  };
  std::vector<NodeResult> nodes = {node(0, {{1, 0.3}, {2, 0.1}}), node(1, {{3, 0.5}})};
  auto merged = MergeMultiSearchResponses(*info, nodes);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  ojson answer = ojson::parse(*merged);
  ASSERT_EQ(answer["results"].size(), 2u);
  EXPECT_EQ(answer["results"][0].begin().key(), "indexUid");
  EXPECT_EQ(answer["results"][0]["indexUid"], "a");
  EXPECT_EQ(Ids(json(answer["results"][0])), (std::vector<int>{3, 1}));
  EXPECT_EQ(answer["results"][0]["estimatedTotalHits"], 3);
  EXPECT_EQ(answer["results"][1]["hits"], ojson::array());
}

TEST(MultiSearchMerge, AnswerWithTheWrongNumberOfResultsIsANodeError) {
  auto info = AnalyzeMultiSearchRequest(R"({"queries":[{"indexUid":"a"},{"indexUid":"b"}]})",
                                        nullptr);
  ASSERT_TRUE(info.has_value());
  std::vector<NodeResult> nodes = {
      {R"({"results":[{"indexUid":"a","hits":[],"estimatedTotalHits":0}]})", 0}};
  auto merged = MergeMultiSearchResponses(*info, nodes);
  ASSERT_FALSE(merged.has_value());
  EXPECT_EQ(merged.error().code, ErrorCode::kMiroirNodeError);
}

TEST(MultiSearchMerge, TruncatedOrMutatedAnswersNeverCrash) {
  auto federated = AnalyzeMultiSearchRequest(
      R"({"federation":{"distinct":"c","mergeFacets":{}},"queries":[{"indexUid":"m","sort":["a:asc"]}]})",
      nullptr);
  auto plain = AnalyzeMultiSearchRequest(R"({"queries":[{"indexUid":"m","distinct":"c"}]})", nullptr);
  ASSERT_TRUE(federated.has_value() && plain.has_value());
  ojson fed_hit = FederatedHit(1, "m", 0, 0.5, 0.5);
  fed_hit["c"] = ojson::array({"x", 2});
  fed_hit["_rankingScoreDetails"] = {{"a:asc", {{"order", 0}, {"value", "v"}}}};
  ojson fed = FederatedAnswer({fed_hit}, 1);
  fed["facetDistribution"] = {{"g", {{"k", 1}}}};
  fed["facetsByIndex"] = {{"m", {{"distribution", ojson::object()}, {"stats", ojson::object()}}}};
  ojson result = NodeAnswer(ojson::array({ScoredHit(1, 0.5)}), 1);
  result["indexUid"] = "m";
  ojson multi;
  multi["results"] = ojson::array({result});
  std::mt19937 rng(3);
  for (const auto& [info, body] : {std::pair{&*federated, fed.dump()},
                                   std::pair{&*plain, multi.dump()}}) {
    {
      std::vector<NodeResult> nodes = {{body, 0}};
      ASSERT_TRUE(MergeMultiSearchResponses(*info, nodes).has_value()) << body;
    }
    for (size_t n = 0; n < body.size(); ++n) {
      std::vector<NodeResult> nodes = {{body.substr(0, n), 0}};
      EXPECT_FALSE(MergeMultiSearchResponses(*info, nodes).has_value()) << n;
    }
    for (int i = 0; i < 2000; ++i) {
      std::string mutated = body;
      mutated[rng() % mutated.size()] = static_cast<char>(rng() % 128);
      std::vector<NodeResult> nodes = {{mutated, 0}, {body, 1}};
      (void)MergeMultiSearchResponses(*info, nodes);
    }
  }
}

// The members after the hits are read from the body's tail (not by skipping
// the unread hits); hits whose documents contain `],"query":` and answers
// whose key order differs must still be read whole and right.
class TailTest : public ::testing::Test {
 protected:
  static ojson TrickyHit(int id, double score) {
    ojson hit;
    hit["id"] = id;
    hit["tags"] = ojson::array({"a"});
    hit["query"] = "inside a document";
    hit["_rankingScore"] = score;
    return hit;
  }
};

TEST_F(TailTest, UnreadHitsWithQueryKeysInsideDocuments) {
  ojson a = ojson::array(), b = ojson::array();
  for (int i = 0; i < 50; ++i) {
    a.push_back(TrickyHit(i, 0.99 - i * 0.01));
    b.push_back(TrickyHit(100 + i, 0.985 - i * 0.01));
  }
  ojson node_a = NodeAnswer(a, 50), node_b = NodeAnswer(b, 70);
  node_b["facetDistribution"] = {{"tags", {{"a", 50}}}};
  auto merged = Merge(Analyze(R"({"q":"x","limit":3,"facets":["tags"]})"),
                      {Node(0, node_a), Node(1, node_b)});
  EXPECT_EQ(Ids(merged), (std::vector<int>{0, 100, 1}));
  EXPECT_EQ(merged["estimatedTotalHits"], 120);
  EXPECT_EQ(merged["facetDistribution"]["tags"]["a"], 50);
  EXPECT_EQ(merged["hits"][0]["query"], "inside a document");
}

TEST_F(TailTest, AnswerWithoutQueryAfterHitsIsStillReadWhole) {
  ojson a = ojson::array();
  for (int i = 0; i < 20; ++i) a.push_back(TrickyHit(i, 0.9 - i * 0.01));
  ojson answer;  // "query" before "hits": nothing to find after the hits
  answer["query"] = "x";
  answer["hits"] = a;
  answer["processingTimeMs"] = 4;
  answer["estimatedTotalHits"] = 33;
  auto merged = Merge(Analyze(R"({"q":"x","limit":2})"), {Node(0, answer)});
  EXPECT_EQ(Ids(merged), (std::vector<int>{0, 1}));
  EXPECT_EQ(merged["estimatedTotalHits"], 33);
}

TEST_F(TailTest, TrailingContentAfterTheAnswerIsRefused) {
  ojson a = ojson::array();
  for (int i = 0; i < 20; ++i) a.push_back(ScoredHit(i, 0.9 - i * 0.01));
  std::string body = NodeAnswer(a, 20).dump() + "]";
  std::vector<NodeResult> nodes{NodeResult{body, 0}};
  auto merged = MergeSearchResponses(Analyze(R"({"q":"x","limit":2})"), nodes);
  EXPECT_FALSE(merged.has_value());
}

TEST_F(TailTest, WrongTypeInTheTailIsAnError) {
  ojson a = ojson::array();
  for (int i = 0; i < 20; ++i) a.push_back(ScoredHit(i, 0.9 - i * 0.01));
  ojson answer = NodeAnswer(a, 20);
  answer["estimatedTotalHits"] = "many";
  std::vector<NodeResult> nodes{Node(0, answer)};
  auto merged = MergeSearchResponses(Analyze(R"({"q":"x","limit":2})"), nodes);
  EXPECT_FALSE(merged.has_value());
}

}  // namespace
}  // namespace miroir
