#include "query_terms.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "text.hpp"

namespace miroir::testnode {
namespace {

constexpr size_t kMaxQueryWords = 10;

// A posting packed so that sorting the integers sorts by (doc, attr, pos):
// doc 32 bits | attr 13 | encoded pos 16 | typos 2 | exact 1.
uint64_t Pack(const Posting& p, bool exact, uint8_t typos) {
  uint64_t attr = std::min<uint64_t>(p.attr, 0x1FFF);
  return (uint64_t{p.doc} << 32) | (attr << 19) | (uint64_t{p.pos} << 3) |
         (uint64_t{typos & 3u} << 1) | (exact ? 1 : 0);
}

QueryPosting Unpack(uint64_t key) {
  const uint16_t encoded = static_cast<uint16_t>((key >> 3) & 0xFFFF);
  return {static_cast<uint32_t>(key >> 32),
          static_cast<uint16_t>((key >> 19) & 0x1FFF),
          static_cast<uint16_t>(encoded >> 1),
          (key & 1) != 0,
          (encoded & 1) != 0,
          static_cast<uint8_t>((key >> 1) & 3)};
}

// Optimal-string-alignment distance (a transposition is one edit), or
// `limit + 1` once it is certain to exceed `limit`. With `prefix`, the
// distance to the closest prefix of `word`.
size_t TypoDistance(std::string_view query, std::string_view word, size_t limit, bool prefix) {
  const size_t n = query.size();
  const size_t m = word.size();
  if (!prefix && (m > n + limit || n > m + limit)) return limit + 1;
  thread_local std::vector<size_t> prev2;
  thread_local std::vector<size_t> prev;
  thread_local std::vector<size_t> cur;
  prev2.assign(m + 1, 0);
  prev.resize(m + 1);
  cur.resize(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = query[i - 1] == word[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && query[i - 1] == word[j - 2] && query[i - 2] == word[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  if (prefix) return *std::min_element(prev.begin(), prev.end());
  return prev[m];
}

bool IsNumber(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// LSD radix sort, one byte at a time, skipping bytes all keys share: several
// already sorted lists are merged in a few linear passes.
void RadixSort(std::vector<uint64_t>& keys) {
  if (keys.size() < 256) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  std::vector<uint64_t> buffer(keys.size());
  for (int shift = 0; shift < 64; shift += 8) {
    std::array<size_t, 257> count{};
    for (uint64_t k : keys) ++count[((k >> shift) & 0xFF) + 1];
    if (std::any_of(count.begin() + 1, count.end(), [&](size_t c) { return c == keys.size(); })) {
      continue;
    }
    for (size_t i = 1; i < count.size(); ++i) count[i] += count[i - 1];
    for (uint64_t k : keys) buffer[count[(k >> shift) & 0xFF]++] = k;
    keys.swap(buffer);
  }
}

}  // namespace

uint8_t AllowedTypos(std::string_view word, const TypoTolerance& typo) {
  if (!typo.enabled || typo.disable_on_words.count(std::string(word))) return 0;
  if (typo.disable_on_numbers && IsNumber(word)) return 0;
  // Letters, not bytes.
  size_t letters = 0;
  for (char c : word) letters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (letters >= typo.two_typos) return 2;
  if (letters >= typo.one_typo) return 1;
  return 0;
}

ParsedQuery ParseQueryText(std::string_view q, const std::set<std::string>& stop_words,
                           bool prefix_search) {
  ParsedQuery out;
  bool last_chunk_negative = false;
  size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i]))) ++i;
    size_t start = i;
    while (i < q.size() && !std::isspace(static_cast<unsigned char>(q[i]))) ++i;
    if (start == i) break;
    std::string_view chunk = q.substr(start, i - start);
    bool negative = chunk.size() > 1 && chunk[0] == '-';
    if (negative) chunk.remove_prefix(1);
    auto& target = negative ? out.negative_words : out.words;
    text::ForEachWord(chunk, [&](const text::Word& w) { target.emplace_back(w.normalized); });
    last_chunk_negative = negative;
  }
  out.last_is_prefix = prefix_search && !out.words.empty() && !last_chunk_negative &&
                       text::EndsInWord(q) && q.back() != '"';
  if (!stop_words.empty()) {
    std::set<std::string> stops;
    for (const auto& s : stop_words) stops.insert(text::NormalizeWord(s));
    std::vector<std::string> kept;
    for (const auto& w : out.words) {
      if (!stops.count(w)) kept.push_back(w);
    }
    if (!kept.empty()) {
      if (out.last_is_prefix && stops.count(out.words.back())) out.last_is_prefix = false;
      out.words = std::move(kept);
    }
  }
  if (out.words.size() > kMaxQueryWords) {
    out.words.resize(kMaxQueryWords);
    out.last_is_prefix = false;
  }
  return out;
}

