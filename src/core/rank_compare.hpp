// Ordering hits from different nodes the way one Meilisearch node orders
// them: rule by rule from `_rankingScoreDetails` (Meilisearch's bucket sort),
// or, when a node did not send details, by the sort keys read from the
// documents and then `_rankingScore`.
//
// Facts (Meilisearch 1.x, milli score_details.rs): a sort value of null (the
// document lacks the field) ranks after every other value; a number ranks
// before a string whatever the direction; numbers compare as f64, strings
// byte-wise; a geo sort compares distances, a missing distance last. Rank
// rules ("words", "typo", "proximity", "attribute", "exactness", ...) compare
// by their "score", higher first. `_rankingScore` ignores sort rules, so it
// alone cannot order sorted results.
//
// Internal to miroir_core. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace miroir::rank {

// One ranking step of a hit: a rule outcome from the score details, or one
// sort key read from the document.
struct RankValue {
  enum class Kind : uint8_t { kScore, kSort, kGeo, kOther };
  enum class Type : uint8_t { kNull, kNumber, kString, kOther };
  Kind kind = Kind::kOther;
  Type type = Type::kNull;
  bool ascending = true;
  uint32_t order = 0;       // position of the rule among the ranking rules
  double number = 0;        // rule score, numeric sort value or geo distance
  std::string_view text;    // string sort value (decoded; stable storage)
};

// A client sort expression: "price:asc", "a.b:desc", "_geoPoint(1, 2):asc".
struct SortSpec {
  std::string field;  // empty for geo sorts
  bool ascending = true;
  bool geo = false;
};

// Parses sort expressions; ill-formed ones are skipped (the node rejects
// them before any merge happens).
std::vector<SortSpec> ParseSortSpecs(const std::vector<std::string>& sort);

inline constexpr int kIncomparable = 2;

// > 0 when `a` ranks before `b`, < 0 after, 0 when equal.
int CompareSortValues(bool ascending, const RankValue& a, const RankValue& b);

// Compares two rule sequences (sorted by `order`) rule by rule. Returns
// > 0 / < 0 / 0 as above, or kIncomparable when the sequences do not line
// up (different rules), in which case callers fall back to global scores.
int CompareSequences(const RankValue* a, size_t a_count, const RankValue* b, size_t b_count);

// Appends the rules of one `_rankingScoreDetails` object to `out`, sorted by
// their "order". Strings that need decoding are copied into `arena`.
simdjson::error_code ParseScoreDetails(simdjson::ondemand::object details,
                                       std::vector<RankValue>* out,
                                       std::deque<std::string>* arena);

// Meilisearch normalizes facet strings (trim, lowercase) before comparing or
// deduplicating them. This approximation trims ASCII whitespace and lowers
// ASCII letters; other bytes are kept as they are.
std::string_view NormalizeFacetString(std::string_view s, std::deque<std::string>* arena);

// Folds one document leaf into a sort key (`key` starts as null): for an
// ascending sort the smallest number, else the smallest string; for a
// descending sort the largest. This is where a multi-valued field lands in
// Meilisearch's sort (numbers are visited before strings).
void FoldSortLeaf(bool ascending, const RankValue& leaf, RankValue* key);

}  // namespace miroir::rank
