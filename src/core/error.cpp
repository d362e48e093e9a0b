#include "miroir/core/error.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace miroir {
namespace {

struct CodeInfo {
  std::string_view name;
  ErrorType type;
  unsigned status;
};

constexpr CodeInfo kCodes[] = {
#define MIROIR_ERROR(id, wire, type, status) {wire, ErrorType::type, status},
#include "miroir/core/error_codes.def"
#undef MIROIR_ERROR
};

const CodeInfo& Info(ErrorCode code) { return kCodes[static_cast<size_t>(code)]; }

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }
ErrorType ErrorCodeType(ErrorCode code) { return Info(code).type; }
unsigned ErrorCodeStatus(ErrorCode code) { return Info(code).status; }

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kInvalidRequest: return "invalid_request";
    case ErrorType::kInternal: return "internal";
    case ErrorType::kAuth: return "auth";
    case ErrorType::kSystem: return "system";
  }
  return "internal";
}

std::string Error::link() const {
  return "https://docs.meilisearch.com/errors#" + std::string(code_name());
}

std::string Error::ToJson() const {
  nlohmann::ordered_json j;
  j["message"] = message;
  j["code"] = code_name();
  j["type"] = type_name();
  j["link"] = link();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error("unchecked Result holds error: " + e.message);
}

}  // namespace miroir
