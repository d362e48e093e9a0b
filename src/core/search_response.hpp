// Reading one node's search answer without building a DOM: each hit stays a
// byte range of the node's body, annotated with what the merge needs (its
// score, its ranking-rule values, its distinct values) and with the byte
// ranges to leave out when it is written back (`_rankingScore` and
// `_rankingScoreDetails` the client did not ask for, every `_miroir_*`
// member, members Miroir added to attributesToRetrieve, and the same inside
// `_formatted` and `_matchesPosition`).
//
// The structure around the hits is validated; the documents themselves are
// passed through as the node wrote them.
//
// Internal to miroir_core. Thread-compatible: a Store belongs to one merge.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "core/facet_merge.hpp"
#include "core/json_scan.hpp"
#include "core/rank_compare.hpp"
#include "miroir/core/search_rewrite.hpp"

namespace miroir::search_response {

// How to read and re-emit the hits of one query.
struct HitPolicy {
  bool keep_ranking_score = false;
  bool keep_score_details = true;
  bool parse_score_details = false;
  const std::vector<std::string>* added_fields = nullptr;  // members to drop
  std::string_view distinct;                               // path; empty: none
  std::vector<rank::SortSpec> sort;  // sort keys read from documents
  // Plain documents (documents routes): no `_rankingScore` & co. to read.
  bool documents = false;
};

HitPolicy PolicyFor(const SearchRequestInfo& info);

// A value of the distinct attribute, as Meilisearch compares them: numbers
// by their text, strings normalized, booleans as strings.
struct DistinctValue {
  bool number = false;
  std::string_view text;
};

struct Hit {
  uint32_t begin = 0;  // the hit's '{'
  uint32_t end = 0;    // one past its '}'
  uint32_t cut_begin = 0, cut_count = 0;            // in Store::cuts
  uint32_t rank_begin = 0, rank_count = 0;          // score details, in Store::ranks
  uint32_t key_begin = 0, key_count = 0;            // document sort keys, in Store::ranks
  uint32_t distinct_begin = 0, distinct_count = 0;  // in Store::distinct
  uint32_t query = 0;       // _federation.queriesPosition (federated)
  double score = 0;         // _rankingScore, or _federation.weightedRankingScore
  bool has_details = false;
};

// Storage shared by every response of one merge.
struct Store {
  std::vector<json_scan::Cut> cuts;
  std::vector<rank::RankValue> ranks;
  std::vector<DistinctValue> distinct;
  std::deque<std::string> arena;  // decoded strings; elements never move
};

struct Response {
  const char* base = nullptr;
  uint32_t node_order = 0;
  std::vector<Hit> hits;
  uint64_t total_hits = 0;  // estimatedTotalHits or totalHits
  uint64_t processing_time_ms = 0;
  bool has_semantic_hit_count = false;
  uint64_t semantic_hit_count = 0;
  // Raw JSON values (empty when absent).
  std::string_view index_uid, query, query_vector, query_vectors, request_uid, metadata,
      performance_details;
  facets::Block facets;
  std::vector<std::pair<std::string_view, facets::Block>> facets_by_index;
  // Members Miroir does not know, in the node's order: (escaped key, raw value).
  std::vector<std::pair<std::string_view, std::string_view>> extra;
};

// Scratch space of the hit parser, reused from hit to hit.
struct HitScratch;

// Reads one search answer object (a /search body, one `results` element of a
// /multi-search answer, or a federated answer) lazily: the members before
// "hits" at Start(), then one hit per Next(), then — at Finish(), skipping
// the hits never asked for — the members after "hits". A merge only needs
// `offset + limit` hits in all, so most hits are skipped through simdjson's
// structural index instead of being read member by member.
//
// `policies` has one entry, or (federated) one per query, chosen by each
// hit's `_federation`. The value read must outlive the reader, and nothing
// else may be read from its document meanwhile (simdjson's On-Demand rule).
class ResponseReader {
 public:
  ResponseReader();
  ~ResponseReader();
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  // `whole_body` is the node's entire body when `object` is its root (a
  // search, not one result of a multi-search); it lets Finish() read the
  // members after the hits without skipping the unread ones.
  simdjson::error_code Start(simdjson::ondemand::value object, const char* base,
                             std::span<const HitPolicy> policies, bool federated, Store* store,
                             Response* out, std::string_view whole_body = {});
  // Appends the next hit to out->hits; *more is false after the last one.
  simdjson::error_code Next(bool* more);
  // Skips the unread hits and reads the rest of the answer. Call once.
  simdjson::error_code Finish();
  // True when Finish() read the members after the hits from a copy of the
  // body's tail: the document was left unread past the last hit read, and
  // its trailing content was checked on the copy instead.
  bool read_tail_apart() const { return read_tail_apart_; }

 private:
  simdjson::error_code ReadMembersUntilHits();
  simdjson::error_code ReadMember(std::string_view key, simdjson::ondemand::value value);
  // nullopt: the tail cannot be read apart, skip the hits instead.
  std::optional<simdjson::error_code> ReadTailApart();

  const char* base_ = nullptr;
  std::span<const HitPolicy> policies_;
  bool federated_ = false;
  Store* store_ = nullptr;
  Response* out_ = nullptr;
  simdjson::ondemand::object object_;
  simdjson::ondemand::object_iterator member_, member_end_;
  simdjson::ondemand::array_iterator hit_, hit_end_;
  bool in_hits_ = false;
  bool has_hits_ = false;
  bool read_tail_apart_ = false;
  std::string_view whole_body_;
  HitScratch* scratch_;
};

// Reads a whole answer (Start, every hit, Finish).
simdjson::error_code ParseResponse(simdjson::ondemand::value object, const char* base,
                                   std::span<const HitPolicy> policies, bool federated,
                                   Store* store, Response* out);

// Reads an array of hits (or, with policy.documents, of documents).
simdjson::error_code ParseHitArray(simdjson::ondemand::value array, const char* base,
                                   const HitPolicy& policy, Store* store, std::vector<Hit>* out);

}  // namespace miroir::search_response
