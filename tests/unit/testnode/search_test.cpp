#include <gtest/gtest.h>

#include "index.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<OJson> docs;
    for (auto& d : OJson::parse(R"([
      {"id":1,"title":"Hello World","genre":"Drama","price":10,"color":"Red"},
      {"id":2,"title":"World peace","genre":"drama","price":5.5,"color":"blue"},
      {"id":3,"title":"Hell yeah","overview":"hello there","genre":"Comedy","price":20},
      {"id":4,"title":"Another world hello","genre":"Action","price":7,"color":"red"},
      {"id":5,"title":"Quiet","overview":"nothing here","genre":"Drama","price":1}
    ])")) {
      docs.push_back(d);
    }
    ASSERT_TRUE(index_.AddDocuments(docs, std::nullopt, true));
  }

  OJson Search(const char* query) {
    auto r = index_.Search(Json::parse(query));
    EXPECT_TRUE(r) << query << ": " << (r ? "" : r.error().message);
    return r ? *r : OJson();
  }
  Error SearchError(const char* query) {
    auto r = index_.Search(Json::parse(query));
    EXPECT_FALSE(r) << query;
    return r ? Error() : r.error();
  }
  static std::vector<int> Ids(const OJson& response) {
    std::vector<int> ids;
    for (const auto& hit : response["hits"]) ids.push_back(hit["id"].get<int>());
    return ids;
  }
  void Settings(const char* patch) { ASSERT_TRUE(index_.UpdateSettings(Json::parse(patch))); }

  Index index_{"movies", std::nullopt};
};

TEST_F(SearchTest, PlaceholderReturnsInsertionOrderWithFullScore) {
  OJson r = Search(R"({"showRankingScore":true})");
  EXPECT_EQ(Ids(r), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(r["hits"][0]["_rankingScore"], 1.0);
  std::vector<std::string> keys;
  for (auto it = r.begin(); it != r.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"hits", "query", "processingTimeMs", "limit",
                                            "offset", "estimatedTotalHits", "requestUid"}));
  EXPECT_EQ(r["estimatedTotalHits"], 5);
  EXPECT_EQ(r["limit"], 20);
}

TEST_F(SearchTest, MatchesWordsCaseAndAccentInsensitively) {
  // "World peace" starts with the word, so it ranks first.
  EXPECT_EQ(Ids(Search(R"({"q":"WÖRLD"})")), (std::vector<int>{2, 1, 4}));
  EXPECT_EQ(Ids(Search(R"({"q":"nothing"})")), (std::vector<int>{5}));
}

TEST_F(SearchTest, LastWordIsAPrefixUnlessFollowedBySpace) {
  EXPECT_EQ(Search(R"({"q":"hel"})")["estimatedTotalHits"], 3);
  EXPECT_EQ(Search(R"({"q":"hel "})")["estimatedTotalHits"], 0);
  Settings(R"({"prefixSearch":"disabled"})");
  EXPECT_EQ(Search(R"({"q":"hel"})")["estimatedTotalHits"], 0);
}

TEST_F(SearchTest, MatchingStrategies) {
  // "last" drops words from the end: documents with "world" alone count.
  EXPECT_EQ(Ids(Search(R"({"q":"world hello"})")), (std::vector<int>{4, 1, 2}));
  EXPECT_EQ(Ids(Search(R"({"q":"world hello","matchingStrategy":"all"})")),
            (std::vector<int>{4, 1}));
  // "frequency" drops the most frequent word first ("world" is in 3 docs, "hello" in 3).
  EXPECT_EQ(Search(R"({"q":"peace world","matchingStrategy":"frequency"})")["estimatedTotalHits"],
            1);
  Error e = SearchError(R"({"matchingStrategy":"doggo"})");
  EXPECT_EQ(e.message,
            "Unknown value `doggo` at `.matchingStrategy`: expected one of `last`, `all`, "
            "`frequency`");
}

