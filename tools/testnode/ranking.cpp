#include "ranking.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace miroir::testnode {
namespace {

constexpr uint16_t kFarAway = 8;  // distance meaning "not close" (or other attribute)

// The occurrences of one term in the current document.
struct Run {
  const QueryPosting* begin = nullptr;
  const QueryPosting* end = nullptr;
  bool empty() const { return begin == end; }
};

// Smallest distance between an occurrence of `a` followed by one of `b` (1
// when adjacent in order); words in reverse order cost one more.
uint16_t PairDistance(Run a, Run b, bool by_attribute) {
  uint16_t best = kFarAway;
  const QueryPosting* i = a.begin;
  const QueryPosting* j = b.begin;
  // Walk both runs in (attr, pos) order, remembering the last occurrence of
  // each word in the current attribute.
  int last_a_attr = -1;
  int last_b_attr = -1;
  uint16_t last_a_pos = 0;
  uint16_t last_b_pos = 0;
  while (i != a.end || j != b.end) {
    bool take_a = j == b.end ||
                  (i != a.end && (i->attr < j->attr || (i->attr == j->attr && i->pos <= j->pos)));
    if (take_a) {
      if (last_b_attr == i->attr) {
        uint16_t d = by_attribute ? 1 : static_cast<uint16_t>(i->pos - last_b_pos + 1);
        best = std::min(best, d);
      }
      last_a_attr = i->attr;
      last_a_pos = i->pos;
      ++i;
    } else {
      if (last_a_attr == j->attr) {
        uint16_t d = by_attribute ? 1 : static_cast<uint16_t>(std::max(1, j->pos - last_a_pos));
        best = std::min(best, d);
      }
      last_b_attr = j->attr;
      last_b_pos = j->pos;
      ++j;
    }
    if (best == 1) break;
  }
  return std::min(best, kFarAway);
}

bool HasExact(Run r) {
  for (const QueryPosting* p = r.begin; p != r.end; ++p) {
    if (p->exact) return true;
  }
  return false;
}

const QueryPosting* FindAt(Run r, uint16_t attr, uint16_t pos) {
  for (const QueryPosting* p = r.begin; p != r.end; ++p) {
    if (p->attr == attr && p->pos == pos) return p;
  }
  return nullptr;
}

}  // namespace

Rank MergeRanks(Rank outer, Rank inner) {
  outer.rank = outer.rank ? outer.rank - 1 : 0;
  outer.rank *= inner.max;
  outer.max *= inner.max;
  outer.rank += inner.rank;
  return outer;
}

double GlobalScore(const std::vector<Rank>& ranks) {
  // Scaled down when the product of maxima would overflow; only the
  // fraction matters.
  double score = 1.0;
  double weight = 1.0;
  for (const Rank& r : ranks) {
    if (r.max == 0) continue;
    // Same as MergeRanks chained, in floating point.
    score -= weight * (1.0 - r.Local());
    weight /= static_cast<double>(r.max);
  }
  return std::clamp(score, 0.0, 1.0);
}

std::vector<RankingRule> ParseRankingRules(const std::vector<std::string>& rules) {
  std::vector<RankingRule> out;
  for (const auto& r : rules) {
    if (r == "words") {
      out.push_back({RuleKind::kWords, ""});
    } else if (r == "typo") {
      out.push_back({RuleKind::kTypo, ""});
    } else if (r == "proximity") {
      out.push_back({RuleKind::kProximity, ""});
    } else if (r == "attribute") {
      out.push_back({RuleKind::kAttribute, ""});
    } else if (r == "attributeRank") {
      out.push_back({RuleKind::kAttributeRank, ""});
    } else if (r == "wordPosition") {
      out.push_back({RuleKind::kWordPosition, ""});
    } else if (r == "sort") {
      out.push_back({RuleKind::kSort, ""});
    } else if (r == "exactness") {
      out.push_back({RuleKind::kExactness, ""});
    } else if (r.size() > 4 && r.compare(r.size() - 4, 4, ":asc") == 0) {
      out.push_back({RuleKind::kAsc, r.substr(0, r.size() - 4)});
    } else if (r.size() > 5 && r.compare(r.size() - 5, 5, ":desc") == 0) {
      out.push_back({RuleKind::kDesc, r.substr(0, r.size() - 5)});
    }
  }
  return out;
}

