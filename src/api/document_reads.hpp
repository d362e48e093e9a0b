// GET /indexes/{uid}/documents and POST /indexes/{uid}/documents/fetch:
// document listings over a covering set, merged (core/documents_merge.hpp).
#pragma once

#include "common.hpp"

namespace miroir::api {

awaitable<http::Response> ListDocuments(RequestContext& ctx);
awaitable<http::Response> FetchDocuments(RequestContext& ctx);

}  // namespace miroir::api