TEST_F(SearchTest, RankingPrefersBetterAttributesAndExactness) {
  // With searchableAttributes ["*"] every field weighs the same (milli's
  // FieldidsWeightsMap gives each weight 0): the earlier word position wins.
  EXPECT_EQ(Ids(Search(R"({"q":"hello"})")), (std::vector<int>{1, 3, 4}));
  // An explicit list weighs fields by rank: "hello" in the title ranks
  // before "hello" in the overview.
  Settings(R"({"searchableAttributes":["title","overview"]})");
  OJson r = Search(R"({"q":"hello","showRankingScore":true})");
  EXPECT_EQ(Ids(r), (std::vector<int>{1, 4, 3}));
  double first = r["hits"][0]["_rankingScore"].get<double>();
  double last = r["hits"][2]["_rankingScore"].get<double>();
  EXPECT_GT(first, last);
  EXPECT_LE(first, 1.0);
  EXPECT_GT(last, 0.0);
}

TEST_F(SearchTest, TyposAreToleratedAndRankedAfterExactMatches) {
  // "wolrd" is one transposition away from "world" (5 letters: one typo).
  OJson r = Search(R"({"q":"wolrd","showRankingScoreDetails":true})");
  EXPECT_EQ(r["estimatedTotalHits"], 3);
  EXPECT_EQ(r["hits"][0]["_rankingScoreDetails"]["typo"].dump(),
            R"({"order":1,"typoCount":1,"maxTypoCount":1,"score":0.5})");
  // Shorter words allow no typo; the setting turns typos off.
  EXPECT_EQ(Search(R"({"q":"quiat"})")["estimatedTotalHits"], 1);
  EXPECT_EQ(Search(R"({"q":"qiet "})")["estimatedTotalHits"], 0);
  Settings(R"({"typoTolerance":{"enabled":false}})");
  EXPECT_EQ(Search(R"({"q":"wolrd"})")["estimatedTotalHits"], 0);
  Settings(R"({"typoTolerance":{"enabled":true,"disableOnWords":["wolrd"]}})");
  EXPECT_EQ(Search(R"({"q":"wolrd"})")["estimatedTotalHits"], 0);
  // An exact match beats a typo match.
  std::vector<OJson> docs = {OJson::parse(R"({"id":9,"title":"wolrd"})")};
  Settings(R"({"typoTolerance":null})");
  ASSERT_TRUE(index_.AddDocuments(docs, std::nullopt, true));
  EXPECT_EQ(Ids(Search(R"({"q":"wolrd"})"))[0], 9);
}

TEST_F(SearchTest, StopWordsAreIgnored) {
  Settings(R"({"stopWords":["the","there"]})");
  EXPECT_EQ(Ids(Search(R"({"q":"the hello","matchingStrategy":"all"})")),
            (std::vector<int>{1, 3, 4}));
}

TEST_F(SearchTest, NegativeWordsExclude) {
  EXPECT_EQ(Ids(Search(R"({"q":"world -peace"})")), (std::vector<int>{1, 4}));
}

TEST_F(SearchTest, FilterAndSort) {
  Settings(R"({"filterableAttributes":["genre","price"],"sortableAttributes":["price","title"]})");
  EXPECT_EQ(Ids(Search(R"({"filter":"genre = DRAMA"})")), (std::vector<int>{1, 2, 5}));
  EXPECT_EQ(Ids(Search(R"({"filter":[["genre = action","price > 15"]]})")),
            (std::vector<int>{3, 4}));
  EXPECT_EQ(Ids(Search(R"({"sort":["price:desc"]})")), (std::vector<int>{3, 1, 4, 2, 5}));
  EXPECT_EQ(Ids(Search(R"({"sort":["title:asc"],"limit":2})")), (std::vector<int>{4, 3}));
  OJson details = Search(R"({"sort":["price:asc"],"limit":1,"showRankingScoreDetails":true})");
  EXPECT_EQ(details["hits"][0]["_rankingScoreDetails"].dump(),
            R"({"price:asc":{"order":0,"value":1.0}})");
}

