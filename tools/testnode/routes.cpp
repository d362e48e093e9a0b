#include "routes.hpp"

#include <charconv>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "documents_payload.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/index_uid.hpp"
#include "miroir/core/json_errors.hpp"
#include "miroir/meili/index_requests.hpp"
#include "miroir/meili/request_body.hpp"
#include "multi_search.hpp"
#include "miroir/meili/query_params.hpp"
#include "settings.hpp"

namespace miroir::testnode {
namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;
using http::Method;
using http::Request;
using http::Response;

Response Ok(const OJson& body, unsigned status = 200) { return Response::Json(status, body.dump()); }
Response Fail(const Error& e) { return Response::FromError(e); }

template <class T>
Response Reply(const Result<T>& r, unsigned status = 200) {
  return r ? Ok(*r, status) : Fail(r.error());
}

Error RouteNotFound() {
  return Error(ErrorCode::kRouteNotFound, "The requested route does not exist.");
}

Error MethodNotAllowed() {
  return Error(ErrorCode::kMethodNotAllowed, "This method is not allowed on this route.");
}

std::optional<uint64_t> ParseUnsigned(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<uint64_t> UnsignedParam(const http::QueryParams& q, const char* name, uint64_t fallback,
                               ErrorCode code) {
  const std::string* v = q.Get(name);
  if (!v) return fallback;
  auto n = ParseUnsigned(*v);
  if (!n) {
    return Error(code, "Invalid value in parameter `" + std::string(name) + "`: could not parse `" +
                           *v + "` as a positive integer");
  }
  return *n;
}

std::vector<std::string> SplitCommaList(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    std::string part(s.substr(pos, comma - pos));
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    pos = comma + 1;
  }
  return out;
}

// A document id from a JSON value: strings as they are, integers in decimal.
std::optional<std::string> IdText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<Response> Routes::Handle(Request req) {
  const std::string path(req.path());
  if (path.rfind("/_testnode", 0) != 0) {
    node_.requests().Record(req);
    FaultDecision fault = node_.faults().Decide(http::MethodName(req.method), path);
    if (fault.latency.count() > 0) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      timer.expires_after(fault.latency);
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    Response r;
    if (fault.drop) {
      r.disposition = http::Disposition::kDrop;
      co_return r;
    }
    if (fault.hang) {
      r.disposition = http::Disposition::kHang;
      co_return r;
    }
    if (fault.error_status) {
      co_return Fail(Error(ErrorCode::kInternal, "Injected fault.", *fault.error_status));
    }
    r = Dispatch(req);
    if (fault.body) r.body = *fault.body;
    if (fault.close_mid_response) r.disposition = http::Disposition::kTruncate;
    co_return r;
  }
  co_return Dispatch(req);
}

Response Routes::Dispatch(const Request& req) {
  const auto seg = http::SplitPath(req.path());
  const http::QueryParams query(req.query());
  const Method m = req.method;
  const std::string_view auth = req.headers.Get("authorization");
  const size_t n = seg.size();

  // Checks the key for an action (and index); returns a response on refusal.
  auto deny = [&](std::string_view action,
                  std::optional<std::string_view> index = std::nullopt) -> std::optional<Response> {
    auto r = node_.Authorize(auth, action, index);
    if (!r) return Fail(r.error());
    return std::nullopt;
  };
#define MIROIR_AUTHORIZE(...)                              \
  if (auto refusal = deny(__VA_ARGS__)) return *refusal;

  if (n == 1 && seg[0] == "health") {
    return Ok(OJson{{"status", "available"}});
  }
  if (n == 1 && seg[0] == "version") {
    if (m != Method::kGet) return Fail(MethodNotAllowed());
    MIROIR_AUTHORIZE("version");
    return Ok(OJson{{"commitSha", "miroir-testnode"},
                    {"commitDate", "unknown"},
                    {"pkgVersion", "1.50.0"}});
  }
  if (n == 1 && seg[0] == "stats") {
    MIROIR_AUTHORIZE("stats.get");
    return Ok(node_.GlobalStats());
  }

  // ------------------------------------------------------------ test hooks
  if (n == 2 && seg[0] == "_testnode" && seg[1] == "faults") {
    // Fault rules change how the node behaves for everyone: master key only.
    if (node_.has_master_key() && !node_.IsMasterKey(auth)) {
      auto refusal = node_.Authorize(auth, "", std::nullopt);
      return Fail(refusal ? Error(ErrorCode::kInvalidApiKey, "The provided API key is invalid.")
                          : refusal.error());
    }
    if (m == Method::kGet) return Ok(OJson(node_.faults().List()));
    if (m == Method::kDelete) {
      node_.faults().Clear();
      return Response::NoContent();
    }
    if (m == Method::kPost) {
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      auto rule = node_.faults().Add(*body);
      if (!rule) return Fail(rule.error());
      return Ok(OJson{{"id", rule->id}}, 201);
    }
    return Fail(MethodNotAllowed());
  }

  if (n == 2 && seg[0] == "_testnode" && seg[1] == "requests") {
    if (node_.has_master_key() && !node_.IsMasterKey(auth)) {
      return Fail(Error(ErrorCode::kInvalidApiKey, "The provided API key is invalid."));
    }
    if (m == Method::kGet) return Ok(node_.requests().List());
    if (m == Method::kDelete) {
      node_.requests().Clear();
      return Response::NoContent();
    }
    return Fail(MethodNotAllowed());
  }

  // ------------------------------------------------------------ keys
  if (seg.size() >= 1 && seg[0] == "keys" && n <= 2) {
    if (!node_.has_master_key()) {
      return Fail(Error(ErrorCode::kMissingMasterKey,
                        "Meilisearch is running without a master key. To access this API "
                        "endpoint, you must have set a master key at launch."));
    }
    if (n == 1 && m == Method::kGet) {
      MIROIR_AUTHORIZE("keys.get");
      auto offset = UnsignedParam(query, "offset", 0, ErrorCode::kInvalidApiKeyOffset);
      if (!offset) return Fail(offset.error());
      auto limit = UnsignedParam(query, "limit", 20, ErrorCode::kInvalidApiKeyLimit);
      if (!limit) return Fail(limit.error());
      return Ok(node_.ListKeys(*offset, *limit));
    }
    if (n == 1 && m == Method::kPost) {
      MIROIR_AUTHORIZE("keys.create");
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      return Reply(node_.CreateKey(*body), 201);
    }
    if (n == 2 && m == Method::kGet) {
      MIROIR_AUTHORIZE("keys.get");
      return Reply(node_.GetKey(seg[1]));
    }
    if (n == 2 && m == Method::kPatch) {
      MIROIR_AUTHORIZE("keys.update");
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      return Reply(node_.UpdateKey(seg[1], *body));
    }
    if (n == 2 && m == Method::kDelete) {
      MIROIR_AUTHORIZE("keys.delete");
      auto r = node_.DeleteKey(seg[1]);
      return r ? Response::NoContent() : Fail(r.error());
    }
    return Fail(MethodNotAllowed());
  }

  // ------------------------------------------------------------ tasks
  if (n >= 1 && seg[0] == "tasks") {
    if (n == 1 && m == Method::kGet) {
      MIROIR_AUTHORIZE("tasks.get");
      auto q = ParseTaskQuery(query.entries(), TaskQueryKind::kList);
      if (!q) return Fail(q.error());
      return Ok(node_.ListTasks(*q));
    }
    if (n == 2 && seg[1] != "cancel" && m == Method::kGet) {
      MIROIR_AUTHORIZE("tasks.get");
      auto uid = ParseUnsigned(seg[1]);
      if (!uid) {
        return Fail(Error(ErrorCode::kInvalidTaskUids,
                          "Task uid `" + seg[1] +
                              "` is invalid. It should only contain numeric characters."));
      }
      return Reply(node_.GetTask(*uid));
    }
    const bool cancel = n == 2 && seg[1] == "cancel" && m == Method::kPost;
    const bool remove = n == 1 && m == Method::kDelete;
    if (cancel || remove) {
      MIROIR_AUTHORIZE(cancel ? "tasks.cancel" : "tasks.delete");
      auto q = ParseTaskQuery(query.entries(),
                              cancel ? TaskQueryKind::kCancel : TaskQueryKind::kDelete);
      if (!q) return Fail(q.error());
      TaskQuery filter = *q;
      filter.from.reset();
      filter.limit = UINT64_MAX;
      filter.reverse = false;
      // Every matching task counts as matched; the cancelation itself only
      // touches those that have not finished (checked when it runs).
      OJson list = node_.ListTasks(filter);
      OJson uids = OJson::array();
      for (const auto& t : list["results"]) uids.push_back(t["uid"]);
      OJson details;
      details["matchedTasks"] = uids.size();
      details[cancel ? "canceledTasks" : "deletedTasks"] = nullptr;
      details["originalFilter"] = "?" + std::string(req.query());
      return Reply(node_.Enqueue(std::nullopt, cancel ? "taskCancelation" : "taskDeletion",
                                 OJson{{"uids", uids}}, details),
                   200);
    }
    return Fail(MethodNotAllowed());
  }

  // ------------------------------------------------------------ swap
  if (n == 1 && seg[0] == "swap-indexes") {
    if (m != Method::kPost) return Fail(MethodNotAllowed());
    MIROIR_AUTHORIZE("indexes.swap");
    auto body = meili::ParseJsonBody(req);
    if (!body) return Fail(body.error());
    if (!body->is_array()) {
      return Fail(json_errors::InvalidType(ErrorCode::kBadRequest, "", "an array", *body));
    }
    std::set<std::string> seen;
    OJson swaps = OJson::array();
    for (size_t i = 0; i < body->size(); ++i) {
      const json& swap = (*body)[i];
      const std::string at = "[" + std::to_string(i) + "].indexes";
      if (!swap.is_object() || !swap.contains("indexes")) {
        return Fail(json_errors::MissingField(ErrorCode::kMissingSwapIndexes, "indexes"));
      }
      const json& pair = swap["indexes"];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return Fail(Error(ErrorCode::kInvalidSwapIndexes,
                          "Invalid value at `" + at +
                              "`: two indexes must be given for each swap operation."));
      }
      for (const auto& uid : pair) {
        const std::string u = uid.get<std::string>();
        if (!IsValidIndexUid(u)) return Fail(meili::InvalidIndexUidError(u));
        if (auto refusal = deny("indexes.swap", u)) return *refusal;
        if (!seen.insert(u).second) {
          return Fail(Error(ErrorCode::kInvalidSwapDuplicateIndexFound,
                            "Indexes must be declared only once during a swap. `" + u +
                                "` was specified several times."));
        }
      }
      const auto rename = swap.find("rename");
      if (rename != swap.end() && !rename->is_boolean()) {
        return Fail(json_errors::InvalidType(ErrorCode::kInvalidSwapRename,
                                             "[" + std::to_string(i) + "].rename", "a boolean",
                                             *rename));
      }
      OJson entry;
      entry["indexes"] = pair;
      entry["rename"] = rename != swap.end() && rename->get<bool>();
      swaps.push_back(entry);
    }
    return Reply(node_.Enqueue(std::nullopt, "indexSwap", OJson{{"swaps", swaps}},
                               OJson{{"swaps", swaps}}),
                 202);
  }

