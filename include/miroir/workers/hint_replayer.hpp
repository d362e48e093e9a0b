// Hinted handoff: the writes a node missed are replayed to it, in order,
// before it serves reads again.
//
// When a write meets quorum but an owner missed it (down, timed out, 5xx),
// the request path stores a hint — the exact request that node would have
// been sent — in the coordination store (api/hints.hpp), bounded in bytes
// per node, and marks the node catching up (meili::Cluster): from then on
// writes for it are hinted behind the ones it missed, and reads avoid it.
//
// Every instance runs a replayer. Each poll it:
//   - drops hints older than `max_age` (anti-entropy is the backstop for
//     them; counted as dropped);
//   - marks every node with pending hints catching up, so instances other
//     than the one that stored them route around it too;
//   - for each healthy node with hints, under the node's "hints/<node>"
//     lease (one replayer per node across instances), sends the hints in
//     order (each tried up to four times: a flaky link must not keep the
//     node catching up), waits for the node task of the last one, and only then drops
//     them from the store: a replayer that dies mid-way replays them again,
//     which repeats writes the node already applied, in the same order;
//   - once a node has none left, stops routing around it, after every
//     write that decided to hint for it has stored its hint (Cluster write
//     tickets), so no write skips the queue.
// A hint the node refuses with a 4xx (say, its index was deleted since) is
// dropped and counted. After a replay, the node drops the documents of the
// replayed indexes in shards it is no longer a write target of: a hint stored
// before a topology change took a shard off the node, replayed after the
// change's cleanup, would otherwise leave them there. Hints replayed during a
// change are safe with its copy and delta pass: the queue holds every write
// the node missed, in order, so replaying it over what the delta pass wrote
// ends in the same state.
//
// Runs its own thread (store calls block there). Thread-safety: stats()
// from any thread; Start/Stop from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "miroir/meili/cluster.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"

namespace miroir::workers {

struct HintReplayerOptions {
  std::string instance_id;  // lease holder name
  std::chrono::milliseconds max_age = std::chrono::hours(3);
  std::chrono::milliseconds poll_interval{250};
  size_t batch = 100;  // hints read and sent per round
  std::chrono::milliseconds node_timeout{30'000};
  std::chrono::milliseconds task_timeout{600'000};
  std::chrono::milliseconds lease_ttl{10'000};
};

struct HintReplayerStats {
  std::map<std::string, store::HintBacklog> pending;  // by node id, as last polled
  uint64_t replayed = 0;
  std::map<std::string, uint64_t> dropped;  // by reason: "age", "refused", "removed"
};

class HintReplayer {
 public:
  HintReplayer(store::Store& store, store::Coordination& coordination, meili::Cluster& cluster,
               HintReplayerOptions options);
  ~HintReplayer();
  HintReplayer(const HintReplayer&) = delete;
  HintReplayer& operator=(const HintReplayer&) = delete;

  void Start();
  void Stop();

  HintReplayerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::workers