TEST_F(SearchTest, SortMissingValuesLastAndNumbersBeforeStrings) {
  std::vector<OJson> docs = {OJson::parse(R"({"id":6,"title":"x","price":"cheap"})")};
  ASSERT_TRUE(index_.AddDocuments(docs, std::nullopt, true));
  Settings(R"({"sortableAttributes":["price","color"]})");
  EXPECT_EQ(Ids(Search(R"({"sort":["price:asc"]})")), (std::vector<int>{5, 2, 4, 1, 3, 6}));
  EXPECT_EQ(Ids(Search(R"({"sort":["price:desc"]})")), (std::vector<int>{3, 1, 4, 2, 5, 6}));
  EXPECT_EQ(Ids(Search(R"({"sort":["color:asc"]})")), (std::vector<int>{2, 1, 4, 3, 5, 6}));
}

TEST_F(SearchTest, SortOnSeveralCriteriaAndGeoPoints) {
  std::vector<OJson> docs;
  for (auto& d : OJson::parse(R"([
      {"id":10,"title":"a","genre":"drama","price":3,"_geo":{"lat":48.8566,"lng":2.3522}},
      {"id":11,"title":"b","genre":"drama","price":30,"_geo":{"lat":45.7640,"lng":4.8357}},
      {"id":12,"title":"c","genre":"action","price":30,"_geo":{"lat":43.2965,"lng":5.3698}}
    ])")) {
    docs.push_back(d);
  }
  ASSERT_TRUE(index_.AddDocuments(docs, std::nullopt, true));
  Settings(R"({"sortableAttributes":["genre","price","_geo"],"filterableAttributes":["_geo"]})");
  EXPECT_EQ(Ids(Search(R"({"sort":["genre:asc","price:desc"],"limit":5})")),
            (std::vector<int>{12, 4, 3, 11, 1}));
  OJson geo = Search(R"j({"sort":["_geoPoint(48.85, 2.35):asc"],"limit":2,
                          "filter":"_geoRadius(48.85, 2.35, 500000)"})j");
  EXPECT_EQ(Ids(geo), (std::vector<int>{10, 11}));
  EXPECT_EQ(geo["estimatedTotalHits"], 2);
  EXPECT_LT(geo["hits"][0]["_geoDistance"].get<int>(), 1000);
  EXPECT_EQ(SearchError(R"j({"sort":["_geoPoint(200, 2):asc"]})j").message,
            "Bad latitude `200`. Latitude must be contained between -90 and 90 degrees. ");
}

TEST_F(SearchTest, FilterAndSortErrors) {
  Settings(R"({"sortableAttributes":["id"]})");
  EXPECT_EQ(SearchError(R"({"sort":["title:asc"]})").message,
            "Index `movies`: Attribute `title` is not sortable. Available sortable attributes "
            "are: `id`.");
  EXPECT_EQ(SearchError(R"({"sort":["title"]})").message,
            "Invalid syntax for the sort parameter: expected expression ending by `:asc` or "
            "`:desc`, found `title`.");
  EXPECT_EQ(SearchError(R"({"sort":["_geo:asc"]})").message,
            "`_geo` is a reserved keyword and thus can't be used as a sort expression. Use the "
            "_geoPoint(latitude, longitude) built-in rule to sort on _geo field coordinates.");
  Error f = SearchError(R"({"filter":"genre = x"})");
  EXPECT_EQ(f.code, ErrorCode::kInvalidSearchFilter);
  EXPECT_EQ(f.message,
            "Index `movies`: Attribute `genre` is not filterable. This index does not have "
            "configured filterable attributes.\n1:6 genre = x");
  EXPECT_EQ(SearchError(R"({"filter":true})").code, ErrorCode::kInvalidSearchFilter);
  Settings(R"({"rankingRules":["words","exactness"]})");
  EXPECT_EQ(SearchError(R"({"sort":["id:asc"]})").message,
            "Index `movies`: You must specify where `sort` is listed in the rankingRules "
            "setting to use the sort parameter at search time.");
}

