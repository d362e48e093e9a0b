// Primary keys as Meilisearch understands them: inference from a document's
// fields, and validation of document ids.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"

namespace miroir::pk {

// Infers the primary key from the top-level field names of the first document
// of a batch, exactly as Meilisearch does: the candidates are the fields whose
// name, lowercased, ends with "id" ("id", "userId", "ISBN_ID", but also
// "paid", "valid"); one candidate wins, none is
// index_primary_key_no_candidate_found, more than one is
// index_primary_key_multiple_candidates_found (with Meilisearch's messages,
// listing the count and the first two candidates in byte order). An empty
// batch has no candidate.
Result<std::string> Infer(const std::vector<std::string_view>& field_names);

// Validates a string document id: 1 to 511 bytes of ASCII letters, digits,
// '-' and '_'. On error: invalid_document_id with Meilisearch's message,
// quoting the id as a JSON string.
Result<void> ValidateStringId(std::string_view id);

// The canonical text of an id: a string id as is, an integer id in decimal.
// This is what Miroir hashes, so 1 and "1" land on the same shard.
std::string CanonicalId(std::int64_t id);
std::string CanonicalId(std::uint64_t id);

// The error Meilisearch reports for a document whose primary-key value is
// neither an integer nor a valid string (floats, booleans, objects, ...).
// `value_json` is the offending value printed as JSON.
Error InvalidIdError(std::string_view value_json);
// The error for a document without its primary key field.
// `document_json` is the document printed as JSON.
Error MissingIdError(std::string_view primary_key, std::string_view document_json);
// The error for a nested primary key ("a.b") that matches more than one value
// in the document (invalid_document_id).
Error TooManyIdsError(std::string_view primary_key, std::string_view document_json);

}  // namespace miroir::pk
