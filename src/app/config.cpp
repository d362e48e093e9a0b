#include "miroir/app/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <unistd.h>

#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

namespace miroir::app {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t kNoMax = std::numeric_limits<uint64_t>::max();
// Longest value an _ms key takes: a day. Longer timeouts are a mistake, and
// the bound keeps every value far from overflowing a 32-bit millisecond count.
constexpr uint64_t kMaxMillis = 24ull * 60 * 60 * 1000;

// A description of what is wrong with one value, without the key or where
// it came from (the caller adds both); nullopt when the value is fine.
using Problem = std::optional<std::string>;

// One line whatever the text holds: yaml-cpp's messages and key names come
// through raw, so control characters are written as escapes here.
Error ConfigError(const std::string& message) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line = "config: ";
  for (unsigned char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      line += "\\x";
      line.push_back(kHex[c >> 4]);
      line.push_back(kHex[c & 15]);
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  return Error(ErrorCode::kInternal, std::move(line));
}

// Counts the documents of a YAML stream without building them.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Whether the text holds more than one document. It stops at the second:
// yaml-cpp 0.7 (Debian 12) reports empty documents forever on some malformed
// input, so YAML::LoadAll would never return (fixed upstream in yaml-cpp
// #1319). Throws YAML::Exception on a syntax error, as parsing does.
bool HasSeveralDocuments(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  int documents = 0;
  while (parser.HandleNextDocument(counter)) {
    if (++documents > 1) return true;
  }
  return false;
}

// Values are echoed in double quotes with control characters escaped, so
// the error stays on one line whatever the operator typed.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string LineSuffix(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ")";
}

// ---- Scalar parsers -------------------------------------------------------

// `open_max` says the upper bound is only the type's limit, so the message
// talks about the minimum unless the value overflowed.
std::string RangeProblem(std::string_view value, bool above, uint64_t min, uint64_t max,
                         bool open_max) {
  const std::string got = ", got " + std::string(value);
  if (!open_max) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + got;
  }
  if (above) return "must be at most " + std::to_string(max) + got;
  return "must be at least " + std::to_string(min) + got;
}

Problem ParseUnsigned(std::string_view text, uint64_t min, uint64_t max, uint64_t* out,
                      bool open_max = false) {
  std::string_view t = Trim(text);
  const bool negative = !t.empty() && t.front() == '-';
  std::string_view digits = negative ? t.substr(1) : t;
  if (!AllDigits(digits)) return "expected an integer, got " + Quote(text);
  if (negative) return RangeProblem(t, false, min, max, open_max);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v > max) {
    return RangeProblem(t, true, min, max, open_max);
  }
  if (v < min) return RangeProblem(t, false, min, max, open_max);
  *out = v;
  return std::nullopt;
}

Problem ParseBool(std::string_view text, bool* out) {
  const std::string t = Lower(Trim(text));
  if (t == "true" || t == "yes" || t == "on" || t == "1") {
    *out = true;
  } else if (t == "false" || t == "no" || t == "off" || t == "0") {
    *out = false;
  } else {
    return "expected true or false, got " + Quote(text);
  }
  return std::nullopt;
}

// "host" of a listen address: an IP literal or a host name, without a port.
Problem CheckListenHost(std::string_view text) {
  if (text.empty()) return "must not be empty";
  const auto colons = std::count(text.begin(), text.end(), ':');
  const bool ipv6 = colons >= 2 && std::all_of(text.begin(), text.end(), [](char c) {
                      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
                    });
  if (ipv6) return std::nullopt;
  if (colons > 0) {
    return "expected an IP address or host name without a port (the port is listen.port), got " +
           Quote(text);
  }
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return "expected an IP address or host name, got " + Quote(text);
    }
  }
  return std::nullopt;
}

// A node address: "host:port" or "[ipv6]:port", port 1..65535, no scheme.
Problem CheckNodeAddress(std::string_view text) {
  if (text.find("://") != std::string_view::npos) {
    return "expected \"host:port\" without a scheme, got " + Quote(text);
  }
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return "expected \"[ipv6]:port\", got " + Quote(text);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    const bool ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!ok) return "expected an IPv6 address between the brackets, got " + Quote(text);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return "expected \"host:port\", got " + Quote(text);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return "an IPv6 address must be in brackets, e.g. \"[::1]:7700\", got " + Quote(text);
    }
    if (host.empty()) return "expected \"host:port\" with a host, got " + Quote(text);
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
        return "expected \"host:port\" with a valid host name, got " + Quote(text);
      }
    }
  }
  uint64_t p = 0;
  if (!AllDigits(port) || ParseUnsigned(port, 1, 65535, &p)) {
    return "port must be an integer between 1 and 65535, got " + Quote(text);
  }
  return std::nullopt;
}