namespace {

// Ranks one document from the runs of its matched words (`matched` lists
// their indexes in query order; `n` is the number of query words).
KeywordMatch Describe(uint32_t doc, const Run* all_runs, const size_t* matched, size_t kept,
                      size_t n, const KeywordOptions& options) {
  const bool by_attribute = options.proximity_by_attribute;
  // Like milli's ranking rules, which look past the typo rule only at the
  // words of the bucket they rank, the other rules see each word's
  // occurrences with its fewest typos.
  thread_local std::array<std::vector<QueryPosting>, kMaxWords> buffers;
  std::array<Run, kMaxWords> runs;
  uint8_t typos = 0;
  for (size_t i = 0; i < n; ++i) runs[i] = all_runs[i];
  for (size_t k = 0; k < kept; ++k) {
    const size_t i = matched[k];
    const Run& r = all_runs[i];
    uint8_t fewest = UINT8_MAX;
    bool mixed = false;
    for (const QueryPosting* q = r.begin; q != r.end; ++q) {
      if (fewest != UINT8_MAX && q->typos != fewest) mixed = true;
      fewest = std::min(fewest, q->typos);
    }
    typos = static_cast<uint8_t>(typos + fewest);
    if (!mixed) continue;
    buffers[i].clear();
    for (const QueryPosting* q = r.begin; q != r.end; ++q) {
      if (q->typos == fewest) buffers[i].push_back(*q);
    }
    runs[i] = {buffers[i].data(), buffers[i].data() + buffers[i].size()};
  }
  KeywordMatch m{};
  m.doc = doc;
  m.matched_words = static_cast<uint8_t>(kept);
  // The most important attribute holding a word, and the first word
  // position in it (runs are sorted by attribute then position). When every
  // attribute weighs the same, all are attribute 0 and the position is the
  // first one in any attribute.
  m.best_attr = UINT16_MAX;
  m.best_pos = UINT16_MAX;
  uint8_t exact_words = 0;
  for (size_t k = 0; k < kept; ++k) {
    const Run& r = runs[matched[k]];
    if (options.equal_attribute_weights) {
      m.best_attr = 0;
      for (const QueryPosting* q = r.begin; q != r.end; ++q) {
        m.best_pos = std::min(m.best_pos, q->pos);
      }
    } else {
      const QueryPosting& p = *r.begin;
      if (p.attr < m.best_attr || (p.attr == m.best_attr && p.pos < m.best_pos)) {
        m.best_attr = p.attr;
        m.best_pos = p.pos;
      }
    }
    exact_words += HasExact(r) ? 1 : 0;
  }
  m.exact_words = exact_words;
  m.typos = typos;
  uint16_t cost = 0;
  for (size_t k = 1; k < kept; ++k) {
    cost = static_cast<uint16_t>(cost + PairDistance(runs[matched[k - 1]], runs[matched[k]],
                                                     by_attribute) - 1);
  }
  m.proximity_cost = cost;
  // Exactness: the query words from the first position of an attribute
  // value; the whole value when the last query word is its last word.
  m.exact = ExactMatch::kNoExactMatch;
  if (kept == n) {
    for (const QueryPosting* p = runs[0].begin; p != runs[0].end; ++p) {
      if (p->pos != 0 || !p->exact) continue;
      const QueryPosting* at = p;
      for (size_t i = 1; i < n && at; ++i) at = FindAt(runs[i], p->attr, static_cast<uint16_t>(i));
      if (!at) continue;
      m.exact = at->last ? ExactMatch::kExactMatch : ExactMatch::kMatchesStart;
      if (at->last) break;
    }
  }
  return m;
}

}  // namespace

