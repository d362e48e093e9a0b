// Helpers shared by the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
//
// A target checks invariants with FUZZ_CHECK: a violated one prints what was
// expected and aborts, which libFuzzer records as a crash with its input.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) ::miroir::fuzz::Fail(__FILE__, __LINE__, #cond, (what));             \
  } while (0)

namespace miroir::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* cond,
                              std::string_view what) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n  %.*s\n", file, line, cond,
               static_cast<int>(what.size() < 4000 ? what.size() : 4000), what.data());
  std::abort();
}

// Reads a fuzz input front to back: small selector bytes first, then text.
// Past the end, bytes read as 0 and strings as empty, so every input is usable.
class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : text_(reinterpret_cast<const char*>(data), size) {}

  uint8_t Byte() {
    if (pos_ >= text_.size()) return 0;
    return static_cast<uint8_t>(text_[pos_++]);
  }
  // Up to the next `separator` (not included), which is skipped; the rest of
  // the input when there is none.
  std::string_view Until(std::string_view separator) {
    const std::string_view rest = text_.substr(pos_);
    const size_t at = rest.find(separator);
    if (at == std::string_view::npos) {
      pos_ = text_.size();
      return rest;
    }
    pos_ += at + separator.size();
    return rest.substr(0, at);
  }
  std::string_view Rest() {
    const std::string_view rest = text_.substr(pos_);
    pos_ = text_.size();
    return rest;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The space-separated words of an option line ("ndjson pk=id shards=4").
inline std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    words.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

// The leading decimal digits of `digits`, capped just past 2^40.
inline uint64_t Number(std::string_view digits) {
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') break;
    n = n * 10 + static_cast<uint64_t>(c - '0');
    if (n > (uint64_t{1} << 40)) break;
  }
  return n;
}

// simdjson refuses integers outside 64 bits, numbers past a double's range
// and lone surrogate escapes, which Miroir passes through inside documents
// (as serde_json's ignore_value does; Meilisearch reads them later). For the
// checks of such bytes, every well-formed number token that simdjson could
// not hold becomes 0 and every surrogate escape \uD800-\uDFFF becomes \u0041;
// malformed tokens are left as they are.
inline std::string TameNumbers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {  // copy the string, escapes included
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, text.size());
      std::string str(text.substr(i, j - i));
      for (size_t e = 0; e + 5 < str.size(); ++e) {
        if (str[e] != '\\') continue;
        if (str[e + 1] == 'u' && (str[e + 2] == 'd' || str[e + 2] == 'D') &&
            std::string_view("89abcdefABCDEF").find(str[e + 3]) != std::string_view::npos) {
          str.replace(e + 2, 2, "00");
          str[e + 4] = '4';
          str[e + 5] = '1';
        }
        ++e;  // the escaped character is not an escape
      }
      out.append(str);
      i = j;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::string_view("0123456789+-.eE").find(text[j]) !=
                                  std::string_view::npos) {
      ++j;
    }
    const std::string token(text.substr(i, j - i));
    i = j;
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    size_t k = token[0] == '-' ? 1 : 0;
    auto digits = [&] {
      const size_t from = k;
      while (k < token.size() && token[k] >= '0' && token[k] <= '9') ++k;
      return k - from;
    };
    bool ok = k < token.size() && (token[k] == '0' ? (++k, true) : digits() > 0);
    bool integer = true;
    if (ok && k < token.size() && token[k] == '.') {
      ++k;
      integer = false;
      ok = digits() > 0;
    }
    if (ok && k < token.size() && (token[k] == 'e' || token[k] == 'E')) {
      ++k;
      integer = false;
      if (k < token.size() && (token[k] == '+' || token[k] == '-')) ++k;
      ok = digits() > 0;
    }
    ok = ok && k == token.size();
    bool fits = true;
    if (ok && integer) {
      errno = 0;
      if (token[0] == '-') {
        (void)std::strtoll(token.c_str(), nullptr, 10);
      } else {
        (void)std::strtoull(token.c_str(), nullptr, 10);
      }
      fits = errno != ERANGE;
    } else if (ok) {
      fits = std::isfinite(std::strtod(token.c_str(), nullptr));
    }
    out.append(ok && !fits ? "0" : token);
  }
  return out;
}

// Whether `text` is one complete, valid JSON value (RFC 8259, UTF-8), and an
// object when `object` is set; nested at most `max_depth` levels when given,
// else with no limit worth speaking of: Miroir passes document bytes through
// at any depth, so the check must not be stricter than the code it checks.
// `tame`: as TameNumbers (bytes Miroir passes through); without it, the
// check is simdjson's, as strict as serde_json reading a whole request body.
inline bool IsValidJson(std::string_view text, bool object = false, size_t max_depth = 0,
                        bool tame = true) {
  static simdjson::dom::parser parser;
  const std::string tamed = tame ? TameNumbers(text) : std::string(text);
  const size_t depth = max_depth ? max_depth : tamed.size() / 2 + 4;
  if (parser.allocate(tamed.size() + 64, depth) != simdjson::SUCCESS) return false;
  simdjson::dom::element root;
  return parser.parse(tamed).get(root) == simdjson::SUCCESS && (!object || root.is_object());
}

inline bool IsJsonObject(std::string_view text, size_t max_depth = 0, bool tame = true) {
  return IsValidJson(text, /*object=*/true, max_depth, tame);
}

}  // namespace miroir::fuzz
