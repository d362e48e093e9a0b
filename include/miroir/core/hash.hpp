// The two hash formulas that decide where every document lives.
//
// THESE ARE AN ON-DISK FORMAT. Changing either re-homes every document of
// every cluster; tests/unit/core/hash_test.cpp locks them with golden vectors.
//
//   shard(pk)          = xxh64(canonical_pk_utf8, seed 0) % S
//   score(shard, node) = xxh64(le32(shard) || node_id_utf8, seed 0)
//
// An integer primary key is hashed as its decimal text (pk::CanonicalId), so
// 1 and "1" — the same Meilisearch document — land on the same shard.
#pragma once

#include <cstdint>
#include <string_view>

namespace miroir {

uint64_t Xxh64(std::string_view bytes, uint64_t seed = 0);

// REQUIRES: shard_count >= 1.
uint32_t ShardOf(std::string_view canonical_pk, uint32_t shard_count);

// Rendezvous score of a node for a shard: the RF highest-scoring nodes of a
// replica group own the shard.
uint64_t RendezvousScore(uint32_t shard, std::string_view node_id);

}  // namespace miroir
