#include "text.hpp"

namespace miroir::testnode::text {
namespace detail {
namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Base letters of U+00C0..U+00FF; '\0' keeps the (lowercased) character, '_'
// marks the two symbols of the block (× and ÷), which separate words.
constexpr char kLatin1[65] =
    "aaaaaa\0ceeeeiiii\0nooooo_ouuuuy\0\0aaaaaa\0ceeeeiiii\0nooooo_ouuuuy\0y";
// Base letters of U+0100..U+017F (Latin Extended-A).
constexpr char kLatinExtA[129] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
    "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

// Lowercase of the letters the folding keeps as they are, and of the
// scripts it does not strip (Greek, Cyrillic).
uint32_t Lower(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp >= 0x100 && cp <= 0x137) return cp | 1;
  if (cp >= 0x139 && cp <= 0x148) return (cp & 1) ? cp + 1 : cp;
  if (cp >= 0x14A && cp <= 0x177) return cp | 1;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x179 && cp <= 0x17E) return (cp & 1) ? cp + 1 : cp;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

}  // namespace

uint32_t Decode(std::string_view input, size_t pos, size_t* length) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(input[i]); };
  unsigned char c = byte(pos);
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  if (n == 1 || pos + n > input.size()) {
    *length = 1;
    return c < 0x80 ? c : 0xFFFD;
  }
  uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t i = 1; i < n; ++i) {
    unsigned char cc = byte(pos + i);
    if ((cc & 0xC0) != 0x80) {
      *length = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *length = n;
  return cp;
}

CharClass Classify(uint32_t cp) {
  if (cp < 0x80) {
    bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return alnum ? CharClass::kWord : CharClass::kSeparator;
  }
  if (cp <= 0xBF) return CharClass::kSeparator;  // Latin-1 punctuation and symbols
  if (cp == 0xD7 || cp == 0xF7) return CharClass::kSeparator;
  if (cp >= 0x2000 && cp <= 0x2BFF) return CharClass::kSeparator;  // punctuation, symbols
  if (cp >= 0x3000 && cp <= 0x303F) return CharClass::kSeparator;  // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return CharClass::kSeparator;
  if (cp >= 0xFF00 && cp <= 0xFF0F) return CharClass::kSeparator;
  if (cp == 0xFFFD) return CharClass::kSeparator;
  if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF)) {
    return CharClass::kIdeograph;
  }
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return CharClass::kSeparator;  // emoji
  return CharClass::kWord;
}

void AppendFolded(uint32_t cp, std::string* out) {
  if (cp >= 0xC0 && cp <= 0xFF) {
    char base = kLatin1[cp - 0xC0];
    if (base != '\0' && base != '_') {
      out->push_back(base);
      return;
    }
  } else if (cp >= 0x100 && cp <= 0x17F) {
    out->push_back(kLatinExtA[cp - 0x100]);
    return;
  } else if (cp >= 0x300 && cp <= 0x36F) {
    return;  // combining diacritical marks
  }
  AppendUtf8(Lower(cp), out);
}

}  // namespace detail

std::vector<std::string> Words(std::string_view input) {
  std::vector<std::string> words;
  ForEachWord(input, [&](const Word& w) { words.emplace_back(w.normalized); });
  return words;
}

std::string NormalizeWord(std::string_view word) {
  std::string out;
  ForEachWord(word, [&](const Word& w) { out += w.normalized; });
  return out;
}

std::string NormalizeFacet(std::string_view value) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  std::string out;
  out.reserve(value.size());
  size_t pos = 0;
  while (pos < value.size()) {
    unsigned char c = static_cast<unsigned char>(value[pos]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
      ++pos;
      continue;
    }
    size_t length = 1;
    uint32_t cp = detail::Decode(value, pos, &length);
    if (cp == 0xFFFD && length == 1) {
      out.push_back(static_cast<char>(c));
    } else {
      detail::AppendUtf8(detail::Lower(cp), &out);
    }
    pos += length;
  }
  return out;
}

bool EndsInWord(std::string_view input) {
  bool ends_in_word = false;
  ForEachWord(input, [&](const Word& w) { ends_in_word = w.end == input.size(); });
  return ends_in_word;
}

}  // namespace miroir::testnode::text
