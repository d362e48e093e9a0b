#include "miroir/meili/request_body.hpp"

namespace miroir::meili {

Result<void> CheckJsonBody(const http::Request& req) {
  std::string_view ct = req.headers.Get("content-type");
  if (ct.empty()) {
    return Error(ErrorCode::kMissingContentType,
                 "A Content-Type header is missing. Accepted values for the Content-Type header "
                 "are: `application/json`");
  }
  std::string_view mime = ct.substr(0, ct.find(';'));
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  if (mime != "application/json") {
    return Error(ErrorCode::kInvalidContentType,
                 "The Content-Type `" + std::string(ct) +
                     "` is invalid. Accepted values for the Content-Type header are: "
                     "`application/json`");
  }
  if (req.body.empty()) return Error(ErrorCode::kMissingPayload, "A json payload is missing.");
  return {};
}

Result<nlohmann::json> ParseJsonBody(const http::Request& req) {
  MIROIR_RETURN_IF_ERROR(CheckJsonBody(req));
  try {
    return nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    return Error(ErrorCode::kBadRequest, std::string("Json deserialize error: ") + e.what());
  }
}

}  // namespace miroir::meili
