// RedisStore: the shared coordination store (ARCHITECTURE.md §5) for several
// Miroir instances, on one Redis server (standalone, or the primary of a
// Sentinel setup; not Redis Cluster: scripts touch keys they compute).
//
// Layout (every key starts with options.key_prefix, "miroir:" by default):
//   task_uid                 counter; INCR hands out task uids
//   task:<uid>               hash: one task record
//   tasks                    zset of every task uid (score = uid)
//   tasks:index:<uid>, tasks:type:<type>, tasks:status:<status>
//                            zsets of the uids with that value, for GET /tasks
//   indexes, keys            hashes: index catalog and API keys, JSON values
//   topology                 hash {epoch, spec}; changes are published on the
//                            channel <prefix>topology with the new epoch
//   generation               counter moved by every change of indexes, keys
//                            or topology (same script as the change), and
//                            published on the channel <prefix>changes
//   lease:<scope>            "<token>:<holder>", SET NX PX
//   fence:<scope>            the scope's newest fencing token (INCR)
//   state:<scope>            hash: the scope's fenced state
//   instance:<id>            JSON of a live instance, expiring with its TTL
//   instances                set of instance ids (pruned of expired ones)
//   tomb:<index>:<shard>     zset pk -> deleted_at_ms (ZADD GT: newest wins)
//   ftomb:<index>            zset filter -> deleted_at_ms (newest wins)
//   tomb_keys                set of the tomb:/ftomb: keys, for PruneTombstones
//   hint_seq:<node>          the node's last hint seq (INCR; never deleted)
//   hints:<node>             hash seq -> hint record (length-prefixed fields)
//   hint_order:<node>        zset of the node's pending seqs, score = seq
//   hint_times:<node>        zset of the same seqs, score = created_at_ms
//   hint_bytes               hash node -> body bytes of its pending hints
//   hint_nodes               set of nodes with pending hints
// Every write that touches several keys is one Lua script, so a failure
// (timeout, Redis dying) leaves either all of it or none of it.
//
// Connections: a small pool; a call takes a connection (connecting with
// connect_timeout, AUTH and SELECT as the URL asks), runs with
// command_timeout per command, and puts it back. A connection that failed is
// dropped, so the next call reconnects: when Redis comes back, the store
// recovers by itself. A call on a pooled connection that finds it dead
// (Redis restarted since) retries once on a fresh one.
//
// Errors: Redis unreachable, timing out, loading, out of memory or read-only
// is miroir_store_unavailable (503), naming the server (never the password);
// unexpected replies and corrupt records are internal (500). A timed-out
// write may or may not have been applied — never half of it.
//
// Durability is Redis's: run it with appendonly yes (appendfsync everysec
// or always). A Redis that loses its data loses the task counter; each
// RedisStore remembers the highest task uid it saw and never hands out one
// below it, but other instances' uids may then be reused.
//
// Thread-safety: every method may be called from any thread, concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "miroir/core/error.hpp"
#include "miroir/store/coordination.hpp"
#include "miroir/store/store.hpp"

namespace miroir::store {

// Where to connect, parsed from "redis://[[user]:password@]host[:port][/db]".
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string user;      // ACL user; empty = the default user
  std::string password;  // empty = no AUTH
  uint32_t db = 0;
  // "redis://host:port/db", without credentials, for messages.
  std::string Describe() const;
};

// Refuses other schemes (rediss:// included: TLS is not supported) and
// malformed ports or database numbers, naming what is wrong.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisStoreOptions {
  std::string url = "redis://127.0.0.1:6379";
  std::string password;  // when non-empty, replaces the URL's password
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds command_timeout{1'000};
  std::string key_prefix = "miroir:";
  size_t max_idle_connections = 4;
  // Channel the topology epoch is published on; default <key_prefix>topology.
  std::string topology_channel;
};

class RedisStore final : public Store, public Coordination {
 public:
  // Validates the options and checks that Redis answers (PING), so a wrong
  // URL, password or database fails at start-up with a clear message.
  static Result<std::unique_ptr<RedisStore>> Open(const RedisStoreOptions& options);

  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  // The channel CompareAndSetTopology publishes the new epoch on.
  const std::string& topology_channel() const;

