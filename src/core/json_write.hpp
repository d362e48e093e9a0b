// Appending JSON scalars to an output buffer, spelled the way Meilisearch
// (serde_json) spells them, so merged responses look like a node's.
//
// Internal to miroir_core. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace miroir::json_write {

void AppendUint(std::string* out, uint64_t value);

// A finite double as serde_json prints an f64: shortest round-trip digits,
// "1.0" for integral values, "1e-7" / "1.5e21" outside [1e-5, 1e16).
// Non-finite values (which JSON cannot carry) print as null.
void AppendDouble(std::string* out, double value);

// `text` (UTF-8) as a quoted JSON string, escaped as serde_json escapes.
void AppendString(std::string* out, std::string_view text);

}  // namespace miroir::json_write
