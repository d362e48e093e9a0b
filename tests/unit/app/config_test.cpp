#include "miroir/app/config.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "miroir/core/topology.hpp"

namespace miroir::app {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kExamplePath = std::string(MIROIR_SOURCE_DIR) + "/config/miroir.example.yaml";
const std::string kLocalPath = std::string(MIROIR_SOURCE_DIR) + "/config/miroir.local.yaml";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Config MustParse(std::string_view yaml, const Environment& env = {}) {
  auto config = ParseConfig(yaml, env);
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

// The error message of a config that must be rejected.
std::string ErrorOf(std::string_view yaml, const Environment& env = {}) {
  auto config = ParseConfig(yaml, env);
  EXPECT_FALSE(config.has_value()) << "accepted:\n" << yaml;
  if (config) return "";
  EXPECT_EQ(config.error().message.find('\n'), std::string::npos) << config.error().message;
  return config.error().message;
}

constexpr std::string_view kTwoGroups = R"(
cluster:
  groups:
    - id: g1
      nodes:
        - id: n1
          address: "10.0.0.1:7700"
        - id: n2
          address: "10.0.0.2:7700"
    - id: g2
      nodes:
        - id: n3
          address: "10.0.0.3:7700"
        - id: n4
          address: "10.0.0.4:7700"
)";

// ---- Defaults and the shipped files ---------------------------------------

TEST(ConfigDefaultsTest, EmptyTextGivesTheDocumentedDefaults) {
  const Config c = MustParse("");
  EXPECT_EQ(c.listen.address, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 7700);
  EXPECT_EQ(c.listen.threads, 0u);
  EXPECT_EQ(c.listen.metrics_port, 9100);
  EXPECT_EQ(c.listen.max_body_bytes, 100u * 1024 * 1024);
  EXPECT_EQ(c.listen.max_header_bytes, 64u * 1024);
  EXPECT_EQ(c.listen.read_timeout, milliseconds(30'000));
  EXPECT_EQ(c.listen.idle_timeout, milliseconds(75'000));
  EXPECT_EQ(c.listen.max_connections, 10'000u);
  EXPECT_EQ(c.auth.master_key, "");
  EXPECT_EQ(c.auth.admin_key, "");
  EXPECT_EQ(c.auth.node_key, "");
  EXPECT_EQ(c.cluster.shards, 64u);
  EXPECT_EQ(c.cluster.replication_factor, 1u);
  EXPECT_EQ(c.cluster.unavailable_shard_policy, UnavailableShardPolicy::kPartial);
  EXPECT_TRUE(c.cluster.groups.empty());
  EXPECT_EQ(c.upstream.timeout, milliseconds(10'000));
  EXPECT_EQ(c.upstream.max_idle_connections_per_node, 32u);
  EXPECT_EQ(c.health.interval, milliseconds(1'000));
  EXPECT_EQ(c.health.unhealthy_after, 3u);
  EXPECT_EQ(c.health.healthy_after, 2u);
  EXPECT_EQ(c.task_store.backend, TaskStoreBackend::kSqlite);
  EXPECT_EQ(c.task_store.sqlite.path, "./miroir-data/miroir.db");
  EXPECT_FALSE(c.anti_entropy.enabled);
  EXPECT_EQ(c.anti_entropy.schedule, hours(6));
  EXPECT_EQ(c.anti_entropy.tombstone_retention, hours(24 * 7));
  EXPECT_EQ(c.rebalancer.max_concurrent_migrations, 2u);
  EXPECT_EQ(c.rebalancer.write_hold_timeout, milliseconds(5'000));
  EXPECT_EQ(c.log.level, LogLevel::kInfo);
  EXPECT_EQ(c.log.format, LogFormat::kText);
  EXPECT_EQ(c, Config{});
}

TEST(ConfigDefaultsTest, EmptySectionsAndKeysWithoutValueKeepDefaults) {
  const Config c = MustParse("listen:\nauth:\n  master_key:\ncluster:\n  shards: ~\n  groups:\n");
  EXPECT_EQ(c, Config{});
}

TEST(ConfigDefaultsTest, CommentOnlyFileGivesDefaults) {
  EXPECT_EQ(MustParse("# nothing here\n"), Config{});
}

TEST(ConfigExampleTest, ExampleFileLoads) {
  auto config = LoadConfig(kExamplePath, {});
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->cluster.groups.size(), 2u);
  EXPECT_EQ(config->cluster.groups[0].id, "zone-a");
  EXPECT_EQ(config->cluster.groups[1].nodes.size(), 3u);
  EXPECT_EQ(config->cluster.groups[1].nodes[2].address, "meili-b3.internal:7700");
}

TEST(ConfigExampleTest, ExampleValuesAreTheDefaults) {
  // The example doubles as the reference of defaults: apart from the groups
  // (there is no default cluster) every value it shows must be the default.
  auto config = LoadConfig(kExamplePath, {});
  ASSERT_TRUE(config) << config.error().message;
  Config without_groups = *config;
  without_groups.cluster.groups.clear();
  EXPECT_EQ(without_groups, Config{});
}

TEST(ConfigExampleTest, LocalDemoFileLoads) {
  auto config = LoadConfig(kLocalPath, {});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.address, "127.0.0.1");
  EXPECT_EQ(config->listen.port, 7700);
  EXPECT_EQ(config->task_store.backend, TaskStoreBackend::kSqlite);
  EXPECT_EQ(config->task_store.sqlite.path, "./data/miroir.db");
  ASSERT_EQ(config->cluster.groups.size(), 1u);
  const auto& nodes = config->cluster.groups[0].nodes;
  ASSERT_EQ(nodes.size(), 3u);
  for (size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i].address, "127.0.0.1:" + std::to_string(7701 + i));
  }
  auto spec = ToTopologySpec(config->cluster);
  ASSERT_TRUE(spec) << spec.error().message;
  auto topology = Topology::Create(*spec);
  ASSERT_TRUE(topology) << topology.error().message;
  EXPECT_EQ((*topology)->nodes().size(), 3u);
}

// Every key path present in a YAML document, list items written "[]".
void CollectKeys(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string child = (path.empty() ? "" : path + ".") + entry.first.Scalar();
      if (entry.second.IsMap() || entry.second.IsSequence()) {
        CollectKeys(entry.second, child, out);
      } else {
        out.push_back(child);
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CollectKeys(item, path + "[]", out);
  }
}

TEST(ConfigExampleTest, ExampleShowsExactlyTheKeysTheParserKnows) {
  std::vector<std::string> in_example;
  CollectKeys(YAML::LoadFile(kExamplePath), "", in_example);
  const std::set<std::string> example_keys(in_example.begin(), in_example.end());
  const std::vector<std::string> known = KnownConfigKeys();
  const std::set<std::string> known_keys(known.begin(), known.end());
  for (const auto& key : known_keys) {
    EXPECT_TRUE(example_keys.count(key)) << key << " is missing from miroir.example.yaml";
  }
  for (const auto& key : example_keys) {
    EXPECT_TRUE(known_keys.count(key)) << key << " is in the example but unknown to the parser";
  }
  EXPECT_EQ(known.size(), known_keys.size()) << "a key is listed twice";
}

TEST(ConfigExampleTest, EveryExampleKeyHasACommentAndNamesItsEnvironmentVariable) {
  const std::string text = ReadFile(kExamplePath);
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  // A key line needs a comment on the line before or at its end. Repeated
  // list items (the second group, the other nodes) are documented by the
  // first, so only the first (section, indentation, key) is checked.
  const std::regex key_line(R"(^(\s*)(- )?([a-z_]+):)");
  std::set<std::string> seen;
  std::string section, previous;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::smatch m;
    if (std::regex_search(line, m, key_line)) {
      if (m[1].length() == 0) section = m[3];
      const std::string where = section + "/" + std::to_string(m[0].length()) + "/" +
                                std::string(m[3]);
      const bool commented = previous.find('#') != std::string::npos ||
                             line.find('#') != std::string::npos;
      if (seen.insert(where).second) {
        EXPECT_TRUE(commented) << "line " << i + 1 << " has no comment: " << line;
      }
    }
    if (!line.empty()) previous = line;
  }
  // Each scalar key's comment names its variable on an "Env:" line.
  for (const auto& key : KnownConfigKeys()) {
    if (key.find("[]") != std::string::npos) continue;  // lists have no override
    const std::regex env_line("Env: .*\\b" + EnvVarName(key) + "\\b");
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                            [&](const std::string& l) { return std::regex_search(l, env_line); }))
        << "the example does not name " << EnvVarName(key) << " for " << key;
  }
}

TEST(ConfigExampleTest, EnvironmentVariableNamesAreUnique) {
  std::set<std::string> names;
  for (const auto& key : KnownConfigKeys()) {
    if (key.find("[]") != std::string::npos) continue;
    EXPECT_TRUE(names.insert(EnvVarName(key)).second) << key;
  }
  EXPECT_EQ(EnvVarName("task_store.sqlite.path"), "MIROIR_TASK_STORE_SQLITE_PATH");
  EXPECT_EQ(EnvVarName("listen.port"), "MIROIR_LISTEN_PORT");
}

// ---- Environment overrides ------------------------------------------------

TEST(ConfigEnvTest, ScalarOverridesWinOverTheFile) {
  const Config c = MustParse("listen:\n  port: 7700\nlog:\n  level: info\n",
                             {{"MIROIR_LISTEN_PORT", "8800"},
                              {"MIROIR_LOG_LEVEL", "DEBUG"},
                              {"MIROIR_LISTEN_MAX_BODY_BYTES", "1MiB"},
                              {"MIROIR_ANTI_ENTROPY_ENABLED", "true"},
                              {"MIROIR_ANTI_ENTROPY_SCHEDULE", "30m"},
                              {"MIROIR_CLUSTER_UNAVAILABLE_SHARD_POLICY", "error"}});
  EXPECT_EQ(c.listen.port, 8800);
  EXPECT_EQ(c.log.level, LogLevel::kDebug);
  EXPECT_EQ(c.listen.max_body_bytes, 1024u * 1024);
  EXPECT_TRUE(c.anti_entropy.enabled);
  EXPECT_EQ(c.anti_entropy.schedule, minutes(30));
  EXPECT_EQ(c.cluster.unavailable_shard_policy, UnavailableShardPolicy::kError);
}

TEST(ConfigEnvTest, NestedKeysUseTheFullPath) {
  const Config c = MustParse("", {{"MIROIR_TASK_STORE_BACKEND", "redis"},
                                  {"MIROIR_TASK_STORE_SQLITE_PATH", "/var/lib/miroir/m.db"},
                                  {"MIROIR_TASK_STORE_REDIS_URL", "redis://r:6379/1"},
                                  {"MIROIR_TASK_STORE_REDIS_COMMAND_TIMEOUT_MS", "250"}});
  EXPECT_EQ(c.task_store.backend, TaskStoreBackend::kRedis);
  EXPECT_EQ(c.task_store.sqlite.path, "/var/lib/miroir/m.db");
  EXPECT_EQ(c.task_store.redis.url, "redis://r:6379/1");
  EXPECT_EQ(c.task_store.redis.command_timeout, milliseconds(250));
}

TEST(ConfigEnvTest, SecretsComeFromShortNamesAndNodeKeyDefaultsToMasterKey) {
  const Config c = MustParse("auth:\n  master_key: from-the-file-0123\n",
                             {{"MIROIR_MASTER_KEY", "master-key-0123456789"},
                              {"MIROIR_ADMIN_KEY", "admin-key-0123456789"}});
  EXPECT_EQ(c.auth.master_key, "master-key-0123456789");
  EXPECT_EQ(c.auth.admin_key, "admin-key-0123456789");
  EXPECT_EQ(c.auth.node_key, "master-key-0123456789");

  const Config with_node_key = MustParse("", {{"MIROIR_MASTER_KEY", "master-key-0123456789"},
                                              {"MIROIR_NODE_KEY", "node-key"}});
  EXPECT_EQ(with_node_key.auth.node_key, "node-key");
}

TEST(ConfigEnvTest, SecretsAlsoFollowTheGeneralRule) {
  const Config c = MustParse("", {{"MIROIR_AUTH_MASTER_KEY", "master-key-0123456789"},
                                  {"MIROIR_AUTH_NODE_KEY", "node-key"}});
  EXPECT_EQ(c.auth.master_key, "master-key-0123456789");
  EXPECT_EQ(c.auth.node_key, "node-key");
  // Both names with the same value is fine.
  MustParse("", {{"MIROIR_AUTH_MASTER_KEY", "master-key-0123456789"},
                 {"MIROIR_MASTER_KEY", "master-key-0123456789"}});
}

TEST(ConfigEnvTest, ConflictingSecretNamesAreRefusedWithoutEchoingThem) {
  const std::string e = ErrorOf("", {{"MIROIR_AUTH_MASTER_KEY", "first-secret-0123456"},
                                     {"MIROIR_MASTER_KEY", "second-secret-012345"}});
  EXPECT_EQ(e,
            "config: auth.master_key: MIROIR_MASTER_KEY and MIROIR_AUTH_MASTER_KEY are both set, "
            "to different values; set only one");
  EXPECT_EQ(e.find("secret"), std::string::npos);
}

TEST(ConfigEnvTest, BadValueNamesTheKeyAndTheVariable) {
  EXPECT_EQ(ErrorOf("", {{"MIROIR_LISTEN_PORT", "abc"}}),
            "config: listen.port: expected an integer, got \"abc\" (set by MIROIR_LISTEN_PORT)");
  EXPECT_EQ(ErrorOf("", {{"MIROIR_ANTI_ENTROPY_ENABLED", "maybe"}}),
            "config: anti_entropy.enabled: expected true or false, got \"maybe\" "
            "(set by MIROIR_ANTI_ENTROPY_ENABLED)");
}

TEST(ConfigEnvTest, MisspeltVariableOfAKnownSectionIsRefused) {
  EXPECT_EQ(ErrorOf("", {{"MIROIR_LISTEN_PROT", "8000"}}),
            "config: environment variable MIROIR_LISTEN_PROT names no config key; "
            "did you mean \"MIROIR_LISTEN_PORT\"?");
}

TEST(ConfigEnvTest, OtherMiroirVariablesAreIgnored) {
  EXPECT_EQ(MustParse("", {{"MIROIR_CONFIG", "/etc/miroir.yaml"},
                           {"MIROIR_SOURCE_DIR", "/src"},
                           {"PATH", "/usr/bin"}}),
            Config{});
}

TEST(ConfigEnvTest, GroupsCannotComeFromTheEnvironment) {
  EXPECT_EQ(ErrorOf("", {{"MIROIR_CLUSTER_GROUPS", "[]"}}),
            "config: cluster.groups: cannot be set from the environment "
            "(MIROIR_CLUSTER_GROUPS); list the groups in the config file");
}

TEST(ConfigEnvTest, OverriddenValuesAreValidatedAfterTheMerge) {
  const std::string e =
      ErrorOf(kTwoGroups, {{"MIROIR_CLUSTER_REPLICATION_FACTOR", "3"}});
  EXPECT_EQ(e,
            "config: cluster.replication_factor: 3 is larger than group \"g1\" "
            "(cluster.groups[0]), which has 2 nodes (set by MIROIR_CLUSTER_REPLICATION_FACTOR)");
}

// ---- Validation -----------------------------------------------------------

TEST(ConfigValidationTest, DuplicateNodeIdNamesTheSecondOccurrence) {
  const std::string yaml = R"(cluster:
  groups:
    - id: g1
      nodes:
        - id: n1
          address: "10.0.0.1:7700"
    - id: g2
      nodes:
        - id: n1
          address: "10.0.0.2:7700"
)";
  EXPECT_EQ(ErrorOf(yaml),
            "config: cluster.groups[1].nodes[0].id: duplicate node id \"n1\", already used by "
            "cluster.groups[0].nodes[0] (line 9)");
}

TEST(ConfigValidationTest, DuplicateGroupIdAndAddressAreRefused) {
  EXPECT_EQ(ErrorOf(R"(cluster:
  groups:
    - id: g
      nodes: [{id: a, address: "h1:1"}]
    - id: g
      nodes: [{id: b, address: "h2:1"}]
)"),
            "config: cluster.groups[1].id: duplicate group id \"g\", already used by "
            "cluster.groups[0] (line 5)");
  EXPECT_EQ(ErrorOf(R"(cluster:
  groups:
    - id: g
      nodes: [{id: a, address: "h1:1"}, {id: b, address: "h1:1"}]
)"),
            "config: cluster.groups[0].nodes[1].address: duplicate node address \"h1:1\", "
            "already used by cluster.groups[0].nodes[0] (line 4)");
}

TEST(ConfigValidationTest, ReplicationFactorLargerThanAGroup) {
  std::string yaml(kTwoGroups);
  yaml += R"(    - id: g3
      nodes:
        - id: n5
          address: "10.0.0.5:7700"
)";
  yaml = "cluster:\n  replication_factor: 2\n" + yaml.substr(yaml.find("  groups:"));
  EXPECT_EQ(ErrorOf(yaml),
            "config: cluster.replication_factor: 2 is larger than group \"g3\" "
            "(cluster.groups[2]), which has 1 node (line 2)");
}

TEST(ConfigValidationTest, ShardsMustBeAtLeastOne) {
  EXPECT_EQ(ErrorOf("cluster:\n  shards: 0\n"),
            "config: cluster.shards: must be between 1 and 65536, got 0 (line 2)");
  EXPECT_EQ(ErrorOf("cluster:\n  shards: -4\n"),
            "config: cluster.shards: must be between 1 and 65536, got -4 (line 2)");
  EXPECT_EQ(MustParse("cluster:\n  shards: 1\n").cluster.shards, 1u);
}

TEST(ConfigValidationTest, UnknownKeysAnywhereAreRefused) {
  EXPECT_EQ(ErrorOf("listen:\n  prot: 8000\n"),
            "config: listen.prot: unknown key; did you mean \"port\"? (line 2)");
  EXPECT_EQ(ErrorOf("lisen:\n  port: 8000\n"),
            "config: lisen: unknown key; did you mean \"listen\"? (line 1)");
  EXPECT_EQ(ErrorOf("task_store:\n  sqlite:\n    pth: x.db\n"),
            "config: task_store.sqlite.pth: unknown key; did you mean \"path\"? (line 3)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: g\n      name: x\n"),
            "config: cluster.groups[0].name: unknown key (line 4)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: g\n      nodes:\n"
                    "        - {id: a, adress: \"h:1\"}\n"),
            "config: cluster.groups[0].nodes[0].adress: unknown key; did you mean \"address\"? "
            "(line 5)");
  EXPECT_EQ(ErrorOf("completely_unrelated: 1\n"),
            "config: completely_unrelated: unknown key (line 1)");
}

TEST(ConfigValidationTest, RepeatedKeyIsRefused) {
  EXPECT_EQ(ErrorOf("listen:\n  port: 1\n  port: 2\n"),
            "config: listen.port: duplicate key (line 3)");
}

TEST(ConfigValidationTest, NodeAddressesMustBeHostColonPort) {
  struct Case {
    std::string address;
    std::string problem;  // empty when valid
  };
  const std::vector<Case> cases = {
      {"meili-1:7700", ""},
      {"10.0.0.1:1", ""},
      {"[::1]:65535", ""},
      {"localhost", "expected \"host:port\", got \"localhost\""},
      {"h:0", "port must be an integer between 1 and 65535, got \"h:0\""},
      {"h:65536", "port must be an integer between 1 and 65535, got \"h:65536\""},
      {"h:abc", "port must be an integer between 1 and 65535, got \"h:abc\""},
      {"h:", "port must be an integer between 1 and 65535, got \"h:\""},
      {":7700", "expected \"host:port\" with a host, got \":7700\""},
      {"http://h:7700", "expected \"host:port\" without a scheme, got \"http://h:7700\""},
      {"::1:7700", "an IPv6 address must be in brackets, e.g. \"[::1]:7700\", got \"::1:7700\""},
      {"bad host:1", "expected \"host:port\" with a valid host name, got \"bad host:1\""},
  };
  for (const auto& c : cases) {
    const std::string yaml = "cluster:\n  groups:\n    - id: g\n      nodes:\n        - id: a\n"
                             "          address: \"" + c.address + "\"\n";
    auto config = ParseConfig(yaml, {});
    if (c.problem.empty()) {
      EXPECT_TRUE(config) << c.address << ": " << config.error().message;
    } else {
      ASSERT_FALSE(config) << c.address;
      EXPECT_EQ(config.error().message,
                "config: cluster.groups[0].nodes[0].address: " + c.problem + " (line 6)");
    }
  }
}

TEST(ConfigValidationTest, TypeErrorsNameTheKeyAndTheValue) {
  EXPECT_EQ(ErrorOf("listen:\n  port: abc\n"),
            "config: listen.port: expected an integer, got \"abc\" (line 2)");
  EXPECT_EQ(ErrorOf("listen:\n  port: 70000\n"),
            "config: listen.port: must be between 1 and 65535, got 70000 (line 2)");
  EXPECT_EQ(ErrorOf("listen:\n  port: [1, 2]\n"),
            "config: listen.port: expected an integer, got a list (line 2)");
  EXPECT_EQ(ErrorOf("listen: 7700\n"), "config: listen: expected a mapping, got a scalar (line 1)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    id: g\n"),
            "config: cluster.groups: expected a list of groups, got a mapping (line 3)");
  EXPECT_EQ(ErrorOf("anti_entropy:\n  enabled: maybe\n"),
            "config: anti_entropy.enabled: expected true or false, got \"maybe\" (line 2)");
  EXPECT_EQ(ErrorOf("upstream:\n  max_idle_connections_per_node: 99999999999\n"),
            "config: upstream.max_idle_connections_per_node: must be at most 4294967295, "
            "got 99999999999 (line 2)");
  EXPECT_EQ(ErrorOf("health:\n  unhealthy_after: 0\n"),
            "config: health.unhealthy_after: must be at least 1, got 0 (line 2)");
  EXPECT_EQ(ErrorOf("upstream:\n  timeout_ms: 0\n"),
            "config: upstream.timeout_ms: must be between 1 and 86400000, got 0 (line 2)");
  EXPECT_EQ(ErrorOf("listen:\n  max_body_bytes: lots\n"),
            "config: listen.max_body_bytes: expected a byte size such as 1048576, \"64KiB\" or "
            "\"100MiB\", got \"lots\" (line 2)");
  EXPECT_EQ(ErrorOf("- listen\n"),
            "config: expected a mapping of sections at the top level, got a list (line 1)");
}

