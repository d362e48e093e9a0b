#include "miroir/core/documents_merge.hpp"

#include <algorithm>
#include <utility>

#include "core/json_scan.hpp"
#include "core/json_write.hpp"
#include "core/rank_compare.hpp"
#include "core/request_object.hpp"
#include "core/search_response.hpp"

namespace miroir {

namespace od = simdjson::ondemand;
namespace sr = search_response;

namespace {

enum Param : uint8_t { kOther = 0, kOffset, kLimit, kFields, kSort, kFilter };

Param ParamOf(std::string_view key) {
  if (key == "offset") return kOffset;
  if (key == "limit") return kLimit;
  if (key == "fields") return kFields;
  if (key == "sort") return kSort;
  if (key == "filter") return kFilter;
  return kOther;
}

bool Covers(const std::vector<std::string>& fields, std::string_view attribute) {
  for (const std::string& f : fields) {
    if (attribute == f) return true;
    if (attribute.size() > f.size() && attribute.substr(0, f.size()) == f &&
        attribute[f.size()] == '.') {
      return true;
    }
  }
  return false;
}

// Adds the sort fields the client's `fields` lacks (read by the merge).
void Complete(DocumentsRequestInfo* info) {
  info->node_limit = info->offset > UINT64_MAX - info->limit ? UINT64_MAX
                                                             : info->offset + info->limit;
  if (!info->restricts_fields) return;
  for (const rank::SortSpec& spec : rank::ParseSortSpecs(info->sort)) {
    if (spec.geo || Covers(info->fields, spec.field)) continue;
    std::string_view top = std::string_view(spec.field).substr(0, spec.field.find('.'));
    bool shares_top = std::any_of(info->fields.begin(), info->fields.end(), [&](const auto& f) {
      return std::string_view(f).substr(0, f.find('.')) == top;
    });
    info->fields.push_back(spec.field);
    if (!shares_top && std::find(info->added_fields.begin(), info->added_fields.end(), top) ==
                           info->added_fields.end()) {
      info->added_fields.emplace_back(top);
    }
  }
}

simdjson::error_code ReadStrings(od::value v, bool* ok, std::vector<std::string>* out) {
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  if (type != od::json_type::array) {
    *ok = false;
    return json_scan::Validate(v);
  }
  od::array arr;
  if (auto err = v.get_array().get(arr)) return err;
  for (auto element_result : arr) {
    od::value element;
    if (auto err = std::move(element_result).get(element)) return err;
    std::string_view s;
    if (element.get_string().get(s) != simdjson::SUCCESS) {
      *ok = false;
      if (auto err = json_scan::Validate(element)) return err;
      continue;
    }
    out->emplace_back(s);
  }
  return simdjson::SUCCESS;
}

std::vector<std::string> SplitList(std::string_view text, bool respect_parentheses) {
  std::vector<std::string> items;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size()) {
      char c = text[i];
      if (respect_parentheses && c == '(') ++depth;
      if (respect_parentheses && c == ')' && depth > 0) --depth;
      if (c != ',' || depth > 0) continue;
    }
    std::string_view item = text.substr(start, i - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    start = i + 1;
  }
  return items;
}

}  // namespace

Result<DocumentsRequestInfo> AnalyzeDocumentsFetchRequest(std::string_view client_body) {
  DocumentsRequestInfo info;
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
    Param param = ParamOf(key);
    od::value v = field.value();
    table.Add(json_scan::KeyQuote(field.key()), v.raw_json_token().data(), param);
    od::json_type t;
    if (auto err = v.type().get(t)) return request::MalformedBody(err);
    simdjson::error_code err = simdjson::SUCCESS;
    bool ok = true;
    switch (param) {
      case kOffset:
      case kLimit: {
        uint64_t n = 0;
        if (v.get_uint64().get(n) == simdjson::SUCCESS) {
          (param == kOffset ? info.offset : info.limit) = n;
        } else {
          ok = false;
          err = json_scan::Validate(v);
        }
        break;
      }
      case kFields:
      case kSort: {
        if (t == od::json_type::null) {
          err = json_scan::Validate(v);
          break;
        }
        std::vector<std::string> list;
        err = ReadStrings(v, &ok, &list);
        if (param == kSort) {
          info.sort = std::move(list);
        } else if (std::find(list.begin(), list.end(), "*") == list.end()) {
          info.restricts_fields = true;
          info.fields = std::move(list);
        }
        break;
      }
      case kFilter:
        info.filter_kind = t == od::json_type::string  ? request::kFilterString
                           : t == od::json_type::array ? request::kFilterArray
                           : t == od::json_type::null  ? request::kFilterAbsent
                                                       : request::kFilterOther;
        ok = info.filter_kind != request::kFilterOther;
        err = json_scan::Validate(v);
        break;
      default:
        err = json_scan::Validate(v);
    }
    if (err) return request::MalformedBody(err);
    if (!ok) info.passthrough = true;
  }
  MIROIR_RETURN_IF_ERROR(parsed.CheckEnd());
  const char* close = request::RootClose(parsed.data(), parsed.size());
  if (close == nullptr || !table.Finish(close, &info.members)) {
    return request::MalformedBody(simdjson::TAPE_ERROR);
  }
  Complete(&info);
  return info;
}

