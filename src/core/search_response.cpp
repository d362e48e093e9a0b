#include "core/search_response.hpp"

#include <algorithm>
#include <utility>

namespace miroir::search_response {

namespace od = simdjson::ondemand;
using rank::RankValue;

HitPolicy PolicyFor(const SearchRequestInfo& info) {
  HitPolicy p;
  p.keep_ranking_score = info.show_ranking_score;
  // Details Miroir asked for are dropped unless the client asked too.
  p.keep_score_details = !info.compare_score_details || info.show_ranking_score_details;
  p.parse_score_details = info.compare_score_details;
  p.added_fields = &info.added_fields;
  p.distinct = info.distinct;
  if (info.compare_score_details) p.sort = rank::ParseSortSpecs(info.sort);
  return p;
}

namespace {

constexpr int kMaxWalkDepth = 64;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool IsReserved(std::string_view key) { return StartsWith(key, "_miroir_"); }

inline bool IsAdded(const HitPolicy& policy, std::string_view key) {
  if (policy.added_fields == nullptr || policy.added_fields->empty()) return false;
  for (const std::string& f : *policy.added_fields) {
    if (f == key) return true;
  }
  return false;
}

// --- Distinct values and sort keys read from documents -----------------------

// A path of interest ("color", "a.b") and who consumes its leaves: bit 0 is
// the distinct attribute, bit i+1 the i-th sort key.
struct Target {
  std::string_view path;
  uint32_t consumer;
};

struct LeafSink {
  Store* store;
  RankValue* keys;  // one per sort spec
  const std::vector<rank::SortSpec>* sort;

