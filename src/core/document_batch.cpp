#include "miroir/core/document_batch.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/document_sink.hpp"
#include "core/document_text.hpp"
#include "core/json_write.hpp"
#include "miroir/core/hash.hpp"

namespace miroir {
namespace {

constexpr std::string_view kAcceptedTypes =
    "Accepted values for the Content-Type header are: `application/json`, "
    "`application/x-ndjson`, `text/csv`";

// RFC 7230 `tchar`, the characters of a media type token.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Meilisearch reads the header with the `mime` crate: `type/subtype`, then
// optionally `;` or a space and `name=value` parameters (a value may be
// quoted). Returns the lowercase `type/subtype`, or nullopt when the header
// is not a media type at all.
std::optional<std::string> MediaEssence(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n && IsTokenChar(s[i])) ++i;
  if (i == 0 || i >= n || s[i] != '/') return std::nullopt;
  ++i;
  const size_t subtype_begin = i;
  while (i < n && IsTokenChar(s[i])) ++i;
  if (i == subtype_begin) return std::nullopt;
  const size_t essence_end = i;
  if (i < n) {
    if (s[i] != ';' && s[i] != ' ') return std::nullopt;
    ++i;
    while (i < n) {
      if (s[i] == ' ') {
        ++i;
        continue;
      }
      const size_t name_begin = i;
      while (i < n && IsTokenChar(s[i])) ++i;
      if (i == name_begin || i >= n || s[i] != '=') return std::nullopt;
      ++i;
      if (i < n && s[i] == '"') {
        ++i;
        while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
        if (i >= n) return std::nullopt;
        ++i;
      } else {
        const size_t value_begin = i;
        while (i < n && IsTokenChar(s[i])) ++i;
        if (i == value_begin) return std::nullopt;
      }
      if (i < n) {
        if (s[i] != ';') return std::nullopt;
        ++i;
      }
    }
  }
  std::string essence(s.substr(0, essence_end));
  for (char& c : essence) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return essence;
}

// serde's description of an unexpected JSON value in "invalid type" errors.
std::string UnexpectedPhrase(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string: {
      std::string out = "string ";
      json_write::AppendString(&out, value.get_ref<const std::string&>());
      return out;
    }
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "boolean `true`" : "boolean `false`";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer `" + value.dump() + "`";
    case nlohmann::json::value_t::number_float:
      return "floating point `" + internal::FormatF64(value.get<double>()) + "`";
    case nlohmann::json::value_t::object: return "map";
    case nlohmann::json::value_t::array: return "sequence";
    default: return "null";
  }
}

void AppendDecimal(uint64_t value, std::string* out) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out->append(buf, end);
}

}  // namespace

std::string_view PayloadFormatName(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kJson: return "json";
    case PayloadFormat::kNdjson: return "ndjson";
    case PayloadFormat::kCsv: return "csv";
  }
  return "json";
}

std::string_view PayloadContentType(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kJson: return "application/json";
    case PayloadFormat::kNdjson: return "application/x-ndjson";
    case PayloadFormat::kCsv: return "text/csv";
  }
  return "application/json";
}

Result<PayloadFormat> PayloadFormatFromContentType(std::optional<std::string_view> content_type,
                                                   bool has_csv_delimiter) {
  if (!content_type) {
    return Error(ErrorCode::kMissingContentType,
                 "A Content-Type header is missing. " + std::string(kAcceptedTypes));
  }
  const std::optional<std::string> essence = MediaEssence(*content_type);
  // Meilisearch quotes the raw header when it does not parse, and the parsed
  // `type/subtype` (lowercase, without parameters) when it is not accepted.
  const std::string shown = essence ? *essence : std::string(*content_type);
  PayloadFormat format;
  if (essence && *essence == "application/json") {
    format = PayloadFormat::kJson;
  } else if (essence && *essence == "application/x-ndjson") {
    format = PayloadFormat::kNdjson;
  } else if (essence && *essence == "text/csv") {
    format = PayloadFormat::kCsv;
  } else {
    return Error(ErrorCode::kInvalidContentType,
                 "The Content-Type `" + shown + "` is invalid. " + std::string(kAcceptedTypes));
  }
  if (has_csv_delimiter && format != PayloadFormat::kCsv) {
    return Error(ErrorCode::kInvalidContentType,
                 "The Content-Type `" + std::string(PayloadContentType(format)) +
                     "` does not support the use of a csv delimiter. The csv delimiter can only "
                     "be used with the Content-Type `text/csv`.");
  }
  return format;
}

