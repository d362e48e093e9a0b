// The indexes Miroir manages, mirrored in memory from the store so the
// request path reads them without a store call.
//
// Thread-safe: readers take a shared lock for a map lookup; writers (index
// creation and deletion) an exclusive one. The store stays the truth; the
// catalog is loaded from it at start-up, updated after each store write of
// this instance and, when several instances share the store, replaced
// whenever the store's state generation moves (app/state_sync.hpp).
#pragma once

#include <chrono>
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

  // How long search settings read from a node are trusted: settings changed
  // behind this instance's back (through another instance, or straight on
  // the nodes) reach its merges within this time.
  static constexpr std::chrono::seconds kSearchSettingsTtl{5};

  // The settings a merge needs (distinct attribute, facet order, ...), as
  // read from a node less than kSearchSettingsTtl ago; null when not loaded
  // or expired. Settings updates through this instance drop them at once.
  std::shared_ptr<const IndexSearchSettings> SearchSettings(const std::string& uid) const;
  void SetSearchSettings(const std::string& uid, std::shared_ptr<const IndexSearchSettings> s);
  void InvalidateSearchSettings(const std::string& uid);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, store::IndexRecord> indexes_;
  struct CachedSettings {
    std::shared_ptr<const IndexSearchSettings> settings;
    std::chrono::steady_clock::time_point loaded_at;
  };
  std::map<std::string, CachedSettings> search_settings_;
};

}  // namespace miroir::api
