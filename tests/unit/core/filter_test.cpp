#include "miroir/core/filter.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace miroir::filter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses a filter that must be valid and non-empty.
Node P(std::string_view text) {
  auto r = Parse(text);
  EXPECT_TRUE(r.has_value()) << text << "\n" << (r ? "" : r.error().message);
  if (!r || !*r) return Node{};
  return **r;
}

// The error message for a filter that must be invalid.
std::string E(std::string_view text, ErrorCode code = ErrorCode::kInvalidSearchFilter) {
  auto r = Parse(text, code);
  EXPECT_FALSE(r.has_value()) << text << " parsed as " << (r && *r ? ToString(**r) : "");
  if (r) return "";
  EXPECT_EQ(r.error().code, code) << text;
  return r.error().message;
}

const Condition& C(const Node& n) { return n.condition; }

std::vector<std::string> Texts(const Condition& c) {
  std::vector<std::string> out;
  for (const auto& v : c.values) out.push_back(v.text);
  return out;
}

constexpr std::string_view kOperationList =
    "Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, "
    "`NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `CONTAINS`, "
    "`NOT CONTAINS`, `STARTS WITH`, `NOT STARTS WITH`, `_geoRadius`, `_geoBoundingBox` or "
    "`_geoPolygon` ";

// --- Accepted forms ----------------------------------------------------------

TEST(FilterParse, EmptyOrBlankTextMeansNoFilter) {
  for (std::string_view text : {"", "   ", "\t\n", "\xC2\xA0"}) {
    auto r = Parse(text);
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_FALSE(r->has_value()) << text;
  }
}

TEST(FilterParse, EveryComparisonOperatorReadsAttributeOperatorAndValue) {
  const std::pair<std::string_view, Op> cases[] = {
      {"price = 10", Op::kEq}, {"price != 10", Op::kNe}, {"price > 10", Op::kGt},
      {"price >= 10", Op::kGe}, {"price < 10", Op::kLt}, {"price <= 10", Op::kLe}};
  for (const auto& [text, op] : cases) {
    const Node n = P(text);
    ASSERT_EQ(n.kind, Node::Kind::kCondition) << text;
    EXPECT_EQ(C(n).attribute, "price");
    EXPECT_EQ(C(n).op, op) << text;
    EXPECT_FALSE(C(n).negated);
    ASSERT_EQ(C(n).values.size(), 1u);
    EXPECT_EQ(C(n).values[0].text, "10");
    EXPECT_FALSE(C(n).values[0].quoted);
  }
}

TEST(FilterParse, OperatorsNeedNoSurroundingSpaces) {
  const Node n = P("price>=10");
  EXPECT_EQ(C(n).op, Op::kGe);
  EXPECT_EQ(C(n).attribute, "price");
  EXPECT_EQ(Texts(C(n)), std::vector<std::string>{"10"});
}

TEST(FilterParse, QuotedAttributesAndValuesMayHoldSpacesAndOtherQuote) {
  Node n = P("'dog race' = \"Bernese Mountain\"");
  EXPECT_EQ(C(n).attribute, "dog race");
  EXPECT_EQ(C(n).values[0].text, "Bernese Mountain");
  EXPECT_TRUE(C(n).values[0].quoted);
  n = P("title = 'cha\"nnel'");
  EXPECT_EQ(C(n).values[0].text, "cha\"nnel");
  n = P("title = \" some spaces \"");
  EXPECT_EQ(C(n).values[0].text, " some spaces ");
}

TEST(FilterParse, UnquotedWordsAreLettersDigitsDashUnderscoreAndDotIncludingUnicode) {
  EXPECT_EQ(C(P("doggos.age = I-love_kebab.2")).values[0].text, "I-love_kebab.2");
  EXPECT_EQ(C(P("title = café")).values[0].text, "café");
  EXPECT_EQ(C(P("prix = 東京")).values[0].text, "東京");
}

