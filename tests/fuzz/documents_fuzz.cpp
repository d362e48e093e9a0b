// Fuzzes document payloads (miroir/core/document_batch.hpp): JSON, NDJSON
// and CSV bodies through primary-key extraction, routing and splicing.
//
// Input: one line of options, then the payload. The options line names the
// format ("json", "ndjson" or "csv"; json by default) and optionally
// `pk=<key>` (the index's primary key; inferred when absent), `shards=<n>`
// (1..16, default 3), `delim=<c>` (CSV delimiter) and `ae` (anti-entropy
// stamps), e.g. "ndjson pk=id shards=4 ae".
//
// Invariants beyond "no crash":
//  - a refused payload gets a request error (4xx, non-empty message);
//  - an accepted payload routes every document when no task error is set;
//    shards are ascending and within range, and their counts add up;
//  - every shard's body has exactly BodySize bytes and is valid in its
//    format: JSON is an array of objects, NDJSON a stream of objects, CSV
//    re-reads with the header's field count; each document starts with (CSV:
//    ends with) the reserved fields, `_miroir_shard` naming its shard;
//  - a delete-batch body (a JSON array) groups every id onto a valid shard.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "fuzz_util.hpp"
#include "miroir/core/csv.hpp"
#include "miroir/core/document_batch.hpp"

namespace {

using namespace miroir;

struct Options {
  PayloadFormat format = PayloadFormat::kJson;
  std::optional<std::string> primary_key;
  uint32_t shard_count = 3;
  char delimiter = ',';
  bool anti_entropy = false;
};

Options ParseOptions(std::string_view line) {
  Options o;
  for (std::string_view word : fuzz::Words(line)) {
    if (word == "ndjson") o.format = PayloadFormat::kNdjson;
    if (word == "csv") o.format = PayloadFormat::kCsv;
    if (word == "ae") o.anti_entropy = true;
    // An empty key is left out: whether `?primaryKey=` (empty) must be
    // refused is the API's question (docs/fuzzing.md, "Open findings").
    if (word.starts_with("pk=") && word.size() > 3) o.primary_key = std::string(word.substr(3));
    if (word.starts_with("shards=") && word.size() > 7) {
      uint32_t n = 0;
      for (char c : word.substr(7)) n = (n * 10 + static_cast<uint32_t>(c - '0')) % 1000;
      o.shard_count = 1 + n % 16;
    }
    if (word.starts_with("delim=") && word.size() > 6) o.delimiter = word[6];
  }
  return o;
}

size_t ReservedFieldCount(const Options& o) { return o.anti_entropy ? 3 : 1; }

void CheckJsonDocument(simdjson::dom::element doc, uint32_t shard, const Options& o,
                       const std::string& body) {
  simdjson::dom::object object;
  FUZZ_CHECK(doc.get(object) == simdjson::SUCCESS, "document is not an object: " + body);
  auto it = object.begin();
  FUZZ_CHECK(it != object.end(), "empty document: " + body);
  FUZZ_CHECK(it.key() == "_miroir_shard", "first member is not _miroir_shard: " + body);
  uint64_t value = 0;
  FUZZ_CHECK(it.value().get(value) == simdjson::SUCCESS && value == shard, body);
  if (o.anti_entropy) {
    ++it;
    FUZZ_CHECK(it != object.end() && it.key() == "_miroir_updated_at", body);
    ++it;
    std::string_view digest;
    FUZZ_CHECK(it != object.end() && it.key() == "_miroir_digest", body);
    FUZZ_CHECK(it.value().get(digest) == simdjson::SUCCESS && digest.size() == 16, body);
  }
  ++it;
  FUZZ_CHECK(it != object.end(), "a routed document has its id after the stamps: " + body);
}

void CheckJsonBody(const std::string& raw, uint32_t shard, size_t count, const Options& o) {
  const std::string body = fuzz::TameNumbers(raw);
  static simdjson::dom::parser parser;
  FUZZ_CHECK(parser.allocate(body.size() + 64, body.size() / 2 + 4) == simdjson::SUCCESS, body);
  simdjson::dom::array array;
  FUZZ_CHECK(parser.parse(body).get(array) == simdjson::SUCCESS, "invalid JSON body: " + raw);
  FUZZ_CHECK(array.size() == count, body);
  for (simdjson::dom::element doc : array) CheckJsonDocument(doc, shard, o, body);
}

void CheckNdjsonBody(const std::string& raw, uint32_t shard, size_t count, const Options& o) {
  // Documents separated by line breaks; one may span lines, as in the client's
  // payload (its bytes are kept), which Meilisearch's NDJSON reader accepts.
  FUZZ_CHECK(raw.empty() || raw.back() == '\n', "NDJSON body without final line break: " + raw);
  const std::string body = fuzz::TameNumbers(raw);
  static simdjson::dom::parser parser;
  FUZZ_CHECK(parser.allocate(body.size() + 64, body.size() / 2 + 4) == simdjson::SUCCESS, body);
  simdjson::dom::document_stream stream;
  FUZZ_CHECK(parser.parse_many(body, body.size() + 64).get(stream) == simdjson::SUCCESS, body);
  size_t seen = 0;
  for (auto doc : stream) {
    simdjson::dom::element element;
    FUZZ_CHECK(doc.get(element) == simdjson::SUCCESS, "invalid NDJSON body: " + raw);
    CheckJsonDocument(element, shard, o, body);
    ++seen;
  }
  FUZZ_CHECK(seen == count, body);
}

void CheckCsvBody(const std::string& body, uint32_t shard, size_t count, const Options& o) {
  csv::Reader reader(body, o.delimiter);
  csv::Record header;
  FUZZ_CHECK(reader.Next(header), "CSV body without header: " + body);
  const size_t fields = header.fields.size();
  FUZZ_CHECK(fields > ReservedFieldCount(o), body);
  FUZZ_CHECK(header.fields[fields - ReservedFieldCount(o)].text == "_miroir_shard:number", body);
  size_t seen = 0;
  csv::Record record;
  while (reader.Next(record)) {
    FUZZ_CHECK(record.fields.size() == fields, body);
    FUZZ_CHECK(record.fields[fields - ReservedFieldCount(o)].text == std::to_string(shard), body);
    ++seen;
  }
  FUZZ_CHECK(!reader.error(), "CSV body does not re-read: " + reader.error()->message + "\n" + body);
  FUZZ_CHECK(seen == count, body);
}

void CheckSharded(const ShardedDocuments& docs, const Options& o) {
  const std::vector<uint32_t> shards = docs.shards();
  if (docs.task_error()) {
    FUZZ_CHECK(shards.empty(), "a failed task routed documents");
    FUZZ_CHECK(!docs.task_error()->message.empty(), "empty task error");
    return;
  }
  size_t routed = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    FUZZ_CHECK(shards[i] < o.shard_count, "shard out of range");
    FUZZ_CHECK(i == 0 || shards[i - 1] < shards[i], "shards not ascending");
    const size_t count = docs.CountFor(shards[i]);
    FUZZ_CHECK(count > 0, "listed shard without documents");
    routed += count;
    const std::string body = docs.BuildBody({shards[i]});
    FUZZ_CHECK(body.size() == docs.BodySize({shards[i]}), "BodySize differs from BuildBody");
    switch (o.format) {
      case PayloadFormat::kJson: CheckJsonBody(body, shards[i], count, o); break;
      case PayloadFormat::kNdjson: CheckNdjsonBody(body, shards[i], count, o); break;
      case PayloadFormat::kCsv: CheckCsvBody(body, shards[i], count, o); break;
    }
  }
  FUZZ_CHECK(routed == docs.document_count(), "documents lost or duplicated by routing");
  FUZZ_CHECK(docs.document_count() == 0 || !docs.primary_key().empty(), "routed without a key");
  FUZZ_CHECK(docs.BuildBody(shards).size() == docs.BodySize(shards), "BodySize of all shards");
}

