#include "miroir/core/search_merge.hpp"

#include <algorithm>
#include <utility>
#include <cstring>
#include <span>
#include <unordered_set>

#include "core/facet_merge.hpp"
#include "core/json_scan.hpp"
#include "core/json_write.hpp"
#include "core/rank_compare.hpp"
#include "core/search_response.hpp"

namespace miroir {

namespace od = simdjson::ondemand;
namespace sr = search_response;
using json_write::AppendUint;

static_assert(kNodeBodyPadding == simdjson::SIMDJSON_PADDING);

namespace {

// --- Reading node bodies ------------------------------------------------------

// The nodes' results in node order (the tie-break order).
std::vector<NodeResult*> InNodeOrder(std::vector<NodeResult>& results) {
  std::vector<NodeResult*> ordered;
  ordered.reserve(results.size());
  for (NodeResult& r : results) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(),
            [](const NodeResult* a, const NodeResult* b) { return a->node_order < b->node_order; });
  return ordered;
}

simdjson::error_code StartDocument(NodeResult* node, od::document* doc, od::value* root) {
  json_scan::EnsurePadding(&node->body);
  auto& parser = json_scan::ThreadParser();
  if (auto err = parser.iterate(node->body.data(), node->body.size(), node->body.capacity())
                     .get(*doc)) {
    return err;
  }
  return doc->get_value().get(*root);
}

Result<void> ParseSearchBody(NodeResult* node, std::span<const sr::HitPolicy> policies,
                             bool federated, sr::Store* store, sr::Response* out) {
  out->node_order = node->node_order;
  od::document doc;
  od::value root;
  simdjson::error_code err = StartDocument(node, &doc, &root);
  if (!err) err = sr::ParseResponse(root, node->body.data(), policies, federated, store, out);
  if (!err && !json_scan::AtEnd(doc)) err = simdjson::TRAILING_CONTENT;
  if (err) return json_scan::NodeBodyError("search answer", err);
  return {};
}

// A /multi-search answer without federation: {"results": [answer, ...]}.
Result<void> ParseMultiSearchBody(NodeResult* node, std::span<const sr::HitPolicy> policies,
                                  sr::Store* store, std::vector<sr::Response>* out) {
  od::document doc;
  od::value root;
  simdjson::error_code err = StartDocument(node, &doc, &root);
  od::object obj;
  if (!err) err = root.get_object().get(obj);
  bool has_results = false;
  if (!err) {
    for (auto field_result : obj) {
      od::field field;
      if ((err = std::move(field_result).get(field))) break;
      if (json_scan::FieldKey(field) != "results") continue;
      has_results = true;
      od::array results;
      if ((err = field.value().get_array().get(results))) break;
      size_t i = 0;
      for (auto element_result : results) {
        od::value element;
        if ((err = std::move(element_result).get(element))) break;
        if (i >= policies.size()) {
          err = simdjson::INDEX_OUT_OF_BOUNDS;
          break;
        }
        sr::Response& response = out->emplace_back();
        response.node_order = node->node_order;
        if ((err = sr::ParseResponse(element, node->body.data(), policies.subspan(i, 1),
                                     /*federated=*/false, store, &response))) {
          break;
        }
        ++i;
      }
      if (!err && i != policies.size()) err = simdjson::INDEX_OUT_OF_BOUNDS;
      if (err) break;
    }
  }
  if (!err && !has_results) err = simdjson::NO_SUCH_FIELD;
  if (!err && !json_scan::AtEnd(doc)) err = simdjson::TRAILING_CONTENT;
  if (err) return json_scan::NodeBodyError("multi-search answer", err);
  return {};
}

// --- Ordering -------------------------------------------------------------------

int Sign(double a, double b) { return a > b ? 1 : (a < b ? -1 : 0); }

// > 0 when `a` ranks before `b`; 0 when nothing tells them apart.
int CompareHits(const sr::Store& store, const sr::Hit& a, const sr::Hit& b, bool by_details) {
  if (by_details) {
    if (a.has_details && b.has_details) {
      int c = rank::CompareSequences(store.ranks.data() + a.rank_begin, a.rank_count,
                                     store.ranks.data() + b.rank_begin, b.rank_count);
      if (c != rank::kIncomparable) return c;
    } else if (a.key_count > 0 && a.key_count == b.key_count) {
      int c = rank::CompareSequences(store.ranks.data() + a.key_begin, a.key_count,
                                     store.ranks.data() + b.key_begin, b.key_count);
      if (c != 0 && c != rank::kIncomparable) return c;
    }
  }
  return Sign(a.score, b.score);
}

struct Cursor {
  const sr::Response* response;
  size_t next = 0;
  const sr::Hit& hit() const { return response->hits[next]; }
};

// Emits hits best first. Each node's list is already in order, so only the
// heads compete; a linear scan over the heads needs no strict weak ordering
// from `better` (rule-by-rule comparisons need not be transitive) and costs
// little for the handful of nodes of a covering set.
template <class Better, class Visit>
void KMerge(std::vector<Cursor>* cursors, Better better, Visit visit) {
  for (;;) {
    Cursor* best = nullptr;
    for (Cursor& c : *cursors) {
      if (c.next >= c.response->hits.size()) continue;
      if (best == nullptr || better(c, *best)) best = &c;
    }
    if (best == nullptr) return;
    const sr::Hit& hit = best->hit();
    const sr::Response& response = *best->response;
    ++best->next;
    if (!visit(response, hit)) return;
  }
}

// Keeps the first (best-ranked) hit of each distinct value.
class DistinctFilter {
 public:
  // True when no value of `hit` was seen before; records its values.
  bool Admit(const sr::Store& store, const sr::Hit& hit, uint32_t scope) {
    const sr::DistinctValue* values = store.distinct.data() + hit.distinct_begin;
    for (uint32_t i = 0; i < hit.distinct_count; ++i) {
      if (seen_.count(Key(values[i], scope)) != 0) return false;
    }
    for (uint32_t i = 0; i < hit.distinct_count; ++i) seen_.insert(Key(values[i], scope));
    return true;
  }

