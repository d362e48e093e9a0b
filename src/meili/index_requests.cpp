#include "miroir/meili/index_requests.hpp"

#include "miroir/core/index_uid.hpp"
#include "miroir/core/json_errors.hpp"

namespace miroir::meili {

Error InvalidIndexUidError(std::string_view uid) {
  return Error(ErrorCode::kInvalidIndexUid,
               "`" + std::string(uid) + "` " + std::string(kIndexUidRules));
}

Error IndexNotFoundError(std::string_view uid) {
  return Error(ErrorCode::kIndexNotFound, "Index `" + std::string(uid) + "` not found.");
}

Result<CreateIndexRequest> ParseCreateIndexRequest(const nlohmann::json& body) {
  if (!body.is_object()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, "", "an object", body);
  }
  for (const auto& [k, v] : body.items()) {
    if (k != "uid" && k != "primaryKey") {
      return json_errors::UnknownField(ErrorCode::kBadRequest, k, "`uid`, `primaryKey`");
    }
  }
  if (!body.contains("uid")) return json_errors::MissingField(ErrorCode::kMissingIndexUid, "uid");
  const auto& uid = body["uid"];
  if (!uid.is_string()) {
    return json_errors::InvalidType(ErrorCode::kInvalidIndexUid, ".uid", "a string", uid);
  }
  CreateIndexRequest out;
  out.uid = uid.get<std::string>();
  if (!IsValidIndexUid(out.uid)) {
    return json_errors::InvalidValue(ErrorCode::kInvalidIndexUid, ".uid",
                                     "`" + out.uid + "` " + std::string(kIndexUidRules));
  }
  if (body.contains("primaryKey") && !body["primaryKey"].is_null()) {
    if (!body["primaryKey"].is_string()) {
      return json_errors::InvalidType(ErrorCode::kInvalidIndexPrimaryKey, ".primaryKey",
                                      "a string", body["primaryKey"]);
    }
    out.primary_key = body["primaryKey"].get<std::string>();
  }
  return out;
}

Result<UpdateIndexRequest> ParseUpdateIndexRequest(const nlohmann::json& body) {
  if (!body.is_object()) {
    return json_errors::InvalidType(ErrorCode::kBadRequest, "", "an object", body);
  }
  UpdateIndexRequest out;
  for (const auto& [k, v] : body.items()) {
    if (k == "primaryKey") {
      if (!v.is_string() && !v.is_null()) {
        return json_errors::InvalidType(ErrorCode::kInvalidIndexPrimaryKey, ".primaryKey",
                                        "a string", v);
      }
      out.has_primary_key = true;
      if (v.is_string()) out.primary_key = v.get<std::string>();
    } else if (k == "uid") {
      if (!v.is_string() || !IsValidIndexUid(v.get<std::string>())) {
        return InvalidIndexUidError(v.is_string() ? v.get<std::string>() : v.dump());
      }
      out.new_uid = v.get<std::string>();
    } else if (k == "createdAt" || k == "updatedAt") {
      return Error(k == "createdAt" ? ErrorCode::kImmutableIndexCreatedAt
                                    : ErrorCode::kImmutableIndexUpdatedAt,
                   "Immutable field `" + k + "`: expected one of `primaryKey`, `uid`");
    } else {
      return json_errors::UnknownField(ErrorCode::kBadRequest, k, "`primaryKey`, `uid`");
    }
  }
  return out;
}

}  // namespace miroir::meili