TEST_F(SearchTest, ParameterErrors) {
  Error limit = SearchError(R"({"limit":"doggo"})");
  EXPECT_EQ(limit.code, ErrorCode::kInvalidSearchLimit);
  EXPECT_EQ(limit.message,
            "Invalid value type at `.limit`: expected a positive integer, but found a string: "
            "`\"doggo\"`");
  EXPECT_EQ(SearchError(R"({"q":["doggo"]})").code, ErrorCode::kInvalidSearchQ);
  Error threshold = SearchError(R"({"rankingScoreThreshold":2})");
  EXPECT_EQ(threshold.message,
            "Invalid value at `.rankingScoreThreshold`: the value of `rankingScoreThreshold` is "
            "invalid, expected a float between `0.0` and `1.0`.");
  Error unknown = SearchError(R"({"filler":1})");
  EXPECT_EQ(unknown.code, ErrorCode::kBadRequest);
  EXPECT_EQ(unknown.message.substr(0, 63),
            "Unknown field `filler`: did you mean `filter`? expected one of ");
  EXPECT_EQ(SearchError(R"({"distinct":true})").message,
            "Invalid value type at `.distinct`: expected a string, but found a boolean: `true`");
  EXPECT_EQ(SearchError(R"({"attributesToSearchOn":["unknown"]})").code,
            ErrorCode::kInvalidSearchAttributesToSearchOn);
}

TEST_F(SearchTest, OffsetLimitAndMaxTotalHits) {
  OJson r = Search(R"({"offset":1,"limit":2})");
  EXPECT_EQ(Ids(r), (std::vector<int>{2, 3}));
  EXPECT_EQ(r["offset"], 1);
  EXPECT_EQ(r["estimatedTotalHits"], 5);
  Settings(R"({"pagination":{"maxTotalHits":3}})");
  r = Search(R"({"offset":1,"limit":10})");
  EXPECT_EQ(Ids(r), (std::vector<int>{2, 3}));
  EXPECT_EQ(r["estimatedTotalHits"], 3);
  EXPECT_EQ(r["limit"], 10);
}

TEST_F(SearchTest, PagePagination) {
  OJson r = Search(R"({"page":2,"hitsPerPage":2})");
  EXPECT_EQ(Ids(r), (std::vector<int>{3, 4}));
  std::vector<std::string> keys;
  for (auto it = r.begin(); it != r.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"hits", "query", "processingTimeMs", "hitsPerPage",
                                            "page", "totalPages", "totalHits", "requestUid"}));
  EXPECT_EQ(r["totalPages"], 3);
  EXPECT_EQ(r["totalHits"], 5);
  OJson zero = Search(R"({"page":0})");
  EXPECT_TRUE(zero["hits"].empty());
  EXPECT_EQ(zero["hitsPerPage"], 20);
  OJson none = Search(R"({"hitsPerPage":0})");
  EXPECT_EQ(none["totalPages"], 0);
}

TEST_F(SearchTest, Distinct) {
  Settings(R"({"filterableAttributes":["genre"]})");
  EXPECT_EQ(Ids(Search(R"({"distinct":"genre"})")), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(Search(R"({"distinct":"genre"})")["estimatedTotalHits"], 3);
  Error e = SearchError(R"({"distinct":"color"})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidSearchDistinct);
  EXPECT_EQ(e.message,
            "Index `movies`: Attribute `color` is not filterable and thus, cannot be used as "
            "distinct attribute. Available filterable attributes patterns are: `genre`.");
  Settings(R"({"distinctAttribute":"color"})");
  // Documents without the distinct attribute are all kept.
  EXPECT_EQ(Ids(Search("{}")), (std::vector<int>{1, 2, 3, 5}));
}

TEST_F(SearchTest, RetrieveAndDisplayedAttributes) {
  OJson r = Search(R"({"attributesToRetrieve":["title","id","nope"],"limit":1})");
  EXPECT_EQ(r["hits"][0].dump(), R"({"id":1,"title":"Hello World"})");
  Settings(R"({"displayedAttributes":["title"]})");
  r = Search(R"({"attributesToRetrieve":["title","id"],"limit":1})");
  EXPECT_EQ(r["hits"][0].dump(), R"({"title":"Hello World"})");
}

TEST_F(SearchTest, HighlightAndCrop) {
  OJson r = Search(R"({"q":"hello","attributesToHighlight":["title"],"limit":1,
                       "attributesToRetrieve":["id","title"]})");
  EXPECT_EQ(r["hits"][0]["_formatted"].dump(), R"({"id":"1","title":"<em>Hello</em> World"})");
  r = Search(R"({"q":"wor","attributesToHighlight":["*"],"highlightPreTag":"[",
                 "highlightPostTag":"]","attributesToRetrieve":["title"],"limit":1})");
  EXPECT_EQ(r["hits"][0]["_formatted"]["title"], "[Wor]ld peace");
  r = Search(R"({"q":"world","attributesToCrop":["title:1"],"attributesToRetrieve":["title"],
                 "filter":null,"offset":1,"limit":1})");
  EXPECT_EQ(r["hits"][0]["_formatted"]["title"], "\xE2\x80\xA6World");
}

