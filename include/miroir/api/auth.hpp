// Who may do what: Meilisearch's authentication, enforced by Miroir before
// any node is called — the master key, API keys (actions, index patterns,
// expiry) and tenant tokens — plus the separate admin key of /_miroir/*.
//
// Thread-safety: Authorize() may run on any thread concurrently with
// SetKeys(); keys are an immutable snapshot behind an atomic shared_ptr.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/api_key.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/tenant_token.hpp"

namespace miroir::api {

struct Grant {
  bool master = false;
  // Set when the caller used a tenant token: the rule for the index asked for.
  std::optional<TenantRule> tenant_rule;
};

class Authenticator {
 public:
  Authenticator(std::string master_key, std::string admin_key);

  bool enabled() const { return !master_key_.empty(); }
  const std::string& master_key() const { return master_key_; }

  // Checks an Authorization header for `action` on `index` (nullopt when the
  // route is not about one index). Tenant tokens are only valid for "search".
  Result<Grant> Authorize(std::string_view authorization, std::string_view action,
                          std::optional<std::string_view> index) const;

  // /_miroir/* routes: the admin key only. With no admin key configured they
  // are refused for everyone (never silently opened, never the master key).
  Result<void> AuthorizeAdmin(std::string_view authorization) const;

  void SetKeys(std::vector<ApiKey> keys);
  std::shared_ptr<const std::vector<ApiKey>> keys() const { return keys_.load(); }

 private:
  std::string master_key_;
  std::string admin_key_;
  std::atomic<std::shared_ptr<const std::vector<ApiKey>>> keys_;
};

// The bearer token of an Authorization header, or empty.
std::string_view BearerToken(std::string_view authorization);

}  // namespace miroir::api