TEST(ConfigValidationTest, BadEnumValuesListTheChoices) {
  EXPECT_EQ(ErrorOf("cluster:\n  unavailable_shard_policy: fail\n"),
            "config: cluster.unavailable_shard_policy: expected partial or error, got \"fail\" "
            "(line 2)");
  EXPECT_EQ(ErrorOf("task_store:\n  backend: etcd\n"),
            "config: task_store.backend: expected sqlite or redis, got \"etcd\" (line 2)");
  EXPECT_EQ(ErrorOf("log:\n  level: verbose\n"),
            "config: log.level: expected one of trace, debug, info, warn, error, critical, or "
            "off, got \"verbose\" (line 2)");
  EXPECT_EQ(ErrorOf("log:\n  format: xml\n"),
            "config: log.format: expected text or json, got \"xml\" (line 2)");
}

TEST(ConfigValidationTest, BadDurationsSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf("anti_entropy:\n  schedule: 6x\n"),
            "config: anti_entropy.schedule: invalid duration \"6x\": unknown unit \"x\" "
            "(use ms, s, m, h or d) (line 2)");
  EXPECT_EQ(ErrorOf("anti_entropy:\n  tombstone_retention: 7\n"),
            "config: anti_entropy.tombstone_retention: invalid duration \"7\": missing unit "
            "after 7 (use ms, s, m, h or d) (line 2)");
  EXPECT_EQ(ErrorOf("anti_entropy:\n  schedule: 0s\n"),
            "config: anti_entropy.schedule: must be longer than 0, got \"0s\" (line 2)");
}

