// Byte-level helpers on top of simdjson's On-Demand API, for code that passes
// JSON through as slices of its input instead of building a DOM: locating
// members and values in the input, dropping members by byte range, and
// decoding the few strings that must be compared.
//
// Internal to miroir_core. Everything here is a pure function of its
// arguments, except ThreadParser(), which hands each thread its own parser.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "miroir/core/error.hpp"

namespace miroir::json_scan {

namespace od = simdjson::ondemand;

// A parser per thread: its buffers grow to the largest document seen and are
// reused, so steady-state parsing allocates nothing.
od::parser& ThreadParser();

// True when every token of `doc` has been consumed (nothing trails the
// root value).
inline bool AtEnd(od::document& doc) {
  const char* location = nullptr;
  return doc.current_location().get(location) == simdjson::OUT_OF_BOUNDS;
}

// Makes `body` safe for simdjson: at least SIMDJSON_PADDING zeroed bytes of
// capacity past its end. Reallocates (one copy) only when capacity is short.
void EnsurePadding(std::string* body);

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The escaped text between the quotes of an object key.
// REQUIRES: `key` comes from a document simdjson has indexed (its closing
// quote exists).
std::string_view KeyText(const od::raw_json_string& key);
inline const char* KeyQuote(const od::raw_json_string& key) { return key.raw() - 1; }

// The escaped key text of a member, found backwards from its value's first
// token (known from simdjson's structural index), which is cheaper than
// scanning the key for its closing quote. Does not consume the value.
// Inline on purpose: an out-of-line call taking the field by reference makes
// the compiler spill simdjson's iterator state on every member (2x slower).
inline std::string_view FieldKey(od::field& field) {
  const char* raw = field.key().raw();
  const char* p = field.value().raw_json_token().data() - 1;
  while (p > raw && IsJsonSpace(*p)) --p;
  if (p > raw && *p == ':') {
    --p;
    while (p > raw && IsJsonSpace(*p)) --p;
    if (p >= raw && *p == '"') return std::string_view(raw, static_cast<size_t>(p - raw));
  }
  return KeyText(field.key());
}

// The ',' that precedes the member whose key starts at `key_quote`, or
// nullptr when the bytes down to `floor` are not whitespace then ','.
const char* SeparatorBefore(const char* key_quote, const char* floor);

// The '}' or ']' just before `next_token` (skipping whitespace), or nullptr.
const char* CloserBefore(const char* next_token, const char* floor);

// The raw JSON text of `value` (an object, array or scalar), without
// surrounding whitespace. Consumes the value.
simdjson::simdjson_result<std::string_view> RawValue(od::value& value);

// Walks `value` completely, so that simdjson validates every byte of it
// (On-Demand only validates what it visits). Consumes the value.
simdjson::error_code Validate(od::value value, int depth = 0);

// Decodes the escaped body of a JSON string (without quotes). Returns the
// input itself when it holds no escape, else a copy decoded into `arena`
// (whose elements never move). Returns false in `ok` on a malformed escape.
std::string_view Unescape(std::string_view escaped, std::deque<std::string>* arena, bool* ok);

// True when every escape sequence of `escaped` (a JSON string body) is valid.
bool CheckEscapes(std::string_view escaped);

// Byte range [begin, end) of a body to leave out when re-emitting it.
struct Cut {
  uint32_t begin;
  uint32_t end;
};

// Turns "keep / drop" decisions on the members of one object into cuts that
// leave valid JSON: a run of dropped members takes its leading ',' when a
// kept member precedes it, else its trailing ',' (so "{a,b,c}" minus b is
// "{a,c}", minus a is "{b,c}", minus all is "{}").
//
// Feed Member() for every member in document order, then Finish() once.
class CutBuilder {
 public:
  CutBuilder(const char* base, std::vector<Cut>* out) : base_(base), out_(out) {}

  // `key_quote` is the opening quote of the member's key.
  // Returns false when the input between members is not whitespace and ','.
  // Inline: it runs for every member of every hit.
  bool Member(const char* key_quote, bool keep) {
    if (has_prev_ && prev_keep_) any_kept_ = true;
    has_prev_ = true;
    prev_keep_ = keep;
    if (keep == !group_open_) return true;  // a kept member outside a run, or a run goes on
    return keep ? CloseGroup(key_quote) : OpenGroup(key_quote);
  }
  // `close` is the object's '}'.
  void Finish(const char* close);

 private:
  bool OpenGroup(const char* key_quote);
  bool CloseGroup(const char* key_quote);
  void Emit(const char* begin, const char* end);

  const char* base_;
  std::vector<Cut>* out_;
  bool has_prev_ = false;
  bool prev_keep_ = false;
  bool any_kept_ = false;
  bool group_open_ = false;
  bool group_leading_ = false;
  const char* group_begin_ = nullptr;
};

// Appends base[begin, end) to `out`, leaving out `cuts` (sorted, disjoint,
// inside the range).
void AppendWithCuts(std::string* out, const char* base, uint32_t begin, uint32_t end,
                    const Cut* cuts, size_t cut_count);

// Error for a node answer Miroir cannot read: miroir_node_error (502).
Error NodeBodyError(std::string_view what, simdjson::error_code code = simdjson::SUCCESS);

}  // namespace miroir::json_scan