std::vector<KeywordMatch> MatchKeywords(const std::vector<QueryTerm>& terms,
                                        const KeywordOptions& options) {
  std::vector<KeywordMatch> out;
  const size_t n = std::min<size_t>(terms.size(), kMaxWords);
  if (n == 0) return out;

  // Words the strategy drops first come first in `removal`; the last one
  // can never be dropped and drives the scan.
  std::array<size_t, kMaxWords> removal{};
  std::iota(removal.begin(), removal.begin() + static_cast<ptrdiff_t>(n), size_t{0});
  if (options.strategy == MatchingStrategy::kFrequency) {
    std::stable_sort(removal.begin(), removal.begin() + static_cast<ptrdiff_t>(n),
                     [&](size_t a, size_t b) { return terms[a].doc_count > terms[b].doc_count; });
  } else {
    std::reverse(removal.begin(), removal.begin() + static_cast<ptrdiff_t>(n));
  }
  size_t driver = removal[n - 1];
  if (options.strategy == MatchingStrategy::kAll) {
    for (size_t i = 0; i < n; ++i) {
      if (terms[i].postings.size() < terms[driver].postings.size()) driver = i;
    }
  }

  std::array<const QueryPosting*, kMaxWords> cursor{};
  std::array<const QueryPosting*, kMaxWords> ends{};
  for (size_t i = 0; i < n; ++i) {
    cursor[i] = terms[i].postings.data();
    ends[i] = cursor[i] + terms[i].postings.size();
  }
  std::array<Run, kMaxWords> runs{};
  std::array<size_t, kMaxWords> matched{};
  out.reserve(terms[driver].doc_count);

  const QueryPosting* d = terms[driver].postings.data();
  const QueryPosting* d_end = ends[driver];
  while (d != d_end) {
    const uint32_t doc = d->doc;
    for (size_t i = 0; i < n; ++i) {
      const QueryPosting* c = cursor[i];
      while (c != ends[i] && c->doc < doc) ++c;
      const QueryPosting* run_end = c;
      while (run_end != ends[i] && run_end->doc == doc) ++run_end;
      runs[i] = {c, run_end};
      cursor[i] = run_end;
    }
    d = runs[driver].end;

    // The words counted as matched under the strategy, in query order.
    size_t kept = 0;
    switch (options.strategy) {
      case MatchingStrategy::kAll:
        for (size_t i = 0; i < n && !runs[i].empty(); ++i) kept = i + 1;
        if (kept != n) kept = 0;
        for (size_t i = 0; i < kept; ++i) matched[i] = i;
        break;
      case MatchingStrategy::kLast:
        while (kept < n && !runs[kept].empty()) ++kept;
        for (size_t i = 0; i < kept; ++i) matched[i] = i;
        break;
      case MatchingStrategy::kFrequency: {
        size_t dropped = 0;
        while (dropped < n) {
          bool ok = true;
          for (size_t j = dropped; j < n && ok; ++j) ok = !runs[removal[j]].empty();
          if (ok) break;
          ++dropped;
        }
        kept = n - dropped;
        std::array<bool, kMaxWords> in{};
        for (size_t j = dropped; j < n; ++j) in[removal[j]] = true;
        size_t k = 0;
        for (size_t i = 0; i < n; ++i) {
          if (in[i]) matched[k++] = i;
        }
        break;
      }
    }
    if (kept == 0) continue;
    out.push_back(Describe(doc, runs.data(), matched.data(), kept, n, options));
  }
  return out;
}

Rank WordsRank(const KeywordMatch& m, size_t words) {
  return {m.matched_words, std::max<uint64_t>(words, 1)};
}

Rank TypoRank(const KeywordMatch& m, size_t max_typos) {
  const uint64_t max = max_typos + 1;
  return {max - std::min<uint64_t>(m.typos, max_typos), max};
}

Rank ProximityRank(const KeywordMatch& m) {
  // Out of the words that matched, as milli ranks each words bucket with
  // the query reduced to them.
  const size_t words = m.matched_words;
  uint64_t max = words <= 1 ? 1 : (words - 1) * kProximityStep + 1;
  uint64_t cost = std::min<uint64_t>(m.proximity_cost, max - 1);
  return {max - cost, max};
}

Rank AttributeRank(const KeywordMatch& m, size_t attributes) {
  uint64_t max = std::max<uint64_t>(attributes, 1);
  uint64_t attr = std::min<uint64_t>(m.best_attr, max - 1);
  return {max - attr, max};
}

Rank PositionRank(const KeywordMatch& m) {
  uint64_t pos = std::min<uint64_t>(m.best_pos, kPositionBuckets - 1);
  return {kPositionBuckets - pos, kPositionBuckets};
}

Rank ExactAttributeRank(const KeywordMatch& m) {
  switch (m.exact) {
    case ExactMatch::kExactMatch: return {3, 3};
    case ExactMatch::kMatchesStart: return {2, 3};
    default: return {1, 3};
  }
}

Rank ExactWordsRank(const KeywordMatch& m, size_t words) {
  if (m.exact != ExactMatch::kNoExactMatch) return {words + 1, words + 1};
  return {static_cast<uint64_t>(m.exact_words) + 1, words + 1};
}

}  // namespace miroir::testnode
