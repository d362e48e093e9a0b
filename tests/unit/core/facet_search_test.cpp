#include "miroir/core/facet_search.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

namespace miroir {
namespace {

using nlohmann::json;

FacetSearchInfo Analyze(std::string_view body, const IndexSearchSettings& settings = {}) {
  auto info = AnalyzeFacetSearchRequest(body, settings);
  EXPECT_TRUE(info.has_value()) << body;
  return info.has_value() ? *info : FacetSearchInfo{};
}

std::string Answer(std::string hits, std::string facet_query = "\"a\"", int ms = 1) {
  return R"({"facetHits":[)" + hits + R"(],"facetQuery":)" + facet_query +
         R"(,"processingTimeMs":)" + std::to_string(ms) + "}";
}

TEST(FacetSearch, NodeBodyOnlyGainsTheShardFilter) {
  std::string client = R"({"facetName":"genres","facetQuery":"a","q":"x","filter":"year > 1"})";
  FacetSearchInfo info = Analyze(client);
  EXPECT_EQ(info.facet_name, "genres");
  std::vector<uint32_t> shards = {5};
  json node = json::parse(BuildNodeFacetSearchBody(info, client, &shards));
  EXPECT_EQ(node, json::parse(R"({"facetName":"genres","facetQuery":"a","q":"x",
                                  "filter":["year > 1","_miroir_shard IN [5]"]})"));
  EXPECT_EQ(BuildNodeFacetSearchBody(info, client, nullptr), client);
}

TEST(FacetSearch, CountsAreSummedPerValueInByteOrder) {
  FacetSearchInfo info = Analyze(R"({"facetName":"genres","facetQuery":"a"})");
  std::vector<NodeResult> nodes = {
      {Answer(R"({"value":"Action","count":2},{"value":"Adventure","count":1})", "\"a\"", 3), 1},
      {Answer(R"({"value":"Action","count":1},{"value":"Animation","count":4})", "\"a\"", 7), 0}};
  auto merged = MergeFacetSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged,
            R"({"facetHits":[{"value":"Action","count":3},{"value":"Adventure","count":1},)"
            R"({"value":"Animation","count":4}],"facetQuery":"a","processingTimeMs":7})");
}

TEST(FacetSearch, CountOrderFromSettingsSortsByCountThenValueAndTruncates) {
  IndexSearchSettings settings;
  settings.facet_order_by_facet = {{"genres", FacetValuesOrder::kCount}};
  settings.max_values_per_facet = 2;
  FacetSearchInfo info = Analyze(R"({"facetName":"genres"})", settings);
  EXPECT_EQ(info.order, FacetValuesOrder::kCount);
  std::vector<NodeResult> nodes = {
      {Answer(R"({"value":"b","count":2},{"value":"a","count":1})", "null"), 0},
      {Answer(R"({"value":"c","count":3},{"value":"a","count":2})", "null"), 1}};
  auto merged = MergeFacetSearchResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged,
            R"({"facetHits":[{"value":"a","count":3},{"value":"c","count":3}],)"
            R"("facetQuery":null,"processingTimeMs":1})");
}

TEST(FacetSearch, MalformedAnswersAreNodeErrors) {
  FacetSearchInfo info = Analyze(R"({"facetName":"g"})");
  for (std::string body : {std::string("{}"), std::string(R"({"facetHits":[{"value":"a"}]})"),
                           std::string(R"({"facetHits":[{"value":1,"count":1}]})"),
                           std::string(R"({"facetHits":[{"value":"a","count":1})")}) {
    std::vector<NodeResult> nodes = {{body, 0}};
    auto merged = MergeFacetSearchResponses(info, nodes);
    ASSERT_FALSE(merged.has_value()) << body;
    EXPECT_EQ(merged.error().code, ErrorCode::kMiroirNodeError);
  }
}

TEST(FacetSearch, BadRequestsAreRejectedOrPassedThrough) {
  EXPECT_FALSE(AnalyzeFacetSearchRequest("{").has_value());
  auto filter_number = AnalyzeFacetSearchRequest(R"({"facetName":"g","filter":3})");
  ASSERT_TRUE(filter_number.has_value());
  EXPECT_TRUE(filter_number->passthrough);
}

TEST(FacetSearch, TruncatedOrMutatedAnswersNeverCrash) {
  FacetSearchInfo info = Analyze(R"({"facetName":"g"})");
  std::string body = Answer(R"({"value":"a\u00e9","count":2},{"value":"b","count":1})");
  std::mt19937 rng(5);
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<NodeResult> nodes = {{body.substr(0, n), 0}, {body, 1}};
    EXPECT_FALSE(MergeFacetSearchResponses(info, nodes).has_value()) << n;
  }
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = body;
    mutated[rng() % mutated.size()] = static_cast<char>(rng() % 128);
    std::vector<NodeResult> nodes = {{mutated, 0}, {body, 1}};
    (void)MergeFacetSearchResponses(info, nodes);
  }
}

}  // namespace
}  // namespace miroir
