#include "miroir/core/search_rewrite.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "miroir/core/filter.hpp"

namespace miroir {
namespace {

using nlohmann::json;

SearchRequestInfo Analyze(std::string_view body, const IndexSearchSettings& settings = {}) {
  auto info = AnalyzeSearchRequest(body, settings);
  EXPECT_TRUE(info.has_value()) << body;
  return info.has_value() ? *info : SearchRequestInfo{};
}

json NodeBody(std::string_view client, const std::vector<uint32_t>* shards = nullptr,
              const IndexSearchSettings& settings = {}) {
  SearchRequestInfo info = Analyze(client, settings);
  EXPECT_FALSE(info.passthrough);
  std::string body = BuildNodeSearchBody(info, client, shards);
  return json::parse(body);  // the node body is always valid JSON
}

TEST(SearchRewrite, OffsetAndLimitBecomeZeroAndTheirSum) {
  json node = NodeBody(R"({"q":"shoes","offset":30,"limit":10})");
  EXPECT_EQ(node["offset"], 0);
  EXPECT_EQ(node["limit"], 40);
  EXPECT_EQ(node["showRankingScore"], true);
  EXPECT_EQ(node["q"], "shoes");
  EXPECT_FALSE(node.contains("page"));

  SearchRequestInfo info = Analyze(R"({"q":"shoes","offset":30,"limit":10})");
  EXPECT_FALSE(info.page_mode);
  EXPECT_EQ(info.offset, 30u);
  EXPECT_EQ(info.limit, 10u);
  EXPECT_EQ(info.node_hits, 40u);
}

TEST(SearchRewrite, DefaultsAreOffsetZeroLimitTwenty) {
  json node = NodeBody("{}");
  EXPECT_EQ(node, json::parse(R"({"offset":0,"limit":20,"showRankingScore":true})"));
}

TEST(SearchRewrite, PageModeAsksEachNodeForPageOneHoldingEveryEarlierHit) {
  SearchRequestInfo info = Analyze(R"({"page":3,"hitsPerPage":7})");
  EXPECT_TRUE(info.page_mode);
  EXPECT_EQ(info.offset, 14u);
  EXPECT_EQ(info.limit, 7u);
  EXPECT_EQ(info.node_hits, 21u);
  json node = NodeBody(R"({"page":3,"hitsPerPage":7})");
  // page 1 keeps totalHits exhaustive on the node; the merge cuts page 3.
  EXPECT_EQ(node["page"], 1);
  EXPECT_EQ(node["hitsPerPage"], 21);
  EXPECT_FALSE(node.contains("offset"));
}

TEST(SearchRewrite, PageModeDefaultsAndPageZero) {
  SearchRequestInfo only_page = Analyze(R"({"page":2})");
  EXPECT_TRUE(only_page.page_mode);
  EXPECT_EQ(only_page.hits_per_page, 20u);
  EXPECT_EQ(only_page.offset, 20u);

  SearchRequestInfo page_zero = Analyze(R"({"page":0,"hitsPerPage":5})");
  EXPECT_EQ(page_zero.limit, 0u);
  EXPECT_EQ(NodeBody(R"({"page":0,"hitsPerPage":5})")["hitsPerPage"], 0);

  SearchRequestInfo null_page = Analyze(R"({"page":null,"limit":3})");
  EXPECT_FALSE(null_page.page_mode);
  EXPECT_EQ(null_page.node_hits, 3u);
}

TEST(SearchRewrite, HugeWindowSaturatesInsteadOfOverflowing) {
  SearchRequestInfo info = Analyze(R"({"offset":18446744073709551615,"limit":5})");
  EXPECT_EQ(info.node_hits, UINT64_MAX);
}

TEST(SearchRewrite, ShardFilterWithoutClientFilterIsTheClauseAlone) {
  std::vector<uint32_t> shards = {1, 7};
  EXPECT_EQ(NodeBody(R"({"q":"a"})", &shards)["filter"], "_miroir_shard IN [1,7]");
  EXPECT_EQ(NodeBody(R"({"q":"a","filter":null})", &shards)["filter"], "_miroir_shard IN [1,7]");
}

TEST(SearchRewrite, StringFilterBecomesFirstElementOfAnAndArray) {
  std::vector<uint32_t> shards = {2};
  json node = NodeBody(R"({"filter":"genre = horror OR year > 2000"})", &shards);
  EXPECT_EQ(node["filter"],
            json::parse(R"(["genre = horror OR year > 2000","_miroir_shard IN [2]"])"));
}

TEST(SearchRewrite, ArrayFilterGetsTheClauseAsOneMoreAndElement) {
  std::vector<uint32_t> shards = {0, 3};
  json node = NodeBody(R"({"filter":["a = 1",["b = 2","c = 3"]]})", &shards);
  EXPECT_EQ(node["filter"],
            json::parse(R"(["a = 1",["b = 2","c = 3"],"_miroir_shard IN [0,3]"])"));
  json empty = NodeBody(R"({"filter":[ ]})", &shards);
  EXPECT_EQ(empty["filter"], json::parse(R"(["_miroir_shard IN [0,3]"])"));
}

TEST(SearchRewrite, NoShardListLeavesTheClientFilterUntouched) {
  json node = NodeBody(R"({"filter":"a = 1"})", nullptr);
  EXPECT_EQ(node["filter"], "a = 1");
}

TEST(SearchRewrite, EmptyShardListMatchesNothing) {
  std::vector<uint32_t> none;
  EXPECT_EQ(NodeBody("{}", &none)["filter"], "_miroir_shard IN []");
}

TEST(SearchRewrite, OtherMembersAreCopiedByteForByte) {
  std::string client =
      R"({"q":"caf\u00e9 \"x\"","attributesToHighlight":["*"],"hybrid":{"embedder":"e","semanticRatio":0.5},"vector":[0.1,-2e-3]})";
  SearchRequestInfo info = Analyze(client);
  std::string body = BuildNodeSearchBody(info, client, nullptr);
  EXPECT_NE(body.find(R"("q":"caf\u00e9 \"x\"")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("hybrid":{"embedder":"e","semanticRatio":0.5})"), std::string::npos);
  EXPECT_NE(body.find(R"("vector":[0.1,-2e-3])"), std::string::npos);
}

TEST(SearchRewrite, ClientRankingScoreChoiceIsRememberedAndForcedOnForNodes) {
  SearchRequestInfo shown = Analyze(R"({"showRankingScore":true})");
  EXPECT_TRUE(shown.show_ranking_score);
  SearchRequestInfo hidden = Analyze(R"({"showRankingScore":false})");
  EXPECT_FALSE(hidden.show_ranking_score);
  EXPECT_EQ(NodeBody(R"({"showRankingScore":false})")["showRankingScore"], true);
}

TEST(SearchRewrite, SortingAsksForScoreDetails) {
  SearchRequestInfo info = Analyze(R"({"sort":["price:asc"]})");
  EXPECT_TRUE(info.compare_score_details);
  EXPECT_FALSE(info.show_ranking_score_details);
  json node = NodeBody(R"({"sort":["price:asc"],"showRankingScoreDetails":false})");
  EXPECT_EQ(node["showRankingScoreDetails"], true);
  EXPECT_EQ(node["sort"], json::parse(R"(["price:asc"])"));
  // Without sort the client's own choice goes through.
  json plain = NodeBody(R"({"showRankingScoreDetails":true})");
  EXPECT_EQ(plain["showRankingScoreDetails"], true);
  EXPECT_FALSE(Analyze(R"({"q":"x"})").compare_score_details);
}

TEST(SearchRewrite, SortRankingRulesInSettingsAlsoAskForScoreDetails) {
  IndexSearchSettings settings;
  settings.ranking_rules_have_sort = true;
  EXPECT_TRUE(Analyze(R"({"q":"x"})", settings).compare_score_details);
}

TEST(SearchRewrite, AttributesToRetrieveGetsTheDistinctAndSortFields) {
  std::string client =
      R"({"attributesToRetrieve":["title","meta.year"],"distinct":"color","sort":["price:desc","meta.rank:asc","_geoPoint(1,2):asc"]})";
  SearchRequestInfo info = Analyze(client);
  EXPECT_EQ(info.distinct, "color");
  EXPECT_EQ(info.added_fields, (std::vector<std::string>{"color", "price"}));
  json node = NodeBody(client);
  EXPECT_EQ(node["attributesToRetrieve"],
            json::parse(R"(["title","meta.year","color","price","meta.rank"])"));
}

TEST(SearchRewrite, IndexDistinctAttributeIsRetrievedToo) {
  IndexSearchSettings settings;
  settings.distinct_attribute = "sku";
  SearchRequestInfo info = Analyze(R"({"attributesToRetrieve":["title"]})", settings);
  EXPECT_EQ(info.distinct, "sku");
  EXPECT_EQ(info.added_fields, (std::vector<std::string>{"sku"}));
  // The client's own distinct wins over the index's.
  EXPECT_EQ(Analyze(R"({"distinct":"color"})", settings).distinct, "color");
}

TEST(SearchRewrite, UnrestrictedOrCoveringAttributesAreLeftAlone) {
  EXPECT_TRUE(Analyze(R"({"attributesToRetrieve":["*"],"distinct":"c"})").added_fields.empty());
  EXPECT_TRUE(Analyze(R"({"distinct":"c"})").added_fields.empty());
  EXPECT_TRUE(
      Analyze(R"({"attributesToRetrieve":["meta"],"sort":["meta.x:asc"]})").added_fields.empty());
  json node = NodeBody(R"({"attributesToRetrieve":["c","t"],"distinct":"c"})");
  EXPECT_EQ(node["attributesToRetrieve"], json::parse(R"(["c","t"])"));
}

TEST(SearchRewrite, InvalidJsonIsABadRequest) {
  for (std::string_view body : {"{", "{\"q\":}", "{\"q\":\"a\"} x", "nul", "{\"a\":tru}",
                                "12 x", "[1,2] 3", "{\"a\":1e999}", "{\"a\":\"\\x\"}"}) {
    auto info = AnalyzeSearchRequest(body);
    ASSERT_FALSE(info.has_value()) << body;
    EXPECT_EQ(info.error().code, ErrorCode::kBadRequest) << body;
    EXPECT_EQ(info.error().status, 400u);
    EXPECT_EQ(info.error().message.rfind("Json deserialize error: ", 0), 0u);
  }
  auto empty = AnalyzeSearchRequest("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kMissingPayload);
}

TEST(SearchRewrite, MembersOfUnexpectedTypesArePassedThroughToANode) {
  for (std::string_view body :
       {R"({"offset":"3"})", R"({"limit":-1})", R"({"limit":null})", R"({"page":1.5})",
        R"({"sort":"price:asc"})", R"({"sort":[1]})", R"({"filter":5})", R"({"distinct":3})",
        R"({"showRankingScore":"yes"})", R"({"attributesToRetrieve":"title"})", "[]", "12"}) {
    auto info = AnalyzeSearchRequest(body);
    ASSERT_TRUE(info.has_value()) << body;
    EXPECT_TRUE(info->passthrough) << body;
  }
}

TEST(SearchRewrite, DeepNestingIsRejectedNotRecursedForever) {
  std::string deep = "{\"q\":\"a\",\"x\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  auto info = AnalyzeSearchRequest(deep);
  EXPECT_FALSE(info.has_value());
}

TEST(MultiSearchRewrite, FederatedWindowMovesToTheFederationAndQueriesKeepTheirPositions) {
  std::string client = R"({"federation":{"offset":5,"limit":10,"facetsByIndex":{"movies":["genre"]}},
    "queries":[{"indexUid":"movies","q":"a","filter":"year > 1","federationOptions":{"weight":2.5}},
               {"indexUid":"books","q":"b","sort":["rank:asc"]}]})";
  auto info = AnalyzeMultiSearchRequest(client, nullptr);
  ASSERT_TRUE(info.has_value());
  ASSERT_TRUE(info->federated);
  ASSERT_EQ(info->queries.size(), 2u);
  EXPECT_EQ(info->queries[0].index_uid, "movies");
  EXPECT_DOUBLE_EQ(info->queries[0].weight, 2.5);
  EXPECT_DOUBLE_EQ(info->queries[1].weight, 1.0);
  EXPECT_EQ(info->offset, 5u);
  EXPECT_EQ(info->node_hits, 15u);
  EXPECT_TRUE(info->queries[1].search.compare_score_details);

