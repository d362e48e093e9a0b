// One node's successful answer, as the merges take it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace miroir {

// Bytes of spare capacity the merges need past the end of a body (simdjson
// reads up to that many bytes ahead; it is SIMDJSON_PADDING). A caller that
// reserves body.size() + kNodeBodyPadding when it reads the body saves the
// merge one copy of it.
inline constexpr size_t kNodeBodyPadding = 64;

struct NodeResult {
  // The node's response body (HTTP 2xx). The merge may grow its capacity and
  // zero the padding past size(); it never changes the bytes themselves.
  std::string body;
  // Rank of the node in the covering set: the deterministic tie-break. Lower
  // goes first; unique within one merge.
  uint32_t node_order = 0;
};

}  // namespace miroir
