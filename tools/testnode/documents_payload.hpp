// Decoding of document payloads (POST/PUT /indexes/{uid}/documents) in the
// three formats Meilisearch accepts, with Meilisearch's errors:
//
//   application/json      an array of objects, or a single object
//   application/x-ndjson  objects separated by whitespace
//   text/csv              a header row of `name[:type]` columns, then records;
//                         `number` cells become numbers (empty: null),
//                         `boolean` cells true/false (empty: null), `string`
//                         (the default) cells strings, an empty one null.
//
// Errors: missing_content_type / invalid_content_type (415) listing the
// accepted types, invalid_content_type when a CSV delimiter comes with a
// non-CSV type, missing_payload for an empty body, malformed_payload with
// serde_json's or the csv crate's wording otherwise. All are synchronous
// (400/415 before any task is enqueued) in Meilisearch.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode {

// `content_type` is the raw Content-Type header (nullopt when absent);
// parameters such as `; charset=utf-8` are ignored. `csv_delimiter` is the
// `csvDelimiter` query parameter (nullopt when absent; validating that it is
// one ASCII character is the caller's job).
Result<std::vector<nlohmann::ordered_json>> ParseDocumentsPayload(
    std::optional<std::string_view> content_type, std::string_view body,
    std::optional<char> csv_delimiter);

// Shorthand: an empty `content_type` counts as absent and `csv_delimiter` is
// used for CSV only (no delimiter/type mismatch check).
Result<std::vector<nlohmann::ordered_json>> ParseDocumentsPayload(std::string_view content_type,
                                                                   std::string_view body,
                                                                   char csv_delimiter = ',');

}  // namespace miroir::testnode
