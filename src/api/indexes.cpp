// /indexes and /swap-indexes. Index operations go to every node of every
// group; Miroir's catalog records each index's shard count and primary key.
#include <array>
#include <charconv>
#include <set>

#include "index_ops.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/json_errors.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/request_body.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

OJson IndexView(const store::IndexRecord& r) {
  OJson j;
  j["uid"] = r.uid;
  j["createdAt"] = FormatRfc3339(r.created_at);
  j["updatedAt"] = FormatRfc3339(r.updated_at);
  j["primaryKey"] = r.primary_key ? OJson(*r.primary_key) : OJson(nullptr);
  return j;
}

awaitable<http::Response> ListIndexes(RequestContext& ctx) {
  auto offset = UnsignedQueryParam(ctx, "offset", 0, ErrorCode::kInvalidIndexOffset);
  if (!offset) co_return ErrorResponse(offset.error());
  auto limit = UnsignedQueryParam(ctx, "limit", 20, ErrorCode::kInvalidIndexLimit);
  if (!limit) co_return ErrorResponse(limit.error());
  auto all = ctx.services.catalog.List();
  OJson results = OJson::array();
  for (size_t i = *offset; i < all.size() && results.size() < *limit; ++i) {
    results.push_back(IndexView(all[i]));
  }
  OJson out;
  out["results"] = std::move(results);
  out["offset"] = *offset;
  out["limit"] = *limit;
  out["total"] = all.size();
  co_return JsonResponse(200, out);
}

awaitable<http::Response> CreateIndex(RequestContext& ctx) {
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  auto req = meili::ParseCreateIndexRequest(*body);
  if (!req) co_return ErrorResponse(req.error());
  // The key may be scoped: check it against the index being created.
  auto granted = ctx.services.auth.Authorize(ctx.request.headers.Get("authorization"),
                                             "indexes.create", req->uid);
  if (!granted) co_return ErrorResponse(granted.error());
  OJson details{{"primaryKey", req->primary_key ? OJson(*req->primary_key) : OJson(nullptr)}};
  if (auto learned = co_await LearnIndex(ctx.services, req->uid); !learned) {
    co_return ErrorResponse(learned.error());
  }
  if (ctx.services.catalog.Get(req->uid)) {
    co_return co_await RecordFailedTask(
        ctx.services, req->uid, "indexCreation", details,
        Error(ErrorCode::kIndexAlreadyExists, "Index `" + req->uid + "` already exists."));
  }
  auto topology = ctx.services.cluster.topology();
  auto created = co_await Broadcast(
      ctx.services, *topology,
      MakeRequest(http::Method::kPost, "/indexes", body->dump(),
                  ctx.services.options.write_timeout));
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, created, degraded)) {
    co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                  "Index `" + req->uid + "` could not be created on enough nodes."));
  }
  auto ensured = co_await EnsureIndex(ctx.services, *topology, req->uid);
  if (!ensured) co_return ErrorResponse(ensured.error());
  if (!ensured->created) {
    // Another instance created it between our check and our creation.
    co_return co_await RecordFailedTask(
        ctx.services, req->uid, "indexCreation", details,
        Error(ErrorCode::kIndexAlreadyExists, "Index `" + req->uid + "` already exists."));
  }
  store::IndexRecord record = ensured->record;
  record.primary_key = req->primary_key;
  if (auto saved = co_await SaveIndex(ctx.services, record); !saved) {
    co_return ErrorResponse(saved.error());
  }
  auto tasks = NodeTasks(*topology, created);
  for (auto& t : NodeTasks(*topology, ensured->replies)) tasks.push_back(t);
  co_return co_await AcceptTask(ctx.services, req->uid, "indexCreation", details, tasks,
                                degraded || ensured->degraded);
}

awaitable<http::Response> GetIndex(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  auto record = ctx.services.catalog.Get(uid);
  if (!record) co_return ErrorResponse(meili::IndexNotFoundError(uid));
  co_return JsonResponse(200, IndexView(*record));
}

awaitable<http::Response> UpdateIndex(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  auto req = meili::ParseUpdateIndexRequest(*body);
  if (!req) co_return ErrorResponse(req.error());
  if (req->new_uid) {
    co_return ErrorResponse(Error(ErrorCode::kMiroirUnsupported,
                                  "Renaming an index is not supported by Miroir yet; use "
                                  "/swap-indexes or create a new index."));
  }
  auto record = ctx.services.catalog.Get(uid);
  OJson details{{"primaryKey", req->primary_key ? OJson(*req->primary_key) : OJson(nullptr)}};
  if (!record) {
    co_return co_await RecordFailedTask(ctx.services, uid, "indexUpdate", details,
                                        meili::IndexNotFoundError(uid));
  }
  auto topology = ctx.services.cluster.topology();
  auto replies = co_await Broadcast(
      ctx.services, *topology,
      MakeRequest(http::Method::kPatch, "/indexes/" + EncodeSegment(uid), body->dump(),
                  ctx.services.options.write_timeout));
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, replies, degraded)) {
    for (const auto& r : replies) {
      if (IsNodeClientError(r.result)) co_return RelayNodeResponse(r.result);
    }
    co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                  "Index `" + uid + "` could not be updated on enough nodes."));
  }
  // The catalog takes the new primary key when the task succeeds (the nodes
  // refuse it when the index has documents): see task_refresh.cpp.
  co_return co_await AcceptTask(ctx.services, uid, "indexUpdate", details,
                                NodeTasks(*topology, replies), degraded);
}

