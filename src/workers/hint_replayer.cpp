#include "miroir/workers/hint_replayer.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "miroir/core/router.hpp"
#include "miroir/core/time.hpp"
#include "miroir/log/log.hpp"
#include "miroir/workers/worker_thread.hpp"
#include "node_calls.hpp"

namespace miroir::workers {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// "movies" for "/indexes/movies/documents?primaryKey=id".
std::optional<std::string> IndexOfTarget(std::string_view target) {
  constexpr std::string_view kPrefix = "/indexes/";
  if (!target.starts_with(kPrefix)) return std::nullopt;
  target.remove_prefix(kPrefix.size());
  const size_t end = target.find_first_of("/?");
  return std::string(target.substr(0, end));
}

}  // namespace

struct HintReplayer::Impl {
  Impl(store::Store& s, store::Coordination& c, meili::Cluster& cl, HintReplayerOptions o)
      : store(s), coordination(c), cluster(cl), options(std::move(o)) {}

  store::Store& store;
  store::Coordination& coordination;
  meili::Cluster& cluster;
  HintReplayerOptions options;

  WorkerThread worker;
  const std::atomic<bool>& stopping = worker.stopping();
  std::atomic<bool> loop_done{true};
  NodeCalls calls{cluster, options.node_timeout, options.task_timeout, stopping};

  mutable std::mutex mu;
  HintReplayerStats totals;

  void CountDropped(const std::string& reason, uint64_t n) {
    if (n == 0) return;
    std::lock_guard lock(mu);
    totals.dropped[reason] += n;
  }

  // Replays the node's hints until none is left. False when it stopped
  // early (the node failed again; the next poll retries).
  awaitable<Result<bool>> Replay(const std::string& node_id, const std::string& address,
                                 std::set<std::string>* indexes) {
    constexpr int kAttempts = 4;
    for (;;) {
      if (stopping.load()) co_return false;
      MIROIR_CO_ASSIGN_OR_RETURN(auto hints, store.PeekHints(node_id, options.batch));
      if (hints.empty()) co_return true;
      std::optional<uint64_t> last_task;
      uint64_t done_through = 0;
      uint64_t replayed = 0;
      for (const store::Hint& hint : hints) {
        // A flaky link must not stall the queue: each hint is tried a few
        // times before the round gives up (the next poll starts over).
        Result<NodeAnswer> answer = Error(ErrorCode::kInternal, "not sent");
        for (int attempt = 1; attempt <= kAttempts; ++attempt) {
          answer = co_await calls.Call(address, http::MethodFromName(hint.method), hint.target,
                                       hint.body, hint.content_type);
          if (answer && answer->status < 500) break;
          if (attempt < kAttempts) co_await SleepFor(std::chrono::milliseconds(50 * attempt));
        }
        if (!answer || answer->status >= 500) {
          if (!answer) co_return answer.error();
          co_return NodeCalls::Refused(address, hint.target, *answer);
        }
        if (answer->status >= 400) {
          log::Warn("hint refused by node")
              .Str("node", node_id)
              .Str("target", hint.target)
              .Int("status", answer->status);
          CountDropped("refused", 1);
        } else {
          const auto& body = answer->body;
          if (body.is_object() && body.contains("taskUid") && body["taskUid"].is_number()) {
            last_task = body["taskUid"].get<uint64_t>();
          }
          ++replayed;
        }
        done_through = hint.seq;
        if (auto uid = IndexOfTarget(hint.target)) indexes->insert(*uid);
      }
      // The node has applied them before they leave the store, so reads
      // come back only once they show.
      // A failed task (a bad document) was still applied in its turn; only
      // a node that stops answering keeps the hints.
      if (last_task) {
        MIROIR_CO_RETURN_IF_ERROR(co_await calls.WaitTaskFinished(address, *last_task));
      }
      MIROIR_CO_RETURN_IF_ERROR(store.DropHints(node_id, done_through));
      // A long replay keeps this poll from reading the backlogs again, so
      // the pending gauge follows it here.
      auto backlogs = store.HintBacklogs();
      {
        std::lock_guard lock(mu);
        totals.replayed += replayed;
        if (backlogs) totals.pending = std::move(*backlogs);
      }
    }
  }