TEST(ConfigValidationTest, RulesBetweenKeys) {
  EXPECT_EQ(ErrorOf("anti_entropy:\n  schedule: 7d\n  tombstone_retention: 1d\n"),
            "config: anti_entropy.tombstone_retention: must be longer than "
            "anti_entropy.schedule (7d), or a delete that a replica missed could come back "
            "(line 3)");
  EXPECT_EQ(ErrorOf("listen:\n  metrics_port: 7700\n"),
            "config: listen.metrics_port: must differ from listen.port (7700); set 0 to serve "
            "metrics only on /_miroir/metrics (line 2)");
  EXPECT_EQ(MustParse("listen:\n  metrics_port: 0\n").listen.metrics_port, 0);
  EXPECT_EQ(ErrorOf("health:\n  interval_ms: 1000\n  timeout_ms: 2000\n"),
            "config: health.timeout_ms: must not exceed health.interval_ms (1000) (line 3)");
  EXPECT_EQ(ErrorOf("task_store:\n  sqlite:\n    path: \"\"\n"),
            "config: task_store.sqlite.path: must not be empty when task_store.backend is sqlite "
            "(line 3)");
  // Redis settings are validated by the redis back end, not here.
  MustParse("task_store:\n  backend: redis\n  sqlite:\n    path: \"\"\n");
}