  void Leaf(uint32_t consumers, const RankValue& leaf, bool number, std::string_view raw) {
    for (uint32_t bits = consumers; bits != 0; bits &= bits - 1) {
      int consumer = __builtin_ctz(bits);
      if (consumer == 0) {
        store->distinct.push_back(DistinctValue{number, number ? raw : leaf.text});
      } else {
        const rank::SortSpec& spec = (*sort)[static_cast<size_t>(consumer - 1)];
        rank::FoldSortLeaf(spec.ascending, leaf, &keys[consumer - 1]);
      }
    }
  }
};

simdjson::error_code Walk(od::value value, uint32_t exact, const std::vector<Target>& nested,
                          LeafSink* sink, int depth);

// Splits `targets` against one member key: consumers whose path is the key,
// and targets whose path continues below it.
uint32_t Match(std::string_view key, const std::vector<Target>& targets,
               std::vector<Target>* nested) {
  uint32_t exact = 0;
  nested->clear();
  for (const Target& t : targets) {
    if (t.path == key) {
      exact |= 1u << t.consumer;
    } else if (t.path.size() > key.size() && StartsWith(t.path, key) &&
               t.path[key.size()] == '.') {
      nested->push_back(Target{t.path.substr(key.size() + 1), t.consumer});
    }
  }
  return exact;
}

simdjson::error_code WalkObject(od::object obj, const std::vector<Target>& targets,
                                LeafSink* sink, int depth) {
  std::vector<Target> nested;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    uint32_t exact = Match(json_scan::FieldKey(field), targets, &nested);
    if (exact != 0 || !nested.empty()) {
      if (auto err = Walk(field.value(), exact, nested, sink, depth + 1)) return err;
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code Walk(od::value value, uint32_t exact, const std::vector<Target>& nested,
                          LeafSink* sink, int depth) {
  if (depth > kMaxWalkDepth) return simdjson::SUCCESS;  // left unread: skipped by the caller
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  RankValue leaf;
  switch (type) {
    case od::json_type::number: {
      if (exact == 0) return simdjson::SUCCESS;
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && json_scan::IsJsonSpace(raw.back())) raw.remove_suffix(1);
      leaf.type = RankValue::Type::kNumber;
      if (auto err = value.get_double().get(leaf.number)) return err;
      sink->Leaf(exact, leaf, /*number=*/true, raw);
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      if (exact == 0) return simdjson::SUCCESS;
      od::raw_json_string raw;
      if (auto err = value.get_raw_json_string().get(raw)) return err;
      bool ok = true;
      std::string_view text = json_scan::Unescape(json_scan::KeyText(raw), &sink->store->arena, &ok);
      if (!ok) return simdjson::STRING_ERROR;
      leaf.type = RankValue::Type::kString;
      leaf.text = rank::NormalizeFacetString(text, &sink->store->arena);
      sink->Leaf(exact, leaf, /*number=*/false, {});
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      if (exact == 0) return simdjson::SUCCESS;
      bool b = false;
      if (auto err = value.get_bool().get(b)) return err;
      leaf.type = RankValue::Type::kString;
      leaf.text = b ? "true" : "false";
      sink->Leaf(exact, leaf, /*number=*/false, {});
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto err = value.get_array().get(arr)) return err;
      for (auto element_result : arr) {
        od::value element;
        if (auto err = std::move(element_result).get(element)) return err;
        if (auto err = Walk(element, exact, nested, sink, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      if (nested.empty()) return simdjson::SUCCESS;
      od::object obj;
      if (auto err = value.get_object().get(obj)) return err;
      return WalkObject(obj, nested, sink, depth);
    }
    case od::json_type::null:
      return simdjson::SUCCESS;
  }
  return simdjson::SUCCESS;
}

// --- Hits -------------------------------------------------------------------

enum class KeyKind : uint8_t;

struct PendingMember {
  const char* key_quote;
  std::string_view key;
  KeyKind kind;
  uint32_t inner_begin;  // cuts inside the value (in the scratch list)
  uint32_t inner_count;
};

}  // namespace

struct HitScratch {
  std::vector<PendingMember> members;
  std::vector<json_scan::Cut> inner_cuts;
  std::vector<Target> targets;
  std::vector<Target> nested;
};

namespace {


// Drops `_miroir_*` and added members inside _formatted / _matchesPosition.
simdjson::error_code StripInner(od::value value, const char* base, const HitPolicy& policy,
                                std::vector<json_scan::Cut>* cuts) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  if (type != od::json_type::object) return simdjson::SUCCESS;
  od::object obj;
  if (auto err = value.get_object().get(obj)) return err;
  json_scan::CutBuilder builder(base, cuts);
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key = json_scan::FieldKey(field);
    bool keep = !IsReserved(key) && !IsAdded(policy, key);
    if (!builder.Member(json_scan::KeyQuote(field.key()), keep)) return simdjson::TAPE_ERROR;
  }
  const char* next = nullptr;
  if (auto err = value.current_location().get(next)) return err;
  const char* close = json_scan::CloserBefore(next, base);
  if (close == nullptr || *close != '}') return simdjson::TAPE_ERROR;
  builder.Finish(close);
  return simdjson::SUCCESS;
}

simdjson::error_code ParseFederation(od::value value, Hit* hit) {
  od::object obj;
  if (auto err = value.get_object().get(obj)) return err;
  bool has_position = false, has_score = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key = json_scan::FieldKey(field);
    if (key == "queriesPosition") {
      uint64_t position = 0;
      if (auto err = field.value().get_uint64().get(position)) return err;
      hit->query = static_cast<uint32_t>(std::min<uint64_t>(position, UINT32_MAX));
      has_position = true;
    } else if (key == "weightedRankingScore") {
      if (auto err = field.value().get_double().get(hit->score)) return err;
      has_score = true;
    }
  }
  return has_position && has_score ? simdjson::SUCCESS : simdjson::NO_SUCH_FIELD;
}

enum class KeyKind : uint8_t {
  kDocument,    // a document field
  kMeta,        // another member Meilisearch adds (_vectors, _geo...): kept
  kReserved,    // _miroir_*: dropped
  kScore,       // _rankingScore
  kDetails,     // _rankingScoreDetails
  kFederation,  // _federation
  kFormatted,   // _formatted / _matchesPosition: kept, filtered inside
  kGeoDistance  // _geoDistance
};

// REQUIRES: key starts with '_'.
KeyKind Classify(std::string_view key, bool documents) {
  if (IsReserved(key)) return KeyKind::kReserved;
  if (documents) return KeyKind::kDocument;
  // Dispatch on the length first: one comparison per member instead of a
  // chain of them.
  switch (key.size()) {
    case 13:
      if (key == "_rankingScore") return KeyKind::kScore;
      break;
    case 20:
      if (key == "_rankingScoreDetails") return KeyKind::kDetails;
      break;
    case 11:
      if (key == "_federation") return KeyKind::kFederation;
      break;
    case 10:
      if (key == "_formatted") return KeyKind::kFormatted;
      break;
    case 16:
      if (key == "_matchesPosition") return KeyKind::kFormatted;
      break;
    case 12:
      if (key == "_geoDistance") return KeyKind::kGeoDistance;
      break;
    default:
      break;
  }
  return KeyKind::kMeta;
}

inline bool Keep(KeyKind kind, const HitPolicy& policy, std::string_view key) {
  switch (kind) {
    case KeyKind::kDocument: return !IsAdded(policy, key);
    case KeyKind::kReserved: return false;
    case KeyKind::kScore: return policy.keep_ranking_score;
    case KeyKind::kDetails: return policy.keep_score_details;
    default: return true;
  }
}

simdjson::error_code ParseHit(od::value hit_value, const char* base,
                              std::span<const HitPolicy> policies, bool federated, Store* store,
                              HitScratch* scratch, Hit* hit) {
  const char* open = hit_value.raw_json_token().data();
  od::object obj;
  if (auto err = hit_value.get_object().get(obj)) return err;
  // The policy of a federated hit is that of its query, named in
  // `_federation` (after the document, before _formatted and the scores), so
  // which members to keep is decided once the hit is read. Otherwise it is
  // known upfront and cuts are made as members go by.
  const bool streaming = !federated;
  const HitPolicy* policy = federated ? nullptr : &policies[0];
  const HitPolicy& early = policies[0];  // for reading the document fields
  std::vector<json_scan::Cut>* inner_cuts = streaming ? &store->cuts : &scratch->inner_cuts;
  scratch->members.clear();
  scratch->inner_cuts.clear();
  hit->cut_begin = static_cast<uint32_t>(store->cuts.size());
  json_scan::CutBuilder builder(base, &store->cuts);

  // Sort keys (non-federated) and distinct values read from the document.
  scratch->targets.clear();
  if (!early.distinct.empty()) scratch->targets.push_back(Target{early.distinct, 0});
  const std::vector<rank::SortSpec>* sort = federated ? nullptr : &early.sort;
  size_t spec_count = sort != nullptr ? std::min<size_t>(sort->size(), 31) : 0;
  hit->key_begin = static_cast<uint32_t>(store->ranks.size());
  hit->key_count = static_cast<uint32_t>(spec_count);
  for (size_t i = 0; i < spec_count; ++i) {
    RankValue key;
    key.kind = (*sort)[i].geo ? RankValue::Kind::kGeo : RankValue::Kind::kSort;
    key.ascending = (*sort)[i].ascending;
    store->ranks.push_back(key);
    if (!(*sort)[i].geo) {
      scratch->targets.push_back(Target{(*sort)[i].field, static_cast<uint32_t>(i + 1)});
    }
  }
  hit->distinct_begin = static_cast<uint32_t>(store->distinct.size());
  const bool document_keys_needed =
      federated || !scratch->targets.empty() ||
      (policy->added_fields != nullptr && !policy->added_fields->empty());

  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    // Most members are plain document fields that are kept: their key is
    // only read when something is looked up by name.
    const char* key_quote = json_scan::KeyQuote(field.key());
    bool underscore = key_quote[1] == '_';
    std::string_view key;
    if (underscore || document_keys_needed) key = json_scan::FieldKey(field);
    KeyKind kind = underscore ? Classify(key, early.documents) : KeyKind::kDocument;
    uint32_t inner_begin = static_cast<uint32_t>(inner_cuts->size());
    if (streaming && !builder.Member(key_quote, Keep(kind, *policy, key))) {
      return simdjson::TAPE_ERROR;
    }
    od::value value = field.value();
    const HitPolicy& current = policy != nullptr ? *policy : early;
    switch (kind) {
      case KeyKind::kScore:
        if (!federated) {
          if (auto err = value.get_double().get(hit->score)) return err;
        }
        break;
      case KeyKind::kDetails:
        if (current.parse_score_details) {
          od::object details;
          if (auto err = value.get_object().get(details)) return err;
          hit->rank_begin = static_cast<uint32_t>(store->ranks.size());
          if (auto err = rank::ParseScoreDetails(details, &store->ranks, &store->arena)) {
            return err;
          }
          hit->rank_count = static_cast<uint32_t>(store->ranks.size()) - hit->rank_begin;
          hit->has_details = true;
        }
        break;
      case KeyKind::kFederation:
        if (federated) {
          if (auto err = ParseFederation(value, hit)) return err;
          if (hit->query >= policies.size()) return simdjson::INDEX_OUT_OF_BOUNDS;
          policy = &policies[hit->query];
        }
        break;
      case KeyKind::kFormatted:
        if (auto err = StripInner(value, base, current, inner_cuts)) return err;
        break;
      case KeyKind::kGeoDistance: {
        double distance = 0;
        if (value.get_double().get(distance) == simdjson::SUCCESS) {
          for (size_t i = 0; i < spec_count; ++i) {
            if ((*sort)[i].geo) {
              RankValue& k = store->ranks[hit->key_begin + i];
              k.type = RankValue::Type::kNumber;
              k.number = distance;
            }
          }
        }
        break;
      }
      case KeyKind::kDocument:
        if (!scratch->targets.empty()) {
          uint32_t exact = Match(key, scratch->targets, &scratch->nested);
          if (exact != 0 || !scratch->nested.empty()) {
            // Taken afresh for each member: parsing score details appends to
            // store->ranks; the walk itself does not.
            LeafSink sink{store, store->ranks.data() + hit->key_begin, sort};
            if (auto err = Walk(value, exact, scratch->nested, &sink, 1)) return err;
          }
        }
        break;
      default:
        break;
    }
    if (!streaming) {
      scratch->members.push_back(PendingMember{
          key_quote, key, kind, inner_begin,
          static_cast<uint32_t>(inner_cuts->size()) - inner_begin});
    }
  }
  hit->distinct_count = static_cast<uint32_t>(store->distinct.size()) - hit->distinct_begin;

