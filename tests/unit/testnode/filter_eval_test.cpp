#include "filter_eval.hpp"

#include <gtest/gtest.h>

#include <random>

#include "index.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

bool M(const char* filter, const char* doc) {
  auto node = filter::Parse(filter);
  EXPECT_TRUE(node && *node) << filter;
  return Matches(**node, OJson::parse(doc));
}

std::vector<FilterableRule> Rules(const char* json) {
  std::vector<FilterableRule> rules;
  for (const auto& r : Json::parse(json)) {
    FilterableRule rule;
    if (r.is_string()) {
      rule.patterns = {r.get<std::string>()};
    } else {
      rule.legacy = false;
      rule.patterns = r["attributePatterns"].get<std::vector<std::string>>();
      rule.facet_search = false;
      rule.equality = r["features"]["filter"].value("equality", true);
      rule.comparison = r["features"]["filter"].value("comparison", false);
    }
    rules.push_back(rule);
  }
  return rules;
}

TEST(FilterEval, EqualityIsCaseInsensitiveAndNumbersCompareAsNumbers) {
  EXPECT_TRUE(M("genre = DRAMA", R"({"genre":"Drama"})"));
  EXPECT_TRUE(M("genre = \"  drama \"", R"({"genre":"Drama"})"));
  EXPECT_TRUE(M("price = 10.0", R"({"price":10})"));
  EXPECT_TRUE(M("price = 10", R"({"price":"10"})"));  // strings compare as strings too
  EXPECT_FALSE(M("price = 10", R"({"price":"10.0"})"));
  EXPECT_TRUE(M("ok = true", R"({"ok":true})"));
}

TEST(FilterEval, ArraysMatchAnyElementAndNestedFieldsUseDots) {
  EXPECT_TRUE(M("tags = b", R"({"tags":["a","b"]})"));
  EXPECT_TRUE(M("doggos.age > 3", R"({"doggos":[{"age":2},{"age":5}]})"));
  EXPECT_FALSE(M("doggos.age > 6", R"({"doggos":[{"age":2},{"age":5}]})"));
  EXPECT_TRUE(M("a.b = 1", R"({"a.b":1})"));
  EXPECT_TRUE(M("a.b.c = x", R"({"a":{"b":{"c":"X"}}})"));
}

TEST(FilterEval, RangesAreInclusiveAndStringsCompareBytewise) {
  EXPECT_TRUE(M("n 1 TO 3", R"({"n":3})"));
  EXPECT_TRUE(M("n 1 TO 3", R"({"n":1})"));
  EXPECT_FALSE(M("n 3 TO 1", R"({"n":2})"));
  EXPECT_TRUE(M("n >= 2", R"({"n":2})"));
  EXPECT_FALSE(M("n > 2", R"({"n":2})"));
  EXPECT_TRUE(M("name > b", R"({"name":"Charlie"})"));   // normalized "charlie" > "b"
  EXPECT_TRUE(M("name < B", R"({"name":"apple"})") == false);  // literal is not lowercased
  EXPECT_TRUE(M("n < 5", R"({"n":"3"})"));  // "3" < "5" as strings
}

TEST(FilterEval, NegationsIncludeDocumentsWithoutTheField) {
  EXPECT_TRUE(M("genre != drama", R"({"id":1})"));
  EXPECT_TRUE(M("NOT genre = drama", R"({"id":1})"));
  EXPECT_TRUE(M("genre NOT IN [a, b]", R"({"genre":"c"})"));
  EXPECT_FALSE(M("genre NOT IN [a, b]", R"({"genre":"B"})"));
}

TEST(FilterEval, ExistsNullEmpty) {
  EXPECT_TRUE(M("x EXISTS", R"({"x":null})"));
  EXPECT_FALSE(M("x EXISTS", R"({"y":1})"));
  EXPECT_TRUE(M("x NOT EXISTS", R"({"y":1})"));
  EXPECT_TRUE(M("x IS NULL", R"({"x":null})"));
  EXPECT_FALSE(M("x IS NULL", R"({"x":[null]})"));
  EXPECT_TRUE(M("x IS EMPTY", R"({"x":""})"));
  EXPECT_TRUE(M("x IS EMPTY", R"({"x":[]})"));
  EXPECT_TRUE(M("x IS EMPTY", R"({"x":{}})"));
  EXPECT_FALSE(M("x IS EMPTY", R"({"x":[""]})"));
  EXPECT_TRUE(M("x IS NOT EMPTY", R"({"x":"a"})"));
}

TEST(FilterEval, ContainsStartsWithAndGeo) {
  EXPECT_TRUE(M("title CONTAINS WOR", R"({"title":"Hello World"})"));
  EXPECT_TRUE(M("title STARTS WITH hel", R"({"title":"Hello World"})"));
  EXPECT_FALSE(M("title STARTS WITH wor", R"({"title":"Hello World"})"));
  const char* paris = R"({"_geo":{"lat":48.8566,"lng":2.3522}})";
  EXPECT_TRUE(M("_geoRadius(48.86, 2.35, 2000)", paris));
  EXPECT_FALSE(M("_geoRadius(45.76, 4.84, 2000)", paris));
  EXPECT_TRUE(M("_geoBoundingBox([49, 3], [48, 2])", paris));
}

