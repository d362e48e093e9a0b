// Text normalization and word splitting for the test node's search, a small
// stand-in for Meilisearch's tokenizer (charabia):
//
// - words are maximal runs of letters and digits; everything else (ASCII
//   punctuation and spaces, general punctuation, symbols) separates words;
//   each CJK ideograph, kana or hangul syllable is a word of its own;
// - words are lowercased and Latin accents are stripped ("Été" -> "ete").
//
// Facet values are normalized differently, as Meilisearch does: trimmed and
// lowercased, accents kept.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace miroir::testnode::text {

struct Word {
  std::string_view normalized;  // valid until the next word is produced
  uint32_t begin = 0;           // byte range of the word in the input
  uint32_t end = 0;
};

// Calls fn(const Word&) for each word of `input`, in order.
template <class Fn>
void ForEachWord(std::string_view input, Fn&& fn);

// The normalized words of `input`.
std::vector<std::string> Words(std::string_view input);

// A single already-split word, normalized as ForEachWord does.
std::string NormalizeWord(std::string_view word);

// Meilisearch's normalization of a facet string: trimmed and lowercased.
std::string NormalizeFacet(std::string_view value);

// True when the input ends inside a word (the last query word is then a
// prefix, as Meilisearch treats it).
bool EndsInWord(std::string_view input);

// --- implementation details used by the template ---
namespace detail {
// Decodes one UTF-8 code point at input[pos] (invalid bytes decode as
// U+FFFD of length 1).
uint32_t Decode(std::string_view input, size_t pos, size_t* length);
enum class CharClass : uint8_t { kSeparator, kWord, kIdeograph };
CharClass Classify(uint32_t cp);
// Appends the folded (lowercased, accent-stripped) form of `cp`.
void AppendFolded(uint32_t cp, std::string* out);
}  // namespace detail

template <class Fn>
void ForEachWord(std::string_view input, Fn&& fn) {
  std::string buffer;
  size_t pos = 0;
  size_t word_begin = 0;
  bool in_word = false;
  auto flush = [&](size_t end) {
    if (in_word && !buffer.empty()) {
      Word w{buffer, static_cast<uint32_t>(word_begin), static_cast<uint32_t>(end)};
      fn(w);
    }
    buffer.clear();
    in_word = false;
  };
  while (pos < input.size()) {
    unsigned char c = static_cast<unsigned char>(input[pos]);
    if (c < 0x80) {
      // ASCII fast path.
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        if (!in_word) word_begin = pos, in_word = true;
        buffer.push_back(static_cast<char>(c));
      } else if (c >= 'A' && c <= 'Z') {
        if (!in_word) word_begin = pos, in_word = true;
        buffer.push_back(static_cast<char>(c + ('a' - 'A')));
      } else {
        flush(pos);
      }
      ++pos;
      continue;
    }
    size_t length = 1;
    uint32_t cp = detail::Decode(input, pos, &length);
    switch (detail::Classify(cp)) {
      case detail::CharClass::kSeparator:
        flush(pos);
        break;
      case detail::CharClass::kWord:
        if (!in_word) word_begin = pos, in_word = true;
        detail::AppendFolded(cp, &buffer);
        break;
      case detail::CharClass::kIdeograph:
        flush(pos);
        word_begin = pos;
        in_word = true;
        detail::AppendFolded(cp, &buffer);
        flush(pos + length);
        break;
    }
    pos += length;
  }
  flush(pos);
}

}  // namespace miroir::testnode::text
