#include "miroir/core/api_key.hpp"

#include <algorithm>

#include "miroir/core/crypto.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/json_errors.hpp"

namespace miroir {
namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;

constexpr std::string_view kCreateFields =
    "`description`, `name`, `uid`, `actions`, `indexes`, `expiresAt`";
constexpr std::string_view kUpdateFields = "`description`, `name`";

bool IsValidIndexPattern(std::string_view p) {
  if (p == "*") return true;
  if (!p.empty() && p.back() == '*') p.remove_suffix(1);
  return IsValidIndexUid(p);
}

Result<std::optional<std::string>> OptionalString(const json& body, std::string_view field,
                                                  ErrorCode code) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return json_errors::InvalidType(code, "." + std::string(field), "a string", *it);
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::vector<std::string>> StringArray(const json& body, std::string_view field,
                                             ErrorCode type_code, ErrorCode missing_code) {
  auto it = body.find(field);
  if (it == body.end()) return json_errors::MissingField(missing_code, field);
  if (!it->is_array()) {
    return json_errors::InvalidType(type_code, "." + std::string(field), "an array", *it);
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    std::string path = "." + std::string(field) + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return json_errors::InvalidType(type_code, path, "a string", v);
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

const std::vector<std::string_view>& KnownApiKeyActions() {
  static const std::vector<std::string_view> kActions = {
      "*", "search", "documents.*", "documents.add", "documents.get", "documents.delete",
      "indexes.*", "indexes.create", "indexes.get", "indexes.update", "indexes.delete",
      "indexes.swap", "tasks.*", "tasks.cancel", "tasks.delete", "tasks.get", "settings.*",
      "settings.get", "settings.update", "stats.*", "stats.get", "metrics.*", "metrics.get",
      "dumps.*", "dumps.create", "snapshots.*", "snapshots.create", "version", "keys.create",
      "keys.get", "keys.update", "keys.delete", "experimental.get", "experimental.update",
      "export", "network.get", "network.update", "chatCompletions", "chats.*", "chats.get",
      "chats.delete", "chatsSettings.*", "chatsSettings.get", "chatsSettings.update", "*.get"};
  return kActions;
}

std::string DeriveApiKey(std::string_view master_key, std::string_view uid) {
  return crypto::HmacSha256Hex(master_key, uid);
}

std::vector<ApiKey> DefaultApiKeys(std::string_view master_key, SystemTime now) {
  struct Spec {
    const char* name;
    const char* description;
    std::vector<std::string> actions;
  };
  const Spec specs[] = {
      {"Default Search API Key", "Use it to search from the frontend", {"search"}},
      {"Default Admin API Key",
       "Use it for anything that is not a search operation. Caution! Do not expose it on a "
       "public frontend",
       {"*"}},
      {"Default Read-Only Admin API Key",
       "Use it to read information across the whole database. Caution! Do not expose this key "
       "on a public frontend",
       {"*.get", "keys.get"}},
      {"Default Chat API Key", "Use it to chat and search from the frontend",
       {"chatCompletions", "search"}},
  };
  std::vector<ApiKey> keys;
  for (const auto& s : specs) {
    ApiKey k;
    k.uid = crypto::RandomUuidV4();
    k.key = DeriveApiKey(master_key, k.uid);
    k.name = s.name;
    k.description = s.description;
    k.actions = s.actions;
    k.indexes = {"*"};
    k.created_at = k.updated_at = now;
    keys.push_back(std::move(k));
  }
  return keys;
}

Result<ApiKey> ApiKeyFromCreateRequest(const json& body, std::string_view master_key,
                                       SystemTime now) {
  if (!body.is_object()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, "", "an object", body);
  }
  for (const auto& [field, value] : body.items()) {
    static const std::vector<std::string_view> kKnown = {"description", "name", "uid",
                                                         "actions", "indexes", "expiresAt"};
    if (std::find(kKnown.begin(), kKnown.end(), field) == kKnown.end()) {
      return json_errors::UnknownField(ErrorCode::kBadRequest, field, kCreateFields);
    }
  }
  ApiKey key;
  MIROIR_ASSIGN_OR_RETURN(key.description,
                          OptionalString(body, "description", ErrorCode::kInvalidApiKeyDescription));
  MIROIR_ASSIGN_OR_RETURN(key.name, OptionalString(body, "name", ErrorCode::kInvalidApiKeyName));
  MIROIR_ASSIGN_OR_RETURN(auto uid, OptionalString(body, "uid", ErrorCode::kInvalidApiKeyUid));
  if (uid) {
    if (!crypto::IsUuid(*uid)) {
      return json_errors::InvalidValue(ErrorCode::kInvalidApiKeyUid, ".uid",
                                       uid->size() != 36
                                           ? "invalid length: found " + std::to_string(uid->size())
                                           : std::string("invalid character"));
    }
    std::transform(uid->begin(), uid->end(), uid->begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    key.uid = *uid;
  } else {
    key.uid = crypto::RandomUuidV4();
  }
  MIROIR_ASSIGN_OR_RETURN(key.actions, StringArray(body, "actions", ErrorCode::kInvalidApiKeyActions,
                                                   ErrorCode::kMissingApiKeyActions));
  const auto& known = KnownApiKeyActions();
  for (size_t i = 0; i < key.actions.size(); ++i) {
    if (std::find(known.begin(), known.end(), key.actions[i]) == known.end()) {
      std::string list;
      for (auto a : known) list += (list.empty() ? "`" : ", `") + std::string(a) + "`";
      return Error(ErrorCode::kInvalidApiKeyActions,
                   "Unknown value `" + key.actions[i] + "` at `.actions[" + std::to_string(i) +
                       "]`: expected one of " + list);
    }
  }
  MIROIR_ASSIGN_OR_RETURN(key.indexes, StringArray(body, "indexes", ErrorCode::kInvalidApiKeyIndexes,
                                                   ErrorCode::kMissingApiKeyIndexes));
  for (size_t i = 0; i < key.indexes.size(); ++i) {
    if (!IsValidIndexPattern(key.indexes[i])) {
      return json_errors::InvalidValue(
          ErrorCode::kInvalidApiKeyIndexes, ".indexes[" + std::to_string(i) + "]",
          "`" + key.indexes[i] +
              "` is not a valid index uid pattern. Index uid patterns can be an integer or a "
              "string containing only alphanumeric characters, hyphens (-), underscores (_), "
              "and optionally end with a star (*).");
    }
  }
  auto exp = body.find("expiresAt");
  if (exp == body.end()) {
    return json_errors::MissingField(ErrorCode::kMissingApiKeyExpiresAt, "expiresAt");
  }
  if (!exp->is_null()) {
    if (!exp->is_string()) {
      return json_errors::InvalidType(ErrorCode::kInvalidApiKeyExpiresAt, ".expiresAt",
                                      "a string", *exp);
    }
    std::string text = exp->get<std::string>();
    // Meilisearch also accepts "YYYY-MM-DD HH:MM:SS".
    std::string normalized = text;
    if (normalized.size() == 19 && normalized[10] == ' ') normalized[10] = 'T';
    auto t = ParseRfc3339(normalized);
    if (!t || *t <= now) {
      return json_errors::InvalidValue(
          ErrorCode::kInvalidApiKeyExpiresAt, ".expiresAt",
          "`" + text +
              "` is not a valid date. It should follow the RFC 3339 format to represents a date "
              "or datetime in the future or specified as a null value. e.g. 'YYYY-MM-DD' or "
              "'YYYY-MM-DD HH:MM:SS'.\n");
    }
    key.expires_at = *t;
  }
  key.key = DeriveApiKey(master_key, key.uid);
  key.created_at = key.updated_at = now;
  return key;
}

Result<void> ApplyApiKeyUpdate(ApiKey& key, const json& body, SystemTime now) {
  if (!body.is_object()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, "", "an object", body);
  }
  static const std::pair<std::string_view, ErrorCode> kImmutable[] = {
      {"uid", ErrorCode::kImmutableApiKeyUid},
      {"actions", ErrorCode::kImmutableApiKeyActions},
      {"indexes", ErrorCode::kImmutableApiKeyIndexes},
      {"expiresAt", ErrorCode::kImmutableApiKeyExpiresAt},
      {"createdAt", ErrorCode::kImmutableApiKeyCreatedAt},
      {"updatedAt", ErrorCode::kImmutableApiKeyUpdatedAt},
      {"key", ErrorCode::kImmutableApiKeyKey},
  };
  for (const auto& [field, value] : body.items()) {
    if (field == "name" || field == "description") continue;
    for (const auto& [name, code] : kImmutable) {
      if (field == name) {
        return Error(code, "Immutable field `" + field + "`: expected one of " +
                               std::string(kUpdateFields));
      }
    }
    return json_errors::UnknownField(ErrorCode::kBadRequest, field, kUpdateFields);
  }
  if (body.contains("description")) {
    MIROIR_ASSIGN_OR_RETURN(key.description,
                            OptionalString(body, "description",
                                           ErrorCode::kInvalidApiKeyDescription));
  }
  if (body.contains("name")) {
    MIROIR_ASSIGN_OR_RETURN(key.name, OptionalString(body, "name", ErrorCode::kInvalidApiKeyName));
  }
  key.updated_at = now;
  return {};
}

OJson ApiKeyToJson(const ApiKey& k) {
  OJson j;
  j["name"] = k.name ? OJson(*k.name) : OJson(nullptr);
  j["description"] = k.description ? OJson(*k.description) : OJson(nullptr);
  j["key"] = k.key;
  j["uid"] = k.uid;
  j["actions"] = k.actions;
  j["indexes"] = k.indexes;
  j["expiresAt"] = k.expires_at ? OJson(FormatRfc3339(*k.expires_at)) : OJson(nullptr);
  j["createdAt"] = FormatRfc3339(k.created_at);
  j["updatedAt"] = FormatRfc3339(k.updated_at);
  return j;
}

json ApiKeyToStorage(const ApiKey& k) {
  json j = json(ApiKeyToJson(k));
  return j;
}

std::optional<ApiKey> ApiKeyFromStorage(const json& j) {
  if (!j.is_object() || !j.contains("uid") || !j.contains("key")) return std::nullopt;
  ApiKey k;
  k.uid = j.value("uid", "");
  k.key = j.value("key", "");
  if (j.contains("name") && j["name"].is_string()) k.name = j["name"].get<std::string>();
  if (j.contains("description") && j["description"].is_string()) {
    k.description = j["description"].get<std::string>();
  }
  k.actions = j.value("actions", std::vector<std::string>{});
  k.indexes = j.value("indexes", std::vector<std::string>{});
  if (j.contains("expiresAt") && j["expiresAt"].is_string()) {
    k.expires_at = ParseRfc3339(j["expiresAt"].get<std::string>());
  }
  k.created_at = ParseRfc3339(j.value("createdAt", "")).value_or(SystemTime{});
  k.updated_at = ParseRfc3339(j.value("updatedAt", "")).value_or(SystemTime{});
  return k;
}

bool ApiKeyAllowsAction(const ApiKey& key, std::string_view action) {
  for (const auto& granted : key.actions) {
    if (granted == "*" || granted == action) return true;
    // "documents.*" grants every "documents.x"; "*.get" grants every "x.get".
    if (granted.size() > 2 && granted.ends_with(".*") &&
        action.starts_with(std::string_view(granted).substr(0, granted.size() - 1))) {
      return true;
    }
    if (granted == "*.get" && action.ends_with(".get")) return true;
  }
  return false;
}

bool IndexPatternsAllow(const std::vector<std::string>& patterns, std::string_view index_uid) {
  for (const auto& p : patterns) {
    if (p == "*" || p == index_uid) return true;
    if (!p.empty() && p.back() == '*' &&
        index_uid.starts_with(std::string_view(p).substr(0, p.size() - 1))) {
      return true;
    }
  }
  return false;
}

bool ApiKeyExpired(const ApiKey& key, SystemTime now) {
  return key.expires_at && *key.expires_at <= now;
}

}  // namespace miroir
