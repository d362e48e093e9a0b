// CSV payloads. Meilisearch turns each record into a JSON object at request
// time (so bad numbers, booleans and field counts are request errors) and
// finds ids later, in the task. Miroir keeps the CSV as CSV — nodes convert
// it themselves — and only reads what routing needs: the id column, plus the
// typed columns that could make Meilisearch refuse the payload.
//
// Two readers feed the same per-record logic (CsvRouter):
//  - a fast scanner for the common case, a payload that is valid UTF-8: it
//    finds record and field boundaries with SIMD and decodes only the fields
//    it needs, in place;
//  - csv::Reader, the reference implementation of Meilisearch's reader, for
//    payloads with invalid UTF-8, and to word the error when the fast scanner
//    meets a record of the wrong width.
// The scanner follows csv::Reader's rules byte for byte (quotes, doubled
// quotes, text after a closing quote, unterminated quotes, line breaks), so
// both see the same records; tests/unit/core/document_batch_test.cpp checks
// them against each other.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/document_sink.hpp"
#include "core/document_text.hpp"
#include "core/json_write.hpp"
#include "miroir/core/csv.hpp"
#include "miroir/core/primary_key.hpp"

namespace miroir::internal {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A subset of what Meilisearch's number cells accept (Rust's i64 or f64
// syntax): [+-]digits[.digits][e[+-]digits], no surrounding space. Anything
// else goes through csv::FieldToJson, which decides and words the error.
bool SurelyNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t int_begin = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i == int_begin) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_begin = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == frac_begin) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exp_begin = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exp_begin) return false;
  }
  return i == s.size();
}

bool SurelyValid(std::string_view text, csv::ColumnType type) {
  if (text.empty()) return true;  // null
  if (type == csv::ColumnType::kNumber) return SurelyNumber(text);
  return text == "true" || text == "false";
}

// Routing of one record, whichever reader found it.
class CsvRouter {
 public:
  CsvRouter(const std::optional<std::string>& primary_key, DocumentSink* sink) : sink_(sink) {
    if (primary_key) {
      pk_ = *primary_key;
      pk_known_ = true;
    }
  }

  Result<void> SetHeader(const csv::Record& header, std::string_view raw) {
    MIROIR_ASSIGN_OR_RETURN(columns_, csv::ParseHeader(header));
    for (const csv::Column& column : columns_) {
      if (IsReservedField(column.name)) return ReservedFieldError(column.name, std::nullopt);
    }
    sink_->SetCsvHeader(raw);
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].type != csv::ColumnType::kString) typed_.push_back(i);
    }
    if (pk_known_) FindPkColumn();
    return {};
  }

  size_t width() const { return columns_.size(); }

  // `text(i)` gives field i's text, valid until the next call.
  template <class TextFn>
  Result<void> AddRecord(std::string_view raw, bool close_quote, TextFn&& text) {
    ++record_number_;
    sink_->CountDocument();
    for (size_t i : typed_) {
      const std::string_view value = text(i);
      if (SurelyValid(value, columns_[i].type)) continue;
      Result<std::string> json = csv::FieldToJson(value, columns_[i].type, record_number_);
      if (!json) return std::move(json).error();
    }
    if (!sink_->routing()) return {};  // a task error is recorded: validate only
    if (!pk_known_) {
      // Meilisearch infers the key from the first document's fields, which
      // for CSV are the header's columns.
      std::vector<std::string_view> names;
      for (const csv::Column& column : columns_) names.push_back(column.name);
      Result<std::string> inferred = pk::Infer(names);
      if (!inferred) {
        sink_->FailTask(std::move(inferred).error());
        return {};
      }
      pk_ = *inferred;
      pk_known_ = true;
      sink_->SetPrimaryKey(pk_, true);
      FindPkColumn();
    }
    if (!pk_column_) {
      sink_->FailTask(pk::MissingIdError(pk_, RecordJson(text)));
      return {};
    }
    const csv::ColumnType type = columns_[*pk_column_].type;
    const std::string_view value = text(*pk_column_);
    std::string_view id;
    if (type == csv::ColumnType::kString) {
      // An empty string cell is null in Meilisearch's object.
      if (value.empty()) {
        sink_->FailTask(pk::InvalidIdError("null"));
        return {};
      }
      if (Result<void> valid = pk::ValidateStringId(value); !valid) {
        sink_->FailTask(std::move(valid).error());
        return {};
      }
      id = value;
    } else {
      Result<std::string> json = csv::FieldToJson(value, type, record_number_);
      id_text_ = json ? std::move(*json) : std::string("null");  // parsed above
      if (type != csv::ColumnType::kNumber || !IsSerdeInteger(id_text_)) {
        sink_->FailTask(pk::InvalidIdError(id_text_));
        return {};
      }
      id = id_text_;
    }
    sink_->AddCsv(id, raw, close_quote);
    return {};
  }

 private:
  // The id column: the last one of that name wins, as in Meilisearch's map.
  // A nested key (`a.b`) can only match a column of that exact name, since
  // CSV values are never objects.
  void FindPkColumn() {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == pk_) pk_column_ = i;
    }
  }

  // The record as the JSON object Meilisearch builds from it, for messages.
  template <class TextFn>
  std::string RecordJson(TextFn&& text) const {
    std::string object = "{";
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) object.push_back(',');
      json_write::AppendString(&object, columns_[i].name);
      object.push_back(':');
      Result<std::string> value = csv::FieldToJson(text(i), columns_[i].type, record_number_);
      object.append(value ? *value : std::string("null"));
    }
    object.push_back('}');
    // Duplicate column names collapse as they do in Meilisearch's object.
    return SerdeCompact(object);
  }

  DocumentSink* sink_;
  std::vector<csv::Column> columns_;
  std::vector<size_t> typed_;  // number and boolean columns: Meilisearch parses them
  std::string pk_;
  bool pk_known_ = false;
  std::optional<size_t> pk_column_;
  size_t record_number_ = 0;  // 1-based data row, as Meilisearch counts in messages
  std::string id_text_;
};

