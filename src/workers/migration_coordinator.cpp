#include "miroir/workers/migration_coordinator.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "miroir/core/hash.hpp"
#include "miroir/core/time.hpp"
#include "miroir/core/topology_json.hpp"
#include "miroir/log/log.hpp"
#include "miroir/workers/worker_thread.hpp"
#include "node_calls.hpp"

namespace miroir::workers {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

constexpr const char* kScope = "migration";
constexpr size_t kMaxErrorsShown = 10;
// What a step returns when the operator paused or cancelled it: not an error.
constexpr std::string_view kInterrupted = "interrupted: the migration was paused or cancelled";

std::string NodeIds(const Topology& t, const std::vector<NodeIndex>& nodes) {
  std::string out;
  for (NodeIndex n : nodes) {
    if (!out.empty()) out += ",";
    out += t.node(n).id;
  }
  return out;
}

}  // namespace

struct MigrationCoordinator::Impl {
  Impl(store::Store& s, store::Coordination& c, meili::Cluster& cl, Membership& m,
       MigrationOptions o)
      : store(s), coordination(c), cluster(cl), membership(m), options(std::move(o)) {}

  store::Store& store;
  store::Coordination& coordination;
  meili::Cluster& cluster;
  Membership& membership;
  MigrationOptions options;

  WorkerThread worker;
  const std::atomic<bool>& stopping = worker.stopping();
  NodeCalls calls{cluster, options.node_timeout, options.task_timeout, stopping};
  std::atomic<bool> wake{false};
  std::atomic<uint64_t> steps{0};
  std::atomic<bool> leading_now{false};
  std::atomic<uint64_t> documents_copied{0};
  std::atomic<uint64_t> error_count{0};
  std::atomic<uint64_t> fenced_refused{0};
  std::atomic<int64_t> last_progress_ms{0};
  // What stats() reports of the change being led: indexes per phase and
  // when it began. Written on the coordinator's thread, read by scrapes.
  mutable std::mutex phases_mu;
  std::map<std::string, uint64_t> indexes_by_phase;
  int64_t started_unix_ms = 0;

  void Progressed() {
    last_progress_ms.store(NowUnixMillis());
  }
  std::atomic<int> loops_running{0};

  // Touched on the io thread only.
  std::optional<store::Lease> lease;
  json progress;  // what GET /_miroir/migrations shows (see Status)
  bool progress_dirty = false;
  Clock::time_point copy_started{};
  uint64_t copied_since_start = 0;

  // --- store (blocking) ---
  struct Loaded {
    uint64_t epoch = 0;
    TopologySpec spec;
  };
  Result<Loaded> Load() {
    MIROIR_ASSIGN_OR_RETURN(auto record, store.LoadTopology());
    if (!record) return Error(ErrorCode::kInternal, "no topology stored");
    MIROIR_ASSIGN_OR_RETURN(TopologySpec spec, TopologySpecFromJson(record->spec));
    return Loaded{record->epoch, std::move(spec)};
  }

