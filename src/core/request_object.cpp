#include "core/request_object.hpp"

#include "core/json_scan.hpp"
#include "core/json_write.hpp"

namespace miroir::request {

PaddedView CopyPadded(std::string_view body) {
  // Client bodies are small; one reused buffer per thread avoids an
  // allocation per request.
  thread_local std::string buffer;
  buffer.assign(body.data(), body.size());
  json_scan::EnsurePadding(&buffer);
  return PaddedView{buffer.data(), buffer.size()};
}

namespace {

// Opens the root of a parsed body. When it is an object, returns it in
// `root`; otherwise validates the whole document and sets *is_object false.
simdjson::error_code OpenRoot(od::document& doc, od::value* root, bool* is_object) {
  od::json_type type;
  if (auto err = doc.type().get(type)) return err;
  *is_object = type == od::json_type::object;
  simdjson::error_code err = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::object:
      return doc.get_value().get(*root);
    case od::json_type::array: {
      od::value v;
      if (!(err = doc.get_value().get(v))) err = json_scan::Validate(v);
      break;
    }
    case od::json_type::number: {
      double d = 0;
      err = doc.get_double().get(d);
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      err = doc.get_string().get(s);
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      err = doc.get_bool().get(b);
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      err = doc.is_null().get(is_null);
      if (!err && !is_null) err = simdjson::N_ATOM_ERROR;
      break;
    }
  }
  if (!err && !json_scan::AtEnd(doc)) err = simdjson::TRAILING_CONTENT;
  return err;
}

}  // namespace

Result<void> ClientBody::Open(std::string_view client_body) {
  if (client_body.empty()) return Error(ErrorCode::kMissingPayload, "A json payload is missing.");
  padded_ = CopyPadded(client_body);
  auto& parser = json_scan::ThreadParser();
  if (auto err = parser.iterate(padded_.data, padded_.size,
                                padded_.size + simdjson::SIMDJSON_PADDING)
                     .get(doc_)) {
    return MalformedBody(err);
  }
  if (auto err = OpenRoot(doc_, &root_, &is_object_)) return MalformedBody(err);
  return Result<void>();
}

Result<void> ClientBody::CheckEnd() {
  if (!json_scan::AtEnd(doc_)) return MalformedBody(simdjson::TRAILING_CONTENT);
  return Result<void>();
}

Error MalformedBody(simdjson::error_code code) {
  return Error(ErrorCode::kBadRequest,
               std::string("Json deserialize error: ") + simdjson::error_message(code));
}

bool MemberTable::Finish(const char* close, std::vector<RequestMember>* out) const {
  out->clear();
  out->reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    const char* end = close;
    if (i + 1 < pending_.size()) {
      end = json_scan::SeparatorBefore(pending_[i + 1].key_quote, base_);
      if (end == nullptr) return false;
    }
    out->push_back(RequestMember{static_cast<uint32_t>(pending_[i].key_quote - base_),
                                 static_cast<uint32_t>(pending_[i].value_begin - base_),
                                 static_cast<uint32_t>(end - base_), pending_[i].param});
  }
  return true;
}

const char* RootClose(const char* data, size_t size) {
  const char* p = data + size;
  while (p > data && json_scan::IsJsonSpace(p[-1])) --p;
  return (p > data && p[-1] == '}') ? p - 1 : nullptr;
}

void AppendFusedFilter(std::string* out, uint8_t filter_kind, std::string_view client_filter,
                       const std::vector<uint32_t>& shards) {
  std::string clause = ShardFilterExpression(shards);
  out->append("\"filter\":");
  switch (filter_kind) {
    case kFilterString:
      out->push_back('[');
      out->append(client_filter);
      out->push_back(',');
      json_write::AppendString(out, clause);
      out->push_back(']');
      return;
    case kFilterArray: {
      // Outer array elements are ANDed: the clause becomes one more element.
      std::string_view inner = client_filter.substr(1, client_filter.size() - 2);
      bool empty = true;
      for (char c : inner) empty = empty && json_scan::IsJsonSpace(c);
      out->push_back('[');
      if (!empty) {
        out->append(inner);
        out->push_back(',');
      }
      json_write::AppendString(out, clause);
      out->push_back(']');
      return;
    }
    default:
      json_write::AppendString(out, clause);
      return;
  }
}

void AppendMembersExcept(std::string* out, std::string_view body,
                         const std::vector<RequestMember>& members, uint64_t replaced) {
  for (const RequestMember& m : members) {
    if (replaced & Bit(m.param)) continue;
    out->append(body.substr(m.begin, m.end - m.begin));
    out->push_back(',');
  }
}

}  // namespace miroir::request
