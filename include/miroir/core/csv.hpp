// CSV as Meilisearch accepts it for document payloads: RFC 4180 records with
// a configurable one-byte delimiter, and a header row whose names may carry a
// type suffix (`price:number`, `available:boolean`, `title:string`).
//
// Meilisearch reads CSV with Rust's `csv` crate, which is lenient: quoting
// problems are never errors. The reader here follows it byte for byte so that
// Miroir splits a payload into exactly the documents Meilisearch would see.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"

namespace miroir::csv {

enum class ColumnType { kString, kNumber, kBoolean };

struct Column {
  std::string name;   // without the type suffix
  ColumnType type = ColumnType::kString;
};

// One parsed field: its unescaped text, and where the raw bytes of the field
// sit in the input (so Miroir can splice without re-encoding).
struct Field {
  std::string text;
  size_t raw_begin = 0;
  size_t raw_end = 0;
};

struct Record {
  std::vector<Field> fields;
  size_t raw_begin = 0;  // offset of the record's first byte
  size_t raw_end = 0;    // offset just past the record (before its line break)
};

// Streams records out of a CSV buffer, the first one being the header row.
// Accepts \n, \r\n and lone \r line ends, skips empty lines and a leading
// UTF-8 byte-order mark. A field starting with `"` is quoted: `""` inside is
// one quote and line breaks are data. Like Meilisearch's reader:
//  - an unterminated quote runs to the end of the input (not an error);
//  - text after a closing quote is appended (`"ab"cd` reads `abcd`);
//  - a quote inside an unquoted field is literal (`ab"c`);
//  - a trailing delimiter adds an empty last field.
// Errors (malformed_payload, Meilisearch's message): a record whose field
// count differs from the header's, and invalid UTF-8. After an error, Next()
// returns false and error() holds it.
// Not thread-safe; the input must outlive the reader.
class Reader {
 public:
  Reader(std::string_view input, char delimiter = ',');
  // Reads the next record; false at end of input or on error.
  bool Next(Record& record);
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string_view input_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
  std::optional<Error> error_;
  size_t records_ = 0;          // records returned so far (the header is record 0)
  size_t expected_fields_ = 0;  // field count of the header
  size_t record_pos_ = 0;       // where Meilisearch's reader says the next record starts
};

// Parses the header row's names into typed columns. As in Meilisearch, the
// name is split at its last ':' only when the suffix is exactly `string`,
// `number` or `boolean`; any other suffix (`a:foo`, `a:Number`, `a:`) is not
// an error: the whole text, colon included, is the column name and the type
// is string. Never fails today; the Result leaves room for future checks.
Result<std::vector<Column>> ParseHeader(const Record& header);

// The JSON value Meilisearch stores for one CSV field, as compact JSON text:
//  - string: the raw text, or null when the field is empty;
//  - number: the trimmed text as an integer if it fits in 64 bits, else as a
//    float printed like serde_json (`2.0`, `1e20`); null when blank, and null
//    for NaN/infinity;
//  - boolean: exactly `true`/`false` after trimming; null when blank.
// A number or boolean that does not parse is a malformed_payload error naming
// `record_number`, the 1-based index of the data row (the header not
// counted), as Meilisearch does.
Result<std::string> FieldToJson(std::string_view text, ColumnType type, size_t record_number);

}  // namespace miroir::csv