TEST(ConfigValidationTest, ListenAddressTakesNoPort) {
  EXPECT_EQ(ErrorOf("listen:\n  address: \"0.0.0.0:7700\"\n"),
            "config: listen.address: expected an IP address or host name without a port (the "
            "port is listen.port), got \"0.0.0.0:7700\" (line 2)");
  EXPECT_EQ(MustParse("listen:\n  address: \"::\"\n").listen.address, "::");
  EXPECT_EQ(MustParse("listen:\n  address: 0.0.0.0\n").listen.address, "0.0.0.0");
}

TEST(ConfigValidationTest, AuthPolicy) {
  EXPECT_EQ(ErrorOf("", {{"MIROIR_MASTER_KEY", "short"}}),
            "config: auth.master_key: must be at least 16 bytes long, got 5 "
            "(set by MIROIR_MASTER_KEY)");
  EXPECT_EQ(ErrorOf("auth:\n  admin_key: tiny\n"),
            "config: auth.admin_key: must be at least 16 bytes long, got 4 (line 2)");
  EXPECT_EQ(ErrorOf("", {{"MIROIR_MASTER_KEY", "the-same-key-0123"},
                         {"MIROIR_ADMIN_KEY", "the-same-key-0123"}}),
            "config: auth.admin_key: must differ from auth.master_key (the admin key is a "
            "separate credential) (set by MIROIR_ADMIN_KEY)");
  // An admin key without a master key is allowed: the API is open, admin is not.
  const Config c = MustParse("", {{"MIROIR_ADMIN_KEY", "admin-key-0123456789"}});
  EXPECT_EQ(c.auth.admin_key, "admin-key-0123456789");
  EXPECT_EQ(c.auth.node_key, "");
}

