#include "miroir/core/csv.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "core/document_text.hpp"
#include "core/json_write.hpp"
#include "core/utf8.hpp"

// Meilisearch reads CSV with Rust's `csv` crate (default settings: headers,
// `"` quotes, doubled-quote escapes, CRLF-or-LF terminators, not flexible).
// That crate is a state machine that never rejects quoting; the reader below
// walks the same states (start of field, unquoted field, quoted field, just
// after a quote) so records, fields and error positions come out identical.

namespace miroir::csv {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

Error Malformed(std::string_view detail) {
  return Error(ErrorCode::kMalformedPayload,
               "The `csv` payload provided is malformed: `" + std::string(detail) + "`.");
}

// Length of the longest valid UTF-8 prefix of `s`.
size_t ValidUtf8Prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    size_t len = 0;
    if (!utf8::Decode(s, i, &cp, &len)) break;
    i += len;
  }
  return i;
}

bool IsUnicodeSpace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d);
  return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// Rust's str::trim (Unicode White_Space at both ends).
std::string_view Trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    char32_t cp = 0;
    size_t len = 0;
    if (!utf8::Decode(s, b, &cp, &len) || !IsUnicodeSpace(cp)) break;
    b += len;
  }
  size_t e = s.size();
  while (e > b) {
    // Step back to the start of the previous character.
    size_t k = e - 1;
    while (k > b && (static_cast<unsigned char>(s[k]) & 0xc0) == 0x80) --k;
    char32_t cp = 0;
    size_t len = 0;
    if (!utf8::Decode(s, k, &cp, &len) || k + len != e || !IsUnicodeSpace(cp)) break;
    e = k;
  }
  return s.substr(b, e - b);
}

// Rust's `{:?}` for a string, which Meilisearch uses to quote a bad CSV value:
// double quotes, `\"` and `\\`, short escapes for \t \r \n \0, and `\u{..}`
// for control and combining characters (printability approximated).
std::string DebugQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    char32_t c = 0;
    size_t len = 0;
    if (!utf8::Decode(s, i, &c, &len)) {
      c = 0xfffd;
      len = 1;
    }
    i += len;
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case '\n': out += "\\n"; continue;
      case 0: out += "\\0"; continue;
      default: break;
    }
    const bool escape = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad ||
                        (c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
                        (c >= 0x2028 && c <= 0x202e) || c == 0xfeff;
    if (escape) {
      char buf[16];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<uint32_t>(c), 16);
      (void)ec;
      out += "\\u{";
      out.append(buf, end);
      out += "}";
    } else {
      utf8::Append(c, &out);
    }
  }
  out.push_back('"');
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Rust's i64::from_str: an optional sign, then decimal digits, in range.
bool ParseI64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') return false;
  }
  if (s.empty() || s == "-") return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Rust's f64::from_str: sign? (inf | infinity | nan | digits with an optional
