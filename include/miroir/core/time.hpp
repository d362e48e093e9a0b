// Wall-clock timestamps in Meilisearch's formats: RFC 3339 in UTC for dates
// and ISO 8601 durations ("PT0.012S") for task durations.
//
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace miroir {

using SystemTime = std::chrono::system_clock::time_point;

// "2024-05-01T10:20:30.123456789Z", always UTC; the fraction has no trailing
// zeros and is left out when zero, as Meilisearch prints dates.
std::string FormatRfc3339(SystemTime t);

// Accepts what Meilisearch accepts in task date filters and key expiry:
// RFC 3339 with offset ("2024-05-01T10:20:30.5+02:00", "...Z"),
// "2024-05-01T10:20:30" and "2024-05-01" (both taken as UTC).
std::optional<SystemTime> ParseRfc3339(std::string_view text);

// The current time truncated to microseconds: what the coordination store
// keeps, so a value reads the same before and after a round trip.
SystemTime NowMicros();

// Milliseconds since the Unix epoch: the clock of anti-entropy's stamps
// (`_miroir_updated_at`), tombstones and hints.
int64_t NowUnixMillis();

// "PT1.5S", "PT0.000123S": seconds with the fraction trimmed of trailing zeros.
std::string FormatIsoDuration(std::chrono::nanoseconds d);

}  // namespace miroir
