// Text helpers of the document write path (internal to core): JSON values
// printed the way Rust's serde_json prints them, since Meilisearch quotes
// documents and ids in its error messages with serde_json, plus the two SIMD
// primitives borrowed from simdjson.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace miroir::internal {

// A finite double as serde_json (1.0.150, Meilisearch's) prints it: shortest
// round-trip digits, `.0` on integral values, exponent form outside
// [1e-5, 1e16): 100.0, 0.5, 0.00001, 1e+16, 1.5e-7, -0.0.
std::string FormatF64(double value);

// Whether `token` is an integer serde_json keeps as an integer: decimal
// digits without leading zero, fraction or exponent, within u64 when
// positive, within i64 when negative, and not `-0` (which serde_json reads
// as the float -0.0). Such a token is also exactly the decimal text
// pk::CanonicalId prints for its value.
bool IsSerdeInteger(std::string_view token);

// A JSON number token as serde_json::Value prints it: integers as is, the
// rest as f64 (1e2 -> 100.0, 18446744073709551616 -> 1.8446744073709552e+19).
std::string SerdeNumber(std::string_view token);

// Decodes the body of a valid JSON string (the bytes between the quotes)
// into UTF-8. A lone surrogate becomes U+FFFD.
void DecodeJsonString(std::string_view body, std::string* out);

// The end of the valid JSON value starting at `pos` (no leading whitespace).
// REQUIRES: `json` is valid JSON from `pos` on.
size_t SkipValidValue(std::string_view json, size_t pos);

// A valid JSON value re-printed as serde_json::to_string prints it after
// parsing it into a Value with `preserve_order` (as Meilisearch does): no
// whitespace, strings re-escaped, numbers as SerdeNumber, and a key repeated
// in an object keeps its first position with its last value.
std::string SerdeCompact(std::string_view json);

// Offset of the first byte of `s` that is not part of valid UTF-8, or
// s.size() when it is all valid. Uses simdjson's validator for the fast case.
size_t FirstInvalidUtf8(std::string_view s);

// Copies `json` to `dst` without whitespace outside strings (simdjson's
// minifier) and returns the length written. `dst` must hold json.size()
// bytes. REQUIRES: every string in `json` is terminated.
size_t MinifyJson(std::string_view json, char* dst);

}  // namespace miroir::internal
