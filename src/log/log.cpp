#include "miroir/log/log.hpp"

#include <atomic>
#include <cstdio>
#include <memory>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace miroir::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<Format> g_format{Format::kText};
// Replaced only by Configure(), before other threads log (see the header).
std::shared_ptr<spdlog::logger> g_logger;

void Install(Level level, Format format, std::shared_ptr<spdlog::sinks::sink> sink) {
  auto logger = std::make_shared<spdlog::logger>("miroir", std::move(sink));
  // The level and message are written by Line; spdlog adds the time and the
  // JSON braces. Filtering happens in Line, so spdlog passes everything.
  logger->set_pattern(format == Format::kJson ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ",%v})"
                                              : "%Y-%m-%dT%H:%M:%S.%eZ %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  g_logger = std::move(logger);
  g_format.store(format, std::memory_order_relaxed);
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

spdlog::logger& Logger() {
  if (!g_logger) Install(Level::kInfo, Format::kText, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return *g_logger;
}

// The length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Appends s as the inside of a JSON string. Control characters are escaped
// and invalid UTF-8 becomes U+FFFD, so every line is valid JSON whatever a
// client put in its request line.
void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (size_t n = Utf8Length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\\ufffd";
    }
  }
}

// Text values are bare unless they would be ambiguous: empty, or holding a
// space, quote, '=' or a control character; then they are quoted and escaped.
void AppendTextValue(std::string& out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (c <= 0x20 || c == '"' || c == '=' || c == 0x7F) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(s);
    return;
  }
  out.push_back('"');
  AppendJsonEscaped(out, s);
  out.push_back('"');
}

spdlog::level::level_enum SpdLevel(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kCritical: return spdlog::level::critical;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void Configure(Level level, Format format) {
  Install(level, format, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void ConfigureForTest(Level level, Format format, std::ostream& out) {
  Install(level, format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true));
}

bool Enabled(Level level) {
  return level != Level::kOff &&
         static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kCritical: return "critical";
    case Level::kOff: return "off";
  }
  return "info";
}

Line::Line(Level level, std::string_view message) : level_(level), enabled_(Enabled(level)) {
  if (!enabled_) return;
  fields_.reserve(128 + message.size());
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    fields_ += "\"level\":\"";
    fields_ += LevelName(level);
    fields_ += "\",\"msg\":\"";
    AppendJsonEscaped(fields_, message);
    fields_.push_back('"');
  } else {
    fields_ += LevelName(level);
    fields_.push_back(' ');
    fields_ += message;
  }
}

Line::~Line() {
  if (!enabled_) return;
  Logger().log(SpdLevel(level_), spdlog::string_view_t(fields_.data(), fields_.size()));
}

void Line::Key(std::string_view key) {
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    fields_ += ",\"";
    AppendJsonEscaped(fields_, key);
    fields_ += "\":";
  } else {
    fields_.push_back(' ');
    fields_ += key;
    fields_.push_back('=');
  }
}

Line& Line::Str(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  Key(key);
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    fields_.push_back('"');
    AppendJsonEscaped(fields_, value);
    fields_.push_back('"');
  } else {
    AppendTextValue(fields_, value);
  }
  return *this;
}

Line& Line::Int(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  Key(key);
  fields_ += std::to_string(value);
  return *this;
}

Line& Line::Uint(std::string_view key, uint64_t value) {
  if (!enabled_) return *this;
  Key(key);
  fields_ += std::to_string(value);
  return *this;
}

Line& Line::Num(std::string_view key, double value) {
  if (!enabled_) return *this;
  Key(key);
  char buffer[32];
  // JSON has no NaN or infinity; such a value is written as null.
  const bool finite = value == value && value - value == 0;
  const int n = finite ? std::snprintf(buffer, sizeof buffer, "%.6g", value) : 0;
  fields_.append(finite ? std::string_view(buffer, static_cast<size_t>(n)) : "null");
  return *this;
}

Line& Line::Bool(std::string_view key, bool value) {
  if (!enabled_) return *this;
  Key(key);
  fields_ += value ? "true" : "false";
  return *this;
}

}  // namespace miroir::log