TEST(FilterParse, BackslashEscapesInQuotedValuesFollowMeilisearch) {
  EXPECT_EQ(C(P(R"(title = 'foo\\')")).values[0].text, "foo\\");
  EXPECT_EQ(C(P(R"(title = 'foo\\\\')")).values[0].text, "foo\\\\");
  EXPECT_EQ(C(P(R"(title = "Hello \"world\"")")).values[0].text, "Hello \"world\"");
  EXPECT_EQ(C(P(R"(title = "Hello \\\"world\\\"")")).values[0].text, "Hello \\\"world\\\"");
  EXPECT_EQ(C(P(R"(title = 'I\'m "super" tamo')")).values[0].text, "I'm \"super\" tamo");
  EXPECT_EQ(C(P(R"(title = 'foo\x20\n\t\"\'"')")).values[0].text, "foo \n\t\"'\"");
  EXPECT_EQ(C(P(R"(title = "\u00e9\u{1F43B}\101\/")")).values[0].text, "é🐻A/");
  // Escapes work in attribute names too.
  EXPECT_EQ(C(P(R"("a\"b" = 1)")).attribute, "a\"b");
}

TEST(FilterParse, RangeWithToIsInclusiveBoundsInTextOrder) {
  const Node n = P("subscribers 100 TO 1000");
  EXPECT_EQ(C(n).op, Op::kRange);
  EXPECT_EQ(Texts(C(n)), (std::vector<std::string>{"100", "1000"}));
}

TEST(FilterParse, InListsAcceptEmptyTrailingCommaAndSpacing) {
  EXPECT_TRUE(C(P("colour IN[]")).values.empty());
  EXPECT_EQ(Texts(C(P("colour IN[green,]"))), std::vector<std::string>{"green"});
  EXPECT_EQ(Texts(C(P(" colour IN [  green , 'light blue' , ]"))),
            (std::vector<std::string>{"green", "light blue"}));
  const Node n = P("colour NOT  IN [green, blue]");
  EXPECT_EQ(C(n).op, Op::kIn);
  EXPECT_TRUE(C(n).negated);
}

TEST(FilterParse, ExistenceNullAndEmptyTestsAndTheirNegations) {
  const std::tuple<std::string_view, Op, bool> cases[] = {
      {"a EXISTS", Op::kExists, false},       {"a NOT EXISTS", Op::kExists, true},
      {"a NOT   EXISTS", Op::kExists, true},  {"a IS NULL", Op::kIsNull, false},
      {"a IS NOT NULL", Op::kIsNull, true},   {"a  IS   NOT   NULL", Op::kIsNull, true},
      {"a IS EMPTY", Op::kIsEmpty, false},    {"a IS NOT EMPTY", Op::kIsEmpty, true}};
  for (const auto& [text, op, negated] : cases) {
    const Node n = P(text);
    ASSERT_EQ(n.kind, Node::Kind::kCondition) << text;
    EXPECT_EQ(C(n).attribute, "a") << text;
    EXPECT_EQ(C(n).op, op) << text;
    EXPECT_EQ(C(n).negated, negated) << text;
    EXPECT_TRUE(C(n).values.empty()) << text;
  }
}

TEST(FilterParse, ContainsAndStartsWithAndTheirNegations) {
  Node n = P("title CONTAINS 'hello'");
  EXPECT_EQ(C(n).op, Op::kContains);
  EXPECT_FALSE(C(n).negated);
  EXPECT_EQ(Texts(C(n)), std::vector<std::string>{"hello"});
  n = P("title NOT CONTAINS hello");
  EXPECT_EQ(C(n).op, Op::kContains);
  EXPECT_TRUE(C(n).negated);
  n = P("title STARTS WITH 'hel'");
  EXPECT_EQ(C(n).op, Op::kStartsWith);
  n = P("title NOT   STARTS WITH hel");
  EXPECT_EQ(C(n).op, Op::kStartsWith);
  EXPECT_TRUE(C(n).negated);
}

TEST(FilterParse, AndBindsTighterThanOr) {
  Node n = P("a = 1 AND b = 2 OR c = 3");
  ASSERT_EQ(n.kind, Node::Kind::kOr);
  ASSERT_EQ(n.children.size(), 2u);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kAnd);
  EXPECT_EQ(C(n.children[1]).attribute, "c");

  n = P("a = 1 OR b = 2 AND c = 3 OR d = 4");
  ASSERT_EQ(n.kind, Node::Kind::kOr);
  ASSERT_EQ(n.children.size(), 3u);
  EXPECT_EQ(n.children[1].kind, Node::Kind::kAnd);
  EXPECT_EQ(n.children[1].children.size(), 2u);
}

TEST(FilterParse, ChainsOfTheSameOperatorAreOneNode) {
  const Node n = P("a = 1 AND b = 2 AND c = 3");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  EXPECT_EQ(n.children.size(), 3u);
}

TEST(FilterParse, ParenthesesGroupAndAreKeptAsNesting) {
  Node n = P("a = 1 AND (b = 2 OR c = 3)");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  EXPECT_EQ(n.children[1].kind, Node::Kind::kOr);
  // A parenthesised AND inside an AND stays a separate node, as in Meilisearch.
  n = P("(a = 1 AND b = 2) AND c = 3");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  ASSERT_EQ(n.children.size(), 2u);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kAnd);
  // Redundant parentheses vanish.
  EXPECT_EQ(P("((((x = 1))))"), P("x = 1"));
  EXPECT_EQ(P(" ( x = 1 ) "), P("x = 1"));
}

TEST(FilterParse, NotWrapsAndDoubleNegationCancels) {
  Node n = P("NOT a = 1");
  ASSERT_EQ(n.kind, Node::Kind::kNot);
  EXPECT_EQ(C(n.children[0]).op, Op::kEq);
  EXPECT_EQ(P("NOT NOT NOT NOT x = 5"), P("x = 5"));
  EXPECT_EQ(P("NOT NOT (NOT NOT x = 5)"), P("x = 5"));
  // NOT of a negated operator is the positive operator.
  EXPECT_EQ(P("NOT a NOT EXISTS"), P("a EXISTS"));
  EXPECT_EQ(P("NOT a IS NOT NULL"), P("a IS NULL"));
  EXPECT_EQ(P("NOT (colour NOT IN [red])"), P("colour IN [red]"));
  n = P("NOT (a = 1 OR b = 2)");
  ASSERT_EQ(n.kind, Node::Kind::kNot);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kOr);
  // NOT binds tighter than AND.
  n = P("NOT a = 1 AND b = 2");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kNot);
}

TEST(FilterParse, GeoFunctionsReadTheirNumbers) {
  Node n = P("_geoRadius(45.472735, 9.184019, 2000)");
  EXPECT_EQ(C(n).op, Op::kGeoRadius);
  EXPECT_EQ(C(n).geo, (std::vector<double>{45.472735, 9.184019, 2000}));
  EXPECT_TRUE(C(n).attribute.empty());
  EXPECT_EQ(C(P("_geoRadius(12,13,14,1000)")).geo.size(), 4u);
  n = P("_geoBoundingBox([45.49, 9.17], [-45.46, -9.2e1])");
  EXPECT_EQ(C(n).op, Op::kGeoBoundingBox);
  EXPECT_EQ(C(n).geo, (std::vector<double>{45.49, 9.17, -45.46, -92}));
  n = P("NOT _geoRadius(1, 2, 3) AND x = 1");
  EXPECT_EQ(n.children[0].kind, Node::Kind::kNot);
}

TEST(FilterParse, KeywordsAreCaseSensitiveAsInMeilisearch) {
  // Lowercase keywords are ordinary words.
  EXPECT_EQ(C(P("title = and")).values[0].text, "and");
  EXPECT_EQ(E("a = 1 and b = 2"),
            "Found unexpected characters at the end of the filter: `and b = 2`. You probably "
            "forgot an `OR` or an `AND` rule.\n7:16 a = 1 and b = 2");
  EXPECT_THAT(E("a exists"), StartsWith(std::string(kOperationList)));
}

TEST(FilterParse, QuotedKeywordsAreOrdinaryNamesAndValues) {
  const Node n = P(R"(NOT "OR" EXISTS AND "EXISTS" NOT EXISTS)");
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  EXPECT_EQ(C(n.children[0].children[0]).attribute, "OR");
  EXPECT_EQ(C(n.children[1]).attribute, "EXISTS");
  EXPECT_TRUE(C(n.children[1]).negated);
  EXPECT_EQ(C(P("x = 'AND'")).values[0].text, "AND");
}

// --- Errors: Meilisearch's messages and positions ---------------------------

TEST(FilterErrors, UnexpectedTrailingInputPointsAtIt) {
  EXPECT_EQ(E("channel = Ponce = 12"),
            "Found unexpected characters at the end of the filter: `= 12`. You probably forgot an "
            "`OR` or an `AND` rule.\n17:21 channel = Ponce = 12");
  EXPECT_EQ(E("title = Glass XOR title = Glass"),
            "Found unexpected characters at the end of the filter: `XOR title = Glass`. You "
            "probably forgot an `OR` or an `AND` rule.\n15:32 title = Glass XOR title = Glass");
  EXPECT_EQ(E("channel = ponce ORdog != 'bernese mountain'"),
            "Found unexpected characters at the end of the filter: `ORdog != \\'bernese "
            "mountain\\'`. You probably forgot an `OR` or an `AND` rule.\n17:44 channel = ponce "
            "ORdog != 'bernese mountain'");
  EXPECT_EQ(E("channel = mv OR followers >= 1000)"),
            "Found unexpected characters at the end of the filter: `)`. You probably forgot an "
            "`OR` or an `AND` rule.\n34:35 channel = mv OR followers >= 1000)");
}

TEST(FilterErrors, MissingOrUnrecognisedValues) {
  EXPECT_EQ(E("channel =    "),
            "Was expecting a value but instead got nothing.\n14:14 channel =    ");
  EXPECT_EQ(E("channel = 🐻"), "Was expecting a value but instead got `🐻`.\n11:12 channel = 🐻");
  EXPECT_EQ(E("channel = 🐻 AND followers < 100"),
            "Was expecting a value but instead got `🐻`.\n11:12 channel = 🐻 AND followers < 100");
}

TEST(FilterErrors, MissingOperationNamesEveryOperator) {
  EXPECT_EQ(E("channel Ponce"),
            std::string(kOperationList) + "at `channel Ponce`.\n1:14 channel Ponce");
  EXPECT_EQ(E("'OR'"), std::string(kOperationList) + "at `\\'OR\\'`.\n1:5 'OR'");
  EXPECT_EQ(E("title & Glass"),
            std::string(kOperationList) + "at `title & Glass`.\n1:14 title & Glass");
  EXPECT_EQ(E("channel = Ponce OR"),
            std::string(kOperationList) + "but instead got nothing.\n19:19 channel = Ponce OR");
  EXPECT_EQ(E("colour NOT EXIST"),
            std::string(kOperationList) + "at `colour NOT EXIST`.\n1:17 colour NOT EXIST");
  EXPECT_EQ(E("subscribers 100 TO1000"),
            std::string(kOperationList) +
                "at `subscribers 100 TO1000`.\n1:23 subscribers 100 TO1000");
  for (std::string_view text : {"value NULL", "value NOT NULL", "value EMPTY", "value IS",
                                "value IS NOT", "value IS EXISTS", "value IS NOT EXISTS"}) {
    EXPECT_THAT(E(text), StartsWith(std::string(kOperationList) + "at `" + std::string(text)))
        << text;
  }
}

TEST(FilterErrors, ReservedKeywordsMustBeQuoted) {
  EXPECT_EQ(E("OR"),
            "Was expecting a value but instead got `OR`, which is a reserved keyword. To use `OR` "
            "as a field name or a value, surround it by quotes.\n1:3 OR");
  EXPECT_EQ(E("AND = 8"),
            "Was expecting a value but instead got `AND`, which is a reserved keyword. To use "
            "`AND` as a field name or a value, surround it by quotes.\n1:4 AND = 8");
  EXPECT_EQ(E("x = EXISTS"),
            "Was expecting a value but instead got `EXISTS`, which is a reserved keyword. To use "
            "`EXISTS` as a field name or a value, surround it by quotes.\n5:11 x = EXISTS");
  EXPECT_EQ(E("NOT OR EXISTS AND EXISTS NOT EXISTS"),
            "Was expecting a value but instead got `OR`, which is a reserved keyword. To use `OR` "
            "as a field name or a value, surround it by quotes.\n5:7 NOT OR EXISTS AND EXISTS NOT "
            "EXISTS");
}

TEST(FilterErrors, UnclosedQuotesAndParentheses) {
  EXPECT_EQ(E("channel = 'ponce"),
            "Expression `\\'ponce` is missing the following closing delimiter: `'`.\n11:17 "
            "channel = 'ponce");
  EXPECT_EQ(E("channel = \"ponce"),
            "Expression `\\\"ponce` is missing the following closing delimiter: `\"`.\n11:17 "
            "channel = \"ponce");
  EXPECT_EQ(E("channel = mv OR (followers >= 1000"),
            "Expression `(followers >= 1000` is missing the following closing delimiter: "
            "`)`.\n17:35 channel = mv OR (followers >= 1000");
}

TEST(FilterErrors, BadEscapes) {
  EXPECT_EQ(E(R"(name = "\x")"),
            "The filter is incomplete and requires Unknown additional bytes to be "
            "parsed.\n1:12 name = \"\\x\"");
  EXPECT_EQ(E(R"(title = "\a")"), "Malformed value: `\\\\a`.\n10:12 title = \"\\a\"");
  EXPECT_EQ(E(R"(title = "\xZZ")"),
            "Found an invalid escaped sequence number: `\\\\xZZ`.\n10:14 title = \"\\xZZ\"");
  EXPECT_EQ(E(R"(title = "\u{D800}")"),
            "Malformed value: `\\\\u{D800}`.\n10:18 title = \"\\u{D800}\"");
}

TEST(FilterErrors, InListProblems) {
  EXPECT_EQ(E("colour IN blue, green]"),
            "Expected `[` after `IN` keyword.\n11:23 colour IN blue, green]");
  EXPECT_EQ(E("colour IN [blue, green, 'blue' > 2]"),
            "Expected only comma-separated field names inside `IN[..]` but instead found `> "
            "2]`.\n32:36 colour IN [blue, green, 'blue' > 2]");
  EXPECT_EQ(E("colour IN [blue, green, AND]"),
            "Expected only comma-separated field names inside `IN[..]` but instead found "
            "`AND]`.\n25:29 colour IN [blue, green, AND]");
  EXPECT_EQ(E("colour IN [blue, green"),
            "Expected matching `]` after the list of field names given to `IN[`\n23:23 colour IN "
            "[blue, green");
  EXPECT_EQ(E("colour IN ['blue, green"),
            "Expression `\\'blue, green` is missing the following closing delimiter: `'`.\n12:24 "
            "colour IN ['blue, green");
}

TEST(FilterErrors, GeoFunctionUsage) {
  const std::string radius =
      "The `_geoRadius` filter must be in the form: `_geoRadius(latitude, longitude, radius, "
      "optionalResolution)`.";
  EXPECT_EQ(E("_geoRadius"), radius + "\n11:11 _geoRadius");
  EXPECT_EQ(E("_geoRadius = 12"), radius + "\n11:16 _geoRadius = 12");
  EXPECT_EQ(E("_geoRadius(1, 2)"),
            "Was expecting 3 or 4 arguments for `_geoRadius`, but instead found 2.\n17:17 "
            "_geoRadius(1, 2)");
  EXPECT_EQ(E("_geoRadius(1, 2e, 3)"), radius + "\n17:21 _geoRadius(1, 2e, 3)");
  const std::string box =
      "The `_geoBoundingBox` filter expects two pairs of arguments: `_geoBoundingBox([latitude, "
      "longitude], [latitude, longitude])`.";
  EXPECT_EQ(E("_geoBoundingBox"), box + "\n16:16 _geoBoundingBox");
  EXPECT_EQ(E("_geoBoundingBox = 12"), box + "\n16:21 _geoBoundingBox = 12");
  EXPECT_EQ(E("_geoBoundingBox(1.0, 1.0)"), box + "\n17:26 _geoBoundingBox(1.0, 1.0)");
  EXPECT_EQ(E("_geoBoundingBox([1, 2, 3], [4, 5])"),
            "Was expecting 2 coordinates but instead found 3.\n18:19 _geoBoundingBox([1, 2, 3], "
            "[4, 5])");
  EXPECT_EQ(E("_geoRadius(1e999, 2, 3)"),
            "Non finite floats are not supported\n12:17 _geoRadius(1e999, 2, 3)");
}

TEST(FilterErrors, GeoNamesCannotBeUsedAsValuesOrAttributes) {
  const std::string reserved =
      "` is a reserved keyword and thus can't be used as a filter expression. Use the "
      "`_geoRadius(latitude, longitude, distance)` or `_geoBoundingBox([latitude, longitude], "
      "[latitude, longitude])` built-in rules to filter on `_geo` coordinates.";
  EXPECT_EQ(E("_geoPoint(12, 13, 14)"), "`_geoPoint" + reserved + "\n1:22 _geoPoint(12, 13, 14)");
  EXPECT_EQ(E("position <= _geoPoint(12, 13, 14)"),
            "`_geoPoint" + reserved + "\n13:34 position <= _geoPoint(12, 13, 14)");
  EXPECT_EQ(E("_geoDistance = Glass"), "`_geoDistance" + reserved + "\n1:21 _geoDistance = Glass");
  EXPECT_EQ(E("_geo = Glass"), "`_geo" + reserved + "\n1:13 _geo = Glass");
  EXPECT_EQ(E("position <= _geoRadius(12, 13, 14)"),
            "The `_geoRadius` filter is an operation and can't be used as a value.\n13:35 "
            "position <= _geoRadius(12, 13, 14)");
  // Dotted and quoted names are fine.
  EXPECT_EQ(C(P("_geo.lat > 10")).attribute, "_geo.lat");
  EXPECT_EQ(C(P("'_geo' = 1")).attribute, "_geo");
}

TEST(FilterErrors, CodeIsTheOnePassedIn) {
  auto r = Parse("title &", ErrorCode::kInvalidDocumentFilter);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidDocumentFilter);
  EXPECT_EQ(r.error().code_name(), "invalid_document_filter");
  EXPECT_EQ(r.error().status, 400u);
  r = Parse("title &");
  EXPECT_EQ(r.error().code_name(), "invalid_search_filter");
}