awaitable<http::Response> DeleteIndex(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  OJson details{{"deletedDocuments", nullptr}};
  if (!ctx.services.catalog.Get(uid)) {
    co_return co_await RecordFailedTask(ctx.services, uid, "indexDeletion", details,
                                        meili::IndexNotFoundError(uid));
  }
  auto topology = ctx.services.cluster.topology();
  auto replies = co_await Broadcast(
      ctx.services, *topology,
      MakeRequest(http::Method::kDelete, "/indexes/" + EncodeSegment(uid), "",
                  ctx.services.options.write_timeout));
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, replies, degraded)) {
    co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                  "Index `" + uid + "` could not be deleted on enough nodes."));
  }
  if (auto forgotten = co_await ForgetIndex(ctx.services, uid); !forgotten) {
    co_return ErrorResponse(forgotten.error());
  }
  co_return co_await AcceptTask(ctx.services, uid, "indexDeletion", details,
                                NodeTasks(*topology, replies), degraded);
}

awaitable<http::Response> SwapIndexes(RequestContext& ctx) {
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  if (!body->is_array()) {
    co_return ErrorResponse(Error(ErrorCode::kBadRequest,
                                  "Invalid value type: expected an array, but found " +
                                      body->dump()));
  }
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> pairs;
  OJson swaps = OJson::array();
  for (size_t i = 0; i < body->size(); ++i) {
    const json& swap = (*body)[i];
    if (!swap.is_object() || !swap.contains("indexes")) {
      co_return ErrorResponse(Error(ErrorCode::kMissingSwapIndexes,
                                    "Missing field `indexes` at `[" + std::to_string(i) + "]`"));
    }
    const auto rename = swap.find("rename");
    if (rename != swap.end() && !rename->is_boolean()) {
      co_return ErrorResponse(json_errors::InvalidType(
          ErrorCode::kInvalidSwapRename, "[" + std::to_string(i) + "].rename", "a boolean", *rename));
    }
    if (rename != swap.end() && rename->get<bool>()) {
      co_return ErrorResponse(Error(ErrorCode::kMiroirUnsupported,
                                    "Swapping with `rename` is not supported by Miroir yet."));
    }
    const json& p = swap["indexes"];
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      co_return ErrorResponse(Error(ErrorCode::kInvalidSwapIndexes,
                                    "Invalid value at `[" + std::to_string(i) +
                                        "].indexes`: two indexes must be given for each swap "
                                        "operation."));
    }
    for (const auto& u : p) {
      std::string uid = u.get<std::string>();
      if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
      auto granted = ctx.services.auth.Authorize(ctx.request.headers.Get("authorization"),
                                                 "indexes.swap", uid);
      if (!granted) co_return ErrorResponse(granted.error());
      if (!seen.insert(uid).second) {
        co_return ErrorResponse(Error(ErrorCode::kInvalidSwapDuplicateIndexFound,
                                      "Indexes must be declared only once during a swap. `" + uid +
                                          "` was specified several times."));
      }
    }
    pairs.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    swaps.push_back(OJson{{"indexes", p}, {"rename", false}});
  }
  OJson details{{"swaps", swaps}};
  std::vector<std::string> missing;
  for (const auto& [a, b] : pairs) {
    const std::array<const std::string*, 2> both{&a, &b};
    for (const std::string* uid : both) {
      if (auto learned = co_await LearnIndex(ctx.services, *uid); !learned) {
        co_return ErrorResponse(learned.error());
      }
    }
    if (!ctx.services.catalog.Get(a)) missing.push_back(a);
    if (!ctx.services.catalog.Get(b)) missing.push_back(b);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "`" : ", `") + m + "`";
    std::string message = missing.size() == 1 ? "Index " : "Indexes ";
    message += list + " not found.";
    const Error error(ErrorCode::kIndexNotFound, std::move(message));
    co_return co_await RecordFailedTask(ctx.services, "", "indexSwap", details, error);
  }
  auto topology = ctx.services.cluster.topology();
  auto replies = co_await Broadcast(
      ctx.services, *topology,
      MakeRequest(http::Method::kPost, "/swap-indexes", body->dump(),
                  ctx.services.options.write_timeout));
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, replies, degraded)) {
    co_return ErrorResponse(
        Error(ErrorCode::kMiroirNoQuorum, "The swap could not be applied on enough nodes."));
  }
  // The data changes names, and with it its shard count and primary key.
  for (const auto& [a, b] : pairs) {
    auto ra = ctx.services.catalog.Get(a);
    auto rb = ctx.services.catalog.Get(b);
    std::swap(ra->shard_count, rb->shard_count);
    std::swap(ra->primary_key, rb->primary_key);
    ra->updated_at = rb->updated_at = NowMicros();
    if (auto s = co_await SaveIndex(ctx.services, *ra); !s) co_return ErrorResponse(s.error());
    if (auto s = co_await SaveIndex(ctx.services, *rb); !s) co_return ErrorResponse(s.error());
  }
  co_return co_await AcceptTask(ctx.services, std::nullopt, "indexSwap", details,
                                NodeTasks(*topology, replies), degraded);
}

}  // namespace

void RegisterIndexRoutes(RouteTable& routes) {
  routes.Add(http::Method::kGet, "/indexes", Access::kAction, "indexes.get", ListIndexes);
  // The key is checked against the uid in the body by the handler.
  routes.Add(http::Method::kPost, "/indexes", Access::kAction, "indexes.create", CreateIndex);
  routes.Add(http::Method::kGet, "/indexes/{index}", Access::kAction, "indexes.get", GetIndex);
  routes.Add(http::Method::kPatch, "/indexes/{index}", Access::kAction, "indexes.update",
             UpdateIndex);
  routes.Add(http::Method::kDelete, "/indexes/{index}", Access::kAction, "indexes.delete",
             DeleteIndex);
  routes.Add(http::Method::kPost, "/swap-indexes", Access::kAction, "indexes.swap", SwapIndexes);
}

}  // namespace miroir::api
