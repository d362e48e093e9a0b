// Addressing fields inside documents the way Meilisearch does: a dotted name
// ("doggos.name") reaches into nested objects and fans out over arrays of
// objects, and a key may itself contain dots ({"a.b": 1} has field "a.b").
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace miroir::testnode::fields {

using OJson = nlohmann::ordered_json;

// True when `field` is `parent` itself or nested in it ("a.b" and "a").
bool IsFacetedBy(std::string_view field, std::string_view parent);

// Calls fn(const OJson& value) for each value at `path` in `value`: the
// values of matching keys (whole, arrays included), walking into objects and
// across arrays of objects on the way.
template <class Fn>
void VisitPath(const OJson& value, std::string_view path, Fn&& fn) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& key = it.key();
      if (path.size() < key.size() || path.compare(0, key.size(), key) != 0) continue;
      if (path.size() == key.size()) {
        fn(it.value());
      } else if (path[key.size()] == '.') {
        VisitPath(it.value(), path.substr(key.size() + 1), fn);
      }
    }
  } else if (value.is_array()) {
    for (const auto& element : value) {
      if (element.is_object() || element.is_array()) VisitPath(element, path, fn);
    }
  }
}

// Calls fn(const std::string& name) for the flattened name of every field of
// `doc`, parents before children ("a", then "a.b"), in document order. A name
// may be reported more than once (once per array element).
template <class Fn>
void ForEachFieldName(const OJson& doc, Fn&& fn, const std::string& prefix = "") {
  if (doc.is_array()) {
    for (const auto& element : doc) {
      if (element.is_object() || element.is_array()) ForEachFieldName(element, fn, prefix);
    }
    return;
  }
  if (!doc.is_object()) return;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    fn(name);
    if (it.value().is_object() || it.value().is_array()) ForEachFieldName(it.value(), fn, name);
  }
}

// Calls fn(const std::string& name, const OJson& leaf) for every string,
// number and boolean of `doc` with the flattened name of its field; array
// elements take the name of their array.
template <class Fn>
void ForEachLeaf(const OJson& doc, Fn&& fn, const std::string& prefix = "") {
  if (doc.is_array()) {
    for (const auto& element : doc) ForEachLeaf(element, fn, prefix);
    return;
  }
  if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      ForEachLeaf(it.value(), fn, prefix.empty() ? it.key() : prefix + "." + it.key());
    }
    return;
  }
  if (doc.is_string() || doc.is_number() || doc.is_boolean()) fn(prefix, doc);
}

// A copy of `doc` with only the selected fields. A selector is a field name,
// possibly dotted: "a.b" keeps {"a": {"b": ...}} (and the "b" of every object
// of an array "a"); "*" keeps everything. Key order is the document's.
OJson Select(const OJson& doc, const std::vector<std::string>& selectors);

}  // namespace miroir::testnode::fields