  // ------------------------------------------------------------ multi-search
  if (n == 1 && seg[0] == "multi-search") {
    if (m != Method::kPost) return Fail(MethodNotAllowed());
    // The key is checked before the body is read, as Meilisearch does; each
    // query's index is checked again below.
    MIROIR_AUTHORIZE("search");
    auto body = meili::ParseJsonBody(req);
    if (!body) return Fail(body.error());
    return Reply(MultiSearch(*body, [&](const std::string& index_uid) -> Result<void> {
      return node_.Authorize(auth, "search", index_uid);
    }, [&](const std::string& index_uid, const json& q) -> Result<OJson> {
      return node_.ReadIndex(index_uid, [&](const Index& index) { return index.Search(q); });
    }));
  }

  // ------------------------------------------------------------ indexes
  if (n == 0 || seg[0] != "indexes") return Fail(RouteNotFound());
  if (n == 1) {
    if (m == Method::kGet) {
      MIROIR_AUTHORIZE("indexes.get");
      for (const auto& [name, value] : query.entries()) {
        if (name != "offset" && name != "limit") {
          return Fail(Error(ErrorCode::kBadRequest, "Unknown parameter `" + name +
                                                        "`: expected one of `offset`, `limit`"));
        }
      }
      auto offset = UnsignedParam(query, "offset", 0, ErrorCode::kInvalidIndexOffset);
      if (!offset) return Fail(offset.error());
      auto limit = UnsignedParam(query, "limit", 20, ErrorCode::kInvalidIndexLimit);
      if (!limit) return Fail(limit.error());
      return Ok(node_.ListIndexes(*offset, *limit));
    }
    if (m == Method::kPost) {
      MIROIR_AUTHORIZE("indexes.create");
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      auto request = meili::ParseCreateIndexRequest(*body);
      if (!request) return Fail(request.error());
      const std::string& u = request->uid;
      if (auto refusal = deny("indexes.create", u)) return *refusal;
      OJson pk = request->primary_key ? OJson(*request->primary_key) : OJson(nullptr);
      return Reply(node_.Enqueue(u, "indexCreation", OJson{{"primaryKey", pk}},
                                 OJson{{"primaryKey", pk}}),
                   202);
    }
    return Fail(MethodNotAllowed());
  }

