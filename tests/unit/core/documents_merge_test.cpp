#include "miroir/core/documents_merge.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

namespace miroir {
namespace {

using nlohmann::json;

std::string Page(std::string results, uint64_t total) {
  return R"({"results":[)" + results + R"(],"offset":0,"limit":999,"total":)" +
         std::to_string(total) + "}";
}

std::vector<int> Ids(const std::string& body) {
  std::vector<int> ids;
  json answer = json::parse(body);
  for (const json& doc : answer["results"]) ids.push_back(doc["id"].get<int>());
  return ids;
}

TEST(DocumentsMerge, UnsortedPagesConcatenateInNodeOrderThenWindow) {
  DocumentsRequestInfo info = DocumentsInfoFromQuery(2, 3, "", "");
  EXPECT_EQ(info.node_limit, 5u);
  std::vector<NodeResult> nodes = {
      {Page(R"({"id":10,"_miroir_shard":1},{"id":11,"_miroir_shard":1})", 2), 1},
      {Page(R"({"id":1,"_miroir_shard":0},{"id":2,"_miroir_shard":0},{"id":3})", 7), 0}};
  auto merged = MergeDocumentsResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged, R"({"results":[{"id":3},{"id":10},{"id":11}],"offset":2,"limit":3,"total":9})");
}

TEST(DocumentsMerge, SortedPagesMergeBySortValuesNumbersFirstMissingLast) {
  DocumentsRequestInfo info = DocumentsInfoFromQuery(0, 10, "", "price:asc");
  std::vector<NodeResult> nodes = {
      {Page(R"({"id":1,"price":3},{"id":2,"price":"cheap"},{"id":3})", 3), 0},
      {Page(R"({"id":4,"price":[9,1]},{"id":5,"price":7},{"id":6,"price":"Budget"})", 3), 1}};
  auto merged = MergeDocumentsResponses(info, nodes);
  ASSERT_TRUE(merged.has_value());
  // [9,1] sorts by its smallest number ascending; strings compare normalized.
  EXPECT_EQ(Ids(*merged), (std::vector<int>{4, 1, 5, 6, 2, 3}));
}

TEST(DocumentsMerge, FetchBodyIsRewrittenAndAddedFieldsRemoved) {
  std::string client =
      R"({"offset":1,"limit":2,"fields":["title"],"sort":["rank:desc"],"filter":["a = 1"]})";
  auto info = AnalyzeDocumentsFetchRequest(client);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->added_fields, std::vector<std::string>{"rank"});
  std::vector<uint32_t> shards = {4, 5};
  json node = json::parse(BuildNodeDocumentsFetchBody(*info, client, &shards));
  EXPECT_EQ(node, json::parse(R"({"sort":["rank:desc"],"offset":0,"limit":3,
      "fields":["title","rank"],"filter":["a = 1","_miroir_shard IN [4,5]"]})"));

  std::vector<NodeResult> nodes = {
      {Page(R"({"title":"b","rank":9},{"title":"a","rank":1})", 2), 0},
      {Page(R"({"rank":5,"title":"c"})", 1), 1}};
  auto merged = MergeDocumentsResponses(*info, nodes);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged,
            R"({"results":[{"title":"c"},{"title":"a"}],"offset":1,"limit":2,"total":3})");
}

TEST(DocumentsMerge, QueryParametersGiveNodeFields) {
  DocumentsRequestInfo info = DocumentsInfoFromQuery(0, 20, "title, id", "_geoPoint(1,2):asc,b:asc");
  EXPECT_EQ(info.sort, (std::vector<std::string>{"_geoPoint(1,2):asc", "b:asc"}));
  EXPECT_EQ(NodeFields(info), "title,id,b");
  EXPECT_EQ(NodeFields(DocumentsInfoFromQuery(0, 20, "*", "b:asc")), "");
}

TEST(DocumentsMerge, MalformedPagesAreNodeErrors) {
  DocumentsRequestInfo info = DocumentsInfoFromQuery(0, 20, "", "");
  for (std::string body : {std::string(R"({"results":{}})"), std::string(R"({"total":1})"),
                           std::string(R"({"results":[1],"total":1})"),
                           std::string(R"({"results":[{"id":1}],"total":"1"})"),
                           std::string(R"({"results":[{"id":1})")}) {
    std::vector<NodeResult> nodes = {{body, 0}};
    auto merged = MergeDocumentsResponses(info, nodes);
    ASSERT_FALSE(merged.has_value()) << body;
    EXPECT_EQ(merged.error().code, ErrorCode::kMiroirNodeError);
  }
}

TEST(DocumentsMerge, TruncatedOrMutatedPagesNeverCrash) {
  DocumentsRequestInfo info = DocumentsInfoFromQuery(1, 5, "t", "r:asc,s:desc");
  std::string body =
      Page(R"({"t":"x","r":[1,"b"],"s":{"k":2},"_miroir_shard":3},{"_miroir_shard":1,"t":"y"})", 2);
  std::mt19937 rng(9);
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<NodeResult> nodes = {{body.substr(0, n), 0}, {body, 1}};
    EXPECT_FALSE(MergeDocumentsResponses(info, nodes).has_value()) << n;
  }
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = body;
    mutated[rng() % mutated.size()] = static_cast<char>(rng() % 128);
    std::vector<NodeResult> nodes = {{mutated, 0}, {body, 1}};
    (void)MergeDocumentsResponses(info, nodes);
  }
}

}  // namespace
}  // namespace miroir