TEST(ConfigValidationTest, GroupsNeedIdsAndNodes) {
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - nodes: [{id: a, address: \"h:1\"}]\n"),
            "config: cluster.groups[0].id: missing (line 3)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: g\n"),
            "config: cluster.groups[0].nodes: a group needs at least one node (line 3)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: g\n      nodes: []\n"),
            "config: cluster.groups[0].nodes: a group needs at least one node (line 3)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: g\n      nodes: [{id: a}]\n"),
            "config: cluster.groups[0].nodes[0].address: missing (line 4)");
  EXPECT_EQ(ErrorOf("cluster:\n  groups:\n    - id: \"bad id\"\n      nodes: [{id: a}]\n"),
            "config: cluster.groups[0].id: must be 1 to 64 letters, digits, '-', '_' or '.', "
            "got \"bad id\" (line 3)");
}

TEST(ConfigValidationTest, YamlSyntaxErrorsCarryLineAndColumn) {
  const std::string e = ErrorOf("listen:\n  port: 7700\n  address: [unclosed\n");
  EXPECT_EQ(e.rfind("config: invalid YAML: ", 0), 0u) << e;
  EXPECT_NE(e.find("(line "), std::string::npos) << e;
  EXPECT_NE(e.find(", column "), std::string::npos) << e;
}

