#include "miroir/core/tenant_token.hpp"

#include <gtest/gtest.h>

#include "miroir/core/crypto.hpp"

namespace miroir {
namespace {

std::string Sign(const nlohmann::json& payload, const std::string& key,
                 const nlohmann::json& alg = "HS256") {
  std::string head = crypto::Base64UrlEncode(nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump());
  std::string body = crypto::Base64UrlEncode(payload.dump());
  std::string signing_input = head + "." + body;
  std::string sig = crypto::Base64UrlEncode(crypto::HmacSha256(key, signing_input));
  return signing_input + "." + sig;
}

TEST(TenantTokenTest, DecodesAndVerifiesAValidToken) {
  std::string jwt = Sign({{"searchRules", {"movies"}}, {"apiKeyUid", "uid-1"}, {"exp", 4102444800}},
                         "secret-key");
  ASSERT_TRUE(LooksLikeJwt(jwt));
  auto token = DecodeTenantToken(jwt);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->api_key_uid, "uid-1");
  ASSERT_TRUE(token->expires_at);
  EXPECT_EQ(FormatRfc3339(*token->expires_at), "2100-01-01T00:00:00Z");
  EXPECT_TRUE(VerifyTenantTokenSignature(jwt, *token, "secret-key"));
  EXPECT_FALSE(VerifyTenantTokenSignature(jwt, *token, "other-key"));
}

// Found by tests/fuzz/tenant_token_fuzz (corpus: json_exp_huge,
// json_exp_negative_huge): an `exp` beyond what a time point holds was
// converted to an integer (undefined behaviour; UBSan aborted).
TEST(TenantTokenTest, ExpiryBeyondTheClockRangeIsClamped) {
  auto decode = [](const nlohmann::json& exp) {
    auto token = DecodeTenantToken(
        Sign({{"searchRules", {"*"}}, {"apiKeyUid", "uid-1"}, {"exp", exp}}, "k"));
    EXPECT_TRUE(token) << exp;
    return token && token->expires_at ? *token->expires_at : SystemTime();
  };
  // The year 3000, and absurd values: never expires.
  EXPECT_EQ(decode(32503680000), SystemTime::max());
  EXPECT_EQ(decode(1e300), SystemTime::max());
  EXPECT_EQ(decode(18446744073709551615u), SystemTime::max());
  // Far in the past: expired.
  EXPECT_EQ(decode(-9.5e18), SystemTime::min());
  EXPECT_EQ(decode(-1e300), SystemTime::min());
  // In range: to the second, as before.
  EXPECT_EQ(FormatRfc3339(decode(4102444800.9)), "2100-01-01T00:00:00Z");
}

TEST(TenantTokenTest, TamperedPayloadFailsVerification) {
  std::string jwt = Sign({{"searchRules", {"movies"}}, {"apiKeyUid", "uid-1"}}, "k");
  std::string forged_payload = crypto::Base64UrlEncode(
      nlohmann::json{{"searchRules", {"*"}}, {"apiKeyUid", "uid-1"}}.dump());
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  std::string forged = jwt.substr(0, a + 1) + forged_payload + jwt.substr(b);
  auto token = DecodeTenantToken(forged);
  ASSERT_TRUE(token);
  EXPECT_FALSE(VerifyTenantTokenSignature(forged, *token, "k"));
}

TEST(TenantTokenTest, RejectsMissingFieldsAndBadAlgorithms) {
  auto no_rules = DecodeTenantToken(Sign({{"apiKeyUid", "u"}}, "k"));
  ASSERT_FALSE(no_rules);
  EXPECT_EQ(no_rules.error().code, ErrorCode::kInvalidApiKey);
  EXPECT_NE(no_rules.error().message.find("searchRules"), std::string::npos);
  EXPECT_FALSE(DecodeTenantToken(Sign({{"searchRules", {"*"}}}, "k")));
  EXPECT_FALSE(DecodeTenantToken(Sign({{"searchRules", {"*"}}, {"apiKeyUid", "u"}}, "k", "none")));
  EXPECT_FALSE(DecodeTenantToken("not.a-jwt"));
  EXPECT_FALSE(LooksLikeJwt("d0552b41536279a0ad88bd595327b96f01176a60c2243e906c52ac02375f9bc4"));
}

// Found by tests/fuzz/tenant_token_fuzz (corpus: json_alg_not_string): an
// `alg` that was not a string threw out of the decoder, so the request was
// answered 500 instead of invalid_api_key.
TEST(TenantTokenTest, AnAlgorithmThatIsNotAStringIsRefused) {
  const nlohmann::json payload = {{"searchRules", {"*"}}, {"apiKeyUid", "u"}};
  for (const nlohmann::json& alg : {nlohmann::json(5), nlohmann::json(nullptr),
                                    nlohmann::json::array({"HS256"}), nlohmann::json(true)}) {
    auto token = DecodeTenantToken(Sign(payload, "k", alg));
    ASSERT_FALSE(token) << alg;
    EXPECT_EQ(token.error().code, ErrorCode::kInvalidApiKey) << alg;
  }
}

TEST(TenantTokenTest, RulesGrantIndexesByNameAndPattern) {
  nlohmann::json list = {"movies", "shop*"};
  EXPECT_TRUE(TenantRuleFor(list, "movies"));
  EXPECT_TRUE(TenantRuleFor(list, "shop_fr"));
  EXPECT_FALSE(TenantRuleFor(list, "books"));
  nlohmann::json object = {{"*", nullptr}, {"movies", {{"filter", "genre = horror"}}}};
  auto movies = TenantRuleFor(object, "movies");
  ASSERT_TRUE(movies);
  ASSERT_TRUE(movies->filter);
  EXPECT_EQ(*movies->filter, "genre = horror");
  auto books = TenantRuleFor(object, "books");
  ASSERT_TRUE(books);
  EXPECT_FALSE(books->filter);
}

}  // namespace
}  // namespace miroir
