#include "documents_payload.hpp"

#include <cctype>
#include <string>

#include "json_syntax.hpp"
#include "miroir/core/csv.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;
using Docs = std::vector<OJson>;

enum class Format { kJson, kNdjson, kCsv };

constexpr std::string_view kAccepted =
    "Accepted values for the Content-Type header are: `application/json`, "
    "`application/x-ndjson`, `text/csv`";

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kJson: return "json";
    case Format::kNdjson: return "ndjson";
    case Format::kCsv: return "csv";
  }
  return "json";
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&-^_.+").find(c) !=
                                                            std::string_view::npos;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses "type/subtype; params" into a lowercase "type/subtype", or nullopt
// when the header is not a media type at all.
std::optional<std::string> MediaType(std::string_view header) {
  std::string_view essence = Trim(header.substr(0, header.find(';')));
  size_t slash = essence.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == essence.size()) {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < essence.size(); ++i) {
    char c = essence[i];
    if (i != slash && !IsTokenChar(c)) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Error MissingPayload(Format f) {
  return Error(ErrorCode::kMissingPayload, "A " + std::string(FormatName(f)) +
                                               " payload is missing.");
}

// Meilisearch's wording for a serde_json failure, shortened the way it
// shortens messages that would echo a huge input.
Error SerdeError(Format f, std::string message) {
  constexpr size_t kPrefix = 50;
  constexpr size_t kSuffix = 85;
  constexpr std::string_view kEllipsis = "...";
  if (message.size() > kPrefix + kSuffix + kEllipsis.size()) {
    message = message.substr(0, kPrefix) + std::string(kEllipsis) +
              message.substr(message.size() - kSuffix);
  }
  return Error(ErrorCode::kMalformedPayload,
               "The `" + std::string(FormatName(f)) +
                   "` payload provided is malformed. `Couldn't serialize document value: " +
                   message + "`.");
}

Error NotObjects(Format f) {
  return SerdeError(f, "data are neither an object nor a list of objects");
}

Result<Docs> ParseJson(std::string_view body) {
  if (auto err = json_syntax::CheckValue(body)) return SerdeError(Format::kJson, *err);
  OJson value = OJson::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return SerdeError(Format::kJson, "invalid JSON");
  Docs docs;
  if (value.is_object()) {
    docs.push_back(std::move(value));
    return docs;
  }
  if (!value.is_array()) return NotObjects(Format::kJson);
  docs.reserve(value.size());
  for (auto& element : value) {
    if (!element.is_object()) return NotObjects(Format::kJson);
    docs.push_back(std::move(element));
  }
  return docs;
}

Result<Docs> ParseNdjson(std::string_view body) {
  std::vector<std::pair<size_t, size_t>> spans;
  if (auto err = json_syntax::CheckStream(body, &spans)) return SerdeError(Format::kNdjson, *err);
  Docs docs;
  docs.reserve(spans.size());
  for (auto [begin, end] : spans) {
    OJson value = OJson::parse(body.substr(begin, end - begin), nullptr, false);
    if (!value.is_object()) return NotObjects(Format::kNdjson);
    docs.push_back(std::move(value));
  }
  return docs;
}

Result<Docs> ParseCsv(std::string_view body, char delimiter) {
  csv::Reader reader(body, delimiter);
  csv::Record record;
  if (!reader.Next(record)) {
    if (reader.error()) return *reader.error();
    return Docs{};
  }
  auto columns = csv::ParseHeader(record);
  if (!columns) return columns.error();
  // The template document: every column present, in header order, null.
  OJson blank = OJson::object();
  for (const auto& column : *columns) blank[column.name] = nullptr;

  Docs docs;
  size_t record_number = 0;
  while (reader.Next(record)) {
    ++record_number;
    OJson doc = blank;
    for (size_t i = 0; i < columns->size() && i < record.fields.size(); ++i) {
      auto value = csv::FieldToJson(record.fields[i].text, (*columns)[i].type, record_number);
      if (!value) return value.error();
      doc[(*columns)[i].name] = OJson::parse(*value, nullptr, false);
    }
    docs.push_back(std::move(doc));
  }
  if (reader.error()) return *reader.error();
  return docs;
}

}  // namespace

Result<Docs> ParseDocumentsPayload(std::optional<std::string_view> content_type,
                                   std::string_view body, std::optional<char> csv_delimiter) {
  if (!content_type) {
    return Error(ErrorCode::kMissingContentType,
                 "A Content-Type header is missing. " + std::string(kAccepted));
  }
  std::optional<std::string> media = MediaType(*content_type);
  if (!media) {
    return Error(ErrorCode::kInvalidContentType, "The Content-Type `" + std::string(*content_type) +
                                                     "` is invalid. " + std::string(kAccepted));
  }
  Format format;
  if (*media == "application/json") {
    format = Format::kJson;
  } else if (*media == "application/x-ndjson") {
    format = Format::kNdjson;
  } else if (*media == "text/csv") {
    format = Format::kCsv;
  } else {
    return Error(ErrorCode::kInvalidContentType,
                 "The Content-Type `" + *media + "` is invalid. " + std::string(kAccepted));
  }
  if (csv_delimiter && format != Format::kCsv) {
    return Error(ErrorCode::kInvalidContentType,
                 "The Content-Type `" + *media +
                     "` does not support the use of a csv delimiter. The csv delimiter can only "
                     "be used with the Content-Type `text/csv`.");
  }
  if (body.empty()) return MissingPayload(format);
  switch (format) {
    case Format::kJson: return ParseJson(body);
    case Format::kNdjson: return ParseNdjson(body);
    case Format::kCsv: return ParseCsv(body, csv_delimiter.value_or(','));
  }
  return ParseJson(body);
}

Result<Docs> ParseDocumentsPayload(std::string_view content_type, std::string_view body,
                                   char csv_delimiter) {
  std::optional<std::string_view> type;
  if (!content_type.empty()) type = content_type;
  std::optional<std::string> media = type ? MediaType(*type) : std::nullopt;
  std::optional<char> delimiter;
  if (media && *media == "text/csv") delimiter = csv_delimiter;
  return ParseDocumentsPayload(type, body, delimiter);
}

}  // namespace miroir::testnode