 private:
  static std::string Key(const sr::DistinctValue& v, uint32_t scope) {
    std::string key(sizeof(scope) + 1, '\0');
    std::memcpy(key.data(), &scope, sizeof(scope));
    key[sizeof(scope)] = v.number ? 'n' : 's';
    key.append(v.text);
    return key;
  }
  std::unordered_set<std::string> seen_;
};

struct Window {
  uint64_t offset = 0;
  uint64_t end = 0;  // one past the last merged hit returned
};

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

Window WindowOf(uint64_t offset, uint64_t limit, std::optional<uint64_t> max_total_hits) {
  // A node never returns hits beyond maxTotalHits, nor may the merge.
  if (max_total_hits) {
    offset = std::min(offset, *max_total_hits);
    limit = std::min(limit, *max_total_hits - offset);
  }
  return Window{offset, SaturatingAdd(offset, limit)};
}

struct Selection {
  std::vector<std::pair<const sr::Response*, const sr::Hit*>> hits;
  uint64_t rejected = 0;  // duplicates removed by distinct
};

template <class Better>
Selection Select(std::vector<Cursor>* cursors, Better better, Window window, bool distinct,
                 const sr::Store& store, uint32_t (*scope_of)(const sr::Hit&)) {
  Selection selection;
  DistinctFilter filter;
  uint64_t accepted = 0;
  if (window.end > window.offset) {
    selection.hits.reserve(static_cast<size_t>(std::min<uint64_t>(window.end - window.offset,
                                                                  4096)));
  }
  KMerge(cursors, better, [&](const sr::Response& response, const sr::Hit& hit) {
    if (distinct && !filter.Admit(store, hit, scope_of(hit))) {
      ++selection.rejected;
      return true;
    }
    if (accepted >= window.offset && accepted < window.end) {
      selection.hits.emplace_back(&response, &hit);
    }
    ++accepted;
    // With distinct, keep going: every duplicate seen lowers the totals.
    return distinct || accepted < window.end;
  });
  return selection;
}

// --- Writing --------------------------------------------------------------------

void AppendHits(std::string* out, const Selection& selection, const sr::Store& store) {
  out->append("\"hits\":[");
  bool first = true;
  for (const auto& [response, hit] : selection.hits) {
    if (!first) out->push_back(',');
    first = false;
    json_scan::AppendWithCuts(out, response->base, hit->begin, hit->end,
                              store.cuts.data() + hit->cut_begin, hit->cut_count);
  }
  out->push_back(']');
}

void AppendMember(std::string* out, std::string_view name, std::string_view raw) {
  if (raw.empty()) return;
  out->append(",\"");
  out->append(name);
  out->append("\":");
  out->append(raw);
}

std::string_view FirstOf(const std::vector<const sr::Response*>& responses,
                         std::string_view sr::Response::*member) {
  for (const sr::Response* r : responses) {
    if (!(r->*member).empty()) return r->*member;
  }
  return {};
}

struct Totals {
  uint64_t hits = 0;
  uint64_t processing_time_ms = 0;
  bool has_semantic_hit_count = false;
  uint64_t semantic_hit_count = 0;
};

Totals SumTotals(const std::vector<const sr::Response*>& responses, uint64_t rejected,
                 std::optional<uint64_t> max_total_hits, const MergeOptions& options,
                 size_t returned_hits) {
  Totals t;
  for (const sr::Response* r : responses) {
    t.hits = SaturatingAdd(t.hits, r->total_hits);
    t.processing_time_ms = std::max(t.processing_time_ms, r->processing_time_ms);
    if (r->has_semantic_hit_count) {
      t.has_semantic_hit_count = true;
      t.semantic_hit_count += r->semantic_hit_count;
    }
  }
  t.hits = t.hits > rejected ? t.hits - rejected : 0;
  if (max_total_hits) t.hits = std::min(t.hits, *max_total_hits);
  if (options.processing_time_ms) t.processing_time_ms = *options.processing_time_ms;
  // Semantic hits are counted among the returned hits, which are fewer.
  t.semantic_hit_count = std::min<uint64_t>(t.semantic_hit_count, returned_hits);
  return t;
}

template <class Info>
void AppendPagination(std::string* out, const Info& info, Window window, uint64_t total_hits) {
  if (info.page_mode) {
    out->append(",\"hitsPerPage\":");
    AppendUint(out, info.hits_per_page);
    out->append(",\"page\":");
    AppendUint(out, info.page);
    out->append(",\"totalPages\":");
    uint64_t pages = info.hits_per_page == 0
                         ? 0
                         : total_hits / info.hits_per_page + (total_hits % info.hits_per_page != 0);
    AppendUint(out, pages);
    out->append(",\"totalHits\":");
  } else {
    out->append(",\"limit\":");
    AppendUint(out, info.limit);
    out->append(",\"offset\":");
    AppendUint(out, window.offset);
    out->append(",\"estimatedTotalHits\":");
  }
  AppendUint(out, total_hits);
}

void AppendRequestUid(std::string* out, const std::vector<const sr::Response*>& responses,
                      const MergeOptions& options) {
  if (!options.request_uid.empty()) {
    out->append(",\"requestUid\":");
    json_write::AppendString(out, options.request_uid);
  } else {
    AppendMember(out, "requestUid", FirstOf(responses, &sr::Response::request_uid));
  }
}

void AppendExtras(std::string* out, const std::vector<const sr::Response*>& responses) {
  if (responses.empty()) return;
  for (const auto& [key, raw] : responses.front()->extra) {
    out->append(",\"");
    out->append(key);
    out->append("\":");
    out->append(raw);
  }
}

facets::MergeRules RulesFor(const IndexSearchSettings& settings, bool byte_order) {
  facets::MergeRules rules;
  rules.order = settings.facet_order;
  rules.order_by_facet = settings.facet_order_by_facet;
  rules.max_values = settings.max_values_per_facet;
  rules.byte_order = byte_order;
  return rules;
}

void AppendFacets(std::string* out, const std::vector<const sr::Response*>& responses,
                  const facets::MergeRules& rules) {
  std::vector<const facets::Block*> distributions, stats;
  for (const sr::Response* r : responses) {
    if (r->facets.has_distribution) distributions.push_back(&r->facets);
    if (r->facets.has_stats) stats.push_back(&r->facets);
  }
  if (!distributions.empty()) {
    out->append(",\"facetDistribution\":");
    facets::AppendDistribution(out, distributions, rules);
  }
  if (!stats.empty()) {
    out->append(",\"facetStats\":");
    facets::AppendStats(out, stats);
  }
}

uint32_t NoScope(const sr::Hit&) { return 0; }

size_t EstimateSize(const Selection& selection) {
  size_t size = 512;
  for (const auto& [response, hit] : selection.hits) size += hit->end - hit->begin;
  return size;
}

// Writes one merged search answer (the members after '{', without it).
void MergeOne(const SearchRequestInfo& info, const std::vector<const sr::Response*>& responses,
              const sr::Store& store, const MergeOptions& options, std::string* out) {
  std::vector<Cursor> cursors;
  cursors.reserve(responses.size());
  for (const sr::Response* r : responses) cursors.push_back(Cursor{r});
  Window window = WindowOf(info.offset, info.limit, info.settings.max_total_hits);
  bool by_details = info.compare_score_details;
  auto better = [&](const Cursor& a, const Cursor& b) {
    int c = CompareHits(store, a.hit(), b.hit(), by_details);
    if (c != 0) return c > 0;
    return a.response->node_order < b.response->node_order;
  };
  Selection selection =
      Select(&cursors, better, window, !info.distinct.empty(), store, &NoScope);
  Totals totals = SumTotals(responses, selection.rejected, info.settings.max_total_hits, options,
                            selection.hits.size());

  out->reserve(out->size() + EstimateSize(selection));
  AppendHits(out, selection, store);
  std::string_view query = FirstOf(responses, &sr::Response::query);
  out->append(",\"query\":");
  out->append(query.empty() ? std::string_view("\"\"") : query);
  AppendMember(out, "queryVector", FirstOf(responses, &sr::Response::query_vector));
  out->append(",\"processingTimeMs\":");
  AppendUint(out, totals.processing_time_ms);
  AppendPagination(out, info, window, totals.hits);
  AppendFacets(out, responses, RulesFor(info.settings, /*byte_order=*/false));
  AppendRequestUid(out, responses, options);
  AppendMember(out, "metadata", FirstOf(responses, &sr::Response::metadata));
  AppendMember(out, "performanceDetails",
               FirstOf(responses, &sr::Response::performance_details));
  if (totals.has_semantic_hit_count) {
    out->append(",\"semanticHitCount\":");
    AppendUint(out, totals.semantic_hit_count);
  }
  AppendExtras(out, responses);
}

}  // namespace

