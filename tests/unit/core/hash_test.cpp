// Golden vectors for the placement hash formulas. These values were computed
// with an independent xxHash implementation (Python's `xxhash` package), not
// with this code. If one of these tests fails, the change re-homes every
// document of every existing cluster: do not update the vectors, revert.
#include "miroir/core/hash.hpp"

#include <gtest/gtest.h>

#include "miroir/core/primary_key.hpp"

namespace miroir {
namespace {

TEST(HashTest, Xxh64MatchesReferenceVectors) {
  EXPECT_EQ(Xxh64("1"), 0xb7b41276360564d4ULL);
  EXPECT_EQ(Xxh64("42"), 0x6de6f5d076d742b9ULL);
  EXPECT_EQ(Xxh64("doc-7"), 0xfcd4bdcf07ff24aaULL);
  EXPECT_EQ(Xxh64("h\xc3\xa9llo"), 0x3bd06310388ebbe4ULL);
  EXPECT_EQ(Xxh64(""), 0xef46db3751d8e999ULL);
}

TEST(HashTest, ShardOfIsXxh64ModuloShardCount) {
  EXPECT_EQ(ShardOf("1", 64), 20u);
  EXPECT_EQ(ShardOf("42", 64), 57u);
  EXPECT_EQ(ShardOf("doc-7", 64), 42u);
  EXPECT_EQ(ShardOf("h\xc3\xa9llo", 64), 36u);
  EXPECT_EQ(ShardOf("1", 16), 4u);
  EXPECT_EQ(ShardOf("doc-7", 16), 10u);
  EXPECT_EQ(ShardOf("anything", 1), 0u);
}

TEST(HashTest, IntegerAndStringIdsLandOnTheSameShard) {
  EXPECT_EQ(ShardOf(pk::CanonicalId(int64_t{1}), 64), ShardOf("1", 64));
  EXPECT_EQ(ShardOf(pk::CanonicalId(uint64_t{42}), 64), ShardOf("42", 64));
}

TEST(HashTest, RendezvousScoreHashesLittleEndianShardThenNodeId) {
  EXPECT_EQ(RendezvousScore(0, "node-a"), 0x73e35798abd086fbULL);
  EXPECT_EQ(RendezvousScore(1, "node-a"), 0x8a6856983276c871ULL);
  EXPECT_EQ(RendezvousScore(63, "node-b"), 0x404eff6fd61988aeULL);
  EXPECT_EQ(RendezvousScore(7, "n1"), 0xd80f03b4362049cbULL);
  EXPECT_EQ(RendezvousScore(65536, "x"), 0x79420243e38ff7d1ULL);
}

TEST(HashTest, RendezvousScoreHandlesLongNodeIds) {
  std::string long_id(300, 'n');
  EXPECT_EQ(RendezvousScore(5, long_id), RendezvousScore(5, long_id));
  EXPECT_NE(RendezvousScore(5, long_id), RendezvousScore(6, long_id));
}

}  // namespace
}  // namespace miroir
