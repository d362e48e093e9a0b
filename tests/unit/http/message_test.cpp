#include "miroir/http/message.hpp"

#include <gtest/gtest.h>

namespace miroir::http {
namespace {

TEST(QueryParams, DecodesPercentEscapesAndPlusAsSpace) {
  QueryParams params("q=star+wars%21&limit=5&empty=&flag&q=last");
  ASSERT_EQ(params.entries().size(), 5u);
  EXPECT_EQ(params.entries()[0].second, "star wars!");
  ASSERT_NE(params.Get("q"), nullptr);
  EXPECT_EQ(*params.Get("q"), "last");
  EXPECT_EQ(*params.Get("empty"), "");
  EXPECT_EQ(*params.Get("flag"), "");
  EXPECT_EQ(params.Get("missing"), nullptr);
}

TEST(QueryParams, KeepsValidUtf8) {
  QueryParams params("q=caf%C3%A9%20%F0%9F%98%80&filter=%E2%82%AC");
  EXPECT_EQ(*params.Get("q"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(*params.Get("filter"), "\xe2\x82\xac");
}

// Found by tests/fuzz/http_request_fuzz (corpus: invalid_utf8_query): raw
// bytes that are not UTF-8 reached GET /search's JSON body, whose
// serialization then threw (a 500). Meilisearch decodes them as U+FFFD, one
// per maximal ill-formed subsequence.
TEST(QueryParams, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(*QueryParams("q=%FF%FE").Get("q"), fffd + fffd);
  EXPECT_EQ(*QueryParams("q=a%C3%28b").Get("q"), "a" + fffd + "(b");  // truncated pair
  EXPECT_EQ(*QueryParams("q=%E2%82").Get("q"), fffd);                 // one maximal subpart
  EXPECT_EQ(*QueryParams("q=%ED%A0%80").Get("q"), fffd + fffd + fffd);  // a surrogate
  EXPECT_EQ(*QueryParams("q=%C0%AF").Get("q"), fffd + fffd);           // overlong
  EXPECT_EQ(*QueryParams("q=%F4%90%80%80").Get("q"), fffd + fffd + fffd + fffd);
  EXPECT_EQ(*QueryParams("q=%F0%9F%98").Get("q"), fffd);
  // Names too, and raw bytes as well as escapes.
  QueryParams raw("\xff=1&q=ok\x80");
  EXPECT_EQ(raw.entries()[0].first, fffd);
  EXPECT_EQ(*raw.Get("q"), "ok" + fffd);
}

TEST(SplitPath, DecodesSegmentsAndSkipsEmptyOnes) {
  EXPECT_EQ(SplitPath("/indexes/a%20b//search/"),
            (std::vector<std::string>{"indexes", "a b", "search"}));
  EXPECT_TRUE(SplitPath("/").empty());
}

TEST(Method, NamesRoundTripAndUnknownNamesAreOther) {
  for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kPatch,
                   Method::kDelete, Method::kOptions}) {
    EXPECT_EQ(MethodFromName(MethodName(m)), m) << MethodName(m);
  }
  EXPECT_EQ(MethodFromName("get"), Method::kOther);  // methods are case-sensitive
  EXPECT_EQ(MethodFromName("TRACE"), Method::kOther);
  EXPECT_EQ(MethodFromName(""), Method::kOther);
  EXPECT_EQ(MethodFromName("OTHER"), Method::kOther);
}

}  // namespace
}  // namespace miroir::http
