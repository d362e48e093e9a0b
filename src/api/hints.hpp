// Hinted handoff, the request path's half (the replayer is
// workers/hint_replayer.hpp): which owners a write may be sent to now, and
// the hints kept for the owners that missed a write that met quorum.
#pragma once

#include <utility>
#include <vector>

#include "common.hpp"

namespace miroir::api {

// Whether a write may go to `node` now: healthy, and not catching up on
// hints (a write sent ahead of the hints it missed would be overwritten by
// them).
bool Sendable(const Services& services, NodeIndex node);

// Whether the owner that sent `reply` missed the write in a way a replay
// can fix: no answer, a timeout, a 5xx. A 4xx is the node's own verdict on
// the request, which a replay would repeat.
bool MissedWrite(const NodeReply& reply);

// Stores a hint with each request, for its node, and marks the node catching
// up. Called once the write met quorum, for the owners that missed it; the
// write's Cluster::WriteInFlight must still be held (the replayer waits for
// it before it routes to the node again). A hint the node's queue has no
// room for, or the store refuses, is logged and counted: anti-entropy then
// repairs that node. Does nothing when hinted handoff is off.
awaitable<void> StoreHints(Services& services, const Topology& topology,
                           std::vector<std::pair<NodeIndex, http::UpstreamRequest>> missed);

}  // namespace miroir::api
