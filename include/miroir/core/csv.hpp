// CSV as Meilisearch accepts it for document payloads: RFC 4180 records with
// a configurable one-byte delimiter, and a header row whose names may carry a
// type suffix (`price:number`, `available:boolean`, `title:string`).
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

// Streams records out of a CSV buffer. Accepts \n and \r\n line ends, quoted
// fields with doubled quotes, and skips blank lines.
class Reader {
 public:
  Reader(std::string_view input, char delimiter = ',');
  // Reads the next record; false at end of input. On malformed input (an
  // unterminated quote, a stray quote) returns false and sets error().
  bool Next(Record& record);
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string_view input_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
  std::optional<Error> error_;
};

// Parses the header row's names into typed columns. An unknown type suffix
// is a malformed_payload error, as in Meilisearch.
Result<std::vector<Column>> ParseHeader(const Record& header);

}  // namespace miroir::csv
