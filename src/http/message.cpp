#include "miroir/http/message.hpp"

#include <algorithm>

namespace miroir::http {
namespace {

// ASCII only, as header names are (and as std::tolower is in the "C"
// locale), without a libc call per character: every header of every
// request and node answer goes through here.
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD, one per
// maximal subpart (Unicode's recommended practice, which Rust's
// String::from_utf8_lossy follows).
std::string Utf8Lossy(std::string s) {
  std::string out;
  size_t copied = 0;  // s[copied, i) is valid and not yet in `out`
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    // The sequence length and the range of its second byte.
    size_t length = 0;
    if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
    }
    // No overlong forms, surrogates or code points past U+10FFFF.
    const unsigned char low = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
    size_t valid = length == 0 ? 0 : 1;  // bytes of the sequence that fit
    while (valid > 0 && valid < length && i + valid < s.size()) {
      const auto c = static_cast<unsigned char>(s[i + valid]);
      if (valid == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xbf)) break;
      ++valid;
    }
    if (length != 0 && valid == length) {
      i += length;
      continue;
    }
    out.append(s, copied, i - copied);
    out.append("\xef\xbf\xbd");
    i += valid == 0 ? 1 : valid;
    copied = i;
  }
  if (copied == 0) return s;
  out.append(s, copied, std::string::npos);
  return out;
}

}  // namespace

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: return "OTHER";
  }
  return "OTHER";
}

Method MethodFromName(std::string_view name) {
  for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kPatch,
                   Method::kDelete, Method::kOptions}) {
    if (MethodName(m) == name) return m;
  }
  return Method::kOther;
}

void Headers::Add(std::string_view name, std::string_view value) {
  entries_.emplace_back(Lower(name), std::string(value));
}

void Headers::Set(std::string_view name, std::string_view value) {
  std::erase_if(entries_, [&](const auto& e) { return IEquals(e.first, name); });
  Add(name, value);
}

std::string_view Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (IEquals(n, name)) return v;
  }
  return {};
}

bool Headers::Has(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& e) { return IEquals(e.first, name); });
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

Response Response::Json(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::FromError(const Error& e) { return Json(e.status, e.ToJson()); }

Response Response::NoContent(unsigned status) {
  Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) segments.push_back(PercentDecode(path.substr(pos, next - pos), false));
    pos = next + 1;
  }
  return segments;
}

QueryParams::QueryParams(std::string_view query) {
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view name = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      // Meilisearch reads query strings lossily (serde_urlencoded): bytes
      // that are not UTF-8 become U+FFFD. Kept raw, they made GET /search's
      // JSON body throw when serialized (a 500 instead of an answer).
      entries_.emplace_back(Utf8Lossy(PercentDecode(name, true)),
                            Utf8Lossy(PercentDecode(value, true)));
    }
    pos = amp + 1;
  }
}

const std::string* QueryParams::Get(std::string_view name) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

}  // namespace miroir::http