// Group and node ids appear in placement hashes, metrics labels and admin
// URLs, so they are kept to characters that need no escaping anywhere.
Problem CheckId(std::string_view text) {
  const bool ok = !text.empty() && text.size() <= 64 &&
                  std::all_of(text.begin(), text.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                           c == '.';
                  });
  if (ok) return std::nullopt;
  return "must be 1 to 64 letters, digits, '-', '_' or '.', got " + Quote(text);
}

// Damerau-free Levenshtein distance, for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "; did you mean "port"?" when one candidate is close, else "".
std::string Suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 3;  // suggest only within two edits
  for (const auto& c : candidates) {
    const size_t d = EditDistance(Lower(word), Lower(c));
    if (d < best_distance && d < c.size()) {
      best = &c;
      best_distance = d;
    }
  }
  return best ? "; did you mean " + Quote(*best) + "?" : "";
}

// ---- The schema -----------------------------------------------------------

// Sets one scalar key of a Config from its text.
using Apply = std::function<Problem(Config&, std::string_view)>;

struct Field {
  std::string path;           // "listen.port"
  std::string expected;       // "an integer": for "expected X, got a list"
  Apply apply;
  std::string short_env = {};  // a second environment name (the secrets)
};

#define MIROIR_CONFIG_REF(member) [](Config& c) -> auto& { return c.member; }

template <class Get>
using RefType = std::remove_reference_t<decltype(std::declval<Get>()(std::declval<Config&>()))>;

template <class Get>
Field Integer(std::string path, Get get, uint64_t min, uint64_t max) {
  using T = RefType<Get>;
  const bool open_max = max == kNoMax;
  max = std::min<uint64_t>(max, std::numeric_limits<T>::max());
  return {std::move(path), "an integer",
          [get, min, max, open_max](Config& c, std::string_view t) -> Problem {
            uint64_t v = 0;
            if (auto p = ParseUnsigned(t, min, max, &v, open_max)) return p;
            get(c) = static_cast<T>(v);
            return std::nullopt;
          }};
}

template <class Get>
Field Millis(std::string path, Get get, uint64_t min) {
  return {std::move(path), "an integer (milliseconds)",
          [get, min](Config& c, std::string_view t) -> Problem {
            uint64_t v = 0;
            if (auto p = ParseUnsigned(t, min, kMaxMillis, &v)) return p;
            get(c) = milliseconds(static_cast<int64_t>(v));
            return std::nullopt;
          }};
}

template <class Get>
Field Bytes(std::string path, Get get, uint64_t min) {
  return {std::move(path), "a byte size", [get, min](Config& c, std::string_view t) -> Problem {
            auto v = ParseByteSize(t);
            if (!v) return v.error().message;
            if (*v < min) {
              return "must be at least " + std::to_string(min) + " bytes, got " + Quote(t);
            }
            get(c) = *v;
            return std::nullopt;
          }};
}

template <class Get>
Field Duration(std::string path, Get get) {
  return {std::move(path), "a duration", [get](Config& c, std::string_view t) -> Problem {
            auto v = ParseDuration(t);
            if (!v) return v.error().message;
            if (v->count() == 0) return "must be longer than 0, got " + Quote(t);
            get(c) = *v;
            return std::nullopt;
          }};
}

template <class Get>
Field Boolean(std::string path, Get get) {
  return {std::move(path), "true or false", [get](Config& c, std::string_view t) -> Problem {
            return ParseBool(t, &get(c));
          }};
}

template <class Get>
Field String(std::string path, Get get, Problem (*check)(std::string_view) = nullptr,
             std::string short_env = {}) {
  return {std::move(path), "a string",
          [get, check](Config& c, std::string_view t) -> Problem {
            if (check) {
              if (auto p = check(t)) return p;
            }
            get(c) = std::string(t);
            return std::nullopt;
          },
          std::move(short_env)};
}

template <class Get, class E = RefType<Get>>
Field Enum(std::string path, Get get, std::vector<std::pair<std::string, E>> choices) {
  std::string names;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) names += i + 1 == choices.size() ? (choices.size() == 2 ? " or " : ", or ") : ", ";
    names += choices[i].first;
  }
  std::string expected = (choices.size() == 2 ? "" : "one of ") + names;
  return {std::move(path), expected,
          [get, choices, expected](Config& c, std::string_view t) -> Problem {
            const std::string v = Lower(Trim(t));
            for (const auto& [name, value] : choices) {
              if (name == v) {
                get(c) = value;
                return std::nullopt;
              }
            }
            return "expected " + expected + ", got " + Quote(t);
          }};
}

// Built once; by_path points into fields, which never changes afterwards.
struct Schema {
  std::vector<Field> fields;                           // every scalar key, in file order
  std::map<std::string, const Field*, std::less<>> by_path;
  std::map<std::string, std::vector<std::string>, std::less<>> children;  // mapping -> keys
  std::vector<std::string> keys;                       // KnownConfigKeys()
  std::set<std::string, std::less<>> env_prefixes;     // "MIROIR_LISTEN_", ...
};

