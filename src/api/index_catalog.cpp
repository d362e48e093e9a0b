#include "miroir/api/index_catalog.hpp"

#include <mutex>

namespace miroir::api {

std::optional<store::IndexRecord> IndexCatalog::Get(const std::string& uid) const {
  std::shared_lock lock(mu_);
  auto it = indexes_.find(uid);
  if (it == indexes_.end()) return std::nullopt;
  return it->second;
}

std::vector<store::IndexRecord> IndexCatalog::List() const {
  std::shared_lock lock(mu_);
  std::vector<store::IndexRecord> out;
  out.reserve(indexes_.size());
  for (const auto& [uid, record] : indexes_) out.push_back(record);
  return out;
}

void IndexCatalog::Put(store::IndexRecord record) {
  std::unique_lock lock(mu_);
  std::string uid = record.uid;
  indexes_[uid] = std::move(record);
}

void IndexCatalog::Erase(const std::string& uid) {
  std::unique_lock lock(mu_);
  indexes_.erase(uid);
  search_settings_.erase(uid);
}

std::shared_ptr<const IndexSearchSettings> IndexCatalog::SearchSettings(
    const std::string& uid) const {
  std::shared_lock lock(mu_);
  auto it = search_settings_.find(uid);
  if (it == search_settings_.end()) return nullptr;
  if (std::chrono::steady_clock::now() - it->second.loaded_at >= kSearchSettingsTtl) return nullptr;
  return it->second.settings;
}

void IndexCatalog::SetSearchSettings(const std::string& uid,
                                     std::shared_ptr<const IndexSearchSettings> s) {
  std::unique_lock lock(mu_);
  search_settings_[uid] = CachedSettings{std::move(s), std::chrono::steady_clock::now()};
}

void IndexCatalog::InvalidateSearchSettings(const std::string& uid) {
  std::unique_lock lock(mu_);
  search_settings_.erase(uid);
}

void IndexCatalog::Replace(std::vector<store::IndexRecord> records) {
  std::unique_lock lock(mu_);
  indexes_.clear();
  search_settings_.clear();
  for (auto& r : records) {
    std::string uid = r.uid;
    indexes_[uid] = std::move(r);
  }
}

}  // namespace miroir::api