  const std::string& uid = seg[1];
  if (!IsValidIndexUid(uid)) return Fail(meili::InvalidIndexUidError(uid));

  if (n == 2) {
    if (m == Method::kGet) {
      MIROIR_AUTHORIZE("indexes.get", uid);
      return Reply(node_.IndexView(uid));
    }
    if (m == Method::kPatch) {
      MIROIR_AUTHORIZE("indexes.update", uid);
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      auto request = meili::ParseUpdateIndexRequest(*body);
      if (!request) return Fail(request.error());
      OJson payload = OJson::object();
      OJson details = OJson::object();
      if (request->has_primary_key) {
        payload["primaryKey"] =
            request->primary_key ? OJson(*request->primary_key) : OJson(nullptr);
      }
      if (request->new_uid) payload["uid"] = *request->new_uid;
      details["primaryKey"] = payload.contains("primaryKey") ? payload["primaryKey"] : OJson();
      if (payload.contains("uid")) {
        details["oldIndexUid"] = uid;
        details["newIndexUid"] = payload["uid"];
      }
      return Reply(node_.Enqueue(uid, "indexUpdate", payload, details), 202);
    }
    if (m == Method::kDelete) {
      MIROIR_AUTHORIZE("indexes.delete", uid);
      return Reply(node_.Enqueue(uid, "indexDeletion", OJson::object(),
                                 OJson{{"deletedDocuments", nullptr}}),
                   202);
    }
    return Fail(MethodNotAllowed());
  }

