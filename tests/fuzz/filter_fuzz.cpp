// Fuzzes Meilisearch's filter grammar (miroir/core/filter.hpp): the input is
// a filter expression; when it is also JSON (an array form, a string, null)
// the JSON form is parsed too.
//
// Invariants beyond "no crash":
//  - a parsed tree prints (ToString) to text that parses back to the same
//    tree with the same attributes (the header's round-trip promise);
//  - an error is one of the two filter codes, with a message;
//  - masking reserved names keeps the filter parseable, changes only the
//    reserved attribute names, and unmasking gives the input back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_util.hpp"
#include "miroir/core/filter.hpp"

namespace {

using miroir::ErrorCode;
namespace filter = miroir::filter;

void CheckError(const miroir::Error& e, ErrorCode expected_code) {
  FUZZ_CHECK(e.code == expected_code || e.code == ErrorCode::kMiroirUnsupported, e.message);
  FUZZ_CHECK(!e.message.empty(), "empty error message");
}

void CheckRoundTrip(const filter::Node& tree, bool must_reparse) {
  const std::string printed = filter::ToString(tree);
  auto again = filter::Parse(printed);
  if (!again) {
    // A tree from the JSON form may need more parentheses than its input had,
    // which can exceed Meilisearch's depth budget; text input never does.
    FUZZ_CHECK(!must_reparse, printed + " -> " + again.error().message);
    return;
  }
  FUZZ_CHECK(again->has_value(), printed);
  FUZZ_CHECK(**again == tree, printed);
  FUZZ_CHECK(filter::Attributes(**again) == filter::Attributes(tree), printed);
}

void CheckMasking(std::string_view text, const filter::Node& tree) {
  auto masked = filter::MaskReservedAttributes(text);
  if (!masked) return;
  FUZZ_CHECK(masked->size() == text.size(), *masked);
  auto reparsed = filter::Parse(*masked);
  FUZZ_CHECK(reparsed && reparsed->has_value(), *masked);
  // Same shape; reserved attribute names masked, nothing else touched.
  const auto before = filter::Attributes(tree);
  const auto after = filter::Attributes(**reparsed);
  FUZZ_CHECK(before.size() == after.size(), *masked);
  for (size_t i = 0; i < before.size(); ++i) {
    const std::string expected =
        filter::IsMaskedReservedName(before[i]) ? filter::MaskedName(before[i]) : before[i];
    FUZZ_CHECK(after[i] == expected, before[i] + " -> " + after[i]);
  }
  // Unmasking restores the client's text unless it already spelled a masked
  // name somewhere (then both spellings come back as the reserved one).
  bool spelled_masked = false;
  for (std::string_view name : {"_miroir_shard", "_miroir_updated_at", "_miroir_digest"}) {
    spelled_masked |= text.find(filter::MaskedName(name)) != std::string_view::npos;
  }
  if (!spelled_masked) {
    FUZZ_CHECK(filter::UnmaskReservedNames(*masked) == text, *masked);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = filter::Parse(text, ErrorCode::kInvalidDocumentFilter);
  if (!parsed) {
    CheckError(parsed.error(), ErrorCode::kInvalidDocumentFilter);
    FUZZ_CHECK(!filter::MaskReservedAttributes(text), "masked a filter that does not parse");
  } else if (parsed->has_value()) {
    CheckRoundTrip(**parsed, /*must_reparse=*/true);
    CheckMasking(text, **parsed);
  }

  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) {
    auto from_json = filter::ParseJson(json);
    if (!from_json) {
      CheckError(from_json.error(), ErrorCode::kInvalidSearchFilter);
    } else if (from_json->has_value()) {
      CheckRoundTrip(**from_json, /*must_reparse=*/false);
    }
  }
  return 0;
}
