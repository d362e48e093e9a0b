// HTTP request and response as plain values, free of Beast types.
//
// Handlers (Miroir's api/ and the test node) see only these, so they compile
// without Beast and can be unit-tested without sockets. The server converts at
// the edge and moves bodies, never copies them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "miroir/core/error.hpp"

namespace miroir::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view MethodName(Method m);
// The method spelled `name` ("GET", ...; case-sensitive, as HTTP methods
// are), kOther for any other.
Method MethodFromName(std::string_view name);

// Header names are stored lower-case; lookups are case-insensitive.
class Headers {
 public:
  void Add(std::string_view name, std::string_view value);
  // Replaces every header of that name.
  void Set(std::string_view name, std::string_view value);
  // The first value of that header, or empty when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

struct Request {
  Method method = Method::kGet;
  std::string target;  // path and query, as received ("/indexes/a/search?q=x")
  Headers headers;
  std::string body;
  std::string remote_address;

  // The target's path without the query string, still percent-encoded.
  std::string_view path() const;
  // The raw query string without '?', empty when absent.
  std::string_view query() const;
};

// What the server does with a Response. Everything but kSend exists so the
// test node can inject faults and so Miroir can close a connection after an
// unrecoverable request error.
enum class Disposition {
  kSend,            // write the response, keep the connection alive if asked
  kSendAndClose,    // write the response, then close
  kDrop,            // close without answering
  kHang,            // never answer; close once the peer gives up or on shutdown
  kTruncate,        // write the headers and half the body, then close
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  Disposition disposition = Disposition::kSend;

  static Response Json(unsigned status, std::string body);
  // A Meilisearch-shaped error body with the error's status.
  static Response FromError(const Error& e);
  static Response NoContent(unsigned status = 204);
};

// Percent-decoding of one path segment or query component ('+' is a space
// only in query components). Invalid escapes are kept verbatim.
std::string PercentDecode(std::string_view s, bool plus_is_space);

// Splits a path into decoded segments: "/indexes/a%20b/search" -> {indexes, a b, search}.
std::vector<std::string> SplitPath(std::string_view path);

// Parsed query string: ordered (name, value) pairs, percent-decoded; bytes
// that are not UTF-8 become U+FFFD, as Meilisearch decodes query strings, so
// every name and value is valid UTF-8.
class QueryParams {
 public:
  explicit QueryParams(std::string_view query);
  // The last value given for name, or nullptr.
  const std::string* Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace miroir::http
