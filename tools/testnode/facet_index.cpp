#include "facet_index.hpp"

#include <algorithm>
#include <unordered_set>

#include "filter_eval.hpp"

namespace miroir::testnode {
namespace {

// Inserts `doc` into a sorted id list (ids mostly arrive in increasing order).
void InsertSorted(std::vector<uint32_t>& ids, uint32_t doc) {
  if (ids.empty() || ids.back() < doc) {
    ids.push_back(doc);
    return;
  }
  auto it = std::lower_bound(ids.begin(), ids.end(), doc);
  if (it == ids.end() || *it != doc) ids.insert(it, doc);
}

}  // namespace

FacetField& FacetIndex::AddField(const std::string& field) {
  auto it = fields_.find(field);
  if (it == fields_.end()) it = fields_.emplace(field, std::make_unique<FacetField>()).first;
  return *it->second;
}

const FacetField* FacetIndex::Get(std::string_view field) const {
  auto it = fields_.find(field);
  return it == fields_.end() ? nullptr : it->second.get();
}

void FacetIndex::Add(uint32_t doc, const nlohmann::ordered_json& value) {
  for (auto& [name, field] : fields_) Add(*field, name, doc, value);
}

void FacetIndex::Add(FacetField& field, std::string_view name, uint32_t doc,
                     const nlohmann::ordered_json& value) {
  FieldFacets facets = ExtractFacets(value, name);
  if (!facets.exists) return;
  field.exists.Set(doc);
  if (facets.is_null) field.nulls.Set(doc);
  if (facets.is_empty) field.empties.Set(doc);
  if (field.docs.size() <= doc) field.docs.resize(doc + 1);
  FacetField::DocValues& values = field.docs[doc];
  values = {};
  for (double n : facets.numbers) {
    InsertSorted(field.numbers[n], doc);
    if (std::find(values.numbers.begin(), values.numbers.end(), n) == values.numbers.end()) {
      values.numbers.push_back(n);
    }
  }
  for (size_t i = 0; i < facets.strings.size(); ++i) {
    auto it = field.strings.find(facets.strings[i]);
    if (it == field.strings.end()) {
      it = field.strings.emplace(facets.strings[i], std::vector<uint32_t>{}).first;
    }
    InsertSorted(it->second, doc);
    const std::string* key = &it->first;
    bool seen = std::any_of(values.strings.begin(), values.strings.end(),
                            [&](const auto& s) { return s.first == key; });
    if (!seen) values.strings.emplace_back(key, std::move(facets.originals[i]));
  }
}

void FacetIndex::Remove(const Bitmap& removed, const std::vector<uint32_t>& ids) {
  for (auto& [name, field_ptr] : fields_) {
    FacetField& field = *field_ptr;
    std::unordered_set<const std::string*> strings;
    std::unordered_set<double> numbers;
    for (uint32_t doc : ids) {
      field.exists.Reset(doc);
      field.nulls.Reset(doc);
      field.empties.Reset(doc);
      if (doc >= field.docs.size()) continue;
      for (double n : field.docs[doc].numbers) numbers.insert(n);
      for (const auto& s : field.docs[doc].strings) strings.insert(s.first);
      field.docs[doc] = {};
    }
    auto gone = [&](uint32_t doc) { return removed.Test(doc); };
    for (double n : numbers) {
      auto it = field.numbers.find(n);
      if (it == field.numbers.end()) continue;
      std::erase_if(it->second, gone);
      if (it->second.empty()) field.numbers.erase(it);
    }
    for (const std::string* s : strings) {
      auto it = field.strings.find(*s);
      if (it == field.strings.end()) continue;
      std::erase_if(it->second, gone);
      if (it->second.empty()) field.strings.erase(it);
    }
  }
}

}  // namespace miroir::testnode