TEST(ConfigValidationTest, SeveralDocumentsAreRefused) {
  EXPECT_EQ(ErrorOf("listen:\n  port: 1\n---\nlisten:\n  port: 2\n"),
            "config: expected one YAML document, found several");
}

// yaml-cpp 0.7 reports empty documents forever on this input; reading them
// all used to run start-up out of memory. Found by the config fuzz target.
TEST(ConfigValidationTest, EndlessDocumentStreamsEndInAnError) {
  const std::string e = ErrorOf(",-\n?b]\n: c\n..");
  EXPECT_EQ(e.rfind("config: ", 0), 0u) << e;
}

TEST(ConfigValidationTest, ErrorsStayOnOneLineWhateverTheKeys) {
  const std::string e = ErrorOf("listen:\n  \"po\\nrt\\u0007\": 1\n");
  EXPECT_EQ(e.rfind("config: ", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(e.find('\a'), std::string::npos) << e;
}

TEST(ConfigLoadTest, MissingFileIsOneClearLine) {
  auto config = LoadConfig("/nonexistent/miroir.yaml", {});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            "config: cannot read \"/nonexistent/miroir.yaml\": No such file or directory");
}

TEST(ConfigLoadTest, ErrorsUseTheInternalCode) {
  auto config = ParseConfig("listen:\n  port: abc\n", {});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kInternal);
}

