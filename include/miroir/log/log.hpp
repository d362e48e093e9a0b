// Structured logging: one line per event, a short message plus typed fields,
// written to stderr either as text or as one JSON object per line.
//
//   log::Warn("node call failed").Str("node", id).Str("request_id", rid).Int("status", 502);
//
// The line is written when the temporary is destroyed, at the end of the full
// expression; a line below the configured level costs one atomic load and
// formats nothing. Text lines read
//   2026-11-23T21:40:00.123Z warn node call failed node=n1 request_id=8f3a... status=502
// (values with spaces or quotes are quoted); JSON lines read
//   {"time":"2026-11-23T21:40:00.123Z","level":"warn","msg":"node call failed","node":"n1",...}
//
// Keys and secrets never go into a line: callers log key names or uids,
// never Authorization values.
//
// Thread-safety: Configure() once at start-up, before other threads log;
// lines may be written from any thread (each is one write).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace miroir::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
enum class Format { kText, kJson };

// Sets the process-wide level and format; lines go to stderr. Until called:
// info, text.
void Configure(Level level, Format format);
// The same, writing to `out` instead (tests). `out` must outlive the logging.
void ConfigureForTest(Level level, Format format, std::ostream& out);
bool Enabled(Level level);
std::string_view LevelName(Level level);

// One line being built. Fields keep their order; repeated keys are kept.
class Line {
 public:
  Line(Level level, std::string_view message);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Str(std::string_view key, std::string_view value);
  Line& Int(std::string_view key, int64_t value);
  Line& Uint(std::string_view key, uint64_t value);
  Line& Num(std::string_view key, double value);
  Line& Bool(std::string_view key, bool value);

 private:
  void Key(std::string_view key);

  Level level_;
  bool enabled_;
  std::string fields_;  // formatted fields, in the configured format
};

inline Line Trace(std::string_view message) { return Line(Level::kTrace, message); }
inline Line Debug(std::string_view message) { return Line(Level::kDebug, message); }
inline Line Info(std::string_view message) { return Line(Level::kInfo, message); }
inline Line Warn(std::string_view message) { return Line(Level::kWarn, message); }
inline Line Error(std::string_view message) { return Line(Level::kError, message); }

}  // namespace miroir::log