TEST(FilterErrors, ColumnsCountCharactersPerLine) {
  EXPECT_EQ(E("a = 1 AND\nb ="),
            "Was expecting a value but instead got nothing.\n4:4 a = 1 AND\nb =");
}

TEST(FilterErrors, TrailingSpaceAfterKeywordFormIsRejectedLikeMeilisearch) {
  // Meilisearch consumes no whitespace after EXISTS, IS NULL, ... or a geo
  // function, and does not trim the end of the filter.
  EXPECT_EQ(E("a EXISTS "),
            "Found unexpected characters at the end of the filter: ` `. You probably forgot an "
            "`OR` or an `AND` rule.\n9:10 a EXISTS ");
  EXPECT_TRUE(Parse("a = b ").has_value());
  EXPECT_TRUE(Parse("(a EXISTS) ").has_value());
}

// --- Depth ------------------------------------------------------------------

std::string Nested(int levels, std::string_view inner) {
  return std::string(levels, '(') + std::string(inner) + std::string(levels, ')');
}

TEST(FilterDepth, ThirtySixParenthesisLevelsIsTheMaximum) {
  EXPECT_EQ(P(Nested(36, "x = 1")), P("x = 1"));
  EXPECT_THAT(E(Nested(37, "x = 1")), StartsWith("The filter exceeded the maximum depth limit."));
}

