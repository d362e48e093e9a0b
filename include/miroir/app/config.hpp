// Miroir's configuration: the YAML file, its MIROIR_* environment overrides
// and their validation. config/miroir.example.yaml documents every key.
//
// Loading is a pure function of (YAML text, environment): ParseConfig reads
// the text, applies the environment on top, validates the result and returns
// either a complete Config or ONE Error whose message is a single line that
// names the offending key and where it came from, e.g.
//   config: cluster.groups[1].nodes[0].id: duplicate node id "n1" (line 14)
//   config: listen.port: expected an integer, got "abc" (set by MIROIR_LISTEN_PORT)
// The error code is always kInternal; the message is meant for the operator
// and start-up stops on it. Nothing here throws: yaml-cpp's exceptions are
// caught at this edge and reported with their line and column.
//
// Rules the file follows (also stated in the example file):
// - Keys are snake_case; an unknown key anywhere is an error (typo
//   protection), as is the same key twice in one mapping.
// - A key that is absent or has no value (`key:` / `~`) keeps its default.
// - Keys ending in _ms are integer milliseconds; keys ending in _bytes take
//   an integer or a size with a unit ("100MiB", "64 KiB", "1GB");
//   anti_entropy durations are written "500ms", "30s", "15m", "6h", "7d" or
//   combined ("1h30m").
// - Every scalar key `a.b.c` can be overridden by the environment variable
//   MIROIR_A_B_C (upper-cased, dots become underscores), e.g.
//   MIROIR_LISTEN_PORT, MIROIR_TASK_STORE_SQLITE_PATH. The environment wins
//   over the file. cluster.groups is a list and can only come from the file.
//   The secrets also have short names: MIROIR_MASTER_KEY, MIROIR_ADMIN_KEY,
//   MIROIR_NODE_KEY (same as MIROIR_AUTH_*_KEY; setting both to different
//   values is an error).
// - A MIROIR_<SECTION>_* variable that names no key (MIROIR_LISTEN_PROT) is an
//   error; other MIROIR_* variables are ignored.
//
// Auth policy (decided here, enforced by api::Authenticator):
// - master_key empty: no authentication on the Meilisearch API, like a
//   Meilisearch node started without a master key.
// - admin_key empty: the /_miroir/* admin routes are refused for everyone; the
//   master key never opens them. A separate credential keeps a leaked
//   application key from changing the topology. admin_key must therefore
//   differ from master_key.
// - master_key and admin_key, when set, are at least 16 bytes (Meilisearch's
//   minimum for a production master key).
// - node_key is what Miroir sends to the nodes; when empty it is the master
//   key (the usual set-up: nodes and proxy share one master key). After
//   ParseConfig it always holds the effective value.
//
// Thread-safety: all functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/core/topology.hpp"
#include "miroir/log/log.hpp"