  std::vector<uint32_t> movies = {1}, none;
  std::vector<const std::vector<uint32_t>*> shards = {&movies, &none};
  json node = json::parse(BuildNodeMultiSearchBody(*info, client, shards));
  EXPECT_EQ(node["federation"]["offset"], 0);
  EXPECT_EQ(node["federation"]["limit"], 15);
  EXPECT_EQ(node["federation"]["facetsByIndex"], json::parse(R"({"movies":["genre"]})"));
  ASSERT_EQ(node["queries"].size(), 2u);
  EXPECT_EQ(node["queries"][0]["filter"], json::parse(R"(["year > 1","_miroir_shard IN [1]"])"));
  EXPECT_EQ(node["queries"][0]["federationOptions"]["weight"], 2.5);
  EXPECT_FALSE(node["queries"][0].contains("limit"));  // would be an error in a federation
  EXPECT_FALSE(node["queries"][0].contains("showRankingScore"));
  EXPECT_EQ(node["queries"][1]["filter"], "_miroir_shard IN []");
  EXPECT_EQ(node["queries"][1]["showRankingScoreDetails"], true);
}

TEST(MultiSearchRewrite, NonFederatedQueriesAreRewrittenLikeSearches) {
  std::string client =
      R"({"queries":[{"indexUid":"a","limit":3,"offset":2},{"indexUid":"b","page":2,"hitsPerPage":4}]})";
  IndexSearchSettings b_settings;
  b_settings.distinct_attribute = "sku";
  auto info = AnalyzeMultiSearchRequest(client, [&](std::string_view uid) {
    return uid == "b" ? &b_settings : nullptr;
  });
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->federated);
  EXPECT_EQ(info->queries[1].search.distinct, "sku");
  std::vector<const std::vector<uint32_t>*> shards = {nullptr, nullptr};
  json node = json::parse(BuildNodeMultiSearchBody(*info, client, shards));
  EXPECT_FALSE(node.contains("federation"));
  EXPECT_EQ(node["queries"][0]["limit"], 5);
  EXPECT_EQ(node["queries"][0]["offset"], 0);
  EXPECT_EQ(node["queries"][0]["indexUid"], "a");
  // Page mode with the index's distinct attribute: every hit a node counts
  // (maxTotalHits, 1000 by default), so the merged totalHits is exact.
  EXPECT_EQ(node["queries"][1]["hitsPerPage"], 1000);
  EXPECT_EQ(node["queries"][1]["page"], 1);
}

