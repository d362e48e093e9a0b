// Helpers shared by the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
//
// A target checks invariants with FUZZ_CHECK: a violated one prints what was
// expected and aborts, which libFuzzer records as a crash with its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
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

// simdjson refuses integers outside 64 bits and numbers past a double's
// range, which JSON allows and serde_json (so Meilisearch) reads as doubles;
// for those, nlohmann's parser decides instead. (It takes a NUL byte for the
// end of its input, so text holding one is never valid there: raw NULs have
// no place in JSON.)
inline bool IsNumberRangeError(simdjson::error_code e) {
  return e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE;
}

// Whether `text` is one complete, valid JSON value (RFC 8259, UTF-8), and an
// object when `object` is set; nested at most `max_depth` levels when given,
// else with no limit worth speaking of: Miroir passes document bytes through
// at any depth, so the check must not be stricter than the code it checks.
inline bool IsValidJson(std::string_view text, bool object = false, size_t max_depth = 0) {
  static simdjson::dom::parser parser;
  const size_t depth = max_depth ? max_depth : text.size() / 2 + 4;
  if (parser.allocate(text.size() + 64, depth) != simdjson::SUCCESS) return false;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  const auto err = parser.parse(padded).get(root);
  if (IsNumberRangeError(err)) {
    if (text.find('\0') != std::string_view::npos) return false;
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    return !j.is_discarded() && (!object || j.is_object());
  }
  return err == simdjson::SUCCESS && (!object || root.is_object());
}

inline bool IsJsonObject(std::string_view text, size_t max_depth = 0) {
  return IsValidJson(text, /*object=*/true, max_depth);
}

}  // namespace miroir::fuzz
