// Index::Search and Index::FacetSearch: validation in Meilisearch's order,
// candidates, ranking, distinct, pagination and the response bodies.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <unordered_set>

#include "document_fields.hpp"
#include "facet_distribution.hpp"
#include "facet_filter.hpp"
#include "filter_eval.hpp"
#include "formatter.hpp"
#include "index.hpp"
#include "query_terms.hpp"
#include "ranking.hpp"
#include "search_query.hpp"
#include "sort_spec.hpp"
#include "text.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// A request uid like Meilisearch's (UUID v7).
std::string NewRequestUid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  uint64_t hi = (ms << 16) | 0x7000 | (rng() & 0x0FFF);
  uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string JoinSet(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool Displayed(const std::optional<std::vector<std::string>>& displayed, const std::string& f) {
  if (!displayed) return true;
  return std::any_of(displayed->begin(), displayed->end(),
                     [&](const std::string& d) { return fields::IsFacetedBy(f, d); });
}

// "a, b" or "a, <..hidden-attributes>": the listed names a client may see.
std::string VisibleList(const std::set<std::string>& names,
                        const std::optional<std::vector<std::string>>& displayed) {
  std::set<std::string> visible;
  bool hidden = false;
  for (const auto& n : names) {
    if (Displayed(displayed, n)) {
      visible.insert(n);
    } else {
      hidden = true;
    }
  }
  std::string list = JoinSet(visible);
  if (hidden) list += list.empty() ? "<..hidden-attributes>" : ", <..hidden-attributes>";
  return list;
}

}  // namespace

// One search, from the validated query to the response body.
class SearchRun {
 public:
  SearchRun(const Index& index, const SearchQuery& q)
      : index_(index), q_(q), s_(index.settings_), rules_(ParseRankingRules(s_.ranking_rules)) {}

  Result<OJson> Run();
  // The candidates (filter applied) and the ranked documents, for facet search.
  Result<Bitmap> MatchingDocuments();

 private:
  Result<void> Validate();
  Result<void> CheckSearchableOn();
  Result<void> CheckDistinct();
  Result<Bitmap> Universe();
  void PrepareSlots();
  void Rank(const Bitmap& universe);
  void RankKeywords(const Bitmap& universe);
  void BuildSegments();
  void ApplyThresholdAndDistinct(size_t needed);
  // Placeholder search without sort, distinct or threshold: the page only.
  void PageInDocumentOrder(const Bitmap& universe, uint64_t offset, uint64_t limit);
  // Placeholder search sorted by facet values, without distinct or
  // threshold: walks the first column's values in order (milli's bucket
  // sort) and stops once the page is full. False when not applicable.
  bool SortedPage(const Bitmap& universe, uint64_t offset, uint64_t limit);
  double Score(size_t candidate) const;
  OJson Details(size_t candidate) const;
  OJson Hit(size_t candidate) const;
  int Compare(size_t a, size_t b) const;

  const Index& index_;
  const SearchQuery& q_;
  const testnode::Settings& s_;
  std::vector<RankingRule> rules_;

  std::optional<filter::Node> filter_;
  std::vector<SortCriterion> sort_;
  std::optional<std::string> distinct_;
  ParsedQuery query_;
  std::vector<bool> allowed_attrs_;
  std::vector<bool> exact_attrs_;  // typoTolerance.disableOnAttributes
  size_t attribute_count_ = 1;
  size_t max_typos_ = 0;                 // typos the query's words allow
  std::vector<std::string> derivations_;  // words matched through typos or synonyms

  // The ranked candidates: documents, their keyword matches (keyword
  // search), and the sort keys of every sort criterion in rule order.
  bool keyword_ = false;
  std::vector<uint32_t> docs_;
  std::vector<KeywordMatch> matches_;
  struct SortColumn {
    const SortCriterion* criterion;
    const FacetField* field;
    bool ascending;
    std::string field_name;
    std::vector<SortKey> keys;
  };
  std::vector<SortColumn> columns_;
  // Slots in rule order: a rank rule (>= 0: RuleKind) or a sort column.
  struct Slot {
    bool sort;
    size_t index;  // rule index, or column index
  };
  std::vector<Slot> slots_;
  // The slots as comparison segments: a sort column, or a run of rank rules
  // packed into one integer per candidate where smaller is better.
  struct Segment {
    bool sort;
    size_t column;
    std::vector<uint64_t> packed;
  };
  std::vector<Segment> segments_;
  std::vector<size_t> order_;  // candidate indexes, best first
  size_t first_ = 0;           // position in order_ of the first hit to return
  size_t total_ = 0;           // matches after threshold and distinct
  Bitmap final_;               // the matching documents (facets)
};

