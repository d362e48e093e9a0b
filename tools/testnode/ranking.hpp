// Keyword matching and ranking for the test node's search: which documents
// match the query words under a matching strategy, and the ranks Meilisearch's
// ranking rules give them. Scores follow Meilisearch's arithmetic: each rule
// yields a rank out of a maximum, ranks are merged lexicographically (earlier
// rules weigh more) and the global _rankingScore is the merged fraction.
// The ranks themselves are plausible stand-ins for milli's (no typos, simple
// proximity and position buckets), not exact copies.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "search_query.hpp"

namespace miroir::testnode {

struct Rank {
  uint64_t rank = 1;  // higher is better; max is a perfect match
  uint64_t max = 1;
  double Local() const { return max ? static_cast<double>(rank) / max : 0; }
};
// milli's lexicographic merge of an inner rule's rank into the outer ones.
Rank MergeRanks(Rank outer, Rank inner);
double GlobalScore(const std::vector<Rank>& ranks);

enum class RuleKind {
  kWords,
  kTypo,
  kProximity,
  kAttribute,      // attribute rank then word position, as one rule
  kAttributeRank,
  kWordPosition,
  kSort,           // where the query's `sort` applies
  kExactness,
  kAsc,            // custom `field:asc`
  kDesc,           // custom `field:desc`
};

struct RankingRule {
  RuleKind kind;
  std::string field;  // for kAsc / kDesc
};
std::vector<RankingRule> ParseRankingRules(const std::vector<std::string>& rules);

// One occurrence of a query word in a document.
struct QueryPosting {
  uint32_t doc;
  uint16_t attr;
  uint16_t pos;
  bool exact;     // the word itself (not a prefix expansion or a synonym)
  bool last;      // the last word of its value
  uint8_t typos;  // edits between the query word and the document's word
};

// A query word with all its occurrences, sorted by (doc, attr, pos).
struct QueryTerm {
  std::string word;
  bool prefix = false;
  std::vector<QueryPosting> postings;
  size_t doc_count = 0;     // distinct documents
  uint8_t max_typos = 0;    // typos the word allows
  std::vector<std::string> derivations;  // other words it matched (typos, synonyms)
};

enum class ExactMatch : uint8_t { kExactMatch, kMatchesStart, kNoExactMatch };

// What the rules need to know about one matching document.
struct KeywordMatch {
  uint32_t doc;
  uint8_t matched_words;    // words rule: query words counted as matched
  uint16_t proximity_cost;  // sum over consecutive matched words, 0 is best
  uint16_t best_attr;       // most important attribute holding a query word
  uint16_t best_pos;        // first position of a query word in it
  ExactMatch exact;
  uint8_t exact_words;      // query words present as themselves
  uint8_t typos;            // fewest typos of each matched word, summed
};

struct KeywordOptions {
  MatchingStrategy strategy = MatchingStrategy::kLast;
  bool proximity_by_attribute = false;  // proximityPrecision byAttribute
  // searchableAttributes ["*"]: milli gives every field weight 0, so the
  // attribute rules cannot tell fields apart (a field added to the documents
  // changes no score); an explicit list weighs fields by their rank in it.
  bool equal_attribute_weights = false;
};

// The documents matching `terms` (at least the words the strategy cannot
// drop), in document order. Only the first kMaxWords terms count.
constexpr size_t kMaxWords = 10;
std::vector<KeywordMatch> MatchKeywords(const std::vector<QueryTerm>& terms,
                                        const KeywordOptions& options);

// The rank a rank rule gives a match; `words` is the number of query words,
// `attributes` the number of attribute weights (1 when all weigh the same).
constexpr uint32_t kProximityStep = 7;
constexpr uint32_t kPositionBuckets = 11;
Rank WordsRank(const KeywordMatch& m, size_t words);
// `max_typos`: the typos the query's words allow, summed.
Rank TypoRank(const KeywordMatch& m, size_t max_typos);
Rank ProximityRank(const KeywordMatch& m);
Rank AttributeRank(const KeywordMatch& m, size_t attributes);
Rank PositionRank(const KeywordMatch& m);
Rank ExactAttributeRank(const KeywordMatch& m);
Rank ExactWordsRank(const KeywordMatch& m, size_t words);

}  // namespace miroir::testnode