// ---- Durations and sizes --------------------------------------------------

TEST(ConfigDurationTest, ParsesEveryUnitAndCombinations) {
  const std::vector<std::pair<std::string, milliseconds>> cases = {
      {"500ms", milliseconds(500)}, {"30s", seconds(30)},        {"15m", minutes(15)},
      {"6h", hours(6)},             {"7d", hours(24 * 7)},       {"1h30m", minutes(90)},
      {"1m30s500ms", milliseconds(90'500)}, {" 6h ", hours(6)},  {"0s", milliseconds(0)},
  };
  for (const auto& [text, expected] : cases) {
    auto d = ParseDuration(text);
    ASSERT_TRUE(d) << text << ": " << d.error().message;
    EXPECT_EQ(*d, expected) << text;
  }
}

TEST(ConfigDurationTest, RejectsWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid duration \"\": expected a number and a unit, e.g. \"30s\", \"6h\" or \"7d\""},
      {"6", "invalid duration \"6\": missing unit after 6 (use ms, s, m, h or d)"},
      {"6x", "invalid duration \"6x\": unknown unit \"x\" (use ms, s, m, h or d)"},
      {"6H", "invalid duration \"6H\": unknown unit \"H\" (use ms, s, m, h or d)"},
      {"h", "invalid duration \"h\": expected a number before \"h\""},
      {"-5s", "invalid duration \"-5s\": must not be negative"},
      {"1.5h",
       "invalid duration \"1.5h\": fractions are not supported; use a smaller unit, e.g. \"90m\" "
       "for 1.5h"},
      {"6h 30m", "invalid duration \"6h 30m\": unexpected \" \""},
      {"99999999999999999999d", "invalid duration \"99999999999999999999d\": too large"},
      {"200000000000d", "invalid duration \"200000000000d\": too large"},
  };
  for (const auto& [text, message] : cases) {
    auto d = ParseDuration(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().message, message);
  }
}

