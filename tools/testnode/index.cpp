#include "index.hpp"

#include <algorithm>

#include "deserr.hpp"
#include "document_fields.hpp"
#include "facet_filter.hpp"
#include "filter_eval.hpp"
#include "miroir/core/filter.hpp"
#include "miroir/core/primary_key.hpp"
#include "sort_spec.hpp"

namespace miroir::testnode {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

// A ranking rule `field:asc` / `field:desc` names a field to sort on.
std::optional<std::string> RuleField(const std::string& rule) {
  for (std::string_view suffix : {":asc", ":desc"}) {
    if (rule.size() > suffix.size() &&
        rule.compare(rule.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return rule.substr(0, rule.size() - suffix.size());
    }
  }
  return std::nullopt;
}

Error Prefixed(const std::string& prefix, const Error& e) {
  return Error(e.code, prefix + e.message, e.status);
}

// The canonical text of a document id, or the error Meilisearch reports.
Result<std::string> IdOf(const OJson& doc, const std::string& key) {
  std::vector<const OJson*> values;
  fields::VisitPath(doc, key, [&](const OJson& v) { values.push_back(&v); });
  if (values.empty()) return pk::MissingIdError(key, doc.dump());
  if (values.size() > 1) return pk::TooManyIdsError(key, doc.dump());
  const OJson& v = *values[0];
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (auto r = pk::ValidateStringId(s); !r) return r.error();
    return s;
  }
  if (v.is_number_unsigned()) return pk::CanonicalId(v.get<uint64_t>());
  if (v.is_number_integer()) return pk::CanonicalId(v.get<int64_t>());
  return pk::InvalidIdError(v.dump());
}

const std::vector<std::string_view> kFetchKeys = {"offset", "limit",  "fields", "retrieveVectors",
                                                  "ids",    "filter", "sort",   "useNetwork"};

}  // namespace

Index::Index(std::string uid, std::optional<std::string> primary_key)
    : uid_(std::move(uid)), primary_key_(std::move(primary_key)) {}

// ------------------------------------------------------------ fields

bool Index::IsFaceted(const std::string& field) const {
  if (FirstMatchingRule(settings_.filterable_attributes, field)) return true;
  for (const auto& s : settings_.sortable_attributes) {
    if (fields::IsFacetedBy(field, s)) return true;
  }
  if (settings_.distinct_attribute && fields::IsFacetedBy(field, *settings_.distinct_attribute)) {
    return true;
  }
  for (const auto& rule : settings_.ranking_rules) {
    if (auto f = RuleField(rule); f && fields::IsFacetedBy(field, *f)) return true;
  }
  return false;
}

void Index::RegisterField(const std::string& name) {
  if (field_ids_.count(name)) return;
  field_ids_.emplace(name, static_cast<uint32_t>(fields_.size()));
  fields_.push_back(name);
  if (IsFaceted(name)) facets_.AddField(name);
}

int Index::SearchableRank(const std::string& field) const {
  if (settings_.searchable_attributes) {
    const auto& list = *settings_.searchable_attributes;
    for (size_t i = 0; i < list.size(); ++i) {
      if (fields::IsFacetedBy(field, list[i])) return static_cast<int>(std::min<size_t>(i, 65535));
    }
    return -1;
  }
  auto it = field_ids_.find(field);
  if (it == field_ids_.end()) return -1;
  return static_cast<int>(std::min<uint32_t>(it->second, 65535));
}

int Index::CachedSearchableRank(const std::string& field) {
  auto it = rank_cache_.find(field);
  if (it != rank_cache_.end()) return it->second;
  int rank = SearchableRank(field);
  rank_cache_.emplace(field, rank);
  return rank;
}

std::vector<std::string> Index::SearchableNames() const {
  return settings_.searchable_attributes ? *settings_.searchable_attributes : fields_;
}

