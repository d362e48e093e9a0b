// JSON and NDJSON payloads: one pass that validates, finds each document's
// primary key and hands the raw document bytes to the sink.
//
// Why a hand-written scanner rather than simdjson's On Demand API: Meilisearch
// rejects a malformed payload synchronously, so every byte must be validated
// (On Demand does not validate the values it skips), and its error message
// quotes serde_json's wording and line/column, which depend on how serde_json
// walks the text. The scanner below walks it the same way — serde_json's
// `ignore_value` for documents inside an array or an NDJSON stream (then
// the map parse Meilisearch runs on each of them), its `Value` parser for a
// lone top-level object — in a single pass that keeps the byte offsets needed
// for splicing. The inner loops are what matters for
// speed: strings are skipped 16 bytes at a time (SSE2), UTF-8 is checked once
// for the whole payload with simdjson's validator.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/document_sink.hpp"
#include "core/document_text.hpp"
#include "miroir/core/primary_key.hpp"

namespace miroir::internal {
namespace {

// serde_json's syntax error codes, with its wording.
enum class Serde {
  kEofWhileParsingList,
  kEofWhileParsingObject,
  kEofWhileParsingString,
  kEofWhileParsingValue,
  kExpectedColon,
  kExpectedListCommaOrEnd,
  kExpectedObjectCommaOrEnd,
  kExpectedSomeIdent,
  kExpectedSomeValue,
  kInvalidEscape,
  kInvalidNumber,
  kNumberOutOfRange,
  kInvalidUnicodeCodePoint,
  kLoneLeadingSurrogate,
  kUnexpectedEndOfHexEscape,
  kControlCharacter,
  kKeyMustBeAString,
  kTrailingComma,
  kTrailingCharacters,
  kRecursionLimitExceeded,
};

std::string_view SerdeText(Serde code) {
  switch (code) {
    case Serde::kEofWhileParsingList: return "EOF while parsing a list";
    case Serde::kEofWhileParsingObject: return "EOF while parsing an object";
    case Serde::kEofWhileParsingString: return "EOF while parsing a string";
    case Serde::kEofWhileParsingValue: return "EOF while parsing a value";
    case Serde::kExpectedColon: return "expected `:`";
    case Serde::kExpectedListCommaOrEnd: return "expected `,` or `]`";
    case Serde::kExpectedObjectCommaOrEnd: return "expected `,` or `}`";
    case Serde::kExpectedSomeIdent: return "expected ident";
    case Serde::kExpectedSomeValue: return "expected value";
    case Serde::kInvalidEscape: return "invalid escape";
    case Serde::kInvalidNumber: return "invalid number";
    case Serde::kNumberOutOfRange: return "number out of range";
    case Serde::kInvalidUnicodeCodePoint: return "invalid unicode code point";
    case Serde::kLoneLeadingSurrogate: return "lone leading surrogate in hex escape";
    case Serde::kUnexpectedEndOfHexEscape: return "unexpected end of hex escape";
    case Serde::kControlCharacter:
      return "control character (\\u0000-\\u001F) found while parsing a string";
    case Serde::kKeyMustBeAString: return "key must be a string";
    case Serde::kTrailingComma: return "trailing comma";
    case Serde::kTrailingCharacters: return "trailing characters";
    case Serde::kRecursionLimitExceeded: return "recursion limit exceeded";
  }
  return "invalid JSON";
}

// serde_json gives up past 127 nested containers when it builds a Value.
constexpr size_t kMaxStrictLevel = 128;

// Meilisearch's wrapping of a serde_json message, shortened the way it
// shortens messages that would echo a huge input.
Error MalformedJson(PayloadFormat format, std::string message) {
  constexpr size_t kPrefix = 50;
  constexpr size_t kSuffix = 85;
  constexpr std::string_view kEllipsis = "...";
  if (message.size() > kPrefix + kSuffix + kEllipsis.size()) {
    message = message.substr(0, kPrefix) + std::string(kEllipsis) +
              message.substr(message.size() - kSuffix);
  }
  return Error(ErrorCode::kMalformedPayload,
               "The `" + std::string(PayloadFormatName(format)) +
                   "` payload provided is malformed. `Couldn't serialize document value: " +
                   message + "`.");
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int HexDigit(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes of a valid string id: ASCII letters, digits, '-' and '_'.
struct IdCharTable {
  bool allowed[256] = {};
  constexpr IdCharTable() {
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    allowed[static_cast<int>('-')] = true;
    allowed[static_cast<int>('_')] = true;
  }
};
constexpr IdCharTable kIdChars;

bool IsValidStringId(std::string_view id) {
  if (id.empty() || id.size() > 511) return false;
  for (char c : id) {
    if (!kIdChars.allowed[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// How serde_json treats the text: `kRaw` is its `ignore_value` (used for
// documents inside an array or an NDJSON stream), `kStrict` its Value parser
// (used for a lone top-level object, and for the keys Meilisearch re-reads).
// They differ on trailing commas, numbers (range, EOF wording), strings
// (surrogates, UTF-8, control-character position) and nesting depth.
enum class Mode { kRaw, kStrict };

class JsonSplitter {
 public:
  JsonSplitter(std::string_view input, PayloadFormat format,
               const std::optional<std::string>& primary_key, DocumentSink* sink)
      : data_(input.data()), n_(input.size()), format_(format), sink_(sink) {
    if (primary_key) SetPrimaryKey(*primary_key);
  }

  Result<void> Run() {
    // One SIMD pass up front; strings then only compare against the offset.
    bad_utf8_ = FirstInvalidUtf8(std::string_view(data_, n_));
    if (bad_utf8_ == n_) bad_utf8_ = kNone;
    const bool ok = format_ == PayloadFormat::kNdjson ? RunNdjson() : RunJson();
    if (!ok) return std::move(*error_);
    return {};
  }

 private:
  struct Candidate {
    size_t begin;  // value span in the input
    size_t end;
    size_t rest;   // offset in pk_ of the components left to match; npos: the value is the id
  };
  static constexpr size_t kWhole = std::string::npos;
  static constexpr size_t kNone = std::string::npos;

  enum class IdStatus { kFound, kMissing, kError };

  void SetPrimaryKey(const std::string& primary_key) {
    pk_ = primary_key;
    pk_known_ = true;
    pk_nested_ = pk_.find('.') != std::string::npos;
  }

  // --- Errors -------------------------------------------------------------

  // serde_json's position of byte index `i`: 1-based line, and the column is
  // the number of bytes between the line start and `i`.
  std::string Message(Serde code, size_t i) const {
    size_t line_start = 0;
    size_t line = 1;
    for (size_t k = 0; k < i && k < n_; ++k) {
      if (data_[k] == '\n') {
        ++line;
        line_start = k + 1;
      }
    }
    return std::string(SerdeText(code)) + " at line " + std::to_string(line) + " column " +
           std::to_string(i - line_start);
  }

  // serde_json's `error`: the position after the last consumed byte.
  bool Fail(Serde code, size_t index) {
    error_ = MalformedJson(format_, Message(code, index));
    return false;
  }
  // serde_json's `peek_error`: the position of the byte being looked at.
  bool FailPeek(Serde code) { return Fail(code, std::min(n_, pos_ + 1)); }

  bool FailWith(Error error) {
    error_ = std::move(error);
    return false;
  }

  Error NotObjects() const {
    return MalformedJson(format_, "data are neither an object nor a list of objects");
  }

  // Meilisearch reads each document of an array or NDJSON stream twice: raw,
  // then as a map. When the second read fails inside an array, serde_json
  // still closes the sequence, and what follows the element may win.
  bool DocumentRefused(Error error) {
    if (format_ == PayloadFormat::kNdjson) return FailWith(std::move(error));
    SkipSpace();
    if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingList);
    if (data_[pos_] == ']') return FailWith(std::move(error));
    if (data_[pos_] == ',') {
      ++pos_;
      SkipSpace();
      if (pos_ < n_ && data_[pos_] == ']') return FailPeek(Serde::kTrailingComma);
    }
    return FailPeek(Serde::kTrailingCharacters);
  }

  // The second read of a raw element that is not an object: serde_json
  // parses a number or string fully before calling it the wrong type.
  // Positions count from the element's first byte.
  Error ReadAsMap(std::string_view element) const {
    const char c = element[0];
    if (c == '"' || c == '-' || IsDigit(c)) {
      JsonSplitter reread(element, format_, std::nullopt, nullptr);
      reread.bad_utf8_ = SubOffset(element);
      if (!reread.SkipValue(Mode::kStrict, 0)) return std::move(*reread.error_);
    }
    return NotObjects();
  }

  // The second read of a raw object: its keys become validated strings.
  std::optional<Error> ReadKeys(std::string_view object) const {
    JsonSplitter reread(object, format_, std::nullopt, nullptr);
    reread.bad_utf8_ = SubOffset(object);
    if (!reread.ScanKeysOfValidObject()) return std::move(*reread.error_);
    return std::nullopt;
  }

  // bad_utf8_ translated into `part`, a view into the input.
  size_t SubOffset(std::string_view part) const {
    const auto begin = static_cast<size_t>(part.data() - data_);
    return bad_utf8_ != kNone && bad_utf8_ >= begin && bad_utf8_ < begin + part.size()
               ? bad_utf8_ - begin
               : kNone;
  }

  bool ScanKeysOfValidObject() {
    pos_ = 1;
    while (true) {
      SkipSpace();
      if (data_[pos_] == ',') {
        ++pos_;
        SkipSpace();
      }
      if (data_[pos_] == '}') return true;
      bool escaped = false;
      if (!ScanString(Mode::kStrict, &escaped)) return false;
      SkipSpace();
      ++pos_;  // ':'
      SkipSpace();
      pos_ = SkipValidValue(std::string_view(data_, n_), pos_);
    }
  }

  // --- Lexing -------------------------------------------------------------

  void SkipSpace() {
    if (pos_ < n_ && IsSpace(data_[pos_])) {
      saw_space_ = true;
      do ++pos_;
      while (pos_ < n_ && IsSpace(data_[pos_]));
    }
  }

  // Index of the first '"', '\\' or control byte at or after `i`, or n_.
  size_t FindStringSpecial(size_t i) const {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control_max = _mm_set1_epi8(0x1f);
    while (i + 16 <= n_) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data_ + i));
      const __m128i hit = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
          _mm_cmpeq_epi8(_mm_max_epu8(v, control_max), control_max));  // v <= 0x1f
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      i += 16;
    }
#endif
    for (; i < n_; ++i) {
      const auto c = static_cast<unsigned char>(data_[i]);
      if (c == '"' || c == '\\' || c < 0x20) return i;
    }
    return n_;
  }

  // At a '"': moves past the closing quote. Sets *escaped when the string
  // holds an escape sequence.
  bool ScanString(Mode mode, bool* escaped) {
    const bool strict = mode == Mode::kStrict;
    size_t i = pos_ + 1;
    while (true) {
      i = FindStringSpecial(i);
      if (i >= n_) return Fail(Serde::kEofWhileParsingString, n_);
      const char c = data_[i];
      if (c == '"') {
        if (bad_utf8_ < i) {
          // serde_json checks UTF-8 only for strings it keeps, once closed;
          // Miroir refuses it in the others too, where the byte is.
          return Fail(Serde::kInvalidUnicodeCodePoint, strict ? i + 1 : bad_utf8_ + 1);
        }
        pos_ = i + 1;
        return true;
      }
      if (c != '\\') return Fail(Serde::kControlCharacter, strict ? i + 1 : i);
      *escaped = true;
      if (i + 1 >= n_) return Fail(Serde::kEofWhileParsingString, n_);
      const char e = data_[i + 1];
      i += 2;
      switch (e) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          break;
        case 'u': {
          int unit = 0;
          if (!HexEscape(&i, &unit)) return false;
          if (strict && !Surrogates(&i, unit)) return false;
          break;
        }
        default: return Fail(Serde::kInvalidEscape, i);
      }
    }
  }

  // The four hex digits of a \u escape, at *i.
  bool HexEscape(size_t* i, int* unit) {
    if (n_ - *i < 4) return Fail(Serde::kEofWhileParsingString, n_);
    *i += 4;
    int value = 0;
    for (size_t k = *i - 4; k < *i; ++k) {
      const int digit = HexDigit(data_[k]);
      if (digit < 0) return Fail(Serde::kInvalidEscape, *i);
      value = (value << 4) | digit;
    }
    *unit = value;
    return true;
  }

  // A string kept by serde_json must pair its UTF-16 surrogates.
  bool Surrogates(size_t* i, int unit) {
    if (unit >= 0xdc00 && unit <= 0xdfff) return Fail(Serde::kLoneLeadingSurrogate, *i);
    if (unit < 0xd800 || unit > 0xdbff) return true;
    for (char expected : {'\\', 'u'}) {
      if (*i >= n_) return Fail(Serde::kEofWhileParsingString, n_);
      if (data_[(*i)++] != expected) return Fail(Serde::kUnexpectedEndOfHexEscape, *i);
    }
    int low = 0;
    if (!HexEscape(i, &low)) return false;
    if (low < 0xdc00 || low > 0xdfff) return Fail(Serde::kLoneLeadingSurrogate, *i);
    return true;
  }

  // At 't', 'f' or 'n': the rest of `ident` must follow.
  bool ScanIdent(std::string_view ident) {
    ++pos_;
    for (char expected : ident.substr(1)) {
      if (pos_ >= n_) return Fail(Serde::kEofWhileParsingValue, n_);
      if (data_[pos_++] != expected) return Fail(Serde::kExpectedSomeIdent, pos_);
    }
    return true;
  }

  void SkipDigits() {
    while (pos_ < n_ && IsDigit(data_[pos_])) ++pos_;
  }

  // At '-' or a digit: serde_json's ignore_integer and friends.
  bool ScanNumber(Mode mode) {
    if (mode == Mode::kStrict) return ScanStrictNumber();
    if (data_[pos_] == '-') ++pos_;
    if (pos_ >= n_) return Fail(Serde::kInvalidNumber, n_);
    const char first = data_[pos_++];
    if (first == '0') {
      if (pos_ < n_ && IsDigit(data_[pos_])) return FailPeek(Serde::kInvalidNumber);
    } else if (IsDigit(first)) {
      SkipDigits();
    } else {
      return Fail(Serde::kInvalidNumber, pos_);
    }
    if (pos_ < n_ && data_[pos_] == '.') {
      ++pos_;
      const size_t digits = pos_;
      SkipDigits();
      if (pos_ == digits) return FailPeek(Serde::kInvalidNumber);
    }
    if (pos_ < n_ && (data_[pos_] == 'e' || data_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < n_ && (data_[pos_] == '+' || data_[pos_] == '-')) ++pos_;
      if (pos_ >= n_) return Fail(Serde::kInvalidNumber, n_);
      if (!IsDigit(data_[pos_++])) return Fail(Serde::kInvalidNumber, pos_);
      SkipDigits();
    }
    return true;
  }

  // serde_json's number parser for a Value (without `float_roundtrip`, as
  // Meilisearch builds it): same grammar, other EOF wording, and it refuses
  // what overflows an f64 — at the exact byte where its arithmetic notices.
  bool ScanStrictNumber() {
    if (data_[pos_] == '-') ++pos_;
    if (pos_ >= n_) return Fail(Serde::kEofWhileParsingValue, n_);
    const char first = data_[pos_++];
    uint64_t significand = 0;
    if (first == '0') {
      if (pos_ < n_ && IsDigit(data_[pos_])) return FailPeek(Serde::kInvalidNumber);
    } else if (IsDigit(first)) {
      significand = static_cast<uint64_t>(first - '0');
      while (pos_ < n_ && IsDigit(data_[pos_])) {
        const auto digit = static_cast<uint64_t>(data_[pos_] - '0');
        if (Overflows(significand, digit, UINT64_MAX)) {
          int exponent = 0;  // more integer digits than a u64 holds: count them
          while (pos_ < n_ && IsDigit(data_[pos_])) ++pos_, ++exponent;
          return StrictFraction(significand, exponent);
        }
        ++pos_;
        significand = significand * 10 + digit;
      }
    } else {
      return Fail(Serde::kInvalidNumber, pos_);
    }
    if (pos_ < n_ && (data_[pos_] == '.' || data_[pos_] == 'e' || data_[pos_] == 'E')) {
      return StrictFraction(significand, 0);
    }
    return true;  // an integer: u64 or i64, never out of range
  }

  static bool Overflows(uint64_t value, uint64_t digit, uint64_t max) {
    return value >= max / 10 && (value > max / 10 || digit > max % 10);
  }

  // The optional fraction and exponent after the integer digits.
  // The sign does not matter: only the magnitude can overflow.
  bool StrictFraction(uint64_t significand, int exponent) {
    if (pos_ < n_ && data_[pos_] == '.') {
      ++pos_;
      bool any_digit = false;
      while (pos_ < n_ && IsDigit(data_[pos_])) {
        const auto digit = static_cast<uint64_t>(data_[pos_] - '0');
        any_digit = true;
        if (Overflows(significand, digit, UINT64_MAX)) {
          SkipDigits();  // digits past the u64 are ignored
          break;
        }
        ++pos_;
        significand = significand * 10 + digit;
        --exponent;
      }
      if (!any_digit) {
        return FailPeek(pos_ < n_ ? Serde::kInvalidNumber : Serde::kEofWhileParsingValue);
      }
    }
    if (pos_ < n_ && (data_[pos_] == 'e' || data_[pos_] == 'E')) {
      ++pos_;
      bool positive_exp = true;
      if (pos_ < n_ && (data_[pos_] == '+' || data_[pos_] == '-')) {
        positive_exp = data_[pos_++] == '+';
      }
      if (pos_ >= n_) return Fail(Serde::kEofWhileParsingValue, n_);
      const char c = data_[pos_++];
      if (!IsDigit(c)) return Fail(Serde::kInvalidNumber, pos_);
      int64_t exp = c - '0';
      while (pos_ < n_ && IsDigit(data_[pos_])) {
        const int digit = data_[pos_++] - '0';
        if (Overflows(static_cast<uint64_t>(exp), static_cast<uint64_t>(digit), INT32_MAX)) {
          if (significand != 0 && positive_exp) return Fail(Serde::kNumberOutOfRange, pos_);
          SkipDigits();
          return true;  // rounds to zero
        }
        exp = exp * 10 + digit;
      }
      const int64_t total = positive_exp ? exponent + exp : exponent - exp;
      exponent = static_cast<int>(std::clamp<int64_t>(total, INT32_MIN, INT32_MAX));
    }
    // serde_json's f64_from_parts: significand times a power of ten from a
    // table, in steps of 1e308 below the table.
    static const std::vector<double> kPow10 = [] {
      std::vector<double> table(309);
      for (int i = 0; i <= 308; ++i) {
        const std::string text = "1e" + std::to_string(i);
        std::from_chars(text.data(), text.data() + text.size(), table[i]);
      }
      return table;
    }();
    auto f = static_cast<double>(significand);
    int64_t e = exponent;
    while (true) {
      const uint64_t magnitude = e < 0 ? static_cast<uint64_t>(-e) : static_cast<uint64_t>(e);
      if (magnitude <= 308) {
        if (e >= 0) {
          f *= kPow10[magnitude];
          if (std::isinf(f)) return Fail(Serde::kNumberOutOfRange, pos_);
        }
        break;
      }
      if (f == 0.0) break;
      if (e >= 0) return Fail(Serde::kNumberOutOfRange, pos_);
      f /= 1e308;
      e += 308;
    }
    return true;
  }

  // After an object's '{' or ',' and the whitespace that follows: a key, its
  // colon, and the whitespace before the value.
  bool ScanKeyColon(Mode mode) {
    if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingObject);
    if (data_[pos_] != '"') return FailPeek(Serde::kKeyMustBeAString);
    bool escaped = false;
    if (!ScanString(mode, &escaped)) return false;
    SkipSpace();
    if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingObject);
    if (data_[pos_] != ':') return FailPeek(Serde::kExpectedColon);
    ++pos_;
    return true;
  }

