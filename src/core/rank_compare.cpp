#include "core/rank_compare.hpp"

#include <algorithm>
#include <utility>

#include "core/json_scan.hpp"

namespace miroir::rank {

namespace od = simdjson::ondemand;
using Kind = RankValue::Kind;
using Type = RankValue::Type;

static bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<SortSpec> ParseSortSpecs(const std::vector<std::string>& sort) {
  std::vector<SortSpec> specs;
  for (const std::string& expr : sort) {
    size_t colon = expr.rfind(':');
    if (colon == std::string::npos) continue;
    std::string_view direction = std::string_view(expr).substr(colon + 1);
    if (direction != "asc" && direction != "desc") continue;
    SortSpec spec;
    spec.ascending = direction == "asc";
    spec.field = expr.substr(0, colon);
    spec.geo = spec.field.rfind("_geoPoint(", 0) == 0;
    if (spec.geo) spec.field.clear();
    specs.push_back(std::move(spec));
  }
  return specs;
}

static int Sign(bool better, bool worse) { return better ? 1 : (worse ? -1 : 0); }

int CompareSortValues(bool ascending, const RankValue& a, const RankValue& b) {
  if (a.type == Type::kNull || b.type == Type::kNull) {
    return Sign(b.type == Type::kNull && a.type != Type::kNull,
                a.type == Type::kNull && b.type != Type::kNull);
  }
  if (a.type == Type::kNumber && b.type == Type::kString) return 1;
  if (a.type == Type::kString && b.type == Type::kNumber) return -1;
  int order = 0;  // a vs b in natural order
  if (a.type == Type::kNumber && b.type == Type::kNumber) {
    order = Sign(a.number > b.number, a.number < b.number);
  } else if (a.type == Type::kString && b.type == Type::kString) {
    int c = a.text.compare(b.text);
    order = Sign(c > 0, c < 0);
  } else {
    return 0;  // neither numbers nor strings: Meilisearch treats them as equal
  }
  // Ascending: the smaller value ranks first.
  return ascending ? -order : order;
}

static int CompareStep(const RankValue& a, const RankValue& b, bool* comparable) {
  *comparable = true;
  if (a.kind != b.kind) {
    *comparable = false;
    return 0;
  }
  switch (a.kind) {
    case Kind::kScore:
      return Sign(a.number > b.number, a.number < b.number);
    case Kind::kSort:
      if (a.ascending != b.ascending) {
        *comparable = false;
        return 0;
      }
      return CompareSortValues(a.ascending, a, b);
    case Kind::kGeo: {
      if (a.ascending != b.ascending) {
        *comparable = false;
        return 0;
      }
      bool a_null = a.type != Type::kNumber;
      bool b_null = b.type != Type::kNumber;
      if (a_null || b_null) return Sign(b_null && !a_null, a_null && !b_null);
      int order = Sign(a.number > b.number, a.number < b.number);
      return a.ascending ? -order : order;
    }
    case Kind::kOther:
      return 0;
  }
  return 0;
}

int CompareSequences(const RankValue* a, size_t a_count, const RankValue* b, size_t b_count) {
  size_t i = 0;
  for (;; ++i) {
    if (i >= a_count && i >= b_count) return 0;
    if (i >= a_count) return -1;
    if (i >= b_count) return 1;
    bool comparable = true;
    int c = CompareStep(a[i], b[i], &comparable);
    if (!comparable) {
      // As Meilisearch does: the side with more remaining rules wins, else
      // the two cannot be ordered by their details.
      size_t a_rest = a_count - i - 1;
      size_t b_rest = b_count - i - 1;
      if (a_rest == b_rest) return kIncomparable;
      return a_rest > b_rest ? 1 : -1;
    }
    if (c != 0) return c;
  }
}

static bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Reads a sort "value": number, string or null; anything else compares equal.
static simdjson::error_code ReadSortValue(od::value value, RankValue* out,
                                          std::deque<std::string>* arena) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  switch (type) {
    case od::json_type::number:
      out->type = Type::kNumber;
      return value.get_double().get(out->number);
    case od::json_type::string: {
      od::raw_json_string raw;
      if (auto err = value.get_raw_json_string().get(raw)) return err;
      bool ok = true;
      out->text = json_scan::Unescape(json_scan::KeyText(raw), arena, &ok);
      out->type = Type::kString;
      return ok ? simdjson::SUCCESS : simdjson::STRING_ERROR;
    }
    case od::json_type::null:
      out->type = Type::kNull;
      return simdjson::SUCCESS;
    default:
      out->type = Type::kOther;
      return simdjson::SUCCESS;
  }
}