namespace miroir::app {

// Environment variables by name. Injected so tests never read the process
// environment; main() passes ProcessEnvironment().
using Environment = std::map<std::string, std::string, std::less<>>;

// The MIROIR_* variables of this process.
Environment ProcessEnvironment();

struct ListenConfig {
  std::string address = "127.0.0.1";  // IP literal or host name, no port
  uint16_t port = 7700;
  uint32_t threads = 0;         // 0 = one per CPU core
  uint16_t metrics_port = 9100;  // 0 = no separate metrics listener
  uint64_t max_body_bytes = 100ull * 1024 * 1024;  // Meilisearch's default
  uint64_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{30'000};    // to receive one whole request
  std::chrono::milliseconds write_timeout{30'000};   // to send one whole response
  std::chrono::milliseconds idle_timeout{75'000};    // keep-alive connection with no request
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests may finish on SIGTERM
  uint32_t max_connections = 10'000;
  uint32_t max_header_count = 100;       // header fields per request
  uint64_t max_url_bytes = 16 * 1024;    // request target (path and query)
  bool operator==(const ListenConfig&) const = default;
};

// Bounds on what one request may ask of Miroir, beyond its size in bytes.
struct LimitsConfig {
  uint32_t max_json_depth = 256;  // nesting of JSON bodies other than documents
  uint64_t max_documents_per_batch = 10'000'000;  // documents (or ids) in one write
  uint32_t max_multi_search_queries = 1000;        // queries in one /multi-search
  bool operator==(const LimitsConfig&) const = default;
};

struct AuthConfig {
  std::string master_key;  // empty = no authentication
  std::string admin_key;   // empty = /_miroir/* admin routes disabled
  std::string node_key;    // effective key sent to nodes (master_key when not set)
  bool operator==(const AuthConfig&) const = default;
};

struct NodeConfig {
  std::string id;       // stable identity; part of the placement hash
  std::string address;  // "host:port" ("[::1]:7700" for IPv6)
  bool operator==(const NodeConfig&) const = default;
};

struct GroupConfig {
  std::string id;
  std::vector<NodeConfig> nodes;
  bool operator==(const GroupConfig&) const = default;
};

// What a search answers when no group has a live replica of some shard.
enum class UnavailableShardPolicy {
  kPartial,  // answer from the shards that are up, with X-Miroir-Degraded
  kError,    // 503 miroir_shard_unavailable
};

struct ClusterConfig {
  uint32_t shards = 64;  // S of newly created indexes, 1..65536
  uint32_t replication_factor = 1;
  UnavailableShardPolicy unavailable_shard_policy = UnavailableShardPolicy::kPartial;
  // May be empty only when the store already holds a topology (the file only
  // seeds it on first start). Validated: ids unique and well-formed, every
  // group has at least replication_factor nodes, addresses unique.
  std::vector<GroupConfig> groups;
  bool operator==(const ClusterConfig&) const = default;
};

struct UpstreamConfig {
  std::chrono::milliseconds timeout{10'000};        // searches and every other non-write call
  std::chrono::milliseconds write_timeout{30'000};  // document, index and settings writes
  std::chrono::milliseconds connect_timeout{2'000};
  uint32_t max_idle_connections_per_node = 32;  // per worker thread
  uint64_t max_response_bytes = 256ull * 1024 * 1024;
  bool operator==(const UpstreamConfig&) const = default;
};

struct HealthConfig {
  std::chrono::milliseconds interval{1'000};
  std::chrono::milliseconds timeout{500};  // <= interval
  uint32_t unhealthy_after = 3;  // consecutive failures
  uint32_t healthy_after = 2;    // consecutive successes
  bool operator==(const HealthConfig&) const = default;
};

enum class TaskStoreBackend { kSqlite, kRedis };

struct SqliteConfig {
  std::string path = "./miroir-data/miroir.db";
  bool operator==(const SqliteConfig&) const = default;
};

// Type-checked here; the redis back end validates the values it needs.
struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379";
  std::string password;
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds command_timeout{1'000};
  std::string key_prefix = "miroir:";
  // Membership: an instance heartbeats every heartbeat_interval and is taken
  // for dead instance_ttl after its last heartbeat (its background
  // partitions then move). interval * 2 < ttl.
  std::chrono::milliseconds heartbeat_interval{3'000};
  std::chrono::milliseconds instance_ttl{10'000};
  bool operator==(const RedisConfig&) const = default;
};

struct TaskStoreConfig {
  TaskStoreBackend backend = TaskStoreBackend::kSqlite;
  SqliteConfig sqlite;
  RedisConfig redis;
  // Finished task records older than this are deleted, every prune_interval.
  std::chrono::milliseconds retention = std::chrono::hours(24 * 30);
  std::chrono::milliseconds prune_interval{60'000};
  bool operator==(const TaskStoreConfig&) const = default;
};

struct AntiEntropyConfig {
  bool enabled = false;
  // A full reconciliation pass over every shard starts this often.
  std::chrono::milliseconds schedule = std::chrono::hours(6);
  // Delete tombstones are kept this long; must exceed `schedule`, or a delete
  // a replica missed could be resurrected.
  std::chrono::milliseconds tombstone_retention = std::chrono::hours(24 * 7);
  bool dry_run = false;               // scheduled passes report and repair nothing
  uint32_t read_concurrency = 2;      // shards scanned at once by one instance
  uint32_t max_documents_per_second = 0;  // scan budget per instance; 0: none
  bool operator==(const AntiEntropyConfig&) const = default;
};

struct HintedHandoffConfig {
  bool enabled = true;
  // Pending hints per node, in body bytes; past it, writes the node missed
  // are left to anti-entropy (miroir_hints_dropped_total).
  uint64_t max_bytes_per_node = 256ull << 20;
  std::chrono::milliseconds max_age = std::chrono::hours(3);
  bool operator==(const HintedHandoffConfig&) const = default;
};

struct RebalancerConfig {
  uint32_t max_concurrent_migrations = 2;
  std::chrono::milliseconds write_hold_timeout{5'000};  // longest a write waits in quiesce
  // The delta pass after a shard's copy; a migration without it is refused
  // unless anti-entropy is on (it would lose writes that raced the copy).
  bool delta_pass = true;
  uint32_t max_documents_per_second = 0;  // copy throttle per migration; 0: none
  bool operator==(const RebalancerConfig&) const = default;
};

using LogLevel = log::Level;
using LogFormat = log::Format;

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ListenConfig listen;
  LimitsConfig limits;
  AuthConfig auth;
  ClusterConfig cluster;
  UpstreamConfig upstream;
  HealthConfig health;
  TaskStoreConfig task_store;
  AntiEntropyConfig anti_entropy;
  HintedHandoffConfig hinted_handoff;
  RebalancerConfig rebalancer;
  LogConfig log;
  bool operator==(const Config&) const = default;
};

// Parses, overrides from `env`, validates. Empty text gives the defaults
// (plus the environment). On error, nothing is returned but the one-line
// error described at the top of this file.
Result<Config> ParseConfig(std::string_view yaml_text, const Environment& env);

// ParseConfig on the contents of the file at `path`; an unreadable file is
// an error ("config: cannot read ...").
Result<Config> LoadConfig(const std::string& path, const Environment& env);

// Non-fatal observations worth a warning line at start-up, e.g. that the API
// is open to the network (no master key on a non-loopback address) or that
// the admin routes are disabled. Empty when there is nothing to say.
std::vector<std::string> ConfigWarnings(const Config& config);

// The seed topology of the cluster section: every node in file order, its
// group's id as NodeSpec::group, epoch 1, nothing draining. Fails when no
// group is configured. REQUIRES: `cluster` came from ParseConfig (validated).
Result<TopologySpec> ToTopologySpec(const ClusterConfig& cluster);

// Every key the parser accepts, as dotted paths in file order; list items are
// written "[]" ("cluster.groups[].nodes[].address").
std::vector<std::string> KnownConfigKeys();

// The environment variable that overrides a scalar key:
// "task_store.sqlite.path" -> "MIROIR_TASK_STORE_SQLITE_PATH".
std::string EnvVarName(std::string_view key_path);

// "500ms", "30s", "15m", "6h", "7d", or several of those in a row ("1h30m").
// Integers only; no sign. The error message (no "config:" prefix) says what
// is wrong, e.g. `invalid duration "6x": unknown unit "x" (use ms, s, m, h or d)`.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// The inverse of ParseDuration, largest units first: 90 min -> "1h30m", 0 -> "0s".
std::string FormatDuration(std::chrono::milliseconds d);

// An integer number of bytes, or a number with a unit: B, KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), case-insensitive,
// optionally separated by spaces ("100MiB", "64 KiB").
Result<uint64_t> ParseByteSize(std::string_view text);

std::string_view ToString(UnavailableShardPolicy p);
std::string_view ToString(TaskStoreBackend b);
std::string_view ToString(LogLevel l);
std::string_view ToString(LogFormat f);

}  // namespace miroir::app
