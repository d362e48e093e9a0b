// Fuzzes tenant-token parsing (miroir/core/tenant_token.hpp).
//
// Input: either a raw token (the Authorization header's bearer value), or,
// when it starts with "json\n", a JWT header and payload as JSON text
// separated by a line "--", which the target encodes and signs with a fixed
// key, so the fuzzer reaches the JSON checks behind the base64 layer.
//
// Invariants beyond "no crash":
//  - DecodeTenantToken fails only with invalid_api_key, accepts only the
//    three HS algorithms and a uid, and its search rules are an array or an
//    object;
//  - a token signed with the key verifies with that key and not another;
//  - the rule for an index, when granted, carries a filter that is null-free
//    and either parses as a filter or fails with a filter error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_util.hpp"
#include "miroir/core/crypto.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/tenant_token.hpp"

namespace {

using namespace miroir;

constexpr std::string_view kKey = "a-search-key-of-32-bytes-or-more!!";

std::string Sign(std::string_view signed_part, std::string_view alg) {
  const EVP_MD* md = alg == "HS384" ? EVP_sha384() : alg == "HS512" ? EVP_sha512() : EVP_sha256();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), digest,
       &length);
  return crypto::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

void CheckRules(const TenantToken& token) {
  for (std::string_view index : {"movies", "books", "", "movies_2024"}) {
    auto rule = TenantRuleFor(token.search_rules, index);
    if (!rule || !rule->filter) continue;
    FUZZ_CHECK(!rule->filter->is_null(), "a null filter is no filter");
    auto parsed = filter::ParseJson(*rule->filter);
    if (!parsed) FUZZ_CHECK(!parsed.error().message.empty(), "empty filter error");
  }
}

// `signed_alg`: the algorithm the target signed with kKey, empty for raw input.
void CheckToken(std::string_view jwt, std::string_view signed_alg) {
  const bool looks = LooksLikeJwt(jwt);
  auto token = DecodeTenantToken(jwt);
  if (!token) {
    FUZZ_CHECK(token.error().code == ErrorCode::kInvalidApiKey, token.error().ToJson());
    return;
  }
  FUZZ_CHECK(looks, "decoded a token that does not look like a JWT");
  FUZZ_CHECK(token->algorithm == "HS256" || token->algorithm == "HS384" ||
                 token->algorithm == "HS512",
             token->algorithm);
  FUZZ_CHECK(token->search_rules.is_array() || token->search_rules.is_object(), "rules type");
  if (!signed_alg.empty() && token->algorithm == signed_alg) {
    FUZZ_CHECK(VerifyTenantTokenSignature(jwt, *token, kKey), "own signature refused");
  }
  FUZZ_CHECK(!VerifyTenantTokenSignature(jwt, *token, "another key"), "wrong key accepted");
  CheckRules(*token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input input(data, size);
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  if (!all.starts_with("json\n")) {
    CheckToken(all, "");
    return 0;
  }
  input.Until("\n");
  const std::string_view header = input.Until("\n--\n");
  const std::string_view payload = input.Rest();
  std::string alg = "HS256";
  if (header.find("HS384") != std::string_view::npos) alg = "HS384";
  if (header.find("HS512") != std::string_view::npos) alg = "HS512";
  const std::string signed_part =
      crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(payload);
  // An empty part makes no JWT; the raw path covers that.
  if (header.empty() || payload.empty()) return 0;
  const std::string jwt = signed_part + "." + Sign(signed_part, alg);
  CheckToken(jwt, alg);
  return 0;
}
