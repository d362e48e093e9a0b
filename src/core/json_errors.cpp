#include "miroir/core/json_errors.hpp"

namespace miroir::json_errors {

std::string_view KindPhrase(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_unsigned: return "a positive integer";
    case nlohmann::json::value_t::number_integer:
      return v.get<int64_t>() < 0 ? "a negative integer" : "a positive integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::null: return "null";
    default: return "a value";
  }
}

Error InvalidType(ErrorCode code, std::string_view path, std::string_view expected,
                  const nlohmann::json& found) {
  return Error(code, "Invalid value type at `" + std::string(path) + "`: expected " +
                         std::string(expected) + ", but found " + std::string(KindPhrase(found)) +
                         ": `" + found.dump() + "`");
}

Error InvalidValue(ErrorCode code, std::string_view path, std::string_view detail) {
  return Error(code, "Invalid value at `" + std::string(path) + "`: " + std::string(detail));
}

Error UnknownField(ErrorCode code, std::string_view name, std::string_view expected_list) {
  return Error(code, "Unknown field `" + std::string(name) + "`: expected one of " +
                         std::string(expected_list));
}

Error MissingField(ErrorCode code, std::string_view name) {
  return Error(code, "Missing field `" + std::string(name) + "`");
}

Error MalformedBody(std::string_view parser_message) {
  return Error(ErrorCode::kBadRequest, std::string(parser_message));
}

}  // namespace miroir::json_errors