Result<std::string> MergeSearchResponses(const SearchRequestInfo& info,
                                         std::vector<NodeResult>& results,
                                         const MergeOptions& options) {
  sr::Store store;
  sr::HitPolicy policy = sr::PolicyFor(info);
  std::vector<sr::Response> responses(results.size());
  std::vector<NodeResult*> ordered = InNodeOrder(results);
  for (size_t i = 0; i < ordered.size(); ++i) {
    auto parsed = ParseSearchBody(ordered[i], std::span(&policy, 1), false, &store, &responses[i]);
    if (!parsed) return parsed.error();
  }
  std::vector<const sr::Response*> view;
  for (const sr::Response& r : responses) view.push_back(&r);
  std::string out = "{";
  MergeOne(info, view, store, options, &out);
  out.push_back('}');
  return out;
}

namespace {

Result<std::string> MergeFederated(const MultiSearchInfo& info,
                                   std::vector<NodeResult*>& ordered,
                                   const MergeOptions& options) {
  sr::Store store;
  std::vector<sr::HitPolicy> policies;
  for (const MultiSearchQuery& q : info.queries) {
    sr::HitPolicy& p = policies.emplace_back(sr::PolicyFor(q.search));
    // Only a federation-wide distinct is applied across nodes (see header).
    p.distinct = info.distinct;
    p.sort.clear();  // federated hits are ranked by their weighted score
  }
  if (policies.empty()) policies.emplace_back();
  std::vector<sr::Response> responses(ordered.size());
  for (size_t i = 0; i < ordered.size(); ++i) {
    auto parsed = ParseSearchBody(ordered[i], policies, /*federated=*/true, &store, &responses[i]);
    if (!parsed) return parsed.error();
  }
  std::vector<const sr::Response*> view;
  std::vector<Cursor> cursors;
  for (const sr::Response& r : responses) {
    view.push_back(&r);
    cursors.push_back(Cursor{&r});
  }
  auto better = [&](const Cursor& a, const Cursor& b) {
    const sr::Hit& ha = a.hit();
    const sr::Hit& hb = b.hit();
    if (ha.query == hb.query && ha.has_details && hb.has_details) {
      int c = rank::CompareSequences(store.ranks.data() + ha.rank_begin, ha.rank_count,
                                     store.ranks.data() + hb.rank_begin, hb.rank_count);
      if (c != rank::kIncomparable && c != 0) return c > 0;
    }
    if (ha.score != hb.score) return ha.score > hb.score;
    if (ha.query != hb.query) return ha.query < hb.query;
    return a.response->node_order < b.response->node_order;
  };
  Window window = WindowOf(info.offset, info.limit, std::nullopt);
  Selection selection = Select(&cursors, better, window, !info.distinct.empty(), store, &NoScope);
  Totals totals = SumTotals(view, selection.rejected, std::nullopt, options, selection.hits.size());

  std::string out = "{";
  out.reserve(EstimateSize(selection));
  AppendHits(&out, selection, store);
  AppendMember(&out, "queryVectors", FirstOf(view, &sr::Response::query_vectors));
  out.append(",\"processingTimeMs\":");
  AppendUint(&out, totals.processing_time_ms);
  AppendPagination(&out, info, window, totals.hits);

  facets::MergeRules merged_rules;
  merged_rules.byte_order = true;
  merged_rules.max_values = info.merge_max_values_per_facet;
  AppendFacets(&out, view, merged_rules);

  // facetsByIndex: per index, the nodes' blocks merged with that index's rules.
  std::vector<std::string_view> indexes;
  for (const sr::Response* r : view) {
    for (const auto& [uid, block] : r->facets_by_index) indexes.push_back(uid);
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  if (!indexes.empty()) {
    out.append(",\"facetsByIndex\":{");
    for (size_t i = 0; i < indexes.size(); ++i) {
      if (i > 0) out.push_back(',');
      std::vector<const facets::Block*> blocks;
      for (const sr::Response* r : view) {
        for (const auto& [uid, block] : r->facets_by_index) {
          if (uid == indexes[i]) blocks.push_back(&block);
        }
      }
      static const IndexSearchSettings kDefaults;
      const IndexSearchSettings* settings = &kDefaults;
      for (const MultiSearchQuery& q : info.queries) {
        if (q.index_uid == indexes[i]) settings = &q.search.settings;
      }
      out.push_back('"');
      out.append(indexes[i]);
      out.append("\":{\"distribution\":");
      facets::AppendDistribution(&out, blocks, RulesFor(*settings, /*byte_order=*/true));
      out.append(",\"stats\":");
      facets::AppendStats(&out, blocks);
      out.push_back('}');
    }
    out.push_back('}');
  }
  AppendRequestUid(&out, view, options);
  AppendMember(&out, "metadata", FirstOf(view, &sr::Response::metadata));
  if (totals.has_semantic_hit_count) {
    out.append(",\"semanticHitCount\":");
    AppendUint(&out, totals.semantic_hit_count);
  }
  AppendMember(&out, "performanceDetails", FirstOf(view, &sr::Response::performance_details));
  AppendExtras(&out, view);
  out.push_back('}');
  return out;
}

}  // namespace

Result<std::string> MergeMultiSearchResponses(const MultiSearchInfo& info,
                                              std::vector<NodeResult>& results,
                                              const MergeOptions& options) {
  std::vector<NodeResult*> ordered = InNodeOrder(results);
  if (info.federated) return MergeFederated(info, ordered, options);

  sr::Store store;
  std::vector<sr::HitPolicy> policies;
  for (const MultiSearchQuery& q : info.queries) policies.push_back(sr::PolicyFor(q.search));
  // per_node[n][q]: node n's answer to query q.
  std::vector<std::vector<sr::Response>> per_node(ordered.size());
  for (size_t n = 0; n < ordered.size(); ++n) {
    auto parsed = ParseMultiSearchBody(ordered[n], policies, &store, &per_node[n]);
    if (!parsed) return parsed.error();
  }
  std::string out = "{\"results\":[";
  for (size_t q = 0; q < info.queries.size(); ++q) {
    std::vector<const sr::Response*> view;
    for (const auto& node : per_node) view.push_back(&node[q]);
    if (q > 0) out.push_back(',');
    out.append("{\"indexUid\":");
    std::string_view uid = FirstOf(view, &sr::Response::index_uid);
    if (uid.empty()) {
      json_write::AppendString(&out, info.queries[q].index_uid);
    } else {
      out.append(uid);
    }
    out.push_back(',');
    MergeOne(info.queries[q].search, view, store, options, &out);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace miroir
