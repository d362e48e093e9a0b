#include "miroir/core/tenant_token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "miroir/core/api_key.hpp"
#include "miroir/core/crypto.hpp"

namespace miroir {
namespace {

Error DecodeError(std::string_view why) {
  return Error(ErrorCode::kInvalidApiKey,
               "Could not decode tenant token, " + std::string(why) + ".");
}

bool SplitJwt(std::string_view jwt, std::string_view parts[3]) {
  size_t first = jwt.find('.');
  if (first == std::string_view::npos) return false;
  size_t second = jwt.find('.', first + 1);
  if (second == std::string_view::npos || jwt.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  parts[0] = jwt.substr(0, first);
  parts[1] = jwt.substr(first + 1, second - first - 1);
  parts[2] = jwt.substr(second + 1);
  return !parts[0].empty() && !parts[1].empty() && !parts[2].empty();
}

// `exp` (seconds since the epoch) as a time point, clamped to what a
// SystemTime holds (nanoseconds: years 1677 to 2262). A token may well say
// "until the year 3000", and converting such a value, or 1e300, to an
// integer count is undefined behaviour; past the range it never expires,
// before it it has expired.
SystemTime ExpiryFromSeconds(double seconds) {
  constexpr auto kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(SystemTime::duration::max()).count() - 1;
  if (seconds >= static_cast<double>(kLimit)) return SystemTime::max();
  if (seconds <= -static_cast<double>(kLimit)) return SystemTime::min();
  return SystemTime(std::chrono::seconds(static_cast<int64_t>(seconds)));
}

}  // namespace

bool LooksLikeJwt(std::string_view token) {
  std::string_view parts[3];
  return SplitJwt(token, parts);
}

Result<TenantToken> DecodeTenantToken(std::string_view jwt) {
  std::string_view parts[3];
  if (!SplitJwt(jwt, parts)) return DecodeError("InvalidToken");
  std::string header_text, payload_text;
  if (!crypto::Base64UrlDecode(parts[0], header_text) ||
      !crypto::Base64UrlDecode(parts[1], payload_text)) {
    return DecodeError("Base64 error");
  }
  auto header = nlohmann::json::parse(header_text, nullptr, false);
  auto payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (header.is_discarded() || !header.is_object() || payload.is_discarded() ||
      !payload.is_object()) {
    return DecodeError("JSON error");
  }
  TenantToken token;
  // Checked before it is read: json::value throws on a non-string `alg`.
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return DecodeError("InvalidAlgorithm");
  token.algorithm = alg->get<std::string>();
  if (token.algorithm != "HS256" && token.algorithm != "HS384" && token.algorithm != "HS512") {
    return DecodeError("InvalidAlgorithm");
  }
  if (!payload.contains("searchRules")) {
    return DecodeError("JSON error: missing field `searchRules`");
  }
  token.search_rules = payload["searchRules"];
  if (!token.search_rules.is_array() && !token.search_rules.is_object()) {
    return DecodeError("JSON error: data did not match any variant of untagged enum SearchRules");
  }
  if (!payload.contains("apiKeyUid") || !payload["apiKeyUid"].is_string()) {
    return DecodeError("JSON error: missing field `apiKeyUid`");
  }
  token.api_key_uid = payload["apiKeyUid"].get<std::string>();
  if (payload.contains("exp") && !payload["exp"].is_null()) {
    if (!payload["exp"].is_number()) return DecodeError("JSON error: invalid type for `exp`");
    token.expires_at = ExpiryFromSeconds(payload["exp"].get<double>());
  }
  return token;
}

bool VerifyTenantTokenSignature(std::string_view jwt, const TenantToken& token,
                                std::string_view api_key) {
  std::string_view parts[3];
  if (!SplitJwt(jwt, parts)) return false;
  const EVP_MD* md = token.algorithm == "HS384"   ? EVP_sha384()
                     : token.algorithm == "HS512" ? EVP_sha512()
                                                  : EVP_sha256();
  std::string_view signed_part = jwt.substr(0, parts[0].size() + 1 + parts[1].size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, api_key.data(), static_cast<int>(api_key.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), digest,
       &length);
  std::string expected = crypto::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest), length));
  return crypto::ConstantTimeEquals(expected, parts[2]);
}

std::optional<TenantRule> TenantRuleFor(const nlohmann::json& rules, std::string_view index_uid) {
  if (rules.is_array()) {
    std::vector<std::string> patterns;
    for (const auto& p : rules) {
      if (p.is_string()) patterns.push_back(p.get<std::string>());
    }
    if (IndexPatternsAllow(patterns, index_uid)) return TenantRule{};
    return std::nullopt;
  }
  if (!rules.is_object()) return std::nullopt;
  auto rule_from = [](const nlohmann::json& v) -> TenantRule {
    TenantRule rule;
    if (v.is_object() && v.contains("filter") && !v["filter"].is_null()) rule.filter = v["filter"];
    return rule;
  };
  auto exact = rules.find(std::string(index_uid));
  if (exact != rules.end()) return rule_from(*exact);
  for (const auto& [pattern, value] : rules.items()) {
    if (IndexPatternsAllow({pattern}, index_uid)) return rule_from(value);
  }
  return std::nullopt;
}

}  // namespace miroir