  // Deletes from the node the documents of `uid` in shards it is no longer a
  // write target of. A hint stored before a topology change took a shard off
  // the node, and replayed after the change's cleanup, would otherwise leave
  // those documents there.
  awaitable<Result<void>> SweepStrays(NodeIndex node, const std::string& address,
                                      const std::string& uid) {
    MIROIR_CO_ASSIGN_OR_RETURN(auto index, store.GetIndex(uid));
    if (!index) co_return Result<void>();  // deleted since: nothing to keep
    auto topology = cluster.topology();
    auto placement = topology->PlacementFor(uid, index->shard_count);
    std::string kept;
    uint32_t kept_count = 0;
    for (uint32_t s = 0; s < index->shard_count; ++s) {
      const auto targets = WriteTargets(*topology, *placement, s);
      if (std::find(targets.begin(), targets.end(), node) == targets.end()) continue;
      kept += (kept_count++ > 0 ? ", " : "") + std::to_string(s);
    }
    if (kept_count == index->shard_count) co_return Result<void>();
    nlohmann::json body = nlohmann::json::object();
    body["filter"] = kept_count == 0 ? std::string("_miroir_shard >= 0")
                                     : "_miroir_shard NOT IN [" + kept + "]";
    co_return co_await calls.Enqueue(address, http::Method::kPost,
                                     "/indexes/" + uid + "/documents/delete", body.dump());
  }

  // Lets searches read from `node_id` again once no write that decided to
  // hint for it is still storing its hint and none is left in the store.
  // (Writes go by the store's hints alone: api/hints.hpp.)
  awaitable<Result<void>> FinishCatchUp(const std::string& node_id) {
    cluster.SetCatchingUp(node_id, false);
    const uint64_t ticket = cluster.NextWriteTicket();
    while (cluster.WritesBefore(ticket) && !stopping.load()) {
      co_await SleepFor(std::chrono::milliseconds(5));
    }
    MIROIR_CO_ASSIGN_OR_RETURN(auto left, store.PeekHints(node_id, 1));
    if (!left.empty()) cluster.SetCatchingUp(node_id, true);
    co_return Result<void>();
  }

  awaitable<void> Poll() {
    auto expired = store.ExpireHints(NowUnixMillis() - options.max_age.count());
    if (expired) {
      for (const auto& [node, n] : *expired) {
        log::Warn("hints expired").Str("node", node).Uint("count", n);
        CountDropped("age", n);
      }
    }
    auto backlogs = store.HintBacklogs();
    if (!backlogs) {
      log::Warn("hint backlog unreadable").Str("error", backlogs.error().message);
      co_return;
    }
    {
      std::lock_guard lock(mu);
      totals.pending = *backlogs;
    }
    auto topology = cluster.topology();
    for (const auto& [node_id, backlog] : *backlogs) {
      if (!topology->FindNode(node_id)) {
        // Removed from the cluster: nobody will replay them.
        if (store.DropHints(node_id, UINT64_MAX)) CountDropped("removed", backlog.count);
        continue;
      }
      cluster.SetCatchingUp(node_id, true);
    }
    for (NodeIndex n = 0; n < topology->nodes().size(); ++n) {
      const auto& node = topology->node(n);
      const bool pending = backlogs->count(node.id) > 0;
      if (!pending) {
        if (cluster.IsCatchingUp(n)) {
          auto finished = co_await FinishCatchUp(node.id);
          if (!finished) log::Warn("hint check failed").Str("error", finished.error().message);
        }
        continue;
      }
      if (!cluster.IsHealthy(n)) continue;
      const std::string scope = "hints/" + node.id;
      auto lease = coordination.AcquireLease(scope, options.instance_id, options.lease_ttl);
      if (!lease || !*lease) continue;  // another instance replays them
      std::set<std::string> indexes;
      auto replayed = co_await Replay(node.id, node.address, &indexes);
      for (const std::string& uid : indexes) {
        auto swept = co_await SweepStrays(n, node.address, uid);
        if (!swept) replayed = swept.error();
      }
      if (!replayed) {
        log::Warn("hint replay failed").Str("node", node.id).Str("error",
                                                                  replayed.error().message);
      } else if (*replayed) {
        log::Info("hints replayed").Str("node", node.id);
        auto finished = co_await FinishCatchUp(node.id);
        if (!finished) log::Warn("hint check failed").Str("error", finished.error().message);
      }
      (void)coordination.ReleaseLease(**lease);
    }
  }

  awaitable<void> Loop() {
    while (!stopping.load()) {
      co_await Poll();
      co_await SleepFor(options.poll_interval);
    }
    loop_done.store(true);
  }
};

HintReplayer::HintReplayer(store::Store& store, store::Coordination& coordination,
                           meili::Cluster& cluster, HintReplayerOptions options)
    : impl_(std::make_unique<Impl>(store, coordination, cluster, std::move(options))) {}

HintReplayer::~HintReplayer() { Stop(); }

void HintReplayer::Start() {
  Impl* impl = impl_.get();
  impl->worker.Start([impl](asio::io_context& io) {
    impl->loop_done.store(false);
    asio::co_spawn(io, impl->Loop(), asio::detached);
  });
}

void HintReplayer::Stop() {
  Impl* impl = impl_.get();
  impl->worker.Stop([impl] { return impl->loop_done.load(); });
}

HintReplayerStats HintReplayer::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->totals;
}

}  // namespace miroir::workers
