#include "core/json_write.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace miroir::json_write {

void AppendUint(std::string* out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;  // 24 bytes always hold a uint64
  out->append(buf, static_cast<size_t>(end - buf));
}

void AppendDouble(std::string* out, double value) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  if (value == 0) {
    out->append(std::signbit(value) ? "-0.0" : "0.0");
    return;
  }
  // to_chars gives the shortest round-trip digits; only the layout differs
  // from ryu (which serde_json uses), so re-lay them out: "d.ddde±x".
  char sci[40];
  auto [sci_end, ec] = std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific);
  (void)ec;  // 40 bytes always hold a double in scientific form
  const char* p = sci;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  char digits[20];
  int length = 0;
  while (p < sci_end && *p != 'e') {
    if (*p != '.') digits[length++] = *p;
    ++p;
  }
  int exp10 = std::atoi(p + 1);  // exponent of the first digit
  int kk = exp10 + 1;            // position of the decimal point
  int k = kk - length;           // exponent of the last digit
  if (k >= 0 && kk <= 16) {
    out->append(digits, static_cast<size_t>(length));
    out->append(static_cast<size_t>(k), '0');
    out->append(".0");
  } else if (kk > 0 && kk <= 16) {
    out->append(digits, static_cast<size_t>(kk));
    out->push_back('.');
    out->append(digits + kk, static_cast<size_t>(length - kk));
  } else if (kk > -5 && kk <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-kk), '0');
    out->append(digits, static_cast<size_t>(length));
  } else {
    out->push_back(digits[0]);
    if (length > 1) {
      out->push_back('.');
      out->append(digits + 1, static_cast<size_t>(length - 1));
    }
    out->push_back('e');
    char exp_buf[8];
    auto [exp_end, exp_ec] = std::to_chars(exp_buf, exp_buf + sizeof(exp_buf), kk - 1);
    (void)exp_ec;
    out->append(exp_buf, static_cast<size_t>(exp_end - exp_buf));
  }
}

void AppendString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

}  // namespace miroir::json_write