TEST(FilterDepth, DepthErrorPointsWhereTheBudgetRanOut) {
  const std::string fifty = Nested(50, "x = 1");
  EXPECT_EQ(E(fifty),
            "The filter exceeded the maximum depth limit. Try rewriting the filter so that it "
            "contains fewer nested conditions.\n38:106 " +
                fifty);
  std::string nots;
  for (int i = 0; i < 199; ++i) nots += "NOT ";
  nots += "x = 1";
  EXPECT_THAT(E(nots), HasSubstr("\n597:802 NOT NOT"));
}

TEST(FilterDepth, NotChainsCostOneLevelEach) {
  std::string nots;
  for (int i = 0; i < 147; ++i) nots += "NOT ";
  EXPECT_TRUE(Parse(nots + "x = 1").has_value());
  EXPECT_FALSE(Parse("NOT " + nots + "x = 1").has_value());
}

TEST(FilterDepth, PathologicalNestingFailsFastWithoutRecursingDeeply) {
  const std::string deep = Nested(200000, "x = 1");
  auto r = Parse(deep);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, StartsWith("The filter exceeded the maximum depth limit."));
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "NOT ";
  EXPECT_FALSE(Parse(nots + "x = 1").has_value());
}

TEST(FilterDepth, LongFlatChainsAreNotDepth) {
  std::string text = "id = 0";
  for (int i = 1; i < 5000; ++i) text += " OR id = " + std::to_string(i);
  const Node n = P(text);
  EXPECT_EQ(n.children.size(), 5000u);
}

