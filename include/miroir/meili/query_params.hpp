// Conversion of GET query strings into the JSON bodies of their POST twins,
// as Meilisearch does for GET /search and GET /documents: typed parameters
// are parsed (with Meilisearch's "Invalid value in parameter" errors), lists
// are comma-separated, and unknown parameters are refused.
#pragma once

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"
#include "miroir/http/message.hpp"

namespace miroir::meili {

Result<nlohmann::json> SearchQueryFromParams(const http::QueryParams& params);
Result<nlohmann::json> DocumentsQueryFromParams(const http::QueryParams& params);

}  // namespace miroir::meili