  // Applies `change` to the stored topology in a new epoch (CAS, retried on
  // a concurrent change) and routes by it here. `change` returns false to
  // give up (the state it expected is gone). Leader-only when `leader`.
  template <class Change>
  Result<std::optional<TopologySpec>> Publish(Change&& change, bool leader) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      MIROIR_ASSIGN_OR_RETURN(Loaded loaded, Load());
      if (leader) {
        if (!lease) return Error(ErrorCode::kInternal, "lost the migration lease");
        MIROIR_ASSIGN_OR_RETURN(bool still, coordination.RenewLease(*lease, options.lease_ttl));
        if (!still) {
          LostLease(false);
          return Error(ErrorCode::kInternal, "lost the migration lease");
        }
      }
      TopologySpec spec = loaded.spec;
      MIROIR_ASSIGN_OR_RETURN(bool apply, change(spec));
      if (!apply) return std::optional<TopologySpec>();
      spec.epoch = loaded.epoch + 1;
      MIROIR_ASSIGN_OR_RETURN(auto topology, Topology::Create(spec));
      store::TopologyRecord record{spec.epoch, TopologySpecToJson(spec)};
      MIROIR_ASSIGN_OR_RETURN(bool stored, store.CompareAndSetTopology(loaded.epoch, record));
      if (!stored) continue;
      cluster.SetTopology(topology);
      membership.BeatSoon();
      return std::optional<TopologySpec>(std::move(spec));
    }
    return Error(ErrorCode::kInternal, "the topology kept changing; try again");
  }

  // --- sleeping, leadership ---
  awaitable<void> Sleep(std::chrono::milliseconds d) {
    const auto until = Clock::now() + d;
    while (!stopping.load() && !wake.load() && Clock::now() < until) {
      co_await SleepFor(std::chrono::milliseconds(20));
    }
    wake.store(false);
  }

  bool Leading() const { return lease.has_value() && !stopping.load(); }

  Result<bool> HoldLease() {
    if (lease) return true;  // renewed by KeepLease and by every Publish
    MIROIR_ASSIGN_OR_RETURN(auto got, coordination.AcquireLease(kScope, membership.self().id,
                                                                 options.lease_ttl));
    if (!got) return false;
    lease = *got;
    leading_now.store(true);
    Progressed();  // a new leader starts the stall clock afresh
    log::Info("migration leader").Uint("fencing_token", lease->token);
    return true;
  }

  void DropLease() {
    leading_now.store(false);
    if (!lease) return;
    (void)coordination.ReleaseLease(*lease);
    lease.reset();
  }

  // The lease went to another instance (expired, or a fenced write refused).
  void LostLease(bool fenced) {
    lease.reset();
    leading_now.store(false);
    if (fenced) fenced_refused.fetch_add(1);
  }

  // Renews the lease and publishes progress while leading.
  awaitable<void> KeepLease() {
    while (!stopping.load()) {
      if (lease) {
        auto renewed = coordination.RenewLease(*lease, options.lease_ttl);
        if (renewed && !*renewed) {
          log::Warn("migration lease lost to another instance");
          LostLease(false);
        }
        FlushProgress();
      }
      co_await SleepFor(options.lease_ttl / 4);
    }
    --loops_running;
  }

  // --- progress ---
  void ResetProgressFor(uint64_t id) {
    if (progress.is_object() && progress.value("id", uint64_t{0}) == id) return;
    auto stored = coordination.FencedGet(kScope, "progress");
    if (stored && *stored) {
      json p = json::parse(**stored, nullptr, false);
      if (p.is_object() && p.value("id", uint64_t{0}) == id) {
        progress = std::move(p);
        PublishPhases();
        return;
      }
    }
    progress = json{{"id", id},
                    {"startedAt", FormatRfc3339(NowMicros())},
                    {"indexes", json::object()},
                    {"errors", json::array()}};
    progress_dirty = true;
    PublishPhases();
  }

  // Copies the phases of `progress` for stats(); none once it is cleared.
  void PublishPhases() {
    std::map<std::string, uint64_t> by_phase;
    int64_t started = 0;
    if (progress.is_object()) {
      if (progress.contains("indexes") && progress["indexes"].is_object()) {
        for (const auto& [uid, index] : progress["indexes"].items()) {
          if (index.is_object() && index.contains("phase") && index["phase"].is_string()) {
            ++by_phase[index["phase"].get<std::string>()];
          }
        }
      }
      if (progress.contains("startedAt") && progress["startedAt"].is_string()) {
        if (auto t = ParseRfc3339(progress["startedAt"].get<std::string>())) {
          started = std::chrono::duration_cast<std::chrono::milliseconds>(
                        t->time_since_epoch())
                        .count();
        }
      }
    }
    std::lock_guard lock(phases_mu);
    indexes_by_phase = std::move(by_phase);
    started_unix_ms = started;
  }

  json& IndexProgress(const std::string& uid) { return progress["indexes"][uid]; }

  void SetPhase(const std::string& uid, const std::string& phase) {
    json& entry = IndexProgress(uid);
    if (entry.contains("phase") && entry["phase"] == phase) return;
    entry["phase"] = phase;
    progress_dirty = true;
    PublishPhases();
    Progressed();
    FlushProgress();  // phases are what operators (and the chaos harness) watch
    log::Info("migration phase").Str("index", uid).Str("phase", phase);
  }

  void RecordError(const std::string& message) {
    error_count.fetch_add(1);
    if (!progress.is_object()) return;
    json& errors = progress["errors"];
    errors.push_back(json{{"at", FormatRfc3339(NowMicros())}, {"message", message}});
    while (errors.size() > kMaxErrorsShown) errors.erase(errors.begin());
    progress_dirty = true;
    log::Warn("migration step failed").Str("error", message);
  }

  void FlushProgress() {
    if (!lease || !progress_dirty || !progress.is_object()) return;
    if (copy_started != Clock::time_point{}) {
      const double seconds = std::chrono::duration<double>(Clock::now() - copy_started).count();
      if (seconds > 0) {
        progress["documentsPerSecond"] = static_cast<double>(copied_since_start) / seconds;
      }
    }
    auto ok = coordination.FencedPut(kScope, lease->token, "progress", progress.dump());
    if (ok && !*ok) {
      log::Warn("migration progress write refused: a newer coordinator exists");
      LostLease(true);
      return;
    }
    if (ok) progress_dirty = false;
  }

  // One page of a shard's documents: {"results": [...], "total": n}.
  awaitable<Result<json>> FetchPage(const std::string& address, const std::string& uid,
                                    uint32_t shard, size_t offset) {
    json body = {{"filter", ShardFilter(shard)}, {"limit", options.page_size}, {"offset", offset}};
    co_return co_await calls.FetchDocuments(address, uid, body);
  }

  // The healthy addresses of `nodes`, healthy first.
  std::vector<std::string> Sources(const Topology& t, const std::vector<NodeIndex>& nodes) {
    std::vector<std::string> healthy, other;
    for (NodeIndex n : nodes) {
      (cluster.IsHealthy(n) ? healthy : other).push_back(t.node(n).address);
    }
    healthy.insert(healthy.end(), other.begin(), other.end());
    std::vector<std::string> unique;
    for (auto& a : healthy) {
      if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
    }
    return unique;
  }

  // Every document of `shard` on `address`: primary key (as JSON text) -> digest.
  awaitable<Result<std::unordered_map<std::string, uint64_t>>> Digests(
      const std::string& address, const std::string& uid, const std::string& pk,
      uint32_t shard) {
    std::unordered_map<std::string, uint64_t> out;
    size_t offset = 0;
    for (;;) {
      auto page = co_await FetchPage(address, uid, shard, offset);
      if (!page) co_return page.error();
      const json& results = (*page)["results"];
      for (const json& doc : results) {
        auto id = doc.find(pk);
        if (id == doc.end()) continue;
        out[id->dump()] = Xxh64(doc.dump());
      }
      offset += results.size();
      if (results.size() < options.page_size) break;
    }
    co_return out;
  }

  void CountCopied(const std::string& uid, uint32_t shard, size_t n) {
    json& index = IndexProgress(uid);
    index["documentsCopied"] = index.value("documentsCopied", uint64_t{0}) + n;
    json& s = index["shards"][std::to_string(shard)];
    s["documentsCopied"] = s.value("documentsCopied", uint64_t{0}) + n;
    copied_since_start += n;
    documents_copied.fetch_add(n);
    progress_dirty = true;
    Progressed();
  }

  awaitable<void> Throttle(size_t documents) {
    if (options.max_documents_per_second <= 0) co_return;
    auto pause = std::chrono::milliseconds(
        static_cast<int64_t>(1000.0 * static_cast<double>(documents) /
                             options.max_documents_per_second));
    co_await SleepFor(pause);
  }

  // Writes `docs` (a JSON array) to `address` and waits for the task.
  awaitable<Result<void>> WriteDocuments(const std::string& address, const std::string& uid,
                                         const std::string& pk, const json& docs) {
    const std::string target = IndexPath(uid) + "/documents?primaryKey=" + pk;
    co_return co_await calls.Enqueue(address, http::Method::kPost, target, docs.dump());
  }

  // Copies one shard onto `dest` from the first source that answers.
  awaitable<Result<void>> CopyShard(const Topology& t, const store::IndexRecord& index,
                                    const ShardMove& move, NodeIndex dest) {
    const std::string pk = index.primary_key.value_or("");
    const std::string& to = t.node(dest).address;
    std::vector<std::string> sources = Sources(t, move.from);
    json& sp = IndexProgress(index.uid)["shards"][std::to_string(move.shard)];
    sp["phase"] = "copy";
    sp["from"] = NodeIds(t, move.from);
    sp["to"] = NodeIds(t, move.to);
    size_t offset = 0;
    size_t source = 0;
    while (Leading()) {
      MIROIR_CO_ASSIGN_OR_RETURN(bool interrupted, Interrupted());
      if (interrupted) co_return InterruptedError();
      if (source >= sources.size()) {
        co_return Error(ErrorCode::kMiroirNodeError,
                        "shard " + std::to_string(move.shard) + " of `" + index.uid +
                            "`: no old owner answered");
      }
      auto page = co_await FetchPage(sources[source], index.uid, move.shard, offset);
      if (!page) {
        RecordError(page.error().message);
        ++source;  // another replica
        continue;
      }
      const json& results = (*page)["results"];
      // Per destination, as documentsCopied counts.
      sp["documentsTotal"] = (*page).value("total", uint64_t{0}) * move.to.size();
      if (!results.empty()) {
        auto written = co_await WriteDocuments(to, index.uid, pk, results);
        if (!written) co_return written.error();
        CountCopied(index.uid, move.shard, results.size());
        co_await Throttle(results.size());
      }
      offset += results.size();
      if (results.size() < options.page_size) co_return Result<void>();
    }
    co_return Error(ErrorCode::kInternal, "stopped");
  }

  // Makes `dest` hold the index as its old owners do: created with the same
  // primary key, with the same settings.
  awaitable<Result<void>> PrepareIndex(const Topology& t, const store::IndexRecord& index,
                                       const std::vector<NodeIndex>& from, NodeIndex dest) {
    const std::string& to = t.node(dest).address;
    const std::string path = IndexPath(index.uid);
    auto exists = co_await calls.Call(to, http::Method::kGet, path, "");
    if (!exists) co_return exists.error();
    if (exists->status == 404) {
      json body = {{"uid", index.uid}};
      body["primaryKey"] = index.primary_key ? json(*index.primary_key) : json(nullptr);
      auto created = co_await calls.Enqueue(to, http::Method::kPost, "/indexes", body.dump());
      if (!created) co_return created.error();
    } else if (exists->status != 200) {
      co_return NodeCalls::Refused(to, path, *exists);
    }
    for (const std::string& source : Sources(t, from)) {
      auto settings = co_await calls.Call(source, http::Method::kGet, path + "/settings", "");
      if (!settings || settings->status != 200) continue;
      co_return co_await calls.Enqueue(to, http::Method::kPatch, path + "/settings",
                                 settings->body.dump());
    }
    co_return Error(ErrorCode::kMiroirNodeError,
                    "index `" + index.uid + "`: no old owner answered its settings");
  }

  // Makes `dest`'s copy of the shard equal to a source's: documents
  // missing or different are copied, documents the source lacks deleted.
  // The source is an old owner in `readable` (the drained ones), or any
  // old owner when it is null.
  awaitable<Result<size_t>> DeltaShard(const Topology& t, const store::IndexRecord& index,
                                       const ShardMove& move, NodeIndex dest,
                                       const std::set<NodeIndex>* readable) {
    const std::string pk = index.primary_key.value_or("");
    const std::string& to = t.node(dest).address;
    Result<std::unordered_map<std::string, uint64_t>> want =
        Error(ErrorCode::kMiroirNodeError, "no old owner");
    std::string source;
    std::vector<NodeIndex> from;
    for (NodeIndex n : move.from) {
      if (!readable || readable->count(n)) from.push_back(n);
    }
    for (const std::string& candidate : Sources(t, from)) {
      want = co_await Digests(candidate, index.uid, pk, move.shard);
      if (want) {
        source = candidate;
        break;
      }
      RecordError(want.error().message);
    }
    if (!want) co_return want.error();
    auto have = co_await Digests(to, index.uid, pk, move.shard);
    if (!have) co_return have.error();
    std::unordered_set<std::string> copy;
    for (const auto& [id, digest] : *want) {
      auto it = have->find(id);
      if (it == have->end() || it->second != digest) copy.insert(id);
    }
    json extra = json::array();
    for (const auto& [id, digest] : *have) {
      if (!want->count(id)) extra.push_back(json::parse(id));
    }
    size_t changed = copy.size() + extra.size();
    if (!extra.empty()) {
      const std::string target = IndexPath(index.uid) + "/documents/delete-batch";
      auto deleted = co_await calls.Enqueue(to, http::Method::kPost, target, extra.dump());
      if (!deleted) co_return deleted.error();
    }
    size_t offset = 0;
    while (!copy.empty()) {
      auto page = co_await FetchPage(source, index.uid, move.shard, offset);
      if (!page) co_return page.error();
      const json& results = (*page)["results"];
      json batch = json::array();
      for (const json& doc : results) {
        auto id = doc.find(pk);
        if (id != doc.end() && copy.erase(id->dump()) > 0) batch.push_back(doc);
      }
      if (!batch.empty()) {
        auto written = co_await WriteDocuments(to, index.uid, pk, batch);
        if (!written) co_return written.error();
      }
      offset += results.size();
      if (results.size() < options.page_size) break;
    }
    co_return changed;
  }

  // Runs `work(move, dest)` over every (move, destination), at most
  // options.max_concurrent at once; the first error wins.
  template <class Work>
  awaitable<Result<void>> ForEachDestination(const std::vector<ShardMove>& moves,
                                             const Work& work) {
    struct Job {
      const ShardMove* move;
      NodeIndex dest;
    };
    std::vector<Job> jobs;
    for (const auto& m : moves) {
      for (NodeIndex d : m.to) jobs.push_back({&m, d});
    }
    std::optional<Error> failure;
    std::function<awaitable<bool>(size_t)> job = [&](size_t i) -> awaitable<bool> {
      Result<void> done = co_await work(*jobs[i].move, jobs[i].dest);
      if (!done && !failure) failure = done.error();
      co_return !failure;
    };
    co_await ForEachBounded(jobs.size(), options.max_concurrent, std::move(job));
    if (failure) co_return *failure;
    co_return Result<void>();
  }

  // Whether the operator paused or cancelled the migration since this step
  // began: long copies check between pages and give way.
  Result<bool> Interrupted() {
    MIROIR_ASSIGN_OR_RETURN(Loaded loaded, Load());
    return !loaded.spec.migration || loaded.spec.migration->state != MigrationState::kRunning;
  }

  static Error InterruptedError() {
    return Error(ErrorCode::kInternal, std::string(kInterrupted));
  }

  // Waits until no task of the index is enqueued or processing on `nodes`.
  awaitable<Result<void>> Drain(const Topology& t, const std::string& uid,
                                const std::set<NodeIndex>& nodes) {
    const std::string target =
        "/tasks?indexUids=" + uid + "&statuses=enqueued,processing&limit=1";
    const auto deadline = Clock::now() + options.task_timeout;
    for (NodeIndex n : nodes) {
      const std::string& address = t.node(n).address;
      for (;;) {
        if (Clock::now() > deadline || !Leading()) {
          co_return Error(ErrorCode::kMiroirNodeError,
                          "node " + address + " did not drain the tasks of `" + uid + "`");
        }
        auto answer = co_await calls.Call(address, http::Method::kGet, target, "");
        if (!answer) co_return answer.error();
        if (answer->status != 200) co_return NodeCalls::Refused(address, target, *answer);
        const json& results = answer->body["results"];
        if (!results.is_array() || results.empty()) break;
        co_await SleepFor(std::chrono::milliseconds(20));
      }
    }
    co_return Result<void>();
  }

  // Waits until none of `nodes` has hinted writes waiting in the store. A
  // node that is catching up lacks writes the others took: a copy or delta
  // pass reading it then would undo them on the destination, and a
  // destination's replay after the delta pass would overwrite what the
  // pass wrote. Writes to a node with hints pending are hinted too
  // (api/hints.hpp), so a queue empties only once the replay outruns them.
  awaitable<Result<void>> WaitHintsReplayed(const Topology& t, const std::set<NodeIndex>& nodes,
                                            Clock::time_point deadline) {
    auto next_report = Clock::now() + std::chrono::seconds(5);
    while (Leading()) {
      MIROIR_CO_ASSIGN_OR_RETURN(auto pending, store.NodesWithHints());
      std::string behind;
      for (NodeIndex n : nodes) {
        const std::string& id = t.node(n).id;
        if (!pending.count(id)) continue;
        if (!cluster.IsHealthy(n)) {  // its queue waits for it to come back
          co_return Error(ErrorCode::kMiroirNodeError,
                          "node " + id + " is down with hinted writes to replay");
        }
        behind += (behind.empty() ? "" : ", ") + id;
      }
      if (behind.empty()) co_return Result<void>();
      if (Clock::now() > deadline) {
        co_return Error(ErrorCode::kMiroirNodeError,
                        "node(s) " + behind + " still have hinted writes to replay");
      }
      if (Clock::now() > next_report) {
        RecordError("waiting for node(s) " + behind + " to replay their hinted writes");
        next_report = Clock::now() + std::chrono::seconds(30);
      }
      co_await SleepFor(std::chrono::milliseconds(20));
    }
    co_return Error(ErrorCode::kInternal, "lost the migration lease");
  }

  // Waits until every live instance routes by `epoch` or a later one.
  awaitable<Result<void>> WaitAcks(uint64_t epoch) {
    // This instance first: no write of its own routed by an older epoch
    // may still be on its way to a node.
    while (cluster.AcknowledgedEpoch() < epoch) {
      if (!Leading()) co_return Error(ErrorCode::kInternal, "lost the migration lease");
      co_await SleepFor(std::chrono::milliseconds(5));
    }
    if (!options.shared) co_return Result<void>();
    auto next_report = Clock::now() + std::chrono::seconds(5);
    while (Leading()) {
      membership.BeatSoon();
      MIROIR_CO_ASSIGN_OR_RETURN(auto instances, coordination.LiveInstances());
      std::string behind;
      for (const auto& i : instances) {
        if (i.topology_epoch < epoch) behind += (behind.empty() ? "" : ", ") + i.id;
      }
      if (behind.empty()) co_return Result<void>();
      if (Clock::now() > next_report) {
        RecordError("waiting for instance(s) " + behind + " to acknowledge epoch " +
                    std::to_string(epoch));
        next_report = Clock::now() + std::chrono::seconds(30);
      }
      co_await SleepFor(std::chrono::milliseconds(50));
    }
    co_return Error(ErrorCode::kInternal, "lost the migration lease");
  }

  // Moves one index's pending shards through copy .. activate.
  awaitable<Result<void>> MoveIndex(const TopologySpec& spec, const store::IndexRecord& index,
                                    std::vector<ShardMove> moves) {
    MIROIR_CO_ASSIGN_OR_RETURN(auto topology, Topology::Create(spec));
    const Topology& t = *topology;
    const std::string copied_key = "copied/" + index.uid;
    std::set<uint32_t> shards;
    for (const auto& m : moves) shards.insert(m.shard);
    // Every destination, and the old owners that can be read from now (a
    // dead one is not a delta source): what the delta pass waits for.
    auto involved = [&] {
      std::set<NodeIndex> nodes;
      for (const auto& m : moves) {
        for (NodeIndex n : m.from) {
          if (cluster.IsHealthy(n)) nodes.insert(n);
        }
        nodes.insert(m.to.begin(), m.to.end());
      }
      return nodes;
    };
    json& ip = IndexProgress(index.uid);
    ip["shardsMoving"] = shards.size();
    const bool held_already = spec.migration->held.count(index.uid) > 0;
    MIROIR_CO_ASSIGN_OR_RETURN(auto copied, coordination.FencedGet(kScope, copied_key));
    if (!copied && !held_already) {
      SetPhase(index.uid, "copy");
      std::set<NodeIndex> dests;
      for (const auto& m : moves) dests.insert(m.to.begin(), m.to.end());
      for (NodeIndex d : dests) {
        std::vector<NodeIndex> from;
        for (const auto& m : moves) from.insert(from.end(), m.from.begin(), m.from.end());
        MIROIR_CO_RETURN_IF_ERROR(co_await PrepareIndex(t, index, from, d));
      }
      if (copy_started == Clock::time_point{}) copy_started = Clock::now();
      auto copy = [this, &t, &index](const ShardMove& m, NodeIndex d) {
        return CopyShard(t, index, m, d);
      };
      MIROIR_CO_RETURN_IF_ERROR(co_await ForEachDestination(moves, copy));
      MIROIR_CO_ASSIGN_OR_RETURN(bool put, coordination.FencedPut(kScope, lease->token,
                                                                  copied_key, "1"));
      if (!put) {
        LostLease(true);
        co_return Error(ErrorCode::kInternal, "lost the migration lease");
      }
    }
    if (!options.delta_pass) {
      // Refused at Begin without anti-entropy, which repairs what this skips.
      SetPhase(index.uid, "activate");
    } else {
      if (!held_already) {
        // Catch-up pass while writes flow: the held pass then has little to
        // do, and no hint replay left to wait for either.
        SetPhase(index.uid, "catch-up");
        MIROIR_CO_RETURN_IF_ERROR(
            co_await WaitHintsReplayed(t, involved(), Clock::now() + options.task_timeout));
        auto delta = [this, &t, &index](const ShardMove& m, NodeIndex d) -> awaitable<Result<void>> {
          auto changed = co_await DeltaShard(t, index, m, d, nullptr);
          if (!changed) co_return changed.error();
          co_return Result<void>();
        };
        MIROIR_CO_RETURN_IF_ERROR(co_await ForEachDestination(moves, delta));
      }
      SetPhase(index.uid, "hold");
      auto hold = [&](TopologySpec& s) -> Result<bool> {
        if (!s.migration || s.migration->state != MigrationState::kRunning) return false;
        s.migration->held[index.uid].insert(shards.begin(), shards.end());
        return true;
      };
      MIROIR_CO_ASSIGN_OR_RETURN(auto held, Publish(hold, true));
      if (!held) co_return Result<void>();  // paused or cancelled meanwhile
      MIROIR_CO_RETURN_IF_ERROR(co_await WaitAcks(held->epoch));
      SetPhase(index.uid, "drain");
      // No write of the held shards reaches a node now but the hinted ones
      // stored before the hold: replayed, then applied, every source and
      // destination holds its last state.
      const std::set<NodeIndex> drained = involved();
      MIROIR_CO_RETURN_IF_ERROR(
          co_await WaitHintsReplayed(t, drained, Clock::now() + options.task_timeout));
      MIROIR_CO_RETURN_IF_ERROR(co_await Drain(t, index.uid, drained));
      SetPhase(index.uid, "delta");
      auto repaired = std::make_shared<size_t>(0);
      auto delta = [this, &t, &index, &drained, repaired](
                       const ShardMove& m, NodeIndex d) -> awaitable<Result<void>> {
        auto changed = co_await DeltaShard(t, index, m, d, &drained);
        if (!changed) co_return changed.error();
        *repaired += *changed;
        co_return Result<void>();
      };
      MIROIR_CO_RETURN_IF_ERROR(co_await ForEachDestination(moves, delta));
      ip["deltaDocuments"] = *repaired;
      SetPhase(index.uid, "activate");
    }
    auto activate = [&](TopologySpec& s) -> Result<bool> {
      if (!s.migration || s.migration->state != MigrationState::kRunning) return false;
      // The delta pass is only complete while the writes stayed held: a
      // pause released them, so the shards go through hold again.
      if (options.delta_pass && s.migration->held[index.uid] != shards) return false;
      s.migration->activated[index.uid].insert(shards.begin(), shards.end());
      s.migration->held.erase(index.uid);
      return true;
    };
    MIROIR_CO_ASSIGN_OR_RETURN(auto active, Publish(activate, true));
    if (!active) co_return Result<void>();
    MIROIR_CO_RETURN_IF_ERROR(co_await WaitAcks(active->epoch));
    SetPhase(index.uid, "active");
    co_return Result<void>();
  }

  // Deletes, from every node of `previous` and of the cluster, the copies of
  // shards it held before and does not own now; then drops the migration.
  awaitable<Result<void>> Cleanup(const TopologySpec& spec) {
    {
      // The status says cleanup while the acknowledgements are awaited, too.
      MIROIR_CO_ASSIGN_OR_RETURN(auto listed, store.ListIndexes());
      for (const auto& index : listed) SetPhase(index.uid, "cleanup");
    }
    MIROIR_CO_RETURN_IF_ERROR(co_await WaitAcks(spec.epoch));
    MIROIR_CO_ASSIGN_OR_RETURN(auto now, Topology::Create(spec));
    TopologySpec before_spec = spec;
    before_spec.nodes = spec.migration->previous;
    before_spec.migration.reset();
    MIROIR_CO_ASSIGN_OR_RETURN(auto before, Topology::Create(before_spec));
    MIROIR_CO_ASSIGN_OR_RETURN(auto indexes, store.ListIndexes());
    for (const auto& index : indexes) {
      auto old_placement = before->PlacementFor(index.shard_count);
      auto new_placement = now->PlacementFor(index.shard_count);
      SetPhase(index.uid, "cleanup");  // an index created while waiting
      for (NodeIndex b = 0; b < before->nodes().size(); ++b) {
        const NodeSpec& node = before->node(b);
        std::optional<NodeIndex> n = now->FindNode(node.id);
        std::vector<uint32_t> drop;
        for (uint32_t s = 0; s < index.shard_count; ++s) {
          const auto& was = old_placement->Owners(before->group_of(b), s);
          if (std::find(was.begin(), was.end(), b) == was.end()) continue;
          bool owns = false;
          if (n) {
            const auto& is = new_placement->Owners(now->group_of(*n), s);
            owns = std::find(is.begin(), is.end(), *n) != is.end();
          }
          if (!owns) drop.push_back(s);
        }
        if (drop.empty()) continue;
        std::string list;
        for (uint32_t s : drop) list += (list.empty() ? "" : ", ") + std::to_string(s);
        json body = {{"filter", "_miroir_shard IN [" + list + "]"}};
        const std::string target = IndexPath(index.uid) + "/documents/delete";
        auto deleted = co_await calls.Enqueue(node.address, http::Method::kPost, target, body.dump());
        if (!deleted) {
          // A node that left the cluster may be gone for good: its copies
          // are unreachable to every reader. Nodes that stay must be clean.
          if (n) co_return deleted.error();
          RecordError("left copies on removed node " + node.id + ": " + deleted.error().message);
        }
      }
    }
    co_return Result<void>();
  }

  // One transition of the migration in the store; true when it advanced.
  awaitable<Result<bool>> Step() {
    MIROIR_CO_ASSIGN_OR_RETURN(Loaded loaded, Load());
    TopologySpec& spec = loaded.spec;
    if (!spec.migration) {
      DropLease();
      co_return false;
    }
    MIROIR_CO_ASSIGN_OR_RETURN(bool leading, HoldLease());
    if (!leading) co_return false;
    ResetProgressFor(spec.migration->id);
    MigrationSpec& m = *spec.migration;
    switch (m.state) {
      case MigrationState::kPaused:
        co_return false;
      case MigrationState::kPreparing: {
        // Every instance now sends index-wide requests to the new nodes too;
        // create every index there before any document write goes to them
        // (a delete sent to a node without the index would fail).
        MIROIR_CO_RETURN_IF_ERROR(co_await WaitAcks(spec.epoch));
        MIROIR_CO_ASSIGN_OR_RETURN(auto topology, Topology::Create(spec));
        MIROIR_CO_ASSIGN_OR_RETURN(auto indexes, store.ListIndexes());
        std::vector<NodeIndex> sources;
        for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
          if (topology->InCurrent(n)) sources.push_back(n);
        }
        for (const auto& index : indexes) {
          for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
            if (topology->InCurrent(n)) continue;
            MIROIR_CO_RETURN_IF_ERROR(co_await PrepareIndex(*topology, index, sources, n));
          }
        }
        auto run = [](TopologySpec& s) -> Result<bool> {
          if (!s.migration || s.migration->state != MigrationState::kPreparing) return false;
          s.migration->state = MigrationState::kRunning;
          return true;
        };
        MIROIR_CO_ASSIGN_OR_RETURN(auto published, Publish(run, true));
        co_return published.has_value();
      }
      case MigrationState::kCancelling: {
        log::Info("migration cancelled: rolling back to the old owners");
        auto rollback = [](TopologySpec& s) -> Result<bool> {
          if (!s.migration || s.migration->state != MigrationState::kCancelling) return false;
          MigrationSpec cleanup;
          cleanup.target = s.nodes;
          cleanup.previous = s.migration->target;
          cleanup.state = MigrationState::kCleanup;
          cleanup.description = s.migration->description + " (cancelled)";
          cleanup.id = s.migration->id;
          s.migration = std::move(cleanup);
          return true;
        };
        MIROIR_CO_ASSIGN_OR_RETURN(auto published, Publish(rollback, true));
        co_return published.has_value();
      }
      case MigrationState::kCleanup: {
        MIROIR_CO_RETURN_IF_ERROR(co_await Cleanup(spec));
        const std::string outcome =
            m.description.ends_with("(cancelled)") ? "cancelled" : "completed";
        // The outcome is stored before the migration leaves the topology: a
        // status read in between must find it (miroir-ctl --wait exits on it).
        json last = progress;
        last["description"] = m.description;
        last["outcome"] = outcome;
        last["finishedAt"] = FormatRfc3339(NowMicros());
        (void)coordination.FencedPut(kScope, lease->token, "last", last.dump());
        auto finish = [](TopologySpec& s) -> Result<bool> {
          if (!s.migration || s.migration->state != MigrationState::kCleanup) return false;
          s.migration.reset();
          return true;
        };
        MIROIR_CO_ASSIGN_OR_RETURN(auto published, Publish(finish, true));
        if (!published) co_return false;
        last["epoch"] = published->epoch;
        MIROIR_CO_ASSIGN_OR_RETURN(auto indexes, store.ListIndexes());
        for (const auto& index : indexes) {
          (void)coordination.FencedDelete(kScope, lease->token, "copied/" + index.uid);
        }
        (void)coordination.FencedPut(kScope, lease->token, "last", last.dump());
        (void)coordination.FencedDelete(kScope, lease->token, "progress");
        progress = json();
        PublishPhases();
        copy_started = {};
        copied_since_start = 0;
        log::Info("migration ended").Str("change", m.description).Str("outcome", outcome);
        co_return true;
      }
      case MigrationState::kRunning:
        break;
    }
    MIROIR_CO_RETURN_IF_ERROR(co_await WaitAcks(spec.epoch));
    MIROIR_CO_ASSIGN_OR_RETURN(auto topology, Topology::Create(spec));
    MIROIR_CO_ASSIGN_OR_RETURN(auto indexes, store.ListIndexes());
    for (const auto& index : indexes) {
      std::vector<ShardMove> pending;
      const auto& activated = m.activated[index.uid];
      for (auto& move : PlanMoves(*topology, index.shard_count)) {
        if (!activated.count(move.shard)) pending.push_back(std::move(move));
      }
      if (pending.empty()) continue;
      MIROIR_CO_RETURN_IF_ERROR(co_await MoveIndex(spec, index, std::move(pending)));
      co_return true;
    }
    // Every index is active on its new owners: the target becomes the cluster.
    auto finalize = [](TopologySpec& s) -> Result<bool> {
      if (!s.migration || s.migration->state != MigrationState::kRunning) return false;
      MigrationSpec cleanup;
      cleanup.target = s.migration->target;
      cleanup.previous = s.nodes;
      cleanup.state = MigrationState::kCleanup;
      cleanup.description = s.migration->description;
      cleanup.id = s.migration->id;
      s.nodes = s.migration->target;
      s.migration = std::move(cleanup);
      return true;
    };
    MIROIR_CO_ASSIGN_OR_RETURN(auto published, Publish(finalize, true));
    co_return published.has_value();
  }

  awaitable<void> Loop() {
    while (!stopping.load()) {
      Result<bool> advanced = co_await Step();
      if (!advanced && advanced.error().message == kInterrupted) {
        FlushProgress();
        continue;  // the next step sees the paused or cancelled state
      }
      if (!advanced) {
        RecordError(advanced.error().message);
        FlushProgress();
        co_await Sleep(options.retry_delay);
        continue;
      }
      FlushProgress();
      if (*advanced) {
        steps.fetch_add(1);
      } else {
        co_await Sleep(options.poll_interval);
      }
    }
    FlushProgress();
    DropLease();
    --loops_running;
  }
};

