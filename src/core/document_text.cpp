#include "core/document_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "core/json_write.hpp"
#include "core/utf8.hpp"

namespace miroir::internal {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

unsigned HexValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

char32_t Hex4(std::string_view s) {
  char32_t v = 0;
  for (char c : s.substr(0, 4)) v = (v << 4) | HexValue(c);
  return v;
}

// Compares two runs of decimal digits as numbers (no leading zeros).
bool DigitsAtMost(std::string_view digits, std::string_view limit) {
  if (digits.size() != limit.size()) return digits.size() < limit.size();
  return digits <= limit;
}

void AppendCompact(std::string_view json, size_t pos, std::string* out);

void AppendCompactObject(std::string_view json, size_t pos, std::string* out) {
  // serde_json's preserve_order map: a repeated key keeps its first slot and
  // takes the last value.
  std::vector<std::pair<std::string, std::string>> members;
  ++pos;  // '{'
  std::string key;
  while (true) {
    while (IsJsonSpace(json[pos]) || json[pos] == ',') ++pos;
    if (json[pos] == '}') break;
    const size_t key_end = SkipValidValue(json, pos);
    key.clear();
    DecodeJsonString(json.substr(pos + 1, key_end - pos - 2), &key);
    pos = key_end;
    while (IsJsonSpace(json[pos]) || json[pos] == ':') ++pos;
    std::string value;
    AppendCompact(json, pos, &value);
    pos = SkipValidValue(json, pos);
    bool replaced = false;
    for (auto& member : members) {
      if (member.first == key) {
        member.second = std::move(value);
        replaced = true;
        break;
      }
    }
    if (!replaced) members.emplace_back(key, std::move(value));
  }
  out->push_back('{');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out->push_back(',');
    json_write::AppendString(out, members[i].first);
    out->push_back(':');
    out->append(members[i].second);
  }
  out->push_back('}');
}

void AppendCompact(std::string_view json, size_t pos, std::string* out) {
  const char c = json[pos];
  if (c == '{') {
    AppendCompactObject(json, pos, out);
  } else if (c == '[') {
    out->push_back('[');
    ++pos;
    bool first = true;
    while (true) {
      while (IsJsonSpace(json[pos]) || json[pos] == ',') ++pos;
      if (json[pos] == ']') break;
      if (!first) out->push_back(',');
      first = false;
      AppendCompact(json, pos, out);
      pos = SkipValidValue(json, pos);
    }
    out->push_back(']');
  } else if (c == '"') {
    const size_t end = SkipValidValue(json, pos);
    std::string decoded;
    DecodeJsonString(json.substr(pos + 1, end - pos - 2), &decoded);
    json_write::AppendString(out, decoded);
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    out->append(SerdeNumber(json.substr(pos, SkipValidValue(json, pos) - pos)));
  } else {
    out->append(json.substr(pos, SkipValidValue(json, pos) - pos));  // true, false, null
  }
}

}  // namespace

std::string FormatF64(double value) {
  // Shortest round-trip digits from the standard library, laid out as
  // serde_json lays them out.
  char buf[64];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  (void)ec;
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  std::string out;
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  const int length = static_cast<int>(digits.size());
  const int point = exp10 + 1;      // value = 0.digits * 10^point
  const int last = point - length;  // value = digits * 10^last
  if (last >= 0 && point <= 16) {
    out += digits;
    out.append(static_cast<size_t>(last), '0');
    out += ".0";
  } else if (point > 0 && point <= 16) {
    out += digits.substr(0, static_cast<size_t>(point));
    out += '.';
    out += digits.substr(static_cast<size_t>(point));
  } else if (point > -5 && point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else {
    out += digits[0];
    if (length > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += point - 1 >= 0 ? "e+" : "e";
    out += std::to_string(point - 1);
  }
  return out;
}

bool IsSerdeInteger(std::string_view token) {
  const bool negative = !token.empty() && token[0] == '-';
  const std::string_view digits = negative ? token.substr(1) : token;
  if (digits.empty() || (digits[0] == '0' && digits.size() > 1)) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  if (negative) return digits != "0" && DigitsAtMost(digits, "9223372036854775808");
  return DigitsAtMost(digits, "18446744073709551615");
}

std::string SerdeNumber(std::string_view token) {
  if (IsSerdeInteger(token)) return std::string(token);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  (void)ptr;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `v` alone on overflow and underflow; strtod tells
    // them apart (HUGE_VAL or a zero).
    const std::string copy(token);
    v = std::strtod(copy.c_str(), nullptr);
  }
  if (!std::isfinite(v)) return "null";  // serde_json rejects these; never a valid id anyway
  return FormatF64(v);
}

void DecodeJsonString(std::string_view body, std::string* out) {
  out->clear();
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    const char e = body[++i];
    switch (e) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        char32_t cp = Hex4(body.substr(i + 1));
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // A high surrogate pairs with a following \uDC00-\uDFFF escape.
          if (i + 6 < body.size() && body.substr(i + 1, 2) == "\\u") {
            const char32_t low = Hex4(body.substr(i + 3));
            if (low >= 0xdc00 && low <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
              i += 6;
            } else {
              cp = 0xfffd;
            }
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        utf8::Append(cp, out);
        break;
      }
      default: out->push_back(e);  // '"', '\\', '/'
    }
  }
}

size_t SkipValidValue(std::string_view json, size_t pos) {
  auto skip_string = [&](size_t p) {
    ++p;
    while (json[p] != '"') p += json[p] == '\\' ? 2 : 1;
    return p + 1;
  };
  const char c = json[pos];
  if (c == '"') return skip_string(pos);
  if (c == '{' || c == '[') {
    size_t depth = 0;
    while (true) {
      const char d = json[pos];
      if (d == '"') {
        pos = skip_string(pos);
        continue;
      }
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
  }
  while (pos < json.size() && !IsJsonSpace(json[pos]) && json[pos] != ',' && json[pos] != '}' &&
         json[pos] != ']') {
    ++pos;
  }
  return pos;
}

std::string SerdeCompact(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  AppendCompact(json, 0, &out);
  return out;
}

size_t FirstInvalidUtf8(std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) return s.size();
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    size_t len = 0;
    if (!utf8::Decode(s, i, &cp, &len)) return i;
    i += len;
  }
  return s.size();
}

size_t MinifyJson(std::string_view json, char* dst) {
  size_t written = 0;
  if (simdjson::minify(json.data(), json.size(), dst, written) != simdjson::SUCCESS) {
    // Only an unterminated string fails, which validated input never has.
    json.copy(dst, json.size());
    return json.size();
  }
  return written;
}

}  // namespace miroir::internal
