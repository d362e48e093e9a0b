#include "miroir/core/search_rewrite.hpp"

#include <algorithm>
#include <utility>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/json_scan.hpp"
#include "core/json_write.hpp"
#include "core/rank_compare.hpp"
#include "core/request_object.hpp"
#include "miroir/core/filter.hpp"

namespace miroir {

namespace od = simdjson::ondemand;
using request::Bit;

namespace {

// Members Miroir reads or rewrites; the rest is copied untouched.
enum Param : uint8_t {
  kOther = 0,
  kOffset,
  kLimit,
  kPage,
  kHitsPerPage,
  kShowRankingScore,
  kShowRankingScoreDetails,
  kAttributesToRetrieve,
  kFilter,
  kSort,
  kDistinct,
  kFacets,
  kIndexUid,
  kFederationOptions,
  kQueries,
  kFederation,
  kMergeFacets,
};

Param QueryParamOf(std::string_view key) {
  if (key == "offset") return kOffset;
  if (key == "limit") return kLimit;
  if (key == "page") return kPage;
  if (key == "hitsPerPage") return kHitsPerPage;
  if (key == "showRankingScore") return kShowRankingScore;
  if (key == "showRankingScoreDetails") return kShowRankingScoreDetails;
  if (key == "attributesToRetrieve") return kAttributesToRetrieve;
  if (key == "filter") return kFilter;
  if (key == "sort") return kSort;
  if (key == "distinct") return kDistinct;
  if (key == "facets") return kFacets;
  if (key == "indexUid") return kIndexUid;
  if (key == "federationOptions") return kFederationOptions;
  return kOther;
}

Param FederationParamOf(std::string_view key) {
  if (key == "offset") return kOffset;
  if (key == "limit") return kLimit;
  if (key == "page") return kPage;
  if (key == "hitsPerPage") return kHitsPerPage;
  if (key == "distinct") return kDistinct;
  if (key == "mergeFacets") return kMergeFacets;
  return kOther;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

// Outcome of reading a typed member: the value, JSON null, or a type
// Meilisearch rejects (the request is then passed through to a node).
enum class Got { kValue, kNull, kWrongType };

simdjson::error_code ReadNull(od::value& v, bool* is_null) {
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  *is_null = false;
  if (type != od::json_type::null) return simdjson::SUCCESS;
  if (auto err = v.is_null().get(*is_null)) return err;
  return *is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
}

simdjson::error_code ReadUint(od::value v, Got* got, uint64_t* out) {
  bool is_null = false;
  if (auto err = ReadNull(v, &is_null)) return err;
  if (is_null) {
    *got = Got::kNull;
    return simdjson::SUCCESS;
  }
  if (v.get_uint64().get(*out) == simdjson::SUCCESS) {
    *got = Got::kValue;
    return simdjson::SUCCESS;
  }
  *got = Got::kWrongType;
  return json_scan::Validate(v);  // still a syntax error if it is not JSON
}

simdjson::error_code ReadBool(od::value v, Got* got, bool* out) {
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  if (type != od::json_type::boolean) {
    *got = Got::kWrongType;
    return json_scan::Validate(v);
  }
  *got = Got::kValue;
  return v.get_bool().get(*out);
}

simdjson::error_code ReadString(od::value v, Got* got, std::string* out) {
  bool is_null = false;
  if (auto err = ReadNull(v, &is_null)) return err;
  if (is_null) {
    *got = Got::kNull;
    return simdjson::SUCCESS;
  }
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  if (type != od::json_type::string) {
    *got = Got::kWrongType;
    return json_scan::Validate(v);
  }
  std::string_view s;
  if (auto err = v.get_string().get(s)) return err;
  out->assign(s);
  *got = Got::kValue;
  return simdjson::SUCCESS;
}

simdjson::error_code ReadStringArray(od::value v, Got* got, std::vector<std::string>* out) {
  bool is_null = false;
  if (auto err = ReadNull(v, &is_null)) return err;
  if (is_null) {
    *got = Got::kNull;
    return simdjson::SUCCESS;
  }
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  if (type != od::json_type::array) {
    *got = Got::kWrongType;
    return json_scan::Validate(v);
  }
  *got = Got::kValue;
  od::array arr;
  if (auto err = v.get_array().get(arr)) return err;
  for (auto element_result : arr) {
    od::value element;
    if (auto err = std::move(element_result).get(element)) return err;
    Got element_got = Got::kValue;
    std::string s;
    if (auto err = ReadString(element, &element_got, &s)) return err;
    if (element_got != Got::kValue) {
      *got = Got::kWrongType;
    } else {
      out->push_back(std::move(s));
    }
  }
  return simdjson::SUCCESS;
}

// Where the object whose members were just iterated ends.
const char* ObjectClose(od::value& object_value, const char* base, const char* data,
                        size_t size) {
  const char* next = nullptr;
  if (object_value.current_location().get(next) != simdjson::SUCCESS) {
    return request::RootClose(data, size);  // the root object: nothing follows
  }
  const char* close = json_scan::CloserBefore(next, base);
  return (close != nullptr && *close == '}') ? close : nullptr;
}

// The client's pagination members before they are resolved.
struct RawPagination {
  bool has_offset = false, has_limit = false;
  uint64_t offset = 0, limit = kDefaultSearchLimit;
  bool has_page = false, has_hits_per_page = false;
  uint64_t page = 1, hits_per_page = kDefaultSearchLimit;
};

simdjson::error_code ReadPaginationMember(Param param, od::value v, RawPagination* p,
                                          bool* passthrough) {
  Got got = Got::kValue;
  uint64_t n = 0;
  if (auto err = ReadUint(v, &got, &n)) return err;
  // offset and limit are plain integers; page and hitsPerPage may be null.
  bool nullable = param == kPage || param == kHitsPerPage;
  if (got == Got::kWrongType || (got == Got::kNull && !nullable)) {
    *passthrough = true;
    return simdjson::SUCCESS;
  }
  if (got == Got::kNull) return simdjson::SUCCESS;
  switch (param) {
    case kOffset: p->has_offset = true; p->offset = n; break;
    case kLimit: p->has_limit = true; p->limit = n; break;
    case kPage: p->has_page = true; p->page = n; break;
    case kHitsPerPage: p->has_hits_per_page = true; p->hits_per_page = n; break;
    default: break;
  }
  return simdjson::SUCCESS;
}

// Fills the pagination fields of `info`-like targets from raw values, as
// Meilisearch resolves page/hitsPerPage against offset/limit.
template <class Info>
void ResolvePagination(const RawPagination& p, Info* info) {
  info->page_mode = p.has_page || p.has_hits_per_page;
  if (info->page_mode) {
    info->page = p.page;
    info->hits_per_page = p.hits_per_page;
    // Page 0 asks for no hits (but totals).
    info->offset = p.page == 0 ? 0 : SaturatingMul(p.page - 1, p.hits_per_page);
    info->limit = p.page == 0 ? 0 : p.hits_per_page;
    info->node_hits = SaturatingMul(p.page, p.hits_per_page);
  } else {
    info->offset = p.offset;
    info->limit = p.limit;
    info->node_hits = SaturatingAdd(p.offset, p.limit);
  }
}

struct QueryExtras {
  std::string index_uid;
  double weight = 1.0;
};

// Reads one search query object (a /search body, or one element of
// /multi-search `queries`).
simdjson::error_code ReadQuery(od::value object_value, const char* base, const char* data,
                               size_t size, SearchRequestInfo* info, RawPagination* pagination,
                               QueryExtras* extras) {
  od::object obj;
  if (auto err = object_value.get_object().get(obj)) return err;
  const char* open = object_value.raw_json_token().data();
  request::MemberTable table(base);
  std::string client_distinct;
  bool has_client_distinct = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key;
    if (auto err = request::ClientKey(field, &key)) return err;
    Param param = QueryParamOf(key);
    od::value v = field.value();
    const char* value_begin = v.raw_json_token().data();
    table.Add(json_scan::KeyQuote(field.key()), value_begin, param);
    Got got = Got::kValue;
    switch (param) {
      case kOffset:
      case kLimit:
      case kPage:
      case kHitsPerPage:
        if (auto err = ReadPaginationMember(param, v, pagination, &info->passthrough)) return err;
        break;
      case kShowRankingScore:
      case kShowRankingScoreDetails: {
        bool b = false;
        if (auto err = ReadBool(v, &got, &b)) return err;
        if (got != Got::kValue) info->passthrough = true;
        (param == kShowRankingScore ? info->show_ranking_score
                                    : info->show_ranking_score_details) = b;
        break;
      }
      case kAttributesToRetrieve: {
        std::vector<std::string> attrs;
        if (auto err = ReadStringArray(v, &got, &attrs)) return err;
        if (got == Got::kWrongType) info->passthrough = true;
        if (got == Got::kValue &&
            std::find(attrs.begin(), attrs.end(), "*") == attrs.end()) {
          info->restricts_attributes = true;
          info->attributes_to_retrieve = std::move(attrs);
        }
        break;
      }
      case kFilter: {
        od::json_type type;
        if (auto err = v.type().get(type)) return err;
        if (type == od::json_type::string) {
          info->filter_kind = request::kFilterString;
        } else if (type == od::json_type::array) {
          info->filter_kind = request::kFilterArray;
        } else if (type == od::json_type::null) {
          info->filter_kind = request::kFilterAbsent;
        } else {
          info->filter_kind = request::kFilterOther;
          info->passthrough = true;
        }
        if (auto err = json_scan::Validate(v)) return err;
        break;
      }
      case kSort: {
        if (auto err = ReadStringArray(v, &got, &info->sort)) return err;
        if (got == Got::kWrongType) info->passthrough = true;
        break;
      }
      case kDistinct: {
        if (auto err = ReadString(v, &got, &client_distinct)) return err;
        if (got == Got::kWrongType) info->passthrough = true;
        has_client_distinct = got == Got::kValue;
        break;
      }
      case kFacets: {
        // A repeated member: the last one counts, as in Meilisearch, whose
        // JSON map keeps the last value of a key.
        info->count_shard_facet = false;
        info->append_shard_facet = false;
        bool is_null = false;
        if (auto err = ReadNull(v, &is_null)) return err;
        info->has_facets = !is_null;
        if (!is_null) {
          std::vector<std::string> facets;
          if (auto err = ReadStringArray(v, &got, &facets)) return err;
          info->count_shard_facet = got == Got::kValue && !facets.empty();
          // "*" already selects it (it is filterable on every node).
          info->append_shard_facet =
              info->count_shard_facet &&
              std::none_of(facets.begin(), facets.end(), [](const std::string& f) {
                return f == "*" || f == "_miroir_shard";
              });
        }
        break;
      }
      case kIndexUid: {
        if (auto err = ReadString(v, &got, &extras->index_uid)) return err;
        if (got != Got::kValue) info->passthrough = true;
        break;
      }
      case kFederationOptions: {
        bool is_null = false;
        if (auto err = ReadNull(v, &is_null)) return err;
        if (is_null) break;
        od::object options;
        if (v.get_object().get(options) != simdjson::SUCCESS) {
          info->passthrough = true;
          if (auto err = json_scan::Validate(v)) return err;
          break;
        }
        for (auto option_result : options) {
          od::field option;
          if (auto err = std::move(option_result).get(option)) return err;
          std::string_view option_key;
          if (auto err = request::ClientKey(option, &option_key)) return err;
          if (option_key == "weight") {
            od::value w = option.value();
            if (w.get_double().get(extras->weight) != simdjson::SUCCESS) {
              info->passthrough = true;
              if (auto err = json_scan::Validate(w)) return err;
            }
          } else {
            if (auto err = json_scan::Validate(option.value())) return err;
          }
        }
        break;
      }
      default:
        if (auto err = json_scan::Validate(v)) return err;
    }
  }
  const char* close = ObjectClose(object_value, base, data, size);
  if (close == nullptr || !table.Finish(close, &info->members)) return simdjson::TAPE_ERROR;
  info->object_begin = static_cast<uint32_t>(open - base);
  info->object_end = static_cast<uint32_t>(close - base);
  if (has_client_distinct) info->distinct = std::move(client_distinct);
  return simdjson::SUCCESS;
}

bool Covers(const std::vector<std::string>& retrieved, std::string_view attribute) {
  for (const std::string& r : retrieved) {
    if (attribute == r) return true;
    if (attribute.size() > r.size() && attribute.substr(0, r.size()) == r &&
        attribute[r.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string_view TopSegment(std::string_view attribute) {
  return attribute.substr(0, attribute.find('.'));
}

// Applies the index settings and decides what the nodes must return.
void Complete(SearchRequestInfo* info, const IndexSearchSettings& settings) {
  info->settings = settings;
  if (info->distinct.empty()) info->distinct = settings.distinct_attribute;
  info->compare_score_details = !info->sort.empty() || settings.ranking_rules_have_sort;
  // Page mode counts hits exhaustively, after distinct: a value held on
  // several shards is one hit, but each node counts it. Each node is asked
  // for every hit it counts (up to maxTotalHits, beyond which the merged
  // total is capped anyway), so the merge sees, and subtracts, every
  // duplicate: totalHits is exact.
  if (info->page_mode && !info->distinct.empty()) {
    constexpr uint64_t kDefaultMaxTotalHits = 1000;
    info->node_hits =
        std::max(info->node_hits, settings.max_total_hits.value_or(kDefaultMaxTotalHits));
  }
  if (!info->restricts_attributes) return;
  // The merge reads the distinct value and (when a node sends no score
  // details) the sort values from the documents.
  std::vector<std::string> needed;
  if (!info->distinct.empty()) needed.push_back(info->distinct);
  for (const rank::SortSpec& spec : rank::ParseSortSpecs(info->sort)) {
    if (!spec.geo) needed.push_back(spec.field);
  }
  for (const std::string& attribute : needed) {
    if (Covers(info->attributes_to_retrieve, attribute)) continue;
    std::string_view top = TopSegment(attribute);
    bool shares_top = std::any_of(
        info->attributes_to_retrieve.begin(), info->attributes_to_retrieve.end(),
        [&](const std::string& r) { return TopSegment(r) == top; });
    info->attributes_to_retrieve.push_back(attribute);
    // A whole top-level member can be dropped again; a nested one that shares
    // its parent with a requested attribute is left in (rare, harmless).
    if (!shares_top &&
        std::find(info->added_fields.begin(), info->added_fields.end(), top) ==
            info->added_fields.end()) {
      info->added_fields.emplace_back(top);
    }
  }
}

bool AugmentsAttributes(const SearchRequestInfo& info) {
  return info.restricts_attributes && !info.added_fields.empty();
}

void AppendQueryObject(std::string* out, const SearchRequestInfo& info,
                       std::string_view client_body, const std::vector<uint32_t>* shards,
                       bool federated) {
  uint64_t replaced = 0;
  if (!federated) {
    replaced |= Bit(kShowRankingScore);
    replaced |= info.page_mode ? Bit(kPage) | Bit(kHitsPerPage) : Bit(kOffset) | Bit(kLimit);
  }
  if (info.compare_score_details) replaced |= Bit(kShowRankingScoreDetails);
  if (AugmentsAttributes(info)) replaced |= Bit(kAttributesToRetrieve);
  if (shards != nullptr) replaced |= Bit(kFilter);
  const bool shard_facet = !federated && info.append_shard_facet;
  if (shard_facet) replaced |= Bit(kFacets);

  out->push_back('{');
  request::AppendMembersExcept(out, client_body, info.members, replaced);
  if (shard_facet) {
    // Every `facets` member was left out above; the last one, the array the
    // analysis read, comes back with the shard facet appended. (Rewriting
    // each of them broke the body when an earlier one was not an array.)
    const RequestMember* last = nullptr;
    for (const RequestMember& m : info.members) {
      if (m.param == kFacets) last = &m;
    }
    std::string_view facets = request::MemberValue(client_body, *last);  // "[...]"
    facets.remove_suffix(1);
    out->append("\"facets\":");
    out->append(facets);
    out->append(",\"_miroir_shard\"],");
  }
  if (!federated) {
    if (info.page_mode) {
      out->append("\"page\":1,\"hitsPerPage\":");
    } else {
      out->append("\"offset\":0,\"limit\":");
    }
    json_write::AppendUint(out, info.node_hits);
    out->append(",\"showRankingScore\":true,");
  }
  if (info.compare_score_details) out->append("\"showRankingScoreDetails\":true,");
  if (AugmentsAttributes(info)) {
    out->append("\"attributesToRetrieve\":[");
    for (size_t i = 0; i < info.attributes_to_retrieve.size(); ++i) {
      if (i > 0) out->push_back(',');
      json_write::AppendString(out, info.attributes_to_retrieve[i]);
    }
    out->append("],");
  }
  if (shards != nullptr) {
    std::string_view client_filter;
    for (const RequestMember& m : info.members) {
      if (m.param == kFilter) client_filter = request::MemberValue(client_body, m);
    }
    request::AppendFusedFilter(out, info.filter_kind, client_filter, *shards);
    out->push_back(',');
  }
  request::CloseWith(out, '}');
}

}  // namespace

Result<SearchRequestInfo> AnalyzeSearchRequest(std::string_view client_body,
                                               const IndexSearchSettings& settings) {
  SearchRequestInfo info;
  request::ClientBody parsed;
  MIROIR_RETURN_IF_ERROR(parsed.Open(client_body));
  if (!parsed.is_object()) {
    info.passthrough = true;
    return info;
  }
  RawPagination pagination;
  QueryExtras extras;
  if (auto err = ReadQuery(parsed.root(), parsed.data(), parsed.data(), parsed.size(), &info,
                           &pagination, &extras)) {
    return request::MalformedBody(err);
  }
  MIROIR_RETURN_IF_ERROR(parsed.CheckEnd());
  ResolvePagination(pagination, &info);
  Complete(&info, settings);
  return info;
}

std::string BuildNodeSearchBody(const SearchRequestInfo& info, std::string_view client_body,
                                const std::vector<uint32_t>* shards) {
  std::string out;
  out.reserve(client_body.size() + 160);
  AppendQueryObject(&out, info, client_body, shards, /*federated=*/false);
  return out;
}

namespace {

simdjson::error_code ReadFederation(od::value v, const char* base, const char* data, size_t size,
                                    MultiSearchInfo* info, RawPagination* pagination) {
  od::object obj;
  if (auto err = v.get_object().get(obj)) return err;
  const char* open = v.raw_json_token().data();
  request::MemberTable table(base);
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key;
    if (auto err = request::ClientKey(field, &key)) return err;
    Param param = FederationParamOf(key);
    od::value value = field.value();
    table.Add(json_scan::KeyQuote(field.key()), value.raw_json_token().data(), param);
    switch (param) {
      case kOffset:
      case kLimit:
      case kPage:
      case kHitsPerPage:
        if (auto err = ReadPaginationMember(param, value, pagination, &info->passthrough)) {
          return err;
        }
        break;
      case kDistinct: {
        Got got = Got::kValue;
        if (auto err = ReadString(value, &got, &info->distinct)) return err;
        if (got == Got::kWrongType) info->passthrough = true;
        break;
      }
      case kMergeFacets: {
        bool is_null = false;
        if (auto err = ReadNull(value, &is_null)) return err;
        if (is_null) break;
        info->merge_facets = true;
        od::object merge;
        if (value.get_object().get(merge) != simdjson::SUCCESS) {
          info->passthrough = true;
          if (auto err = json_scan::Validate(value)) return err;
          break;
        }
        for (auto option_result : merge) {
          od::field option;
          if (auto err = std::move(option_result).get(option)) return err;
          std::string_view option_key;
          if (auto err = request::ClientKey(option, &option_key)) return err;
          if (option_key == "maxValuesPerFacet") {
            Got got = Got::kValue;
            uint64_t n = 0;
            if (auto err = ReadUint(option.value(), &got, &n)) return err;
            if (got == Got::kValue) info->merge_max_values_per_facet = n;
            if (got == Got::kWrongType) info->passthrough = true;
          } else {
            if (auto err = json_scan::Validate(option.value())) return err;
          }
        }
        break;
      }
      default:
        if (auto err = json_scan::Validate(value)) return err;
    }
  }
  const char* close = ObjectClose(v, base, data, size);
  if (close == nullptr || !table.Finish(close, &info->federation_members)) {
    return simdjson::TAPE_ERROR;
  }
  info->federation_begin = static_cast<uint32_t>(open - base);
  info->federation_end = static_cast<uint32_t>(close - base);
  return simdjson::SUCCESS;
}

}  // namespace

Result<MultiSearchInfo> AnalyzeMultiSearchRequest(std::string_view client_body,
                                                  const IndexSettingsLookup& settings) {
  MultiSearchInfo info;
  request::ClientBody parsed;
  MIROIR_RETURN_IF_ERROR(parsed.Open(client_body));
  const char* base = parsed.data();
  if (!parsed.is_object()) {
    info.passthrough = true;
    return info;
  }
  od::object obj;
  if (auto err = parsed.root().get_object().get(obj)) return request::MalformedBody(err);
  request::MemberTable table(base);
  std::vector<RawPagination> query_pagination;
  std::vector<QueryExtras> query_extras;
  RawPagination federation_pagination;
  bool has_queries = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return request::MalformedBody(err);
    std::string_view key;
    if (auto err = request::ClientKey(field, &key)) return request::MalformedBody(err);
    Param param = key == "queries" ? kQueries : key == "federation" ? kFederation : kOther;
    od::value v = field.value();
    table.Add(json_scan::KeyQuote(field.key()), v.raw_json_token().data(), param);
    simdjson::error_code err = simdjson::SUCCESS;
    if (param == kQueries) {
      od::array queries;
      if (v.get_array().get(queries) != simdjson::SUCCESS) {
        info.passthrough = true;
        err = json_scan::Validate(v);
      } else {
        has_queries = true;
        info.queries_begin = static_cast<uint32_t>(v.raw_json_token().data() - base);
        for (auto element_result : queries) {
          od::value element;
          if ((err = std::move(element_result).get(element))) break;
          od::json_type element_type;
          if ((err = element.type().get(element_type))) break;
          if (element_type != od::json_type::object) {
            info.passthrough = true;
            if ((err = json_scan::Validate(element))) break;
            continue;
          }
          MultiSearchQuery& q = info.queries.emplace_back();
          RawPagination& p = query_pagination.emplace_back();
          QueryExtras& e = query_extras.emplace_back();
          if ((err = ReadQuery(element, base, parsed.data(), parsed.size(), &q.search, &p, &e))) {
            break;
          }
          if (q.search.passthrough) info.passthrough = true;
        }
        const char* next = nullptr;
        if (!err && v.current_location().get(next) == simdjson::SUCCESS) {
          const char* close = json_scan::CloserBefore(next, base);
          if (close == nullptr || *close != ']') err = simdjson::TAPE_ERROR;
          if (close != nullptr) info.queries_end = static_cast<uint32_t>(close - base);
        } else if (!err) {
          err = simdjson::TAPE_ERROR;
        }
      }
    } else if (param == kFederation) {
      bool is_null = false;
      if (!(err = ReadNull(v, &is_null)) && !is_null) {
        od::json_type t;
        if (!(err = v.type().get(t))) {
          if (t == od::json_type::object) {
            info.federated = true;
            err = ReadFederation(v, base, parsed.data(), parsed.size(), &info,
                                 &federation_pagination);
          } else {
            info.passthrough = true;
            err = json_scan::Validate(v);
          }
        }
      }
    } else {
      err = json_scan::Validate(v);
    }
    if (err) return request::MalformedBody(err);
  }
  MIROIR_RETURN_IF_ERROR(parsed.CheckEnd());
  const char* close = request::RootClose(parsed.data(), parsed.size());
  if (close == nullptr || !table.Finish(close, &info.members)) {
    return request::MalformedBody(simdjson::TAPE_ERROR);
  }
  if (!has_queries) info.passthrough = true;  // the node reports the missing field
  if (info.federated) ResolvePagination(federation_pagination, &info);

  for (size_t i = 0; i < info.queries.size(); ++i) {
    MultiSearchQuery& q = info.queries[i];
    q.index_uid = std::move(query_extras[i].index_uid);
    q.weight = query_extras[i].weight;
    q.search.in_federation = info.federated;
    ResolvePagination(query_pagination[i], &q.search);
    if (info.federated) {
      // A federated query has no window of its own; it gets the federation's.
      q.search.page_mode = info.page_mode;
      q.search.offset = info.offset;
      q.search.limit = info.limit;
      q.search.page = info.page;
      q.search.hits_per_page = info.hits_per_page;
      q.search.node_hits = info.node_hits;
      if (!info.distinct.empty()) q.search.distinct = info.distinct;
    }
    const IndexSearchSettings* found = settings ? settings(q.index_uid) : nullptr;
    static const IndexSearchSettings kDefaults;
    Complete(&q.search, found != nullptr ? *found : kDefaults);
  }
  return info;
}

std::string BuildNodeMultiSearchBody(const MultiSearchInfo& info, std::string_view client_body,
                                     std::span<const std::vector<uint32_t>* const> shards) {
  std::string out;
  out.reserve(client_body.size() + 160 * (info.queries.size() + 1));
  out.push_back('{');
  request::AppendMembersExcept(&out, client_body, info.members,
                               Bit(kQueries) | (info.federated ? Bit(kFederation) : 0));
  if (info.federated) {
    out.append("\"federation\":{");
    uint64_t replaced = Bit(kOffset) | Bit(kLimit) | Bit(kPage) | Bit(kHitsPerPage);
    request::AppendMembersExcept(&out, client_body, info.federation_members, replaced);
    out.append(info.page_mode ? "\"page\":1,\"hitsPerPage\":" : "\"offset\":0,\"limit\":");
    json_write::AppendUint(&out, info.node_hits);
    out.append("},");
  }
  out.append("\"queries\":[");
  for (size_t i = 0; i < info.queries.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendQueryObject(&out, info.queries[i].search, client_body,
                      i < shards.size() ? shards[i] : nullptr, info.federated);
  }
  out.append("]}");
  return out;
}

std::string ShardFilterExpression(const std::vector<uint32_t>& shards) {
  std::string out = "_miroir_shard IN [";
  for (size_t i = 0; i < shards.size(); ++i) {
    if (i > 0) out.push_back(',');
    json_write::AppendUint(&out, shards[i]);
  }
  out.push_back(']');
  return out;
}

std::string CombineFilterString(std::string_view client_filter,
                                const std::vector<uint32_t>& shards) {
  // Blank is what the filter grammar calls blank (any Unicode space, not
  // just JSON's four), or a client's `filter=%0B` would become `(\v) AND ..`,
  // which the nodes refuse although Meilisearch reads it as no filter.
  auto parsed = filter::Parse(client_filter);
  if (parsed && !parsed->has_value()) return ShardFilterExpression(shards);
  // Filters Miroir's tree cannot represent (miroir_unsupported) are valid
  // for Meilisearch and wrapped as before.
  if (!parsed && parsed.error().code != ErrorCode::kMiroirUnsupported) {
    return std::string(client_filter);
  }
  std::string out = "(";
  out.append(client_filter);
  out.append(") AND ");
  out.append(ShardFilterExpression(shards));
  return out;
}

namespace {

// A minimal raw JSON walker: it only locates the strings to mask. Any
// malformed input stops it (the node then reports the body as Meilisearch).
class ReservedNameMasker {
 public:
  explicit ReservedNameMasker(std::string_view text) : in_(text) {}

  bool Run() {
    size_t p = Skip(0);
    if (p >= in_.size() || in_[p] != '{') return false;
    return Object(p, /*depth=*/0, &p);
  }

  // The body with the replacements applied.
  std::string Result() const {
    std::string out;
    out.reserve(in_.size() + 16);
    size_t at = 0;
    for (const auto& [begin, end, text] : edits_) {
      out.append(in_.substr(at, begin - at));
      out.append(text);
      at = end;
    }
    out.append(in_.substr(at));
    return out;
  }
  bool changed() const { return !edits_.empty(); }

 private:
  enum class Role { kNone, kFilter, kName, kSort };

  size_t Skip(size_t p) const {
    while (p < in_.size() && json_scan::IsJsonSpace(in_[p])) ++p;
    return p;
  }

  // A string token at p ('"'); *end is one past its closing quote.
  bool StringEnd(size_t p, size_t* end) const {
    for (size_t i = p + 1; i < in_.size(); ++i) {
      if (in_[i] == '\\') {
        ++i;
      } else if (in_[i] == '"') {
        *end = i + 1;
        return true;
      }
    }
    return false;
  }

  static Role RoleOf(std::string_view key) {
    if (key == "filter") return Role::kFilter;
    if (key == "facets" || key == "distinct" || key == "facetName") return Role::kName;
    if (key == "sort") return Role::kSort;
    return Role::kNone;
  }

  void MaskString(size_t begin, size_t end, Role role) {
    std::string_view raw = in_.substr(begin, end - begin);
    if (raw.find("_miroir_") == std::string_view::npos &&
        raw.find('\\') == std::string_view::npos) {
      return;
    }
    nlohmann::json decoded = nlohmann::json::parse(raw, nullptr, false);
    if (!decoded.is_string()) return;
    const std::string& s = decoded.get_ref<const std::string&>();
    std::optional<std::string> masked;
    if (role == Role::kFilter) {
      masked = filter::MaskReservedAttributes(s);
    } else if (role == Role::kName) {
      if (filter::IsMaskedReservedName(s)) masked = filter::MaskedName(s);
    } else if (role == Role::kSort) {
      // "field:asc": the field is everything before the last colon.
      const size_t colon = s.rfind(':');
      if (colon != std::string::npos && filter::IsMaskedReservedName(s.substr(0, colon))) {
        masked = filter::MaskedName(s.substr(0, colon)) + s.substr(colon);
      }
    }
    if (!masked) return;
    edits_.push_back({begin, end,
                      nlohmann::json(*masked).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace)});
  }

  // Any value at p; strings are masked per `role`, arrays pass it to their
  // elements (a filter's nested arrays too), objects restart the roles.
  bool Value(size_t p, Role role, int depth, size_t* next) {
    if (depth > 64 || p >= in_.size()) return false;
    const char c = in_[p];
    if (c == '"') {
      size_t end = 0;
      if (!StringEnd(p, &end)) return false;
      if (role != Role::kNone) MaskString(p, end, role);
      *next = end;
      return true;
    }
    if (c == '{') return Object(p, depth + 1, next);
    if (c == '[') {
      p = Skip(p + 1);
      if (p < in_.size() && in_[p] == ']') {
        *next = p + 1;
        return true;
      }
      for (;;) {
        if (!Value(p, role, depth + 1, &p)) return false;
        p = Skip(p);
        if (p >= in_.size()) return false;
        if (in_[p] == ']') {
          *next = p + 1;
          return true;
        }
        if (in_[p] != ',') return false;
        p = Skip(p + 1);
      }
    }
    // A number, true, false or null.
    while (p < in_.size() && in_[p] != ',' && in_[p] != '}' && in_[p] != ']' &&
           !json_scan::IsJsonSpace(in_[p])) {
      ++p;
    }
    *next = p;
    return true;
  }

  // Only the top-level object and the objects of `queries` have roles.
  bool Object(size_t p, int depth, size_t* next) {
    const bool roles = depth == 0 || in_queries_ == depth - 1;
    p = Skip(p + 1);
    if (p < in_.size() && in_[p] == '}') {
      *next = p + 1;
      return true;
    }
    for (;;) {
      if (p >= in_.size() || in_[p] != '"') return false;
      size_t key_end = 0;
      if (!StringEnd(p, &key_end)) return false;
      std::string_view key = in_.substr(p + 1, key_end - p - 2);
      p = Skip(key_end);
      if (p >= in_.size() || in_[p] != ':') return false;
      p = Skip(p + 1);
      const Role role = roles ? RoleOf(key) : Role::kNone;
      const bool queries = roles && depth == 0 && key == "queries";
      if (queries) in_queries_ = depth + 1;  // the array; its objects are one deeper
      const bool ok = Value(p, role, depth, &p);
      if (queries) in_queries_ = -2;
      if (!ok) return false;
      p = Skip(p);
      if (p >= in_.size()) return false;
      if (in_[p] == '}') {
        *next = p + 1;
        return true;
      }
      if (in_[p] != ',') return false;
      p = Skip(p + 1);
    }
  }

  struct Edit {
    size_t begin, end;
    std::string text;
  };
  std::string_view in_;
  std::vector<Edit> edits_;
  int in_queries_ = -2;  // depth of the `queries` array while inside it
};

}  // namespace

std::optional<std::string> MaskReservedNames(std::string_view client_body) {
  if (client_body.find("_miroir_") == std::string_view::npos &&
      client_body.find('\\') == std::string_view::npos) {
    return std::nullopt;
  }
  ReservedNameMasker masker(client_body);
  if (!masker.Run() || !masker.changed()) return std::nullopt;
  return masker.Result();
}

}  // namespace miroir
