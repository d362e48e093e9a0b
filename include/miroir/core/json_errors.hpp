// Errors about JSON request bodies, worded as Meilisearch words them
// ("Invalid value type at `.name`: expected a string, but found a positive
// integer: `13`"), so clients that match on messages see the same text.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::json_errors {

// "a string", "an array", "a positive integer", "a negative integer",
// "a number" (floats), "a boolean", "an object", "null".
std::string_view KindPhrase(const nlohmann::json& value);

// Invalid value type at `<path>`: expected <expected>, but found <kind>: `<value>`
Error InvalidType(ErrorCode code, std::string_view path, std::string_view expected,
                  const nlohmann::json& found);
// Invalid value at `<path>`: <detail>
Error InvalidValue(ErrorCode code, std::string_view path, std::string_view detail);
// Unknown field `<name>`: expected one of `a`, `b`
Error UnknownField(ErrorCode code, std::string_view name, std::string_view expected_list);
// Missing field `<name>`
Error MissingField(ErrorCode code, std::string_view name);
// A body that is not JSON at all, or not an object where one is required.
Error MalformedBody(std::string_view parser_message);

}  // namespace miroir::json_errors