constexpr const char* kGroups = "cluster.groups";

Schema BuildSchema() {
  Schema s;
  auto& f = s.fields;
  f.push_back(String("listen.address", MIROIR_CONFIG_REF(listen.address), CheckListenHost));
  f.push_back(Integer("listen.port", MIROIR_CONFIG_REF(listen.port), 1, 65535));
  f.push_back(Integer("listen.threads", MIROIR_CONFIG_REF(listen.threads), 0, 1024));
  f.push_back(Integer("listen.metrics_port", MIROIR_CONFIG_REF(listen.metrics_port), 0, 65535));
  f.push_back(Bytes("listen.max_body_bytes", MIROIR_CONFIG_REF(listen.max_body_bytes), 1));
  f.push_back(Bytes("listen.max_header_bytes", MIROIR_CONFIG_REF(listen.max_header_bytes), 1024));
  f.push_back(Millis("listen.read_timeout_ms", MIROIR_CONFIG_REF(listen.read_timeout), 1));
  f.push_back(Millis("listen.write_timeout_ms", MIROIR_CONFIG_REF(listen.write_timeout), 1));
  f.push_back(Millis("listen.idle_timeout_ms", MIROIR_CONFIG_REF(listen.idle_timeout), 1));
  f.push_back(Millis("listen.shutdown_grace_ms", MIROIR_CONFIG_REF(listen.shutdown_grace), 0));
  f.push_back(Integer("listen.max_connections", MIROIR_CONFIG_REF(listen.max_connections), 1,
                      kNoMax));
  f.push_back(Integer("listen.max_header_count", MIROIR_CONFIG_REF(listen.max_header_count), 8,
                      100'000));
  f.push_back(Bytes("listen.max_url_bytes", MIROIR_CONFIG_REF(listen.max_url_bytes), 256));

  f.push_back(Integer("limits.max_json_depth", MIROIR_CONFIG_REF(limits.max_json_depth), 2,
                      100'000));
  f.push_back(Integer("limits.max_documents_per_batch",
                      MIROIR_CONFIG_REF(limits.max_documents_per_batch), 1, kNoMax));
  f.push_back(Integer("limits.max_multi_search_queries",
                      MIROIR_CONFIG_REF(limits.max_multi_search_queries), 1, 1'000'000));

  f.push_back(String("auth.master_key", MIROIR_CONFIG_REF(auth.master_key), nullptr,
                     "MIROIR_MASTER_KEY"));
  f.push_back(String("auth.admin_key", MIROIR_CONFIG_REF(auth.admin_key), nullptr,
                     "MIROIR_ADMIN_KEY"));
  f.push_back(String("auth.node_key", MIROIR_CONFIG_REF(auth.node_key), nullptr,
                     "MIROIR_NODE_KEY"));

  f.push_back(Integer("cluster.shards", MIROIR_CONFIG_REF(cluster.shards), 1, 65536));
  f.push_back(Integer("cluster.replication_factor", MIROIR_CONFIG_REF(cluster.replication_factor),
                      1, kNoMax));
  f.push_back(Enum("cluster.unavailable_shard_policy",
                   MIROIR_CONFIG_REF(cluster.unavailable_shard_policy),
                   {{"partial", UnavailableShardPolicy::kPartial},
                    {"error", UnavailableShardPolicy::kError}}));

  f.push_back(Millis("upstream.timeout_ms", MIROIR_CONFIG_REF(upstream.timeout), 1));
  f.push_back(Millis("upstream.write_timeout_ms", MIROIR_CONFIG_REF(upstream.write_timeout), 1));
  f.push_back(
      Millis("upstream.connect_timeout_ms", MIROIR_CONFIG_REF(upstream.connect_timeout), 1));
  f.push_back(Integer("upstream.max_idle_connections_per_node",
                      MIROIR_CONFIG_REF(upstream.max_idle_connections_per_node), 0, kNoMax));
  f.push_back(
      Bytes("upstream.max_response_bytes", MIROIR_CONFIG_REF(upstream.max_response_bytes), 1));

  f.push_back(Millis("health.interval_ms", MIROIR_CONFIG_REF(health.interval), 1));
  f.push_back(Millis("health.timeout_ms", MIROIR_CONFIG_REF(health.timeout), 1));
  f.push_back(
      Integer("health.unhealthy_after", MIROIR_CONFIG_REF(health.unhealthy_after), 1, kNoMax));
  f.push_back(Integer("health.healthy_after", MIROIR_CONFIG_REF(health.healthy_after), 1, kNoMax));

  f.push_back(Enum("task_store.backend", MIROIR_CONFIG_REF(task_store.backend),
                   {{"sqlite", TaskStoreBackend::kSqlite}, {"redis", TaskStoreBackend::kRedis}}));
  f.push_back(String("task_store.sqlite.path", MIROIR_CONFIG_REF(task_store.sqlite.path)));
  f.push_back(String("task_store.redis.url", MIROIR_CONFIG_REF(task_store.redis.url)));
  f.push_back(String("task_store.redis.password", MIROIR_CONFIG_REF(task_store.redis.password)));
  f.push_back(Millis("task_store.redis.connect_timeout_ms",
                     MIROIR_CONFIG_REF(task_store.redis.connect_timeout), 1));
  f.push_back(Millis("task_store.redis.command_timeout_ms",
                     MIROIR_CONFIG_REF(task_store.redis.command_timeout), 1));
  f.push_back(String("task_store.redis.key_prefix", MIROIR_CONFIG_REF(task_store.redis.key_prefix)));
  f.push_back(Millis("task_store.redis.heartbeat_interval_ms",
                     MIROIR_CONFIG_REF(task_store.redis.heartbeat_interval), 1));
  f.push_back(Millis("task_store.redis.instance_ttl_ms",
                     MIROIR_CONFIG_REF(task_store.redis.instance_ttl), 1));
  f.push_back(Duration("task_store.retention", MIROIR_CONFIG_REF(task_store.retention)));
  f.push_back(Millis("task_store.prune_interval_ms", MIROIR_CONFIG_REF(task_store.prune_interval), 1));

  f.push_back(Boolean("anti_entropy.enabled", MIROIR_CONFIG_REF(anti_entropy.enabled)));
  f.push_back(Duration("anti_entropy.schedule", MIROIR_CONFIG_REF(anti_entropy.schedule)));
  f.push_back(Duration("anti_entropy.tombstone_retention",
                       MIROIR_CONFIG_REF(anti_entropy.tombstone_retention)));
  f.push_back(Boolean("anti_entropy.dry_run", MIROIR_CONFIG_REF(anti_entropy.dry_run)));
  f.push_back(Integer("anti_entropy.read_concurrency",
                      MIROIR_CONFIG_REF(anti_entropy.read_concurrency), 1, 1024));
  f.push_back(Integer("anti_entropy.max_documents_per_second",
                      MIROIR_CONFIG_REF(anti_entropy.max_documents_per_second), 0, 100'000'000));

  f.push_back(Boolean("hinted_handoff.enabled", MIROIR_CONFIG_REF(hinted_handoff.enabled)));
  f.push_back(Bytes("hinted_handoff.max_bytes_per_node",
                    MIROIR_CONFIG_REF(hinted_handoff.max_bytes_per_node), 1));
  f.push_back(Duration("hinted_handoff.max_age", MIROIR_CONFIG_REF(hinted_handoff.max_age)));

  f.push_back(Integer("rebalancer.max_concurrent_migrations",
                      MIROIR_CONFIG_REF(rebalancer.max_concurrent_migrations), 1, 1024));
  f.push_back(Millis("rebalancer.write_hold_timeout_ms",
                     MIROIR_CONFIG_REF(rebalancer.write_hold_timeout), 1));
  f.push_back(Boolean("rebalancer.delta_pass", MIROIR_CONFIG_REF(rebalancer.delta_pass)));
  f.push_back(Integer("rebalancer.max_documents_per_second",
                      MIROIR_CONFIG_REF(rebalancer.max_documents_per_second), 0, 100'000'000));

  f.push_back(Enum("log.level", MIROIR_CONFIG_REF(log.level),
                   {{"trace", LogLevel::kTrace},
                    {"debug", LogLevel::kDebug},
                    {"info", LogLevel::kInfo},
                    {"warn", LogLevel::kWarn},
                    {"error", LogLevel::kError},
                    {"critical", LogLevel::kCritical},
                    {"off", LogLevel::kOff}}));
  f.push_back(Enum("log.format", MIROIR_CONFIG_REF(log.format),
                   {{"text", LogFormat::kText}, {"json", LogFormat::kJson}}));

  auto add_child = [&s](const std::string& path) {
    // Registers every mapping on the way to `path`, each child once, in order.
    size_t start = 0;
    std::string parent;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string name = path.substr(start, dot == std::string::npos ? dot : dot - start);
      auto& siblings = s.children[parent];
      if (std::find(siblings.begin(), siblings.end(), name) == siblings.end()) {
        siblings.push_back(name);
      }
      if (dot == std::string::npos) break;
      parent = path.substr(0, dot);
      start = dot + 1;
    }
  };
  for (const Field& field : s.fields) {
    s.by_path[field.path] = &field;
    add_child(field.path);
    s.keys.push_back(field.path);
    s.env_prefixes.insert(EnvVarName(field.path.substr(0, field.path.find('.'))) + "_");
    if (field.path == "cluster.unavailable_shard_policy") {
      add_child(kGroups);
      s.keys.push_back(std::string(kGroups) + "[].id");
      s.keys.push_back(std::string(kGroups) + "[].nodes[].id");
      s.keys.push_back(std::string(kGroups) + "[].nodes[].address");
    }
  }
  return s;
}

#undef MIROIR_CONFIG_REF

const Schema& GetSchema() {
  static const Schema schema = BuildSchema();
  return schema;
}

std::string Join(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

// ---- Reading the file and the environment ----------------------------------

class Loader {
 public:
  explicit Loader(Config& config) : config_(config) {}

  Result<void> ReadTop(const YAML::Node& root) {
    if (root.IsNull()) return {};
    if (!root.IsMap()) {
      return ConfigError("expected a mapping of sections at the top level, got " +
                         std::string(KindName(root)) + LineSuffix(root.Mark()));
    }
    return ReadMapping(root, "");
  }

  Result<void> ReadEnvironment(const Environment& env) {
    const Schema& schema = GetSchema();
    std::set<std::string, std::less<>> known;
    for (const Field& field : schema.fields) {
      known.insert(EnvVarName(field.path));
      if (!field.short_env.empty()) known.insert(field.short_env);
    }
    // A misspelt variable would silently leave the default in force, so a
    // MIROIR_<SECTION>_ name that is no key is refused like an unknown key.
    for (const auto& [name, value] : env) {
      if (known.count(name)) continue;
      const auto prefix = std::find_if(
          schema.env_prefixes.begin(), schema.env_prefixes.end(),
          [&name = name](const std::string& p) { return name.rfind(p, 0) == 0; });
      if (prefix == schema.env_prefixes.end()) continue;
      if (name.rfind(EnvVarName(kGroups), 0) == 0) {
        return ConfigError(std::string(kGroups) + ": cannot be set from the environment (" +
                           name + "); list the groups in the config file");
      }
      std::vector<std::string> candidates(known.begin(), known.end());
      return ConfigError("environment variable " + name + " names no config key" +
                         Suggestion(name, candidates));
    }
    for (const Field& field : schema.fields) {
      const std::string long_name = EnvVarName(field.path);
      auto long_it = env.find(long_name);
      auto short_it = field.short_env.empty() ? env.end() : env.find(field.short_env);
      if (long_it != env.end() && short_it != env.end() && long_it->second != short_it->second) {
        // Values are not echoed: these are secrets.
        return ConfigError(field.path + ": " + field.short_env + " and " + long_name +
                           " are both set, to different values; set only one");
      }
      auto it = long_it != env.end() ? long_it : short_it;
      if (it == env.end()) continue;
      MIROIR_RETURN_IF_ERROR(Set(field, it->second, " (set by " + it->first + ")"));
    }
    return {};
  }

  // Where each key got its value, for errors found after the merge.
  const std::string& Origin(const std::string& path) const {
    static const std::string kNone;
    auto it = origin_.find(path);
    return it == origin_.end() ? kNone : it->second;
  }

 private:
  Result<void> Set(const Field& field, std::string_view text, std::string origin) {
    if (auto problem = field.apply(config_, text)) {
      return ConfigError(field.path + ": " + *problem + origin);
    }
    origin_[field.path] = std::move(origin);
    return {};
  }

  // Calls fn(key, value) for each entry of a mapping, refusing non-scalar and
  // repeated keys (yaml-cpp keeps both copies of a repeated key).
  template <class Fn>
  Result<void> ForEachEntry(const YAML::Node& map, const std::string& path, Fn&& fn) {
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) {
        return ConfigError((path.empty() ? "top level" : path) +
                           ": keys must be plain names, got " + std::string(KindName(key)) +
                           LineSuffix(key.Mark()));
      }
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) {
        return ConfigError(Join(path, name) + ": duplicate key" + LineSuffix(key.Mark()));
      }
      MIROIR_RETURN_IF_ERROR(fn(name, key, entry.second));
    }
    return {};
  }

  Result<void> ExpectMap(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) return {};
    return ConfigError(path + ": expected a mapping, got " + std::string(KindName(node)) +
                       LineSuffix(node.Mark()));
  }

  Error UnknownKey(const std::string& path, const std::string& name, const YAML::Node& key,
                   const std::vector<std::string>& siblings) {
    return ConfigError(Join(path, name) + ": unknown key" + Suggestion(name, siblings) +
                       LineSuffix(key.Mark()));
  }

  Result<void> ReadMapping(const YAML::Node& map, const std::string& path) {
    const Schema& schema = GetSchema();
    const auto& siblings = schema.children.at(path);
    return ForEachEntry(map, path,
                        [&](const std::string& name, const YAML::Node& key,
                            const YAML::Node& value) -> Result<void> {
      const std::string child = Join(path, name);
      if (auto it = schema.by_path.find(child); it != schema.by_path.end()) {
        return ReadScalar(*it->second, value);
      }
      if (child == kGroups) return ReadGroups(value);
      if (schema.children.count(child)) {
        if (value.IsNull()) return {};  // an empty section keeps its defaults
        MIROIR_RETURN_IF_ERROR(ExpectMap(value, child));
        return ReadMapping(value, child);
      }
      return UnknownKey(path, name, key, siblings);
    });
  }

  Result<void> ReadScalar(const Field& field, const YAML::Node& value) {
    if (value.IsNull()) return {};  // `key:` with no value keeps the default
    if (!value.IsScalar()) {
      return ConfigError(field.path + ": expected " + field.expected + ", got " +
                         std::string(KindName(value)) + LineSuffix(value.Mark()));
    }
    return Set(field, value.Scalar(), LineSuffix(value.Mark()));
  }

  // A required scalar string of a group or node: its id or address.
  Result<std::string> ReadText(const YAML::Node& value, const std::string& path,
                               Problem (*check)(std::string_view)) {
    if (!value.IsScalar()) {
      return ConfigError(path + ": expected a string, got " + std::string(KindName(value)) +
                         LineSuffix(value.Mark()));
    }
    if (auto problem = check(value.Scalar())) {
      return ConfigError(path + ": " + *problem + LineSuffix(value.Mark()));
    }
    return value.Scalar();
  }

  Result<void> ReadGroups(const YAML::Node& value) {
    if (value.IsNull()) return {};
    if (!value.IsSequence()) {
      return ConfigError(std::string(kGroups) + ": expected a list of groups, got " +
                         std::string(KindName(value)) + LineSuffix(value.Mark()));
    }
    std::map<std::string, std::string> group_ids, node_ids, addresses;  // value -> first path
    for (size_t g = 0; g < value.size(); ++g) {
      const YAML::Node& item = value[g];
      const std::string gpath = std::string(kGroups) + "[" + std::to_string(g) + "]";
      MIROIR_RETURN_IF_ERROR(ExpectMap(item, gpath));
      GroupConfig group;
      bool has_id = false, has_nodes = false;
      MIROIR_RETURN_IF_ERROR(ForEachEntry(
          item, gpath,
          [&](const std::string& name, const YAML::Node& key,
              const YAML::Node& v) -> Result<void> {
            if (name == "id") {
              has_id = true;
              MIROIR_ASSIGN_OR_RETURN(group.id, ReadText(v, gpath + ".id", CheckId));
              auto [it, fresh] = group_ids.emplace(group.id, gpath);
              if (!fresh) {
                return ConfigError(gpath + ".id: duplicate group id " + Quote(group.id) +
                                   ", already used by " + it->second + LineSuffix(v.Mark()));
              }
              return {};
            }
            if (name == "nodes") {
              has_nodes = true;
              return ReadNodes(v, gpath + ".nodes", group, node_ids, addresses);
            }
            return UnknownKey(gpath, name, key, {"id", "nodes"});
          }));
      if (!has_id) return ConfigError(gpath + ".id: missing" + LineSuffix(item.Mark()));
      if (!has_nodes || group.nodes.empty()) {
        return ConfigError(gpath + ".nodes: a group needs at least one node" +
                           LineSuffix(item.Mark()));
      }
      config_.cluster.groups.push_back(std::move(group));
    }
    return {};
  }

  Result<void> ReadNodes(const YAML::Node& value, const std::string& path, GroupConfig& group,
                         std::map<std::string, std::string>& node_ids,
                         std::map<std::string, std::string>& addresses) {
    if (value.IsNull()) return {};
    if (!value.IsSequence()) {
      return ConfigError(path + ": expected a list of nodes, got " +
                         std::string(KindName(value)) + LineSuffix(value.Mark()));
    }
    for (size_t n = 0; n < value.size(); ++n) {
      const YAML::Node& item = value[n];
      const std::string npath = path + "[" + std::to_string(n) + "]";
      MIROIR_RETURN_IF_ERROR(ExpectMap(item, npath));
      NodeConfig node;
      bool has_id = false, has_address = false;
      MIROIR_RETURN_IF_ERROR(ForEachEntry(
          item, npath,
          [&](const std::string& name, const YAML::Node& key,
              const YAML::Node& v) -> Result<void> {
            if (name == "id") {
              has_id = true;
              MIROIR_ASSIGN_OR_RETURN(node.id, ReadText(v, npath + ".id", CheckId));
              auto [it, fresh] = node_ids.emplace(node.id, npath);
              if (!fresh) {
                return ConfigError(npath + ".id: duplicate node id " + Quote(node.id) +
                                   ", already used by " + it->second + LineSuffix(v.Mark()));
              }
              return {};
            }
            if (name == "address") {
              has_address = true;
              MIROIR_ASSIGN_OR_RETURN(node.address,
                                      ReadText(v, npath + ".address", CheckNodeAddress));
              auto [it, fresh] = addresses.emplace(node.address, npath);
              if (!fresh) {
                return ConfigError(npath + ".address: duplicate node address " +
                                   Quote(node.address) + ", already used by " + it->second +
                                   LineSuffix(v.Mark()));
              }
              return {};
            }
            return UnknownKey(npath, name, key, {"id", "address"});
          }));
      if (!has_id) return ConfigError(npath + ".id: missing" + LineSuffix(item.Mark()));
      if (!has_address) return ConfigError(npath + ".address: missing" + LineSuffix(item.Mark()));
      group.nodes.push_back(std::move(node));
    }
    return {};
  }

  Config& config_;
  std::map<std::string, std::string> origin_;
};

