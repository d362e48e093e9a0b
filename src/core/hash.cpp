#include "miroir/core/hash.hpp"

#include <string>

#include <xxhash.h>

namespace miroir {

uint64_t Xxh64(std::string_view bytes, uint64_t seed) {
  return XXH64(bytes.data(), bytes.size(), seed);
}

uint32_t ShardOf(std::string_view canonical_pk, uint32_t shard_count) {
  return static_cast<uint32_t>(Xxh64(canonical_pk) % shard_count);
}

uint64_t RendezvousScore(uint32_t shard, std::string_view node_id) {
  // le32(shard) || node_id, hashed in one pass over a small stack buffer.
  char stack[128];
  const size_t size = 4 + node_id.size();
  std::string heap;
  char* buf = stack;
  if (size > sizeof(stack)) {
    heap.resize(size);
    buf = heap.data();
  }
  buf[0] = static_cast<char>(shard & 0xff);
  buf[1] = static_cast<char>((shard >> 8) & 0xff);
  buf[2] = static_cast<char>((shard >> 16) & 0xff);
  buf[3] = static_cast<char>((shard >> 24) & 0xff);
  node_id.copy(buf + 4, node_id.size());
  return XXH64(buf, size, 0);
}

}  // namespace miroir
