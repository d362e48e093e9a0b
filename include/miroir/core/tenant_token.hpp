// Meilisearch tenant tokens: HS256/384/512 JWTs signed with an API key,
// carrying `apiKeyUid`, an optional `exp`, and `searchRules` that restrict
// which indexes may be searched and with which extra filter.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/time.hpp"

namespace miroir {

struct TenantToken {
  std::string api_key_uid;
  std::optional<SystemTime> expires_at;
  nlohmann::json search_rules;  // array of index patterns, or object pattern -> rule
  std::string algorithm;        // "HS256", "HS384" or "HS512"
};

// True when `token` looks like a JWT (three base64url parts) rather than an
// API key, so the caller knows which check applies.
bool LooksLikeJwt(std::string_view token);

// Decodes header and payload without checking the signature (the signing
// key is found through apiKeyUid). Errors: invalid_api_key with Meilisearch's
// "Could not decode tenant token, ..." wording.
Result<TenantToken> DecodeTenantToken(std::string_view jwt);

// Checks the signature with the API key's value as the HMAC secret, in
// constant time.
bool VerifyTenantTokenSignature(std::string_view jwt, const TenantToken& token,
                                std::string_view api_key);

struct TenantRule {
  std::optional<nlohmann::json> filter;  // extra filter ANDed to the search's own
};

// The rule that applies to `index_uid`, or nullopt when the token does not
// grant it: an exact index name wins over a pattern ("*", "prefix*").
std::optional<TenantRule> TenantRuleFor(const nlohmann::json& search_rules,
                                        std::string_view index_uid);

}  // namespace miroir
