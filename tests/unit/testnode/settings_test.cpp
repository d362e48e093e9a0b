#include "settings.hpp"

#include <gtest/gtest.h>

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;

Settings Apply(const Settings& s, const char* patch) {
  auto r = ApplySettingsPatch(s, Json::parse(patch));
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : s;
}

Error Invalid(const char* patch) {
  auto r = ValidateSettingsPatch(Json::parse(patch));
  EXPECT_FALSE(r) << patch;
  return r ? Error() : r.error();
}

TEST(Settings, DefaultsMatchMeilisearch) {
  EXPECT_EQ(ToJson(Settings{}).dump(),
            R"({"displayedAttributes":["*"],"searchableAttributes":["*"],)"
            R"("filterableAttributes":[],"sortableAttributes":[],"rankingRules":["words","typo",)"
            R"("proximity","attributeRank","sort","wordPosition","exactness"],"stopWords":[],)"
            R"("nonSeparatorTokens":[],"separatorTokens":[],"dictionary":[],"synonyms":{},)"
            R"("distinctAttribute":null,"proximityPrecision":"byWord","typoTolerance":)"
            R"({"enabled":true,"minWordSizeForTypos":{"oneTypo":5,"twoTypos":9},)"
            R"("disableOnWords":[],"disableOnAttributes":[],"disableOnNumbers":false},)"
            R"("faceting":{"maxValuesPerFacet":100,"sortFacetValuesBy":{"*":"alpha"}},)"
            R"("pagination":{"maxTotalHits":1000},"embedders":{},"searchCutoffMs":null,)"
            R"("localizedAttributes":null,"facetSearch":true,"prefixSearch":"indexingTime"})");
}

TEST(Settings, PartialUpdateKeepsOtherSettings) {
  Settings s = Apply(Settings{}, R"({"displayedAttributes":["foo"]})");
  s = Apply(s, R"({"searchableAttributes":["bar"]})");
  EXPECT_EQ(SettingToJson(s, "displayedAttributes").dump(), R"(["foo"])");
  EXPECT_EQ(SettingToJson(s, "searchableAttributes").dump(), R"(["bar"])");
}

TEST(Settings, NullResetsAndWildcardMeansDefault) {
  Settings s = Apply(Settings{}, R"({"stopWords":["the","a"],"displayedAttributes":["x","*"]})");
  EXPECT_EQ(SettingToJson(s, "stopWords").dump(), R"(["a","the"])");  // sorted set
  EXPECT_EQ(SettingToJson(s, "displayedAttributes").dump(), R"(["*"])");
  s = Apply(s, R"({"stopWords":null})");
  EXPECT_EQ(SettingToJson(s, "stopWords").dump(), "[]");
}

TEST(Settings, NestedObjectsMerge) {
  Settings s = Apply(Settings{}, R"({"typoTolerance":{"minWordSizeForTypos":{"oneTypo":3}}})");
  s = Apply(s, R"({"typoTolerance":{"disableOnNumbers":true}})");
  EXPECT_EQ(SettingToJson(s, "typoTolerance").dump(),
            R"({"enabled":true,"minWordSizeForTypos":{"oneTypo":3,"twoTypos":9},)"
            R"("disableOnWords":[],"disableOnAttributes":[],"disableOnNumbers":true})");
  s = Apply(s, R"({"faceting":{"sortFacetValuesBy":{"genre":"count"}}})");
  s = Apply(s, R"({"faceting":{"maxValuesPerFacet":2},"pagination":{"maxTotalHits":50}})");
  EXPECT_EQ(SettingToJson(s, "faceting").dump(),
            R"({"maxValuesPerFacet":2,"sortFacetValuesBy":{"*":"alpha","genre":"count"}})");
  EXPECT_EQ(s.max_total_hits, 50u);
  s = Apply(s, R"({"typoTolerance":null,"faceting":{"maxValuesPerFacet":null}})");
  EXPECT_EQ(s.typo_tolerance.one_typo, 5);
  EXPECT_EQ(s.faceting.max_values_per_facet, 100u);
}

TEST(Settings, GranularFilterableAttributesGetDefaults) {
  Settings s = Apply(Settings{}, R"({"filterableAttributes":["genre",
      {"attributePatterns":["age"],"features":{"facetSearch":true,"filter":{"comparison":true}}},
      {"attributePatterns":["id"]}]})");
  EXPECT_EQ(SettingToJson(s, "filterableAttributes").dump(),
            R"(["genre",{"attributePatterns":["age"],"features":{"facetSearch":true,"filter":)"
            R"({"equality":true,"comparison":true}}},{"attributePatterns":["id"],"features":)"
            R"({"facetSearch":false,"filter":{"equality":true,"comparison":false}}}])");
}

TEST(Settings, UnknownFieldIsBadRequestWithSuggestion) {
  Error e = Invalid(R"({"filterableAtributes":["a"]})");
  EXPECT_EQ(e.code, ErrorCode::kBadRequest);
  EXPECT_EQ(e.message.substr(0, 82),
            "Unknown field `filterableAtributes`: did you mean `filterableAttributes`? expected");
  Error plain = Invalid(R"({"foo":12})");
  EXPECT_EQ(plain.message.rfind("Unknown field `foo`: expected one of `displayedAttributes`", 0),
            0u);
}