std::vector<QueryTerm> BuildQueryTerms(const ParsedQuery& query, const TermSources& sources) {
  std::vector<QueryTerm> terms;
  std::vector<uint64_t> keys;
  for (size_t i = 0; i < query.words.size(); ++i) {
    const std::string& word = query.words[i];
    QueryTerm term;
    term.word = word;
    term.prefix = query.last_is_prefix && i + 1 == query.words.size();
    keys.clear();
    size_t lists = 0;
    auto add = [&](const InvertedIndex::PostingList& list, bool exact, uint8_t typos) {
      ++lists;
      for (const Posting& p : list) {
        if (!sources.universe.Test(p.doc)) continue;
        if (!sources.allowed_attrs.empty() &&
            (p.attr >= sources.allowed_attrs.size() || !sources.allowed_attrs[p.attr])) {
          continue;
        }
        if (typos && p.attr < sources.exact_attrs.size() && sources.exact_attrs[p.attr]) continue;
        keys.push_back(Pack(p, exact, typos));
      }
    };
    if (const auto* list = sources.index.Find(word)) add(*list, true, 0);
    for (const auto& [key, alternatives] : sources.synonyms) {
      if (text::NormalizeWord(key) != word) continue;
      for (const auto& alternative : alternatives) {
        std::vector<std::string> words = text::Words(alternative);
        if (words.size() != 1 || words[0] == word) continue;
        if (const auto* list = sources.index.Find(words[0])) {
          add(*list, false, 0);
          term.derivations.push_back(words[0]);
        }
      }
    }
    if (term.prefix) {
      sources.index.ForEachWithPrefix(word, [&](std::string_view w, const auto& list) {
        if (w != word) add(list, false, 0);
      });
    }
    // Words within the allowed typos, sharing the first letter (a typo on
    // the first letter costs two in Meilisearch; they are not looked for).
    term.max_typos = AllowedTypos(word, sources.typo);
    if (term.max_typos > 0) {
      const std::string first = word.substr(0, 1);
      sources.index.ForEachWithPrefix(first, [&](std::string_view w, const auto& list) {
        if (w == word) return;
        if (term.prefix && w.substr(0, word.size()) == word) return;  // already a prefix match
        size_t d = TypoDistance(word, w, term.max_typos, term.prefix);
        if (d == 0 || d > term.max_typos) return;
        add(list, false, static_cast<uint8_t>(d));
        term.derivations.emplace_back(w);
      });
    }
    if (lists > 1) RadixSort(keys);
    term.postings.reserve(keys.size());
    uint32_t last_doc = UINT32_MAX;
    for (uint64_t k : keys) {
      QueryPosting p = Unpack(k);
      if (p.doc != last_doc) ++term.doc_count;
      last_doc = p.doc;
      term.postings.push_back(p);
    }
    terms.push_back(std::move(term));
  }
  return terms;
}

Bitmap DocumentsWithWords(const std::vector<std::string>& words, const InvertedIndex& index,
                          size_t capacity) {
  Bitmap out(capacity);
  for (const auto& w : words) {
    if (const auto* list = index.Find(w)) {
      for (const Posting& p : *list) out.Set(p.doc);
    }
  }
  return out;
}

}  // namespace miroir::testnode
