#include "core/facet_merge.hpp"

#include <algorithm>
#include <utility>
#include <charconv>
#include <functional>

#include "core/json_scan.hpp"
#include "core/rank_compare.hpp"

namespace miroir::facets {

namespace od = simdjson::ondemand;

simdjson::error_code ParseDistribution(od::value value, Block* block) {
  od::object facets;
  if (auto err = value.get_object().get(facets)) return err;
  block->has_distribution = true;
  for (auto facet_result : facets) {
    od::field facet;
    if (auto err = std::move(facet_result).get(facet)) return err;
    std::string_view name = json_scan::FieldKey(facet);
    od::object values;
    if (auto err = facet.value().get_object().get(values)) return err;
    for (auto value_result : values) {
      od::field entry;
      if (auto err = std::move(value_result).get(entry)) return err;
      Entry e{name, json_scan::FieldKey(entry), 0};
      if (auto err = entry.value().get_uint64().get(e.count)) return err;
      block->distribution.push_back(e);
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ParseStats(od::value value, Block* block) {
  od::object facets;
  if (auto err = value.get_object().get(facets)) return err;
  block->has_stats = true;
  for (auto facet_result : facets) {
    od::field facet;
    if (auto err = std::move(facet_result).get(facet)) return err;
    Stat stat;
    stat.facet = json_scan::FieldKey(facet);
    od::object bounds;
    if (auto err = facet.value().get_object().get(bounds)) return err;
    bool has_min = false, has_max = false;
    for (auto bound_result : bounds) {
      od::field bound;
      if (auto err = std::move(bound_result).get(bound)) return err;
      std::string_view name = json_scan::FieldKey(bound);
      if (name != "min" && name != "max") continue;
      od::value number = bound.value();
      std::string_view raw = number.raw_json_token();
      while (!raw.empty() && json_scan::IsJsonSpace(raw.back())) raw.remove_suffix(1);
      double d = 0;
      if (auto err = number.get_double().get(d)) return err;
      if (name == "min") {
        stat.min = d;
        stat.min_raw = raw;
        has_min = true;
      } else {
        stat.max = d;
        stat.max_raw = raw;
        has_max = true;
      }
    }
    if (!has_min || !has_max) return simdjson::NO_SUCH_FIELD;
    block->stats.push_back(stat);
  }
  return simdjson::SUCCESS;
}

namespace {

bool IsReserved(std::string_view facet) { return facet.rfind("_miroir_", 0) == 0; }

bool LooksNumeric(std::string_view s, double* out) {
  // Meilisearch prints number facet values with Rust's f64 Display:
  // "-12", "3.5" — no exponent, no sign on positives, no "inf".
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  for (size_t j = i; j < s.size(); ++j) {
    char c = s[j];
    if ((c < '0' || c > '9') && c != '.') return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<CandidateCount> CountCandidates(const std::vector<const Block*>& blocks,
                                              uint64_t max_values) {
  if (blocks.empty()) return std::nullopt;
  CandidateCount out;
  out.exact = true;
  for (const Block* block : blocks) {
    uint64_t values = 0;
    for (const Entry& e : block->distribution) {
      if (e.facet != "_miroir_shard") continue;
      out.count += e.count;
      ++values;
    }
    // No value: the node had no candidates. As many values as the node may
    // list: some may have been cut.
    if (values >= max_values) out.exact = false;
  }
  return out;
}

void ValueMerger::Clear() {
  entries_.clear();
  node_starts_.clear();
  arena_.clear();
}

ValueMerger::AlphaKey ValueMerger::MakeKey(std::string_view raw) {
  AlphaKey key;
  key.raw = raw;
  // Most values need no decoding nor normalizing: check in one pass.
  bool plain = !raw.empty() && !json_scan::IsJsonSpace(raw.front()) &&
               !json_scan::IsJsonSpace(raw.back());
  for (char c : raw) {
    if (c == '\\' || (c >= 'A' && c <= 'Z')) {
      plain = false;
      break;
    }
  }
  char first = raw.empty() ? '\0' : raw.front();
  bool maybe_number = !byte_order_ && ((first >= '0' && first <= '9') || first == '-');
  if (plain && !maybe_number) {
    key.text = raw;
    return key;
  }
  bool ok = true;
  std::string_view text = json_scan::Unescape(raw, &arena_, &ok);
  if (byte_order_) {
    key.text = text;
  } else if (LooksNumeric(text, &key.numeric)) {
    key.number = true;
    key.text = text;
  } else {
    key.text = rank::NormalizeFacetString(text, &arena_);
  }
  return key;
}

const ValueCounts& ValueMerger::Finish(FacetValuesOrder order,
                                       std::optional<uint64_t> max_values) {
  keys_.clear();
  keys_.reserve(entries_.size());
  for (const auto& entry : entries_) keys_.push_back(MakeKey(entry.first));
  // Is every node's list in alpha order? In count order?
  bool all_alpha = true, count_somewhere = false;
  for (size_t n = 0; n < node_starts_.size(); ++n) {
    bool alpha = true, by_count = true;
    for (size_t i = node_starts_[n] + 1; i < NodeEnd(n); ++i) {
      if (!AlphaLess(keys_[i - 1], keys_[i])) alpha = false;
      if (entries_[i].second > entries_[i - 1].second) by_count = false;
    }
    all_alpha = all_alpha && alpha;
    count_somewhere = count_somewhere || (!alpha && by_count);
  }
  if (order == FacetValuesOrder::kAuto) {
    order = count_somewhere ? FacetValuesOrder::kCount : FacetValuesOrder::kLexicographic;
  }
  out_.clear();
  if (order != FacetValuesOrder::kCount && all_alpha) {
    MergeSortedLists(max_values);
  } else {
    SortUnion(order, max_values);
  }
  return out_;
}

void ValueMerger::MergeSortedLists(std::optional<uint64_t> max_values) {
  // A k-way merge of sorted lists: equal values meet as neighbours, so the
  // sums need no lookup table, and the merge stops once the page is full.
  std::vector<size_t> heads(node_starts_.begin(), node_starts_.end());
  uint64_t limit = max_values.value_or(UINT64_MAX);
  const AlphaKey* last = nullptr;
  for (;;) {
    size_t best = SIZE_MAX;
    for (size_t n = 0; n < heads.size(); ++n) {
      if (heads[n] >= NodeEnd(n)) continue;
      if (best == SIZE_MAX || AlphaLess(keys_[heads[n]], keys_[heads[best]])) best = n;
    }
    if (best == SIZE_MAX) break;
    size_t i = heads[best]++;
    if (last != nullptr && SameValue(*last, keys_[i])) {
      out_.back().second += entries_[i].second;
      continue;
    }
    if (out_.size() >= limit) break;
    out_.push_back(entries_[i]);
    last = &keys_[i];
  }
}

void ValueMerger::SortUnion(FacetValuesOrder order, std::optional<uint64_t> max_values) {
  // Deduplicate through an open-addressing table (no allocation per value).
  size_t capacity = 16;
  while (capacity < entries_.size() * 2) capacity <<= 1;
  slots_.assign(capacity, UINT32_MAX);
  unique_.clear();
  std::vector<uint64_t> sums;
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    size_t h = (std::hash<std::string_view>()(keys_[i].text) + keys_[i].number) & (capacity - 1);
    while (slots_[h] != UINT32_MAX && !SameValue(keys_[unique_[slots_[h]]], keys_[i])) {
      h = (h + 1) & (capacity - 1);
    }
    if (slots_[h] == UINT32_MAX) {
      slots_[h] = static_cast<uint32_t>(unique_.size());
      unique_.push_back(i);
      sums.push_back(entries_[i].second);
    } else {
      sums[slots_[h]] += entries_[i].second;
    }
  }
  std::vector<uint32_t> rank(unique_.size());
  for (uint32_t u = 0; u < rank.size(); ++u) rank[u] = u;
  std::sort(rank.begin(), rank.end(), [&](uint32_t a, uint32_t b) {
    return AlphaLess(keys_[unique_[a]], keys_[unique_[b]]);
  });
  if (order == FacetValuesOrder::kCount) {
    // Numbers (by count) still come before strings (by count).
    std::stable_sort(rank.begin(), rank.end(), [&](uint32_t a, uint32_t b) {
      bool a_number = keys_[unique_[a]].number, b_number = keys_[unique_[b]].number;
      if (a_number != b_number) return a_number;
      return sums[a] > sums[b];
    });
  }
  size_t n = rank.size();
  if (max_values && n > *max_values) n = static_cast<size_t>(*max_values);
  for (size_t i = 0; i < n; ++i) {
    out_.emplace_back(entries_[unique_[rank[i]]].first, sums[rank[i]]);
  }
}

static FacetValuesOrder OrderFor(std::string_view facet, const MergeRules& rules) {
  for (const auto& [name, order] : rules.order_by_facet) {
    if (name == facet) return order;
  }
  return rules.order;
}

void AppendDistribution(std::string* out, const std::vector<const Block*>& blocks,
                        const MergeRules& rules) {
  // Nodes write each facet's values together: index the runs once.
  struct Run {
    std::string_view facet;
    uint32_t block;
    uint32_t begin, end;  // in blocks[block]->distribution
  };
  std::vector<Run> runs;
  for (uint32_t b = 0; b < blocks.size(); ++b) {
    const std::vector<Entry>& entries = blocks[b]->distribution;
    for (uint32_t i = 0; i < entries.size();) {
      uint32_t j = i + 1;
      while (j < entries.size() && entries[j].facet == entries[i].facet) ++j;
      if (!IsReserved(entries[i].facet)) runs.push_back(Run{entries[i].facet, b, i, j});
      i = j;
    }
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& a, const Run& b) { return a.facet < b.facet; });

  out->push_back('{');
  ValueMerger merger(rules.byte_order, rules.numbers_by_text);
  for (size_t r = 0; r < runs.size();) {
    std::string_view name = runs[r].facet;
    merger.Clear();
    uint32_t last_block = UINT32_MAX;
    for (; r < runs.size() && runs[r].facet == name; ++r) {
      if (runs[r].block != last_block) merger.StartNode();
      last_block = runs[r].block;
      const std::vector<Entry>& entries = blocks[runs[r].block]->distribution;
      for (uint32_t i = runs[r].begin; i < runs[r].end; ++i) {
        merger.Add(entries[i].value, entries[i].count);
      }
    }
    const ValueCounts& values = merger.Finish(OrderFor(name, rules), rules.max_values);
    if (out->back() != '{') out->push_back(',');
    out->push_back('"');
    out->append(name);
    out->append("\":{");
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->push_back('"');
      out->append(values[i].first);
      out->append("\":");
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), values[i].second);
      (void)ec;
      out->append(buf, static_cast<size_t>(end - buf));
    }
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendStats(std::string* out, const std::vector<const Block*>& blocks) {
  std::vector<Stat> merged;
  for (const Block* block : blocks) {
    for (const Stat& s : block->stats) {
      if (IsReserved(s.facet)) continue;
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](const Stat& m) { return m.facet == s.facet; });
      if (it == merged.end()) {
        merged.push_back(s);
        continue;
      }
      if (s.min < it->min) {
        it->min = s.min;
        it->min_raw = s.min_raw;
      }
      if (s.max > it->max) {
        it->max = s.max;
        it->max_raw = s.max_raw;
      }
    }
  }
  std::sort(merged.begin(), merged.end(),
            [](const Stat& a, const Stat& b) { return a.facet < b.facet; });
  out->push_back('{');
  for (size_t i = 0; i < merged.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('"');
    out->append(merged[i].facet);
    out->append("\":{\"min\":");
    out->append(merged[i].min_raw);
    out->append(",\"max\":");
    out->append(merged[i].max_raw);
    out->push_back('}');
  }
  out->push_back('}');
}

}  // namespace miroir::facets