TEST(ConfigDurationTest, FormatIsTheInverseOfParse) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(hours(24 * 7)), "7d");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1s500ms");
  for (const char* text : {"500ms", "6h", "7d", "1d2h3m4s5ms"}) {
    auto d = ParseDuration(text);
    ASSERT_TRUE(d);
    EXPECT_EQ(FormatDuration(*d), text);
  }
}

TEST(ConfigByteSizeTest, ParsesIntegersAndUnits) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"1048576", 1048576},   {"64KiB", 64 * 1024},          {"100 MiB", 100ull << 20},
      {"1GB", 1'000'000'000}, {"2kb", 2000},                 {"1gib", 1ull << 30},
      {"512B", 512},          {"1TiB", 1ull << 40},
  };
  for (const auto& [text, expected] : cases) {
    auto v = ParseByteSize(text);
    ASSERT_TRUE(v) << text << ": " << v.error().message;
    EXPECT_EQ(*v, expected) << text;
  }
  for (const char* bad : {"", "abc", "-1", "10XB", "1.5GiB", "MiB"}) {
    EXPECT_FALSE(ParseByteSize(bad)) << bad;
  }
  auto huge = ParseByteSize("99999999TiB");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message, "too large: \"99999999TiB\"");
}

// ---- Topology -------------------------------------------------------------

TEST(ConfigTopologyTest, ClusterSectionBecomesTheSeedTopology) {
  const Config c = MustParse(
      "cluster:\n  shards: 16\n  replication_factor: 2\n" +
      std::string(kTwoGroups).substr(std::string(kTwoGroups).find("  groups:")));
  auto spec = ToTopologySpec(c.cluster);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->epoch, 1u);
  EXPECT_EQ(spec->replication_factor, 2u);
  EXPECT_EQ(spec->default_shards, 16u);
  ASSERT_EQ(spec->nodes.size(), 4u);
  const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
      {"n1", "10.0.0.1:7700", "g1"},
      {"n2", "10.0.0.2:7700", "g1"},
      {"n3", "10.0.0.3:7700", "g2"},
      {"n4", "10.0.0.4:7700", "g2"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(spec->nodes[i].id, std::get<0>(expected[i]));
    EXPECT_EQ(spec->nodes[i].address, std::get<1>(expected[i]));
    EXPECT_EQ(spec->nodes[i].group, std::get<2>(expected[i]));
    EXPECT_FALSE(spec->nodes[i].draining);
  }
  auto topology = Topology::Create(*spec);
  ASSERT_TRUE(topology) << topology.error().message;
  EXPECT_EQ((*topology)->group_count(), 2u);
  EXPECT_EQ((*topology)->PlacementFor(16)->shard_count(), 16u);
}

TEST(ConfigTopologyTest, NoGroupsCannotSeedATopology) {
  auto spec = ToTopologySpec(ClusterConfig{});
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message,
            "config: cluster.groups: at least one group with one node is needed to seed the "
            "topology");
}

// ---- Warnings -------------------------------------------------------------

TEST(ConfigWarningsTest, OpenApiOnTheNetworkAndDisabledAdminAreReported) {
  Config c = MustParse("listen:\n  address: 0.0.0.0\n");
  const auto warnings = ConfigWarnings(c);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0],
            "auth.master_key is empty: anyone who can reach 0.0.0.0:7700 can read and write "
            "every index");
  EXPECT_EQ(warnings[1], "auth.admin_key is empty: the /_miroir/* admin routes are disabled");

  auto local = LoadConfig(kLocalPath, {});
  ASSERT_TRUE(local);
  EXPECT_TRUE(ConfigWarnings(*local).empty());
}

}  // namespace
}  // namespace miroir::app