// --- Printing ---------------------------------------------------------------

TEST(FilterToString, QuotesAttributesKeepsBareWordsAndParenthesisesOnlyWhereNeeded) {
  EXPECT_EQ(ToString(P("genre = horror AND year > 2000")), R"("genre" = horror AND "year" > 2000)");
  EXPECT_EQ(ToString(P("a = 1 AND b = 2 OR c = 3")), R"("a" = 1 AND "b" = 2 OR "c" = 3)");
  EXPECT_EQ(ToString(P("a = 1 AND (b = 2 OR c = 3)")), R"("a" = 1 AND ("b" = 2 OR "c" = 3))");
  EXPECT_EQ(ToString(P("(a = 1 AND b = 2) AND c = 3")), R"(("a" = 1 AND "b" = 2) AND "c" = 3)");
  EXPECT_EQ(ToString(P("NOT (a = 1 OR b = 2)")), R"(NOT ("a" = 1 OR "b" = 2))");
  EXPECT_EQ(ToString(P("NOT a = 1")), R"(NOT "a" = 1)");
  EXPECT_EQ(ToString(P("'dog race' = 'Bernese \"Mountain\"'")),
            R"("dog race" = "Bernese \"Mountain\"")");
  EXPECT_EQ(ToString(P(R"(t = 'back\\slash')")), R"("t" = "back\\slash")");
}