Result<void> SearchRun::Validate() {
  if (!q_.hybrid.is_null()) {
    std::string embedder = q_.hybrid.value("embedder", "");
    if (!s_.embedders.count(embedder)) {
      return Error(ErrorCode::kInvalidSearchEmbedder,
                   "Cannot find embedder with name `" + embedder + "`.");
    }
    return Error(ErrorCode::kMiroirUnsupported,
                 "The test node does not support semantic or hybrid search.");
  }
  if (!q_.filter.is_null()) {
    auto parsed = filter::ParseJson(q_.filter, ErrorCode::kInvalidSearchFilter);
    if (!parsed) return parsed.error();
    filter_ = std::move(*parsed);
    if (filter_) {
      if (auto r = CheckContainsAllowed(*filter_, q_.filter, index_.features_.contains_filter);
          !r) {
        return r;
      }
    }
  }
  if (q_.sort) {
    auto parsed = ParseSort(*q_.sort, ErrorCode::kInvalidSearchSort);
    if (!parsed) return parsed.error();
    sort_ = std::move(*parsed);
  }
  return CheckSearchableOn();
}

Result<void> SearchRun::CheckSearchableOn() {
  std::vector<std::string> names = index_.SearchableNames();
  // With searchableAttributes ["*"] every field has weight 0 (milli's
  // FieldidsWeightsMap): one weight, whatever the number of fields.
  attribute_count_ = s_.searchable_attributes ? std::max<size_t>(names.size(), 1) : 1;
  if (!s_.typo_tolerance.disable_on_attributes.empty()) {
    exact_attrs_.assign(std::min<size_t>(names.size(), 0x2000), false);
    for (size_t i = 0; i < exact_attrs_.size(); ++i) {
      for (const auto& a : s_.typo_tolerance.disable_on_attributes) {
        if (fields::IsFacetedBy(names[i], a)) exact_attrs_[i] = true;
      }
    }
  }
  if (!q_.attributes_to_search_on) return {};
  allowed_attrs_.assign(std::min<size_t>(names.size(), 0x2000), false);
  for (const auto& attr : *q_.attributes_to_search_on) {
    bool found = false;
    for (size_t i = 0; i < allowed_attrs_.size(); ++i) {
      if (attr == "*" || fields::IsFacetedBy(names[i], attr) ||
          fields::IsFacetedBy(attr, names[i])) {
        allowed_attrs_[i] = true;
        found = true;
      }
    }
    if (!found) {
      std::set<std::string> valid(names.begin(), names.end());
      return Error(ErrorCode::kInvalidSearchAttributesToSearchOn,
                   index_.ErrorPrefix() + "Attribute `" + attr +
                       "` is not searchable. Available searchable attributes are: `" +
                       VisibleList(valid, s_.displayed_attributes) + "`.");
    }
  }
  return {};
}

Result<void> SearchRun::CheckDistinct() {
  distinct_ = q_.distinct ? q_.distinct : s_.distinct_attribute;
  if (!q_.distinct) return {};
  auto match = FirstMatchingRule(s_.filterable_attributes, *q_.distinct);
  if (match && match->rule->filterable()) return {};
  std::string message = index_.ErrorPrefix() + "Attribute `" + *q_.distinct +
                        "` is not filterable and thus, cannot be used as distinct attribute. ";
  std::set<std::string> patterns = FilterablePatterns(s_.filterable_attributes);
  if (match) {
    std::string i = std::to_string(match->index);
    message += "Note: this attribute matches rule #" + i +
               " in filterableAttributes, but this rule does not enable filtering.\nHint: enable "
               "filtering in rule #" + i + " by adding appropriate filter features.\nHint: "
               "prepend another rule matching " + *q_.distinct +
               " with filter features before rule #" + i;
  } else if (patterns.empty()) {
    message += "This index does not have configured filterable attributes.";
  } else {
    message += "Available filterable attributes patterns are: `" +
               VisibleList(patterns, s_.displayed_attributes) + "`.";
  }
  return Error(ErrorCode::kInvalidSearchDistinct, message);
}

Result<Bitmap> SearchRun::Universe() {
  Bitmap universe = index_.alive_;
  if (filter_) {
    if (auto r = CheckFilterable(*filter_, s_.filterable_attributes, q_.filter,
                                 ErrorCode::kInvalidSearchFilter);
        !r) {
      return Error(r.error().code, index_.ErrorPrefix() + r.error().message);
    }
    FilterEnv env{index_.facets_,
                  s_.filterable_attributes,
                  index_.alive_,
                  [this](std::string_view f) { return index_.FieldKnown(f); },
                  [this](uint32_t id) { return index_.Document(id); },
                  ErrorCode::kInvalidSearchFilter};
    auto matched = EvaluateFilter(*filter_, env);
    if (!matched) {
      return Error(matched.error().code, index_.ErrorPrefix() + matched.error().message);
    }
    universe &= *matched;
  }
  if (!sort_.empty()) {
    if (auto r = CheckSortable(sort_, s_.sortable_attributes, s_.displayed_attributes,
                               ErrorCode::kInvalidSearchSort, index_.ErrorPrefix());
        !r) {
      return r.error();
    }
    bool has_sort_rule = std::any_of(rules_.begin(), rules_.end(), [](const RankingRule& r) {
      return r.kind == RuleKind::kSort;
    });
    if (!has_sort_rule) {
      return Error(ErrorCode::kInvalidSearchSort,
                   index_.ErrorPrefix() +
                       "You must specify where `sort` is listed in the rankingRules setting to use "
                       "the sort parameter at search time.");
    }
  }
  if (auto r = CheckDistinct(); !r) return r.error();
  return universe;
}

