#include "miroir/workers/anti_entropy.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "miroir/core/document_batch.hpp"
#include "miroir/core/time.hpp"
#include "miroir/log/log.hpp"
#include "miroir/workers/worker_thread.hpp"
#include "node_calls.hpp"

namespace miroir::workers {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using json = nlohmann::json;
using antientropy::BucketDigests;
using antientropy::DocumentEvidence;
using antientropy::DocumentRepair;
using antientropy::DocumentVersion;

constexpr size_t kMaxErrorsShown = 10;
// Repairs are tagged so a change feed reading node tasks can tell them apart.
constexpr std::string_view kRepairTag = "customMetadata=miroir-repair";
constexpr const char* kUpdatedAt = "_miroir_updated_at";
constexpr const char* kDigest = "_miroir_digest";
constexpr const char* kExpiresAt = "_miroir_expires_at";

// The canonical text of a fetched document's primary key; empty when the
// document has none (it cannot be compared or repaired).
std::string PkOf(const json& doc, const std::string& pk) {
  auto it = doc.find(pk);
  if (it == doc.end() || it->is_null()) return {};
  return DeleteIdText(*it);
}

DocumentVersion VersionOf(const json& doc, std::string pk_text) {
  DocumentVersion v;
  v.pk = std::move(pk_text);
  auto at = doc.find(kUpdatedAt);
  if (at != doc.end() && at->is_number_integer()) v.updated_at_ms = at->get<int64_t>();
  auto digest = doc.find(kDigest);
  if (digest != doc.end() && digest->is_string()) v.digest = digest->get<std::string>();
  return v;
}

// One pass's counters and what its report shows.
struct Pass {
  uint64_t id = 0;
  std::string trigger;  // "schedule" or "request"
  std::optional<std::string> index_uid;
  bool repair = true;
  SystemTime started_at;
  std::optional<SystemTime> finished_at;
  std::string status = "running";
  AntiEntropyCounts counts;
  std::vector<std::string> errors;
  uint64_t error_count = 0;

  json ToJson() const {
    json j = {{"uid", id},
              {"trigger", trigger},
              {"indexUid", index_uid ? json(*index_uid) : json(nullptr)},
              {"dryRun", !repair},
              {"status", status},
              {"startedAt", FormatRfc3339(started_at)},
              {"finishedAt", finished_at ? json(FormatRfc3339(*finished_at)) : json(nullptr)},
              {"shardsScanned", counts.shards_scanned},
              {"shardsSkipped", counts.shards_skipped},
              {"documentsScanned", counts.documents_scanned},
              {"bytesRead", counts.bytes_read},
              {"mismatches", counts.mismatches},
              {"documentsRepaired", counts.documents_repaired},
              {"tombstonesApplied", counts.tombstones_applied},
              {"expiredDeleted", counts.expired_deleted},
              {"errors", errors}};
    const SystemTime end = finished_at.value_or(NowMicros());
    j["durationMs"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - started_at).count();
    return j;
  }
};

// One replica of the shard being scanned.
struct Replica {
  NodeIndex node = 0;
  std::string id;
  std::string address;
};

}  // namespace

AntiEntropyCounts& AntiEntropyCounts::operator+=(const AntiEntropyCounts& other) {
  shards_scanned += other.shards_scanned;
  shards_skipped += other.shards_skipped;
  documents_scanned += other.documents_scanned;
  bytes_read += other.bytes_read;
  mismatches += other.mismatches;
  documents_repaired += other.documents_repaired;
  tombstones_applied += other.tombstones_applied;
  expired_deleted += other.expired_deleted;
  return *this;
}

struct AntiEntropy::Impl {
  Impl(store::Store& s, meili::Cluster& c, Membership& m, AntiEntropyOptions o)
      : store(s), cluster(c), membership(m), options(std::move(o)) {}

  store::Store& store;
  meili::Cluster& cluster;
  Membership& membership;
  AntiEntropyOptions options;

  WorkerThread worker;
  const std::atomic<bool>& stopping = worker.stopping();
  NodeCalls calls{cluster, options.node_timeout, options.task_timeout, stopping};

  // Guarded by mu: the pass asked for, the pass running and the last one.
  mutable std::mutex mu;
  std::optional<Pass> requested;
  std::optional<Pass> current;
  std::optional<Pass> last;
  uint64_t next_pass_id = 1;
  AntiEntropyStats totals;