OJson Index::Canonical(OJson doc) {
  fields::ForEachFieldName(doc, [&](const std::string& name) { RegisterField(name); });
  bool ordered = true;
  uint32_t last = 0;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    uint32_t id = field_ids_[it.key()];
    if (it != doc.begin() && id < last) ordered = false;
    last = id;
  }
  if (ordered) return doc;
  std::vector<std::pair<uint32_t, std::string>> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    keys.emplace_back(field_ids_[it.key()], it.key());
  }
  std::sort(keys.begin(), keys.end());
  OJson out = OJson::object();
  for (const auto& [id, key] : keys) out[key] = std::move(doc[key]);
  return out;
}

// ------------------------------------------------------------ indexing

void Index::IndexDocument(uint32_t id) {
  words_.Add(id, docs_[id],
             [this](const std::string& field) { return CachedSearchableRank(field); });
  facets_.Add(id, docs_[id]);
}

void Index::Unindex(const std::vector<uint32_t>& ids) {
  if (ids.empty()) return;
  Bitmap removed(docs_.size());
  std::vector<const OJson*> contents;
  for (uint32_t id : ids) {
    removed.Set(id);
    contents.push_back(&docs_[id]);
  }
  words_.Remove(removed, contents,
                [this](const std::string& field) { return CachedSearchableRank(field); });
  facets_.Remove(removed, ids);
}

void Index::Rebuild() {
  words_.Clear();
  facets_.Clear();
  rank_cache_.clear();
  for (const auto& name : fields_) {
    if (IsFaceted(name)) facets_.AddField(name);
  }
  alive_.ForEach([&](uint32_t id) { IndexDocument(id); });
  words_.Commit();
}

uint32_t Index::AllocateId() {
  if (!free_ids_.empty()) {
    uint32_t id = *free_ids_.begin();
    free_ids_.erase(free_ids_.begin());
    return id;
  }
  uint32_t id = static_cast<uint32_t>(docs_.size());
  docs_.emplace_back();
  external_.emplace_back();
  doc_bytes_.push_back(0);
  return id;
}

// ------------------------------------------------------------ mutations

Result<size_t> Index::AddDocuments(std::vector<OJson> docs,
                                   const std::optional<std::string>& primary_key, bool replace) {
  std::string key;
  if (primary_key_) {
    if (primary_key && *primary_key != *primary_key_) {
      return Error(ErrorCode::kIndexPrimaryKeyAlreadyExists,
                   "Index already has a primary key: `" + *primary_key_ + "`.");
    }
    key = *primary_key_;
  } else if (primary_key) {
    key = *primary_key;
  } else {
    if (docs.empty()) return size_t{0};
    std::vector<std::string_view> names;
    for (auto it = docs[0].begin(); it != docs[0].end(); ++it) names.push_back(it.key());
    auto inferred = pk::Infer(names);
    if (!inferred) return inferred.error();
    key = *inferred;
  }

  // Every id is checked before anything changes: a bad one fails the batch.
  std::vector<std::string> ids;
  ids.reserve(docs.size());
  for (const auto& doc : docs) {
    auto id = IdOf(doc, key);
    if (!id) return id.error();
    ids.push_back(std::move(*id));
  }
  if (!primary_key_) primary_key_ = key;

  // The final content of each document, in order of first appearance.
  std::vector<std::string> order;
  std::unordered_map<std::string, OJson> contents;
  for (size_t i = 0; i < docs.size(); ++i) {
    auto it = contents.find(ids[i]);
    if (it == contents.end()) {
      OJson start = OJson::object();
      auto existing = by_external_.find(ids[i]);
      if (!replace && existing != by_external_.end()) start = docs_[existing->second];
      it = contents.emplace(ids[i], std::move(start)).first;
      order.push_back(ids[i]);
      if (replace) {
        it->second = std::move(docs[i]);
        continue;
      }
    } else if (replace) {
      it->second = std::move(docs[i]);
      continue;
    }
    for (auto f = docs[i].begin(); f != docs[i].end(); ++f) {
      it->second[f.key()] = std::move(f.value());
    }
  }

  std::vector<uint32_t> replaced;
  for (const auto& id : order) {
    auto existing = by_external_.find(id);
    if (existing != by_external_.end()) replaced.push_back(existing->second);
  }
  Unindex(replaced);
  for (uint32_t id : replaced) {
    for (auto it = docs_[id].begin(); it != docs_[id].end(); ++it) {
      if (--field_distribution_[it.key()] == 0) field_distribution_.erase(it.key());
    }
    total_bytes_ -= doc_bytes_[id];
  }

  for (const auto& external : order) {
    auto existing = by_external_.find(external);
    uint32_t id;
    if (existing != by_external_.end()) {
      id = existing->second;
    } else {
      id = AllocateId();
      by_external_.emplace(external, id);
      external_[id] = external;
      alive_.Set(id);
      ++count_;
    }
    docs_[id] = Canonical(std::move(contents[external]));
    doc_bytes_[id] = static_cast<uint32_t>(docs_[id].dump().size());
    total_bytes_ += doc_bytes_[id];
    for (auto it = docs_[id].begin(); it != docs_[id].end(); ++it) ++field_distribution_[it.key()];
    IndexDocument(id);
  }
  words_.Commit();
  return docs.size();
}