  const std::string& resource = seg[2];

  if (resource == "stats" && n == 3) {
    MIROIR_AUTHORIZE("stats.get", uid);
    return Reply(node_.ReadIndex(uid, [&](const Index& index) -> Result<OJson> {
      return node_.IndexStats(index);
    }));
  }

  if (resource == "search" && n == 3) {
    MIROIR_AUTHORIZE("search", uid);
    json q;
    if (m == Method::kGet) {
      auto converted = meili::SearchQueryFromParams(query);
      if (!converted) return Fail(converted.error());
      q = std::move(*converted);
    } else if (m == Method::kPost) {
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      q = std::move(*body);
    } else {
      return Fail(MethodNotAllowed());
    }
    return Reply(node_.ReadIndex(uid, [&](const Index& index) { return index.Search(q); }));
  }

  if (resource == "facet-search" && n == 3) {
    if (m != Method::kPost) return Fail(MethodNotAllowed());
    MIROIR_AUTHORIZE("search", uid);
    auto body = meili::ParseJsonBody(req);
    if (!body) return Fail(body.error());
    return Reply(node_.ReadIndex(uid, [&](const Index& index) { return index.FacetSearch(*body); }));
  }

  if (resource == "documents") {
    if (n == 3 && m == Method::kGet) {
      MIROIR_AUTHORIZE("documents.get", uid);
      auto params = meili::DocumentsQueryFromParams(query);
      if (!params) return Fail(params.error());
      return Reply(
          node_.ReadIndex(uid, [&](const Index& index) { return index.ListDocuments(*params); }));
    }
    if (n == 3 && (m == Method::kPost || m == Method::kPut)) {
      MIROIR_AUTHORIZE("documents.add", uid);
      std::optional<char> delimiter;
      if (const std::string* d = query.Get("csvDelimiter")) {
        if (d->size() != 1 || static_cast<unsigned char>((*d)[0]) > 127) {
          return Fail(Error(ErrorCode::kInvalidDocumentCsvDelimiter,
                            "Invalid value in parameter `csvDelimiter`: expected a string of one "
                            "character, but found the following string of " +
                                std::to_string(d->size()) + " characters: `" + *d + "`"));
        }
        delimiter = (*d)[0];
      }
      std::optional<std::string_view> content_type;
      if (req.headers.Has("content-type")) content_type = req.headers.Get("content-type");
      auto docs = ParseDocumentsPayload(content_type, req.body, delimiter);
      if (!docs) return Fail(docs.error());
      OJson pk = nullptr;
      if (const std::string* p = query.Get("primaryKey")) pk = *p;
      OJson payload;
      const size_t count = docs->size();
      payload["documents"] = OJson::array();
      for (auto& d : *docs) payload["documents"].push_back(std::move(d));
      payload["primaryKey"] = pk;
      payload["replace"] = m == Method::kPost;
      OJson details;
      details["receivedDocuments"] = count;
      details["indexedDocuments"] = nullptr;
      return Reply(node_.Enqueue(uid, "documentAdditionOrUpdate", std::move(payload), details),
                   202);
    }
    if (n == 3 && m == Method::kDelete) {
      MIROIR_AUTHORIZE("documents.delete", uid);
      return Reply(node_.Enqueue(uid, "documentDeletion", OJson{{"clear", true}},
                                 OJson{{"deletedDocuments", nullptr}}),
                   202);
    }
    if (n == 4 && seg[3] == "fetch" && m == Method::kPost) {
      MIROIR_AUTHORIZE("documents.get", uid);
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      return Reply(
          node_.ReadIndex(uid, [&](const Index& index) { return index.ListDocuments(*body); }));
    }
    if (n == 4 && seg[3] == "delete-batch" && m == Method::kPost) {
      MIROIR_AUTHORIZE("documents.delete", uid);
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      if (!body->is_array()) {
        return Fail(json_errors::InvalidType(ErrorCode::kBadRequest, "", "an array", *body));
      }
      OJson ids = OJson::array();
      for (const auto& v : *body) {
        auto id = IdText(v);
        if (!id) {
          return Fail(Error(ErrorCode::kInvalidDocumentId,
                            "Document identifier `" + v.dump() +
                                "` is invalid. A document identifier can be of type integer or "
                                "string, only composed of alphanumeric characters (a-z A-Z 0-9), "
                                "hyphens (-) and underscores (_), and can not be more than 511 "
                                "bytes."));
        }
        ids.push_back(*id);
      }
      OJson details;
      details["providedIds"] = ids.size();
      details["deletedDocuments"] = nullptr;
      details["originalFilter"] = nullptr;
      return Reply(node_.Enqueue(uid, "documentDeletion", OJson{{"ids", ids}}, details), 202);
    }
    if (n == 4 && seg[3] == "delete" && m == Method::kPost) {
      MIROIR_AUTHORIZE("documents.delete", uid);
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      if (!body->is_object() || !body->contains("filter")) {
        return Fail(json_errors::MissingField(ErrorCode::kMissingDocumentFilter, "filter"));
      }
      const json& filter = (*body)["filter"];
      auto parsed = filter::ParseJson(filter, ErrorCode::kInvalidDocumentFilter);
      if (!parsed) return Fail(parsed.error());
      if (!*parsed) {
        return Fail(Error(ErrorCode::kInvalidDocumentFilter,
                          "Sending an empty filter is forbidden."));
      }
      OJson details;
      details["providedIds"] = 0;
      details["deletedDocuments"] = nullptr;
      details["originalFilter"] = filter.dump();
      return Reply(node_.Enqueue(uid, "documentDeletion", OJson{{"filter", filter}}, details),
                   202);
    }
    if (n == 4 && m == Method::kGet) {
      MIROIR_AUTHORIZE("documents.get", uid);
      std::optional<std::vector<std::string>> fields;
      if (const std::string* f = query.Get("fields")) fields = SplitCommaList(*f);
      const std::string& id = seg[3];
      return Reply(node_.ReadIndex(
          uid, [&](const Index& index) { return index.GetDocument(id, fields); }));
    }
    if (n == 4 && m == Method::kDelete) {
      MIROIR_AUTHORIZE("documents.delete", uid);
      OJson details;
      details["providedIds"] = 1;
      details["deletedDocuments"] = nullptr;
      details["originalFilter"] = nullptr;
      return Reply(node_.Enqueue(uid, "documentDeletion", OJson{{"ids", OJson::array({seg[3]})}},
                                 details),
                   202);
    }
    return Fail(MethodNotAllowed());
  }

