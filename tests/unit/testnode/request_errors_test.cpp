// The wording helpers behind the test node's request errors: deserr-style
// messages, serde_json-style syntax errors, and text normalization.
#include <gtest/gtest.h>

#include "deserr.hpp"
#include "json_syntax.hpp"
#include "text.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;

TEST(Deserr, DescribesKindsLikeMeilisearch) {
  EXPECT_EQ(deserr::DescribeKinds(deserr::kBoolean | deserr::kPositiveInteger),
            "a boolean or a positive integer");
  EXPECT_EQ(deserr::DescribeKinds(deserr::kNull | deserr::kAnyNumber), "null or a number");
  EXPECT_EQ(deserr::DescribeKinds(deserr::kNull | deserr::kBoolean | deserr::kAnyNumber),
            "null, a boolean, or a number");
  EXPECT_EQ(deserr::DescribeKinds(deserr::kPositiveInteger | deserr::kNegativeInteger),
            "an integer");
  EXPECT_EQ(deserr::DescribeValue(Json(-3)), "a negative integer: `-3`");
  EXPECT_EQ(deserr::DescribeValue(Json(1.5)), "a number: `1.5`");
  EXPECT_EQ(deserr::DescribeValue(Json()), "null");
}

TEST(Deserr, DidYouMeanFollowsTheTypoBudget) {
  std::vector<std::string_view> keys = {"q", "filter", "sort", "attributesToHighlight"};
  EXPECT_EQ(deserr::DidYouMean("filler", keys), "did you mean `filter`? ");
  EXPECT_EQ(deserr::DidYouMean("sart", keys), "did you mean `sort`? ");
  EXPECT_EQ(deserr::DidYouMean("attributes_to_highlight", keys),
            "did you mean `attributesToHighlight`? ");
  EXPECT_EQ(deserr::DidYouMean("a", keys), "");
  EXPECT_EQ(deserr::DidYouMean("query", keys), "");
  EXPECT_EQ(deserr::DamerauLevenshtein("ca", "abc"), 2u);
}

TEST(Deserr, LocationsAndShapes) {
  Error e = deserr::UnknownKey(ErrorCode::kBadRequest, ".remotes.new", "doggo",
                               {"url", "searchApiKey", "writeApiKey"});
  EXPECT_EQ(e.message,
            "Unknown field `doggo` inside `.remotes.new`: expected one of `url`, "
            "`searchApiKey`, `writeApiKey`");
  EXPECT_EQ(deserr::MissingField(ErrorCode::kBadRequest, ".personalize", "userContext").message,
            "Missing field `userContext` inside `.personalize`");
  EXPECT_EQ(deserr::InvalidType(ErrorCode::kBadRequest, "[0]", deserr::kObject, Json("x")).message,
            "Invalid value type at `[0]`: expected an object, but found a string: `\"x\"`");
}

TEST(JsonSyntax, ReportsSerdeMessagesAndPositions) {
  EXPECT_EQ(json_syntax::CheckValue(R"({"a":1})"), std::nullopt);
  EXPECT_EQ(*json_syntax::CheckValue(""), "EOF while parsing a value at line 1 column 0");
  EXPECT_EQ(*json_syntax::CheckValue("[1,]"), "trailing comma at line 1 column 4");
  EXPECT_EQ(*json_syntax::CheckValue("[1 2]"), "expected `,` or `]` at line 1 column 4");
  EXPECT_EQ(*json_syntax::CheckValue("{\"a\" 1}"), "expected `:` at line 1 column 6");
  EXPECT_EQ(*json_syntax::CheckValue("{} x"), "trailing characters at line 1 column 4");
  EXPECT_EQ(*json_syntax::CheckValue("tru"), "EOF while parsing a value at line 1 column 3");
  EXPECT_EQ(*json_syntax::CheckValue("01"), "invalid number at line 1 column 2");
  EXPECT_EQ(*json_syntax::CheckValue("\"\\q\""), "invalid escape at line 1 column 3");
  EXPECT_EQ(*json_syntax::CheckValue("{\n\"a\": x}"), "expected value at line 2 column 6");
  std::vector<std::pair<size_t, size_t>> spans;
  EXPECT_EQ(json_syntax::CheckStream("{\"a\":1} {\"b\":2}\n", &spans), std::nullopt);
  EXPECT_EQ(spans.size(), 2u);
}

TEST(Text, WordsAreLowercasedWithoutAccents) {
  EXPECT_EQ(text::Words("Hello, Wörld! l'Été 2024"),
            (std::vector<std::string>{"hello", "world", "l", "ete", "2024"}));
  EXPECT_EQ(text::Words("東京タワー"), (std::vector<std::string>{"東", "京", "タ", "ワ", "ー"}));
  EXPECT_EQ(text::NormalizeFacet("  Été Drama "), "été drama");
  EXPECT_TRUE(text::EndsInWord("hello wor"));
  EXPECT_FALSE(text::EndsInWord("hello wor "));
}

}  // namespace
}  // namespace miroir::testnode