// ---------------------------------------------------------------------------
// ShardedDocuments

std::vector<uint32_t> ShardedDocuments::shards() const {
  std::vector<uint32_t> present;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].count > 0) present.push_back(static_cast<uint32_t>(s));
  }
  return present;
}

size_t ShardedDocuments::CountFor(uint32_t shard) const {
  return shard < slots_.size() ? slots_[shard].count : 0;
}

size_t ShardedDocuments::BodySize(const std::vector<uint32_t>& shards) const {
  std::vector<bool> seen(slots_.size());
  size_t bytes = 0;
  size_t parts = 0;
  for (uint32_t s : shards) {
    if (s >= slots_.size() || seen[s] || slots_[s].count == 0) continue;
    seen[s] = true;
    bytes += slots_[s].bytes.size();
    ++parts;
  }
  switch (format_) {
    case PayloadFormat::kJson: return bytes + 2 + (parts > 0 ? parts - 1 : 0);
    case PayloadFormat::kNdjson: return bytes;
    case PayloadFormat::kCsv: return csv_header_.size() + 1 + bytes;
  }
  return bytes;
}

void ShardedDocuments::AppendBody(const std::vector<uint32_t>& shards, std::string* out) const {
  out->reserve(out->size() + BodySize(shards));
  if (format_ == PayloadFormat::kJson) out->push_back('[');
  if (format_ == PayloadFormat::kCsv) {
    out->append(csv_header_);
    out->push_back('\n');
  }
  // The shard buffers are already framed (JSON documents joined by commas,
  // NDJSON and CSV one per line), so a body is one copy per shard.
  std::vector<bool> seen(slots_.size());
  bool first = true;
  for (uint32_t s : shards) {
    if (s >= slots_.size() || seen[s] || slots_[s].count == 0) continue;
    seen[s] = true;
    if (format_ == PayloadFormat::kJson && !first) out->push_back(',');
    first = false;
    out->append(slots_[s].bytes);
  }
  if (format_ == PayloadFormat::kJson) out->push_back(']');
}

std::string ShardedDocuments::BuildBody(const std::vector<uint32_t>& shards) const {
  std::string body;
  AppendBody(shards, &body);
  return body;
}

// ---------------------------------------------------------------------------
// DocumentSink