  if (resource == "settings") {
    std::optional<std::string> field;  // camelCase key of a sub-route
    bool patch_verb = true;
    if (n == 4) {
      const SettingsRoute* route = FindSettingsRoute(seg[3]);
      if (!route) return Fail(RouteNotFound());
      field = std::string(route->key);
      patch_verb = route->uses_patch;
    } else if (n != 3) {
      return Fail(RouteNotFound());
    }
    if (m == Method::kGet) {
      MIROIR_AUTHORIZE("settings.get", uid);
      return Reply(node_.ReadIndex(uid, [&](const Index& index) -> Result<OJson> {
        OJson all = index.Settings();
        if (!field) return all;
        return all.contains(*field) ? all[*field] : OJson(nullptr);
      }));
    }
    const bool update = field ? (m == (patch_verb ? Method::kPatch : Method::kPut))
                              : m == Method::kPatch;
    if (update) {
      MIROIR_AUTHORIZE("settings.update", uid);
      auto body = meili::ParseJsonBody(req);
      if (!body) return Fail(body.error());
      json patch = *body;
      if (field) {
        auto converted = SubRouteBodyToPatch(*FindSettingsRoute(seg[3]), *body);
        if (!converted) return Fail(converted.error());
        patch = std::move(*converted);
      } else if (auto valid = ValidateSettingsPatch(patch); !valid) {
        return Fail(valid.error());
      }
      OJson details = OJson(patch);
      return Reply(node_.Enqueue(uid, "settingsUpdate", OJson{{"settings", patch}}, details),
                   202);
    }
    if (m == Method::kDelete) {
      MIROIR_AUTHORIZE("settings.update", uid);
      json patch = json::object();
      if (field) {
        patch[*field] = nullptr;
      } else {
        patch = ResetAllPatch();
      }
      OJson details = OJson(patch);
      return Reply(node_.Enqueue(uid, "settingsUpdate", OJson{{"settings", patch}}, details),
                   202);
    }
    return Fail(MethodNotAllowed());
  }
#undef MIROIR_AUTHORIZE
  return Fail(RouteNotFound());
}

}  // namespace miroir::testnode
