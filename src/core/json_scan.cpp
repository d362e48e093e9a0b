#include "core/json_scan.hpp"

#include "core/utf8.hpp"

namespace miroir::json_scan {

od::parser& ThreadParser() {
  // One io_context per core (ARCHITECTURE §8) means one parser per core too.
  thread_local od::parser parser;
  return parser;
}

void EnsurePadding(std::string* body) {
  // simdjson may read (never use) up to SIMDJSON_PADDING bytes past the end;
  // zeroing them keeps memory checkers quiet and costs a 64-byte memset.
  size_t size = body->size();
  body->resize(size + simdjson::SIMDJSON_PADDING, '\0');
  body->resize(size);
}

std::string_view KeyText(const od::raw_json_string& key) {
  // simdjson's stage 1 has matched every quote, so the closing quote exists;
  // a backslash always escapes the next byte.
  const char* start = key.raw();
  const char* p = start;
  while (*p != '"') p += (*p == '\\') ? 2 : 1;
  return std::string_view(start, static_cast<size_t>(p - start));
}

const char* SeparatorBefore(const char* key_quote, const char* floor) {
  const char* p = key_quote - 1;
  while (p >= floor && IsJsonSpace(*p)) --p;
  return (p >= floor && *p == ',') ? p : nullptr;
}

const char* CloserBefore(const char* next_token, const char* floor) {
  const char* p = next_token - 1;
  while (p >= floor && IsJsonSpace(*p)) --p;
  return (p >= floor && (*p == '}' || *p == ']')) ? p : nullptr;
}

static std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

simdjson::simdjson_result<std::string_view> RawValue(od::value& value) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object obj;
    if (auto err = value.get_object().get(obj)) return err;
    if (auto err = obj.raw_json().get(raw)) return err;
  } else if (type == od::json_type::array) {
    od::array arr;
    if (auto err = value.get_array().get(arr)) return err;
    if (auto err = arr.raw_json().get(raw)) return err;
  } else {
    raw = value.raw_json_token();
  }
  return TrimRight(raw);
}

simdjson::error_code Validate(od::value value, int depth) {
  // serde_json, which parses Meilisearch's requests, stops at 128 levels.
  if (depth > 128) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto err = value.get_object().get(obj)) return err;
      for (auto field : obj) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        if (auto err = Validate(field.value(), depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto err = value.get_array().get(arr)) return err;
      for (auto element : arr) {
        od::value v;
        if (auto err = element.get(v)) return err;
        if (auto err = Validate(v, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case od::json_type::number: {
      double d;
      return value.get_double().get(d);
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto err = value.is_null().get(is_null)) return err;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool ReadHex4(std::string_view s, size_t at, uint32_t* out) {
  if (at + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    int h = HexValue(s[at + i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

std::string_view Unescape(std::string_view escaped, std::deque<std::string>* arena, bool* ok) {
  *ok = true;
  size_t first = escaped.find('\\');
  if (first == std::string_view::npos) return escaped;
  std::string& out = arena->emplace_back();
  out.reserve(escaped.size());
  out.append(escaped.data(), first);
  for (size_t i = first; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= escaped.size()) break;
    switch (escaped[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!ReadHex4(escaped, i + 1, &cp)) {
          *ok = false;
          return {};
        }
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low = 0;
          if (i + 2 < escaped.size() && escaped[i + 1] == '\\' && escaped[i + 2] == 'u' &&
              ReadHex4(escaped, i + 3, &low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;  // lone surrogate, as serde_json's lossy decoding does
          }
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          cp = 0xFFFD;
        }
        utf8::Append(cp, &out);
        break;
      }
      default:
        *ok = false;
        return {};
    }
  }
  return out;
}

bool CheckEscapes(std::string_view escaped) {
  thread_local std::deque<std::string> scratch;
  bool ok = true;
  (void)Unescape(escaped, &scratch, &ok);
  scratch.clear();
  return ok;
}

bool CutBuilder::OpenGroup(const char* key_quote) {
  group_open_ = true;
  group_leading_ = !any_kept_;
  group_begin_ = key_quote;
  if (!group_leading_) {
    // The run starts at the ',' that closes the previous (kept) member.
    group_begin_ = SeparatorBefore(key_quote, base_);
    if (group_begin_ == nullptr) return false;
  }
  return true;
}

bool CutBuilder::CloseGroup(const char* key_quote) {
  // A leading run takes its trailing ',' (up to this key); any other run
  // takes its leading ',' and stops before the ',' that precedes this key.
  const char* end = key_quote;
  if (!group_leading_) {
    end = SeparatorBefore(key_quote, base_);
    if (end == nullptr) return false;
  }
  Emit(group_begin_, end);
  group_open_ = false;
  return true;
}

void CutBuilder::Finish(const char* close) {
  if (has_prev_ && prev_keep_) any_kept_ = true;
  if (group_open_) Emit(group_begin_, close);
  group_open_ = false;
}

void CutBuilder::Emit(const char* begin, const char* end) {
  out_->push_back(Cut{static_cast<uint32_t>(begin - base_), static_cast<uint32_t>(end - base_)});
}

void AppendWithCuts(std::string* out, const char* base, uint32_t begin, uint32_t end,
                    const Cut* cuts, size_t cut_count) {
  uint32_t pos = begin;
  for (size_t i = 0; i < cut_count; ++i) {
    out->append(base + pos, cuts[i].begin - pos);
    pos = cuts[i].end;
  }
  out->append(base + pos, end - pos);
}

Error NodeBodyError(std::string_view what, simdjson::error_code code) {
  std::string message = "A node answered with a response Miroir cannot read: ";
  message.append(what);
  if (code != simdjson::SUCCESS) {
    message.append(" (");
    message.append(simdjson::error_message(code));
    message.push_back(')');
  }
  message.push_back('.');
  return Error(ErrorCode::kMiroirNodeError, std::move(message));
}

}  // namespace miroir::json_scan
