// Reading a client's JSON request object as a table of members (byte spans
// of the client body) and writing it back with some members replaced — the
// shared mechanics of the search, facet-search and documents rewrites.
//
// Internal to miroir_core. Thread-safe (the scratch buffer is per thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/json_scan.hpp"
#include "miroir/core/error.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir::request {

namespace od = simdjson::ondemand;

// A padded per-thread copy of a client body, positioned so that offsets in
// the copy equal offsets in the body. Valid until the next call on the same
// thread.
struct PaddedView {
  const char* data;
  size_t size;
};
PaddedView CopyPadded(std::string_view body);

// A client body parsed for reading: the start every request analyzer
// shares. Open() copies the body with simdjson's padding (CopyPadded: valid
// until the next call on this thread) and parses it with the thread's
// parser. An empty body is missing_payload and malformed JSON bad_request; a
// body whose root is not an object is validated whole and opens with
// is_object() false (the analyzers pass it through, for the node to refuse
// in its own words).
class ClientBody {
 public:
  ClientBody() = default;
  ClientBody(const ClientBody&) = delete;
  ClientBody& operator=(const ClientBody&) = delete;

  Result<void> Open(std::string_view client_body);
  bool is_object() const { return is_object_; }
  // The root object. REQUIRES: is_object().
  od::value& root() { return root_; }
  // The padded copy; offsets in it equal offsets in the client body.
  const char* data() const { return padded_.data; }
  size_t size() const { return padded_.size; }
  // bad_request unless nothing but whitespace follows the root, once the
  // analyzer has read it.
  Result<void> CheckEnd();

 private:
  PaddedView padded_{nullptr, 0};
  od::document doc_;
  od::value root_;
  bool is_object_ = false;
};

// The escaped key of a member of a client object, with its escape
// sequences checked (simdjson validates them only when a key is unescaped,
// and keys are copied to the nodes as they are).
inline simdjson::error_code ClientKey(od::field& field, std::string_view* key) {
  *key = json_scan::FieldKey(field);
  if (key->find('\\') == std::string_view::npos) return simdjson::SUCCESS;
  return json_scan::CheckEscapes(*key) ? simdjson::SUCCESS : simdjson::STRING_ERROR;
}

// bad_request, worded as Meilisearch words JSON body errors.
Error MalformedBody(simdjson::error_code code);

// Kinds of `filter` values.
enum FilterKind : uint8_t { kFilterAbsent = 0, kFilterString, kFilterArray, kFilterOther };

// Collects member positions while an object is iterated, then resolves them
// into RequestMember spans once the object's '}' is known.
class MemberTable {
 public:
  explicit MemberTable(const char* base) : base_(base) {}
  void Add(const char* key_quote, const char* value_begin, uint8_t param) {
    pending_.push_back({key_quote, value_begin, param});
  }
  // Returns false when the bytes between members are not ", ".
  bool Finish(const char* close, std::vector<RequestMember>* out) const;

 private:
  struct Pending {
    const char* key_quote;
    const char* value_begin;
    uint8_t param;
  };
  const char* base_;
  std::vector<Pending> pending_;
};

// The '}' of the root object of a fully parsed document of `size` bytes.
const char* RootClose(const char* data, size_t size);

// Appends `"filter":<client filter fused with the shard clause>`.
void AppendFusedFilter(std::string* out, uint8_t filter_kind, std::string_view client_filter,
                       const std::vector<uint32_t>& shards);

// Appends the members of `members` whose param is not in `replaced` (a bit
// set over param ids), each followed by ','.
void AppendMembersExcept(std::string* out, std::string_view body,
                         const std::vector<RequestMember>& members, uint64_t replaced);

inline uint64_t Bit(uint8_t param) { return uint64_t{1} << param; }

// Drops a trailing ',' (after the last appended member) and closes with c.
inline void CloseWith(std::string* out, char c) {
  if (!out->empty() && out->back() == ',') out->pop_back();
  out->push_back(c);
}

// The value span of a member.
inline std::string_view MemberValue(std::string_view body, const RequestMember& m) {
  std::string_view v = body.substr(m.value_begin, m.end - m.value_begin);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\n' || v.back() == '\r' ||
                        v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

}  // namespace miroir::request
