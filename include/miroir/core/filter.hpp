// Meilisearch's filter grammar: parsing, the syntax tree, and printing back.
//
// A filter is either a string expression ("genre = horror AND year > 2000")
// or a JSON array whose outer elements are ANDed and whose nested arrays are
// ORed (["a = 1", ["b = 2", "c = 3"]]). Both forms parse to one tree.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "miroir/core/error.hpp"

namespace miroir::filter {

enum class Op {
  kEq,              // attr = v
  kNe,              // attr != v
  kGt,              // attr > v
  kGe,              // attr >= v
  kLt,              // attr < v
  kLe,              // attr <= v
  kRange,           // attr v1 TO v2 (inclusive both ends)
  kIn,              // attr IN [v1, v2, ...]
  kExists,          // attr EXISTS
  kIsNull,          // attr IS NULL
  kIsEmpty,         // attr IS EMPTY
  kContains,        // attr CONTAINS v
  kStartsWith,      // attr STARTS WITH v
  kGeoRadius,       // _geoRadius(lat, lng, meters)
  kGeoBoundingBox,  // _geoBoundingBox([lat, lng], [lat, lng])
};

// A literal as written in the filter. Whether it is compared as a number or
// as a string is decided at evaluation time, as Meilisearch does.
struct Value {
  std::string text;
  bool quoted = false;
};

struct Condition {
  std::string attribute;     // empty for the _geo functions
  Op op = Op::kEq;
  // The negated forms (NOT IN, NOT EXISTS, IS NOT NULL, IS NOT EMPTY,
  // NOT CONTAINS, NOT STARTS WITH) set this instead of wrapping in kNot.
  bool negated = false;
  std::vector<Value> values;  // 1 for comparisons, 2 for TO, n for IN, 0 for EXISTS/IS
  std::vector<double> geo;    // arguments of the _geo functions
  // Where the attribute is spelled in the parsed text (inside its quotes),
  // as byte offsets. A source position: not part of equality.
  size_t attribute_begin = 0;
  size_t attribute_end = 0;
};

struct Node {
  enum class Kind { kCondition, kAnd, kOr, kNot };
  Kind kind = Kind::kCondition;
  Condition condition;          // when kind == kCondition
  std::vector<Node> children;   // operands of kAnd / kOr; the one operand of kNot
};

// Parses a string expression. An empty or all-blank string parses to
// nullopt (Meilisearch treats it as no filter). Errors carry `error_code`
// (invalid_search_filter for search, invalid_document_filter for documents)
// and a message in Meilisearch's style naming the offending position.
// As in Meilisearch, keywords (AND, OR, NOT, IN, TO, EXISTS, IS, NULL, EMPTY,
// CONTAINS, STARTS WITH) are case-sensitive: `a = 1 and b = 2` is an error
// and `title = and` compares with the word "and". Filters Meilisearch accepts
// but this tree cannot represent (_geoPolygon, `_vectors... EXISTS`,
// `_foreign(...)`) fail with miroir_unsupported.
Result<std::optional<Node>> Parse(std::string_view text,
                                  ErrorCode error_code = ErrorCode::kInvalidSearchFilter);

// Parses the JSON form: null, a string, or an array of strings and arrays of
// strings (one level of nesting, as Meilisearch allows).
Result<std::optional<Node>> ParseJson(const nlohmann::json& filter,
                                      ErrorCode error_code = ErrorCode::kInvalidSearchFilter);

// Prints a tree back as a string expression that Parse accepts and that
// Meilisearch accepts. Attribute names are always double-quoted; a value is
// printed bare only when it was bare in the source (Value::quoted == false)
// and is a plain word, otherwise double-quoted with `\` and `"` escaped.
// Parentheses appear exactly where grouping needs them (an OR inside an AND,
// a nested AND/OR of the same kind, a group under NOT): every extra pair
// costs Meilisearch depth budget (see kMaxDepth).
// For any tree Parse produced, Parse(ToString(t)) == t.
// REQUIRES: every kAnd/kOr node has at least one child; geo arguments are
// finite.
std::string ToString(const Node& node);

// Every attribute the filter names (for filterableAttributes checks), in
// order of first appearance, without duplicates. The _geo functions count as
// naming "_geo".
std::vector<std::string> Attributes(const Node& node);

// --- Miroir's reserved fields in client filters ---------------------------------
//
// Miroir makes `_miroir_shard` (and, with anti-entropy, `_miroir_updated_at`
// and `_miroir_digest`) filterable on the nodes for its own use. To a client
// they do not exist: naming one must fail exactly as naming any attribute
// that is not filterable. Miroir gets that error from the nodes themselves by
// masking: the name is replaced by a spelling of the same length that no
// document can hold (the `_miroir_` prefix is reserved) and that Miroir never
// makes filterable (its tail upper-cased: `_miroir_SHARD`). The node then
// reports the masked name, at the same position, with the index's own list
// of filterable patterns; UnmaskReservedNames restores the client's spelling.
// A client whose filterableAttributes pattern matches the masked name (`*`)
// gets what Meilisearch gives for an attribute no document has: no match.

// True for the reserved fields Miroir makes filterable on the nodes.
bool IsMaskedReservedName(std::string_view name);
// `_miroir_shard` -> `_miroir_SHARD`. REQUIRES: IsMaskedReservedName(name).
std::string MaskedName(std::string_view name);
// Replaces every masked spelling in `text` (an error message or body) by the
// client's spelling.
std::string UnmaskReservedNames(std::string text);

// `text` with every attribute that IsMaskedReservedName masked (values are
// left alone); nullopt when the filter names none or does not parse (the
// node then reports the syntax error as Meilisearch would).
std::optional<std::string> MaskReservedAttributes(std::string_view text);

// Meilisearch's parser recursion budget. Each parenthesis level costs 4 and
// each NOT costs 1; 36 nested parenthesis levels is the deepest filter it
// accepts. Deeper input fails with Meilisearch's depth-limit message.
inline constexpr int kMaxDepth = 150;

// Structural equality (the source positions are not part of the tree).
bool operator==(const Value& a, const Value& b);
bool operator==(const Condition& a, const Condition& b);
bool operator==(const Node& a, const Node& b);

}  // namespace miroir::filter
