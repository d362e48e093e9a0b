#include <gtest/gtest.h>

#include "index.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

std::vector<OJson> Docs(const char* json) {
  std::vector<OJson> out;
  for (auto& d : OJson::parse(json)) out.push_back(d);
  return out;
}

OJson List(const Index& index, const char* params = "{}") {
  auto r = index.ListDocuments(Json::parse(params));
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : OJson();
}

TEST(IndexDocuments, InfersThePrimaryKey) {
  Index index("movies", std::nullopt);
  auto r = index.AddDocuments(Docs(R"([{"title":"a","movie_id":1}])"), std::nullopt, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(index.primary_key(), "movie_id");
  Index none("x", std::nullopt);
  auto e = none.AddDocuments(Docs(R"([{"title":"a"}])"), std::nullopt, true);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kIndexPrimaryKeyNoCandidateFound);
}

TEST(IndexDocuments, BadIdFailsTheWholeBatch) {
  Index index("movies", std::string("id"));
  auto r = index.AddDocuments(Docs(R"([{"id":1},{"id":"foo & bar"}])"), std::nullopt, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidDocumentId);
  EXPECT_EQ(index.document_count(), 0u);
  auto missing = index.AddDocuments(Docs(R"([{"age":1.4}])"), std::nullopt, true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "Document doesn't have a `id` attribute: `{\"age\":1.4}`.");
  auto other_pk = index.AddDocuments(Docs(R"([{"uid":1}])"), std::string("uid"), true);
  ASSERT_FALSE(other_pk);
  EXPECT_EQ(other_pk.error().code, ErrorCode::kIndexPrimaryKeyAlreadyExists);
}

TEST(IndexDocuments, ReplaceAndUpdate) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":1,"a":1,"b":2}])"), std::nullopt, true));
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":1,"c":3,"a":9}])"), std::nullopt, false));
  EXPECT_EQ(index.GetDocument("1", std::nullopt)->dump(), R"({"id":1,"a":9,"b":2,"c":3})");
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"c":4,"id":1}])"), std::nullopt, true));
  // Stored in the index's field order, not the payload's.
  EXPECT_EQ(index.GetDocument("1", std::nullopt)->dump(), R"({"id":1,"c":4})");
  EXPECT_EQ(index.document_count(), 1u);
  auto fields = index.GetDocument("1", std::vector<std::string>{"c"});
  EXPECT_EQ(fields->dump(), R"({"c":4})");
  auto missing = index.GetDocument("2", std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "Document `2` not found.");
  EXPECT_EQ(missing.error().status, 404u);
}

TEST(IndexDocuments, DuplicateIdsInABatch) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":1,"a":1},{"id":1,"b":2}])"), std::nullopt, false));
  EXPECT_EQ(index.GetDocument("1", std::nullopt)->dump(), R"({"id":1,"a":1,"b":2})");
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":2,"a":1},{"id":2,"b":2}])"), std::nullopt, true));
  EXPECT_EQ(index.GetDocument("2", std::nullopt)->dump(), R"({"id":2,"b":2})");
}

TEST(IndexDocuments, DeletionsReuseIdsLowestFirst) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(
      index.AddDocuments(Docs(R"([{"id":"a"},{"id":"b"},{"id":"c"}])"), std::nullopt, true));
  EXPECT_EQ(*index.DeleteDocuments({"a", "zz"}), 1u);
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":"d"}])"), std::nullopt, true));
  // "d" took the slot "a" freed, so it comes first in storage order.
  EXPECT_EQ(List(index)["results"].dump(), R"([{"id":"d"},{"id":"b"},{"id":"c"}])");
  EXPECT_EQ(index.Clear(), 3u);
  EXPECT_EQ(index.document_count(), 0u);
}

TEST(IndexDocuments, DeleteByFilter) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(
      index.AddDocuments(Docs(R"([{"id":1,"g":"x"},{"id":2,"g":"y"}])"), std::nullopt, true));
  auto e = index.DeleteByFilter(Json("g = x"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "Index `movies`: Attribute `g` is not filterable. This index does not have "
            "configured filterable attributes.\n1:2 g = x");
  ASSERT_TRUE(index.UpdateSettings(Json::parse(R"({"filterableAttributes":["g"]})")));
  EXPECT_EQ(*index.DeleteByFilter(Json("g = X")), 1u);
  EXPECT_EQ(index.document_count(), 1u);
}

TEST(IndexDocuments, ListDocumentsParameters) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":1,"p":3,"t":"a"},{"id":2,"p":1,"t":"b"},
                                          {"id":3,"t":"c"}])"),
                                 std::nullopt, true));
  EXPECT_EQ(List(index, R"({"offset":1,"limit":1})").dump(),
            R"({"results":[{"id":2,"p":1,"t":"b"}],"offset":1,"limit":1,"total":3})");
  EXPECT_EQ(List(index, R"({"ids":["3",1],"fields":["id"]})")["results"].dump(),
            R"([{"id":1},{"id":3}])");
  ASSERT_TRUE(index.UpdateSettings(Json::parse(R"({"sortableAttributes":["p"]})")));
  EXPECT_EQ(List(index, R"({"sort":["p:asc"],"fields":["id"]})")["results"].dump(),
            R"([{"id":2},{"id":1},{"id":3}])");
  auto bad_sort = index.ListDocuments(Json::parse(R"({"sort":["t:asc"]})"));
  ASSERT_FALSE(bad_sort);
  EXPECT_EQ(bad_sort.error().code, ErrorCode::kInvalidDocumentSort);
  EXPECT_EQ(bad_sort.error().message,
            "Attribute `t` is not sortable. Available sortable attributes are: `p`.");
  auto bad_offset = index.ListDocuments(Json::parse(R"({"offset":"doggo"})"));
  ASSERT_FALSE(bad_offset);
  EXPECT_EQ(bad_offset.error().code, ErrorCode::kInvalidDocumentOffset);
  EXPECT_EQ(bad_offset.error().message,
            "Invalid value type at `.offset`: expected a positive integer, but found a string: "
            "`\"doggo\"`");
  auto null_body = index.ListDocuments(Json());
  ASSERT_FALSE(null_body);
  EXPECT_EQ(null_body.error().message, "Invalid value type: expected an object, but found null");
  auto filter = index.ListDocuments(Json::parse(R"({"filter":"t = a"})"));
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().code, ErrorCode::kInvalidDocumentFilter);
  auto ids = index.ListDocuments(Json::parse(R"({"ids":["a b"]})"));
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().code, ErrorCode::kInvalidDocumentIds);
}

TEST(IndexDocuments, Stats) {
  Index index("movies", std::string("id"));
  ASSERT_TRUE(index.AddDocuments(Docs(R"([{"id":1,"name":"a"},{"id":2}])"), std::nullopt, true));
  OJson stats = index.Stats();
  EXPECT_EQ(stats["numberOfDocuments"], 2);
  EXPECT_GT(stats["rawDocumentDbSize"].get<uint64_t>(), 0u);
  EXPECT_EQ(stats["fieldDistribution"].dump(), R"({"id":2,"name":1})");
  std::vector<std::string> keys;
  for (auto it = stats.begin(); it != stats.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"numberOfDocuments", "rawDocumentDbSize",
                                            "avgDocumentSize", "numberOfEmbeddings",
                                            "numberOfEmbeddedDocuments", "fieldDistribution"}));
}

}  // namespace
}  // namespace miroir::testnode
