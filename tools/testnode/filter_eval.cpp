#include "filter_eval.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "text.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;
using filter::Condition;
using filter::Node;
using filter::Op;

// Walks `path` in `value`; fn(const OJson&, bool inside_array) gets each
// value found and whether an array was crossed to reach it.
template <class Fn>
void VisitWithDepth(const OJson& value, std::string_view path, bool inside_array, Fn&& fn) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& key = it.key();
      if (path.size() < key.size() || path.compare(0, key.size(), key) != 0) continue;
      if (path.size() == key.size()) {
        fn(it.value(), inside_array);
      } else if (path[key.size()] == '.') {
        VisitWithDepth(it.value(), path.substr(key.size() + 1), inside_array, fn);
      }
    }
  } else if (value.is_array()) {
    for (const auto& element : value) {
      if (element.is_object() || element.is_array()) VisitWithDepth(element, path, true, fn);
    }
  }
}

void AddValues(const OJson& v, FieldFacets* out) {
  switch (v.type()) {
    case OJson::value_t::number_integer:
    case OJson::value_t::number_unsigned:
    case OJson::value_t::number_float:
      out->numbers.push_back(v.get<double>());
      break;
    case OJson::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      std::string normalized = text::NormalizeFacet(s);
      if (normalized.empty()) break;
      out->strings.push_back(std::move(normalized));
      out->originals.push_back(s);
      break;
    }
    case OJson::value_t::boolean:
      out->strings.emplace_back(v.get<bool>() ? "true" : "false");
      out->originals.emplace_back(v.get<bool>() ? "true" : "false");
      break;
    case OJson::value_t::array:
      for (const auto& element : v) AddValues(element, out);
      break;
    default:
      break;
  }
}

bool IsEmptyValue(const OJson& v) {
  return (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_array() && v.empty()) || (v.is_object() && v.empty());
}

bool CompareString(Op op, const std::string& s, const std::string& literal) {
  switch (op) {
    case Op::kGt: return s > literal;
    case Op::kGe: return s >= literal;
    case Op::kLt: return s < literal;
    case Op::kLe: return s <= literal;
    default: return false;
  }
}

bool CompareNumber(Op op, double x, double literal) {
  switch (op) {
    case Op::kGt: return x > literal;
    case Op::kGe: return x >= literal;
    case Op::kLt: return x < literal;
    case Op::kLe: return x <= literal;
    default: return false;
  }
}

bool EqualsAny(const FieldFacets& f, const filter::Value& value) {
  std::string normalized = text::NormalizeFacet(value.text);
  for (const auto& s : f.strings) {
    if (s == normalized) return true;
  }
  if (auto n = ParseFilterNumber(value.text)) {
    for (double x : f.numbers) {
      if (x == *n) return true;
    }
  }
  return false;
}

bool PositiveHolds(const Condition& c, const FieldFacets& f) {
  switch (c.op) {
    case Op::kEq:
    case Op::kNe:
      return !c.values.empty() && EqualsAny(f, c.values[0]);
    case Op::kIn:
      return std::any_of(c.values.begin(), c.values.end(),
                         [&](const filter::Value& v) { return EqualsAny(f, v); });
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe: {
      if (c.values.empty()) return false;
      const std::string& literal = c.values[0].text;
      if (auto n = ParseFilterNumber(literal)) {
        for (double x : f.numbers) {
          if (CompareNumber(c.op, x, *n)) return true;
        }
      }
      for (const auto& s : f.strings) {
        if (CompareString(c.op, s, literal)) return true;
      }
      return false;
    }
    case Op::kRange: {
      if (c.values.size() < 2) return false;
      const std::string& lo = c.values[0].text;
      const std::string& hi = c.values[1].text;
      auto nlo = ParseFilterNumber(lo);
      auto nhi = ParseFilterNumber(hi);
      if (nlo && nhi && *nlo <= *nhi) {
        for (double x : f.numbers) {
          if (x >= *nlo && x <= *nhi) return true;
        }
      }
      if (lo <= hi) {
        for (const auto& s : f.strings) {
          if (s >= lo && s <= hi) return true;
        }
      }
      return false;
    }
    case Op::kExists: return f.exists;
    case Op::kIsNull: return f.is_null;
    case Op::kIsEmpty: return f.is_empty;
    case Op::kContains: {
      if (c.values.empty()) return false;
      std::string needle = text::NormalizeFacet(c.values[0].text);
      return std::any_of(f.strings.begin(), f.strings.end(), [&](const std::string& s) {
        return s.find(needle) != std::string::npos;
      });
    }
    case Op::kStartsWith: {
      if (c.values.empty()) return false;
      std::string prefix = text::NormalizeFacet(c.values[0].text);
      return std::any_of(f.strings.begin(), f.strings.end(), [&](const std::string& s) {
        return s.compare(0, prefix.size(), prefix) == 0;
      });
    }
    default: return false;
  }
}

