#include "miroir/core/search_merge.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <unordered_set>
#include <utility>

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

// Node bodies are read side by side (each merge step reads one more hit of
// one node), so each needs a parser of its own: a per-thread pool of them.
od::parser& PooledParser(size_t i) {
  thread_local std::vector<std::unique_ptr<od::parser>> pool;
  while (pool.size() <= i) pool.push_back(std::make_unique<od::parser>());
  return *pool[i];
}

// One node's answer to one query, read as the merge goes.
struct Stream {
  sr::Response response;
  sr::ResponseReader reader;
  bool more = true;  // hits may remain unread
  size_t next = 0;   // the merge's next hit
};

// One node's body. Not movable: simdjson's iterators point into `doc`.
struct NodeDoc {
  NodeResult* node = nullptr;
  od::document doc;
  od::value root;
  // /multi-search without federation: the `results` array.
  od::object_iterator member, member_end;
  od::array_iterator result, result_end;
};

std::vector<std::unique_ptr<NodeDoc>> OpenNodes(std::vector<NodeResult>& results,
                                                simdjson::error_code* err) {
  std::vector<NodeResult*> ordered;
  ordered.reserve(results.size());
  for (NodeResult& r : results) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(),
            [](const NodeResult* a, const NodeResult* b) { return a->node_order < b->node_order; });
  std::vector<std::unique_ptr<NodeDoc>> docs;
  *err = simdjson::SUCCESS;
  for (size_t i = 0; i < ordered.size() && !*err; ++i) {
    auto d = std::make_unique<NodeDoc>();
    d->node = ordered[i];
    json_scan::EnsurePadding(&d->node->body);
    *err = PooledParser(i)
               .iterate(d->node->body.data(), d->node->body.size(), d->node->body.capacity())
               .get(d->doc);
    if (!*err) *err = d->doc.get_value().get(d->root);
    docs.push_back(std::move(d));
  }
  return docs;
}

