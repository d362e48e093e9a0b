#include "miroir/api/auth.hpp"

#include <cctype>

#include "miroir/core/crypto.hpp"

namespace miroir::api {
namespace {

Error MissingHeader() {
  return Error(ErrorCode::kMissingAuthorizationHeader,
               "The Authorization header is missing. It must use the bearer authorization "
               "method.");
}

Error InvalidKey() { return Error(ErrorCode::kInvalidApiKey, "The provided API key is invalid."); }

}  // namespace

std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kPrefix = "bearer ";
  if (header.size() <= kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kPrefix[i]) return {};
  }
  std::string_view token = header.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

Authenticator::Authenticator(std::string master_key, std::string admin_key)
    : master_key_(std::move(master_key)), admin_key_(std::move(admin_key)) {
  keys_.store(std::make_shared<const std::vector<ApiKey>>());
}

void Authenticator::SetKeys(std::vector<ApiKey> keys) {
  keys_.store(std::make_shared<const std::vector<ApiKey>>(std::move(keys)));
}

Result<Grant> Authenticator::Authorize(std::string_view authorization, std::string_view action,
                                       std::optional<std::string_view> index) const {
  Grant grant;
  if (!enabled()) {
    grant.master = true;
    return grant;
  }
  std::string_view token = BearerToken(authorization);
  if (token.empty()) return MissingHeader();
  if (crypto::ConstantTimeEquals(token, master_key_)) {
    grant.master = true;
    return grant;
  }
  const auto keys = keys_.load();
  const auto now = std::chrono::system_clock::now();

  if (LooksLikeJwt(token)) {
    // Tenant tokens only ever grant searches.
    if (action != "search") return InvalidKey();
    MIROIR_ASSIGN_OR_RETURN(TenantToken tenant, DecodeTenantToken(token));
    const ApiKey* parent = nullptr;
    for (const auto& k : *keys) {
      if (k.uid == tenant.api_key_uid) parent = &k;
    }
    if (!parent || !VerifyTenantTokenSignature(token, tenant, parent->key)) return InvalidKey();
    if (tenant.expires_at && *tenant.expires_at <= now) return InvalidKey();
    if (ApiKeyExpired(*parent, now) || !ApiKeyAllowsAction(*parent, "search")) {
      return InvalidKey();
    }
    if (index) {
      if (!IndexPatternsAllow(parent->indexes, *index)) return InvalidKey();
      auto rule = TenantRuleFor(tenant.search_rules, *index);
      if (!rule) return InvalidKey();
      grant.tenant_rule = std::move(*rule);
    }
    return grant;
  }

  // Compare against every key so the time taken does not reveal which matched.
  const ApiKey* found = nullptr;
  for (const auto& k : *keys) {
    if (crypto::ConstantTimeEquals(k.key, token)) found = &k;
  }
  if (!found || ApiKeyExpired(*found, now) || !ApiKeyAllowsAction(*found, action)) {
    return InvalidKey();
  }
  if (index && !IndexPatternsAllow(found->indexes, *index)) return InvalidKey();
  return grant;
}

Result<void> Authenticator::AuthorizeAdmin(std::string_view authorization) const {
  std::string_view token = BearerToken(authorization);
  if (admin_key_.empty()) {
    return Error(ErrorCode::kMiroirInvalidAdminKey,
                 "Miroir's admin API is disabled: no admin key is configured "
                 "(auth.admin_key or MIROIR_ADMIN_KEY).");
  }
  if (token.empty()) return MissingHeader();
  if (!crypto::ConstantTimeEquals(token, admin_key_)) {
    return Error(ErrorCode::kMiroirInvalidAdminKey, "The provided admin key is invalid.");
  }
  return {};
}

}  // namespace miroir::api