MigrationCoordinator::MigrationCoordinator(store::Store& store, store::Coordination& coordination,
                                           meili::Cluster& cluster, Membership& membership,
                                           MigrationOptions options)
    : impl_(std::make_unique<Impl>(store, coordination, cluster, membership, std::move(options))) {}

MigrationCoordinator::~MigrationCoordinator() { Stop(); }

void MigrationCoordinator::Start() {
  Impl* impl = impl_.get();
  // The coroutines take no reference on Impl: if Stop has to stop the
  // context with them suspended, destroying Impl destroys their frames.
  impl->worker.Start([impl](asio::io_context& io) {
    impl->loops_running.store(2);
    asio::co_spawn(io, impl->Loop(), asio::detached);
    asio::co_spawn(io, impl->KeepLease(), asio::detached);
  });
}

void MigrationCoordinator::Stop() {
  // The loops end at their next wake-up; a node call in flight may take up
  // to its timeout, so they get a moment and then the context stops (an
  // unreleased lease then expires after its TTL).
  Impl* impl = impl_.get();
  impl->worker.Stop([impl] { return impl->loops_running.load() == 0; });
}

uint64_t MigrationCoordinator::steps() const { return impl_->steps.load(); }

MigrationStats MigrationCoordinator::stats() const {
  MigrationStats s;
  s.leading = impl_->leading_now.load();
  s.steps = impl_->steps.load();
  s.documents_copied = impl_->documents_copied.load();
  s.errors = impl_->error_count.load();
  s.fenced_writes_refused = impl_->fenced_refused.load();
  s.last_progress_unix_ms = impl_->last_progress_ms.load();
  std::lock_guard lock(impl_->phases_mu);
  s.indexes_by_phase = impl_->indexes_by_phase;
  s.started_unix_ms = impl_->started_unix_ms;
  return s;
}

