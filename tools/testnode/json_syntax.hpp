// Syntax checking of JSON text with the error messages of Rust's serde_json,
// which Meilisearch copies into its malformed_payload errors:
//
//   key must be a string at line 1 column 14
//   EOF while parsing an object at line 1 column 22
//   trailing characters at line 1 column 9
//
// Lines count from 1; a column is the 1-based byte offset in its line of the
// byte that revealed the error (the last byte of the input for EOF errors).
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace miroir::testnode::json_syntax {

// The message of the first syntax error of a single JSON value (surrounding
// whitespace allowed), or nullopt when `text` is valid.
std::optional<std::string> CheckValue(std::string_view text);

// As CheckValue for a stream of JSON values separated by optional
// whitespace, as NDJSON is read. Empty input is valid. When `spans` is given
// it receives the [begin, end) byte range of each value.
std::optional<std::string> CheckStream(std::string_view text,
                                       std::vector<std::pair<size_t, size_t>>* spans = nullptr);

}  // namespace miroir::testnode::json_syntax
