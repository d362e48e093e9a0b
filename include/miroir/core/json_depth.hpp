// How deeply a JSON text nests, found without parsing it.
//
// Miroir refuses request bodies nested deeper than limits.max_json_depth
// before any parser or rewrite sees them: nlohmann::json's dump and the
// search rewrites recurse once per level, so depth, not size, is what could
// exhaust a thread's stack.
#pragma once

#include <cstddef>
#include <string_view>

namespace miroir {

// True when `text` opens more than `max_depth` arrays or objects inside one
// another. Brackets inside strings do not count. Text that is not JSON is
// not judged beyond its brackets: the parser reports what is wrong with it.
bool JsonNestsDeeperThan(std::string_view text, size_t max_depth);

}  // namespace miroir
