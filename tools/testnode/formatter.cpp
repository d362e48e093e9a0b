#include "formatter.hpp"

#include <algorithm>

#include "document_fields.hpp"
#include "text.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

struct Span {
  size_t begin;
  size_t end;
};

std::string LeafText(const OJson& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::optional<FormatOptions> OptionsFor(const std::string& path,
                                        const std::map<std::string, FormatOptions>& options) {
  std::optional<FormatOptions> merged;
  for (const auto& [name, o] : options) {
    if (!fields::IsFacetedBy(path, name) && !fields::IsFacetedBy(name, path)) continue;
    if (!merged) merged = FormatOptions{};
    merged->highlight = merged->highlight || o.highlight;
    if (o.crop) merged->crop = o.crop;
  }
  return merged;
}

OJson MapLeaves(const OJson& value, const std::string& path,
                const std::map<std::string, FormatOptions>& options, const MatchWords& words,
                const FormatStyle& style) {
  if (value.is_object()) {
    OJson out = OJson::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string sub = path.empty() ? it.key() : path + "." + it.key();
      out[it.key()] = MapLeaves(it.value(), sub, options, words, style);
    }
    return out;
  }
  if (value.is_array()) {
    OJson out = OJson::array();
    for (const auto& element : value) {
      out.push_back(MapLeaves(element, path, options, words, style));
    }
    return out;
  }
  if (value.is_string() || value.is_number()) {
    std::string text = LeafText(value);
    auto o = OptionsFor(path, options);
    if (!o) return text;
    return FormatText(text, words, *o, style);
  }
  return value;
}

void CollectMatches(const OJson& value, const std::string& path, const MatchWords& words,
                    OJson& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      CollectMatches(it.value(), path.empty() ? it.key() : path + "." + it.key(), words, out);
    }
    return;
  }
  if (value.is_array()) {
    for (const auto& element : value) CollectMatches(element, path, words, out);
    return;
  }
  if (!value.is_string() && !value.is_number()) return;
  for (const auto& [start, length] : FindMatches(LeafText(value), words)) {
    OJson bound;
    bound["start"] = start;
    bound["length"] = length;
    out[path].push_back(std::move(bound));
  }
}

}  // namespace

std::vector<std::pair<size_t, size_t>> FindMatches(std::string_view text,
                                                   const MatchWords& words) {
  std::vector<std::pair<size_t, size_t>> out;
  text::ForEachWord(text, [&](const text::Word& w) {
    if (std::find(words.words.begin(), words.words.end(), w.normalized) != words.words.end()) {
      out.emplace_back(w.begin, w.end - w.begin);
    } else if (!words.prefix.empty() &&
               w.normalized.compare(0, words.prefix.size(), words.prefix) == 0) {
      // Only the part that matched the prefix, when bytes map one to one.
      size_t length = w.end - w.begin;
      if (length == w.normalized.size()) length = words.prefix.size();
      out.emplace_back(w.begin, length);
    }
  });
  return out;
}

std::string FormatText(std::string_view text, const MatchWords& words,
                       const FormatOptions& options, const FormatStyle& style) {
  if (!options.highlight && !options.crop) return std::string(text);
  auto matches = FindMatches(text, words);
  size_t from = 0;
  size_t to = text.size();
  bool cut_before = false;
  bool cut_after = false;
  if (options.crop) {
    std::vector<Span> spans;
    text::ForEachWord(text, [&](const text::Word& w) { spans.push_back({w.begin, w.end}); });
    const size_t keep = *options.crop;
    if (keep == 0) {
      to = 0;
    } else if (spans.size() > keep) {
      size_t first = 0;
      if (!matches.empty()) {
        for (size_t i = 0; i < spans.size(); ++i) {
          if (spans[i].begin == matches[0].first) first = i;
        }
      }
      size_t start = first > (keep - 1) / 2 ? first - (keep - 1) / 2 : 0;
      start = std::min(start, spans.size() - keep);
      from = spans[start].begin;
      to = spans[start + keep - 1].end;
      cut_before = start > 0;
      cut_after = start + keep < spans.size();
    }
  }
  std::string out;
  if (cut_before) out += style.crop_marker;
  size_t at = from;
  for (const auto& [start, length] : matches) {
    if (!options.highlight || start < from || start + length > to) continue;
    out.append(text.substr(at, start - at));
    out += style.pre_tag;
    out.append(text.substr(start, length));
    out += style.post_tag;
    at = start + length;
  }
  if (to > at) out.append(text.substr(at, to - at));
  if (cut_after) out += style.crop_marker;
  return out;
}

OJson FormatDocument(const OJson& displayed, const std::map<std::string, FormatOptions>& options,
                     const std::vector<std::string>& retrieved, const MatchWords& words,
                     const FormatStyle& style) {
  OJson mapped = MapLeaves(displayed, "", options, words, style);
  std::vector<std::string> names = retrieved;
  for (const auto& [name, o] : options) names.push_back(name);
  return fields::Select(mapped, names);
}

OJson MatchesPosition(const OJson& displayed, const MatchWords& words) {
  OJson out = OJson::object();
  CollectMatches(displayed, "", words, out);
  return out;
}

}  // namespace miroir::testnode