  // Validates one value (leading whitespace allowed) and moves past it.
  // `level` is how many containers enclose it, for the strict depth limit.
  // Iterative, so raw mode has no depth limit, as serde_json's ignore_value.
  bool SkipValue(Mode mode, size_t level) {
    const bool strict = mode == Mode::kStrict;
    const size_t base = stack_.size();
    while (true) {
      // A value is expected here.
      SkipSpace();
      if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingValue);
      const char c = data_[pos_];
      switch (c) {
        case '"': {
          bool escaped = false;
          if (!ScanString(mode, &escaped)) return false;
          break;
        }
        case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6':
        case '7': case '8': case '9':
          if (!ScanNumber(mode)) return false;
          break;
        case 't':
          if (!ScanIdent("true")) return false;
          break;
        case 'f':
          if (!ScanIdent("false")) return false;
          break;
        case 'n':
          if (!ScanIdent("null")) return false;
          break;
        case '[':
        case '{': {
          if (strict && level + (stack_.size() - base) + 1 >= kMaxStrictLevel) {
            return FailPeek(Serde::kRecursionLimitExceeded);
          }
          ++pos_;
          SkipSpace();
          if (pos_ >= n_) {
            return FailPeek(c == '[' ? Serde::kEofWhileParsingList
                                     : Serde::kEofWhileParsingObject);
          }
          if (data_[pos_] == (c == '[' ? ']' : '}')) {
            ++pos_;  // an empty container is a complete value
            break;
          }
          stack_.push_back(c);
          if (c == '{' && !ScanKeyColon(mode)) return false;
          continue;
        }
        default: return FailPeek(Serde::kExpectedSomeValue);
      }
      // A value is complete: close containers until one expects another value.
      bool next_value = false;
      while (!next_value) {
        if (stack_.size() == base) return true;
        const char frame = stack_.back();
        SkipSpace();
        if (pos_ >= n_) {
          return FailPeek(frame == '[' ? Serde::kEofWhileParsingList
                                       : Serde::kEofWhileParsingObject);
        }
        const char d = data_[pos_];
        if (d == (frame == '[' ? ']' : '}')) {
          ++pos_;
          stack_.pop_back();
          continue;
        }
        if (d != ',') {
          return FailPeek(frame == '[' ? Serde::kExpectedListCommaOrEnd
                                       : Serde::kExpectedObjectCommaOrEnd);
        }
        ++pos_;
        SkipSpace();
        if (frame == '[') {
          if (strict && pos_ < n_ && data_[pos_] == ']') return FailPeek(Serde::kTrailingComma);
        } else {
          if (pos_ >= n_) {
            return FailPeek(strict ? Serde::kEofWhileParsingValue
                                   : Serde::kEofWhileParsingObject);
          }
          if (strict && data_[pos_] == '}') return FailPeek(Serde::kTrailingComma);
          if (!ScanKeyColon(mode)) return false;
        }
        next_value = true;
      }
    }
  }

  // --- Documents ----------------------------------------------------------

  // At a document's '{': validates it, checks its top-level keys, and routes
  // it.
  bool Document(Mode mode) {
    const size_t begin = pos_;
    const bool strict = mode == Mode::kStrict;
    const bool collect = !pk_known_ && doc_index_ == 0;
    bool any_escaped_key = false;
    candidates_.clear();
    saw_space_ = false;
    ++pos_;
    SkipSpace();
    if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingObject);
    if (data_[pos_] == '}') {
      ++pos_;  // an empty object: it has no id, so it is never routed
    } else {
      while (true) {
        if (data_[pos_] != '"') return FailPeek(Serde::kKeyMustBeAString);
        const size_t key_begin = pos_ + 1;
        bool escaped = false;
        if (!ScanString(mode, &escaped)) return false;
        any_escaped_key |= escaped;
        std::string_view key(data_ + key_begin, pos_ - 1 - key_begin);
        if (escaped) {
          DecodeJsonString(key, &key_scratch_);
          key = key_scratch_;
        }
        if (IsReservedField(key)) return FailWith(ReservedFieldError(key, doc_index_));
        SkipSpace();
        if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingObject);
        if (data_[pos_] != ':') return FailPeek(Serde::kExpectedColon);
        ++pos_;
        SkipSpace();
        const size_t value_begin = pos_;
        if (collect) first_fields_.emplace_back(key, std::make_pair(value_begin, value_begin));
        const size_t candidate = pk_known_ ? NoteField(key, value_begin) : kNone;
        if (!SkipValue(mode, 1)) return false;
        if (collect) first_fields_.back().second.second = pos_;
        if (candidate != kNone) candidates_[candidate].end = pos_;
        SkipSpace();
        if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingObject);
        const char c = data_[pos_];
        if (c == '}') {
          ++pos_;
          break;
        }
        if (c != ',') return FailPeek(Serde::kExpectedObjectCommaOrEnd);
        ++pos_;
        SkipSpace();
        if (pos_ >= n_) {
          return FailPeek(strict ? Serde::kEofWhileParsingValue : Serde::kEofWhileParsingObject);
        }
        if (data_[pos_] != '"') {
          return FailPeek(strict && data_[pos_] == '}' ? Serde::kTrailingComma
                                                       : Serde::kKeyMustBeAString);
        }
      }
    }
    const std::string_view document(data_ + begin, pos_ - begin);
    const bool compact = !saw_space_;
    if (!strict && any_escaped_key) {
      if (std::optional<Error> refused = ReadKeys(document)) {
        return DocumentRefused(std::move(*refused));
      }
    }
    Route(document, compact);
    return true;
  }

  // Records a top-level field that holds, or may hold, the primary key, and
  // returns its index in candidates_ (kNone if it cannot).
  size_t NoteField(std::string_view key, size_t value_begin) {
    size_t rest;
    if (key.size() == pk_.size()) {
      if (key != pk_) return kNone;
      rest = kWhole;
    } else if (pk_nested_ && !key.empty() && key.size() < pk_.size() &&
               pk_[key.size()] == '.' && std::string_view(pk_).substr(0, key.size()) == key) {
      rest = key.size() + 1;  // `a.b.c` may sit under a top-level `a` or `a.b`
    } else {
      return kNone;
    }
    if (format_ == PayloadFormat::kJson) {
      // Meilisearch stores a JSON document through a map that keeps a
      // repeated key's first slot and last value; NDJSON is stored as sent.
      for (size_t i = 0; i < candidates_.size(); ++i) {
        if (candidates_[i].rest == rest) {
          candidates_[i].begin = value_begin;
          return i;
        }
      }
    }
    candidates_.push_back({value_begin, 0, rest});
    return candidates_.size() - 1;
  }

  void Route(std::string_view document, bool compact) {
    ++doc_index_;
    sink_->CountDocument();
    if (!sink_->routing()) return;  // a task error is recorded: validate only
    if (!pk_known_) {
      // Meilisearch infers the key from the first document's field names.
      std::vector<std::string_view> names;
      names.reserve(first_fields_.size());
      for (const auto& field : first_fields_) names.push_back(field.first);
      Result<std::string> inferred = pk::Infer(names);
      if (!inferred) {
        sink_->FailTask(std::move(inferred).error());
        return;
      }
      SetPrimaryKey(*inferred);
      sink_->SetPrimaryKey(pk_, true);
      for (const auto& field : first_fields_) {
        const size_t candidate = NoteField(field.first, field.second.first);
        if (candidate != kNone) candidates_[candidate].end = field.second.second;
      }
      first_fields_.clear();
    }
    std::string_view id;
    Error error;
    switch (ResolveId(document, &id, &error)) {
      case IdStatus::kFound: sink_->AddJson(id, document, compact); return;
      case IdStatus::kMissing:
        sink_->FailTask(pk::MissingIdError(pk_, SerdeCompact(document)));
        return;
      case IdStatus::kError: sink_->FailTask(std::move(error)); return;
    }
  }

  // Classifies one id value; on success *id is its canonical text.
  IdStatus ClassifyId(std::string_view value, std::string_view* id, Error* error) {
    const char c = value[0];
    if (c == '"') {
      std::string_view text = value.substr(1, value.size() - 2);
      if (text.find('\\') != std::string_view::npos) {
        DecodeJsonString(text, &id_scratch_);
        text = id_scratch_;
      }
      if (IsValidStringId(text)) {
        *id = text;
        return IdStatus::kFound;
      }
      *error = pk::ValidateStringId(text).error();
      return IdStatus::kError;
    }
    // JSON integers have no sign '+' and no leading zero, so the token is the
    // decimal text pk::CanonicalId would print.
    if ((c == '-' || IsDigit(c)) && IsSerdeInteger(value)) {
      *id = value;
      return IdStatus::kFound;
    }
    *error = pk::InvalidIdError(SerdeCompact(value));
    return IdStatus::kError;
  }

  // Meilisearch's walk: fields in document order; the first invalid id is the
  // error, a second valid one is "too many".
  IdStatus ResolveId(std::string_view document, std::string_view* id, Error* error) {
    size_t found = 0;
    for (const Candidate& candidate : candidates_) {
      const std::string_view value(data_ + candidate.begin, candidate.end - candidate.begin);
      IdStatus status;
      if (candidate.rest == kWhole) {
        status = ClassifyId(value, id, error);
        if (status == IdStatus::kFound) ++found;
      } else {
        if (value[0] != '{') continue;  // not an object: cannot hold the rest of the path
        status = FindNested(value, std::string_view(pk_).substr(candidate.rest), &found, id,
                            error);
      }
      if (status == IdStatus::kError) return status;
      if (found > 1) {
        *error = pk::TooManyIdsError(pk_, SerdeCompact(document));
        return IdStatus::kError;
      }
    }
    return found == 1 ? IdStatus::kFound : IdStatus::kMissing;
  }

  // Looks for `path` inside the (valid) object `object`.
  IdStatus FindNested(std::string_view object, std::string_view path, size_t* found,
                      std::string_view* id, Error* error) {
    size_t pos = 1;
    std::string key;
    while (true) {
      while (IsSpace(object[pos]) || object[pos] == ',') ++pos;
      if (object[pos] == '}') return IdStatus::kFound;
      const size_t key_end = SkipValidValue(object, pos);
      DecodeJsonString(object.substr(pos + 1, key_end - pos - 2), &key);
      pos = key_end;
      while (IsSpace(object[pos]) || object[pos] == ':') ++pos;
      const size_t value_end = SkipValidValue(object, pos);
      const std::string_view value = object.substr(pos, value_end - pos);
      pos = value_end;
      if (key.empty()) continue;
      if (key == path) {
        const IdStatus status = ClassifyId(value, id, error);
        if (status == IdStatus::kError) return status;
        if (++*found > 1) return IdStatus::kFound;
      } else if (key.size() < path.size() && path[key.size()] == '.' &&
                 path.substr(0, key.size()) == key && value[0] == '{') {
        const IdStatus status = FindNested(value, path.substr(key.size() + 1), found, id, error);
        if (status == IdStatus::kError || *found > 1) return status;
      }
    }
  }

  // --- Payload shapes -----------------------------------------------------

  bool RunJson() {
    SkipSpace();
    if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingValue);
    if (data_[pos_] == '[') return RunArray();
    if (data_[pos_] == '{') {
      // A lone object is parsed as a whole Value, trailing bytes included.
      if (!Document(Mode::kStrict)) return false;
      SkipSpace();
      if (pos_ < n_) return FailPeek(Serde::kTrailingCharacters);
      return true;
    }
    // Any other value: its syntax is checked, then it is not documents.
    if (!SkipValue(Mode::kStrict, 0)) return false;
    return FailWith(NotObjects());
  }

  // serde_json's sequence access over the array; each element is read raw.
  bool RunArray() {
    ++pos_;
    bool first = true;
    while (true) {
      SkipSpace();
      if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingList);
      if (data_[pos_] == ']') {
        ++pos_;
        return true;  // Meilisearch never looks past the closing bracket
      }
      if (!first) {
        if (data_[pos_] != ',') return FailPeek(Serde::kExpectedListCommaOrEnd);
        ++pos_;
        SkipSpace();
        if (pos_ >= n_) return FailPeek(Serde::kEofWhileParsingValue);
        if (data_[pos_] == ']') return FailPeek(Serde::kTrailingComma);
      }
      first = false;
      if (data_[pos_] == '{') {
        if (!Document(Mode::kRaw)) return false;
        continue;
      }
      const size_t element = pos_;
      if (!SkipValue(Mode::kRaw, 0)) return false;
      return DocumentRefused(ReadAsMap(std::string_view(data_ + element, pos_ - element)));
    }
  }

  // serde_json's stream of values separated by whitespace.
  bool RunNdjson() {
    while (true) {
      SkipSpace();
      if (pos_ >= n_) return true;
      const char c = data_[pos_];
      if (c == '{') {
        if (!Document(Mode::kRaw)) return false;
        continue;
      }
      const size_t value = pos_;
      if (!SkipValue(Mode::kRaw, 0)) return false;
      // A value without closing delimiter must be followed by one.
      if (c != '[' && c != '"' && pos_ < n_ &&
          std::string_view(" \n\t\r\"[]{},:").find(data_[pos_]) == std::string_view::npos) {
        return FailPeek(Serde::kTrailingCharacters);
      }
      return FailWith(ReadAsMap(std::string_view(data_ + value, pos_ - value)));
    }
  }

  const char* data_;
  size_t n_;
  size_t pos_ = 0;
  PayloadFormat format_;
  DocumentSink* sink_;

  std::string pk_;
  bool pk_known_ = false;
  bool pk_nested_ = false;

  size_t doc_index_ = 0;
  bool saw_space_ = false;  // whitespace outside strings in the current document
  std::string stack_;                  // open containers inside a value
  std::vector<Candidate> candidates_;  // primary-key holders of the current document
  // The first document's fields while the primary key is still unknown.
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> first_fields_;
  std::string key_scratch_;
  std::string id_scratch_;

  size_t bad_utf8_ = kNone;  // offset of the first invalid UTF-8 byte
  std::optional<Error> error_;
};

}  // namespace

Result<void> SplitJson(std::string_view payload, PayloadFormat format,
                       const std::optional<std::string>& primary_key, DocumentSink* sink) {
  JsonSplitter splitter(payload, format, primary_key, sink);
  return splitter.Run();
}

}  // namespace miroir::internal
