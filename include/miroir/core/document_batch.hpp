// The write path's pure core: a client's document payload (POST/PUT
// /indexes/{uid}/documents) split into per-shard node request bodies, with
// Miroir's reserved fields spliced into the raw document bytes, and document
// ids (POST /documents/delete-batch) grouped by shard.
//
// Meilisearch checks a payload in two stages, and Miroir keeps the split:
//  1. Request errors, answered synchronously (400/415) before any task exists:
//     missing_content_type, invalid_content_type, missing_payload,
//     malformed_payload (with Meilisearch's serde_json / csv texts and
//     positions), and Miroir's miroir_reserved_field. ShardDocuments returns
//     these as its Result's error.
//  2. Task errors, which Meilisearch reports by FAILING the enqueued task:
//     index_primary_key_no_candidate_found,
//     index_primary_key_multiple_candidates_found, missing_document_id,
//     invalid_document_id. ShardDocuments returns a value whose task_error()
//     is set; the caller records a failed task (receivedDocuments =
//     document_count(), indexedDocuments = 0) and sends nothing to the nodes.
// A request error anywhere in the payload wins over a task error.
//
// Pure functions and value types; no I/O. Thread-safe: distinct calls share
// nothing, and a ShardedDocuments may be read from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "miroir/core/error.hpp"

namespace miroir {

enum class PayloadFormat { kJson, kNdjson, kCsv };

// "json", "ndjson" or "csv", as Meilisearch names the formats in its messages.
std::string_view PayloadFormatName(PayloadFormat format);
// The Content-Type to send to nodes: application/json, application/x-ndjson,
// text/csv.
std::string_view PayloadContentType(PayloadFormat format);

// The payload format named by a Content-Type header value, as Meilisearch
// decides it. `content_type` is nullopt when the header is absent (an empty
// value is present, and invalid). Parameters (`; charset=utf-8`) are ignored
// and the type/subtype match is case-insensitive. `has_csv_delimiter` says
// whether the request carried the `csvDelimiter` query parameter. Errors, with
// Meilisearch's texts:
//  - missing_content_type (415) when the header is absent;
//  - invalid_content_type (415) for anything but application/json,
//    application/x-ndjson and text/csv (the message quotes the raw header when
//    it is not a media type at all, else `type/subtype` in lowercase);
//  - invalid_content_type (415) when a csv delimiter comes with JSON/NDJSON.
Result<PayloadFormat> PayloadFormatFromContentType(std::optional<std::string_view> content_type,
                                                   bool has_csv_delimiter = false);

// Anti-entropy stamping. When `anti_entropy` is on, every document also gets
// `_miroir_updated_at` (integer milliseconds, `updated_at_ms`) and
// `_miroir_digest`: the xxh64 (seed 0, 16 lowercase hex digits) of the
// client's document in canonical form — its raw JSON bytes with every
// whitespace byte outside strings removed; for CSV, the raw bytes of its
// record as received (without the line break).
struct StampOptions {
  bool anti_entropy = false;
  int64_t updated_at_ms = 0;
};

namespace internal {
class DocumentSink;
}  // namespace internal

// The documents of one payload, spliced and grouped by shard. Each document
// is its client bytes untouched except that, right after the opening brace of
// its top-level object, Miroir inserts `"_miroir_shard":<n>` (and, with
// anti-entropy, `"_miroir_updated_at":<ms>,"_miroir_digest":"<hex>"`) and a
// comma: a routed document has at least its id (`{}` has none, so it is
// missing_document_id and never routed). A CSV payload instead gets
// the typed columns `_miroir_shard:number` (then `_miroir_updated_at:number`,
// `_miroir_digest:string`) appended to its header row and each record.
//
// Owns all its bytes (nothing points into the payload). Movable, immutable
// once built.
class ShardedDocuments {
 public:
  ShardedDocuments() = default;

  // The primary key used for routing: the one passed to ShardDocuments, or
  // the one inferred from the first document (then primary_key_inferred()).
  // Empty when it had to be inferred but could not be (see task_error()) or
  // the payload has no documents. The caller must forward it to every node as
  // `?primaryKey=`: nodes must not infer it on their own, as each one sees a
  // different first document.
  const std::string& primary_key() const { return primary_key_; }
  bool primary_key_inferred() const { return primary_key_inferred_; }

  // Documents in the payload, whether or not they were routed.
  size_t document_count() const { return document_count_; }
  PayloadFormat format() const { return format_; }
  // For CSV: the delimiter of the payload, kept in the bodies, so the caller
  // must forward `csvDelimiter` to nodes when it is not ','.
  char csv_delimiter() const { return csv_delimiter_; }

  // Set when Meilisearch would fail the task (see the top of this file). The
  // documents are then not routed: shards() is empty.
  const std::optional<Error>& task_error() const { return task_error_; }

