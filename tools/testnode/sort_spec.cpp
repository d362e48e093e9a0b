#include "sort_spec.hpp"


#include "document_fields.hpp"
#include "filter_eval.hpp"

namespace miroir::testnode {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool IsReservedKeyword(std::string_view s) {
  return s == "_geo" || s == "_geoDistance" || s == "_geoPoint" || s == "_geoRadius" ||
         s == "_geoBoundingBox";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string FormatCoordinate(double v) {
  // Rust prints 200.0 as "200" in these messages.
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

// The sort error for a reserved member name, as Meilisearch words it.
std::string ReservedError(std::string_view name) {
  if (StartsWith(name, "_geoPoint")) {
    return "Invalid syntax for the geo parameter: expected expression formated like "
           "`_geoPoint(latitude, longitude)` and ending by `:asc` or `:desc`, found `" +
           std::string(name) + "`.";
  }
  auto geo_hint = [](std::string_view n) {
    return "`" + std::string(n) +
           "` is a reserved keyword and thus can't be used as a sort expression. Use the "
           "_geoPoint(latitude, longitude) built-in rule to sort on _geo field coordinates.";
  };
  if (name == "_geo") return geo_hint("_geo");
  if (StartsWith(name, "_geoRadius")) return geo_hint("_geoRadius");
  if (StartsWith(name, "_geoBoundingBox")) return geo_hint("_geoBoundingBox");
  return "`" + std::string(name) +
         "` is a reserved keyword and thus can't be used as a sort expression.";
}

Result<SortCriterion> ParseOne(const std::string& text, ErrorCode code) {
  size_t colon = text.rfind(':');
  std::string_view direction =
      colon == std::string::npos ? "" : std::string_view(text).substr(colon + 1);
  if (colon == std::string::npos || (direction != "asc" && direction != "desc")) {
    return Error(code,
                 "Invalid syntax for the sort parameter: expected expression ending by `:asc` or "
                 "`:desc`, found `" + text + "`.");
  }
  SortCriterion c;
  c.text = text;
  c.ascending = direction == "asc";
  std::string_view member = std::string_view(text).substr(0, colon);
  if (StartsWith(member, "_geoPoint(") && member.back() == ')') {
    std::string_view inner = member.substr(10, member.size() - 11);
    size_t comma = inner.find(',');
    std::optional<double> lat;
    std::optional<double> lng;
    if (comma != std::string_view::npos) {
      lat = ParseFilterNumber(Trim(inner.substr(0, comma)));
      lng = ParseFilterNumber(Trim(inner.substr(comma + 1)));
    }
    if (!lat || !lng) return Error(code, ReservedError(member));
    if (*lat < -90 || *lat > 90) {
      return Error(code, "Bad latitude `" + FormatCoordinate(*lat) +
                             "`. Latitude must be contained between -90 and 90 degrees. ");
    }
    if (*lng < -180 || *lng > 180) {
      return Error(code, "Bad longitude `" + FormatCoordinate(*lng) +
                             "`. Longitude must be contained between -180 and 180 degrees. ");
    }
    c.field = "_geo";
    c.geo = true;
    c.lat = *lat;
    c.lng = *lng;
    return c;
  }
  if (IsReservedKeyword(member) || StartsWith(member, "_geoRadius(") ||
      StartsWith(member, "_geoBoundingBox(") || StartsWith(member, "_geo(") ||
      StartsWith(member, "_geoDistance(")) {
    return Error(code, ReservedError(member));
  }
  c.field = std::string(member);
  return c;
}

}  // namespace

Result<std::vector<SortCriterion>> ParseSort(const std::vector<std::string>& expressions,
                                             ErrorCode code) {
  std::vector<SortCriterion> out;
  for (const auto& e : expressions) {
    auto c = ParseOne(e, code);
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  return out;
}

Result<void> CheckSortable(const std::vector<SortCriterion>& criteria,
                           const std::set<std::string>& sortable,
                           const std::optional<std::vector<std::string>>& displayed,
                           ErrorCode code, std::string_view prefix) {
  for (const auto& c : criteria) {
    bool ok = false;
    for (const auto& s : sortable) {
      if (c.geo ? s == "_geo" : fields::IsFacetedBy(c.field, s)) ok = true;
    }
    if (ok) continue;
    std::string list;
    bool hidden = false;
    for (const auto& s : sortable) {
      bool shown = !displayed;
      if (displayed) {
        for (const auto& d : *displayed) shown = shown || fields::IsFacetedBy(s, d);
      }
      if (!shown) {
        hidden = true;
        continue;
      }
      list += (list.empty() ? "" : ", ") + s;
    }
    std::string message = std::string(prefix) + "Attribute `" + c.field + "` is not sortable. ";
    if (list.empty()) {
      message += "This index does not have configured sortable attributes.";
    } else {
      message += "Available sortable attributes are: `" + list +
                 (hidden ? ", <..hidden-attributes>" : "") + "`.";
    }
    return Error(code, message);
  }
  return {};
}

SortKey KeyOf(const FacetField* field, uint32_t doc, bool ascending) {
  SortKey key;
  const FacetField::DocValues* values = field ? field->ValuesOf(doc) : nullptr;
  if (!values) return key;
  if (!values->numbers.empty()) {
    key.kind = 0;
    key.number = values->numbers[0];
    for (double n : values->numbers) {
      if (ascending ? n < key.number : n > key.number) key.number = n;
    }
    return key;
  }
  if (!values->strings.empty()) {
    key.kind = 1;
    key.text = values->strings[0].first;
    for (const auto& s : values->strings) {
      if (ascending ? *s.first < *key.text : *s.first > *key.text) key.text = s.first;
    }
  }
  return key;
}

SortKey GeoKeyOf(const SortCriterion& c, const nlohmann::ordered_json* doc) {
  SortKey key;
  if (!doc) return key;
  FieldFacets lat = ExtractFacets(*doc, "_geo.lat");
  FieldFacets lng = ExtractFacets(*doc, "_geo.lng");
  auto coordinate = [](const FieldFacets& f) -> std::optional<double> {
    if (!f.numbers.empty()) return f.numbers[0];
    if (!f.originals.empty()) return ParseFilterNumber(f.originals[0]);
    return std::nullopt;
  };
  auto la = coordinate(lat);
  auto ln = coordinate(lng);
  if (!la || !ln) return key;
  key.kind = 0;
  key.number = GeoDistance(c.lat, c.lng, *la, *ln);
  return key;
}

int CompareKeys(const SortKey& a, const SortKey& b, bool ascending) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.kind == 2) return 0;
  int order = 0;
  if (a.kind == 0) {
    order = a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
  } else {
    int c = a.text->compare(*b.text);
    order = c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return ascending ? order : -order;
}

nlohmann::ordered_json KeyToJson(const SortKey& key, const FacetField* field, uint32_t doc) {
  if (key.kind == 0) return key.number;
  if (key.kind == 1) {
    // Report the value as written by the document.
    if (const FacetField::DocValues* values = field ? field->ValuesOf(doc) : nullptr) {
      for (const auto& s : values->strings) {
        if (s.first == key.text) return s.second;
      }
    }
    return *key.text;
  }
  return nullptr;
}

}  // namespace miroir::testnode
