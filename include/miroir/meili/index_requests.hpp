// Validation of the bodies of POST /indexes and PATCH /indexes/{uid}, with
// Meilisearch's errors. Shared by Miroir and the test node.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::meili {

struct CreateIndexRequest {
  std::string uid;
  std::optional<std::string> primary_key;
};

struct UpdateIndexRequest {
  bool has_primary_key = false;
  std::optional<std::string> primary_key;  // when has_primary_key; null resets nothing
  std::optional<std::string> new_uid;      // rename
};

Result<CreateIndexRequest> ParseCreateIndexRequest(const nlohmann::json& body);
Result<UpdateIndexRequest> ParseUpdateIndexRequest(const nlohmann::json& body);

// invalid_index_uid for a uid in a path or a list.
Error InvalidIndexUidError(std::string_view uid);
// index_not_found: "Index `x` not found."
Error IndexNotFoundError(std::string_view uid);

}  // namespace miroir::meili