static simdjson::error_code ReadOptionalDouble(od::value value, RankValue* out) {
  bool is_null = false;
  if (auto err = value.is_null().get(is_null)) return err;
  if (is_null) {
    out->type = Type::kNull;
    return simdjson::SUCCESS;
  }
  out->type = Type::kNumber;
  return value.get_double().get(out->number);
}

simdjson::error_code ParseScoreDetails(od::object details, std::vector<RankValue>* out,
                                       std::deque<std::string>* arena) {
  size_t first = out->size();
  for (auto field_result : details) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view rule = json_scan::FieldKey(field);
    od::object body;
    if (auto err = field.value().get_object().get(body)) return err;
    RankValue v;
    bool has_score = false, has_value = false, has_distance = false, has_similarity = false;
    RankValue sort_value, distance, similarity;
    for (auto inner_result : body) {
      od::field inner;
      if (auto err = std::move(inner_result).get(inner)) return err;
      std::string_view name = json_scan::FieldKey(inner);
      if (name == "order") {
        uint64_t order = 0;
        if (auto err = inner.value().get_uint64().get(order)) return err;
        v.order = static_cast<uint32_t>(std::min<uint64_t>(order, UINT32_MAX));
      } else if (name == "score") {
        if (auto err = inner.value().get_double().get(v.number)) return err;
        has_score = true;
      } else if (name == "value") {
        if (auto err = ReadSortValue(inner.value(), &sort_value, arena)) return err;
        has_value = true;
      } else if (name == "distance") {
        if (auto err = ReadOptionalDouble(inner.value(), &distance)) return err;
        has_distance = true;
      } else if (name == "similarity") {
        if (auto err = ReadOptionalDouble(inner.value(), &similarity)) return err;
        has_similarity = true;
      }
    }
    bool asc = EndsWith(rule, ":asc");
    bool desc = EndsWith(rule, ":desc");
    if (rule == "vectorSort" || has_similarity) {
      v.kind = Kind::kScore;
      v.number = similarity.type == Type::kNumber ? similarity.number : 0.0;
    } else if (StartsWith(rule, "_geoPoint(") && (asc || desc)) {
      v.kind = Kind::kGeo;
      v.ascending = asc;
      v.type = has_distance ? distance.type : Type::kNull;
      v.number = distance.number;
    } else if (has_score) {
      v.kind = Kind::kScore;
    } else if (rule == "skipped") {
      v.kind = Kind::kScore;  // a skipped rule ranks as 0
      v.number = 0;
    } else if ((asc || desc) && has_value) {
      v.kind = Kind::kSort;
      v.ascending = asc;
      v.type = sort_value.type;
      v.number = sort_value.number;
      v.text = sort_value.text;
    } else {
      v.kind = Kind::kOther;  // e.g. a redacted rule: equal for everyone
    }
    out->push_back(v);
  }
  // Meilisearch writes the rules in order; sort anyway (an insertion sort:
  // a handful of rules, nearly always sorted already, and no allocation).
  for (size_t i = first + 1; i < out->size(); ++i) {
    for (size_t j = i; j > first && (*out)[j].order < (*out)[j - 1].order; --j) {
      std::swap((*out)[j], (*out)[j - 1]);
    }
  }
  return simdjson::SUCCESS;
}

std::string_view NormalizeFacetString(std::string_view s, std::deque<std::string>* arena) {
  while (!s.empty() && json_scan::IsJsonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && json_scan::IsJsonSpace(s.back())) s.remove_suffix(1);
  bool has_upper = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!has_upper) return s;
  std::string& lowered = arena->emplace_back(s);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

void FoldSortLeaf(bool ascending, const RankValue& leaf, RankValue* key) {
  if (leaf.type == Type::kNumber) {
    if (key->type != Type::kNumber || (ascending ? leaf.number < key->number
                                                 : leaf.number > key->number)) {
      key->type = Type::kNumber;
      key->number = leaf.number;
    }
  } else if (leaf.type == Type::kString) {
    if (key->type == Type::kNull ||
        (key->type == Type::kString && (ascending ? leaf.text < key->text
                                                  : leaf.text > key->text))) {
      key->type = Type::kString;
      key->text = leaf.text;
    }
  }
}

}  // namespace miroir::rank