TEST(MultiSearchRewrite, NullFederationIsNotFederatedAndBadShapesPassThrough) {
  auto plain = AnalyzeMultiSearchRequest(R"({"federation":null,"queries":[]})", nullptr);
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->federated);
  EXPECT_FALSE(plain->passthrough);
  for (std::string_view body : {R"({"queries":{}})", R"({"queries":[1]})", R"({})",
                                R"({"queries":[],"federation":3})"}) {
    auto info = AnalyzeMultiSearchRequest(body, nullptr);
    ASSERT_TRUE(info.has_value()) << body;
    EXPECT_TRUE(info->passthrough) << body;
  }
}

TEST(SearchRewrite, MutatedBodiesAreRejectedPassedThroughOrRewrittenIntoValidJson) {
  // Whatever the client sends, a body sent to a node is valid JSON.
  const std::string seed =
      R"({"q":"a \"b\" \u00e9","offset":2,"limit":3,"filter":["x = 1",["y = 2"]],)"
      R"("sort":["p:asc"],"distinct":"d","attributesToRetrieve":["t"],"facets":["f"],)"
      R"("showRankingScore":true,"page":null,"vector":[1.5,-2e3]})";
  std::vector<uint32_t> shards = {1, 2};
  std::mt19937 rng(42);
  int rewritten = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = seed;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = "{}[],:\"\\ 0a-e."[rng() % 14]; break;
        case 1: body.erase(at, 1 + rng() % 4); break;
        default: body.insert(at, 1, "{}[],:\"0n"[rng() % 9]); break;
      }
      if (body.empty()) body = "{";
    }
    auto info = AnalyzeSearchRequest(body);
    if (!info.has_value() || info->passthrough) continue;
    ++rewritten;
    std::string node = BuildNodeSearchBody(*info, body, &shards);
    EXPECT_TRUE(json::accept(node)) << body << "\n-> " << node;
    std::string_view multi_body = body;
    std::string multi = "{\"queries\":[" + std::string(multi_body) + "]}";
    auto multi_info = AnalyzeMultiSearchRequest(multi, nullptr);
    if (multi_info.has_value() && !multi_info->passthrough) {
      std::vector<const std::vector<uint32_t>*> per_query(multi_info->queries.size(), &shards);
      std::string multi_node = BuildNodeMultiSearchBody(*multi_info, multi, per_query);
      EXPECT_TRUE(json::accept(multi_node)) << multi << "\n-> " << multi_node;
    }
  }
  EXPECT_GT(rewritten, 100);  // the property was exercised
}

