// /indexes/{uid}/documents: writes are split by shard and sent to the owners
// of each shard in every group; deletes by id route the same way; delete by
// filter and delete-all go to every node; reads of one document go to one
// owner, and listings fan out to a covering set (see search.cpp for merging).
#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "document_reads.hpp"
#include "hints.hpp"
#include "read_plan.hpp"
#include "index_ops.hpp"
#include "miroir/core/document_batch.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/hash.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/router.hpp"
#include "miroir/core/search_rewrite.hpp"
#include "miroir/core/time.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/request_body.hpp"
#include "resources.hpp"

namespace miroir::api {
namespace {

std::string DocumentsPath(const std::string& uid) {
  return "/indexes/" + EncodeSegment(uid) + "/documents";
}

Error TooManyDocuments(const Services& services, size_t count) {
  return Error(ErrorCode::kMiroirLimitExceeded,
               "The batch holds " + std::to_string(count) + " documents, more than the limit of " +
                   std::to_string(services.options.max_documents_per_batch) +
                   " (limits.max_documents_per_batch); nothing was written.");
}

// True when some group has a quorum of healthy owners for every shard, so a
// write can succeed at all. Checked before sending anything: a write that
// cannot meet quorum must not touch any node.
bool QuorumPossible(const SendableNodes& sendable, const Topology& topology,
                    const Placement& placement, const std::vector<uint32_t>& shards) {
  return EvaluateQuorum(topology, placement, shards, sendable).ok;
}

Error NoQuorum(const std::string& uid, size_t shards) {
  return Error(ErrorCode::kMiroirNoQuorum,
               "Not enough healthy replicas to write " + std::to_string(shards) +
                   " shard(s) of index `" + uid + "`; nothing was written.");
}

// Waits while a migration holds writes to any of `shards` (its quiesce
// phase, ARCHITECTURE §3), at most options.write_hold_timeout, and returns
// the topology to route by once none is held. Past the bound: 503
// miroir_writes_held with Retry-After, and nothing is sent.
awaitable<Result<std::shared_ptr<const Topology>>> AwaitWritable(
    Services& services, const std::string& uid, const std::vector<uint32_t>& shards) {
  const auto deadline = std::chrono::steady_clock::now() + services.options.write_hold_timeout;
  for (;;) {
    auto topology = services.cluster.topology();
    const bool held = topology->migrating() &&
                      std::any_of(shards.begin(), shards.end(),
                                  [&](uint32_t s) { return topology->IsHeld(uid, s); });
    if (!held) co_return topology;
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return Error(ErrorCode::kMiroirWritesHeld,
                      "Writes to index `" + uid +
                          "` are held while its shards move to new nodes; retry in a moment.");
    }
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(executor, std::chrono::milliseconds(5));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

// What a write to some shards sent, and to whom.
struct ShardWrite {
  std::vector<NodeReply> replies;
  std::map<NodeIndex, std::vector<uint32_t>> parts;  // every owner's shards, sent or not
  std::vector<NodeIndex> unsent;  // owners that could not be sent their part
};

// Sends each owner of `shards` that can take a write its part, built by
// `build(node_shards)`. The others are not sent anything: each counts as a
// miss, and gets a hint if the write meets quorum (HintMissed).
template <class Build>
awaitable<ShardWrite> SendShardParts(Services& services, const SendableNodes& sendable,
                                     const Topology& topology, const Placement& placement,
                                     const std::vector<uint32_t>& shards, const Build& build) {
  ShardWrite write;
  for (uint32_t s : shards) {
    for (NodeIndex n : WriteTargets(topology, placement, s)) write.parts[n].push_back(s);
  }
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  for (const auto& [node, node_shards] : write.parts) {
    if (sendable(node)) {
      requests.emplace_back(node, build(node_shards));
    } else {
      write.unsent.push_back(node);
    }
  }
  write.replies = co_await SendToNodes(services, topology, std::move(requests));
  co_return write;
}

// Once the write met quorum: a hint for each owner that missed it.
template <class Build>
awaitable<void> HintMissed(Services& services, const Topology& topology,
                           const ShardWrite& write, const Build& build) {
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> missed;
  for (NodeIndex n : write.unsent) missed.emplace_back(n, build(write.parts.at(n)));
  for (const auto& r : write.replies) {
    if (MissedWrite(r)) missed.emplace_back(r.node, build(write.parts.at(r.node)));
  }
  co_await StoreHints(services, topology, std::move(missed));
}

// Quorum over the replies; on failure, a node's own 4xx error wins over
// Miroir's 503 (every replica would have said the same).
std::optional<http::Response> QuorumFailure(const Topology& topology, const Placement& placement,
                                            const std::vector<uint32_t>& shards,
                                            const std::vector<NodeReply>& replies,
                                            const std::string& uid, bool& degraded) {
  std::vector<bool> accepted(topology.nodes().size(), false);
  for (const auto& r : replies) accepted[r.node] = r.accepted();
  auto outcome =
      EvaluateQuorum(topology, placement, shards, [&](NodeIndex n) { return accepted[n]; });
  degraded = outcome.degraded;
  if (outcome.ok) return std::nullopt;
  for (const auto& r : replies) {
    if (IsNodeClientError(r.result)) return RelayNodeResponse(r.result);
  }
  return ErrorResponse(NoQuorum(uid, outcome.failed_shards.size()));
}

// Records the deletes of `by_shard` (shard -> ids) as tombstones at `at_ms`.
awaitable<Result<void>> StoreTombstones(Services& services, const std::string& uid,
                                        const std::map<uint32_t, std::vector<std::string>>& by_shard,
                                        int64_t at_ms) {
  auto call = [&uid, &by_shard, at_ms](store::Store& s) -> Result<void> {
    for (const auto& [shard, ids] : by_shard) {
      MIROIR_RETURN_IF_ERROR(s.PutTombstones(uid, shard, ids, at_ms));
    }
    return Result<void>();
  };
  co_return co_await services.store.Run(std::move(call));
}

awaitable<http::Response> AddDocuments(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  const bool replace = ctx.request.method == http::Method::kPost;
  char delimiter = ',';
  const std::string* delimiter_param = ctx.query.Get("csvDelimiter");
  if (delimiter_param) {
    if (delimiter_param->size() != 1 || static_cast<unsigned char>((*delimiter_param)[0]) > 127) {
      co_return ErrorResponse(Error(
          ErrorCode::kInvalidDocumentCsvDelimiter,
          "Invalid value in parameter `csvDelimiter`: expected a string of one character, but "
          "found the following string of " +
              std::to_string(delimiter_param->size()) + " characters: `" + *delimiter_param +
              "`"));
    }
    delimiter = (*delimiter_param)[0];
  }
  std::optional<std::string_view> content_type;
  if (ctx.request.headers.Has("content-type")) content_type = ctx.request.headers.Get("content-type");
  auto format = PayloadFormatFromContentType(content_type, delimiter_param != nullptr);
  if (!format) co_return ErrorResponse(format.error());

  auto topology = ctx.services.cluster.topology();
  auto existing = ctx.services.catalog.Get(uid);
  const uint32_t shard_count =
      existing ? existing->shard_count : ctx.services.options.default_shards;
  std::optional<std::string> primary_key;
  if (const std::string* pk = ctx.query.Get("primaryKey")) primary_key = *pk;
  OJson details{{"receivedDocuments", 0}, {"indexedDocuments", nullptr}};

  if (existing && existing->primary_key && primary_key && *primary_key != *existing->primary_key) {
    co_return co_await RecordFailedTask(
        ctx.services, uid, "documentAdditionOrUpdate", details,
        Error(ErrorCode::kIndexPrimaryKeyAlreadyExists,
              "Index `" + uid + "`: Index already has a primary key: `" +
                  *existing->primary_key + "`."));
  }
  if (!primary_key && existing) primary_key = existing->primary_key;

  StampOptions stamp;
  stamp.anti_entropy = ctx.services.options.anti_entropy;
  stamp.updated_at_ms = NowUnixMillis();
  auto sharded = ShardDocuments(ctx.request.body, *format, delimiter, primary_key, shard_count,
                                stamp);
  if (!sharded) co_return ErrorResponse(sharded.error());
  if (sharded->document_count() > ctx.services.options.max_documents_per_batch) {
    co_return ErrorResponse(TooManyDocuments(ctx.services, sharded->document_count()));
  }
  details["receivedDocuments"] = sharded->document_count();
  if (sharded->task_error()) {
    co_return co_await RecordFailedTask(ctx.services, uid, "documentAdditionOrUpdate", details,
                                        *sharded->task_error());
  }

  const std::vector<uint32_t> shards = sharded->shards();
  auto writable = co_await AwaitWritable(ctx.services, uid, shards);
  if (!writable) co_return ErrorResponse(writable.error());
  topology = std::move(*writable);
  auto placement = topology->PlacementFor(uid, shard_count);
  auto sendable = co_await SendableNodes::Read(ctx.services, *topology);
  if (!sendable) co_return ErrorResponse(sendable.error());
  if (!QuorumPossible(*sendable, *topology, *placement, shards)) {
    co_return ErrorResponse(NoQuorum(uid, shards.size()));
  }
  auto ensured = co_await EnsureIndex(ctx.services, *topology, uid);
  if (!ensured) co_return ErrorResponse(ensured.error());
  if (!ensured->record.primary_key && !sharded->primary_key().empty()) {
    store::IndexRecord record = ensured->record;
    record.primary_key = sharded->primary_key();
    if (auto saved = co_await SaveIndex(ctx.services, record); !saved) {
      co_return ErrorResponse(saved.error());
    }
  }

  std::string target = DocumentsPath(uid) + "?primaryKey=" + EncodeSegment(sharded->primary_key());
  if (*format == PayloadFormat::kCsv && delimiter != ',') {
    target += "&csvDelimiter=" + EncodeSegment(std::string(1, delimiter));
  }
  const std::string content(PayloadContentType(*format));
  auto build = [&](const std::vector<uint32_t>& node_shards) {
    return MakeRequest(replace ? http::Method::kPost : http::Method::kPut, target,
                       sharded->BuildBody(node_shards), ctx.services.options.write_timeout,
                       content);
  };
  // Held until the hints are stored (hints.hpp).
  auto in_flight = ctx.services.cluster.TrackWrite(topology->epoch());
  ShardWrite write =
      co_await SendShardParts(ctx.services, *sendable, *topology, *placement, shards, build);
  bool degraded = ensured->degraded;
  bool write_degraded = false;
  if (auto failure =
          QuorumFailure(*topology, *placement, shards, write.replies, uid, write_degraded)) {
    co_return *failure;
  }
  co_await HintMissed(ctx.services, *topology, write, build);
  auto tasks = NodeTasks(*topology, ensured->replies);
  for (auto& t : NodeTasks(*topology, write.replies)) tasks.push_back(t);
  co_return co_await AcceptTask(ctx.services, uid, "documentAdditionOrUpdate", details, tasks,
                                degraded || write_degraded);
}

awaitable<http::Response> DeleteBatch(RequestContext& ctx, const json& ids, size_t provided) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  if (provided > ctx.services.options.max_documents_per_batch) {
    co_return ErrorResponse(TooManyDocuments(ctx.services, provided));
  }
  OJson details{{"providedIds", provided}, {"deletedDocuments", nullptr},
                {"originalFilter", nullptr}};
  auto record = ctx.services.catalog.Get(uid);
  if (!record) {
    co_return co_await RecordFailedTask(ctx.services, uid, "documentDeletion", details,
                                        meili::IndexNotFoundError(uid));
  }
  auto by_shard = ShardIds(ids, record->shard_count);
  if (!by_shard) co_return ErrorResponse(by_shard.error());
  std::vector<uint32_t> shards;
  for (const auto& [s, list] : *by_shard) shards.push_back(s);
  auto writable = co_await AwaitWritable(ctx.services, uid, shards);
  if (!writable) co_return ErrorResponse(writable.error());
  auto topology = std::move(*writable);
  auto placement = topology->PlacementFor(uid, record->shard_count);
  auto sendable = co_await SendableNodes::Read(ctx.services, *topology);
  if (!sendable) co_return ErrorResponse(sendable.error());
  if (!QuorumPossible(*sendable, *topology, *placement, shards)) {
    co_return ErrorResponse(NoQuorum(uid, shards.size()));
  }
  if (ctx.services.options.anti_entropy) {
    // Tombstones first: a replica that misses the delete must not be able
    // to bring the document back before they exist.
    auto recorded = co_await StoreTombstones(ctx.services, uid, *by_shard, NowUnixMillis());
    if (!recorded) co_return ErrorResponse(recorded.error());
  }
  auto build = [&](const std::vector<uint32_t>& node_shards) {
    json body = json::array();
    for (uint32_t s : node_shards) {
      for (const auto& id : by_shard->at(s)) body.push_back(id);
    }
    return MakeRequest(http::Method::kPost, DocumentsPath(uid) + "/delete-batch", body.dump(),
                       ctx.services.options.write_timeout);
  };
  auto in_flight = ctx.services.cluster.TrackWrite(topology->epoch());
  ShardWrite write =
      co_await SendShardParts(ctx.services, *sendable, *topology, *placement, shards, build);
  bool degraded = false;
  if (auto failure = QuorumFailure(*topology, *placement, shards, write.replies, uid, degraded)) {
    co_return *failure;
  }
  co_await HintMissed(ctx.services, *topology, write, build);
  co_return co_await AcceptTask(ctx.services, uid, "documentDeletion", details,
                                NodeTasks(*topology, write.replies), degraded);
}

awaitable<http::Response> DeleteDocumentsBatch(RequestContext& ctx) {
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  if (!body->is_array()) {
    co_return ErrorResponse(Error(ErrorCode::kBadRequest,
                                  "Json deserialize error: invalid type: " +
                                      std::string(body->type_name()) + ", expected a sequence"));
  }
  co_return co_await DeleteBatch(ctx, *body, body->size());
}

awaitable<http::Response> DeleteOneDocument(RequestContext& ctx) {
  json ids = json::array();
  ids.push_back(ctx.params[1]);
  co_return co_await DeleteBatch(ctx, ids, 1);
}

// Delete-all and delete-by-filter: every node, since any may hold matches.
// `filter` is the filter's JSON text, empty for delete-all: with
// anti-entropy on, a filter tombstone keeps what it deleted from coming back.
awaitable<http::Response> BroadcastDeletion(RequestContext& ctx, http::UpstreamRequest request,
                                            OJson details, std::string tombstone_filter) {
  const std::string& uid = ctx.params[0];
  auto record = ctx.services.catalog.Get(uid);
  if (!record) {
    co_return co_await RecordFailedTask(ctx.services, uid, "documentDeletion", details,
                                        meili::IndexNotFoundError(uid));
  }
  // Held shards: a deletion racing a migration's delta pass could bring
  // documents back on the new owners, so it waits like any write.
  const uint32_t shard_count = record->shard_count;
  std::vector<uint32_t> all_shards(shard_count);
  for (uint32_t s = 0; s < shard_count; ++s) all_shards[s] = s;
  auto writable = co_await AwaitWritable(ctx.services, uid, all_shards);
  if (!writable) co_return ErrorResponse(writable.error());
  auto topology = std::move(*writable);
  if (ctx.services.options.anti_entropy) {
    store::FilterTombstone tombstone{std::move(tombstone_filter), NowUnixMillis()};
    auto call = [&uid, tombstone = std::move(tombstone)](store::Store& s) {
      return s.PutFilterTombstone(uid, tombstone);
    };
    auto recorded = co_await ctx.services.store.Run(std::move(call));
    if (!recorded) co_return ErrorResponse(recorded.error());
  }
  auto sendable = co_await SendableNodes::Read(ctx.services, *topology);
  if (!sendable) co_return ErrorResponse(sendable.error());
  auto in_flight = ctx.services.cluster.TrackWrite(topology->epoch());
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> requests;
  std::vector<std::pair<NodeIndex, http::UpstreamRequest>> missed;
  for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
    if (!topology->HoldsDocuments(n)) continue;
    ((*sendable)(n) ? requests : missed).emplace_back(n, request);
  }
  auto replies = co_await SendToNodes(ctx.services, *topology, std::move(requests));
  bool degraded = false;
  if (!BroadcastReachedQuorum(*topology, replies, degraded)) {
    for (const auto& r : replies) {
      if (IsNodeClientError(r.result)) co_return RelayNodeResponse(r.result);
    }
    co_return ErrorResponse(Error(ErrorCode::kMiroirNoQuorum,
                                  "Not enough healthy nodes to delete from index `" + uid + "`."));
  }
  for (const auto& r : replies) {
    if (MissedWrite(r)) missed.emplace_back(r.node, request);
  }
  co_await StoreHints(ctx.services, *topology, std::move(missed));
  co_return co_await AcceptTask(ctx.services, uid, "documentDeletion", details,
                                NodeTasks(*topology, replies), degraded);
}

awaitable<http::Response> DeleteAllDocuments(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  OJson details;
  details["deletedDocuments"] = nullptr;
  co_return co_await BroadcastDeletion(
      ctx, MakeRequest(http::Method::kDelete, DocumentsPath(uid), "",
                       ctx.services.options.write_timeout),
      std::move(details), "");
}

awaitable<http::Response> DeleteByFilter(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  auto body = meili::ParseJsonBody(ctx.request);
  if (!body) co_return ErrorResponse(body.error());
  if (!body->is_object() || !body->contains("filter")) {
    co_return ErrorResponse(Error(ErrorCode::kMissingDocumentFilter, "Missing field `filter`"));
  }
  const json& filter = (*body)["filter"];
  auto parsed = filter::ParseJson(filter, ErrorCode::kInvalidDocumentFilter);
  if (!parsed) co_return ErrorResponse(parsed.error());
  if (!*parsed) {
    co_return ErrorResponse(
        Error(ErrorCode::kInvalidDocumentFilter, "Sending an empty filter is forbidden."));
  }
  OJson details{{"providedIds", 0}, {"deletedDocuments", nullptr},
                {"originalFilter", filter.dump()}};
  std::string node_body = body->dump();
  if (auto masked = MaskReservedNames(node_body)) {
    // The filter names a reserved field: the nodes get it masked (see
    // MaskReservedNames), so none deletes by it. Meilisearch would fail the
    // task with the filter error a documents fetch gives: ask one node for
    // that error first and fail the task without touching any document.
    node_body = std::move(*masked);
    auto masked_body = json::parse(node_body, nullptr, false);
    json probe = {{"filter", masked_body.is_object() ? masked_body["filter"] : json()},
                  {"limit", 0}};
    http::Response checked = co_await ForwardToOneNode(
        ctx.services, MakeRequest(http::Method::kPost, DocumentsPath(uid) + "/fetch",
                                  probe.dump(), ctx.services.options.search_timeout));
    auto error = json::parse(checked.body, nullptr, false);
    if (checked.status == 400 && error.is_object() &&
        error.value("code", "") == ErrorCodeName(ErrorCode::kInvalidDocumentFilter) &&
        error.contains("message") && error["message"].is_string()) {
      // Task errors name the index, as Meilisearch's do.
      Error failure(ErrorCode::kInvalidDocumentFilter,
                    "Index `" + uid + "`: " +
                        filter::UnmaskReservedNames(error["message"].get<std::string>()));
      co_return co_await RecordFailedTask(ctx.services, uid, "documentDeletion", details,
                                          failure);
    }
  }
  // The tombstone keeps the filter the nodes were sent.
  auto sent = json::parse(node_body, nullptr, false);
  std::string tombstone_filter =
      sent.is_object() && sent.contains("filter") ? sent["filter"].dump() : filter.dump();
  co_return co_await BroadcastDeletion(
      ctx, MakeRequest(http::Method::kPost, DocumentsPath(uid) + "/delete", node_body,
                       ctx.services.options.write_timeout),
      details, std::move(tombstone_filter));
}

awaitable<http::Response> GetDocument(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  const std::string& id = ctx.params[1];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  auto record = ctx.services.catalog.Get(uid);
  if (!record) co_return ErrorResponse(meili::IndexNotFoundError(uid));
  auto topology = ctx.services.cluster.topology();
  auto placement = topology->PlacementFor(uid, record->shard_count);
  const uint32_t shard = ShardOf(id, record->shard_count);
  std::string target = DocumentsPath(uid) + "/" + EncodeSegment(id);
  if (!ctx.request.query().empty()) target += "?" + std::string(ctx.request.query());
  // Try the owners, healthy first, rotating so reads spread over replicas.
  // (Owners only: a migration's other side may not have the document yet.)
  std::vector<NodeIndex> owners;
  for (size_t g = 0; g < topology->group_count(); ++g) {
    const auto& group_owners = placement->Owners(g, shard);
    owners.insert(owners.end(), group_owners.begin(), group_owners.end());
  }
  std::stable_partition(owners.begin(), owners.end(),
                        [&](NodeIndex n) { return ctx.services.cluster.IsReadable(n); });
  if (!owners.empty()) {
    auto healthy = std::count_if(owners.begin(), owners.end(),
                                 [&](NodeIndex n) { return ctx.services.cluster.IsReadable(n); });
    if (healthy > 1) {
      std::rotate(owners.begin(),
                  owners.begin() + static_cast<long>(ctx.services.cluster.NextRotation() %
                                                     static_cast<uint64_t>(healthy)),
                  owners.begin() + healthy);
    }
  }
  std::optional<http::UpstreamResult> last;
  for (NodeIndex n : owners) {
    auto result = co_await SendToNode(
        ctx.services, *topology, n,
        MakeRequest(http::Method::kGet, target, "", ctx.services.options.search_timeout));
    if (result.ok() && result.response.status == 200) {
      auto doc = OJson::parse(result.response.body, nullptr, false);
      if (doc.is_object()) {
        StripReserved(doc);
        co_return JsonResponse(200, doc);
      }
    }
    if (IsNodeClientError(result)) co_return RelayNodeResponse(result);
    last = std::move(result);
  }
  if (last) co_return ErrorResponse(NodeError(topology->node(owners.back()).id, *last));
  co_return ErrorResponse(Error(ErrorCode::kMiroirShardUnavailable,
                                "No replica of shard " + std::to_string(shard) + " is reachable."));
}

}  // namespace

