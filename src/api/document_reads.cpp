#include "document_reads.hpp"

#include <charconv>

#include "miroir/core/documents_merge.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/search_rewrite.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/request_body.hpp"
#include "read_plan.hpp"

namespace miroir::api {
namespace {

std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Errors of a request whose reserved field names were masked (see
// MaskReservedNames) name the client's spelling again.
http::Response Unmasked(http::Response r, bool masked) {
  if (masked && r.status >= 400) r.body = filter::UnmaskReservedNames(std::move(r.body));
  return r;
}

http::Response Finish(Result<std::string> merged, bool degraded) {
  if (!merged) return ErrorResponse(merged.error());
  http::Response r = http::Response::Json(200, std::move(*merged));
  if (degraded) r.headers.Add("X-Miroir-Degraded", "true");
  return r;
}

}  // namespace

awaitable<http::Response> ListDocuments(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  auto offset = UnsignedQueryParam(ctx, "offset", 0, ErrorCode::kInvalidDocumentOffset);
  if (!offset) co_return ErrorResponse(offset.error());
  auto limit = UnsignedQueryParam(ctx, "limit", 20, ErrorCode::kInvalidDocumentLimit);
  if (!limit) co_return ErrorResponse(limit.error());
  const std::string* fields = ctx.query.Get("fields");
  const std::string* sort = ctx.query.Get("sort");
  const std::string* filter = ctx.query.Get("filter");
  std::optional<std::string> masked_filter;
  if (filter) {
    masked_filter = filter::MaskReservedAttributes(*filter);
    if (masked_filter) filter = &*masked_filter;
  }
  const bool masked = masked_filter.has_value();
  DocumentsRequestInfo info = DocumentsInfoFromQuery(*offset, *limit, fields ? *fields : "",
                                                     sort ? *sort : "");
  auto read = PlanIndexRead(ctx.services, uid, /*stable=*/true);
  if (!read) co_return ErrorResponse(read.error());
  const std::string node_fields = NodeFields(info);
  auto outcome = co_await ExecuteRead(
      ctx.services, *read, [&](const std::vector<uint32_t>* shards) {
        std::string target = "/indexes/" + EncodeSegment(uid) +
                             "/documents?offset=0&limit=" + std::to_string(info.node_limit);
        for (const auto& [name, value] : ctx.query.entries()) {
          if (name == "offset" || name == "limit" || name == "filter") continue;
          if (name == "fields" && !node_fields.empty()) continue;
          target += "&" + Encode(name) + "=" + Encode(value);
        }
        if (!node_fields.empty()) target += "&fields=" + Encode(node_fields);
        if (shards) {
          target += "&filter=" + Encode(CombineFilterString(filter ? *filter : "", *shards));
        } else if (filter) {
          target += "&filter=" + Encode(*filter);
        }
        return MakeRequest(http::Method::kGet, target, "", ctx.services.options.search_timeout);
      });
  if (!outcome) co_return ErrorResponse(outcome.error());
  if (outcome->client_error) co_return Unmasked(*outcome->client_error, masked);
  co_return Finish(MergeDocumentsResponses(info, outcome->results), outcome->degraded);
}

awaitable<http::Response> FetchDocuments(RequestContext& ctx) {
  const std::string& uid = ctx.params[0];
  if (!IsValidIndexUid(uid)) co_return ErrorResponse(meili::InvalidIndexUidError(uid));
  if (auto ok = meili::CheckJsonBody(ctx.request); !ok) co_return ErrorResponse(ok.error());
  std::string body = ctx.request.body;
  bool masked = false;
  if (auto m = MaskReservedNames(body)) {
    body = std::move(*m);
    masked = true;
  }
  auto info = AnalyzeDocumentsFetchRequest(body);
  if (!info) co_return ErrorResponse(info.error());
  const std::string target = "/indexes/" + EncodeSegment(uid) + "/documents/fetch";
  if (info->passthrough) {
    http::Response forwarded = co_await ForwardToOneNode(
        ctx.services,
        MakeRequest(http::Method::kPost, target, body, ctx.services.options.search_timeout));
    co_return Unmasked(std::move(forwarded), masked);
  }
  auto read = PlanIndexRead(ctx.services, uid, /*stable=*/true);
  if (!read) co_return ErrorResponse(read.error());
  auto outcome = co_await ExecuteRead(
      ctx.services, *read, [&](const std::vector<uint32_t>* shards) {
        return MakeRequest(http::Method::kPost, target,
                           BuildNodeDocumentsFetchBody(*info, body, shards),
                           ctx.services.options.search_timeout);
      });
  if (!outcome) co_return ErrorResponse(outcome.error());
  if (outcome->client_error) co_return Unmasked(*outcome->client_error, masked);
  co_return Finish(MergeDocumentsResponses(*info, outcome->results), outcome->degraded);
}

}  // namespace miroir::api