// Rules between keys, checked once the file and the environment are merged.
Result<void> Validate(const Config& c, const Loader& loader) {
  auto fail = [&](const std::string& path, const std::string& problem) {
    return ConfigError(path + ": " + problem + loader.Origin(path));
  };
  if (c.listen.metrics_port != 0 && c.listen.metrics_port == c.listen.port) {
    return fail("listen.metrics_port",
                "must differ from listen.port (" + std::to_string(c.listen.port) +
                    "); set 0 to serve metrics only on /_miroir/metrics");
  }
  for (const char* key : {"auth.master_key", "auth.admin_key"}) {
    const std::string& value =
        std::string_view(key) == "auth.master_key" ? c.auth.master_key : c.auth.admin_key;
    // Length only, never the value: it is a secret.
    if (!value.empty() && value.size() < 16) {
      return fail(key, "must be at least 16 bytes long, got " + std::to_string(value.size()));
    }
  }
  if (!c.auth.admin_key.empty() && c.auth.admin_key == c.auth.master_key) {
    return fail("auth.admin_key",
                "must differ from auth.master_key (the admin key is a separate credential)");
  }
  for (size_t g = 0; g < c.cluster.groups.size(); ++g) {
    const GroupConfig& group = c.cluster.groups[g];
    if (group.nodes.size() < c.cluster.replication_factor) {
      return fail("cluster.replication_factor",
                  std::to_string(c.cluster.replication_factor) + " is larger than group " +
                      Quote(group.id) + " (cluster.groups[" + std::to_string(g) +
                      "]), which has " + std::to_string(group.nodes.size()) +
                      (group.nodes.size() == 1 ? " node" : " nodes"));
    }
  }
  if (c.health.timeout > c.health.interval) {
    return fail("health.timeout_ms", "must not exceed health.interval_ms (" +
                                         std::to_string(c.health.interval.count()) + ")");
  }
  if (c.task_store.backend == TaskStoreBackend::kSqlite && c.task_store.sqlite.path.empty()) {
    return fail("task_store.sqlite.path", "must not be empty when task_store.backend is sqlite");
  }
  if (c.task_store.redis.heartbeat_interval * 2 >= c.task_store.redis.instance_ttl) {
    return fail("task_store.redis.instance_ttl_ms",
                "must be more than twice task_store.redis.heartbeat_interval_ms (" +
                    std::to_string(c.task_store.redis.heartbeat_interval.count()) +
                    "), or one late heartbeat would take a live instance for dead");
  }
  if (c.task_store.redis.key_prefix.empty()) {
    return fail("task_store.redis.key_prefix", "must not be empty");
  }
  if (c.anti_entropy.tombstone_retention <= c.anti_entropy.schedule) {
    return fail("anti_entropy.tombstone_retention",
                "must be longer than anti_entropy.schedule (" +
                    FormatDuration(c.anti_entropy.schedule) +
                    "), or a delete that a replica missed could come back");
  }
  return {};
}

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("MIROIR_", 0) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Result<Config> ParseConfig(std::string_view yaml_text, const Environment& env) {
  Config config;
  Loader loader(config);
  try {
    YAML::Node document;
    try {
      const std::string text(yaml_text);
      if (HasSeveralDocuments(text)) return ConfigError("expected one YAML document, found several");
      document = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      std::string where;
      if (!e.mark.is_null()) {
        where = " (line " + std::to_string(e.mark.line + 1) + ", column " +
                std::to_string(e.mark.column + 1) + ")";
      }
      return ConfigError("invalid YAML: " + e.msg + where);
    }
    MIROIR_RETURN_IF_ERROR(loader.ReadTop(document));
  } catch (const std::exception& e) {
    // Not expected (the walk only reads nodes of known types); kept so no
    // exception ever leaves this function.
    return ConfigError(std::string("unexpected error while reading the YAML: ") + e.what());
  }
  MIROIR_RETURN_IF_ERROR(loader.ReadEnvironment(env));
  if (config.auth.node_key.empty()) config.auth.node_key = config.auth.master_key;
  MIROIR_RETURN_IF_ERROR(Validate(config, loader));
  return config;
}