// Makes sure the merge's next hit of `s` is read. False when none is left.
simdjson::error_code Peek(Stream* s, bool* has) {
  while (s->next >= s->response.hits.size() && s->more) {
    if (auto err = s->reader.Next(&s->more)) return err;
  }
  *has = s->next < s->response.hits.size();
  return simdjson::SUCCESS;
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

// Emits hits best first: a k-way merge of the nodes' lists, each already in
// order, so only their heads compete. A linear scan over the heads needs no
// strict weak ordering from `better` (rule-by-rule comparisons need not be
// transitive) and is cheap for the handful of nodes of a covering set.
// `streams` are in node order; on ties `better` must prefer the earlier one.
template <class Better, class Visit>
simdjson::error_code KMerge(std::span<Stream* const> streams, Better better, Visit visit) {
  for (;;) {
    Stream* best = nullptr;
    for (Stream* s : streams) {
      bool has = false;
      if (auto err = Peek(s, &has)) return err;
      if (!has) continue;
      if (best == nullptr || better(*s, *best)) best = s;
    }
    if (best == nullptr) return simdjson::SUCCESS;
    size_t index = best->next++;
    if (!visit(best->response, index)) return simdjson::SUCCESS;
  }
}

const sr::Hit& Head(const Stream& s) { return s.response.hits[s.next]; }

// Keeps the first (best-ranked) hit of each distinct value.
class DistinctFilter {
 public:
  // True when no value of `hit` was seen before; records its values.
  bool Admit(const sr::Store& store, const sr::Hit& hit) {
    const sr::DistinctValue* values = store.distinct.data() + hit.distinct_begin;
    for (uint32_t i = 0; i < hit.distinct_count; ++i) {
      if (seen_.count(Key(values[i])) != 0) return false;
    }
    for (uint32_t i = 0; i < hit.distinct_count; ++i) seen_.insert(Key(values[i]));
    return true;
  }

 private:
  static std::string Key(const sr::DistinctValue& v) {
    std::string key(1, v.number ? 'n' : 's');
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
  std::vector<std::pair<const sr::Response*, size_t>> hits;  // (answer, hit index)
  uint64_t rejected = 0;  // duplicates removed by distinct
};

template <class Better>
simdjson::error_code Select(std::span<Stream* const> streams, Better better, Window window,
                            bool distinct, const sr::Store& store, Selection* selection) {
  DistinctFilter filter;
  uint64_t accepted = 0;
  if (window.end > window.offset) {
    selection->hits.reserve(
        static_cast<size_t>(std::min<uint64_t>(window.end - window.offset, 4096)));
  }
  return KMerge(streams, better, [&](const sr::Response& response, size_t index) {
    if (distinct && !filter.Admit(store, response.hits[index])) {
      ++selection->rejected;
      return true;
    }
    if (accepted >= window.offset && accepted < window.end) {
      selection->hits.emplace_back(&response, index);
    }
    ++accepted;
    // With distinct, keep going: every duplicate seen lowers the totals.
    return distinct || accepted < window.end;
  });
}

// --- Writing --------------------------------------------------------------------

void AppendHits(std::string* out, const Selection& selection, const sr::Store& store) {
  out->append("\"hits\":[");
  bool first = true;
  for (const auto& [response, index] : selection.hits) {
    if (!first) out->push_back(',');
    first = false;
    const sr::Hit& hit = response->hits[index];
    json_scan::AppendWithCuts(out, response->base, hit.begin, hit.end,
                              store.cuts.data() + hit.cut_begin, hit.cut_count);
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

// One Meilisearch lists number facet values by their text when at most
// 3,000 documents match (milli's linear-scan threshold), by value otherwise.
// The nodes' totals are capped by maxTotalHits, so the count comes from the
// `_miroir_shard` facet when the nodes were asked for it; the totals are the
// fallback (exact only while below the cap).
bool NumbersByText(const SearchRequestInfo& info,
                   const std::vector<const sr::Response*>& responses, uint64_t capped_total) {
  constexpr uint64_t kLinearScanThreshold = 3000;
  if (info.count_shard_facet) {
    std::vector<const facets::Block*> blocks;
    for (const sr::Response* r : responses) {
      if (r->facets.has_distribution) blocks.push_back(&r->facets);
    }
    auto candidates = facets::CountCandidates(blocks, info.settings.max_values_per_facet);
    // Fewer candidates than hits: some node did not list the facet.
    if (candidates && candidates->count >= capped_total) {
      if (candidates->exact || candidates->count > kLinearScanThreshold) {
        return candidates->count <= kLinearScanThreshold;
      }
    }
  }
  return capped_total <= kLinearScanThreshold;
}

size_t EstimateSize(const Selection& selection) {
  size_t size = 512;
  for (const auto& [response, index] : selection.hits) {
    size += response->hits[index].end - response->hits[index].begin;
  }
  return size;
}

// Ranks and cuts one query's hits from `streams` (started, in node order),
// then finishes reading them and writes the merged answer's members.
simdjson::error_code MergeOne(const SearchRequestInfo& info, std::span<Stream* const> streams,
                              const sr::Store& store, const MergeOptions& options,
                              std::string* out) {
  Window window = WindowOf(info.offset, info.limit, info.settings.max_total_hits);
  bool by_details = info.compare_score_details;
  auto better = [&](const Stream& a, const Stream& b) {
    return CompareHits(store, Head(a), Head(b), by_details) > 0;  // ties: earlier node
  };
  Selection selection;
  if (auto err = Select(streams, better, window, !info.distinct.empty(), store, &selection)) {
    return err;
  }
  std::vector<const sr::Response*> responses;
  for (Stream* s : streams) {
    if (auto err = s->reader.Finish()) return err;
    responses.push_back(&s->response);
  }
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
  facets::MergeRules facet_rules = RulesFor(info.settings, /*byte_order=*/false);
  facet_rules.numbers_by_text = NumbersByText(info, responses, totals.hits + selection.rejected);
  AppendFacets(out, responses, facet_rules);
  AppendRequestUid(out, responses, options);
  AppendMember(out, "metadata", FirstOf(responses, &sr::Response::metadata));
  AppendMember(out, "performanceDetails",
               FirstOf(responses, &sr::Response::performance_details));
  if (totals.has_semantic_hit_count) {
    out->append(",\"semanticHitCount\":");
    AppendUint(out, totals.semantic_hit_count);
  }
  AppendExtras(out, responses);
  return simdjson::SUCCESS;
}

Error NodeError(std::string_view what, simdjson::error_code err) {
  return json_scan::NodeBodyError(what, err);
}

}  // namespace

Result<std::string> MergeSearchResponses(const SearchRequestInfo& info,
                                         std::vector<NodeResult>& results,
                                         const MergeOptions& options) {
  simdjson::error_code err;
  std::vector<std::unique_ptr<NodeDoc>> docs = OpenNodes(results, &err);
  if (err) return NodeError("search answer", err);
  sr::Store store;
  sr::HitPolicy policy = sr::PolicyFor(info);
  std::vector<Stream> streams(docs.size());
  std::vector<Stream*> view;
  for (size_t i = 0; i < docs.size(); ++i) {
    streams[i].response.node_order = docs[i]->node->node_order;
    if ((err = streams[i].reader.Start(docs[i]->root, docs[i]->node->body.data(),
                                       std::span(&policy, 1), /*federated=*/false, &store,
                                       &streams[i].response, docs[i]->node->body))) {
      return NodeError("search answer", err);
    }
    view.push_back(&streams[i]);
  }
  std::string out = "{";
  if ((err = MergeOne(info, view, store, options, &out))) return NodeError("search answer", err);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!streams[i].reader.read_tail_apart() && !json_scan::AtEnd(docs[i]->doc)) {
      return NodeError("search answer", simdjson::TRAILING_CONTENT);
    }
  }
  out.push_back('}');
  return out;
}

namespace {

Result<std::string> MergeFederated(const MultiSearchInfo& info,
                                   std::vector<std::unique_ptr<NodeDoc>>& docs,
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
  std::vector<Stream> streams(docs.size());
  std::vector<Stream*> view;
  for (size_t i = 0; i < docs.size(); ++i) {
    streams[i].response.node_order = docs[i]->node->node_order;
    if (auto err = streams[i].reader.Start(docs[i]->root, docs[i]->node->body.data(), policies,
                                           /*federated=*/true, &store, &streams[i].response)) {
      return NodeError("federated search answer", err);
    }
    view.push_back(&streams[i]);
  }
  auto better = [&](const Stream& a, const Stream& b) {
    const sr::Hit& ha = Head(a);
    const sr::Hit& hb = Head(b);
    if (ha.query == hb.query && ha.has_details && hb.has_details) {
      int c = rank::CompareSequences(store.ranks.data() + ha.rank_begin, ha.rank_count,
                                     store.ranks.data() + hb.rank_begin, hb.rank_count);
      if (c != rank::kIncomparable && c != 0) return c > 0;
    }
    if (ha.score != hb.score) return ha.score > hb.score;
    return ha.query < hb.query;  // then the earlier node
  };
  Window window = WindowOf(info.offset, info.limit, std::nullopt);
  Selection selection;
  if (auto err = Select(std::span<Stream* const>(view), better, window, !info.distinct.empty(),
                        store, &selection)) {
    return NodeError("federated search answer", err);
  }
  std::vector<const sr::Response*> responses;
  for (size_t i = 0; i < streams.size(); ++i) {
    if (auto err = streams[i].reader.Finish()) return NodeError("federated search answer", err);
    if (!json_scan::AtEnd(docs[i]->doc)) {
      return NodeError("federated search answer", simdjson::TRAILING_CONTENT);
    }
    responses.push_back(&streams[i].response);
  }
  Totals totals =
      SumTotals(responses, selection.rejected, std::nullopt, options, selection.hits.size());

  std::string out = "{";
  out.reserve(EstimateSize(selection));
  AppendHits(&out, selection, store);
  AppendMember(&out, "queryVectors", FirstOf(responses, &sr::Response::query_vectors));
  out.append(",\"processingTimeMs\":");
  AppendUint(&out, totals.processing_time_ms);
  AppendPagination(&out, info, window, totals.hits);

  facets::MergeRules merged_rules;
  merged_rules.byte_order = true;
  merged_rules.max_values = info.merge_max_values_per_facet;
  AppendFacets(&out, responses, merged_rules);

  // facetsByIndex: per index, the nodes' blocks merged with that index's rules.
  std::vector<std::string_view> indexes;
  for (const sr::Response* r : responses) {
    for (const auto& [uid, block] : r->facets_by_index) indexes.push_back(uid);
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  if (!indexes.empty()) {
    out.append(",\"facetsByIndex\":{");
    for (size_t i = 0; i < indexes.size(); ++i) {
      if (i > 0) out.push_back(',');
      std::vector<const facets::Block*> blocks;
      for (const sr::Response* r : responses) {
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
  AppendRequestUid(&out, responses, options);
  AppendMember(&out, "metadata", FirstOf(responses, &sr::Response::metadata));
  if (totals.has_semantic_hit_count) {
    out.append(",\"semanticHitCount\":");
    AppendUint(&out, totals.semantic_hit_count);
  }
  AppendMember(&out, "performanceDetails",
               FirstOf(responses, &sr::Response::performance_details));
  AppendExtras(&out, responses);
  out.push_back('}');
  return out;
}

// Positions a /multi-search answer on the first element of `results`.
simdjson::error_code OpenResults(NodeDoc* d) {
  od::object obj;
  if (auto err = d->root.get_object().get(obj)) return err;
  if (auto err = obj.begin().get(d->member)) return err;
  if (auto err = obj.end().get(d->member_end)) return err;
  for (; d->member != d->member_end; ++d->member) {
    od::field field;
    if (auto err = (*d->member).get(field)) return err;
    if (json_scan::FieldKey(field) != "results") continue;
    od::array results;
    if (auto err = field.value().get_array().get(results)) return err;
    if (auto err = results.begin().get(d->result)) return err;
    return results.end().get(d->result_end);
  }
  return simdjson::NO_SUCH_FIELD;
}

// After the last query: no result may remain, nor anything after the body.
simdjson::error_code CloseResults(NodeDoc* d) {
  if (d->result != d->result_end) return simdjson::INDEX_OUT_OF_BOUNDS;
  for (++d->member; d->member != d->member_end; ++d->member) {
    od::field field;
    if (auto err = (*d->member).get(field)) return err;
  }
  return json_scan::AtEnd(d->doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

}  // namespace

Result<std::string> MergeMultiSearchResponses(const MultiSearchInfo& info,
                                              std::vector<NodeResult>& results,
                                              const MergeOptions& options) {
  simdjson::error_code err;
  std::vector<std::unique_ptr<NodeDoc>> docs = OpenNodes(results, &err);
  if (err) return NodeError("multi-search answer", err);
  if (info.federated) return MergeFederated(info, docs, options);

  for (auto& d : docs) {
    if ((err = OpenResults(d.get()))) return NodeError("multi-search answer", err);
  }
  sr::Store store;
  std::vector<sr::HitPolicy> policies;
  for (const MultiSearchQuery& q : info.queries) policies.push_back(sr::PolicyFor(q.search));
  // Queries are merged one after the other, as the nodes wrote them.
  std::vector<std::vector<Stream>> streams(info.queries.size());
  std::string out = "{\"results\":[";
  for (size_t q = 0; q < info.queries.size(); ++q) {
    streams[q] = std::vector<Stream>(docs.size());
    std::vector<Stream*> view;
    for (size_t n = 0; n < docs.size(); ++n) {
      NodeDoc* d = docs[n].get();
      if (d->result == d->result_end) return NodeError("multi-search answer",
                                                       simdjson::INDEX_OUT_OF_BOUNDS);
      od::value element;
      if ((err = (*d->result).get(element))) return NodeError("multi-search answer", err);
      Stream& s = streams[q][n];
      s.response.node_order = d->node->node_order;
      if ((err = s.reader.Start(element, d->node->body.data(), std::span(&policies[q], 1),
                                /*federated=*/false, &store, &s.response))) {
        return NodeError("multi-search answer", err);
      }
      view.push_back(&s);
    }
    if (q > 0) out.push_back(',');
    out.append("{\"indexUid\":");
    size_t uid_at = out.size();
    out.push_back(',');
    if ((err = MergeOne(info.queries[q].search, view, store, options, &out))) {
      return NodeError("multi-search answer", err);
    }
    // The uid is known once the answers are read (it may follow the hits).
    std::string uid;
    for (Stream* s : view) {
      if (!s->response.index_uid.empty()) {
        uid.assign(s->response.index_uid);
        break;
      }
    }
    if (uid.empty()) json_write::AppendString(&uid, info.queries[q].index_uid);
    out.insert(uid_at, uid);
    out.push_back('}');
    for (auto& d : docs) ++d->result;
  }
  for (auto& d : docs) {
    if ((err = CloseResults(d.get()))) return NodeError("multi-search answer", err);
  }
  out.append("]}");
  return out;
}

}  // namespace miroir