// The sort columns and rank slots, in rule order: the query's criteria where
// `sort` is, custom asc/desc rules where they are, rank rules for keyword
// search only.
void SearchRun::PrepareSlots() {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const RankingRule& rule = rules_[i];
    if (rule.kind == RuleKind::kSort) {
      for (const auto& c : sort_) {
        columns_.push_back({&c, c.geo ? nullptr : index_.facets_.Get(c.field), c.ascending,
                            c.field, {}});
        slots_.push_back({true, columns_.size() - 1});
      }
    } else if (rule.kind == RuleKind::kAsc || rule.kind == RuleKind::kDesc) {
      columns_.push_back({nullptr, index_.facets_.Get(rule.field), rule.kind == RuleKind::kAsc,
                          rule.field, {}});
      slots_.push_back({true, columns_.size() - 1});
    } else if (keyword_) {
      slots_.push_back({false, i});
    }
  }
}

void SearchRun::Rank(const Bitmap& universe) {
  if (keyword_) {
    RankKeywords(universe);
  } else {
    docs_.reserve(universe.Count());
    universe.ForEach([&](uint32_t doc) { docs_.push_back(doc); });
  }
  for (auto& column : columns_) {
    column.keys.reserve(docs_.size());
    for (uint32_t doc : docs_) {
      column.keys.push_back(column.criterion && column.criterion->geo
                                ? GeoKeyOf(*column.criterion, index_.Document(doc))
                                : KeyOf(column.field, doc, column.ascending));
    }
  }
  BuildSegments();
}

namespace {

// Bits of a rank rule's packed "badness" (0: the rule cannot tell apart).
int RuleWidth(RuleKind kind) {
  switch (kind) {
    case RuleKind::kWords: return 4;
    case RuleKind::kTypo: return 5;
    case RuleKind::kProximity: return 8;
    case RuleKind::kAttribute: return 20;
    case RuleKind::kAttributeRank: return 16;
    case RuleKind::kWordPosition: return 4;
    case RuleKind::kExactness: return 6;
    default: return 0;
  }
}

uint64_t Badness(RuleKind kind, const KeywordMatch& m) {
  const uint64_t pos = std::min<uint64_t>(m.best_pos, kPositionBuckets - 1);
  switch (kind) {
    case RuleKind::kWords: return 15 - std::min<uint64_t>(m.matched_words, 15);
    case RuleKind::kTypo: return std::min<uint64_t>(m.typos, 31);
    case RuleKind::kProximity: return std::min<uint64_t>(m.proximity_cost, 255);
    case RuleKind::kAttribute: return (uint64_t{m.best_attr} << 4) | pos;
    case RuleKind::kAttributeRank: return m.best_attr;
    case RuleKind::kWordPosition: return pos;
    case RuleKind::kExactness: {
      uint64_t type = static_cast<uint64_t>(m.exact);
      uint64_t words = m.exact == ExactMatch::kNoExactMatch
                           ? 15 - std::min<uint64_t>(m.exact_words, 15)
                           : 0;
      return (type << 4) | words;
    }
    default: return 0;
  }
}

}  // namespace

void SearchRun::BuildSegments() {
  int bits = 0;
  bool open = false;
  for (const Slot& slot : slots_) {
    if (slot.sort) {
      segments_.push_back({true, slot.index, {}});
      open = false;
      continue;
    }
    const RuleKind kind = rules_[slot.index].kind;
    const int width = RuleWidth(kind);
    if (width == 0) continue;
    if (!open || bits + width > 64) {
      segments_.push_back({false, 0, std::vector<uint64_t>(docs_.size(), 0)});
      open = true;
      bits = 0;
    }
    std::vector<uint64_t>& packed = segments_.back().packed;
    for (size_t i = 0; i < docs_.size(); ++i) {
      packed[i] = (packed[i] << width) | Badness(kind, matches_[i]);
    }
    bits += width;
  }
}

