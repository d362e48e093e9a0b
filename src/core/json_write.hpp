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

// `text` (UTF-8) as a quoted JSON string, escaped as serde_json escapes.
void AppendString(std::string* out, std::string_view text);
// The same, as a string of its own (how Meilisearch quotes values in errors).
std::string QuoteString(std::string_view text);

}  // namespace miroir::json_write