Result<nlohmann::json> MigrationCoordinator::Begin(const TopologyChange& change) {
  if (!impl_->options.delta_pass && !impl_->options.anti_entropy &&
      !impl_->options.unsafe_allow_no_delta_pass) {
    return Error(ErrorCode::kMiroirMigrationRefused,
                 "A migration without its delta pass (rebalancer.delta_pass: false) needs "
                 "anti-entropy to repair writes that raced the copy; enable anti_entropy or the "
                 "delta pass.");
  }
  if (!impl_->options.anti_entropy) {
    log::Warn("anti-entropy is off: replicas that drift during or after this change are not "
              "repaired");
  }
  auto begin = [&](TopologySpec& spec) -> Result<bool> {
    if (spec.migration) {
      return Error(ErrorCode::kMiroirMigrationInProgress,
                   "A topology change is already in progress (" + spec.migration->description +
                       "); wait for it, or cancel it with POST /_miroir/migrations/cancel.");
    }
    MIROIR_ASSIGN_OR_RETURN(auto target, TargetNodes(spec, change));
    MigrationSpec m;
    m.target = std::move(target);
    m.description = DescribeChange(change);
    m.id = spec.epoch + 1;
    spec.migration = std::move(m);
    return true;
  };
  MIROIR_ASSIGN_OR_RETURN(auto published, impl_->Publish(begin, false));
  log::Info("migration started")
      .Str("change", published->migration->description)
      .Uint("epoch", published->epoch);
  impl_->wake.store(true);
  return Status();
}

