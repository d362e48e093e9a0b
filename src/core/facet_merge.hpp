// Merging `facetDistribution` and `facetStats` objects from several nodes
// into the one a single Meilisearch node would have answered.
//
// Facts (Meilisearch 1.x, milli facet_distribution.rs): facetDistribution
// maps facet name -> value -> count, facet names in byte order (a BTreeMap).
// Number values come first, then strings; a facet holds at most
// maxValuesPerFacet values (default 100) in all. Strings that normalize
// alike ("Blue", " blue") are one value, shown with one of their originals.
// In sortFacetValuesBy "alpha" order, strings are in normalized order and
// numbers in numeric order — except when the search matched at most 3,000
// documents, where numbers are ordered by their printed text ("10" < "2").
// In "count" order, numbers by count, then strings by count. facetStats maps
// numeric facet name -> {"min","max"}. Federated search merges differently:
// values keyed by their exact text, "alpha" is byte order of that text and
// "count" one global count order.
//
// Counts: each value's count is the exact sum over nodes (shards partition
// the documents). In alpha order, truncation is exact too: a value among the
// first N of the union is among the first N of every node holding it. In
// count order a value cut off by one node's truncation is undercounted;
// nothing short of raising maxValuesPerFacet on the nodes avoids that.
//
// Internal to miroir_core. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "miroir/core/search_rewrite.hpp"

namespace miroir::facets {

// Facet names and values are kept as escaped JSON text (no quotes), which
// serde_json spells one way only, so equal text means equal value.
struct Entry {
  std::string_view facet;
  std::string_view value;
  uint64_t count = 0;
};

struct Stat {
  std::string_view facet;
  double min = 0;
  double max = 0;
  std::string_view min_raw;  // as the node spelled them, re-emitted untouched
  std::string_view max_raw;
};

// One node's facets (for one index / one query).
struct Block {
  bool has_distribution = false;
  bool has_stats = false;
  std::vector<Entry> distribution;  // in the node's order
  std::vector<Stat> stats;
};

// Parse one node's facetDistribution / facetStats value into `block`.
simdjson::error_code ParseDistribution(simdjson::ondemand::value value, Block* block);
simdjson::error_code ParseStats(simdjson::ondemand::value value, Block* block);

struct MergeRules {
  FacetValuesOrder order = FacetValuesOrder::kAuto;
  std::vector<std::pair<std::string, FacetValuesOrder>> order_by_facet;
  std::optional<uint64_t> max_values;  // none: no truncation
  bool byte_order = false;             // federated merge rules
  bool numbers_by_text = false;        // at most 3,000 matches: "10" < "2"
};

// Appends the merged facetDistribution object ("{...}") of `blocks`. Facets
// named `_miroir_*` are left out.
void AppendDistribution(std::string* out, const std::vector<const Block*>& blocks,
                        const MergeRules& rules);
// Appends the merged facetStats object ("{...}") of `blocks`.
void AppendStats(std::string* out, const std::vector<const Block*>& blocks);

// The documents the nodes counted facets over, read from the
// `_miroir_shard` facet Miroir adds to their queries: every document holds
// exactly one shard number, so a node's counts add up to its candidates —
// uncapped, unlike estimatedTotalHits. A block without the facet counted
// none. `exact` is false when some block lists `max_values` shards (some
// may be cut); `count` is then a lower bound. nullopt without blocks.
struct CandidateCount {
  uint64_t count = 0;
  bool exact = false;
};
std::optional<CandidateCount> CountCandidates(const std::vector<const Block*>& blocks,
                                              uint64_t max_values);

using ValueCounts = std::vector<std::pair<std::string_view, uint64_t>>;

// Merges the value lists of one facet from several nodes: sums the counts
// of equal values, then orders and truncates them. Reusable (Clear()) so
// that merging many facets allocates only while buffers grow.
class ValueMerger {
 public:
  // `byte_order`: federated rules (exact text, byte order, one count
  // order) instead of numbers first, then normalized strings.
  // `numbers_by_text`: alpha order sorts numbers by their text.
  explicit ValueMerger(bool byte_order, bool numbers_by_text = false)
      : byte_order_(byte_order), numbers_by_text_(numbers_by_text) {}

  void Clear();
  // Starts the list of the next node; values then arrive in its order.
  void StartNode() { node_starts_.push_back(static_cast<uint32_t>(entries_.size())); }
  void Add(std::string_view value, uint64_t count) { entries_.push_back({value, count}); }

  // The merged (escaped value, count) list in output order. kAuto guesses
  // the order from the nodes' lists: "count" when some node's list is not in
  // alpha order but is in count order, else "alpha" — a fallback for when
  // the index settings are unknown.
  const ValueCounts& Finish(FacetValuesOrder order, std::optional<uint64_t> max_values);

 private:
  struct AlphaKey {
    bool number = false;
    double numeric = 0;
    std::string_view text;  // decoded; normalized for strings unless byte order
    std::string_view raw;
  };
  AlphaKey MakeKey(std::string_view raw);
  bool AlphaLess(const AlphaKey& a, const AlphaKey& b) const {
    if (a.number != b.number) return a.number;  // numbers first
    if (a.number && !numbers_by_text_ && a.numeric != b.numeric) return a.numeric < b.numeric;
    // Equal values (same normalized text) are not ordered: the k-way merge
    // then keeps the earliest node's original spelling.
    return a.text < b.text;
  }
  // The same value for Meilisearch (strings compare normalized).
  static bool SameValue(const AlphaKey& a, const AlphaKey& b) {
    return a.number == b.number && a.text == b.text;
  }
  size_t NodeEnd(size_t n) const {
    return n + 1 < node_starts_.size() ? node_starts_[n + 1] : entries_.size();
  }
  void MergeSortedLists(std::optional<uint64_t> max_values);
  void SortUnion(FacetValuesOrder order, std::optional<uint64_t> max_values);

  bool byte_order_;
  bool numbers_by_text_;
  ValueCounts entries_;                 // every node's list, node after node
  std::vector<uint32_t> node_starts_;
  std::vector<AlphaKey> keys_;          // per entry
  std::vector<uint32_t> slots_;         // open-addressing table over entries_
  std::vector<uint32_t> unique_;        // first entry of each distinct value
  ValueCounts out_;
  std::deque<std::string> arena_;
};

}  // namespace miroir::facets