TEST(FilterToString, EveryOperatorHasItsSpelling) {
  EXPECT_EQ(ToString(P("p 1 TO 2")), R"("p" 1 TO 2)");
  EXPECT_EQ(ToString(P("c IN [a, 'b c']")), R"("c" IN [a, "b c"])");
  EXPECT_EQ(ToString(P("c NOT IN []")), R"("c" NOT IN [])");
  EXPECT_EQ(ToString(P("c NOT EXISTS")), R"("c" NOT EXISTS)");
  EXPECT_EQ(ToString(P("c IS NOT NULL")), R"("c" IS NOT NULL)");
  EXPECT_EQ(ToString(P("c IS EMPTY")), R"("c" IS EMPTY)");
  EXPECT_EQ(ToString(P("c NOT CONTAINS x")), R"("c" NOT CONTAINS x)");
  EXPECT_EQ(ToString(P("c STARTS WITH x")), R"("c" STARTS WITH x)");
  EXPECT_EQ(ToString(P("_geoRadius(45.5, -9, 2000)")), "_geoRadius(45.5, -9, 2000)");
  EXPECT_EQ(ToString(P("_geoBoundingBox([1.5, 2], [3, 4e-3])")),
            "_geoBoundingBox([1.5, 2], [3, 0.004])");
}

TEST(FilterToString, ConstructedValuesThatAreNotPlainWordsGetQuoted) {
  Condition c;
  c.attribute = "x";
  for (std::string_view text : {"", "two words", "AND", "_geoPoint", "_geo", "a\"b", "🐻"}) {
    c.values = {Value{std::string(text), false}};
    Node n;
    n.condition = c;
    const std::string printed = ToString(n);
    auto back = Parse(printed);
    ASSERT_TRUE(back.has_value()) << printed << ": " << back.error().message;
    EXPECT_EQ((*back)->condition.values[0].text, text) << printed;
  }
}

TEST(FilterToString, RoundTripsEveryParsedForm) {
  const std::string_view filters[] = {
      "channel = Ponce",
      "subscribers = 12",
      "'dog race' = \"Bernese Mountain\"",
      "colour IN [green, \"blue sky\", ]",
      "colour NOT IN [green,blue]",
      "x = 1 OR NOT (colour IN [green, blue]  OR color = green)",
      "subscribers 100 TO 1000",
      "NOT subscribers 100 TO 1000",
      "a EXISTS AND b NOT EXISTS AND c IS NULL AND d IS NOT NULL AND e IS EMPTY",
      "f IS NOT EMPTY OR g CONTAINS h OR i NOT CONTAINS 'j k' OR l STARTS WITH m",
      "n NOT STARTS WITH o",
      "_geoRadius(45.472735, 9.184019, 2000) AND NOT _geoBoundingBox([1,2],[3,4])",
      "_geoRadius(1e-7, -0.1, 3, 1000)",
      "a = 1 AND (b = 2 OR (c = 3 AND d = 4)) OR ((e = 5 OR f = 6) AND g = 7)",
      "(a = 1 AND b = 2) AND (c = 3 OR d = 4 OR (e = 5 OR f = 6))",
      R"(t = "Hello \"world\"" AND u = 'I\'m' AND v = "back\\slash\\" AND w = "\t")",
      "title = café AND prix < 東京",
      "NOT NOT NOT x = 1",
      "\"AND\" = \"OR\"",
      "price >= -1.5e3",
      "_geo.lat = 1 AND doggos.age > 2",
      "x = \"\"",
  };
  for (std::string_view text : filters) {
    const Node first = P(text);
    const std::string printed = ToString(first);
    auto second = Parse(printed);
    ASSERT_TRUE(second.has_value()) << text << " -> " << printed << ": " << second.error().message;
    ASSERT_TRUE(second->has_value()) << printed;
    EXPECT_EQ(**second, first) << text << " -> " << printed;
    EXPECT_EQ(ToString(**second), printed);
  }
}