void CheckDeleteBatch(std::string_view payload, uint32_t shard_count) {
  const auto ids = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (ids.is_discarded()) return;
  auto grouped = ShardIds(ids, shard_count);
  if (!ids.is_array()) {
    FUZZ_CHECK(!grouped, "ShardIds accepted a non-array");
    return;
  }
  FUZZ_CHECK(grouped.has_value(), grouped.error().message);
  size_t total = 0;
  for (const auto& [shard, texts] : *grouped) {
    FUZZ_CHECK(shard < shard_count, "id shard out of range");
    total += texts.size();
  }
  FUZZ_CHECK(total == ids.size(), "delete-batch ids lost");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input input(data, size);
  const Options options = ParseOptions(input.Until("\n"));
  const std::string_view payload = input.Rest();

  const StampOptions stamp{options.anti_entropy, 1700000000123};
  auto sharded = ShardDocuments(payload, options.format, options.delimiter, options.primary_key,
                                options.shard_count, stamp);
  if (!sharded) {
    const Error& e = sharded.error();
    FUZZ_CHECK(e.status >= 400 && e.status < 500, e.ToJson());
    FUZZ_CHECK(!e.message.empty(), "empty request error");
  } else {
    FUZZ_CHECK(sharded->format() == options.format, "format changed");
    CheckSharded(*sharded, options);
  }
  if (options.format == PayloadFormat::kJson) CheckDeleteBatch(payload, options.shard_count);
  return 0;
}
