// The live view of the cluster shared by the request path and the workers:
// the current topology snapshot, each node's health as this instance sees
// it, and the way to send a request to a node.
//
// Thread-safety: all members are safe to call from any thread. The topology
// is an immutable snapshot behind an atomic shared_ptr (ARCHITECTURE §8);
// health flags are atomics; connection pools are per thread, so sending
// takes no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "miroir/core/router.hpp"
#include "miroir/core/topology.hpp"
#include "miroir/http/client.hpp"

namespace miroir::meili {

struct ClusterOptions {
  std::string node_key;  // sent as "Authorization: Bearer" to nodes; empty: none
  http::PoolOptions pool;
};

class Cluster : public NodeHealth {
 public:
  Cluster(std::shared_ptr<const Topology> topology, ClusterOptions options);

  std::shared_ptr<const Topology> topology() const { return topology_.load(); }
  // Publishes a new snapshot. Health of nodes kept by id across snapshots.
  void SetTopology(std::shared_ptr<const Topology> topology);

  // NodeHealth: healthy until the health checker says otherwise.
  bool IsHealthy(NodeIndex node) const override;
  bool IsHealthyById(const std::string& node_id) const;
  void SetHealthy(const std::string& node_id, bool healthy);

  // --- hinted handoff ---
  // A node that missed writes is catching up until its hints are replayed
  // (workers/hint_replayer.hpp): it is sent no write — writes for it become
  // hints, queued behind the ones it missed — and serves no read.
  void SetCatchingUp(const std::string& node_id, bool catching_up);
  bool IsCatchingUp(NodeIndex node) const;
  // Healthy and not catching up: the node may answer reads.
  bool IsReadable(NodeIndex node) const { return IsHealthy(node) && !IsCatchingUp(node); }

  // Sends a request to a node from the calling thread's pool for it. The
  // node key is added. REQUIRES: called from a coroutine on an Asio thread.
  boost::asio::awaitable<http::UpstreamResult> Send(const std::string& address,
                                                    http::UpstreamRequest request) const;

  // Sends every request concurrently (on the calling thread) and returns
  // the results in the same order once all have completed or timed out.
  struct Outgoing {
    std::string address;
    http::UpstreamRequest request;
  };
  boost::asio::awaitable<std::vector<http::UpstreamResult>> SendAll(
      std::vector<Outgoing> requests) const;

  // --- writes in flight, by the epoch they were routed with ---
  // A topology change must not proceed past an epoch while writes routed by
  // an older one may still reach the nodes (a dual write landing after the
  // cleanup would leave a copy behind). Writers hold a WriteInFlight for the
  // epoch of the topology they routed by until every node answered or timed
  // out; AcknowledgedEpoch() is what this instance may report as routing
  // by: the current epoch, or the oldest one a write is still in flight for.
  class WriteInFlight {
   public:
    WriteInFlight() = default;
    WriteInFlight(const Cluster* cluster, uint64_t epoch, uint64_t ticket)
        : cluster_(cluster), epoch_(epoch), ticket_(ticket) {}
    WriteInFlight(WriteInFlight&& o) noexcept
        : cluster_(std::exchange(o.cluster_, nullptr)), epoch_(o.epoch_), ticket_(o.ticket_) {}
    WriteInFlight& operator=(WriteInFlight&&) = delete;
    ~WriteInFlight();

   private:
    const Cluster* cluster_ = nullptr;
    uint64_t epoch_ = 0;
    uint64_t ticket_ = 0;
  };
  WriteInFlight TrackWrite(uint64_t epoch) const;
  uint64_t AcknowledgedEpoch() const;
  // Every tracked write gets the next ticket. A worker that changes how
  // writes are routed (a node stops catching up) takes NextWriteTicket()
  // after the change and waits while WritesBefore(it): then no write routed
  // the old way is still on its way.
  uint64_t NextWriteTicket() const;
  bool WritesBefore(uint64_t ticket) const;

  // --- self-fencing (several instances share a store) ---
  // Writes (any method but GET and HEAD) may be sent until `until`; past
  // it, Send and SendAll fail each write at once (UpstreamFailure::kFenced)
  // without sending it. The membership heartbeat moves the deadline while
  // the store holds this instance as alive and its state is current. An
  // instance paused or cut off for longer than its registration — while a
  // topology change may have gone on without its acknowledgement — thus
  // sends no write routed by what it knew before. No deadline (writes
  // always allowed) until the first call.
  void FenceWritesAfter(std::chrono::steady_clock::time_point until);
  bool WritesFenced() const;
  // Writes refused by the fence so far.
  uint64_t fenced_writes() const { return fenced_writes_.load(std::memory_order_relaxed); }

  // A counter that varies per request, to rotate replica choice.
  uint64_t NextRotation() const { return rotation_.fetch_add(1, std::memory_order_relaxed); }

 private:
  struct HealthEntry {
    std::string node_id;
    std::unique_ptr<std::atomic<bool>> healthy;
    std::unique_ptr<std::atomic<bool>> catching_up;
  };
  std::atomic<std::shared_ptr<const Topology>> topology_;
  ClusterOptions options_;
  // Indexed like the nodes of the snapshot they were built for.
  std::atomic<std::shared_ptr<const std::vector<HealthEntry>>> health_;
  mutable std::atomic<uint64_t> rotation_{0};
  // Steady-clock nanoseconds; max: no fence.
  std::atomic<int64_t> write_fence_ns_{INT64_MAX};
  mutable std::atomic<uint64_t> fenced_writes_{0};
  mutable std::mutex writes_mu_;
  mutable std::map<uint64_t, uint64_t> writes_in_flight_;  // epoch -> writes
  mutable std::set<uint64_t> open_tickets_;
  mutable uint64_t next_ticket_ = 1;
};

}  // namespace miroir::meili
