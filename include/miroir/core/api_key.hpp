// Meilisearch API keys: the key model, validation of /keys request bodies,
// and the permission check (actions x index patterns x expiry).
//
// Shared by the test node and by Miroir, which enforces the same rules itself
// before any node is called. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/core/time.hpp"

namespace miroir {

struct ApiKey {
  std::string uid;  // hyphenated lower-case UUID
  std::string key;  // HMAC-SHA256(master key, uid) in hex
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<std::string> actions;
  std::vector<std::string> indexes;  // uids or patterns ending in '*'
  std::optional<SystemTime> expires_at;
  SystemTime created_at;
  SystemTime updated_at;
};

// The key Meilisearch derives for a uid: hex HMAC-SHA256 keyed by the master key.
std::string DeriveApiKey(std::string_view master_key, std::string_view uid);

// The keys Meilisearch creates on first start with a master key.
std::vector<ApiKey> DefaultApiKeys(std::string_view master_key, SystemTime now);

// Validates a POST /keys body and builds the key (a random uid when none is given).
Result<ApiKey> ApiKeyFromCreateRequest(const nlohmann::json& body, std::string_view master_key,
                                       SystemTime now);
// Applies a PATCH /keys/{key} body: only name and description may change.
Result<void> ApplyApiKeyUpdate(ApiKey& key, const nlohmann::json& body, SystemTime now);

// The JSON of GET /keys/{key}.
nlohmann::ordered_json ApiKeyToJson(const ApiKey& key);
// The persisted form (round-trips through ApiKeyFromJson).
nlohmann::json ApiKeyToStorage(const ApiKey& key);
std::optional<ApiKey> ApiKeyFromStorage(const nlohmann::json& j);

// Whether `key` grants `action` ("documents.add", ...) at `now`.
bool ApiKeyAllowsAction(const ApiKey& key, std::string_view action);
// Whether an index pattern list ("*", "movies", "mov*") covers `index_uid`.
bool IndexPatternsAllow(const std::vector<std::string>& patterns, std::string_view index_uid);
bool ApiKeyExpired(const ApiKey& key, SystemTime now);

// Every action name Meilisearch accepts, in its documented order.
const std::vector<std::string_view>& KnownApiKeyActions();

}  // namespace miroir