  // Touched on the worker thread only.
  std::chrono::steady_clock::time_point budget_start{};
  uint64_t budget_documents = 0;

  // --- pass bookkeeping (any thread) ---
  template <class F>
  void Update(F&& f) {
    std::lock_guard lock(mu);
    if (current) f(*current);
  }
  void RecordError(const std::string& message) {
    log::Warn("anti-entropy error").Str("error", message);
    std::lock_guard lock(mu);
    ++totals.errors;
    if (!current) return;
    ++current->error_count;
    if (current->errors.size() < kMaxErrorsShown) current->errors.push_back(message);
  }

  // Keeps the scan under max_documents_per_second, measured over the pass.
  awaitable<void> Throttle(size_t documents) {
    if (options.max_documents_per_second <= 0) co_return;
    budget_documents += documents;
    const auto allowed = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(budget_documents) /
                                      options.max_documents_per_second));
    const auto due = budget_start + allowed;
    const auto now = std::chrono::steady_clock::now();
    if (due > now) {
      co_await SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(due - now));
    }
  }

  // --- reading a replica ---
  // Pages the shard off `replica` with `fields`, calling `each(doc)` per
  // document; counts what it read.
  template <class Each>
  awaitable<Result<void>> Scan(const Replica& replica, const std::string& uid, uint32_t shard,
                               const json& fields, Each&& each) {
    size_t offset = 0;
    for (;;) {
      if (stopping.load()) co_return Error(ErrorCode::kInternal, "stopping");
      json body = {{"filter", ShardFilter(shard)},
                   {"fields", fields},
                   {"limit", options.page_size},
                   {"offset", offset}};
      uint64_t bytes = 0;
      auto page = co_await calls.FetchDocuments(replica.address, uid, body, &bytes);
      if (!page) co_return page.error();
      const json& results = (*page)["results"];
      Update([&](Pass& p) {
        p.counts.documents_scanned += results.size();
        p.counts.bytes_read += bytes;
      });
      for (const json& doc : results) each(doc);
      co_await Throttle(results.size());
      offset += results.size();
      if (results.size() < options.page_size) co_return Result<void>();
    }
  }

  // The documents among `pks` that `replica` holds and that match `filter`
  // (a Meilisearch filter, string or array; null: none), with `fields`
  // (null: whole documents).
  awaitable<Result<std::vector<json>>> FetchByIds(const Replica& replica, const std::string& uid,
                                                  const std::vector<std::string>& pks,
                                                  const json& fields, const json& filter) {
    std::vector<json> out;
    for (size_t begin = 0; begin < pks.size(); begin += options.page_size) {
      const size_t end = std::min(pks.size(), begin + options.page_size);
      json body = {{"ids", std::vector<std::string>(pks.begin() + static_cast<long>(begin),
                                                    pks.begin() + static_cast<long>(end))},
                   {"limit", end - begin}};
      if (!fields.is_null()) body["fields"] = fields;
      if (!filter.is_null()) body["filter"] = filter;
      auto page = co_await calls.FetchDocuments(replica.address, uid, body);
      if (!page) co_return page.error();
      for (json& doc : (*page)["results"]) out.push_back(std::move(doc));
    }
    co_return out;
  }

  // The versions `replica` holds of `pks`, by primary key.
  awaitable<Result<std::map<std::string, DocumentVersion>>> FetchVersions(
      const Replica& replica, const std::string& uid, const std::string& pk_field,
      const std::vector<std::string>& pks) {
    const json fields = json::array({pk_field, kUpdatedAt, kDigest});
    MIROIR_CO_ASSIGN_OR_RETURN(auto docs, co_await FetchByIds(replica, uid, pks, fields, json()));
    std::map<std::string, DocumentVersion> out;
    for (const json& doc : docs) {
      std::string id = PkOf(doc, pk_field);
      if (!id.empty()) out.emplace(id, VersionOf(doc, id));
    }
    co_return out;
  }

  // --- writing repairs ---
  awaitable<Result<void>> DeleteFrom(const Replica& replica, const std::string& uid,
                                     const std::vector<std::string>& pks) {
    if (pks.empty()) co_return Result<void>();
    co_return co_await calls.Enqueue(
        replica.address, http::Method::kPost,
        IndexPath(uid) + "/documents/delete-batch?" + std::string(kRepairTag), json(pks).dump());
  }

  // Deletes from `replica` exactly the `versions` it was seen holding: by a
  // filter on their stamps, so a newer write that reached the copy since is
  // kept (the node applies the filter in its task order). Documents without
  // stamps (written before anti-entropy was on) are deleted by id.
  awaitable<Result<void>> DeleteVersions(const Replica& replica, const std::string& uid,
                                         uint32_t shard,
                                         const std::vector<DocumentVersion>& versions) {
    auto is_hex = [](const std::string& d) {
      return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
    };
    std::vector<std::string> by_id;
    std::vector<std::string> clauses;
    for (const DocumentVersion& v : versions) {
      if (v.updated_at_ms > 0 && is_hex(v.digest)) {
        clauses.push_back("(" + std::string(kUpdatedAt) + " = " + std::to_string(v.updated_at_ms) +
                          " AND " + kDigest + " = \"" + v.digest + "\")");
      } else {
        by_id.push_back(v.pk);
      }
    }
    MIROIR_CO_RETURN_IF_ERROR(co_await DeleteFrom(replica, uid, by_id));
    constexpr size_t kClausesPerFilter = 100;
    for (size_t begin = 0; begin < clauses.size(); begin += kClausesPerFilter) {
      std::string filter = ShardFilter(shard) + " AND (";
      for (size_t i = begin; i < std::min(clauses.size(), begin + kClausesPerFilter); ++i) {
        if (i > begin) filter += " OR ";
        filter += clauses[i];
      }
      filter += ")";
      MIROIR_CO_RETURN_IF_ERROR(co_await DeleteMatching(replica, uid, filter));
    }
    co_return Result<void>();
  }

  awaitable<Result<void>> DeleteMatching(const Replica& replica, const std::string& uid,
                                         const std::string& filter) {
    json body = json::object();
    body["filter"] = filter;
    co_return co_await calls.Enqueue(replica.address, http::Method::kPost,
                                     IndexPath(uid) + "/documents/delete?" +
                                         std::string(kRepairTag),
                                     body.dump());
  }

  awaitable<Result<void>> WriteTo(const Replica& replica, const std::string& uid,
                                  const std::string& pk_field, const json& docs) {
    if (docs.empty()) co_return Result<void>();
    co_return co_await calls.Enqueue(replica.address, http::Method::kPost,
                                     IndexPath(uid) + "/documents?primaryKey=" + pk_field + "&" +
                                         std::string(kRepairTag),
                                     docs.dump());
  }

  // --- one shard ---
  // Deletes the shard's documents whose `_miroir_expires_at` has passed, on
  // every copy, by that very filter (a write since that pushed the expiry
  // back is kept). Each gets a tombstone at its expiry time, so a copy
  // restored from before cannot bring it back, while a write after it can.
  awaitable<Result<void>> Expire(const std::vector<Replica>& replicas, const std::string& uid,
                                 const std::string& pk_field, uint32_t shard, bool repair) {
    const std::string filter = ShardFilter(shard) + " AND " + kExpiresAt + " <= " +
                               std::to_string(NowUnixMillis());
    std::map<std::string, int64_t> expired;  // pk -> its expiry time
    for (const Replica& r : replicas) {
      size_t offset = 0;
      for (;;) {
        json body = {{"filter", filter},
                     {"fields", json::array({pk_field, kExpiresAt})},
                     {"limit", options.page_size},
                     {"offset", offset}};
        const std::string target = IndexPath(uid) + "/documents/fetch";
        auto page = co_await calls.Call(r.address, http::Method::kPost, target, body.dump());
        if (!page) co_return page.error();
        // 400: an index made before anti-entropy was on cannot filter on the
        // field, so none of its documents can have expired through Miroir.
        if (page->status == 400) break;
        if (page->status != 200 || !page->body.is_object() || !page->body["results"].is_array()) {
          co_return NodeCalls::Refused(r.address, target, *page);
        }
        const json& results = page->body["results"];
        for (const json& doc : results) {
          std::string id = PkOf(doc, pk_field);
          auto at = doc.find(kExpiresAt);
          if (id.empty() || at == doc.end() || !at->is_number()) continue;
          expired[id] = static_cast<int64_t>(at->get<double>());
        }
        offset += results.size();
        if (results.size() < options.page_size) break;
      }
    }
    if (expired.empty()) co_return Result<void>();
    Update([&](Pass& p) { p.counts.expired_deleted += expired.size(); });
    if (!repair) co_return Result<void>();
    std::map<int64_t, std::vector<std::string>> by_time;
    for (const auto& [id, at] : expired) by_time[at].push_back(id);
    for (const auto& [at, pks] : by_time) {
      MIROIR_CO_RETURN_IF_ERROR(store.PutTombstones(uid, shard, pks, at));
    }
    for (const Replica& r : replicas) {
      MIROIR_CO_RETURN_IF_ERROR(co_await DeleteMatching(r, uid, filter));
    }
    co_return Result<void>();
  }

  // Copies the version `source` holds now of each of `ids` to its targets.
  // A client write that reached the source and a target between the fetch
  // and the copy is overwritten on that target by the older copy — and a
  // later partial update would give both the same stamps, hiding it — so the
  // source is read again afterwards, and every document whose version moved
  // is copied again, fresh, up to kCopyRounds times (the next pass takes
  // what is left). The source itself is never written here.
  awaitable<Result<void>> CopyFromSource(const std::vector<Replica>& replicas,
                                         const std::string& uid, const std::string& pk_field,
                                         size_t source, std::vector<std::string> ids,
                                         const std::map<std::string, std::vector<size_t>>& targets) {
    constexpr int kCopyRounds = 5;
    for (int round = 0; round < kCopyRounds && !ids.empty(); ++round) {
      MIROIR_CO_ASSIGN_OR_RETURN(auto docs,
                                 co_await FetchByIds(replicas[source], uid, ids, json(), json()));
      const int64_t now = NowUnixMillis();
      std::map<std::string, DocumentVersion> copied;
      std::vector<json> batches(replicas.size(), json::array());
      for (json& doc : docs) {
        std::string id = PkOf(doc, pk_field);
        auto wanted = targets.find(id);
        if (id.empty() || wanted == targets.end()) continue;
        // Expired since the sweep: the next pass deletes it everywhere.
        auto expires = doc.find(kExpiresAt);
        if (expires != doc.end() && expires->is_number() &&
            expires->get<double>() <= static_cast<double>(now)) {
          continue;
        }
        copied.emplace(id, VersionOf(doc, id));
        for (size_t t : wanted->second) batches[t].push_back(doc);
      }
      // (A document gone from the source since the scan is not copied: the
      // next pass judges it, with its tombstone.)
      for (size_t r = 0; r < replicas.size(); ++r) {
        MIROIR_CO_RETURN_IF_ERROR(co_await WriteTo(replicas[r], uid, pk_field, batches[r]));
      }
      std::vector<std::string> check;
      for (const auto& [id, v] : copied) check.push_back(id);
      MIROIR_CO_ASSIGN_OR_RETURN(auto held_now,
                                 co_await FetchVersions(replicas[source], uid, pk_field, check));
      ids.clear();
      for (const auto& [id, v] : copied) {
        auto now_held = held_now.find(id);
        if (now_held != held_now.end() && now_held->second != v) ids.push_back(id);
      }
    }
    co_return Result<void>();
  }

  awaitable<Result<void>> ScanShard(const std::vector<Replica>& replicas,
                                    const store::IndexRecord& index, uint32_t shard,
                                    bool repair) {
    const std::string& uid = index.uid;
    const std::string pk_field = index.primary_key.value_or("");
    MIROIR_CO_RETURN_IF_ERROR(co_await Expire(replicas, uid, pk_field, shard, repair));
    if (replicas.size() < 2) co_return Result<void>();

    const json small_fields = json::array({pk_field, kUpdatedAt, kDigest});
    std::vector<BucketDigests> digests(replicas.size());
    for (size_t r = 0; r < replicas.size(); ++r) {
      auto add = [&](const json& doc) {
        std::string id = PkOf(doc, pk_field);
        if (!id.empty()) digests[r].Add(VersionOf(doc, std::move(id)));
      };
      MIROIR_CO_RETURN_IF_ERROR(co_await Scan(replicas[r], uid, shard, small_fields, add));
    }
    const std::vector<uint8_t> differing = BucketDigests::Differing(digests);
    if (differing.empty()) co_return Result<void>();

    // The versions of the differing buckets, per key, per replica.
    std::vector<bool> wanted(antientropy::kBucketCount, false);
    for (uint8_t b : differing) wanted[b] = true;
    std::map<std::string, DocumentEvidence> keys;
    for (size_t r = 0; r < replicas.size(); ++r) {
      auto keep = [&](const json& doc) {
        std::string id = PkOf(doc, pk_field);
        if (id.empty() || !wanted[antientropy::BucketOf(id)]) return;
        DocumentEvidence& e = keys[id];
        e.replicas.resize(replicas.size());
        e.replicas[r] = VersionOf(doc, std::move(id));
      };
      MIROIR_CO_RETURN_IF_ERROR(co_await Scan(replicas[r], uid, shard, small_fields, keep));
    }
    // Keys whose replicas agree after all (a write landed between scans).
    for (auto it = keys.begin(); it != keys.end();) {
      const auto& held = it->second.replicas;
      const bool agree = std::all_of(held.begin(), held.end(),
                                     [&](const auto& v) { return v && *v == *held[0]; });
      it = agree ? keys.erase(it) : std::next(it);
    }
    if (keys.empty()) co_return Result<void>();
    Update([&](Pass& p) { p.counts.mismatches += keys.size(); });

    // Deletes that may beat the versions held: tombstones by key, then
    // filter tombstones (delete by filter, delete-all) newer than a version.
    std::vector<std::string> pks;
    pks.reserve(keys.size());
    for (const auto& [id, e] : keys) pks.push_back(id);
    MIROIR_CO_ASSIGN_OR_RETURN(auto tombstones, store.FindTombstones(uid, shard, pks));
    for (const auto& [id, at] : tombstones) keys[id].deleted_at_ms = at;
    MIROIR_CO_ASSIGN_OR_RETURN(auto filter_tombstones, store.ListFilterTombstones(uid));
    for (const store::FilterTombstone& t : filter_tombstones) {
      // The keys this delete could beat, asked of each replica holding them.
      for (size_t r = 0; r < replicas.size(); ++r) {
        std::vector<std::string> candidates;
        for (const auto& [id, e] : keys) {
          const auto& v = e.replicas[r];
          if (v && v->updated_at_ms <= t.deleted_at_ms &&
              (!e.deleted_at_ms || *e.deleted_at_ms < t.deleted_at_ms)) {
            candidates.push_back(id);
          }
        }
        if (candidates.empty()) continue;
        // Empty: delete-all, which matched everything.
        const json filter = t.filter.empty() ? json() : json::parse(t.filter, nullptr, false);
        if (filter.is_discarded()) continue;
        const json pk_only = json::array({pk_field});
        auto matched = co_await FetchByIds(replicas[r], uid, candidates, pk_only, filter);
        if (!matched) {
          // The filter no longer parses on the node (its fields stopped
          // being filterable): this tombstone cannot be judged.
          RecordError(matched.error().message);
          continue;
        }
        for (const json& doc : *matched) {
          const std::string id = PkOf(doc, pk_field);
          if (keys.count(id)) keys[id].deleted_at_ms = t.deleted_at_ms;
        }
      }
    }

    // Plan, then repair: deletes first, then copies fetched fresh.
    std::vector<std::vector<DocumentVersion>> deletes(replicas.size());
    std::map<size_t, std::vector<std::string>> copies_by_source;
    std::map<std::string, std::vector<size_t>> copy_targets;
    uint64_t tombstoned = 0;
    for (const auto& [id, e] : keys) {
      DocumentRepair plan = antientropy::PlanRepair(e);
      if (plan.action == DocumentRepair::Action::kDelete) {
        for (size_t r : plan.targets) deletes[r].push_back(*e.replicas[r]);
        ++tombstoned;
      } else if (plan.action == DocumentRepair::Action::kCopy) {
        copies_by_source[plan.source].push_back(id);
        copy_targets[id] = plan.targets;
      }
    }
    Update([&](Pass& p) {
      p.counts.tombstones_applied += tombstoned;
      p.counts.documents_repaired += copy_targets.size() + tombstoned;
    });
    if (!repair) co_return Result<void>();
    for (size_t r = 0; r < replicas.size(); ++r) {
      MIROIR_CO_RETURN_IF_ERROR(co_await DeleteVersions(replicas[r], uid, shard, deletes[r]));
    }
    for (const auto& [source, ids] : copies_by_source) {
      MIROIR_CO_RETURN_IF_ERROR(
          co_await CopyFromSource(replicas, uid, pk_field, source, ids, copy_targets));
    }
    co_return Result<void>();
  }

  // The replicas of the shard that can be read now, one per node.
  std::vector<Replica> ReplicasOf(const Topology& t, const Placement& placement,
                                  uint32_t shard) {
    std::vector<Replica> out;
    for (size_t g = 0; g < t.group_count(); ++g) {
      for (NodeIndex n : placement.Owners(g, shard)) {
        if (std::any_of(out.begin(), out.end(), [&](const Replica& r) { return r.node == n; })) {
          continue;
        }
        out.push_back({n, t.node(n).id, t.node(n).address});
      }
    }
    return out;
  }

  // --- one pass ---
  awaitable<void> RunPass() {
    budget_start = std::chrono::steady_clock::now();
    budget_documents = 0;
    bool repair = true;
    std::optional<std::string> only;
    bool scheduled = true;
    {
      std::lock_guard lock(mu);
      repair = current->repair;
      only = current->index_uid;
      scheduled = current->trigger == "schedule";
    }
    log::Info("anti-entropy pass started")
        .Str("index", only.value_or("*"))
        .Bool("repair", repair);
    auto pruned = store.PruneTombstones(NowUnixMillis() - options.tombstone_retention.count());
    if (!pruned) RecordError(pruned.error().message);

    std::vector<store::IndexRecord> indexes;
    if (only) {
      auto found = store.GetIndex(*only);
      if (!found) {
        RecordError(found.error().message);
      } else if (*found) {
        indexes.push_back(std::move(**found));
      } else {
        RecordError("index `" + *only + "` not found");
      }
    } else {
      auto listed = store.ListIndexes();
      if (!listed) {
        RecordError(listed.error().message);
      } else {
        indexes = std::move(*listed);
      }
    }

    struct Job {
      const store::IndexRecord* index;
      uint32_t shard;
    };
    std::vector<Job> jobs;
    for (const auto& index : indexes) {
      if (!index.primary_key) continue;  // no document written yet
      for (uint32_t s = 0; s < index.shard_count; ++s) {
        if (scheduled && options.shared &&
            !membership.Owns("antientropy/" + index.uid + "/" + std::to_string(s))) {
          continue;
        }
        jobs.push_back({&index, s});
      }
    }
    std::function<awaitable<bool>(size_t)> scan = [&](size_t i) -> awaitable<bool> {
      if (stopping.load()) co_return false;
      co_await ScanOne(*jobs[i].index, jobs[i].shard, repair);
      co_return !stopping.load();
    };
    co_await ForEachBounded(jobs.size(), options.read_concurrency, std::move(scan));
  }

  awaitable<void> ScanOne(const store::IndexRecord& index, uint32_t shard, bool repair) {
    auto topology = cluster.topology();
    // A change moving shards has its own delta pass; and its owners are
    // in flux, so a copy could land on a node that is about to drop it.
    if (topology->migrating()) {
      Update([](Pass& p) { ++p.counts.shards_skipped; });
      co_return;
    }
    auto placement = topology->PlacementFor(index.uid, index.shard_count);
    std::vector<Replica> replicas = ReplicasOf(*topology, *placement, shard);
    const bool all_readable = std::all_of(replicas.begin(), replicas.end(), [&](const Replica& r) {
      return cluster.IsReadable(r.node);
    });
    if (replicas.empty() || !all_readable) {
      Update([](Pass& p) { ++p.counts.shards_skipped; });
      co_return;
    }
    auto done = co_await ScanShard(replicas, index, shard, repair);
    if (!done) {
      RecordError("index `" + index.uid + "` shard " + std::to_string(shard) + ": " +
                  done.error().message);
      Update([](Pass& p) { ++p.counts.shards_skipped; });
      co_return;
    }
    Update([](Pass& p) { ++p.counts.shards_scanned; });
  }

  void FinishPass() {
    std::lock_guard lock(mu);
    Pass& p = *current;
    p.finished_at = NowMicros();
    p.status = stopping.load() ? "canceled" : (p.error_count > 0 ? "failed" : "succeeded");
    ++totals.passes;
    AntiEntropyCounts done = p.counts;
    if (!p.repair) done.documents_repaired = done.tombstones_applied = done.expired_deleted = 0;
    totals.counts += done;
    totals.mismatch_streak = p.counts.mismatches > 0 ? totals.mismatch_streak + 1 : 0;
    totals.last_pass_seconds =
        std::chrono::duration<double>(*p.finished_at - p.started_at).count();
    totals.last_pass_finished_unix_ms = NowUnixMillis();
    totals.running = false;
    log::Info("anti-entropy pass finished")
        .Uint("shards_scanned", p.counts.shards_scanned)
        .Uint("mismatches", p.counts.mismatches)
        .Uint("repaired", p.counts.documents_repaired)
        .Uint("errors", p.error_count);
    last = std::move(p);
    current.reset();
  }

  Pass NewPass(std::string trigger, std::optional<std::string> index_uid, bool repair) {
    Pass p;
    p.id = next_pass_id++;
    p.trigger = std::move(trigger);
    p.index_uid = std::move(index_uid);
    p.repair = repair;
    p.started_at = NowMicros();
    return p;
  }

  // The next scheduled start after `now`, as a steady-clock time.
  std::chrono::steady_clock::time_point NextScheduled() const {
    const int64_t period = options.schedule.count();
    const int64_t now = NowUnixMillis();
    const int64_t next = (now / period + 1) * period;
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(next - now);
  }

  awaitable<void> Loop() {
    const bool scheduled = options.schedule.count() > 0;
    auto due = scheduled ? NextScheduled() : std::chrono::steady_clock::time_point::max();
    while (!stopping.load()) {
      bool start = false;
      {
        std::lock_guard lock(mu);
        if (requested) {
          current = std::move(requested);
          requested.reset();
          current->started_at = NowMicros();
          start = true;
        } else if (std::chrono::steady_clock::now() >= due) {
          current = NewPass("schedule", std::nullopt, !options.dry_run);
          start = true;
        }
        if (start) totals.running = true;
      }
      if (!start) {
        co_await SleepFor(std::chrono::milliseconds(50));
        continue;
      }
      co_await RunPass();
      FinishPass();
      if (scheduled && std::chrono::steady_clock::now() >= due) due = NextScheduled();
    }
  }
};

