// Request bodies as Meilisearch accepts them: the Content-Type checks and the
// JSON syntax errors, with Meilisearch's codes and wording.
#pragma once

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/http/message.hpp"

namespace miroir::meili {

// The body of a JSON route: missing_content_type / invalid_content_type
// (415), missing_payload, or bad_request for malformed JSON.
Result<nlohmann::json> ParseJsonBody(const http::Request& request);

// Only the Content-Type and empty-body checks of ParseJsonBody, for routes
// that parse the body themselves (without building a DOM).
Result<void> CheckJsonBody(const http::Request& request);

}  // namespace miroir::meili