// point and exponent), case-insensitive, nothing else (no spaces, no hex).
// Out-of-range input rounds to infinity or zero instead of failing.
bool ParseF64(std::string_view s, double* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    *out = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (EqualsIgnoreCase(s, "nan")) {
    *out = std::nan("");
    return true;
  }
  // Validate the decimal grammar and find the magnitude of the number.
  size_t i = 0;
  size_t int_digits = 0;
  size_t frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i >= s.size()) return false;
    while (i < s.size() && IsDigit(s[i])) {
      if (exponent < 100000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  (void)ptr;
  if (ec == std::errc::result_out_of_range) {
    // Decimal exponent of the first significant digit decides the direction.
    long lead = 0;
    size_t k = 0;
    while (k < int_digits && s[k] == '0') ++k;
    if (k < int_digits) {
      lead = static_cast<long>(int_digits - k);
    } else {
      size_t z = 0;
      while (z < frac_digits && s[int_digits + 1 + z] == '0') ++z;
      lead = -static_cast<long>(z);
    }
    v = (lead + exponent > 0) ? HUGE_VAL : 0.0;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = negative ? -v : v;
  return true;
}

}  // namespace

Reader::Reader(std::string_view input, char delimiter) : input_(input), delimiter_(delimiter) {
  // A byte-order mark is skipped but still counted in every offset.
  if (input_.substr(0, kBom.size()) == kBom) pos_ = kBom.size();
}

bool Reader::Next(Record& record) {
  record.fields.clear();
  if (error_) return false;
  const size_t n = input_.size();
  const size_t reported_pos = record_pos_;
  const size_t reported_line = line_;
  auto is_term = [](char c) { return c == '\r' || c == '\n'; };

  // Empty lines between records are skipped.
  while (pos_ < n && is_term(input_[pos_])) ++pos_;
  if (pos_ >= n) {
    record_pos_ = n;
    return false;
  }
  record.raw_begin = pos_;
  while (true) {
    Field field;
    field.raw_begin = pos_;
    // Unquoted text: runs to a delimiter or a line break. The delimiter is
    // tested first, as the csv crate does.
    auto copy_unquoted = [&] {
      while (pos_ < n && input_[pos_] != delimiter_ && !is_term(input_[pos_])) {
        field.text.push_back(input_[pos_++]);
      }
    };
    if (pos_ < n && input_[pos_] == '"') {
      ++pos_;
      while (pos_ < n) {
        if (input_[pos_] != '"') {
          field.text.push_back(input_[pos_++]);
          continue;
        }
        if (pos_ + 1 < n && input_[pos_ + 1] == '"') {
          field.text.push_back('"');
          pos_ += 2;
          continue;
        }
        // Closing quote; whatever follows up to the next separator is
        // appended unquoted.
        ++pos_;
        copy_unquoted();
        break;
      }
      // Reaching the end inside quotes simply ends the field.
    } else {
      copy_unquoted();
    }
    field.raw_end = pos_;
    record.fields.push_back(std::move(field));
    if (pos_ < n && input_[pos_] == delimiter_) {
      ++pos_;
      continue;  // a delimiter at the very end yields an empty last field
    }
    break;
  }
  record.raw_end = pos_;
  // The record ends after one terminator byte; for "\r\n" the '\n' is only
  // consumed by the next read, which is why Meilisearch's positions for CRLF
  // files point at the '\n' and count one line less.
  if (pos_ < n) ++pos_;
  for (size_t k = reported_pos; k < pos_; ++k) line_ += input_[k] == '\n';
  record_pos_ = pos_;

  const size_t index = records_++;
  auto position = [&](std::string_view line_label) {
    return "record " + std::to_string(index) + " (" + std::string(line_label) +
           std::to_string(reported_line);
  };
  if (index == 0) {
    expected_fields_ = record.fields.size();
  } else if (record.fields.size() != expected_fields_) {
    error_ = Malformed("CSV error: " + position("line: ") + ", byte: " +
                       std::to_string(reported_pos) + "): found record with " +
                       std::to_string(record.fields.size()) +
                       " fields, but the previous record has " + std::to_string(expected_fields_) +
                       " fields");
    record.fields.clear();
    return false;
  }
  for (size_t f = 0; f < record.fields.size(); ++f) {
    const std::string& text = record.fields[f].text;
    const size_t valid = ValidUtf8Prefix(text);
    if (valid == text.size()) continue;
    const std::string field_index = std::to_string(f);
    error_ = Malformed("CSV parse error: " + position("line ") + ", field: " + field_index +
                       ", byte: " + std::to_string(reported_pos) +
                       "): invalid utf-8: invalid UTF-8 in field " + field_index +
                       " near byte index " + std::to_string(valid));
    record.fields.clear();
    return false;
  }
  return true;
}

Result<std::vector<Column>> ParseHeader(const Record& header) {
  std::vector<Column> columns;
  columns.reserve(header.fields.size());
  for (const Field& field : header.fields) {
    Column column;
    column.name = field.text;
    const size_t colon = field.text.rfind(':');
    if (colon != std::string::npos) {
      const std::string_view suffix = std::string_view(field.text).substr(colon + 1);
      bool typed = true;
      if (suffix == "string") {
        column.type = ColumnType::kString;
      } else if (suffix == "number") {
        column.type = ColumnType::kNumber;
      } else if (suffix == "boolean") {
        column.type = ColumnType::kBoolean;
      } else {
        typed = false;  // unknown suffix: part of the name
      }
      if (typed) column.name = field.text.substr(0, colon);
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

Result<std::string> FieldToJson(std::string_view text, ColumnType type, size_t record_number) {
  switch (type) {
    case ColumnType::kString:
      // Strings are kept verbatim (not trimmed); only an empty field is null.
      if (text.empty()) return std::string("null");
      return json_write::QuoteString(text);
    case ColumnType::kNumber: {
      const std::string_view trimmed = Trim(text);
      if (trimmed.empty()) return std::string("null");
      int64_t integer = 0;
      if (ParseI64(trimmed, &integer)) return std::to_string(integer);
      double v = 0;
      if (!ParseF64(trimmed, &v)) {
        return Malformed("Error parsing number " + DebugQuote(text) + " at line " +
                         std::to_string(record_number) + ": invalid float literal");
      }
      // serde_json has no representation for NaN and infinities.
      if (!std::isfinite(v)) return std::string("null");
      return internal::FormatF64(v);
    }
    case ColumnType::kBoolean: {
      const std::string_view trimmed = Trim(text);
      if (trimmed.empty()) return std::string("null");
      if (trimmed == "true" || trimmed == "false") return std::string(trimmed);
      return Malformed("Error parsing boolean " + DebugQuote(text) + " at line " +
                       std::to_string(record_number) +
                       ": provided string was not `true` or `false`");
    }
  }
  return std::string("null");
}

}  // namespace miroir::csv