void SearchRun::PageInDocumentOrder(const Bitmap& universe, uint64_t offset, uint64_t limit) {
  total_ = universe.Count();
  uint64_t seen = 0;
  universe.ForEach([&](uint32_t doc) {
    if (docs_.size() >= limit) return false;
    if (seen++ >= offset) docs_.push_back(doc);
    return true;
  });
  order_.resize(docs_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (q_.facets) final_ = universe;
}

void SearchRun::RankKeywords(const Bitmap& universe) {
  Bitmap allowed = universe;
  if (!query_.negative_words.empty()) {
    allowed -= DocumentsWithWords(query_.negative_words, index_.words_, universe.capacity());
  }
  TermSources sources{index_.words_, s_.synonyms,   allowed, allowed_attrs_,
                      s_.typo_tolerance, exact_attrs_};
  std::vector<QueryTerm> terms = BuildQueryTerms(query_, sources);
  for (const auto& t : terms) {
    max_typos_ += t.max_typos;
    derivations_.insert(derivations_.end(), t.derivations.begin(), t.derivations.end());
  }
  KeywordOptions options;
  options.strategy = q_.matching_strategy;
  options.proximity_by_attribute = s_.proximity_precision == "byAttribute";
  options.equal_attribute_weights = !s_.searchable_attributes;
  matches_ = MatchKeywords(terms, options);
  docs_.reserve(matches_.size());
  for (const auto& m : matches_) docs_.push_back(m.doc);
}

bool SearchRun::SortedPage(const Bitmap& universe, uint64_t offset, uint64_t limit) {
  const SortColumn& first = columns_[0];
  if (first.criterion && first.criterion->geo) return false;
  const uint64_t needed = offset + limit;
  std::vector<uint32_t> ordered;
  Bitmap emitted(universe.capacity());
  // Appends a bucket of equal first keys, ordered by the other columns.
  auto flush = [&](std::vector<uint32_t>& bucket) {
    if (bucket.size() > 1 && columns_.size() > 1) {
      std::vector<std::vector<SortKey>> keys(columns_.size());
      std::vector<size_t> idx(bucket.size());
      for (size_t i = 0; i < bucket.size(); ++i) idx[i] = i;
      for (size_t c = 1; c < columns_.size(); ++c) {
        for (uint32_t doc : bucket) {
          keys[c].push_back(columns_[c].criterion && columns_[c].criterion->geo
                                ? GeoKeyOf(*columns_[c].criterion, index_.Document(doc))
                                : KeyOf(columns_[c].field, doc, columns_[c].ascending));
        }
      }
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        for (size_t c = 1; c < columns_.size(); ++c) {
          int cmp = CompareKeys(keys[c][a], keys[c][b], columns_[c].ascending);
          if (cmp) return cmp < 0;
        }
        return false;
      });
      for (size_t i : idx) ordered.push_back(bucket[i]);
    } else {
      ordered.insert(ordered.end(), bucket.begin(), bucket.end());
    }
    bucket.clear();
    return ordered.size() >= needed;
  };
  std::vector<uint32_t> bucket;
  auto take = [&](const std::vector<uint32_t>& ids) {
    for (uint32_t id : ids) {
      if (universe.Test(id) && !emitted.Test(id)) {
        emitted.Set(id);
        bucket.push_back(id);
      }
    }
    return flush(bucket);
  };
  bool full = false;
  if (const FacetField* field = first.field) {
    if (first.ascending) {
      for (auto it = field->numbers.begin(); !full && it != field->numbers.end(); ++it) {
        full = take(it->second);
      }
      for (auto it = field->strings.begin(); !full && it != field->strings.end(); ++it) {
        full = take(it->second);
      }
    } else {
      for (auto it = field->numbers.rbegin(); !full && it != field->numbers.rend(); ++it) {
        full = take(it->second);
      }
      for (auto it = field->strings.rbegin(); !full && it != field->strings.rend(); ++it) {
        full = take(it->second);
      }
    }
  }
  if (!full) {
    // Documents without a value come last.
    universe.ForEach([&](uint32_t id) {
      if (!emitted.Test(id)) bucket.push_back(id);
    });
    flush(bucket);
  }
  if (ordered.size() > needed) ordered.resize(needed);
  docs_ = std::move(ordered);
  for (auto& column : columns_) {
    for (uint32_t doc : docs_) {
      column.keys.push_back(column.criterion && column.criterion->geo
                                ? GeoKeyOf(*column.criterion, index_.Document(doc))
                                : KeyOf(column.field, doc, column.ascending));
    }
  }
  order_.resize(docs_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  total_ = universe.Count();
  first_ = offset;
  if (q_.facets) final_ = universe;
  return true;
}

