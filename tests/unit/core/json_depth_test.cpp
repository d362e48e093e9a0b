#include "miroir/core/json_depth.hpp"

#include <string>

#include <gtest/gtest.h>

namespace miroir {
namespace {

std::string Nested(size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

TEST(JsonDepthTest, CountsArraysAndObjectsTogether) {
  EXPECT_FALSE(JsonNestsDeeperThan("{}", 1));
  EXPECT_TRUE(JsonNestsDeeperThan("{\"a\":[1]}", 1));
  EXPECT_FALSE(JsonNestsDeeperThan("{\"a\":[1]}", 2));
  EXPECT_FALSE(JsonNestsDeeperThan(Nested(256), 256));
  EXPECT_TRUE(JsonNestsDeeperThan(Nested(257), 256));
  // Siblings do not add up.
  EXPECT_FALSE(JsonNestsDeeperThan("[[1],[2],[[3]]]", 3));
}

TEST(JsonDepthTest, BracketsInsideStringsDoNotCount) {
  EXPECT_FALSE(JsonNestsDeeperThan("{\"q\":\"[[[[{{{{\"}", 1));
  // An escaped quote does not end the string.
  EXPECT_FALSE(JsonNestsDeeperThan("{\"q\":\"\\\"[[[[\"}", 1));
  EXPECT_FALSE(JsonNestsDeeperThan("{\"q\":\"\\\\\"}", 1));
  EXPECT_TRUE(JsonNestsDeeperThan("{\"q\":\"\\\\\",\"r\":[[]]}", 2));
}

TEST(JsonDepthTest, HugeOrBrokenInputIsScannedWithoutRecursion) {
  EXPECT_TRUE(JsonNestsDeeperThan(std::string(10'000'000, '['), 256));
  EXPECT_FALSE(JsonNestsDeeperThan(std::string(10'000'000, ']'), 1));
  EXPECT_FALSE(JsonNestsDeeperThan("\"unterminated [[[[", 1));
  EXPECT_FALSE(JsonNestsDeeperThan("", 1));
}

}  // namespace
}  // namespace miroir
