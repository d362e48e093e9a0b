// POST /multi-search, both forms: a list of independent results, or with
// `federation` one merged list ranked by weighted ranking score, each hit
// carrying `_federation` — Meilisearch's request and response shapes.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode {

using MultiSearchAuthorizer = std::function<Result<void>(const std::string& index_uid)>;
using MultiSearchSearcher =
    std::function<Result<nlohmann::ordered_json>(const std::string& index_uid,
                                                 const nlohmann::json& query)>;

Result<nlohmann::ordered_json> MultiSearch(const nlohmann::json& body,
                                           const MultiSearchAuthorizer& authorize,
                                           const MultiSearchSearcher& search);

}  // namespace miroir::testnode