TEST(FilterEval, NotFilterableErrorNamesPatternsAndPosition) {
  auto node = filter::Parse("doggo = bernese");
  auto r = CheckFilterable(**node, Rules(R"(["title","id"])"), Json("doggo = bernese"),
                           ErrorCode::kInvalidDocumentFilter);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "Attribute `doggo` is not filterable. Available filterable attribute patterns are: "
            "`id`, `title`.\n1:6 doggo = bernese");
  auto none = CheckFilterable(**node, {}, Json("doggo = bernese"), ErrorCode::kInvalidSearchFilter);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message,
            "Attribute `doggo` is not filterable. This index does not have configured filterable "
            "attributes.\n1:6 doggo = bernese");
  auto quoted = filter::Parse("title = Glass AND \"many\" = \"Glass\"");
  auto q = CheckFilterable(**quoted, Rules(R"(["title"])"),
                           Json::parse(R"([["title = Glass"], "\"many\" = \"Glass\""])"),
                           ErrorCode::kInvalidSearchFilter);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "Attribute `many` is not filterable. Available filterable attribute patterns are: "
            "`title`.\n2:6 \"many\" = \"Glass\"");
}

TEST(FilterEval, GranularRulesRestrictOperators) {
  auto rules = Rules(R"([{"attributePatterns":["doggos.age"],"features":{"filter":{}}}])");
  auto node = filter::Parse("doggos.age > 2");
  auto r = CheckOperator((*node)->condition, rules, ErrorCode::kInvalidSearchFilter);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "Filter operator `>` is not allowed for the attribute `doggos.age`.\n  - Note: "
            "allowed operators: OR, AND, NOT, =, !=, IN, IS EMPTY, IS NULL, EXISTS.\n  - Note: "
            "field `doggos.age` matched rule #0 in `filterableAttributes`\n  - Hint: enable "
            "comparison in rule #0 by modifying the features.filter object\n  - Hint: prepend "
            "another rule matching `doggos.age` with appropriate filter features before rule #0");
  auto eq = filter::Parse("doggos.age = 2");
  EXPECT_TRUE(CheckOperator((*eq)->condition, rules, ErrorCode::kInvalidSearchFilter));
}

TEST(FilterEval, ContainsNeedsTheFeature) {
  auto node = filter::Parse("doggo CONTAINS kefir");
  auto r = CheckContainsAllowed(**node, Json("doggo CONTAINS kefir"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFeatureNotEnabled);
  EXPECT_EQ(r.error().message,
            "Using `CONTAINS` in a filter requires enabling the `contains filter` experimental "
            "feature. See https://github.com/orgs/meilisearch/discussions/763\n7:15 doggo "
            "CONTAINS kefir");
  EXPECT_TRUE(CheckContainsAllowed(**node, Json("doggo CONTAINS kefir"), true));
}

// The index evaluates filters on its facet index; it must agree with the
// document-by-document reference on every document.
TEST(FilterEval, IndexEvaluationAgreesWithReference) {
  std::mt19937 rng(7);
  std::vector<std::string> colors = {"Red", "red ", "BLUE", "green", "", "10", "true"};
  Index index("t", std::string("id"));
  ASSERT_TRUE(
      index.UpdateSettings(Json::parse(R"({"filterableAttributes":["color","n","tags","o"]})")));
  std::vector<OJson> docs;
  for (int i = 0; i < 300; ++i) {
    OJson d;
    d["id"] = i;
    if (rng() % 5) d["color"] = colors[rng() % colors.size()];
    if (rng() % 4) d["n"] = static_cast<int>(rng() % 20) - 5;
    if (rng() % 3 == 0) d["n"] = 2.5;
    if (rng() % 3) {
      d["tags"] = OJson::array({colors[rng() % colors.size()], static_cast<int>(rng() % 10)});
    }
    if (rng() % 6 == 0) d["color"] = nullptr;
    if (rng() % 7 == 0) d["tags"] = OJson::array();
    if (rng() % 4 == 0) d["o"] = OJson{{"x", static_cast<int>(rng() % 3)}};
    docs.push_back(d);
  }
  ASSERT_TRUE(index.AddDocuments(docs, std::nullopt, true));
  const char* filters[] = {
      "color = red", "color != red", "n > 3", "n >= 2.5", "n < 0", "n 1 TO 4", "n 4 TO 1",
      "color > b", "color <= green", "tags = 10", "tags IN [red, 3, 4]", "tags NOT IN [red]",
      "color EXISTS", "color IS NULL", "tags IS EMPTY", "color IS NOT NULL",
      "color = red OR n > 10", "color = red AND n > 0", "NOT (color = blue OR n < 0)",
      "tags STARTS WITH r", "o.x = 1", "o EXISTS", "color = 10", "n = 10", "color = true",
      "color 10 TO green"};
  for (const char* f : filters) {
    auto listed = index.ListDocuments(Json{{"filter", f}, {"limit", 1000}, {"fields", {"id"}}});
    ASSERT_TRUE(listed) << f << ": " << listed.error().message;
    std::set<int> got;
    for (const auto& d : (*listed)["results"]) got.insert(d["id"].get<int>());
    auto node = filter::Parse(f);
    std::set<int> want;
    for (const auto& d : docs) {
      if (Matches(**node, d)) want.insert(d["id"].get<int>());
    }
    EXPECT_EQ(got, want) << f;
  }
}

}  // namespace
}  // namespace miroir::testnode
