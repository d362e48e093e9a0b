#include "miroir/core/primary_key.hpp"

#include <algorithm>
#include <string>

#include "core/json_write.hpp"

namespace miroir::pk {
namespace {

// Meilisearch documents ids are limited to 511 bytes: 512 is refused.
constexpr size_t kMaxIdBytes = 511;

constexpr std::string_view kIdRules =
    " is invalid. A document identifier can be of type integer or string, only composed of "
    "alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more "
    "than 511 bytes.";

// Meilisearch lowercases the whole name (Unicode) and tests the suffix "id".
// No non-ASCII character lowercases to a plain 'i' or 'd' ("İ" becomes "i"
// plus a combining dot), so an ASCII test of the last two bytes is exact.
bool IsCandidate(std::string_view name) {
  if (name.size() < 2) return false;
  const char i = name[name.size() - 2];
  const char d = name[name.size() - 1];
  return (i == 'i' || i == 'I') && (d == 'd' || d == 'D');
}

}  // namespace

Result<std::string> Infer(const std::vector<std::string_view>& field_names) {
  std::vector<std::string_view> candidates;
  for (std::string_view name : field_names) {
    if (IsCandidate(name)) candidates.push_back(name);
  }
  // Byte order, as Meilisearch sorts them; the message names the first two.
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) {
    return Error(ErrorCode::kIndexPrimaryKeyNoCandidateFound,
                 "The primary key inference failed as the engine did not find any field ending "
                 "with `id` in its name. Please specify the primary key manually using the "
                 "`primaryKey` query parameter.");
  }
  if (candidates.size() > 1) {
    return Error(ErrorCode::kIndexPrimaryKeyMultipleCandidatesFound,
                 "The primary key inference failed as the engine found " +
                     std::to_string(candidates.size()) +
                     " fields ending with `id` in their names: '" + std::string(candidates[0]) +
                     "' and '" + std::string(candidates[1]) +
                     "'. Please specify the primary key manually using the `primaryKey` query "
                     "parameter.");
  }
  return std::string(candidates[0]);
}

Result<void> ValidateStringId(std::string_view id) {
  const bool valid =
      !id.empty() && id.size() <= kMaxIdBytes &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      });
  if (!valid) return InvalidIdError(json_write::QuoteString(id));
  return {};
}

std::string CanonicalId(std::int64_t id) { return std::to_string(id); }
std::string CanonicalId(std::uint64_t id) { return std::to_string(id); }

Error InvalidIdError(std::string_view value_json) {
  return Error(ErrorCode::kInvalidDocumentId,
               "Document identifier `" + std::string(value_json) + "`" + std::string(kIdRules));
}

Error MissingIdError(std::string_view primary_key, std::string_view document_json) {
  return Error(ErrorCode::kMissingDocumentId, "Document doesn't have a `" +
                                                  std::string(primary_key) + "` attribute: `" +
                                                  std::string(document_json) + "`.");
}

Error TooManyIdsError(std::string_view primary_key, std::string_view document_json) {
  return Error(ErrorCode::kInvalidDocumentId, "Document have too many matching `" +
                                                  std::string(primary_key) + "` attribute: `" +
                                                  std::string(document_json) + "`.");
}

}  // namespace miroir::pk
