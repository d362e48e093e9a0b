// Hinted handoff, the request path's half (the replayer is
// workers/hint_replayer.hpp): which owners a write may be sent to now, and
// the hints kept for the owners that missed a write that met quorum.
#pragma once

#include <utility>
#include <vector>

#include "common.hpp"

namespace miroir::api {

// The owners a write may be sent to now: healthy, with no hint waiting for
// them in the store. A write sent ahead of a node's hints would be
// overwritten when they are replayed, so it gets a hint too, queued behind
// them. The store decides, not this instance's view of who is catching up
// (which its replayer learns only at its next poll): another instance may
// have stored a hint a moment ago. Read once per write, before anything is
// sent; since a write is acknowledged only once its hints are stored, every
// write that starts after that acknowledgement sees them.
class SendableNodes {
 public:
  // Every healthy node when hinted handoff is off; an error when the store
  // cannot be read (nothing may be sent then).
  static awaitable<Result<SendableNodes>> Read(Services& services, const Topology& topology);

  bool operator()(NodeIndex node) const { return node < sendable_.size() && sendable_[node]; }

 private:
  std::vector<bool> sendable_;
};

// Whether the owner that sent `reply` missed the write in a way a replay
// can fix: no answer, a timeout, a 5xx. A 4xx is the node's own verdict on
// the request, which a replay would repeat.
bool MissedWrite(const NodeReply& reply);

// Stores a hint with each request, for its node, and marks the node catching
// up (searches avoid it). Called once the write met quorum, for the owners
// that missed it; the write's Cluster::WriteInFlight must still be held (the
// replayer waits for it before searches may read the node again). A hint the
// node's queue has no room for, or the store refuses, is logged and counted:
// anti-entropy then repairs that node. Does nothing when hinted handoff is
// off.
awaitable<void> StoreHints(Services& services, const Topology& topology,
                           std::vector<std::pair<NodeIndex, http::UpstreamRequest>> missed);

}  // namespace miroir::api