TEST(ShardFilter, ExpressionsForQueryParameterRoutes) {
  EXPECT_EQ(ShardFilterExpression({4, 9}), "_miroir_shard IN [4,9]");
  EXPECT_EQ(CombineFilterString("", {4}), "_miroir_shard IN [4]");
  EXPECT_EQ(CombineFilterString("a = 1 OR b = 2", {4}), "(a = 1 OR b = 2) AND _miroir_shard IN [4]");
}

// Found by tests/fuzz/search_rewrite_fuzz (corpus: combine_blank_vtab).
TEST(ShardFilter, AFilterOfUnicodeSpacesIsNoFilter) {
  // Meilisearch reads these as no filter; wrapped, "(\v) AND ..." is a
  // syntax error on the nodes.
  EXPECT_EQ(CombineFilterString("\v", {4}), "_miroir_shard IN [4]");
  EXPECT_EQ(CombineFilterString("\f \xc2\xa0", {4}), "_miroir_shard IN [4]");
  EXPECT_EQ(CombineFilterString(" \n", {4}), "_miroir_shard IN [4]");
}

// Found by tests/fuzz/search_rewrite_fuzz (corpus: combine_unbalanced_escape).
TEST(ShardFilter, AFilterWithASyntaxErrorGoesToTheNodesUnchanged) {
  // Wrapped, this would parse as "(a = 1) OR ((b = 2) AND _miroir_shard IN
  // [4])": documents with a = 1 from every shard the node holds.
  const std::string unbalanced = "a = 1) OR (b = 2";
  ASSERT_FALSE(filter::Parse(unbalanced).has_value());
  EXPECT_EQ(CombineFilterString(unbalanced, {4}), unbalanced);
  EXPECT_EQ(CombineFilterString("a = (", {4}), "a = (");
  // Filters Meilisearch accepts but Miroir's tree cannot hold are wrapped.
  EXPECT_EQ(CombineFilterString("_geoPolygon([1,2],[3,4],[5,6])", {4}),
            "(_geoPolygon([1,2],[3,4],[5,6])) AND _miroir_shard IN [4]");
}

