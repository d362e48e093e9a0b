// `_formatted` and `_matchesPosition` of search hits: highlighting of the
// query words (the matched part of a prefix word only), cropping around the
// first match, and the byte ranges of matches — simplified versions of
// Meilisearch's, with its output shapes:
// - `_formatted` holds every retrieved field plus the highlighted or cropped
//   ones; numbers become strings there, as in Meilisearch;
// - attributesToCrop entries may carry their own length ("overview:5").
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace miroir::testnode {

// The normalized query words a text is matched against.
struct MatchWords {
  std::vector<std::string> words;  // matched exactly
  std::string prefix;              // the last query word when it is a prefix, or ""
};

struct FormatOptions {
  bool highlight = false;
  std::optional<size_t> crop;  // words to keep
};

struct FormatStyle {
  std::string pre_tag = "<em>";
  std::string post_tag = "</em>";
  std::string crop_marker = "\xE2\x80\xA6";
};

// Byte ranges (start, length) of the matches in `text`.
std::vector<std::pair<size_t, size_t>> FindMatches(std::string_view text, const MatchWords& words);

std::string FormatText(std::string_view text, const MatchWords& words, const FormatOptions& options,
                       const FormatStyle& style);

// The `_formatted` object of a hit. `displayed` is the displayed part of the
// document; `options` maps field names (as requested) to their formatting;
// `retrieved` are the fields that appear unformatted.
nlohmann::ordered_json FormatDocument(const nlohmann::ordered_json& displayed,
                                      const std::map<std::string, FormatOptions>& options,
                                      const std::vector<std::string>& retrieved,
                                      const MatchWords& words, const FormatStyle& style);

// The `_matchesPosition` object: field name -> [{"start", "length"}].
nlohmann::ordered_json MatchesPosition(const nlohmann::ordered_json& displayed,
                                       const MatchWords& words);

}  // namespace miroir::testnode