// Whether the record's last field opens a quote that never closes (the
// reader then runs it to the end of the input).
bool EndsInsideQuotes(std::string_view payload, const csv::Record& record) {
  if (record.fields.empty() || record.raw_end != payload.size()) return false;
  const csv::Field& last = record.fields.back();
  const std::string_view raw = payload.substr(last.raw_begin, last.raw_end - last.raw_begin);
  if (raw.empty() || raw[0] != '"') return false;
  for (size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] != '"') continue;
    if (i + 1 < raw.size() && raw[i + 1] == '"') {
      ++i;
      continue;
    }
    return false;  // closed
  }
  return true;
}

// The reference path: every record through csv::Reader.
Result<void> SplitWithReader(std::string_view payload, char delimiter,
                             const std::optional<std::string>& primary_key,
                             DocumentSink* sink) {
  csv::Reader reader(payload, delimiter);
  csv::Record record;
  if (!reader.Next(record)) {
    if (reader.error()) return *reader.error();
    return {};  // no header, no documents
  }
  CsvRouter router(primary_key, sink);
  MIROIR_RETURN_IF_ERROR(router.SetHeader(
      record, payload.substr(record.raw_begin, record.raw_end - record.raw_begin)));
  while (reader.Next(record)) {
    const std::string_view raw =
        payload.substr(record.raw_begin, record.raw_end - record.raw_begin);
    MIROIR_RETURN_IF_ERROR(router.AddRecord(
        raw, EndsInsideQuotes(payload, record),
        [&](size_t i) -> std::string_view { return record.fields[i].text; }));
  }
  if (reader.error()) return *reader.error();
  return {};
}

// The error csv::Reader reports for this payload (the fast scanner found a
// record of the wrong width, and the reader words it).
Error ReaderError(std::string_view payload, char delimiter) {
  csv::Reader reader(payload, delimiter);
  csv::Record record;
  while (reader.Next(record)) {
  }
  if (reader.error()) return *reader.error();
  return Error(ErrorCode::kMalformedPayload, "The `csv` payload provided is malformed.");
}

// csv::Reader's record splitting without copying: field spans only.
class CsvScanner {
 public:
  struct Span {
    size_t begin;
    size_t end;
  };

  CsvScanner(std::string_view input, char delimiter) : input_(input), delimiter_(delimiter) {
    if (input_.substr(0, kBom.size()) == kBom) pos_ = kBom.size();
  }

