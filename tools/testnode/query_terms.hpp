// From the `q` of a search to the query words and their occurrences:
// - words are split and normalized like documents; at most the first 10
//   count, as in Meilisearch; stop words are dropped (unless the query is
//   only stop words);
// - `-word` excludes documents holding the word (Meilisearch's negative
//   operator); quotes are ignored;
// - the last word is a prefix when the query does not end with a separator
//   (and prefixSearch is not "disabled");
// - synonyms (single words) match as alternatives of their word;
// - words match with typos (same first letter, Damerau-Levenshtein edits,
//   prefixes included) as typoTolerance allows.
//
// Thread-safe as long as the index is not written meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bitmap.hpp"
#include "inverted_index.hpp"
#include "ranking.hpp"
#include "settings.hpp"

namespace miroir::testnode {

struct ParsedQuery {
  std::vector<std::string> words;
  std::vector<std::string> negative_words;
  bool last_is_prefix = false;
};

ParsedQuery ParseQueryText(std::string_view q, const std::set<std::string>& stop_words,
                           bool prefix_search);

struct TermSources {
  const InvertedIndex& index;
  const std::map<std::string, std::vector<std::string>>& synonyms;
  const Bitmap& universe;
  // Searchable attribute ranks allowed (attributesToSearchOn); empty: all.
  const std::vector<bool>& allowed_attrs;
  const TypoTolerance& typo;
  // Searchable attribute ranks where typos are disabled (disableOnAttributes).
  const std::vector<bool>& exact_attrs;
};

// The typos a query word allows (Meilisearch: none below oneTypo letters,
// one below twoTypos, two beyond; none for disabled words and, with
// disableOnNumbers, numbers).
uint8_t AllowedTypos(std::string_view word, const TypoTolerance& typo);

// The occurrences of each query word within the universe.
std::vector<QueryTerm> BuildQueryTerms(const ParsedQuery& query, const TermSources& sources);

// The documents holding any of `words` (for negative words).
Bitmap DocumentsWithWords(const std::vector<std::string>& words, const InvertedIndex& index,
                          size_t capacity);

}  // namespace miroir::testnode
