#include "document_fields.hpp"

#include <algorithm>

namespace miroir::testnode::fields {
namespace {

OJson SelectValue(const OJson& value, const std::vector<std::string_view>& selectors);

// Keeps, of object `obj`, the keys selected by `selectors` (relative names).
OJson SelectObject(const OJson& obj, const std::vector<std::string_view>& selectors) {
  OJson out = OJson::object();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    bool whole = false;
    std::vector<std::string_view> nested;
    for (std::string_view s : selectors) {
      if (s == key) {
        whole = true;
        break;
      }
      if (s.size() > key.size() && s[key.size()] == '.' && s.compare(0, key.size(), key) == 0) {
        nested.push_back(s.substr(key.size() + 1));
      }
    }
    if (whole) {
      out[key] = it.value();
    } else if (!nested.empty()) {
      OJson sub = SelectValue(it.value(), nested);
      if (!sub.is_null()) out[key] = std::move(sub);
    }
  }
  return out;
}

// The selected part of a nested value, or null when nothing is selected.
OJson SelectValue(const OJson& value, const std::vector<std::string_view>& selectors) {
  if (value.is_object()) {
    OJson sub = SelectObject(value, selectors);
    return sub.empty() ? OJson(nullptr) : sub;
  }
  if (value.is_array()) {
    OJson out = OJson::array();
    for (const auto& element : value) {
      if (!element.is_object() && !element.is_array()) continue;
      OJson sub = SelectValue(element, selectors);
      if (!sub.is_null()) out.push_back(std::move(sub));
    }
    return out.empty() ? OJson(nullptr) : out;
  }
  return OJson(nullptr);
}

}  // namespace

bool IsFacetedBy(std::string_view field, std::string_view parent) {
  return field == parent || (field.size() > parent.size() && field[parent.size()] == '.' &&
                             field.compare(0, parent.size(), parent) == 0);
}

OJson Select(const OJson& doc, const std::vector<std::string>& selectors) {
  if (std::find(selectors.begin(), selectors.end(), "*") != selectors.end()) return doc;
  std::vector<std::string_view> views(selectors.begin(), selectors.end());
  return SelectObject(doc, views);
}

}  // namespace miroir::testnode::fields
