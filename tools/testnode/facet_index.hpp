// Per-field facet values of an index's documents, the structure behind
// filters, sort, distinct, facet distributions and facet search. For each
// faceted field (a flattened name such as "genre" or "doggos.age"):
// - each value maps to the sorted ids of the documents holding it (strings by
//   their normalized form, numbers by value), so equality and range filters
//   are map lookups;
// - each document has its own values (with the original form of strings);
// - EXISTS / IS NULL / IS EMPTY are bitmaps.
//
// Values are extracted with ExtractFacets (filter_eval.hpp), so filters over
// this index and the per-document reference evaluation agree.
//
// Not thread-safe for writes; const methods may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitmap.hpp"

namespace miroir::testnode {

struct FacetField {
  struct DocValues {
    std::vector<double> numbers;
    // (normalized value, as written); the normalized string is the key of
    // `strings` and lives as long as any document holds the value.
    std::vector<std::pair<const std::string*, std::string>> strings;
  };

  std::map<std::string, std::vector<uint32_t>, std::less<>> strings;
  std::map<double, std::vector<uint32_t>> numbers;
  std::vector<DocValues> docs;  // by document id
  Bitmap exists;
  Bitmap nulls;
  Bitmap empties;

  const DocValues* ValuesOf(uint32_t doc) const {
    return doc < docs.size() ? &docs[doc] : nullptr;
  }
};

class FacetIndex {
 public:
  void Clear() { fields_.clear(); }

  // Starts indexing `field` (documents added later only; use Add to fill it).
  FacetField& AddField(const std::string& field);
  bool Has(std::string_view field) const { return fields_.find(field) != fields_.end(); }
  const FacetField* Get(std::string_view field) const;
  const std::map<std::string, std::unique_ptr<FacetField>, std::less<>>& fields() const {
    return fields_;
  }

  // Indexes `value` (a whole document) as document `doc` in every field, or
  // in `field` only.
  void Add(uint32_t doc, const nlohmann::ordered_json& value);
  void Add(FacetField& field, std::string_view name, uint32_t doc,
           const nlohmann::ordered_json& value);
  // Forgets the `removed` documents (`ids` lists them).
  void Remove(const Bitmap& removed, const std::vector<uint32_t>& ids);

 private:
  std::map<std::string, std::unique_ptr<FacetField>, std::less<>> fields_;
};

}  // namespace miroir::testnode