// <0 when candidate a ranks before b.
int SearchRun::Compare(size_t a, size_t b) const {
  for (const Segment& segment : segments_) {
    if (segment.sort) {
      const SortColumn& c = columns_[segment.column];
      int cmp = CompareKeys(c.keys[a], c.keys[b], c.ascending);
      if (cmp) return cmp;
    } else if (segment.packed[a] != segment.packed[b]) {
      return segment.packed[a] < segment.packed[b] ? -1 : 1;
    }
  }
  return docs_[a] < docs_[b] ? -1 : docs_[a] > docs_[b] ? 1 : 0;
}

double SearchRun::Score(size_t i) const {
  if (!keyword_) return 1.0;
  const KeywordMatch& m = matches_[i];
  const size_t words = query_.words.size();
  std::vector<testnode::Rank> ranks;
  for (const RankingRule& rule : rules_) {
    switch (rule.kind) {
      case RuleKind::kWords: ranks.push_back(WordsRank(m, words)); break;
      case RuleKind::kTypo: ranks.push_back(TypoRank(m, max_typos_)); break;
      case RuleKind::kProximity: ranks.push_back(ProximityRank(m)); break;
      case RuleKind::kAttribute:
        ranks.push_back(AttributeRank(m, attribute_count_));
        ranks.push_back(PositionRank(m));
        break;
      case RuleKind::kAttributeRank: ranks.push_back(AttributeRank(m, attribute_count_)); break;
      case RuleKind::kWordPosition: ranks.push_back(PositionRank(m)); break;
      case RuleKind::kExactness:
        ranks.push_back(ExactAttributeRank(m));
        if (m.exact == ExactMatch::kNoExactMatch) ranks.push_back(ExactWordsRank(m, words));
        break;
      default: break;
    }
  }
  return GlobalScore(ranks);
}

OJson SearchRun::Details(size_t i) const {
  OJson out = OJson::object();
  int order = 0;
  const size_t words = query_.words.size();
  size_t column = 0;
  auto sort_entry = [&](const SortColumn& c) {
    OJson e;
    e["order"] = order++;
    if (c.criterion && c.criterion->geo) {
      OJson point = nullptr;
      const OJson* doc = index_.Document(docs_[i]);
      if (doc && doc->contains("_geo")) point = (*doc)["_geo"];
      e["value"] = point;
      e["distance"] = c.keys[i].kind == 0 ? OJson(c.keys[i].number) : OJson(nullptr);
      char name[128];
      std::snprintf(name, sizeof(name), "_geoPoint(%g, %g):%s", c.criterion->lat,
                    c.criterion->lng, c.ascending ? "asc" : "desc");
      out[name] = std::move(e);
      return;
    }
    e["value"] = KeyToJson(c.keys[i], c.field, docs_[i]);
    out[c.field_name + (c.ascending ? ":asc" : ":desc")] = std::move(e);
  };
  for (const RankingRule& rule : rules_) {
    if (rule.kind == RuleKind::kSort) {
      for (size_t k = 0; k < sort_.size(); ++k) sort_entry(columns_[column++]);
      continue;
    }
    if (rule.kind == RuleKind::kAsc || rule.kind == RuleKind::kDesc) {
      sort_entry(columns_[column++]);
      continue;
    }
    if (!keyword_) continue;
    const KeywordMatch& m = matches_[i];
    OJson e;
    e["order"] = order++;
    switch (rule.kind) {
      case RuleKind::kWords:
        e["matchingWords"] = m.matched_words;
        e["maxMatchingWords"] = words;
        e["score"] = WordsRank(m, words).Local();
        out["words"] = std::move(e);
        break;
      case RuleKind::kTypo:
        e["typoCount"] = m.typos;
        e["maxTypoCount"] = max_typos_;
        e["score"] = TypoRank(m, max_typos_).Local();
        out["typo"] = std::move(e);
        break;
      case RuleKind::kProximity:
        e["score"] = ProximityRank(m).Local();
        out["proximity"] = std::move(e);
        break;
      case RuleKind::kAttribute: {
        testnode::Rank a = AttributeRank(m, attribute_count_);
        testnode::Rank p = PositionRank(m);
        e["attributeRankingOrderScore"] = a.Local();
        e["queryWordDistanceScore"] = p.Local();
        e["score"] = GlobalScore({a, p});
        out["attribute"] = std::move(e);
        break;
      }
      case RuleKind::kAttributeRank:
        e["score"] = AttributeRank(m, attribute_count_).Local();
        out["attributeRank"] = std::move(e);
        break;
      case RuleKind::kWordPosition:
        e["score"] = PositionRank(m).Local();
        out["wordPosition"] = std::move(e);
        break;
      case RuleKind::kExactness: {
        static constexpr const char* kTypes[] = {"exactMatch", "matchesStart", "noExactMatch"};
        e["matchType"] = kTypes[static_cast<int>(m.exact)];
        if (m.exact == ExactMatch::kNoExactMatch) {
          e["matchingWords"] = m.exact_words;
          e["maxMatchingWords"] = words;
          e["score"] = GlobalScore({ExactAttributeRank(m), ExactWordsRank(m, words)});
        } else {
          e["score"] = ExactAttributeRank(m).Local();
        }
        out["exactness"] = std::move(e);
        break;
      }
      default: break;
    }
  }
  return out;
}

