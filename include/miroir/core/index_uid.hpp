// Index uids as Meilisearch accepts them.
#pragma once

#include <string_view>

namespace miroir {

// 1 to 512 bytes of ASCII letters, digits, '-' and '_'.
bool IsValidIndexUid(std::string_view uid);

// The sentence Meilisearch appends after "`<uid>` " when a uid is invalid.
inline constexpr std::string_view kIndexUidRules =
    "is not a valid index uid. Index uid can be an integer or a string containing only "
    "alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 512 "
    "bytes.";

}  // namespace miroir