Result<Config> LoadConfig(const std::string& path, const Environment& env) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return ConfigError("cannot read " + Quote(path) + ": " + std::strerror(errno));
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
  const bool failed = std::ferror(file);
  const int err = errno;
  std::fclose(file);
  if (failed) return ConfigError("cannot read " + Quote(path) + ": " + std::strerror(err));
  return ParseConfig(text, env);
}

std::vector<std::string> ConfigWarnings(const Config& config) {
  std::vector<std::string> warnings;
  if (config.auth.master_key.empty() && !IsLoopback(config.listen.address)) {
    warnings.push_back("auth.master_key is empty: anyone who can reach " +
                       config.listen.address + ":" + std::to_string(config.listen.port) +
                       " can read and write every index");
  }
  if (config.auth.admin_key.empty()) {
    warnings.push_back("auth.admin_key is empty: the /_miroir/* admin routes are disabled");
  }
  if (config.cluster.groups.empty()) {
    warnings.push_back("cluster.groups is empty: the topology must already be in the task store");
  }
  return warnings;
}

Result<TopologySpec> ToTopologySpec(const ClusterConfig& cluster) {
  if (cluster.groups.empty()) {
    return ConfigError(std::string(kGroups) +
                       ": at least one group with one node is needed to seed the topology");
  }
  TopologySpec spec;
  spec.epoch = 1;
  spec.replication_factor = cluster.replication_factor;
  spec.default_shards = cluster.shards;
  for (const GroupConfig& group : cluster.groups) {
    for (const NodeConfig& node : group.nodes) {
      spec.nodes.push_back(NodeSpec{node.id, node.address, group.id, false});
    }
  }
  return spec;
}

