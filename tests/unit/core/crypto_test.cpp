#include "miroir/core/crypto.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace miroir::crypto {
namespace {

void ExpectVersion4(const std::string& uuid) {
  ASSERT_TRUE(IsUuid(uuid)) << uuid;
  EXPECT_EQ(uuid[14], '4') << uuid;
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
  EXPECT_EQ(uuid, [&] {
    std::string lower = uuid;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
  }());
}

TEST(UuidTest, BothGeneratorsMakeDistinctVersion4Uuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string secure = RandomUuidV4(), fast = FastUuidV4();
    ExpectVersion4(secure);
    ExpectVersion4(fast);
    seen.insert(secure);
    seen.insert(fast);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(UuidTest, IsUuidRejectsOtherShapes) {
  EXPECT_TRUE(IsUuid("123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_TRUE(IsUuid("123E4567-E89B-42D3-A456-426614174000"));
  EXPECT_FALSE(IsUuid("123e4567e89b42d3a456426614174000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-42d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid(""));
}

TEST(HmacTest, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace miroir::crypto
