#include "facet_filter.hpp"

#include <limits>

#include "filter_eval.hpp"
#include "text.hpp"

namespace miroir::testnode {
namespace {

using filter::Condition;
using filter::Node;
using filter::Op;

void AddIds(const std::vector<uint32_t>& ids, Bitmap& out) {
  for (uint32_t id : ids) out.Set(id);
}

void Equal(const FacetField& field, const filter::Value& value, Bitmap& out) {
  auto s = field.strings.find(text::NormalizeFacet(value.text));
  if (s != field.strings.end()) AddIds(s->second, out);
  if (auto n = ParseFilterNumber(value.text)) {
    auto it = field.numbers.find(*n);
    if (it != field.numbers.end()) AddIds(it->second, out);
  }
}

// Numbers in [lo, hi] with each end open or closed.
void NumberRange(const FacetField& field, double lo, bool lo_open, double hi, bool hi_open,
                 Bitmap& out) {
  if (lo > hi || (lo == hi && (lo_open || hi_open))) return;
  auto it = lo_open ? field.numbers.upper_bound(lo) : field.numbers.lower_bound(lo);
  for (; it != field.numbers.end(); ++it) {
    if (it->first > hi || (hi_open && it->first == hi)) break;
    AddIds(it->second, out);
  }
}

// Normalized strings compared with the literal as written (milli does not
// normalize range bounds). An empty optional bound is unbounded.
void StringRange(const FacetField& field, const std::string* lo, bool lo_open,
                 const std::string* hi, bool hi_open, Bitmap& out) {
  if (lo && hi && (*lo > *hi || (*lo == *hi && (lo_open || hi_open)))) return;
  auto it = !lo ? field.strings.begin()
                : lo_open ? field.strings.upper_bound(*lo) : field.strings.lower_bound(*lo);
  for (; it != field.strings.end(); ++it) {
    if (hi && (it->first > *hi || (hi_open && it->first == *hi))) break;
    AddIds(it->second, out);
  }
}

void Comparison(const FacetField& field, const Condition& c, Bitmap& out) {
  const std::string& literal = c.values[0].text;
  const double kMax = std::numeric_limits<double>::max();
  if (auto n = ParseFilterNumber(literal)) {
    switch (c.op) {
      case Op::kGt: NumberRange(field, *n, true, kMax, false, out); break;
      case Op::kGe: NumberRange(field, *n, false, kMax, false, out); break;
      case Op::kLt: NumberRange(field, -kMax, false, *n, true, out); break;
      case Op::kLe: NumberRange(field, -kMax, false, *n, false, out); break;
      default: break;
    }
  }
  switch (c.op) {
    case Op::kGt: StringRange(field, &literal, true, nullptr, false, out); break;
    case Op::kGe: StringRange(field, &literal, false, nullptr, false, out); break;
    case Op::kLt: StringRange(field, nullptr, false, &literal, true, out); break;
    case Op::kLe: StringRange(field, nullptr, false, &literal, false, out); break;
    default: break;
  }
}

// The documents matching the positive form of `c` (NOT ignored).
Bitmap Positive(const Condition& c, const FacetField& field, const Bitmap& all) {
  Bitmap out(all.capacity());
  switch (c.op) {
    case Op::kEq:
    case Op::kNe:
      if (!c.values.empty()) Equal(field, c.values[0], out);
      break;
    case Op::kIn:
      for (const auto& v : c.values) Equal(field, v, out);
      break;
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe:
      if (!c.values.empty()) Comparison(field, c, out);
      break;
    case Op::kRange: {
      if (c.values.size() < 2) break;
      auto lo = ParseFilterNumber(c.values[0].text);
      auto hi = ParseFilterNumber(c.values[1].text);
      if (lo && hi) NumberRange(field, *lo, false, *hi, false, out);
      StringRange(field, &c.values[0].text, false, &c.values[1].text, false, out);
      break;
    }
    case Op::kExists: out |= field.exists; break;
    case Op::kIsNull: out |= field.nulls; break;
    case Op::kIsEmpty: out |= field.empties; break;
    case Op::kContains: {
      if (c.values.empty()) break;
      std::string needle = text::NormalizeFacet(c.values[0].text);
      for (const auto& [value, ids] : field.strings) {
        if (value.find(needle) != std::string::npos) AddIds(ids, out);
      }
      break;
    }
    case Op::kStartsWith: {
      if (c.values.empty()) break;
      std::string prefix = text::NormalizeFacet(c.values[0].text);
      for (auto it = field.strings.lower_bound(prefix); it != field.strings.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0) break;
        AddIds(it->second, out);
      }
      break;
    }
    default: break;
  }
  out &= all;
  return out;
}

Result<Bitmap> EvaluateCondition(const Condition& c, const FilterEnv& env) {
  Bitmap result(env.all.capacity());
  if (c.op == Op::kGeoRadius || c.op == Op::kGeoBoundingBox) {
    env.all.ForEach([&](uint32_t doc) {
      const nlohmann::ordered_json* d = env.document(doc);
      if (d && GeoConditionHolds(c, *d)) result.Set(doc);
    });
    return result;
  }
  // Unknown field: nothing matches, and a NOT form matches everything.
  if (!env.field_known(c.attribute) || !FirstMatchingRule(env.rules, c.attribute)) {
    if (c.negated) result |= env.all;
    return result;
  }
  if (auto r = CheckOperator(c, env.rules, env.code); !r) return r.error();
  const FacetField* field = env.facets.Get(c.attribute);
  Bitmap positive = field ? Positive(c, *field, env.all) : Bitmap(env.all.capacity());
  if (c.negated || c.op == Op::kNe) {
    result |= env.all;
    result -= positive;
    return result;
  }
  return positive;
}

}  // namespace

Result<Bitmap> EvaluateFilter(const Node& node, const FilterEnv& env) {
  switch (node.kind) {
    case Node::Kind::kCondition: return EvaluateCondition(node.condition, env);
    case Node::Kind::kNot: {
      if (node.children.empty()) return env.all;
      auto inner = EvaluateFilter(node.children[0], env);
      if (!inner) return inner;
      Bitmap out = env.all;
      out -= *inner;
      return out;
    }
    case Node::Kind::kOr: {
      Bitmap out(env.all.capacity());
      for (const auto& child : node.children) {
        auto r = EvaluateFilter(child, env);
        if (!r) return r;
        out |= *r;
      }
      return out;
    }
    case Node::Kind::kAnd: {
      if (node.children.empty()) return Bitmap(env.all.capacity());
      auto first = EvaluateFilter(node.children[0], env);
      if (!first) return first;
      Bitmap out = std::move(*first);
      for (size_t i = 1; i < node.children.size(); ++i) {
        if (out.Empty()) break;
        auto r = EvaluateFilter(node.children[i], env);
        if (!r) return r;
        out &= *r;
      }
      return out;
    }
  }
  return Bitmap(env.all.capacity());
}

}  // namespace miroir::testnode