void RegisterDocumentRoutes(RouteTable& routes) {
  const auto kIndex = "/indexes/{index}/documents";
  routes.Add(http::Method::kGet, kIndex, Access::kAction, "documents.get", ListDocuments);
  routes.Add(http::Method::kPost, kIndex, Access::kAction, "documents.add", AddDocuments);
  routes.Add(http::Method::kPut, kIndex, Access::kAction, "documents.add", AddDocuments);
  routes.Add(http::Method::kDelete, kIndex, Access::kAction, "documents.delete",
             DeleteAllDocuments);
  routes.Add(http::Method::kPost, "/indexes/{index}/documents/fetch", Access::kAction,
             "documents.get", FetchDocuments);
  routes.Add(http::Method::kPost, "/indexes/{index}/documents/delete-batch", Access::kAction,
             "documents.delete", DeleteDocumentsBatch);
  routes.Add(http::Method::kPost, "/indexes/{index}/documents/delete", Access::kAction,
             "documents.delete", DeleteByFilter);
  routes.Add(http::Method::kGet, "/indexes/{index}/documents/{id}", Access::kAction,
             "documents.get", GetDocument);
  routes.Add(http::Method::kDelete, "/indexes/{index}/documents/{id}", Access::kAction,
             "documents.delete", DeleteOneDocument);
}

}  // namespace miroir::api
