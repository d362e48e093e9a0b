#include "json_syntax.hpp"

#include <cmath>
#include <cstdlib>

namespace miroir::testnode::json_syntax {
namespace {

// serde_json nests at most this deep before giving up.
constexpr int kMaxDepth = 128;

bool IsSpace(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHex(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A recursive-descent checker following serde_json's order of checks, so the
// first error found and where it is reported match serde_json's.
class Checker {
 public:
  explicit Checker(std::string_view text) : t_(text) {}

  std::optional<std::string> Single() {
    if (!Value(0)) return error_;
    SkipSpace();
    if (pos_ < t_.size()) return Fail("trailing characters", pos_);
    return std::nullopt;
  }

  std::optional<std::string> Stream(std::vector<std::pair<size_t, size_t>>* spans) {
    while (true) {
      SkipSpace();
      if (pos_ >= t_.size()) return std::nullopt;
      size_t begin = pos_;
      if (!Value(0)) return error_;
      if (spans) spans->emplace_back(begin, pos_);
      // A value must be followed by a delimiter (so `1 2` is fine, `1x` is not).
      if (pos_ < t_.size()) {
        unsigned char c = t_[pos_];
        if (!(IsSpace(c) || c == '"' || c == '[' || c == ']' || c == '{' || c == '}' ||
              c == ',' || c == ':')) {
          return Fail("trailing characters", pos_);
        }
      }
    }
  }

 private:
  // Records an error located at byte `index` (t_.size() for end of input).
  std::optional<std::string> Fail(std::string_view what, size_t index) {
    size_t line = 1;
    size_t column = 0;
    size_t end = index >= t_.size() ? t_.size() : index + 1;
    for (size_t i = 0; i < end; ++i) {
      if (t_[i] == '\n') {
        ++line;
        column = 0;
      } else {
        ++column;
      }
    }
    error_ = std::string(what) + " at line " + std::to_string(line) + " column " +
             std::to_string(column);
    return error_;
  }
  bool Error(std::string_view what, size_t index) {
    Fail(what, index);
    return false;
  }

  bool AtEnd() const { return pos_ >= t_.size(); }
  unsigned char Peek() const { return static_cast<unsigned char>(t_[pos_]); }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }

  bool Value(int depth) {
    SkipSpace();
    if (AtEnd()) return Error("EOF while parsing a value", pos_);
    unsigned char c = Peek();
    switch (c) {
      case 'n': return Ident("null");
      case 't': return Ident("true");
      case 'f': return Ident("false");
      case '"': ++pos_; return String();
      case '[':
        if (depth + 1 > kMaxDepth) return Error("recursion limit exceeded", pos_);
        ++pos_;
        return List(depth + 1);
      case '{':
        if (depth + 1 > kMaxDepth) return Error("recursion limit exceeded", pos_);
        ++pos_;
        return Object(depth + 1);
      default:
        if (c == '-' || IsDigit(c)) return Number();
        return Error("expected value", pos_);
    }
  }

  bool Ident(std::string_view word) {
    ++pos_;  // first letter already matched
    for (size_t i = 1; i < word.size(); ++i) {
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      if (t_[pos_] != word[i]) return Error("expected ident", pos_);
      ++pos_;
    }
    return true;
  }

  bool Number() {
    size_t start = pos_;
    if (Peek() == '-') {
      ++pos_;
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      if (!IsDigit(Peek())) return Error("invalid number", pos_);
    }
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) return Error("invalid number", pos_);
    } else {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    bool is_float = false;
    if (!AtEnd() && Peek() == '.') {
      is_float = true;
      ++pos_;
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      if (!IsDigit(Peek())) return Error("invalid number", pos_);
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      is_float = true;
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      if (!IsDigit(Peek())) return Error("invalid number", pos_);
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (is_float) {
      std::string digits(t_.substr(start, pos_ - start));
      double v = std::strtod(digits.c_str(), nullptr);
      if (std::isinf(v)) return Error("number out of range", pos_ - 1);
    }
    return true;
  }

  // Called after the opening quote.
  bool String() {
    while (true) {
      if (AtEnd()) return Error("EOF while parsing a string", pos_);
      unsigned char c = Peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) return Error("EOF while parsing a string", pos_);
        unsigned char e = Peek();
        ++pos_;
        switch (e) {
          case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
          case 'u': {
            if (!UnicodeEscape()) return false;
            break;
          }
          default: return Error("invalid escape", pos_ - 1);
        }
        continue;
      }
      if (c < 0x20) {
        return Error("control character (\\u0000-\\u001F) found while parsing a string", pos_);
      }
      if (c >= 0x80) {
        if (!Utf8Sequence()) return false;
        continue;
      }
      ++pos_;
    }
  }