TEST_F(SearchTest, RankingScoreThreshold) {
  OJson all = Search(R"({"q":"world hello","showRankingScore":true})");
  double cut = all["hits"][1]["_rankingScore"].get<double>();
  OJson r = Search((std::string(R"({"q":"world hello","rankingScoreThreshold":)") +
                    std::to_string(cut - 1e-9) + "}")
                       .c_str());
  EXPECT_EQ(r["estimatedTotalHits"], 2);
}

TEST_F(SearchTest, Facets) {
  Settings(R"({"filterableAttributes":["genre","price","color"]})");
  OJson r = Search(R"({"facets":["genre","price"],"limit":0})");
  EXPECT_EQ(r["facetDistribution"].dump(),
            R"({"genre":{"Action":1,"Comedy":1,"Drama":3},)"
            R"("price":{"1":1,"10":1,"20":1,"5.5":1,"7":1}})");
  EXPECT_EQ(r["facetStats"].dump(), R"({"price":{"min":1.0,"max":20.0}})");
  OJson star = Search(R"({"q":"world","facets":["*"]})");
  EXPECT_EQ(star["facetDistribution"]["color"].dump(), R"({"blue":1,"Red":2})");
  Settings(R"({"faceting":{"maxValuesPerFacet":1,"sortFacetValuesBy":{"genre":"count"}}})");
  r = Search(R"({"facets":["genre"]})");
  EXPECT_EQ(r["facetDistribution"].dump(), R"({"genre":{"Drama":3}})");
  Error e = SearchError(R"({"facets":["title"]})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidSearchFacets);
  EXPECT_EQ(e.message,
            "Invalid facet distribution: Pattern `title` is not filterable. Available filterable "
            "attributes patterns are: `color, genre, price`.");
}

TEST_F(SearchTest, FacetSearch) {
  Settings(R"({"filterableAttributes":["genre"]})");
  auto r = index_.FacetSearch(Json::parse(R"({"facetName":"genre","facetQuery":"dr"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["facetHits"].dump(), R"([{"value":"Drama","count":3}])");
  EXPECT_EQ((*r)["facetQuery"], "dr");
  auto all = index_.FacetSearch(Json::parse(R"({"facetName":"genre","q":"world"})"));
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)["facetHits"].dump(),
            R"([{"value":"Action","count":1},{"value":"Drama","count":2}])");
  EXPECT_TRUE((*all)["facetQuery"].is_null());
  auto missing = index_.FacetSearch(Json::parse(R"({"facetQuery":"a"})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kMissingFacetSearchFacetName);
  EXPECT_EQ(missing.error().message, "Missing field `facetName`");
  auto not_searchable = index_.FacetSearch(Json::parse(R"({"facetName":"title"})"));
  ASSERT_FALSE(not_searchable);
  EXPECT_EQ(not_searchable.error().message,
            "Attribute `title` is not facet-searchable. Available facet-searchable attributes "
            "patterns are: `genre`. To make it facet-searchable add it to the "
            "`filterableAttributes` index settings.");
  Settings(R"({"facetSearch":false})");
  auto disabled = index_.FacetSearch(Json::parse(R"({"facetName":"genre"})"));
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.error().code, ErrorCode::kFacetSearchDisabled);
}

TEST_F(SearchTest, SearchableAttributesRestrictMatching) {
  Settings(R"({"searchableAttributes":["overview"]})");
  EXPECT_EQ(Ids(Search(R"({"q":"hello"})")), (std::vector<int>{3}));
  Settings(R"({"searchableAttributes":["title","overview"]})");
  EXPECT_EQ(Ids(Search(R"({"q":"hello","attributesToSearchOn":["overview"]})")),
            (std::vector<int>{3}));
}

}  // namespace
}  // namespace miroir::testnode
