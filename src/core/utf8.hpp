// UTF-8 encoding and decoding for core's parsers (CSV, filters, documents,
// JSON escapes). Validity is Rust's: no truncated, overlong or surrogate
// sequence and nothing above U+10FFFF, since Meilisearch validates with it.
//
// Internal to miroir_core. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace miroir::utf8 {

// Appends the encoding of code point `cp` (at most U+10FFFF).
void Append(char32_t cp, std::string* out);

// Decodes the sequence at s[i] (REQUIRES: i < s.size()). True with its code
// point and length when it is valid; false, setting nothing, otherwise.
bool Decode(std::string_view s, size_t i, char32_t* cp, size_t* len);

}  // namespace miroir::utf8
