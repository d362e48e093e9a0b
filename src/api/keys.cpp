// /keys: Miroir's own API keys. Keys live in the coordination store and are
// checked by Miroir itself; nodes only ever see Miroir's node key.
#include "common.hpp"
#include "miroir/meili/request_body.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

Result<void> RequireMasterKeyConfigured(const RequestContext& ctx) {
  if (ctx.services.auth.enabled()) return {};
  return Error(ErrorCode::kMissingMasterKey,
               "Meilisearch is running without a master key. To access this API endpoint, you "
               "must have set a master key at launch.");
}

const ApiKey* FindKey(const std::vector<ApiKey>& keys, std::string_view uid_or_key) {
  for (const auto& k : keys) {
    if (k.uid == uid_or_key || k.key == uid_or_key) return &k;
  }
  return nullptr;
}

Error KeyNotFound(std::string_view uid_or_key) {
  return Error(ErrorCode::kApiKeyNotFound, "API key `" + std::string(uid_or_key) + "` not found.");
}

// Persists the new key list and publishes it to the authenticator.
awaitable<Result<void>> Publish(Services& services) {
  auto keys = co_await StoreListKeys(services);
  if (!keys) co_return keys.error();
  services.auth.SetKeys(std::move(*keys));
  co_return Result<void>{};
}

awaitable<http::Response> ListKeys(RequestContext& ctx) {
  if (auto ok = RequireMasterKeyConfigured(ctx); !ok) co_return ErrorResponse(ok.error());
  auto offset = UnsignedQueryParam(ctx, "offset", 0, ErrorCode::kInvalidApiKeyOffset);
  if (!offset) co_return ErrorResponse(offset.error());
  auto limit = UnsignedQueryParam(ctx, "limit", 20, ErrorCode::kInvalidApiKeyLimit);
  if (!limit) co_return ErrorResponse(limit.error());
  std::vector<ApiKey> keys = *ctx.services.auth.keys();
  std::stable_sort(keys.begin(), keys.end(),
                   [](const ApiKey& a, const ApiKey& b) { return a.created_at > b.created_at; });
  OJson results = OJson::array();
  for (size_t i = *offset; i < keys.size() && results.size() < *limit; ++i) {
    results.push_back(ApiKeyToJson(keys[i]));
  }
  OJson out;
  out["results"] = std::move(results);
  out["offset"] = *offset;
  out["limit"] = *limit;
  out["total"] = keys.size();
  co_return JsonResponse(200, out);
}

awaitable<http::Response> CreateKey(RequestContext& ctx) {
  if (auto ok = RequireMasterKeyConfigured(ctx); !ok) co_return ErrorResponse(ok.error());
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  auto key = ApiKeyFromCreateRequest(*body, ctx.services.auth.master_key(),
                                     NowMicros());
  if (!key) co_return ErrorResponse(key.error());
  if (FindKey(*ctx.services.auth.keys(), key->uid)) {
    co_return ErrorResponse(Error(ErrorCode::kApiKeyAlreadyExists,
                                  "`uid` field value `" + key->uid +
                                      "` is already an existing API key."));
  }
  auto put = co_await StorePutKey(ctx.services, *key);
  if (!put) co_return ErrorResponse(put.error());
  auto published = co_await Publish(ctx.services);
  if (!published) co_return ErrorResponse(published.error());
  co_return JsonResponse(201, ApiKeyToJson(*key));
}

awaitable<http::Response> GetKey(RequestContext& ctx) {
  if (auto ok = RequireMasterKeyConfigured(ctx); !ok) co_return ErrorResponse(ok.error());
  auto keys = ctx.services.auth.keys();
  const ApiKey* k = FindKey(*keys, ctx.params[0]);
  if (!k) co_return ErrorResponse(KeyNotFound(ctx.params[0]));
  co_return JsonResponse(200, ApiKeyToJson(*k));
}

awaitable<http::Response> UpdateKey(RequestContext& ctx) {
  if (auto ok = RequireMasterKeyConfigured(ctx); !ok) co_return ErrorResponse(ok.error());
  auto keys = ctx.services.auth.keys();
  const ApiKey* found = FindKey(*keys, ctx.params[0]);
  if (!found) co_return ErrorResponse(KeyNotFound(ctx.params[0]));
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  ApiKey updated = *found;
  if (auto ok = ApplyApiKeyUpdate(updated, *body, NowMicros()); !ok) {
    co_return ErrorResponse(ok.error());
  }
  auto put = co_await StorePutKey(ctx.services, updated);
  if (!put) co_return ErrorResponse(put.error());
  auto published = co_await Publish(ctx.services);
  if (!published) co_return ErrorResponse(published.error());
  co_return JsonResponse(200, ApiKeyToJson(updated));
}

awaitable<http::Response> DeleteKey(RequestContext& ctx) {
  if (auto ok = RequireMasterKeyConfigured(ctx); !ok) co_return ErrorResponse(ok.error());
  auto keys = ctx.services.auth.keys();
  const ApiKey* found = FindKey(*keys, ctx.params[0]);
  if (!found) co_return ErrorResponse(KeyNotFound(ctx.params[0]));
  auto deleted = co_await StoreDeleteKey(ctx.services, found->uid);
  if (!deleted) co_return ErrorResponse(deleted.error());
  auto published = co_await Publish(ctx.services);
  if (!published) co_return ErrorResponse(published.error());
  co_return http::Response::NoContent();
}

}  // namespace

void RegisterKeyRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/keys", Access::kAction, "keys.get", ListKeys);
  routes.Add(http::Method::kPost, "/keys", Access::kAction, "keys.create", CreateKey);
  routes.Add(http::Method::kGet, "/keys/{key}", Access::kAction, "keys.get", GetKey);
  routes.Add(http::Method::kPatch, "/keys/{key}", Access::kAction, "keys.update", UpdateKey);
  routes.Add(http::Method::kDelete, "/keys/{key}", Access::kAction, "keys.delete", DeleteKey);
}

}  // namespace miroir::api