TEST(Settings, WrongTypesUseSettingCodes) {
  Error e = Invalid(R"({"displayedAttributes":"doggo"})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidSettingsDisplayedAttributes);
  EXPECT_EQ(e.message,
            "Invalid value type at `.displayedAttributes`: expected an array, but found a "
            "string: `\"doggo\"`");
  Error nested = Invalid(R"({"typoTolerance":{"minWordSizeForTypos":"doggo"}})");
  EXPECT_EQ(nested.code, ErrorCode::kInvalidSettingsTypoTolerance);
  EXPECT_EQ(nested.message,
            "Invalid value type at `.typoTolerance.minWordSizeForTypos`: expected an object, "
            "but found a string: `\"doggo\"`");
  Error zero = Invalid(R"({"pagination":{"maxTotalHits":0}})");
  EXPECT_EQ(zero.message,
            "Invalid value at `.pagination.maxTotalHits`: a non-zero integer value lower than "
            "`18446744073709551615` was expected, but found a zero");
  Error distinct = Invalid(R"({"distinctAttribute":["doggo"]})");
  EXPECT_EQ(distinct.code, ErrorCode::kInvalidSettingsDistinctAttribute);
  Error body = Invalid(R"("doggo")");
  EXPECT_EQ(body.message,
            "Invalid value type: expected an object, but found a string: `\"doggo\"`");
}

TEST(Settings, RankingRulesAreValidated) {
  Error e = Invalid(R"({"rankingRules":["manyTheFish"]})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidSettingsRankingRules);
  EXPECT_EQ(e.message,
            "Invalid value at `.rankingRules[0]`: `manyTheFish` ranking rule is invalid. Valid "
            "ranking rules are words, typo, sort, proximity, attribute, exactness and custom "
            "ranking rules.");
  Error mixed = Invalid(R"({"rankingRules":["words","attribute","attributeRank"]})");
  EXPECT_EQ(mixed.message,
            "Mixed usage of the attribute, attributeRank, and wordPosition ranking rules. You "
            "must either use the attribute ranking rule alone or the attributeRank and "
            "wordPosition ranking rules.");
  EXPECT_TRUE(ValidateSettingsPatch(Json::parse(R"({"rankingRules":["price:desc","words"]})")));
  Error geo = Invalid(R"({"rankingRules":["_geo:asc"]})");
  EXPECT_EQ(geo.message,
            "Invalid value at `.rankingRules[0]`: `_geo` is a reserved keyword and thus can't be "
            "used as a ranking rule");
}

TEST(Settings, EnumsAndFeatures) {
  Error e = Invalid(R"({"proximityPrecision":"byWords"})");
  EXPECT_EQ(e.message,
            "Unknown value `byWords` at `.proximityPrecision`: did you mean `byWord`? expected "
            "one of `byWord`, `byAttribute`");
  Error fk = Invalid(R"({"foreignKeys":[]})");
  EXPECT_EQ(fk.code, ErrorCode::kFeatureNotEnabled);
  EXPECT_TRUE(ValidateSettingsPatch(Json::parse(R"({"foreignKeys":null})")));
}

TEST(Settings, MinWordSizeChecks) {
  Error e = Invalid(R"({"typoTolerance":{"minWordSizeForTypos":{"oneTypo":10,"twoTypos":3}}})");
  EXPECT_EQ(e.message,
            "Invalid value at `.typoTolerance.minWordSizeForTypos`: `minWordSizeForTypos` setting "
            "is invalid. `oneTypo` and `twoTypos` fields should be between `0` and `255`, and "
            "`twoTypos` should be greater or equals to `oneTypo` but found `oneTypo: 10` and "
            "twoTypos: 3`.");
  // Against the stored value, the check happens when the task runs.
  auto r = ApplySettingsPatch(
      Settings{}, Json::parse(R"({"typoTolerance":{"minWordSizeForTypos":{"oneTypo":10}}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidSettingsTypoTolerance);
}

TEST(Settings, SubRoutes) {
  EXPECT_EQ(SettingsRoutes().size(), 22u);
  const SettingsRoute* route = FindSettingsRoute("filterable-attributes");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->key, "filterableAttributes");
  EXPECT_FALSE(route->uses_patch);
  EXPECT_TRUE(FindSettingsRoute("typo-tolerance")->uses_patch);
  EXPECT_EQ(FindSettingsRoute("nope"), nullptr);
  auto patch = SubRouteBodyToPatch(*route, Json::parse(R"(["a"])"));
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->dump(), R"({"filterableAttributes":["a"]})");
  auto bad = SubRouteBodyToPatch(*FindSettingsRoute("pagination"),
                                 Json::parse(R"({"maxTotalHits":"doggo"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "Invalid value type at `.maxTotalHits`: expected a positive integer, but found a "
            "string: `\"doggo\"`");
  auto root = SubRouteBodyToPatch(*FindSettingsRoute("stop-words"), Json("doggo"));
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().message,
            "Invalid value type: expected an array, but found a string: `\"doggo\"`");
  Settings reset = Apply(Apply(Settings{}, R"({"stopWords":["a"],"distinctAttribute":"x"})"),
                         ResetAllPatch().dump().c_str());
  EXPECT_EQ(ToJson(reset).dump(), ToJson(Settings{}).dump());
}

}  // namespace
}  // namespace miroir::testnode