namespace internal {

DocumentSink::DocumentSink(ShardedDocuments* out, PayloadFormat format, char csv_delimiter,
                           uint32_t shard_count, const StampOptions& stamp, size_t payload_size)
    : out_(out),
      format_(format),
      delimiter_(csv_delimiter),
      shard_count_(shard_count),
      anti_entropy_(stamp.anti_entropy),
      updated_at_(std::to_string(stamp.updated_at_ms)) {
  out_->format_ = format;
  out_->csv_delimiter_ = format == PayloadFormat::kCsv ? csv_delimiter : ',';
  out_->slots_.resize(shard_count);
  // Sized for an even spread plus the spliced fields, so a shard buffer
  // usually grows at most once.
  const size_t per_shard = payload_size / shard_count;
  slot_reserve_ = std::max<size_t>(256, per_shard + per_shard / 4 + 64);
}

void DocumentSink::FailTask(Error error) {
  if (out_->task_error_) return;
  out_->task_error_ = std::move(error);
  out_->slots_.assign(shard_count_, ShardedDocuments::Slot{});
}

void DocumentSink::SetPrimaryKey(std::string primary_key, bool inferred) {
  out_->primary_key_ = std::move(primary_key);
  out_->primary_key_inferred_ = inferred;
}

std::string& DocumentSink::Open(uint32_t shard) {
  ShardedDocuments::Slot& slot = out_->slots_[shard];
  if (slot.count++ == 0) slot.bytes.reserve(slot_reserve_);
  return slot.bytes;
}

void DocumentSink::AppendDigest(uint64_t digest, std::string* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[16];
  for (int i = 15; i >= 0; --i) {
    hex[i] = kHex[digest & 0xf];
    digest >>= 4;
  }
  out->append(hex, sizeof(hex));
}

void DocumentSink::AddJson(std::string_view canonical_id, std::string_view document,
                           bool compact) {
  const uint32_t shard = ShardOf(canonical_id, shard_count_);
  std::string& out = Open(shard);
  if (format_ == PayloadFormat::kJson && !out.empty()) out.push_back(',');
  out.append("{\"_miroir_shard\":");
  AppendDecimal(shard, &out);
  if (anti_entropy_) {
    out.append(",\"_miroir_updated_at\":");
    out.append(updated_at_);
    out.append(",\"_miroir_digest\":\"");
    std::string_view canonical = document;
    if (!compact) {
      if (minified_.size() < document.size()) minified_.resize(document.size() * 2);
      canonical = std::string_view(minified_.data(), MinifyJson(document, minified_.data()));
    }
    AppendDigest(Xxh64(canonical), &out);
    out.push_back('"');
  }
  out.push_back(',');
  out.append(document.substr(1));  // everything after the opening brace, untouched
  if (format_ == PayloadFormat::kNdjson) out.push_back('\n');
}

void DocumentSink::SetCsvHeader(std::string_view header) {
  std::string& out = out_->csv_header_;
  out.assign(header);
  out.push_back(delimiter_);
  out.append("_miroir_shard:number");
  if (anti_entropy_) {
    out.push_back(delimiter_);
    out.append("_miroir_updated_at:number");
    out.push_back(delimiter_);
    out.append("_miroir_digest:string");
  }
}

void DocumentSink::AddCsv(std::string_view canonical_id, std::string_view record,
                          bool close_quote) {
  const uint32_t shard = ShardOf(canonical_id, shard_count_);
  std::string& out = Open(shard);
  out.append(record);
  if (close_quote) out.push_back('"');
  out.push_back(delimiter_);
  AppendDecimal(shard, &out);
  if (anti_entropy_) {
    out.push_back(delimiter_);
    out.append(updated_at_);
    out.push_back(delimiter_);
    AppendDigest(Xxh64(record), &out);
  }
  out.push_back('\n');
}

Error ReservedFieldError(std::string_view field, std::optional<size_t> index) {
  std::string message;
  if (index) {
    message = "The document at index " + std::to_string(*index) + " has the field `" +
              std::string(field) + "`";
  } else {
    message = "The CSV header has the column `" + std::string(field) + "`";
  }
  message +=
      ", but fields starting with `_miroir_` are reserved by Miroir (`_miroir_expires_at` "
      "aside).";
  return Error(ErrorCode::kMiroirReservedField, std::move(message));
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Entry points

Result<ShardedDocuments> ShardDocuments(std::string_view payload, PayloadFormat format,
                                        char csv_delimiter,
                                        const std::optional<std::string>& primary_key,
                                        uint32_t shard_count, const StampOptions& stamp) {
  if (payload.empty()) {
    return Error(ErrorCode::kMissingPayload,
                 "A " + std::string(PayloadFormatName(format)) + " payload is missing.");
  }
  ShardedDocuments out;
  {
    internal::DocumentSink sink(&out, format, csv_delimiter, shard_count, stamp,
                                payload.size());
    if (primary_key) sink.SetPrimaryKey(*primary_key, false);
    const Result<void> split =
        format == PayloadFormat::kCsv
            ? internal::SplitCsv(payload, csv_delimiter, primary_key, &sink)
            : internal::SplitJson(payload, format, primary_key, &sink);
    if (!split) return split.error();
  }
  return out;
}

std::string DeleteIdText(const nlohmann::json& id) {
  switch (id.type()) {
    case nlohmann::json::value_t::string: return id.get<std::string>();
    case nlohmann::json::value_t::number_float:
      return internal::FormatF64(id.get<double>());
    default: return id.dump();
  }
}

Result<std::map<uint32_t, std::vector<std::string>>> ShardIds(const nlohmann::json& ids,
                                                              uint32_t shard_count) {
  if (!ids.is_array()) {
    return Error(ErrorCode::kBadRequest, "Json deserialize error: invalid type: " +
                                             UnexpectedPhrase(ids) + ", expected a sequence");
  }
  std::map<uint32_t, std::vector<std::string>> by_shard;
  for (const nlohmann::json& id : ids) {
    std::string text = DeleteIdText(id);
    by_shard[ShardOf(text, shard_count)].push_back(std::move(text));
  }
  return by_shard;
}

}  // namespace miroir