// --- Reserved field names in client bodies ----------------------------------------

TEST(ReservedNames, FiltersFacetsDistinctSortAndFacetNameAreMasked) {
  auto masked = MaskReservedNames(
      R"({"q":"_miroir_shard","filter":["color = red",["_miroir_shard = 1","x = 2"]],)"
      R"( "facets":["color","_miroir_shard"],"distinct":"_miroir_shard",)"
      R"( "sort":["_miroir_shard:asc","rank:desc"],"facetName":"_miroir_digest",)"
      R"( "attributesToRetrieve":["_miroir_shard"]})");
  ASSERT_TRUE(masked.has_value());
  EXPECT_EQ(*masked,
            R"({"q":"_miroir_shard","filter":["color = red",["_miroir_SHARD = 1","x = 2"]],)"
            R"( "facets":["color","_miroir_SHARD"],"distinct":"_miroir_SHARD",)"
            R"( "sort":["_miroir_SHARD:asc","rank:desc"],"facetName":"_miroir_DIGEST",)"
            R"( "attributesToRetrieve":["_miroir_shard"]})");
}

TEST(ReservedNames, StringFilterAndEscapedSpellingsAreMasked) {
  EXPECT_EQ(MaskReservedNames(R"({"filter": "_miroir_shard = 1 AND title = \"a\""})"),
            R"({"filter": "_miroir_SHARD = 1 AND title = \"a\""})");
  // An escaped spelling is the same name to a node.
  EXPECT_EQ(MaskReservedNames(R"({"distinct":"_miroir_\u0073hard"})"),
            R"({"distinct":"_miroir_SHARD"})");
}

TEST(ReservedNames, MultiSearchQueriesAreMaskedNestedObjectsAreNot) {
  EXPECT_EQ(MaskReservedNames(R"({"queries":[{"indexUid":"a","filter":"_miroir_shard = 1"},)"
                              R"({"indexUid":"b","q":"x"}],"federation":{"filter":"_miroir_shard = 1"}})"),
            R"({"queries":[{"indexUid":"a","filter":"_miroir_SHARD = 1"},)"
            R"({"indexUid":"b","q":"x"}],"federation":{"filter":"_miroir_shard = 1"}})");
}

