// Error messages for JSON request bodies worded exactly as Meilisearch's
// deserializer (the `deserr` crate) words them, so that clients matching on
// messages see the same text from the test node:
//
//   Invalid value type at `.limit`: expected a positive integer, but found a string: `"x"`
//   Unknown field `filler`: did you mean `filter`? expected one of `q`, `filter`
//   Unknown value `doggo` at `.matchingStrategy`: expected one of `last`, `all`
//   Missing field `facetName`
//   Invalid value at `.maxTotalHits`: <detail>
//
// A location is written the way the messages print it: "" for the body
// itself, ".key", ".key[3].sub". Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode::deserr {

// The JSON value kinds the messages distinguish.
enum Kind : uint8_t {
  kNull = 1 << 0,
  kBoolean = 1 << 1,
  kPositiveInteger = 1 << 2,
  kNegativeInteger = 1 << 3,
  kFloat = 1 << 4,
  kString = 1 << 5,
  kArray = 1 << 6,
  kObject = 1 << 7,
  kAnyNumber = kPositiveInteger | kNegativeInteger | kFloat,
};

// The kind of a value as the messages see it (an unsigned or zero integer is
// "positive", a signed negative one "negative", anything with a fraction or
// exponent a float).
Kind KindOf(const nlohmann::json& value);

// "a positive integer", "null or a number", "a boolean, a string, or an array"...
std::string DescribeKinds(unsigned kinds);
// "a string: `\"doggo\"`", "null", "an array: `[1,2]`".
std::string DescribeValue(const nlohmann::json& value);

// Appends a key or an index to a location.
std::string Key(std::string_view location, std::string_view key);
std::string Index(std::string_view location, size_t index);

Error InvalidType(ErrorCode code, std::string_view location, unsigned expected,
                  const nlohmann::json& found);
Error UnknownKey(ErrorCode code, std::string_view location, std::string_view key,
                 const std::vector<std::string_view>& accepted);
Error UnknownValue(ErrorCode code, std::string_view location, std::string_view value,
                   const std::vector<std::string_view>& accepted);
Error MissingField(ErrorCode code, std::string_view location, std::string_view field);
// "Invalid value at `<location>`: <detail>" ("Invalid value: <detail>" at the root).
Error Unexpected(ErrorCode code, std::string_view location, std::string_view detail);

// The "did you mean `x`? " fragment (with its trailing space), or "".
std::string DidYouMean(std::string_view received, const std::vector<std::string_view>& accepted);
// Unrestricted Damerau-Levenshtein distance over bytes.
size_t DamerauLevenshtein(std::string_view a, std::string_view b);

// Helpers for the common shapes. Each returns an error for a value that is
// not of the expected shape; `code` is the error code of the field.
Result<void> ExpectKind(ErrorCode code, std::string_view location, const nlohmann::json& value,
                        unsigned kinds);
Result<void> ExpectStringArray(ErrorCode code, std::string_view location,
                               const nlohmann::json& value);
// A non-negative integer that fits `max`; deserr's wording for overflow.
Result<uint64_t> ExpectUnsigned(ErrorCode code, std::string_view location,
                                const nlohmann::json& value, uint64_t max,
                                std::string_view rust_type);

}  // namespace miroir::testnode::deserr