TEST(FilterToString, NestingDepthIsPreservedSoDeepFiltersStillFit) {
  // 36 levels of alternating groups: printing must not add parentheses that
  // would push the filter past Meilisearch's depth limit.
  std::string text = "x = 0";
  for (int i = 1; i <= 35; ++i) {
    text = "(" + text + (i % 2 ? " OR " : " AND ") + "x = " + std::to_string(i) + ")";
  }
  const Node n = P(text);
  const std::string printed = ToString(n);
  auto back = Parse(printed);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(**back, n);
}

// --- JSON form --------------------------------------------------------------

TEST(FilterJson, ArrayIsAndOfItsElementsAndInnerArraysAreOr) {
  const auto j = nlohmann::json::parse(
      R"(["genre = horror", ["director = 'Jordan Peele'", "director = Carpenter"],)"
      R"( "year > 2000"])");
  auto r = ParseJson(j);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const Node& n = **r;
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  ASSERT_EQ(n.children.size(), 3u);
  EXPECT_EQ(n.children[1].kind, Node::Kind::kOr);
  EXPECT_EQ(n.children[1].children.size(), 2u);
  EXPECT_EQ(ToString(n),
            R"("genre" = horror AND ("director" = "Jordan Peele" OR "director" = Carpenter) AND )"
            R"("year" > 2000)");
}

TEST(FilterJson, StringAndNullAndEmptyPiecesCollapse) {
  EXPECT_FALSE(ParseJson(nullptr).value().has_value());
  EXPECT_FALSE(ParseJson(nlohmann::json::array()).value().has_value());
  EXPECT_FALSE(ParseJson(nlohmann::json::parse(R"(["", [], ["  "]])")).value().has_value());
  EXPECT_EQ(**ParseJson(nlohmann::json("a = 1")), P("a = 1"));
  EXPECT_EQ(**ParseJson(nlohmann::json::parse(R"(["", ["a = 1", ""]])")), P("a = 1"));
  // Each string keeps its own grouping.
  const Node n = **ParseJson(nlohmann::json::parse(R"(["a = 1 OR b = 2", "c = 3"])"));
  ASSERT_EQ(n.kind, Node::Kind::kAnd);
  EXPECT_EQ(n.children[0].kind, Node::Kind::kOr);
}

TEST(FilterJson, WrongTypesAreRejectedWithMeilisearchsMessage) {
  auto r = ParseJson(nlohmann::json(true));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "Invalid syntax for the filter parameter: `expected String, Array, found: true`.");
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidSearchFilter);
  r = ParseJson(nlohmann::json::parse(R"(["a = 1", 3])"), ErrorCode::kInvalidDocumentFilter);
  EXPECT_EQ(r.error().message,
            "Invalid syntax for the filter parameter: `expected String, [String], found: 3`.");
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidDocumentFilter);
  r = ParseJson(nlohmann::json::parse(R"([["a = 1", ["b = 2"]]])"));
  EXPECT_EQ(r.error().message,
            "Invalid syntax for the filter parameter: `expected String, found: [\"b = 2\"]`.");
}