  // Store. Same contract as SqliteStore (sqlite_store.hpp), including:
  // - times are kept in microseconds; ListTasks date bounds are exclusive;
  // - task uids above 2^53 - 1 are refused (zset scores are doubles);
  // - CompareAndSetTopology REQUIRES record.epoch > expected_epoch, and
  //   publishes the new epoch on topology_channel().
  Result<void> Ping() override;
  Result<uint64_t> NextTaskUid() override;
  Result<void> PutTask(const TaskRecord& task) override;
  Result<std::optional<TaskRecord>> GetTask(uint64_t uid) override;
  Result<TaskPage> ListTasks(const TaskQuery& query) override;
  Result<std::vector<TaskRecord>> UnfinishedTasks(size_t limit) override;
  Result<std::map<TaskStatus, uint64_t>> CountTasks() override;
  Result<size_t> DeleteTasks(const std::vector<uint64_t>& uids) override;
  Result<size_t> PruneTasks(uint64_t uid_begin, uint64_t uid_end, SystemTime finished_before,
                            size_t limit) override;

  Result<std::optional<IndexRecord>> GetIndex(const std::string& uid) override;
  Result<std::vector<IndexRecord>> ListIndexes() override;
  Result<void> PutIndex(const IndexRecord& index) override;
  Result<bool> CreateIndex(const IndexRecord& index) override;
  Result<void> DeleteIndex(const std::string& uid) override;

  Result<std::vector<ApiKey>> ListKeys() override;
  Result<void> PutKey(const ApiKey& key) override;
  Result<bool> DeleteKey(const std::string& uid) override;

  Result<std::optional<TopologyRecord>> LoadTopology() override;
  Result<bool> CompareAndSetTopology(uint64_t expected_epoch,
                                     const TopologyRecord& record) override;

  // Tombstones and hints. Every write is one script (PutTombstones too,
  // however many pks); FindTombstones reads in ZMSCORE chunks of 1,000 pks.
  // Times are zset scores: exact while |ms| < 2^53. Hint seqs start at 1
  // per node; the counter outlives the queue, so seqs are never reused
  // while Redis keeps its data.
  Result<void> PutTombstones(const std::string& index_uid, uint32_t shard,
                             const std::vector<std::string>& pks,
                             int64_t deleted_at_ms) override;
  Result<std::map<std::string, int64_t>> FindTombstones(
      const std::string& index_uid, uint32_t shard, const std::vector<std::string>& pks) override;
  Result<void> PutFilterTombstone(const std::string& index_uid,
                                  const FilterTombstone& tombstone) override;
  Result<std::vector<FilterTombstone>> ListFilterTombstones(const std::string& index_uid) override;
  Result<size_t> PruneTombstones(int64_t before_ms) override;
  Result<bool> AppendHint(const Hint& hint, uint64_t max_bytes) override;
  Result<std::vector<Hint>> PeekHints(const std::string& node_id, size_t limit) override;
  Result<void> DropHints(const std::string& node_id, uint64_t through_seq) override;
  Result<std::map<std::string, HintBacklog>> HintBacklogs() override;
  Result<std::set<std::string>> NodesWithHints() override;
  Result<std::map<std::string, uint64_t>> ExpireHints(int64_t before_ms) override;

  // Coordination (coordination.hpp).
  Result<std::optional<Lease>> AcquireLease(const std::string& scope, const std::string& holder,
                                            std::chrono::milliseconds ttl) override;
  Result<bool> RenewLease(const Lease& lease, std::chrono::milliseconds ttl) override;
  Result<void> ReleaseLease(const Lease& lease) override;
  Result<std::optional<Lease>> CurrentLease(const std::string& scope) override;
  Result<bool> FencedPut(const std::string& scope, uint64_t token, const std::string& key,
                         const std::string& value) override;
  Result<bool> FencedDelete(const std::string& scope, uint64_t token,
                            const std::string& key) override;
  Result<std::optional<std::string>> FencedGet(const std::string& scope,
                                               const std::string& key) override;
  Result<void> Heartbeat(const InstanceInfo& self, std::chrono::milliseconds ttl) override;
  Result<void> Leave(const std::string& instance_id) override;
  Result<std::vector<InstanceInfo>> LiveInstances() override;
  Result<uint64_t> StateGeneration() override;
  Result<uint64_t> WaitForStateChange(uint64_t seen, std::chrono::milliseconds timeout) override;

 private:
  class Impl;
  explicit RedisStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::store