std::vector<std::string> KnownConfigKeys() { return GetSchema().keys; }

std::string EnvVarName(std::string_view key_path) {
  std::string name = "MIROIR_";
  for (char c : key_path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Result<milliseconds> ParseDuration(std::string_view text) {
  const std::string quoted = Quote(text);
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInternal, "invalid duration " + quoted + ": " + why);
  };
  std::string_view t = Trim(text);
  if (t.empty()) return bad("expected a number and a unit, e.g. \"30s\", \"6h\" or \"7d\"");
  if (t.front() == '-') return bad("must not be negative");
  int64_t total = 0;
  while (!t.empty()) {
    size_t digits = 0;
    while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
    if (digits < t.size() && (t[digits] == '.' || t[digits] == ',')) {
      return bad("fractions are not supported; use a smaller unit, e.g. \"90m\" for 1.5h");
    }
    size_t unit_end = digits;
    while (unit_end < t.size() && std::isalpha(static_cast<unsigned char>(t[unit_end]))) {
      ++unit_end;
    }
    const std::string_view number = t.substr(0, digits);
    const std::string_view unit = t.substr(digits, unit_end - digits);
    if (number.empty()) {
      if (unit.empty()) return bad("unexpected " + Quote(t.substr(0, 1)));
      return bad("expected a number before " + Quote(unit));
    }
    if (unit.empty()) {
      return bad("missing unit after " + std::string(number) + " (use ms, s, m, h or d)");
    }
    static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
        {"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    int64_t scale = 0;
    for (const auto& [name, ms] : kUnits) {
      if (unit == name) scale = ms;
    }
    if (scale == 0) return bad("unknown unit " + Quote(unit) + " (use ms, s, m, h or d)");
    int64_t value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (ec != std::errc() || value > kMax / scale || total > kMax - value * scale) {
      return bad("too large");
    }
    total += value * scale;
    t.remove_prefix(unit_end);
  }
  return milliseconds(total);
}

std::string FormatDuration(milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  for (const auto& [scale, unit] : kUnits) {
    if (ms >= scale) {
      out += std::to_string(ms / scale) + unit;
      ms %= scale;
    }
  }
  return out;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInternal, why);
  };
  const std::string_view t = Trim(text);
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  const std::string usage = "expected a byte size such as 1048576, \"64KiB\" or \"100MiB\", got " +
                            Quote(text);
  if (digits == 0) return bad(usage);
  const std::string unit = Lower(Trim(t.substr(digits)));
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},           {"b", 1},           {"kb", 1'000},         {"kib", 1ull << 10},
      {"mb", 1'000'000}, {"mib", 1ull << 20}, {"gb", 1'000'000'000}, {"gib", 1ull << 30},
      {"tb", 1'000'000'000'000}, {"tib", 1ull << 40}};
  uint64_t scale = 0;
  for (const auto& [name, bytes] : kUnits) {
    if (unit == name) scale = bytes;
  }
  if (scale == 0) return bad(usage);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + digits, value);
  if (ec != std::errc() || value > kNoMax / scale) return bad("too large: " + Quote(text));
  return value * scale;
}

std::string_view ToString(UnavailableShardPolicy p) {
  return p == UnavailableShardPolicy::kPartial ? "partial" : "error";
}

std::string_view ToString(TaskStoreBackend b) {
  return b == TaskStoreBackend::kSqlite ? "sqlite" : "redis";
}

std::string_view ToString(LogLevel l) { return log::LevelName(l); }

std::string_view ToString(LogFormat f) { return f == LogFormat::kText ? "text" : "json"; }

}  // namespace miroir::app