Result<nlohmann::json> MigrationCoordinator::Control(std::string_view action) {
  auto control = [&](TopologySpec& spec) -> Result<bool> {
    if (!spec.migration) {
      return Error(ErrorCode::kMiroirNoMigration, "No topology change is in progress.");
    }
    MigrationState& state = spec.migration->state;
    if (state == MigrationState::kCleanup) {
      return Error(ErrorCode::kMiroirInvalidTopologyChange,
                   "The change is being finished (cleanup of old copies); it can no longer be "
                   "paused or cancelled.");
    }
    if (action == "pause") {
      // Preparing is short and must finish before dual writes start.
      if (state != MigrationState::kRunning) return false;
      state = MigrationState::kPaused;
      spec.migration->held.clear();  // a paused migration holds no write
    } else if (action == "resume") {
      if (state != MigrationState::kPaused) return false;
      state = MigrationState::kRunning;
    } else if (action == "cancel") {
      if (state == MigrationState::kCancelling) return false;
      state = MigrationState::kCancelling;
      spec.migration->held.clear();
    } else {
      return Error(ErrorCode::kBadRequest, "Unknown action `" + std::string(action) + "`.");
    }
    return true;
  };
  MIROIR_ASSIGN_OR_RETURN(auto published, impl_->Publish(control, false));
  if (published) log::Info("migration control").Str("action", action).Uint("epoch", published->epoch);
  impl_->wake.store(true);
  return Status();
}