TEST(FilterJson, SyntaxErrorsPointInsideTheFailingString) {
  auto r = ParseJson(nlohmann::json::parse(R"(["a = 1", "title & Glass"])"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            std::string(kOperationList) + "at `title & Glass`.\n1:14 title & Glass");
}

TEST(FilterJson, EachStringHasItsOwnDepthBudget) {
  const std::string deep = Nested(36, "x = 1");
  auto r = ParseJson(nlohmann::json::array({deep, nlohmann::json::array({deep, deep})}));
  EXPECT_TRUE(r.has_value());
}

// --- Attributes, unsupported forms -------------------------------------------

TEST(FilterAttributes, ListsEachNamedAttributeOnceInOrder) {
  EXPECT_THAT(Attributes(P("b = 1 AND (a = 2 OR NOT b EXISTS) AND c IN [x]")),
              ElementsAre("b", "a", "c"));
  EXPECT_THAT(Attributes(P("_geoRadius(1, 2, 3) OR tag = x")), ElementsAre("_geo", "tag"));
}

TEST(FilterUnsupported, ValidFormsWithoutATreeShapeAreMiroirUnsupported) {
  for (std::string_view text :
       {"_geoPolygon([1, 2], [3, 4], [5, 6])", "_vectors EXISTS", "NOT _vectors.rest EXISTS",
        "_foreign(channel, subscribers = 1000)"}) {
    auto r = Parse(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kMiroirUnsupported) << text;
    EXPECT_THAT(r.error().message, StartsWith("Miroir does not support")) << text;
  }
  // A field merely named like them is an ordinary attribute.
  EXPECT_EQ(C(P("_vectors = 1")).attribute, "_vectors");
  EXPECT_EQ(C(P("_foreign = 1")).attribute, "_foreign");
}

TEST(FilterUnsupported, MalformedPolygonsAndVectorFiltersGetMeilisearchsErrors) {
  EXPECT_EQ(E("_geoPolygon([1,2,3])"),
            "The `_geoPolygon` filter expects at least 3 points but only 1 were specified\n18:19 "
            "_geoPolygon([1,2,3])");
  EXPECT_EQ(E("_geoPolygon(1,2,3)"),
            "The `_geoPolygon` filter doesn't match the expected format: `_geoPolygon([latitude, "
            "longitude], [latitude, longitude])`.\n13:19 _geoPolygon(1,2,3)");
  EXPECT_EQ(E("_geoPolygon([1,2],[1,2],[1,2,3])"),
            "Was expecting 2 coordinates but instead found 3.\n26:27 "
            "_geoPolygon([1,2],[1,2],[1,2,3])");
  EXPECT_EQ(E("_geoPolygon([1,2],[1,2,3])"),
            "The `_geoPolygon` filter expects at least 3 points but only 2 were specified\n24:25 "
            "_geoPolygon([1,2],[1,2,3])");
  EXPECT_EQ(E("_geoPolygon([1,2)"),
            "The `_geoPolygon` filter doesn't match the expected format: `_geoPolygon([latitude, "
            "longitude], [latitude, longitude])`.\n17:18 _geoPolygon([1,2)");
  EXPECT_EQ(E("_vectors _vectors EXISTS"),
            "Was expecting an operation like `EXISTS` or `NOT EXISTS` after the vector "
            "filter.\n10:25 _vectors _vectors EXISTS");
}

// --- Reserved field masking ----------------------------------------------------

TEST(FilterMask, ReservedAttributesAreMaskedInPlaceValuesAreNot) {
  EXPECT_EQ(MaskReservedAttributes("_miroir_shard = 1"), "_miroir_SHARD = 1");
  EXPECT_EQ(MaskReservedAttributes("color = red AND _miroir_shard IN [1, 2]"),
            "color = red AND _miroir_SHARD IN [1, 2]");
  EXPECT_EQ(MaskReservedAttributes("NOT \"_miroir_digest\" EXISTS OR _miroir_updated_at > 5"),
            "NOT \"_miroir_DIGEST\" EXISTS OR _miroir_UPDATED_AT > 5");
  EXPECT_EQ(MaskReservedAttributes("(_miroir_shard 1 TO 3)"), "(_miroir_SHARD 1 TO 3)");
  // Same length: Meilisearch's positions in the node's error stay right.
  const std::string f = "title = x AND _miroir_shard != 4";
  EXPECT_EQ(MaskReservedAttributes(f)->size(), f.size());
}

TEST(FilterMask, NothingToMaskOrUnparsableGivesNothing) {
  EXPECT_EQ(MaskReservedAttributes("title = _miroir_shard"), std::nullopt);
  EXPECT_EQ(MaskReservedAttributes("title = \"_miroir_shard = 1\""), std::nullopt);
  EXPECT_EQ(MaskReservedAttributes("_miroir_other = 1"), std::nullopt);
  EXPECT_EQ(MaskReservedAttributes("color = red"), std::nullopt);
  // A syntax error is the node's to report, as Meilisearch words it.
  EXPECT_EQ(MaskReservedAttributes("_miroir_shard = "), std::nullopt);
  EXPECT_EQ(MaskReservedAttributes("   "), std::nullopt);
}

TEST(FilterMask, UnmaskRestoresEveryMaskedSpelling) {
  EXPECT_EQ(MaskedName("_miroir_shard"), "_miroir_SHARD");
  EXPECT_EQ(MaskedName("_miroir_updated_at"), "_miroir_UPDATED_AT");
  EXPECT_TRUE(IsMaskedReservedName("_miroir_digest"));
  EXPECT_FALSE(IsMaskedReservedName("_miroir_SHARD"));
  EXPECT_FALSE(IsMaskedReservedName("color"));
  EXPECT_EQ(UnmaskReservedNames("Attribute `_miroir_SHARD` is not filterable.\n1:14 "
                                "_miroir_SHARD = 1 AND _miroir_DIGEST = 2"),
            "Attribute `_miroir_shard` is not filterable.\n1:14 "
            "_miroir_shard = 1 AND _miroir_digest = 2");
  EXPECT_EQ(UnmaskReservedNames("no names"), "no names");
}

}  // namespace
}  // namespace miroir::filter
