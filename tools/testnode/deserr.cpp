#include "deserr.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace miroir::testnode::deserr {
namespace {

using Json = nlohmann::json;

// The order in which Meilisearch lists kinds; a stable order keeps the
// messages predictable for clients that pattern-match them.
constexpr std::array<Kind, 8> kKindOrder = {kNull,    kBoolean, kPositiveInteger, kNegativeInteger,
                                            kFloat,   kString,  kArray,           kObject};

std::string_view SingleKind(Kind kind) {
  switch (kind) {
    case kNull: return "null";
    case kBoolean: return "a boolean";
    case kPositiveInteger: return "a positive integer";
    case kNegativeInteger: return "a negative integer";
    case kFloat: return "a number";
    case kString: return "a string";
    case kArray: return "an array";
    case kObject: return "an object";
    default: return "a different value";
  }
}

std::string At(std::string_view location, std::string_view article) {
  if (location.empty()) return "";
  return std::string(article) + " `" + std::string(location) + "`";
}

std::string JoinQuoted(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += '`';
    out += items[i];
    out += '`';
  }
  return out;
}

}  // namespace

Kind KindOf(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return kNull;
    case Json::value_t::boolean: return kBoolean;
    case Json::value_t::number_unsigned: return kPositiveInteger;
    case Json::value_t::number_integer:
      return value.get<int64_t>() < 0 ? kNegativeInteger : kPositiveInteger;
    case Json::value_t::number_float: return kFloat;
    case Json::value_t::string: return kString;
    case Json::value_t::array: return kArray;
    case Json::value_t::object: return kObject;
    default: return kNull;
  }
}

std::string DescribeKinds(unsigned kinds) {
  std::vector<Kind> list;
  for (Kind k : kKindOrder) {
    if (kinds & k) list.push_back(k);
  }
  if (list.empty()) return "a different value";
  // Group the number kinds the way the messages do: integer+float is "a
  // number", positive+negative integers "an integer".
  std::vector<std::string> parts;
  for (size_t i = 0; i < list.size();) {
    const bool is_int = list[i] == kPositiveInteger || list[i] == kNegativeInteger;
    if (is_int && i + 1 < list.size() && list[i + 1] == kFloat) {
      parts.emplace_back("a number");
      i += 2;
    } else if (list[i] == kPositiveInteger && i + 2 < list.size() &&
               list[i + 1] == kNegativeInteger && list[i + 2] == kFloat) {
      parts.emplace_back("a number");
      i += 3;
    } else if (list[i] == kPositiveInteger && i + 1 < list.size() &&
               list[i + 1] == kNegativeInteger) {
      parts.emplace_back("an integer");
      i += 2;
    } else {
      parts.emplace_back(SingleKind(list[i]));
      i += 1;
    }
  }
  std::string out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    if (last) {
      out += parts.size() == 2 ? " or " : ", or ";
    } else {
      out += ", ";
    }
    out += parts[i];
  }
  return out;
}

std::string DescribeValue(const Json& value) {
  Kind kind = KindOf(value);
  if (kind == kNull) return "null";
  return std::string(SingleKind(kind)) + ": `" +
         value.dump(-1, ' ', false, Json::error_handler_t::replace) + "`";
}

std::string Key(std::string_view location, std::string_view key) {
  std::string out(location);
  out += '.';
  out += key;
  return out;
}

std::string Index(std::string_view location, size_t index) {
  return std::string(location) + "[" + std::to_string(index) + "]";
}

Error InvalidType(ErrorCode code, std::string_view location, unsigned expected,
                  const Json& found) {
  return Error(code, "Invalid value type" + At(location, " at") + ": expected " +
                         DescribeKinds(expected) + ", but found " + DescribeValue(found));
}

Error UnknownKey(ErrorCode code, std::string_view location, std::string_view key,
                 const std::vector<std::string_view>& accepted) {
  return Error(code, "Unknown field `" + std::string(key) + "`" + At(location, " inside") + ": " +
                         DidYouMean(key, accepted) + "expected one of " + JoinQuoted(accepted));
}

Error UnknownValue(ErrorCode code, std::string_view location, std::string_view value,
                   const std::vector<std::string_view>& accepted) {
  return Error(code, "Unknown value `" + std::string(value) + "`" + At(location, " at") + ": " +
                         DidYouMean(value, accepted) + "expected one of " + JoinQuoted(accepted));
}