Result<size_t> Index::DeleteDocuments(const std::vector<std::string>& ids) {
  std::vector<uint32_t> internal;
  for (const auto& external : ids) {
    auto it = by_external_.find(external);
    if (it == by_external_.end()) continue;
    if (std::find(internal.begin(), internal.end(), it->second) == internal.end()) {
      internal.push_back(it->second);
    }
  }
  Unindex(internal);
  for (uint32_t id : internal) {
    for (auto it = docs_[id].begin(); it != docs_[id].end(); ++it) {
      if (--field_distribution_[it.key()] == 0) field_distribution_.erase(it.key());
    }
    total_bytes_ -= doc_bytes_[id];
    doc_bytes_[id] = 0;
    by_external_.erase(external_[id]);
    external_[id].clear();
    docs_[id] = nullptr;
    alive_.Reset(id);
    free_ids_.insert(id);
    --count_;
  }
  words_.Commit();
  return internal.size();
}

Result<size_t> Index::DeleteByFilter(const Json& filter_json) {
  auto parsed = filter::ParseJson(filter_json, ErrorCode::kInvalidDocumentFilter);
  if (!parsed) return Prefixed(ErrorPrefix(), parsed.error());
  if (!*parsed) return size_t{0};
  if (auto r = CheckFilterable(**parsed, settings_.filterable_attributes, filter_json,
                               ErrorCode::kInvalidDocumentFilter);
      !r) {
    return Prefixed(ErrorPrefix(), r.error());
  }
  FilterEnv env{facets_,
                settings_.filterable_attributes,
                alive_,
                [this](std::string_view f) { return FieldKnown(f); },
                [this](uint32_t id) { return Document(id); },
                ErrorCode::kInvalidDocumentFilter};
  auto matched = EvaluateFilter(**parsed, env);
  if (!matched) return Prefixed(ErrorPrefix(), matched.error());
  std::vector<std::string> ids;
  matched->ForEach([&](uint32_t id) { ids.push_back(external_[id]); });
  return DeleteDocuments(ids);
}

size_t Index::Clear() {
  size_t deleted = count_;
  docs_.clear();
  external_.clear();
  doc_bytes_.clear();
  alive_ = Bitmap();
  free_ids_.clear();
  by_external_.clear();
  count_ = 0;
  total_bytes_ = 0;
  field_distribution_.clear();
  Rebuild();
  return deleted;
}

Result<void> Index::UpdateSettings(const Json& patch) {
  auto merged = ApplySettingsPatch(settings_, patch, features_.settings);
  if (!merged) return Prefixed(ErrorPrefix(), merged.error());
  auto key_of = [](const testnode::Settings& s) {
    OJson j;
    for (const char* key : {"searchableAttributes", "filterableAttributes", "sortableAttributes",
                            "distinctAttribute", "rankingRules"}) {
      j[key] = SettingToJson(s, key);
    }
    return j.dump();
  };
  bool reindex = key_of(settings_) != key_of(*merged);
  settings_ = std::move(*merged);
  if (reindex) Rebuild();
  return {};
}