  // The shards that received at least one document, ascending.
  std::vector<uint32_t> shards() const;
  // Documents routed to `shard` (0 for a shard out of range).
  size_t CountFor(uint32_t shard) const;

  // The node request body holding the documents of `shards`, in the payload's
  // format: a JSON array, NDJSON (one document per line), or CSV (the header
  // row with the extra columns, then the records). Within a shard documents
  // keep their input order, which is what matters: two versions of one
  // document always share a shard. Unknown or empty shards are skipped, so an
  // empty selection gives `[]`, an empty string, or the header row alone.
  std::string BuildBody(const std::vector<uint32_t>& shards) const;
  // Appends the same bytes to `*out` (lets a caller reuse a buffer).
  void AppendBody(const std::vector<uint32_t>& shards, std::string* out) const;
  // The exact size BuildBody would return.
  size_t BodySize(const std::vector<uint32_t>& shards) const;

 private:
  friend class internal::DocumentSink;

  struct Slot {
    std::string bytes;  // JSON: documents joined by ','; NDJSON and CSV: one per line
    size_t count = 0;
  };

  std::string primary_key_;
  bool primary_key_inferred_ = false;
  size_t document_count_ = 0;
  PayloadFormat format_ = PayloadFormat::kJson;
  char csv_delimiter_ = ',';
  std::optional<Error> task_error_;
  std::string csv_header_;  // CSV: the header row with the extra columns, no line break
  std::vector<Slot> slots_;  // indexed by shard
};

// Splits `payload` by shard. `primary_key` is the index's primary key if it
// has one, else the request's `primaryKey` parameter, else nullopt (infer it
// from the first document, as Meilisearch does). `csv_delimiter` is used for
// CSV only. REQUIRES: shard_count >= 1.
//
// What Meilisearch accepts, Miroir accepts:
//  - JSON: one object, or an array of objects. Like Meilisearch, bytes after
//    the closing ']' of an array are ignored, while bytes after a single
//    object are `trailing characters`.
//  - NDJSON: JSON objects separated by whitespace (one per line in practice;
//    blank lines are fine, and so is an object spanning lines).
//  - CSV: RFC 4180 with a typed header (see miroir/core/csv.hpp).
// Primary key: a top-level field, or a dotted path into nested objects
// (`a.b` matches {"a":{"b":1}} and {"a.b":1}; more than one match is
// invalid_document_id). Integer ids route by their decimal text, so 1 and "1"
// land on the same shard; a string id must pass pk::ValidateStringId; floats,
// booleans, null, arrays and objects are invalid_document_id. A top-level key
// repeated in a JSON document keeps its last value (Meilisearch stores JSON
// documents through a map); in NDJSON, two ids are invalid_document_id.
//
// Request errors: see the top of this file. In particular:
//  - malformed_payload for bad JSON/NDJSON/CSV, with serde_json's message and
//    line/column exactly as Meilisearch prints them (e.g. "... `Couldn't
//    serialize document value: key must be a string at line 1 column 14`."),
//    and for a JSON value that is not an object or array of objects ("data
//    are neither an object nor a list of objects"; Meilisearch answers some
//    of these with a 500, Miroir with this 400). Invalid UTF-8 is
//    malformed_payload ("invalid unicode code point at line L column C"),
//    also where Meilisearch would only fail later, in the task.
//  - miroir_reserved_field when a document has a top-level field (CSV: a
//    column) starting with `_miroir_`, other than `_miroir_expires_at` (the
//    expiry time clients may set, in milliseconds since the Unix epoch).
// The first request error in payload order is returned.
Result<ShardedDocuments> ShardDocuments(std::string_view payload, PayloadFormat format,
                                        char csv_delimiter,
                                        const std::optional<std::string>& primary_key,
                                        uint32_t shard_count, const StampOptions& stamp);

// The canonical text Meilisearch turns a delete-batch id into: a string as is,
// anything else as its compact JSON text (1 -> "1", 1.5 -> "1.5",
// true -> "true"). Meilisearch does not validate these ids: one that cannot
// be a document id simply deletes nothing.
std::string DeleteIdText(const nlohmann::json& id);

// Groups the ids of a delete-batch body (a JSON array of any values) by
// shard: shard -> canonical ids (DeleteIdText) in input order, so the caller
// can send each node `["<id>", ...]` for its shards. Never fails on an
// element. A body that is not an array is bad_request with Meilisearch's
// "Json deserialize error: invalid type: ..., expected a sequence" (without
// the line/column suffix, which only the raw text has).
// REQUIRES: shard_count >= 1.
Result<std::map<uint32_t, std::vector<std::string>>> ShardIds(const nlohmann::json& ids,
                                                              uint32_t shard_count);

}  // namespace miroir
