// One index of the test node: its documents, settings and search structures,
// answering like a Meilisearch v1.x index.
//
// Documents get dense internal ids (ids freed by deletions are reused, lowest
// first, as milli does), which is also the order of placeholder results.
// Stored documents keep Meilisearch's field order: top-level fields in the
// order the index first saw them.
//
// Mutations are the bodies of tasks and are called in task order; an error
// leaves the index unchanged and becomes the task's error. Reads return the
// exact response body Meilisearch would send (or its error).
//
// Thread safety: none inside. The caller serializes writers and may run any
// number of const readers concurrently (const methods do not mutate).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitmap.hpp"
#include "facet_index.hpp"
#include "inverted_index.hpp"
#include "miroir/core/error.hpp"
#include "settings.hpp"

namespace miroir::testnode {

// Experimental features of the node that change how an index answers.
struct IndexFeatures {
  bool contains_filter = false;  // CONTAINS in filters
  SettingsFeatures settings;     // foreignKeys / chat settings
};

class Index {
 public:
  using Json = nlohmann::json;
  using OJson = nlohmann::ordered_json;

  Index(std::string uid, std::optional<std::string> primary_key);

  const std::string& uid() const { return uid_; }
  void set_uid(std::string uid) { uid_ = std::move(uid); }
  const std::optional<std::string>& primary_key() const { return primary_key_; }
  void set_primary_key(std::optional<std::string> pk) { primary_key_ = std::move(pk); }
  size_t document_count() const { return count_; }
  const testnode::Settings& settings() const { return settings_; }
  void set_features(IndexFeatures features) { features_ = features; }

  // --- task-side mutations ---

  // replace=true is POST (add or replace), false is PUT (add or update: a
  // shallow merge of top-level fields into the existing document). Infers the
  // primary key from the first document when the index has none and none is
  // given. A missing or invalid id anywhere fails the whole batch. Returns the
  // number of documents received.
  Result<size_t> AddDocuments(std::vector<OJson> docs,
                              const std::optional<std::string>& primary_key, bool replace);
  // Deletes by external id; unknown ids are ignored. Returns the number deleted.
  Result<size_t> DeleteDocuments(const std::vector<std::string>& ids);
  // Deletes the documents matching `filter` (the JSON the client sent).
  // Errors: invalid_document_filter (syntax, or an attribute that is not
  // filterable, prefixed with "Index `uid`: " as in a task error).
  Result<size_t> DeleteByFilter(const Json& filter);
  // Deletes every document. Returns the number deleted.
  size_t Clear();
  // Applies a PATCH /settings body (see settings.hpp) and re-indexes.
  Result<void> UpdateSettings(const Json& patch);

  // --- reads: the exact response bodies ---

  Result<OJson> Search(const Json& query) const;       // POST /search body
  Result<OJson> FacetSearch(const Json& query) const;  // POST /facet-search body
  // GET /documents/{id}; `fields` restricts the returned fields.
  Result<OJson> GetDocument(std::string_view id,
                            const std::optional<std::vector<std::string>>& fields) const;
  // POST /documents/fetch body (GET /documents converted): offset, limit,
  // fields, filter, ids, sort, retrieveVectors -> {results, offset, limit, total}.
  Result<OJson> ListDocuments(const Json& params) const;
  OJson Settings() const;  // GET /settings
  // GET /stats without isIndexing: numberOfDocuments, rawDocumentDbSize,
  // avgDocumentSize, numberOfEmbeddings, numberOfEmbeddedDocuments,
  // fieldDistribution (isIndexing goes after avgDocumentSize).
  OJson Stats() const;

 private:
  friend class SearchRun;

  // --- documents (index.cpp) ---
  uint32_t AllocateId();
  // Registers the field names of `doc` and returns it with its top-level
  // fields in the index's field order.
  OJson Canonical(OJson doc);
  // Removes then (re)inserts documents in the search structures.
  void Unindex(const std::vector<uint32_t>& ids);
  void IndexDocument(uint32_t id);
  void Rebuild();
  // The searchable attribute rank of a flattened field, or -1.
  int SearchableRank(const std::string& field) const;
  // SearchableRank memoized, for the writers only.
  int CachedSearchableRank(const std::string& field);
  bool IsFaceted(const std::string& field) const;
  void RegisterField(const std::string& name);
  std::string ErrorPrefix() const { return "Index `" + uid_ + "`: "; }

  // --- helpers shared by the reads ---
  const OJson* Document(uint32_t id) const {
    return id < docs_.size() && alive_.Test(id) ? &docs_[id] : nullptr;
  }
  bool FieldKnown(std::string_view field) const {
    return field_ids_.find(std::string(field)) != field_ids_.end();
  }
  // The displayed part of a document, further restricted to `retrieve`.
  OJson Displayed(const OJson& doc, const std::optional<std::vector<std::string>>& retrieve,
                  bool retrieve_vectors) const;
  // The searchable attributes in rank order (all fields for "*").
  std::vector<std::string> SearchableNames() const;

  std::string uid_;
  std::optional<std::string> primary_key_;
  testnode::Settings settings_;
  IndexFeatures features_;

  std::vector<OJson> docs_;             // by internal id; null when free
  std::vector<std::string> external_;   // by internal id
  std::vector<uint32_t> doc_bytes_;     // by internal id, JSON size
  Bitmap alive_;
  std::set<uint32_t> free_ids_;
  std::unordered_map<std::string, uint32_t> by_external_;
  size_t count_ = 0;
  uint64_t total_bytes_ = 0;

  // Meilisearch's fields map: every flattened field name, in first-seen order.
  std::vector<std::string> fields_;
  std::unordered_map<std::string, uint32_t> field_ids_;
  std::map<std::string, uint64_t> field_distribution_;  // top-level name -> documents

  InvertedIndex words_;
  FacetIndex facets_;
  std::unordered_map<std::string, int> rank_cache_;  // writers only
};

}  // namespace miroir::testnode