  const char* next = nullptr;
  if (auto err = hit_value.current_location().get(next)) return err;
  const char* close = json_scan::CloserBefore(next, open);
  if (close == nullptr || *close != '}') return simdjson::TAPE_ERROR;
  if (policy == nullptr) return simdjson::NO_SUCH_FIELD;  // federated hit without _federation

  hit->begin = static_cast<uint32_t>(open - base);
  hit->end = static_cast<uint32_t>(close + 1 - base);
  for (const PendingMember& m : scratch->members) {
    bool keep = Keep(m.kind, *policy, m.key);
    if (!builder.Member(m.key_quote, keep)) return simdjson::TAPE_ERROR;
    if (keep && m.inner_count > 0) {
      store->cuts.insert(store->cuts.end(), scratch->inner_cuts.begin() + m.inner_begin,
                         scratch->inner_cuts.begin() + m.inner_begin + m.inner_count);
    }
  }
  builder.Finish(close);
  hit->cut_count = static_cast<uint32_t>(store->cuts.size()) - hit->cut_begin;
  return simdjson::SUCCESS;
}

simdjson::error_code ReadRaw(od::value value, std::string_view* out) {
  return json_scan::RawValue(value).get(*out);
}

simdjson::error_code ParseFacetsByIndex(od::value value, Response* out) {
  od::object indexes;
  if (auto err = value.get_object().get(indexes)) return err;
  for (auto index_result : indexes) {
    od::field index;
    if (auto err = std::move(index_result).get(index)) return err;
    auto& [uid, block] = out->facets_by_index.emplace_back(json_scan::FieldKey(index),
                                                           facets::Block{});
    (void)uid;
    od::object parts;
    if (auto err = index.value().get_object().get(parts)) return err;
    for (auto part_result : parts) {
      od::field part;
      if (auto err = std::move(part_result).get(part)) return err;
      std::string_view name = json_scan::FieldKey(part);
      if (name == "distribution") {
        if (auto err = facets::ParseDistribution(part.value(), &block)) return err;
      } else if (name == "stats") {
        if (auto err = facets::ParseStats(part.value(), &block)) return err;
      }
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

simdjson::error_code ParseHitArray(od::value array, const char* base, const HitPolicy& policy,
                                   Store* store, std::vector<Hit>* out) {
  od::array hits;
  if (auto err = array.get_array().get(hits)) return err;
  HitScratch scratch;
  for (auto hit_result : hits) {
    od::value hit_value;
    if (auto err = std::move(hit_result).get(hit_value)) return err;
    if (auto err = ParseHit(hit_value, base, std::span(&policy, 1), /*federated=*/false, store,
                            &scratch, &out->emplace_back())) {
      return err;
    }
  }
  return simdjson::SUCCESS;
}

ResponseReader::ResponseReader() : scratch_(new HitScratch) {}
ResponseReader::~ResponseReader() { delete scratch_; }

simdjson::error_code ResponseReader::Start(od::value object, const char* base,
                                           std::span<const HitPolicy> policies, bool federated,
                                           Store* store, Response* out,
                                           std::string_view whole_body) {
  base_ = base;
  whole_body_ = whole_body;
  policies_ = policies;
  federated_ = federated;
  store_ = store;
  out_ = out;
  out->base = base;
  if (auto err = object.get_object().get(object_)) return err;
  if (auto err = object_.begin().get(member_)) return err;
  if (auto err = object_.end().get(member_end_)) return err;
  return ReadMembersUntilHits();
}

simdjson::error_code ResponseReader::ReadMembersUntilHits() {
  for (; member_ != member_end_; ++member_) {
    od::field field;
    if (auto err = (*member_).get(field)) return err;
    std::string_view key = json_scan::FieldKey(field);
    if (key == "hits" && !has_hits_) {
      has_hits_ = true;
      od::array hits;
      if (auto err = field.value().get_array().get(hits)) return err;
      if (auto err = hits.begin().get(hit_)) return err;
      if (auto err = hits.end().get(hit_end_)) return err;
      in_hits_ = true;
      return simdjson::SUCCESS;  // positioned on the first hit
    }
    if (auto err = ReadMember(key, field.value())) return err;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ResponseReader::Next(bool* more) {
  *more = false;
  if (!in_hits_) return simdjson::SUCCESS;
  if (hit_ == hit_end_) {
    in_hits_ = false;
    ++member_;
    return ReadMembersUntilHits();
  }
  od::value hit_value;
  if (auto err = (*hit_).get(hit_value)) return err;
  Hit& hit = out_->hits.emplace_back();
  if (auto err = ParseHit(hit_value, base_, policies_, federated_, store_, scratch_, &hit)) {
    return err;
  }
  ++hit_;
  *more = true;
  return simdjson::SUCCESS;
}

// Meilisearch writes "hits" first and "query" right after it, so a merge that
// stops early would skip every unread hit, structural by structural, only to
// reach a few small members. Instead the text from the last `],"query":` on
// is read as an object of its own: quotes inside JSON strings are escaped, so
// that byte sequence after the real end of the hits could only be another
// array followed by a key "query", which no answer has; and one found inside
// a hit leaves unbalanced brackets behind it, which the strict read of the
// copy refuses. Anything unexpected falls back to skipping.
std::optional<simdjson::error_code> ResponseReader::ReadTailApart() {
  static constexpr std::string_view kHitsEnd = "],\"query\":";
  const size_t end = whole_body_.rfind(kHitsEnd);
  if (end == std::string_view::npos) return std::nullopt;
  std::string& tail = store_->arena.emplace_back();
  const std::string_view rest = whole_body_.substr(end + 2);
  tail.reserve(1 + rest.size() + simdjson::SIMDJSON_PADDING);
  tail.push_back('{');
  tail.append(rest);
  thread_local od::parser parser;
  // Two passes: the first proves the tail is one well-formed object with no
  // second "hits", the second records it — so a refusal leaves `out_` as is.
  // An error of the second pass (a member of the wrong type) is the answer's.
  for (bool record : {false, true}) {
    od::document doc;
    od::object object;
    if (parser.iterate(tail.data(), tail.size(), tail.capacity()).get(doc) ||
        doc.get_object().get(object)) {
      return std::nullopt;
    }
    for (auto member : object) {
      od::field field;
      if (std::move(member).get(field)) return std::nullopt;
      std::string_view key = json_scan::FieldKey(field);
      if (key == "hits") return std::nullopt;
      if (record) {
        if (auto err = ReadMember(key, field.value())) return err;
      } else {
        std::string_view raw;
        if (ReadRaw(field.value(), &raw)) return std::nullopt;
      }
    }
    if (!json_scan::AtEnd(doc)) return std::nullopt;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ResponseReader::Finish() {
  if (in_hits_ && !whole_body_.empty()) {
    if (auto result = ReadTailApart()) {
      in_hits_ = false;
      read_tail_apart_ = true;
      return *result;
    }
  }
  if (in_hits_) {
    // Leaving the hits array: simdjson skips the unread hits by depth.
    in_hits_ = false;
    ++member_;
    if (auto err = ReadMembersUntilHits()) return err;
  }
  // A second "hits" member would have stopped ReadMembersUntilHits(); the
  // answer is malformed then.
  if (in_hits_) return simdjson::TAPE_ERROR;
  return has_hits_ ? simdjson::SUCCESS : simdjson::NO_SUCH_FIELD;
}

simdjson::error_code ResponseReader::ReadMember(std::string_view key, od::value value) {
  Response* out = out_;
  simdjson::error_code err = simdjson::SUCCESS;
  if (key == "estimatedTotalHits" || key == "totalHits") {
    err = value.get_uint64().get(out->total_hits);
  } else if (key == "processingTimeMs") {
    err = value.get_uint64().get(out->processing_time_ms);
  } else if (key == "limit" || key == "offset" || key == "hitsPerPage" || key == "page" ||
             key == "totalPages" || key == "remoteErrors" || key == "hits") {
    // Recomputed by the merge, or node-local. (A repeated "hits" is ignored.)
  } else if (key == "query") {
    err = ReadRaw(value, &out->query);
  } else if (key == "indexUid") {
    err = ReadRaw(value, &out->index_uid);
  } else if (key == "queryVector") {
    err = ReadRaw(value, &out->query_vector);
  } else if (key == "queryVectors") {
    err = ReadRaw(value, &out->query_vectors);
  } else if (key == "requestUid") {
    err = ReadRaw(value, &out->request_uid);
  } else if (key == "metadata") {
    err = ReadRaw(value, &out->metadata);
  } else if (key == "performanceDetails") {
    err = ReadRaw(value, &out->performance_details);
  } else if (key == "semanticHitCount") {
    bool is_null = false;
    if (!(err = value.is_null().get(is_null)) && !is_null) {
      out->has_semantic_hit_count = true;
      err = value.get_uint64().get(out->semantic_hit_count);
    }
  } else if (key == "facetDistribution") {
    err = facets::ParseDistribution(value, &out->facets);
  } else if (key == "facetStats") {
    err = facets::ParseStats(value, &out->facets);
  } else if (key == "facetsByIndex") {
    err = ParseFacetsByIndex(value, out);
  } else {
    std::string_view raw;
    err = ReadRaw(value, &raw);
    out->extra.emplace_back(key, raw);
  }
  return err;
}

simdjson::error_code ParseResponse(od::value object, const char* base,
                                   std::span<const HitPolicy> policies, bool federated,
                                   Store* store, Response* out) {
  ResponseReader reader;
  if (auto err = reader.Start(object, base, policies, federated, store, out)) return err;
  for (bool more = true; more;) {
    if (auto err = reader.Next(&more)) return err;
  }
  return reader.Finish();
}

}  // namespace miroir::search_response