AntiEntropy::AntiEntropy(store::Store& store, meili::Cluster& cluster, Membership& membership,
                         AntiEntropyOptions options)
    : impl_(std::make_unique<Impl>(store, cluster, membership, std::move(options))) {}

AntiEntropy::~AntiEntropy() { Stop(); }

void AntiEntropy::Start() {
  Impl* impl = impl_.get();
  impl->worker.Start(
      [impl](asio::io_context& io) { asio::co_spawn(io, impl->Loop(), asio::detached); });
}

void AntiEntropy::Stop() {
  Impl* impl = impl_.get();
  // Scans end at their next page; a pass still running after the grace
  // period is cut off with the context and reported canceled.
  auto pass_ended = [impl] {
    std::lock_guard lock(impl->mu);
    return !impl->current;
  };
  if (!impl->worker.Stop(pass_ended)) return;
  std::lock_guard lock(impl_->mu);
  if (impl_->current) {
    impl_->current->status = "canceled";
    impl_->current->finished_at = NowMicros();
    impl_->last = std::move(impl_->current);
    impl_->current.reset();
    impl_->totals.running = false;
  }
}

Result<nlohmann::json> AntiEntropy::Verify(const std::optional<std::string>& index_uid,
                                           bool repair) {
  if (index_uid) {
    MIROIR_ASSIGN_OR_RETURN(auto index, impl_->store.GetIndex(*index_uid));
    if (!index) return Error(ErrorCode::kIndexNotFound, "Index `" + *index_uid + "` not found.");
  }
  std::lock_guard lock(impl_->mu);
  if (impl_->current || impl_->requested) {
    return Error(ErrorCode::kMiroirVerifyInProgress,
                 "An anti-entropy pass is already running on this instance; wait for it to "
                 "finish (GET /_miroir/verify).");
  }
  impl_->requested = impl_->NewPass("request", index_uid, repair);
  impl_->requested->status = "enqueued";
  return impl_->requested->ToJson();
}

Result<nlohmann::json> AntiEntropy::Status() {
  std::lock_guard lock(impl_->mu);
  json out = {{"current", nullptr}, {"last", nullptr}};
  if (impl_->current) {
    out["current"] = impl_->current->ToJson();
  } else if (impl_->requested) {
    out["current"] = impl_->requested->ToJson();
  }
  if (impl_->last) out["last"] = impl_->last->ToJson();
  return out;
}

AntiEntropyStats AntiEntropy::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->totals;
}

}  // namespace miroir::workers