// ------------------------------------------------------------ reads

OJson Index::Displayed(const OJson& doc, const std::optional<std::vector<std::string>>& retrieve,
                       bool retrieve_vectors) const {
  OJson out = settings_.displayed_attributes ? fields::Select(doc, *settings_.displayed_attributes)
                                             : doc;
  if (retrieve) out = fields::Select(out, *retrieve);
  if (!retrieve_vectors) out.erase("_vectors");
  return out;
}

Result<OJson> Index::GetDocument(std::string_view id,
                                 const std::optional<std::vector<std::string>>& fields) const {
  auto it = by_external_.find(std::string(id));
  if (it == by_external_.end()) {
    return Error(ErrorCode::kDocumentNotFound, "Document `" + std::string(id) + "` not found.");
  }
  OJson doc = fields ? fields::Select(docs_[it->second], *fields) : docs_[it->second];
  doc.erase("_vectors");
  return doc;
}

Result<OJson> Index::ListDocuments(const Json& params) const {
  if (!params.is_object()) {
    return deserr::InvalidType(ErrorCode::kBadRequest, "", deserr::kObject, params);
  }
  uint64_t offset = 0;
  uint64_t limit = 20;
  std::optional<std::vector<std::string>> fields;
  std::optional<std::vector<std::string>> sort;
  bool retrieve_vectors = false;
  std::optional<std::vector<std::string>> ids;
  Json filter_json;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& name = it.key();
    const Json& v = it.value();
    const std::string where = deserr::Key("", name);
    if (std::find(kFetchKeys.begin(), kFetchKeys.end(), name) == kFetchKeys.end()) {
      return deserr::UnknownKey(ErrorCode::kBadRequest, "", name, kFetchKeys);
    }
    if (name == "offset" || name == "limit") {
      ErrorCode code = name == "offset" ? ErrorCode::kInvalidDocumentOffset
                                        : ErrorCode::kInvalidDocumentLimit;
      auto n = deserr::ExpectUnsigned(code, where, v, UINT64_MAX, "usize");
      if (!n) return n.error();
      (name == "offset" ? offset : limit) = *n;
    } else if (name == "fields" || name == "sort") {
      if (v.is_null()) continue;
      ErrorCode code = name == "fields" ? ErrorCode::kInvalidDocumentFields
                                        : ErrorCode::kInvalidDocumentSort;
      if (auto r = deserr::ExpectStringArray(code, where, v); !r) return r.error();
      (name == "fields" ? fields : sort) = v.get<std::vector<std::string>>();
    } else if (name == "retrieveVectors") {
      if (auto r = deserr::ExpectKind(ErrorCode::kInvalidDocumentRetrieveVectors, where, v,
                                      deserr::kBoolean);
          !r) {
        return r.error();
      }
      retrieve_vectors = v.get<bool>();
    } else if (name == "ids") {
      if (v.is_null()) continue;
      if (!v.is_array()) {
        return deserr::InvalidType(ErrorCode::kInvalidDocumentIds, where, deserr::kArray, v);
      }
      ids.emplace();
      for (size_t i = 0; i < v.size(); ++i) {
        Result<std::string> id = std::string();
        if (v[i].is_string()) {
          if (auto r = pk::ValidateStringId(v[i].get<std::string>()); !r) {
            id = r.error();
          } else {
            id = v[i].get<std::string>();
          }
        } else if (v[i].is_number_unsigned()) {
          id = pk::CanonicalId(v[i].get<uint64_t>());
        } else if (v[i].is_number_integer()) {
          id = pk::CanonicalId(v[i].get<int64_t>());
        } else {
          id = pk::InvalidIdError(v[i].dump());
        }
        if (!id) {
          return Error(ErrorCode::kInvalidDocumentIds,
                       "In `.ids[" + std::to_string(i) + "]`: " + id.error().message);
        }
        ids->push_back(std::move(*id));
      }
    } else if (name == "filter") {
      filter_json = v;
    } else if (name == "useNetwork") {
      if (v.is_null()) continue;
      if (auto r = deserr::ExpectKind(ErrorCode::kInvalidDocumentUseNetwork, where, v,
                                      deserr::kBoolean);
          !r) {
        return r.error();
      }
    }
  }

  std::vector<SortCriterion> criteria;
  if (sort) {
    auto parsed = ParseSort(*sort, ErrorCode::kInvalidDocumentSort);
    if (!parsed) return parsed.error();
    criteria = std::move(*parsed);
  }
  std::optional<filter::Node> node;
  if (!filter_json.is_null()) {
    auto parsed = filter::ParseJson(filter_json, ErrorCode::kInvalidDocumentFilter);
    if (!parsed) return parsed.error();
    node = std::move(*parsed);
    if (node) {
      if (auto r = CheckContainsAllowed(*node, filter_json, features_.contains_filter); !r) {
        return r.error();
      }
    }
  }

  Bitmap candidates(docs_.size());
  if (ids) {
    for (const auto& id : *ids) {
      auto it = by_external_.find(id);
      if (it != by_external_.end()) candidates.Set(it->second);
    }
  } else {
    candidates = alive_;
  }
  if (node) {
    if (auto r = CheckFilterable(*node, settings_.filterable_attributes, filter_json,
                                 ErrorCode::kInvalidDocumentFilter);
        !r) {
      return r.error();
    }
    FilterEnv env{facets_,
                  settings_.filterable_attributes,
                  alive_,
                  [this](std::string_view f) { return FieldKnown(f); },
                  [this](uint32_t id) { return Document(id); },
                  ErrorCode::kInvalidDocumentFilter};
    auto matched = EvaluateFilter(*node, env);
    if (!matched) return matched.error();
    candidates &= *matched;
  }
  if (!criteria.empty()) {
    if (auto r = CheckSortable(criteria, settings_.sortable_attributes, std::nullopt,
                               ErrorCode::kInvalidDocumentSort, "");
        !r) {
      return r.error();
    }
  }

  std::vector<uint32_t> order;
  candidates.ForEach([&](uint32_t id) { order.push_back(id); });
  const size_t total = order.size();
  if (!criteria.empty()) {
    std::vector<const FacetField*> sort_fields;
    for (const auto& c : criteria) sort_fields.push_back(facets_.Get(c.field));
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      for (size_t i = 0; i < criteria.size(); ++i) {
        const auto& c = criteria[i];
        SortKey ka = c.geo ? GeoKeyOf(c, Document(a)) : KeyOf(sort_fields[i], a, c.ascending);
        SortKey kb = c.geo ? GeoKeyOf(c, Document(b)) : KeyOf(sort_fields[i], b, c.ascending);
        int cmp = CompareKeys(ka, kb, c.ascending);
        if (cmp != 0) return cmp < 0;
      }
      return false;
    });
  }
  OJson results = OJson::array();
  for (size_t i = offset; i < order.size() && i - offset < limit; ++i) {
    OJson doc = fields ? fields::Select(docs_[order[i]], *fields) : docs_[order[i]];
    if (!retrieve_vectors) doc.erase("_vectors");
    results.push_back(std::move(doc));
  }
  OJson out;
  out["results"] = std::move(results);
  out["offset"] = offset;
  out["limit"] = limit;
  out["total"] = total;
  return out;
}

OJson Index::Settings() const { return ToJson(settings_, features_.settings); }

OJson Index::Stats() const {
  OJson out;
  out["numberOfDocuments"] = count_;
  out["rawDocumentDbSize"] = total_bytes_;
  out["avgDocumentSize"] = count_ ? total_bytes_ / count_ : 0;
  out["numberOfEmbeddings"] = 0;
  out["numberOfEmbeddedDocuments"] = 0;
  OJson distribution = OJson::object();
  for (const auto& [name, n] : field_distribution_) distribution[name] = n;
  out["fieldDistribution"] = std::move(distribution);
  return out;
}

}  // namespace miroir::testnode