  // The next record's fields; false at the end of the input.
  bool Next() {
    const size_t n = input_.size();
    while (pos_ < n && (input_[pos_] == '\r' || input_[pos_] == '\n')) ++pos_;
    if (pos_ >= n) return false;
    fields_.clear();
    unterminated_ = false;
    record_begin_ = pos_;
    while (true) {
      const size_t begin = pos_;
      if (pos_ < n && input_[pos_] == '"') {
        ++pos_;
        while (true) {
          const void* quote = std::memchr(input_.data() + pos_, '"', n - pos_);
          if (quote == nullptr) {
            pos_ = n;  // an unterminated quote runs to the end
            unterminated_ = true;
            break;
          }
          const size_t q = static_cast<size_t>(static_cast<const char*>(quote) - input_.data());
          if (q + 1 < n && input_[q + 1] == '"') {
            pos_ = q + 2;  // a doubled quote is data
            continue;
          }
          pos_ = UnquotedEnd(q + 1);  // text after the closing quote joins the field
          break;
        }
      } else {
        pos_ = UnquotedEnd(pos_);
      }
      fields_.push_back({begin, pos_});
      if (pos_ < n && input_[pos_] == delimiter_) {
        ++pos_;
        continue;  // a delimiter at the very end yields an empty last field
      }
      break;
    }
    record_end_ = pos_;
    if (pos_ < n) ++pos_;  // one line-break byte
    return true;
  }

  const std::vector<Span>& fields() const { return fields_; }
  std::string_view raw() const { return input_.substr(record_begin_, record_end_ - record_begin_); }
  bool unterminated() const { return unterminated_; }

  // A field's text: its raw bytes, or for a quoted one the bytes between
  // the quotes with doubled quotes undone, plus any text after the closing
  // quote. Points into the input or into `scratch`.
  std::string_view Text(size_t i, std::string* scratch) const {
    const Span span = fields_[i];
    const std::string_view raw = input_.substr(span.begin, span.end - span.begin);
    if (raw.empty() || raw[0] != '"') return raw;
    // Common case: no quote inside, closing quote last.
    const std::string_view inner = raw.substr(1);
    const size_t quote = inner.find('"');
    if (quote == std::string_view::npos) return inner;  // unterminated
    if (quote + 1 == inner.size()) return inner.substr(0, quote);
    scratch->clear();
    size_t k = 0;
    while (k < inner.size()) {
      if (inner[k] != '"') {
        scratch->push_back(inner[k++]);
      } else if (k + 1 < inner.size() && inner[k + 1] == '"') {
        scratch->push_back('"');
        k += 2;
      } else {
        scratch->append(inner.substr(k + 1));
        break;
      }
    }
    return *scratch;
  }

 private:
  // The first delimiter or line break at or after `i`, or the end.
  size_t UnquotedEnd(size_t i) const {
    const size_t n = input_.size();
    const char* data = input_.data();
#if defined(__SSE2__)
    const __m128i delimiter = _mm_set1_epi8(delimiter_);
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    while (i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, delimiter),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      i += 16;
    }
#endif
    while (i < n && data[i] != delimiter_ && data[i] != '\r' && data[i] != '\n') ++i;
    return i;
  }

  std::string_view input_;
  char delimiter_;
  size_t pos_ = 0;
  std::vector<Span> fields_;
  size_t record_begin_ = 0;
  size_t record_end_ = 0;
  bool unterminated_ = false;
};

}  // namespace

Result<void> SplitCsv(std::string_view payload, char delimiter,
                      const std::optional<std::string>& primary_key, DocumentSink* sink) {
  // Valid UTF-8 everywhere means valid in every field (fields are cut at
  // ASCII bytes), the one check the scanner leaves out.
  if (FirstInvalidUtf8(payload) != payload.size()) {
    return SplitWithReader(payload, delimiter, primary_key, sink);
  }
  CsvScanner scanner(payload, delimiter);
  if (!scanner.Next()) return {};  // no header, no documents
  csv::Record header;
  std::string scratch;
  for (size_t i = 0; i < scanner.fields().size(); ++i) {
    csv::Field field;
    field.text = std::string(scanner.Text(i, &scratch));
    field.raw_begin = scanner.fields()[i].begin;
    field.raw_end = scanner.fields()[i].end;
    header.fields.push_back(std::move(field));
  }
  CsvRouter router(primary_key, sink);
  MIROIR_RETURN_IF_ERROR(router.SetHeader(header, scanner.raw()));
  auto text = [&](size_t i) { return scanner.Text(i, &scratch); };
  while (scanner.Next()) {
    if (scanner.fields().size() != router.width()) return ReaderError(payload, delimiter);
    MIROIR_RETURN_IF_ERROR(router.AddRecord(scanner.raw(), scanner.unterminated(), text));
  }
  return {};
}

}  // namespace miroir::internal