  // Reads 4 hex digits after `\u`; returns false and records the error.
  bool Hex4(unsigned& out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      if (AtEnd()) return Error("EOF while parsing a string", pos_);
      unsigned char h = Peek();
      if (!IsHex(h)) return Error("invalid escape", pos_);
      out = out * 16 + static_cast<unsigned>(IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      ++pos_;
    }
    return true;
  }

  bool UnicodeEscape() {
    unsigned code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return Error("invalid unicode code point", pos_ - 1);
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (AtEnd()) return Error("EOF while parsing a string", pos_);
      if (Peek() != '\\') return Error("lone leading surrogate in hex escape", pos_);
      ++pos_;
      if (AtEnd()) return Error("EOF while parsing a string", pos_);
      if (Peek() != 'u') return Error("lone leading surrogate in hex escape", pos_);
      ++pos_;
      unsigned low = 0;
      if (!Hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Error("invalid unicode code point", pos_ - 1);
    }
    return true;
  }

  bool Utf8Sequence() {
    unsigned char c = Peek();
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4) {
      return Error("invalid unicode code point", pos_);
    }
    for (size_t i = 1; i < len; ++i) {
      if (pos_ + i >= t_.size()) return Error("EOF while parsing a string", t_.size());
      if ((static_cast<unsigned char>(t_[pos_ + i]) & 0xC0) != 0x80) {
        return Error("invalid unicode code point", pos_ + i);
      }
    }
    pos_ += len;
    return true;
  }

  bool List(int depth) {
    SkipSpace();
    if (AtEnd()) return Error("EOF while parsing a list", pos_);
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return Error("EOF while parsing a list", pos_);
      unsigned char c = Peek();
      if (c == ']') {
        ++pos_;
        return true;
      }
      if (c != ',') return Error("expected `,` or `]`", pos_);
      ++pos_;
      SkipSpace();
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      if (Peek() == ']') return Error("trailing comma", pos_);
    }
  }

  bool Object(int depth) {
    SkipSpace();
    if (AtEnd()) return Error("EOF while parsing an object", pos_);
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      // Key.
      if (AtEnd()) return Error("EOF while parsing a value", pos_);
      unsigned char c = Peek();
      if (c == '}') return Error("trailing comma", pos_);
      if (c != '"') return Error("key must be a string", pos_);
      ++pos_;
      if (!String()) return false;
      SkipSpace();
      if (AtEnd()) return Error("EOF while parsing an object", pos_);
      if (Peek() != ':') return Error("expected `:`", pos_);
      ++pos_;
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return Error("EOF while parsing an object", pos_);
      c = Peek();
      if (c == '}') {
        ++pos_;
        return true;
      }
      if (c != ',') return Error("expected `,` or `}`", pos_);
      ++pos_;
      SkipSpace();
    }
  }

  std::string_view t_;
  size_t pos_ = 0;
  std::optional<std::string> error_;
};

}  // namespace

std::optional<std::string> CheckValue(std::string_view text) { return Checker(text).Single(); }

std::optional<std::string> CheckStream(std::string_view text,
                                       std::vector<std::pair<size_t, size_t>>* spans) {
  return Checker(text).Stream(spans);
}

}  // namespace miroir::testnode::json_syntax
