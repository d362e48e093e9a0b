// The indexes Miroir manages, mirrored in memory from the store so the
// request path reads them without a store call.
//
// Thread-safe: readers take a shared lock for a map lookup; writers (index
// creation and deletion) an exclusive one. The store stays the truth; the
// catalog is loaded from it at start-up and updated after each store write.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "miroir/core/search_rewrite.hpp"
#include "miroir/store/store.hpp"

namespace miroir::api {

class IndexCatalog {
 public:
  std::optional<store::IndexRecord> Get(const std::string& uid) const;
  std::vector<store::IndexRecord> List() const;
  void Put(store::IndexRecord record);
  void Erase(const std::string& uid);
  void Replace(std::vector<store::IndexRecord> records);

  // The settings a merge needs (distinct attribute, facet order, ...), as last
  // read from a node; null until loaded. Settings updates through Miroir
  // drop them so the next search reads them again.
  std::shared_ptr<const IndexSearchSettings> SearchSettings(const std::string& uid) const;
  void SetSearchSettings(const std::string& uid, std::shared_ptr<const IndexSearchSettings> s);
  void InvalidateSearchSettings(const std::string& uid);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, store::IndexRecord> indexes_;
  std::map<std::string, std::shared_ptr<const IndexSearchSettings>> search_settings_;
};

}  // namespace miroir::api