std::optional<double> GeoCoordinate(const OJson& geo, const char* key) {
  auto it = geo.find(key);
  if (it == geo.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return ParseFilterNumber(it->get<std::string>());
  return std::nullopt;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsTokenBoundary(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '"' ||
         c == '\'' || c == '=' || c == '!' || c == '<' || c == '>' || c == ',' || c == '[' ||
         c == ']';
}

// Finds `token` as a whole token of `expr`; returns its byte offset.
std::optional<size_t> FindToken(std::string_view expr, std::string_view token) {
  if (token.empty()) return std::nullopt;
  for (size_t pos = expr.find(token); pos != std::string_view::npos;
       pos = expr.find(token, pos + 1)) {
    bool left = pos == 0 || IsTokenBoundary(expr[pos - 1]);
    size_t end = pos + token.size();
    bool right = end == expr.size() || IsTokenBoundary(expr[end]);
    if (left && right) return pos;
  }
  return std::nullopt;
}

std::optional<std::string> PositionIn(std::string_view expr, std::string_view token) {
  auto pos = FindToken(expr, token);
  if (!pos) return std::nullopt;
  size_t line_start = expr.rfind('\n', *pos);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  size_t start = Utf8Length(expr.substr(line_start, *pos - line_start)) + 1;
  size_t end = start + Utf8Length(token);
  return "\n" + std::to_string(start) + ":" + std::to_string(end) + " " + std::string(expr);
}

void CollectConditions(const Node& node, std::vector<const Condition*>* out) {
  if (node.kind == Node::Kind::kCondition) {
    out->push_back(&node.condition);
    return;
  }
  for (const auto& child : node.children) CollectConditions(child, out);
}

std::string_view CheckedOperatorName(Op op, bool negated) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kIn: return "=";  // IN is evaluated (and refused) as a series of `=`
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kRange: return "TO";
    case Op::kExists: return negated ? "NOT EXISTS" : "EXISTS";
    case Op::kIsNull: return "IS NULL";
    case Op::kIsEmpty: return "IS EMPTY";
    case Op::kContains: return "CONTAINS";
    case Op::kStartsWith: return "STARTS WITH";
    default: return "";
  }
}

}  // namespace

double GeoDistance(double lat1, double lng1, double lat2, double lng2) {
  constexpr double kEarthRadius = 6371008.8;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlng = (lng2 - lng1) * kRad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(lat1 * kRad) *
                                                                 std::cos(lat2 * kRad) *
                                                                 std::sin(dlng / 2) *
                                                                 std::sin(dlng / 2);
  return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(a)));
}

std::optional<double> ParseFilterNumber(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  size_t i = 0;
  size_t digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exp = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++exp;
    if (exp == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double v = std::strtod(std::string(s).c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

FieldFacets ExtractFacets(const OJson& doc, std::string_view field) {
  FieldFacets out;
  VisitWithDepth(doc, field, false, [&](const OJson& v, bool inside_array) {
    out.exists = true;
    if (!inside_array) {
      if (v.is_null()) out.is_null = true;
      if (IsEmptyValue(v)) out.is_empty = true;
    }
    AddValues(v, &out);
  });
  return out;
}

bool ConditionHolds(const Condition& c, const FieldFacets& facets) {
  bool positive = PositiveHolds(c, facets);
  bool negated = c.negated || c.op == Op::kNe;
  return negated ? !positive : positive;
}

bool GeoConditionHolds(const Condition& c, const OJson& doc) {
  bool positive = false;
  auto geo = doc.find("_geo");
  if (geo != doc.end() && geo->is_object()) {
    auto lat = GeoCoordinate(*geo, "lat");
    auto lng = GeoCoordinate(*geo, "lng");
    if (lat && lng) {
      if (c.op == Op::kGeoRadius && c.geo.size() >= 3) {
        positive = GeoDistance(c.geo[0], c.geo[1], *lat, *lng) <= c.geo[2] + 1e-9;
      } else if (c.op == Op::kGeoBoundingBox && c.geo.size() >= 4) {
        double top = c.geo[0], right = c.geo[1], bottom = c.geo[2], left = c.geo[3];
        bool lat_ok = *lat >= bottom && *lat <= top;
        bool lng_ok = right < left ? (*lng >= left || *lng <= right)
                                   : (*lng >= left && *lng <= right);
        positive = lat_ok && lng_ok;
      }
    }
  }
  return c.negated ? !positive : positive;
}

bool Matches(const Node& node, const OJson& doc) {
  switch (node.kind) {
    case Node::Kind::kCondition: {
      const Condition& c = node.condition;
      if (c.op == Op::kGeoRadius || c.op == Op::kGeoBoundingBox) return GeoConditionHolds(c, doc);
      return ConditionHolds(c, ExtractFacets(doc, c.attribute));
    }
    case Node::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return Matches(child, doc); });
    case Node::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return Matches(child, doc); });
    case Node::Kind::kNot:
      return node.children.empty() || !Matches(node.children[0], doc);
  }
  return false;
}