std::string BuildNodeDocumentsFetchBody(const DocumentsRequestInfo& info,
                                        std::string_view client_body,
                                        const std::vector<uint32_t>* shards) {
  bool fields_changed = info.restricts_fields && !info.added_fields.empty();
  uint64_t replaced = request::Bit(kOffset) | request::Bit(kLimit);
  if (fields_changed) replaced |= request::Bit(kFields);
  if (shards != nullptr) replaced |= request::Bit(kFilter);
  std::string out;
  out.reserve(client_body.size() + 96);
  out.push_back('{');
  request::AppendMembersExcept(&out, client_body, info.members, replaced);
  out.append("\"offset\":0,\"limit\":");
  json_write::AppendUint(&out, info.node_limit);
  out.push_back(',');
  if (fields_changed) {
    out.append("\"fields\":[");
    for (size_t i = 0; i < info.fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      json_write::AppendString(&out, info.fields[i]);
    }
    out.append("],");
  }
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

DocumentsRequestInfo DocumentsInfoFromQuery(uint64_t offset, uint64_t limit,
                                            std::string_view fields, std::string_view sort) {
  DocumentsRequestInfo info;
  info.offset = offset;
  info.limit = limit;
  info.sort = SplitList(sort, /*respect_parentheses=*/true);
  std::vector<std::string> list = SplitList(fields, /*respect_parentheses=*/false);
  if (!list.empty() && std::find(list.begin(), list.end(), "*") == list.end()) {
    info.restricts_fields = true;
    info.fields = std::move(list);
  }
  Complete(&info);
  return info;
}

std::string NodeFields(const DocumentsRequestInfo& info) {
  if (!info.restricts_fields || info.added_fields.empty()) return {};
  std::string out;
  for (size_t i = 0; i < info.fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(info.fields[i]);
  }
  return out;
}

namespace {

struct Page {
  const char* base = nullptr;
  uint32_t node_order = 0;
  uint64_t total = 0;
  std::vector<sr::Hit> documents;
};

simdjson::error_code ParsePage(NodeResult* node, const sr::HitPolicy& policy, sr::Store* store,
                               Page* page) {
  json_scan::EnsurePadding(&node->body);
  page->base = node->body.data();
  page->node_order = node->node_order;
  od::document doc;
  auto& parser = json_scan::ThreadParser();
  if (auto err = parser.iterate(node->body.data(), node->body.size(), node->body.capacity())
                     .get(doc)) {
    return err;
  }
  od::object obj;
  if (auto err = doc.get_object().get(obj)) return err;
  bool has_results = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key = json_scan::FieldKey(field);
    if (key == "results") {
      has_results = true;
      if (auto err = sr::ParseHitArray(field.value(), page->base, policy, store, &page->documents)) {
        return err;
      }
    } else if (key == "total") {
      if (auto err = field.value().get_uint64().get(page->total)) return err;
    }
  }
  if (!has_results) return simdjson::NO_SUCH_FIELD;
  return json_scan::AtEnd(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

}  // namespace

Result<std::string> MergeDocumentsResponses(const DocumentsRequestInfo& info,
                                            std::vector<NodeResult>& results) {
  std::vector<NodeResult*> ordered;
  for (NodeResult& r : results) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(),
            [](const NodeResult* a, const NodeResult* b) { return a->node_order < b->node_order; });
  sr::HitPolicy policy;
  policy.documents = true;
  policy.added_fields = &info.added_fields;
  policy.sort = rank::ParseSortSpecs(info.sort);
  sr::Store store;
  std::vector<Page> pages(ordered.size());
  uint64_t total = 0;
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (auto err = ParsePage(ordered[i], policy, &store, &pages[i])) {
      return json_scan::NodeBodyError("documents answer", err);
    }
    total = total > UINT64_MAX - pages[i].total ? UINT64_MAX : total + pages[i].total;
  }

  // A k-way merge over the pages' heads: by sort keys when sorting, else the
  // lowest node order wins until its page runs out (a concatenation).
  std::vector<size_t> next(pages.size(), 0);
  uint64_t end = info.offset > UINT64_MAX - info.limit ? UINT64_MAX : info.offset + info.limit;
  std::string out = "{\"results\":[";
  uint64_t position = 0;
  bool first = true;
  while (position < end) {
    int best = -1;
    for (size_t p = 0; p < pages.size(); ++p) {
      if (next[p] >= pages[p].documents.size()) continue;
      if (best < 0) {
        best = static_cast<int>(p);
        continue;
      }
      const sr::Hit& a = pages[p].documents[next[p]];
      const sr::Hit& b = pages[static_cast<size_t>(best)].documents[next[static_cast<size_t>(best)]];
      int c = a.key_count == 0 ? 0
                               : rank::CompareSequences(store.ranks.data() + a.key_begin,
                                                        a.key_count,
                                                        store.ranks.data() + b.key_begin,
                                                        b.key_count);
      if (c > 0 && c != rank::kIncomparable) best = static_cast<int>(p);
    }
    if (best < 0) break;
    const Page& page = pages[static_cast<size_t>(best)];
    const sr::Hit& doc = page.documents[next[static_cast<size_t>(best)]++];
    if (position >= info.offset) {
      if (!first) out.push_back(',');
      first = false;
      json_scan::AppendWithCuts(&out, page.base, doc.begin, doc.end,
                                store.cuts.data() + doc.cut_begin, doc.cut_count);
    }
    ++position;
  }
  out.append("],\"offset\":");
  json_write::AppendUint(&out, info.offset);
  out.append(",\"limit\":");
  json_write::AppendUint(&out, info.limit);
  out.append(",\"total\":");
  json_write::AppendUint(&out, total);
  out.push_back('}');
  return out;
}

}  // namespace miroir