void SearchRun::ApplyThresholdAndDistinct(size_t needed) {
  order_.resize(docs_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (q_.ranking_score_threshold) {
    const double threshold = *q_.ranking_score_threshold;
    std::erase_if(order_, [&](size_t i) { return Score(i) < threshold; });
  }
  const bool sorted_by_doc = segments_.empty();
  auto less = [&](size_t a, size_t b) { return Compare(a, b) < 0; };
  const FacetField* distinct_field = distinct_ ? index_.facets_.Get(*distinct_) : nullptr;
  if (distinct_) {
    if (!sorted_by_doc) std::sort(order_.begin(), order_.end(), less);
    std::unordered_set<const std::string*> seen_strings;
    std::unordered_set<double> seen_numbers;
    std::vector<size_t> kept;
    for (size_t i : order_) {
      const FacetField::DocValues* v =
          distinct_field ? distinct_field->ValuesOf(docs_[i]) : nullptr;
      if (!v || (v->numbers.empty() && v->strings.empty())) {
        kept.push_back(i);
        continue;
      }
      bool dup = std::any_of(v->numbers.begin(), v->numbers.end(),
                             [&](double n) { return seen_numbers.count(n) > 0; }) ||
                 std::any_of(v->strings.begin(), v->strings.end(),
                             [&](const auto& s) { return seen_strings.count(s.first) > 0; });
      if (dup) continue;
      for (double n : v->numbers) seen_numbers.insert(n);
      for (const auto& s : v->strings) seen_strings.insert(s.first);
      kept.push_back(i);
    }
    order_ = std::move(kept);
  } else if (!sorted_by_doc) {
    if (needed < order_.size()) {
      std::partial_sort(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(needed),
                        order_.end(), less);
    } else {
      std::sort(order_.begin(), order_.end(), less);
    }
  }
  total_ = order_.size();
  if (q_.facets) {
    final_ = Bitmap(index_.docs_.size());
    for (size_t i : order_) final_.Set(docs_[i]);
  }
}

OJson SearchRun::Hit(size_t i) const {
  const uint32_t doc = docs_[i];
  const OJson& source = index_.docs_[doc];
  OJson hit = index_.Displayed(source, q_.attributes_to_retrieve, q_.retrieve_vectors);
  for (const auto& c : columns_) {
    if (c.criterion && c.criterion->geo && c.keys[i].kind == 0) {
      hit["_geoDistance"] = static_cast<uint64_t>(std::llround(c.keys[i].number));
      break;
    }
  }
  const bool format = (q_.attributes_to_highlight && !q_.attributes_to_highlight->empty()) ||
                      (q_.attributes_to_crop && !q_.attributes_to_crop->empty());
  if (format || q_.show_matches_position) {
    OJson displayed = index_.Displayed(source, std::nullopt, false);
    MatchWords words;
    words.words = query_.words;
    if (query_.last_is_prefix && !words.words.empty()) {
      words.prefix = words.words.back();
      words.words.pop_back();
    }
    words.words.insert(words.words.end(), derivations_.begin(), derivations_.end());
    if (format) {
      std::map<std::string, FormatOptions> options;
      auto displayed_field = [&](const std::string& f) {
        return f == "*" || Displayed(s_.displayed_attributes, f);
      };
      if (q_.attributes_to_highlight) {
        for (const auto& f : *q_.attributes_to_highlight) {
          if (displayed_field(f)) options[f].highlight = true;
        }
      }
      if (q_.attributes_to_crop) {
        for (const auto& entry : *q_.attributes_to_crop) {
          std::string name = entry;
          size_t length = q_.crop_length;
          if (size_t colon = entry.rfind(':'); colon != std::string::npos) {
            std::string_view digits = std::string_view(entry).substr(colon + 1);
            auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
            if (!digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit)) {
              name = entry.substr(0, colon);
              length = std::stoul(std::string(digits));
            }
          }
          if (displayed_field(name)) options[name].crop = length;
        }
      }
      if (options.count("*")) {
        FormatOptions all = options["*"];
        options.erase("*");
        for (auto it = displayed.begin(); it != displayed.end(); ++it) {
          FormatOptions& o = options[it.key()];
          o.highlight = o.highlight || all.highlight;
          if (all.crop && !o.crop) o.crop = all.crop;
        }
      }
      if (!options.empty()) {
        std::vector<std::string> retrieved;
        OJson shown = index_.Displayed(source, q_.attributes_to_retrieve, q_.retrieve_vectors);
        for (auto it = shown.begin(); it != shown.end(); ++it) retrieved.push_back(it.key());
        FormatStyle style{q_.highlight_pre_tag, q_.highlight_post_tag, q_.crop_marker};
        hit["_formatted"] = FormatDocument(displayed, options, retrieved, words, style);
      }
    }
    if (q_.show_matches_position) hit["_matchesPosition"] = MatchesPosition(displayed, words);
  }
  if (q_.show_ranking_score) hit["_rankingScore"] = Score(i);
  if (q_.show_ranking_score_details) hit["_rankingScoreDetails"] = Details(i);
  return hit;
}