Result<nlohmann::json> MigrationCoordinator::Status() {
  MIROIR_ASSIGN_OR_RETURN(auto loaded, impl_->Load());
  json out = {{"migration", nullptr}, {"last", nullptr}};
  MIROIR_ASSIGN_OR_RETURN(auto last, impl_->coordination.FencedGet(kScope, "last"));
  if (last) out["last"] = json::parse(*last, nullptr, false);
  if (!loaded.spec.migration) return out;
  const MigrationSpec& m = *loaded.spec.migration;
  json target = json::array();
  for (const auto& n : m.target) {
    target.push_back({{"id", n.id}, {"address", n.address}, {"group", n.group},
                      {"draining", n.draining}});
  }
  json current = {{"description", m.description},
                  {"state", MigrationStateName(m.state)},
                  {"epoch", loaded.epoch},
                  {"target", std::move(target)},
                  {"leader", nullptr},
                  {"indexes", json::object()},
                  {"errors", json::array()},
                  {"documentsCopied", 0},
                  {"documentsTotal", 0},
                  {"documentsPerSecond", 0},
                  {"etaSeconds", nullptr}};
  MIROIR_ASSIGN_OR_RETURN(auto lease, impl_->coordination.CurrentLease(kScope));
  if (lease) current["leader"] = lease->holder;
  MIROIR_ASSIGN_OR_RETURN(auto stored, impl_->coordination.FencedGet(kScope, "progress"));
  if (stored) {
    json p = json::parse(*stored, nullptr, false);
    if (p.is_object() && p.value("id", uint64_t{0}) == m.id) {
      uint64_t copied = 0, total = 0;
      for (auto& [uid, index] : p["indexes"].items()) {
        copied += index.value("documentsCopied", uint64_t{0});
        for (auto& [s, shard] : index["shards"].items()) {
          total += shard.value("documentsTotal", uint64_t{0});
        }
      }
      current["indexes"] = p["indexes"];
      current["errors"] = p["errors"];
      current["startedAt"] = p["startedAt"];
      current["documentsCopied"] = copied;
      current["documentsTotal"] = total;
      if (p.contains("documentsPerSecond")) {
        current["documentsPerSecond"] = p["documentsPerSecond"];
        const double rate = p["documentsPerSecond"].get<double>();
        if (rate > 0 && total >= copied) {
          current["etaSeconds"] = static_cast<double>(total - copied) / rate;
        }
      }
    }
  }
  out["migration"] = std::move(current);
  return out;
}

}  // namespace miroir::workers
