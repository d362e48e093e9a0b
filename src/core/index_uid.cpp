#include "miroir/core/index_uid.hpp"

#include <algorithm>

namespace miroir {

bool IsValidIndexUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 512) return false;
  return std::all_of(uid.begin(), uid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

}  // namespace miroir
