// Internal to core: the half of ShardDocuments shared by the JSON and CSV
// splitters. A splitter validates the payload and finds each document's id;
// the sink routes the document to its shard and writes it, reserved fields
// spliced in, to that shard's buffer.
//
// Not thread-safe; one sink per ShardDocuments call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "miroir/core/document_batch.hpp"
#include "miroir/core/error.hpp"

namespace miroir::internal {

class DocumentSink {
 public:
  // `out` must outlive the sink. REQUIRES: shard_count >= 1.
  DocumentSink(ShardedDocuments* out, PayloadFormat format, char csv_delimiter,
               uint32_t shard_count, const StampOptions& stamp, size_t payload_size);

  // False once a task error is recorded: the splitter then only validates.
  bool routing() const { return !out_->task_error_.has_value(); }
  // Records the task error (the first one wins) and drops routed documents.
  void FailTask(Error error);

  void SetPrimaryKey(std::string primary_key, bool inferred);
  void CountDocument() { ++out_->document_count_; }

  // JSON and NDJSON: `document` is the raw top-level object, braces included.
  // It has at least one member (its id), so the spliced fields always take a
  // comma after them. `compact` says it has no whitespace outside strings,
  // so its bytes already are its canonical form.
  void AddJson(std::string_view canonical_id, std::string_view document, bool compact);

  // CSV: the raw header row, then each raw record (without line break).
  // `close_quote` adds the '"' that an unterminated last field lacks, so the
  // appended columns stay outside it.
  void SetCsvHeader(std::string_view header);
  void AddCsv(std::string_view canonical_id, std::string_view record, bool close_quote);

 private:
  std::string& Open(uint32_t shard);
  void AppendDigest(uint64_t digest, std::string* out) const;

  ShardedDocuments* out_;
  PayloadFormat format_;
  char delimiter_;
  uint32_t shard_count_;
  bool anti_entropy_;
  std::string updated_at_;  // decimal text of the stamp's time
  size_t slot_reserve_;     // first allocation of a shard buffer
  std::string minified_;    // scratch for digests
};

// The format-specific halves. Both return the request error, if any; task
// errors go to the sink.
Result<void> SplitJson(std::string_view payload, PayloadFormat format,
                       const std::optional<std::string>& primary_key, DocumentSink* sink);
Result<void> SplitCsv(std::string_view payload, char delimiter,
                      const std::optional<std::string>& primary_key, DocumentSink* sink);

// miroir_reserved_field for a document field (`index` is the document's
// 0-based position in the payload) or, with no index, a CSV header column.
Error ReservedFieldError(std::string_view field, std::optional<size_t> index);
// Whether a top-level field name is reserved for Miroir. `_miroir_expires_at`
// is the one clients may write: a document's expiry time, which
// anti-entropy enforces (workers/anti_entropy.hpp).
inline bool IsReservedField(std::string_view name) {
  return name.size() >= 8 && name.substr(0, 8) == "_miroir_" && name != "_miroir_expires_at";
}

}  // namespace miroir::internal