Result<Bitmap> SearchRun::MatchingDocuments() {
  if (auto r = Validate(); !r) return r.error();
  auto universe = Universe();
  if (!universe) return universe;
  query_ = ParseQueryText(q_.q.value_or(""), s_.stop_words, s_.prefix_search != "disabled");
  keyword_ = !query_.words.empty();
  if (!keyword_) return *universe;
  PrepareSlots();
  Rank(*universe);
  Bitmap out(index_.docs_.size());
  for (uint32_t doc : docs_) out.Set(doc);
  return out;
}

Result<OJson> SearchRun::Run() {
  const auto started = Clock::now();
  if (auto r = Validate(); !r) return r.error();
  auto universe = Universe();
  if (!universe) return universe.error();
  query_ = ParseQueryText(q_.q.value_or(""), s_.stop_words, s_.prefix_search != "disabled");
  keyword_ = !query_.words.empty();

  // Pagination, capped by maxTotalHits as Meilisearch caps it.
  const uint64_t max_total = s_.max_total_hits;
  uint64_t offset = q_.offset;
  uint64_t limit = q_.limit;
  const bool finite = q_.finite_pagination();
  const uint64_t hits_per_page = q_.hits_per_page.value_or(20);
  const uint64_t page = q_.page.value_or(1);
  if (finite) {
    offset = page == 0 ? 0 : (page - 1) * hits_per_page;
    limit = page == 0 ? 0 : hits_per_page;
  }
  offset = std::min(offset, max_total);
  limit = std::min(limit, max_total - offset);

  PrepareSlots();
  const bool plain = !keyword_ && !distinct_ && !q_.ranking_score_threshold;
  if (plain && columns_.empty()) {
    PageInDocumentOrder(*universe, offset, limit);
  } else if (plain && SortedPage(*universe, offset, limit)) {
    // docs_ holds the first offset + limit documents in order.
  } else {
    Rank(*universe);
    const size_t needed = static_cast<size_t>(std::min<uint64_t>(offset + limit, docs_.size()));
    ApplyThresholdAndDistinct(needed);
    first_ = offset;
  }

  OJson hits = OJson::array();
  for (uint64_t k = first_; k < order_.size() && k - first_ < limit; ++k) {
    hits.push_back(Hit(order_[k]));
  }
  const uint64_t total = std::min<uint64_t>(total_, max_total);

  OJson facets_distribution;
  OJson facets_stats;
  if (q_.facets) {
    if (auto r = CheckFacetPatterns(*q_.facets, s_.filterable_attributes); !r) return r.error();
    FacetsResult computed = ComputeFacets(*q_.facets, index_.fields_, s_.filterable_attributes,
                                          index_.facets_, final_, index_.count_, s_.faceting);
    facets_distribution = std::move(computed.distribution);
    facets_stats = std::move(computed.stats);
  }

  OJson out;
  out["hits"] = std::move(hits);
  out["query"] = q_.q.value_or("");
  out["processingTimeMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                Clock::now() - started)
                                .count();
  if (finite) {
    out["hitsPerPage"] = hits_per_page;
    out["page"] = page;
    out["totalPages"] = hits_per_page == 0 ? 0 : (total + hits_per_page - 1) / hits_per_page;
    out["totalHits"] = total;
  } else {
    out["limit"] = q_.limit;
    out["offset"] = offset;
    out["estimatedTotalHits"] = total;
  }
  if (q_.facets) {
    out["facetDistribution"] = std::move(facets_distribution);
    out["facetStats"] = std::move(facets_stats);
  }
  out["requestUid"] = NewRequestUid();
  return out;
}

Result<nlohmann::ordered_json> Index::Search(const Json& query) const {
  auto q = ParseSearchQuery(query);
  if (!q) return q.error();
  SearchRun run(*this, *q);
  return run.Run();
}

namespace {

// A facet value or query folded like words (lowercase, no accents), words
// separated by one space.
std::string Fold(std::string_view s) {
  std::string out;
  text::ForEachWord(s, [&](const text::Word& w) {
    if (!out.empty()) out += ' ';
    out += w.normalized;
  });
  return out;
}

// Edit distance between `query` and the closest prefix of `value`.
size_t PrefixDistance(std::string_view query, std::string_view value) {
  std::vector<size_t> prev(value.size() + 1);
  std::vector<size_t> cur(value.size() + 1);
  for (size_t j = 0; j <= value.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= query.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= value.size(); ++j) {
      size_t cost = query[i - 1] == value[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return *std::min_element(prev.begin(), prev.end());
}

Error NotFacetSearchable(const std::string& name, const std::vector<FilterableRule>& rules,
                         const std::optional<std::vector<std::string>>& displayed) {
  std::string message = "Attribute `" + name + "` is not facet-searchable. ";
  auto match = FirstMatchingRule(rules, name);
  std::set<std::string> patterns = FacetSearchablePatterns(rules);
  if (match) {
    std::string i = std::to_string(match->index);
    message += "Note: this attribute matches rule #" + i +
               " in filterableAttributes, but this rule does not enable facetSearch.\nHint: "
               "enable facetSearch in rule #" + i +
               " by adding `\"facetSearch\": true` to the rule.\nHint: prepend another rule "
               "matching " + name + " with facetSearch: true before rule #" + i;
  } else if (patterns.empty()) {
    message += "This index does not have configured facet-searchable attributes. To make it "
               "facet-searchable add it to the `filterableAttributes` index settings.";
  } else {
    message += "Available facet-searchable attributes patterns are: `" +
               VisibleList(patterns, displayed) +
               "`. To make it facet-searchable add it to the `filterableAttributes` index "
               "settings.";
  }
  return Error(ErrorCode::kInvalidFacetSearchFacetName, message);
}

}  // namespace

Result<nlohmann::ordered_json> Index::FacetSearch(const Json& query) const {
  const auto started = Clock::now();
  auto fq = ParseFacetSearchQuery(query);
  if (!fq) return fq.error();
  if (!settings_.facet_search) {
    return Error(ErrorCode::kFacetSearchDisabled, "The facet search is disabled for this index");
  }
  auto match = FirstMatchingRule(settings_.filterable_attributes, fq->facet_name);
  if (!match || !match->rule->facet_search) {
    return NotFacetSearchable(fq->facet_name, settings_.filterable_attributes,
                              settings_.displayed_attributes);
  }
  SearchRun run(*this, fq->search);
  auto candidates = run.MatchingDocuments();
  if (!candidates) return candidates.error();

  struct Hit {
    const std::string* normalized;
    const std::string* original;
    uint64_t count;
  };
  std::vector<Hit> found;
  if (const FacetField* field = facets_.Get(fq->facet_name)) {
    std::string folded_query = fq->facet_query ? Fold(*fq->facet_query) : "";
    const TypoTolerance& typo = settings_.typo_tolerance;
    size_t allowed = 0;
    if (typo.enabled && !typo.disable_on_words.count(folded_query)) {
      if (folded_query.size() >= typo.two_typos) {
        allowed = 2;
      } else if (folded_query.size() >= typo.one_typo) {
        allowed = 1;
      }
    }
    for (const auto& [normalized, ids] : field->strings) {
      if (!folded_query.empty()) {
        std::string value = Fold(normalized);
        bool prefix = value.compare(0, folded_query.size(), folded_query) == 0;
        if (!prefix && (allowed == 0 || PrefixDistance(folded_query, value) > allowed)) continue;
      }
      Hit hit{&normalized, nullptr, 0};
      for (uint32_t id : ids) {
        if (!candidates->Test(id)) continue;
        if (!hit.original) {
          for (const auto& s : field->docs[id].strings) {
            if (s.first == &normalized) hit.original = &s.second;
          }
        }
        ++hit.count;
      }
      if (hit.count) found.push_back(hit);
    }
  }
  auto order = settings_.faceting.sort_facet_values_by.find(fq->facet_name);
  if (order == settings_.faceting.sort_facet_values_by.end()) {
    order = settings_.faceting.sort_facet_values_by.find("*");
  }
  if (order != settings_.faceting.sort_facet_values_by.end() && order->second == "count") {
    std::stable_sort(found.begin(), found.end(),
                     [](const Hit& a, const Hit& b) { return a.count > b.count; });
  }
  if (found.size() > settings_.faceting.max_values_per_facet) {
    found.resize(settings_.faceting.max_values_per_facet);
  }
  OJson hits = OJson::array();
  for (const Hit& h : found) {
    OJson e;
    e["value"] = h.original ? *h.original : *h.normalized;
    e["count"] = h.count;
    hits.push_back(std::move(e));
  }
  OJson out;
  out["facetHits"] = std::move(hits);
  out["facetQuery"] = fq->facet_query ? OJson(*fq->facet_query) : OJson(nullptr);
  out["processingTimeMs"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return out;
}

}  // namespace miroir::testnode