Error MissingField(ErrorCode code, std::string_view location, std::string_view field) {
  return Error(code, "Missing field `" + std::string(field) + "`" + At(location, " inside"));
}

Error Unexpected(ErrorCode code, std::string_view location, std::string_view detail) {
  return Error(code, "Invalid value" + At(location, " at") + ": " + std::string(detail));
}

std::string DidYouMean(std::string_view received, const std::vector<std::string_view>& accepted) {
  size_t allowed;
  const size_t n = received.size();
  if (n <= 3) return "";
  if (n <= 7) {
    allowed = 1;
  } else if (n <= 12) {
    allowed = 2;
  } else if (n <= 17) {
    allowed = 3;
  } else if (n <= 24) {
    allowed = 4;
  } else {
    allowed = 5;
  }
  const std::string_view* best = nullptr;
  size_t best_distance = 0;
  for (const auto& candidate : accepted) {
    size_t d = DamerauLevenshtein(received, candidate);
    // The first of equally close candidates wins.
    if (d <= allowed && (!best || d < best_distance)) {
      best = &candidate;
      best_distance = d;
    }
  }
  if (!best) return "";
  return "did you mean `" + std::string(*best) + "`? ";
}

size_t DamerauLevenshtein(std::string_view a, std::string_view b) {
  // Lowrance-Wagner: the unrestricted distance, where a transposed pair may
  // also be edited in between (unlike optimal string alignment).
  const size_t n = a.size();
  const size_t m = b.size();
  const size_t max_dist = n + m;
  std::vector<size_t> d((n + 2) * (m + 2), 0);
  auto at = [&](size_t i, size_t j) -> size_t& { return d[i * (m + 2) + j]; };
  at(0, 0) = max_dist;
  for (size_t i = 0; i <= n; ++i) {
    at(i + 1, 0) = max_dist;
    at(i + 1, 1) = i;
  }
  for (size_t j = 0; j <= m; ++j) {
    at(0, j + 1) = max_dist;
    at(1, j + 1) = j;
  }
  std::map<char, size_t> last_row;
  for (size_t i = 1; i <= n; ++i) {
    size_t last_match_col = 0;
    for (size_t j = 1; j <= m; ++j) {
      auto it = last_row.find(b[j - 1]);
      const size_t k = it == last_row.end() ? 0 : it->second;
      const size_t l = last_match_col;
      size_t cost = 1;
      if (a[i - 1] == b[j - 1]) {
        cost = 0;
        last_match_col = j;
      }
      size_t substitution = at(i, j) + cost;
      size_t insertion = at(i + 1, j) + 1;
      size_t deletion = at(i, j + 1) + 1;
      size_t transposition = at(k, l) + (i - k - 1) + 1 + (j - l - 1);
      at(i + 1, j + 1) = std::min({substitution, insertion, deletion, transposition});
    }
    last_row[a[i - 1]] = i;
  }
  return at(n + 1, m + 1);
}

Result<void> ExpectKind(ErrorCode code, std::string_view location, const Json& value,
                        unsigned kinds) {
  if (KindOf(value) & kinds) return {};
  return InvalidType(code, location, kinds, value);
}

Result<void> ExpectStringArray(ErrorCode code, std::string_view location, const Json& value) {
  if (!value.is_array()) return InvalidType(code, location, kArray, value);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) return InvalidType(code, Index(location, i), kString, value[i]);
  }
  return {};
}

Result<uint64_t> ExpectUnsigned(ErrorCode code, std::string_view location, const Json& value,
                                uint64_t max, std::string_view rust_type) {
  Kind kind = KindOf(value);
  if (kind == kPositiveInteger) {
    uint64_t v = value.is_number_unsigned() ? value.get<uint64_t>()
                                            : static_cast<uint64_t>(value.get<int64_t>());
    if (v > max) {
      return Unexpected(code, location,
                        "Cannot deserialize " + std::to_string(v) + " into a " +
                            std::string(rust_type));
    }
    return v;
  }
  if (kind == kNegativeInteger) {
    return Unexpected(code, location,
                      "Cannot deserialize " + std::to_string(value.get<int64_t>()) + " into a " +
                          std::string(rust_type));
  }
  return InvalidType(code, location, kPositiveInteger, value);
}

}  // namespace miroir::testnode::deserr