std::string FilterPosition(const nlohmann::json& filter, std::string_view token) {
  if (filter.is_string()) {
    return PositionIn(filter.get_ref<const std::string&>(), token).value_or("");
  }
  if (filter.is_array()) {
    for (const auto& element : filter) {
      std::string found = FilterPosition(element, token);
      if (!found.empty()) return found;
    }
  }
  return "";
}

Result<void> CheckFilterable(const Node& node, const std::vector<FilterableRule>& rules,
                             const nlohmann::json& filter, ErrorCode code) {
  for (const std::string& attribute : filter::Attributes(node)) {
    if (IsFilterable(rules, attribute)) continue;
    std::set<std::string> patterns = FilterablePatterns(rules);
    std::string message = "Attribute `" + attribute + "` is not filterable.";
    if (patterns.empty()) {
      message += " This index does not have configured filterable attributes.";
    } else {
      message += " Available filterable attribute patterns are: ";
      bool first = true;
      for (const auto& p : patterns) {
        message += (first ? "`" : ", `") + p + "`";
        first = false;
      }
      message += ".";
    }
    std::string_view token = attribute;
    std::string position;
    if (attribute == "_geo") {
      position = FilterPosition(filter, "_geoRadius");
      if (position.empty()) position = FilterPosition(filter, "_geoBoundingBox");
    } else {
      position = FilterPosition(filter, token);
    }
    return Error(code, message + position);
  }
  return {};
}

Result<void> CheckOperator(const Condition& c, const std::vector<FilterableRule>& rules,
                           ErrorCode code) {
  if (c.op == Op::kGeoRadius || c.op == Op::kGeoBoundingBox) return {};
  auto match = FirstMatchingRule(rules, c.attribute);
  if (!match) return {};
  const FilterableRule& rule = *match->rule;
  bool comparison = c.op == Op::kGt || c.op == Op::kGe || c.op == Op::kLt || c.op == Op::kLe ||
                    c.op == Op::kRange;
  bool equality = c.op == Op::kEq || c.op == Op::kNe || c.op == Op::kIn;
  if ((comparison && rule.comparison) || (equality && rule.equality) ||
      (!comparison && !equality)) {
    return {};
  }
  std::vector<std::string> allowed = {"OR", "AND", "NOT"};
  if (rule.equality) allowed.insert(allowed.end(), {"=", "!=", "IN"});
  if (rule.comparison) allowed.insert(allowed.end(), {"<", ">", "<=", ">=", "TO"});
  allowed.insert(allowed.end(), {"IS EMPTY", "IS NULL", "EXISTS"});
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i) list += (i ? ", " : "") + allowed[i];
  std::string index = std::to_string(match->index);
  std::string op(CheckedOperatorName(c.op, c.negated));
  return Error(code, "Filter operator `" + op + "` is not allowed for the attribute `" +
                         c.attribute + "`.\n  - Note: allowed operators: " + list +
                         ".\n  - Note: field `" + c.attribute + "` matched rule #" + index +
                         " in `filterableAttributes`\n  - Hint: enable " +
                         (equality ? "equality" : "comparison") + " in rule #" + index +
                         " by modifying the features.filter object\n  - Hint: prepend another "
                         "rule matching `" +
                         c.attribute + "` with appropriate filter features before rule #" + index);
}

Result<void> CheckContainsAllowed(const Node& node, const nlohmann::json& filter,
                                  bool contains_enabled) {
  if (contains_enabled) return {};
  std::vector<const Condition*> conditions;
  CollectConditions(node, &conditions);
  for (const Condition* c : conditions) {
    if (c->op != Op::kContains) continue;
    return Error(ErrorCode::kFeatureNotEnabled,
                 "Using `CONTAINS` in a filter requires enabling the `contains filter` "
                 "experimental feature. See https://github.com/orgs/meilisearch/discussions/763" +
                     FilterPosition(filter, "CONTAINS"));
  }
  return {};
}

}  // namespace miroir::testnode
