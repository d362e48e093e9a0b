#include "miroir/core/facet_search.hpp"

#include <algorithm>
#include <utility>

#include "core/facet_merge.hpp"
#include "core/json_scan.hpp"
#include "core/json_write.hpp"
#include "core/request_object.hpp"

namespace miroir {

namespace od = simdjson::ondemand;

namespace {

enum Param : uint8_t { kOther = 0, kFilter, kFacetName };

FacetValuesOrder OrderFor(std::string_view facet, const IndexSearchSettings& settings) {
  for (const auto& [name, order] : settings.facet_order_by_facet) {
    if (name == facet) return order;
  }
  return settings.facet_order;
}

struct NodeAnswer {
  uint64_t processing_time_ms = 0;
  std::string_view facet_query;  // raw
  facets::ValueCounts hits;      // (escaped value, count) in the node's order
  std::vector<std::pair<std::string_view, std::string_view>> extra;
};

simdjson::error_code ParseAnswer(NodeResult* node, NodeAnswer* out) {
  json_scan::EnsurePadding(&node->body);
  od::document doc;
  auto& parser = json_scan::ThreadParser();
  if (auto err = parser.iterate(node->body.data(), node->body.size(), node->body.capacity())
                     .get(doc)) {
    return err;
  }
  od::object obj;
  if (auto err = doc.get_object().get(obj)) return err;
  bool has_hits = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key = json_scan::FieldKey(field);
    od::value value = field.value();
    if (key == "facetHits") {
      has_hits = true;
      od::array hits;
      if (auto err = value.get_array().get(hits)) return err;
      for (auto hit_result : hits) {
        od::object hit;
        if (auto err = std::move(hit_result).get_object().get(hit)) return err;
        std::string_view text;
        uint64_t count = 0;
        bool has_value = false, has_count = false;
        for (auto member_result : hit) {
          od::field member;
          if (auto err = std::move(member_result).get(member)) return err;
          std::string_view name = json_scan::FieldKey(member);
          if (name == "value") {
            od::raw_json_string raw;
            if (auto err = member.value().get_raw_json_string().get(raw)) return err;
            text = json_scan::KeyText(raw);
            has_value = true;
          } else if (name == "count") {
            if (auto err = member.value().get_uint64().get(count)) return err;
            has_count = true;
          }
        }
        if (!has_value || !has_count) return simdjson::NO_SUCH_FIELD;
        out->hits.emplace_back(text, count);
      }
    } else if (key == "facetQuery") {
      if (auto err = json_scan::RawValue(value).get(out->facet_query)) return err;
    } else if (key == "processingTimeMs") {
      if (auto err = value.get_uint64().get(out->processing_time_ms)) return err;
    } else if (key != "remoteErrors") {
      std::string_view raw;
      if (auto err = json_scan::RawValue(value).get(raw)) return err;
      out->extra.emplace_back(key, raw);
    }
  }
  if (!has_hits) return simdjson::NO_SUCH_FIELD;
  return json_scan::AtEnd(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

}  // namespace

Result<FacetSearchInfo> AnalyzeFacetSearchRequest(std::string_view client_body,
                                                  const IndexSearchSettings& settings) {
  FacetSearchInfo info;
  request::ClientBody parsed;
  MIROIR_RETURN_IF_ERROR(parsed.Open(client_body));
  if (!parsed.is_object()) {
    info.passthrough = true;
    return info;
  }
  od::object obj;
  if (auto err = parsed.root().get_object().get(obj)) return request::MalformedBody(err);
  request::MemberTable table(parsed.data());
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return request::MalformedBody(err);
    std::string_view key;
    if (auto err = request::ClientKey(field, &key)) return request::MalformedBody(err);
    Param param = key == "filter" ? kFilter : key == "facetName" ? kFacetName : kOther;
    od::value v = field.value();
    table.Add(json_scan::KeyQuote(field.key()), v.raw_json_token().data(), param);
    od::json_type t;
    if (auto err = v.type().get(t)) return request::MalformedBody(err);
    if (param == kFilter) {
      info.filter_kind = t == od::json_type::string  ? request::kFilterString
                         : t == od::json_type::array ? request::kFilterArray
                         : t == od::json_type::null  ? request::kFilterAbsent
                                                     : request::kFilterOther;
      if (info.filter_kind == request::kFilterOther) info.passthrough = true;
    } else if (param == kFacetName && t == od::json_type::string) {
      std::string_view name;
      if (auto err = v.get_string().get(name)) return request::MalformedBody(err);
      info.facet_name.assign(name);
      continue;
    }
    if (auto err = json_scan::Validate(v)) return request::MalformedBody(err);
  }
  MIROIR_RETURN_IF_ERROR(parsed.CheckEnd());
  const char* close = request::RootClose(parsed.data(), parsed.size());
  if (close == nullptr || !table.Finish(close, &info.members)) {
    return request::MalformedBody(simdjson::TAPE_ERROR);
  }
  info.order = OrderFor(info.facet_name, settings);
  info.max_values = settings.max_values_per_facet;
  return info;
}

std::string BuildNodeFacetSearchBody(const FacetSearchInfo& info, std::string_view client_body,
                                     const std::vector<uint32_t>* shards) {
  std::string out;
  out.reserve(client_body.size() + 64);
  out.push_back('{');
  request::AppendMembersExcept(&out, client_body, info.members,
                               shards != nullptr ? request::Bit(kFilter) : 0);
  if (shards != nullptr) {
    std::string_view client_filter;
    for (const RequestMember& m : info.members) {
      if (m.param == kFilter) client_filter = request::MemberValue(client_body, m);
    }
    request::AppendFusedFilter(&out, info.filter_kind, client_filter, *shards);
  }
  request::CloseWith(&out, '}');
  return out;
}

Result<std::string> MergeFacetSearchResponses(const FacetSearchInfo& info,
                                              std::vector<NodeResult>& results,
                                              const MergeOptions& options) {
  std::vector<NodeResult*> ordered;
  for (NodeResult& r : results) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(),
            [](const NodeResult* a, const NodeResult* b) { return a->node_order < b->node_order; });
  std::vector<NodeAnswer> answers(ordered.size());
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (auto err = ParseAnswer(ordered[i], &answers[i])) {
      return json_scan::NodeBodyError("facet-search answer", err);
    }
  }
  // Meilisearch's own cross-shard facet-search merge compares values byte-wise.
  facets::ValueMerger merger(/*byte_order=*/true);
  uint64_t processing_time_ms = 0;
  for (const NodeAnswer& answer : answers) {
    processing_time_ms = std::max(processing_time_ms, answer.processing_time_ms);
    merger.StartNode();
    for (const auto& [value, count] : answer.hits) merger.Add(value, count);
  }
  const facets::ValueCounts& merged = merger.Finish(info.order, info.max_values);
  if (options.processing_time_ms) processing_time_ms = *options.processing_time_ms;

  std::string out;
  out.reserve(64 + merged.size() * 40);
  out.append("{\"facetHits\":[");
  for (size_t i = 0; i < merged.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"value\":\"");
    out.append(merged[i].first);
    out.append("\",\"count\":");
    json_write::AppendUint(&out, merged[i].second);
    out.push_back('}');
  }
  out.append("],\"facetQuery\":");
  std::string_view facet_query = answers.empty() ? std::string_view() : answers[0].facet_query;
  out.append(facet_query.empty() ? std::string_view("null") : facet_query);
  out.append(",\"processingTimeMs\":");
  json_write::AppendUint(&out, processing_time_ms);
  if (!answers.empty()) {
    for (const auto& [key, raw] : answers[0].extra) {
      out.append(",\"");
      out.append(key);
      out.append("\":");
      out.append(raw);
    }
  }
  out.push_back('}');
  return out;
}

}  // namespace miroir