TEST(ReservedNames, NothingToMaskGivesNothing) {
  EXPECT_EQ(MaskReservedNames(R"({"q":"x","filter":"color = red"})"), std::nullopt);
  EXPECT_EQ(MaskReservedNames(R"({"q":"_miroir_shard"})"), std::nullopt);
  EXPECT_EQ(MaskReservedNames(R"(["_miroir_shard"])"), std::nullopt);
  EXPECT_EQ(MaskReservedNames(R"({"filter":"_miroir_shard = 1")"), std::nullopt);  // malformed
}

// --- Facets and distinct -----------------------------------------------------------

TEST(SearchRewrite, FacetsGainTheShardFacetThatCountsCandidates) {
  json node = NodeBody(R"({"q":"","facets":["color", "rank"]})");
  EXPECT_EQ(node["facets"], json::parse(R"(["color","rank","_miroir_shard"])"));
  EXPECT_TRUE(Analyze(R"({"facets":["color"]})").count_shard_facet);
  // "*" already holds it; no facets, none asked.
  EXPECT_EQ(NodeBody(R"({"facets":["*"]})")["facets"], json::parse(R"(["*"])"));
  EXPECT_TRUE(Analyze(R"({"facets":["*"]})").count_shard_facet);
  EXPECT_FALSE(Analyze(R"({"facets":["*"]})").append_shard_facet);
  EXPECT_FALSE(Analyze(R"({"facets":[]})").count_shard_facet);
  EXPECT_FALSE(Analyze(R"({"q":"x"})").count_shard_facet);
  EXPECT_FALSE(NodeBody(R"({"q":"x"})").contains("facets"));
}

// Found by tests/fuzz/search_rewrite_fuzz (corpus: repeated_facets_member):
// each `facets` member got the shard facet appended, so an earlier one that
// was not an array ("dune", null) made the node body invalid JSON.
TEST(SearchRewrite, ARepeatedFacetsMemberCountsOnceAndLastAsInMeilisearch) {
  json node = NodeBody(R"({"q":"","facets":"dune","facets":null,"facets":["genre"]})");
  EXPECT_EQ(node["facets"], json::parse(R"(["genre","_miroir_shard"])"));
  EXPECT_EQ(BuildNodeSearchBody(Analyze(R"({"facets":"a","facets":["b"]})"),
                                R"({"facets":"a","facets":["b"]})", nullptr)
                .find("\"facets\":\"a\""),
            std::string::npos);
  // The last one decides: a null or a wrong type after an array asks nothing.
  EXPECT_FALSE(Analyze(R"({"facets":["genre"],"facets":null})").append_shard_facet);
  EXPECT_FALSE(Analyze(R"({"facets":["genre"],"facets":"dune"})").count_shard_facet);
  EXPECT_NO_THROW(NodeBody(R"({"facets":["genre"],"facets":null})"));
  // In /multi-search queries too.
  const std::string multi =
      R"({"queries":[{"indexUid":"movies","facets":"dune","facets":["genre"]}]})";
  auto info = AnalyzeMultiSearchRequest(multi, [](std::string_view) { return nullptr; });
  ASSERT_TRUE(info.has_value());
  const std::vector<uint32_t> shards{1};
  const std::vector<const std::vector<uint32_t>*> per_query{&shards};
  json body = json::parse(BuildNodeMultiSearchBody(*info, multi, per_query));
  EXPECT_EQ(body["queries"][0]["facets"], json::parse(R"(["genre","_miroir_shard"])"));
}

TEST(SearchRewrite, PageModeWithDistinctAsksEachNodeForEveryCountedHit) {
  EXPECT_EQ(Analyze(R"({"distinct":"family","page":1,"hitsPerPage":20})").node_hits, 1000u);
  IndexSearchSettings settings;
  settings.max_total_hits = 300;
  EXPECT_EQ(Analyze(R"({"distinct":"family","page":2,"hitsPerPage":20})", settings).node_hits,
            300u);
  EXPECT_EQ(Analyze(R"({"distinct":"family","page":20,"hitsPerPage":20})", settings).node_hits,
            400u);
  settings.distinct_attribute = "family";
  EXPECT_EQ(Analyze(R"({"page":1,"hitsPerPage":20})", settings).node_hits, 300u);
  // Offset/limit totals are estimates: nothing more is asked.
  EXPECT_EQ(Analyze(R"({"distinct":"family","limit":20})").node_hits, 20u);
}

}  // namespace
}  // namespace miroir
