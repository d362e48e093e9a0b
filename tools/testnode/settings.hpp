// An index's settings as Meilisearch v1.x models them: the value of every
// setting (defaults identical to Meilisearch's), validation of update bodies
// with Meilisearch's errors, merge semantics, the GET /settings rendering and
// the table of per-setting sub-routes (/settings/filterable-attributes...).
//
// Updates follow Meilisearch's rules:
// - a field absent from a PATCH body is left unchanged, `null` resets it;
// - nested objects (typoTolerance, its minWordSizeForTypos, faceting,
//   pagination, embedders) merge field by field, `null` resetting one field;
// - every other setting is replaced as a whole;
// - ["*"] (or any list containing "*") for displayed/searchable attributes
//   means the default wildcard.
//
// Validation (ValidateSettingsPatch, ValidateSettingValue) is what
// Meilisearch does synchronously before enqueueing a task (400 errors);
// ApplySettingsPatch adds the checks Meilisearch makes while processing the
// task (they become the task's error).
//
// Values are plain data; functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "filterable_rules.hpp"
#include "miroir/core/error.hpp"

namespace miroir::testnode {

struct TypoTolerance {
  bool enabled = true;
  uint8_t one_typo = 5;
  uint8_t two_typos = 9;
  std::set<std::string> disable_on_words;
  std::set<std::string> disable_on_attributes;
  bool disable_on_numbers = false;
};

struct Faceting {
  uint64_t max_values_per_facet = 100;
  // Facet name (or "*") -> "alpha" or "count". Always holds "*".
  std::map<std::string, std::string> sort_facet_values_by{{"*", "alpha"}};
};

struct Settings {
  std::optional<std::vector<std::string>> displayed_attributes;   // nullopt: ["*"]
  std::optional<std::vector<std::string>> searchable_attributes;  // nullopt: ["*"]
  std::vector<FilterableRule> filterable_attributes;
  std::set<std::string> sortable_attributes;
  std::vector<std::string> ranking_rules{"words",         "typo", "proximity", "attributeRank",
                                         "sort",          "wordPosition", "exactness"};
  std::set<std::string> stop_words;
  std::set<std::string> non_separator_tokens;
  std::set<std::string> separator_tokens;
  std::set<std::string> dictionary;
  std::map<std::string, std::vector<std::string>> synonyms;
  std::optional<std::string> distinct_attribute;
  std::string proximity_precision = "byWord";
  TypoTolerance typo_tolerance;
  Faceting faceting;
  uint64_t max_total_hits = 1000;  // pagination.maxTotalHits
  std::map<std::string, nlohmann::ordered_json> embedders;
  std::optional<uint64_t> search_cutoff_ms;
  std::optional<nlohmann::ordered_json> localized_attributes;  // an array of rules
  bool facet_search = true;
  std::string prefix_search = "indexingTime";
  // Experimental settings, accepted only with their feature enabled and not
  // shown by GET /settings otherwise.
  nlohmann::ordered_json foreign_keys = nlohmann::ordered_json::array();
  std::optional<nlohmann::ordered_json> chat;
};

// Experimental features that gate some settings.
struct SettingsFeatures {
  bool foreign_keys = false;
  bool chat_completions = false;
};

// Validates a PATCH /settings body. Errors: bad_request for a non-object
// body or an unknown field (deserr wording, "did you mean"), the field's
// invalid_settings_* code otherwise, feature_not_enabled for experimental
// settings. Keys are checked in the body's key order.
Result<void> ValidateSettingsPatch(const nlohmann::json& patch, SettingsFeatures features = {});

// Validates the value of one setting given by its camelCase key; `location`
// prefixes error locations ("" for a sub-route body, ".typoTolerance" inside
// a full body).
Result<void> ValidateSettingValue(std::string_view key, const nlohmann::json& value,
                                  std::string_view location, SettingsFeatures features = {});

// Validates `patch` and merges it into `current`. Also fails, as a
// Meilisearch task does, when the merged minWordSizeForTypos is inconsistent.
Result<Settings> ApplySettingsPatch(const Settings& current, const nlohmann::json& patch,
                                    SettingsFeatures features = {});

// GET /settings, keys in Meilisearch's order (the experimental settings only
// when their feature is enabled).
nlohmann::ordered_json ToJson(const Settings& settings, SettingsFeatures features = {});
// GET /settings/<sub-route>: the value of one setting by camelCase key, or
// null for an unknown key.
nlohmann::ordered_json SettingToJson(const Settings& settings, std::string_view key);

// One per-setting sub-route: GET, update (PUT or PATCH) and DELETE on
// /indexes/{uid}/settings/<path>. Updates and resets are settingsUpdate
// tasks whose patch is {<key>: <body>} ({<key>: null} for DELETE).
struct SettingsRoute {
  std::string_view path;  // kebab-case, e.g. "filterable-attributes"
  std::string_view key;   // camelCase, e.g. "filterableAttributes"
  bool uses_patch;        // true: updated with PATCH (merge), false: PUT
  ErrorCode error;        // the setting's invalid_settings_* code
};
std::span<const SettingsRoute> SettingsRoutes();
const SettingsRoute* FindSettingsRoute(std::string_view path);

// Validates a sub-route update body (locations relative to the body) and
// returns the equivalent PATCH /settings body.
Result<nlohmann::json> SubRouteBodyToPatch(const SettingsRoute& route, const nlohmann::json& body,
                                           SettingsFeatures features = {});

// Every setting's camelCase key, in Meilisearch's declaration order (the
// order of its "expected one of" lists).
std::span<const std::string_view> AllSettingsKeys();

// The PATCH body that DELETE /settings amounts to: every setting reset.
nlohmann::json ResetAllPatch();

}  // namespace miroir::testnode
