#include "miroir/store/redis_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "record_codec.hpp"
#include "redis_connection.hpp"
#include "redis_scripts.hpp"

namespace miroir::store {
namespace {

using codec::Dump;
using codec::FromMicros;
using codec::ToMicros;
using nlohmann::json;
using redis::Connection;
using redis::Reply;

// Zset scores are doubles: integers are exact up to 2^53.
constexpr uint64_t kMaxUid = (uint64_t{1} << 53) - 1;

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

struct Script {
  explicit Script(std::string_view b) : body(b), sha(Sha1Hex(b)) {}
  std::string_view body;
  std::string sha;
};

template <class Int>
std::optional<Int> ParseInt(std::string_view s) {
  Int v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Str(uint64_t v) { return std::to_string(v); }

// A zset score as Redis prints it ("1700000000000"; a double's text from
// other versions, "1.7e+12"), as an integer.
std::optional<int64_t> ParseScore(std::string_view s) {
  if (auto n = ParseInt<int64_t>(s)) return n;
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || d != std::floor(d) ||
      std::fabs(d) > static_cast<double>(kMaxUid)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(d);
}

// A hint as the value of its field in hints:<node>:
//   <body bytes>:<created_at_ms>:<n>:<method><n>:<target><n>:<content type><body>
// Lengths make it binary-safe; the scripts read only the leading body size.
std::string EncodeHint(const Hint& h) {
  std::string out = std::to_string(h.body.size()) + ":" + std::to_string(h.created_at_ms) + ":";
  for (const std::string* field : {&h.method, &h.target, &h.content_type}) {
    out += std::to_string(field->size()) + ":";
    out += *field;
  }
  out += h.body;
  return out;
}

std::optional<Hint> DecodeHint(std::string_view rec) {
  auto number = [&rec]() -> std::optional<std::string_view> {
    size_t colon = rec.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view n = rec.substr(0, colon);
    rec.remove_prefix(colon + 1);
    return n;
  };
  auto sized = [&](std::string& out) {
    auto n = number();
    auto len = n ? ParseInt<size_t>(*n) : std::nullopt;
    if (!len || *len > rec.size()) return false;
    out.assign(rec.substr(0, *len));
    rec.remove_prefix(*len);
    return true;
  };
  Hint h;
  auto body_size = number();
  auto size = body_size ? ParseInt<size_t>(*body_size) : std::nullopt;
  auto created_text = number();
  auto created = created_text ? ParseInt<int64_t>(*created_text) : std::nullopt;
  if (!size || !created || !sized(h.method) || !sized(h.target) || !sized(h.content_type) ||
      rec.size() != *size) {
    return std::nullopt;
  }
  h.created_at_ms = *created;
  h.body.assign(rec);
  return h;
}

// HGETALL's flat [field, value, ...] as a map.
std::map<std::string, std::string> FieldMap(const Reply& r) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    out[r.elements[i].str] = r.elements[i + 1].str;
  }
  return out;
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    // The URL may carry a password: never echo it.
    return Error(ErrorCode::kInternal, "invalid redis URL: " + std::string(why) +
                                           " (expected redis://[[user]:password@]host[:port][/db])");
  };
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, 9) == "rediss://") return bad("TLS (rediss://) is not supported");
  if (url.substr(0, kScheme.size()) != kScheme) return bad("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint ep;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      ep.user = std::string(userinfo.substr(0, colon));
      ep.password = std::string(userinfo.substr(colon + 1));
    } else {
      ep.password = std::string(userinfo);  // redis://secret@host, as redis-cli reads it
    }
  }
  std::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto n = ParseInt<uint32_t>(db);
      if (!n) return bad("database '" + std::string(db) + "' is not a number");
      ep.db = *n;
    }
  }
  if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    auto port = ParseInt<uint16_t>(hostport.substr(colon + 1));
    if (!port || *port == 0) {
      return bad("port '" + std::string(hostport.substr(colon + 1)) + "' is not valid");
    }
    ep.port = *port;
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bad("the host is missing");
  ep.host = std::string(hostport);
  return ep;
}

class RedisStore::Impl {
 public:
  Impl(RedisStoreOptions o, RedisEndpoint ep)
      : options(std::move(o)),
        endpoint(std::move(ep)),
        p(options.key_prefix),
        channel(options.topology_channel.empty() ? p + "topology" : options.topology_channel),
        changes_channel(p + "changes"),
        generation_key(p + "generation") {}

  const RedisStoreOptions options;
  const RedisEndpoint endpoint;
  const std::string p;  // key prefix
  const std::string channel;
  const std::string changes_channel;
  const std::string generation_key;

  const Script put_task{redis::kPutTaskScript};
  const Script delete_tasks{redis::kDeleteTasksScript};
  const Script list_tasks{redis::kListTasksScript};
  const Script next_uid{redis::kNextUidScript};
  const Script topology_cas{redis::kTopologyCasScript};
  const Script acquire_lease{redis::kAcquireLeaseScript};
  const Script renew_lease{redis::kRenewLeaseScript};
  const Script release_lease{redis::kReleaseLeaseScript};
  const Script fenced_write{redis::kFencedWriteScript};
  const Script heartbeat{redis::kHeartbeatScript};
  const Script leave{redis::kLeaveScript};
  const Script live_instances{redis::kLiveInstancesScript};
  const Script hash_change{redis::kHashChangeScript};
  const Script prune_tasks{redis::kPruneTasksScript};
  const Script put_tombstones{redis::kPutTombstonesScript};
  const Script prune_tombstones{redis::kPruneTombstonesScript};
  const Script append_hint{redis::kAppendHintScript};
  const Script peek_hints{redis::kPeekHintsScript};
  const Script remove_hints{redis::kRemoveHintsScript};
  const Script hint_backlogs{redis::kHintBacklogsScript};

  // The subscriber connection of WaitForStateChange (one waiter at a time);
  // null until the first wait, and again after it failed.
  std::mutex subscriber_mu;
  std::unique_ptr<Connection> subscriber;

  // HSET/HSETNX/HDEL on a mirrored hash, moving the state generation.
  Result<int64_t> ChangeHash(std::string_view op, const std::string& hash,
                             const std::string& field, const std::string& value = {}) {
    return EvalInt(hash_change, "HashChange", {p + hash, generation_key},
                   {std::string(op), changes_channel, field, value});
  }

  // The lowest counter value NextTaskUid accepts: one past the highest task
  // uid this store handed out or wrote, plus one (counter = uid + 1).
  std::atomic<uint64_t> uid_floor{0};

  void RaiseUidFloor(uint64_t uid) {
    uint64_t want = uid + 2;
    uint64_t cur = uid_floor.load();
    while (cur < want && !uid_floor.compare_exchange_weak(cur, want)) {
    }
  }

  Error Unavailable(const std::string& what) const {
    return Error(ErrorCode::kMiroirStoreUnavailable,
                 "coordination store " + endpoint.Describe() + ": " + what);
  }
  Error Internal(const std::string& what) const {
    return Error(ErrorCode::kInternal, "coordination store " + endpoint.Describe() + ": " + what);
  }
  Error Unexpected(std::string_view command, const Reply& r) const {
    return Internal("unexpected reply to " + std::string(command) + ": " + r.Describe());
  }

  // One command on a pooled connection. Error replies come back as replies.
  Result<Reply> Raw(const std::vector<std::string>& args) {
    for (int attempt = 0;; ++attempt) {
      bool fresh = false;
      std::unique_ptr<Connection> conn = TakeIdle();
      if (!conn) {
        MIROIR_ASSIGN_OR_RETURN(conn, Connection::Open(endpoint, options.connect_timeout,
                                                       options.command_timeout));
        fresh = true;
      }
      Result<Reply> reply = conn->Command(args);
      if (!reply) {
        // A pooled connection that Redis closed (it restarted, or dropped
        // idle clients) says nothing about Redis now: retry once on a new
        // one. Its siblings in the pool are likely dead too.
        if (!fresh && attempt == 0 && conn->last_failure_was_stale()) {
          DropIdle();
          continue;
        }
        return reply;
      }
      GiveBack(std::move(conn));
      return reply;
    }
  }

  // One command; error replies become errors.
  Result<Reply> Call(const std::vector<std::string>& args) {
    MIROIR_ASSIGN_OR_RETURN(Reply r, Raw(args));
    if (r.is_error()) return ReplyError(args.empty() ? "" : args[0], r);
    return r;
  }

  Error ReplyError(std::string_view command, const Reply& r) const {
    if (redis::IsTransientError(r.str)) return Unavailable(std::string(command) + ": " + r.str);
    return Internal(std::string(command) + " failed: " + r.str);
  }

  // EVALSHA, falling back to EVAL (which caches the script) after a
  // restart or SCRIPT FLUSH emptied Redis's script cache.
  Result<Reply> Eval(const Script& s, std::string_view name, const std::vector<std::string>& keys,
                     const std::vector<std::string>& argv) {
    std::vector<std::string> args{"EVALSHA", s.sha, std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    args.insert(args.end(), argv.begin(), argv.end());
    MIROIR_ASSIGN_OR_RETURN(Reply r, Raw(args));
    if (r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0) {
      args[0] = "EVAL";
      args[1] = std::string(s.body);
      MIROIR_ASSIGN_OR_RETURN(r, Raw(args));
    }
    if (r.is_error()) return ReplyError(name, r);
    return r;
  }

  Result<int64_t> EvalInt(const Script& s, std::string_view name,
                          const std::vector<std::string>& keys,
                          const std::vector<std::string>& argv) {
    MIROIR_ASSIGN_OR_RETURN(Reply r, Eval(s, name, keys, argv));
    if (r.kind != Reply::Kind::kInteger) return Unexpected(name, r);
    return r.integer;
  }

  Result<TaskRecord> ReadTask(const std::map<std::string, std::string>& f,
                              std::string_view uid_text) const {
    TaskRecord t;
    auto corrupt = [&](std::string_view what) {
      return Internal("corrupt task record " + std::string(uid_text) + ": " + std::string(what));
    };
    auto uid = ParseInt<uint64_t>(uid_text);
    if (!uid) return corrupt("bad uid");
    t.uid = *uid;
    auto get = [&](const char* name) -> const std::string* {
      auto it = f.find(name);
      return it == f.end() ? nullptr : &it->second;
    };
    if (const auto* v = get("index")) t.index_uid = *v;
    const std::string* type = get("type");
    const std::string* status = get("status");
    const std::string* enq = get("enq");
    const std::string* payload = get("payload");
    if (!type || !status || !enq || !payload) return corrupt("missing fields");
    t.type = *type;
    auto st = ParseTaskStatus(*status);
    if (!st) return corrupt("unknown status '" + *status + "'");
    t.status = *st;
    auto micros = [&](const std::string& s) -> std::optional<SystemTime> {
      auto n = ParseInt<int64_t>(s);
      if (!n) return std::nullopt;
      return FromMicros(*n);
    };
    auto e = micros(*enq);
    if (!e) return corrupt("bad enqueuedAt");
    t.enqueued_at = *e;
    if (const auto* v = get("start")) {
      t.started_at = micros(*v);
      if (!t.started_at) return corrupt("bad startedAt");
    }
    if (const auto* v = get("fin")) {
      t.finished_at = micros(*v);
      if (!t.finished_at) return corrupt("bad finishedAt");
    }
    if (const auto* v = get("canceled_by")) {
      t.canceled_by = ParseInt<uint64_t>(*v);
      if (!t.canceled_by) return corrupt("bad canceledBy");
    }
    if (auto bad = codec::ReadTaskPayload(*payload, t)) return corrupt(*bad);
    return t;
  }

  Result<TaskRecord> ReadTaskReply(const Reply& r) const {
    if (r.kind != Reply::Kind::kArray) return Unexpected("HGETALL", r);
    auto fields = FieldMap(r);
    auto it = fields.find("uid");
    if (it == fields.end()) return Internal("corrupt task record: no uid");
    return ReadTask(fields, it->second);
  }

  // ListTasks and UnfinishedTasks: one script call, so the total and the
  // page come from the same moment.
  Result<TaskPage> List(const TaskQuery& q) {
    json query = json::object();
    auto strings = [](const auto& values) {
      json a = json::array();
      for (const auto& v : values) a.push_back(v);
      return a;
    };
    auto uids = [](const std::set<uint64_t>& values) {
      json a = json::array();
      for (uint64_t v : values) a.push_back(Str(v));
      return a;
    };
    if (q.uids) query["uids"] = uids(*q.uids);
    if (q.index_uids) query["index"] = strings(*q.index_uids);
    if (q.types) query["type"] = strings(*q.types);
    if (q.statuses) {
      json a = json::array();
      for (TaskStatus s : *q.statuses) a.push_back(std::string(TaskStatusName(s)));
      query["status"] = std::move(a);
    }
    if (q.canceled_by) query["canceled_by"] = uids(*q.canceled_by);
    // Meilisearch's date bounds are exclusive; stored times are truncated
    // to microseconds, so "after t" is "> floor(t)", "before t" "< ceil(t)".
    auto bound = [&](const char* name, const std::optional<SystemTime>& t, bool after) {
      if (t) query[name] = after ? ToMicros(*t) : codec::ToMicrosCeil(*t);
    };
    bound("ea", q.after_enqueued_at, true);
    bound("eb", q.before_enqueued_at, false);
    bound("sa", q.after_started_at, true);
    bound("sb", q.before_started_at, false);
    bound("fa", q.after_finished_at, true);
    bound("fb", q.before_finished_at, false);
    // Every stored uid is <= kMaxUid, so clamping `from` to kMaxUid + 1
    // keeps its meaning and keeps it exact as a double.
    if (q.from) query["from"] = Str(std::min(*q.from, kMaxUid + 1));
    if (q.reverse) query["reverse"] = true;
    query["fetch"] = Str(std::min<uint64_t>(q.limit, kMaxUid - 1) + 1);

    MIROIR_ASSIGN_OR_RETURN(Reply r, Eval(list_tasks, "ListTasks", {}, {p, Dump(query)}));
    if (r.kind != Reply::Kind::kArray || r.elements.size() < 2 ||
        r.elements[0].kind != Reply::Kind::kInteger) {
      return Unexpected("ListTasks", r);
    }
    TaskPage page;
    page.total = static_cast<uint64_t>(r.elements[0].integer);
    if (!r.elements[1].is_nil()) {
      auto next = ParseInt<uint64_t>(r.elements[1].str);
      if (!next) return Unexpected("ListTasks", r.elements[1]);
      page.next = *next;
    }
    for (size_t i = 2; i < r.elements.size(); ++i) {
      // A record deleted concurrently cannot show up: the script read it.
      MIROIR_ASSIGN_OR_RETURN(TaskRecord t, ReadTaskReply(r.elements[i]));
      page.tasks.push_back(std::move(t));
    }
    return page;
  }

  std::string LeaseValue(const Lease& l) const { return Str(l.token) + ":" + l.holder; }

 private:
  std::unique_ptr<Connection> TakeIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) return nullptr;
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  void GiveBack(std::unique_ptr<Connection> conn) {
    if (conn->broken()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < options.max_idle_connections) idle_.push_back(std::move(conn));
  }
  void DropIdle() {
    std::vector<std::unique_ptr<Connection>> dropped;
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(idle_);
  }

  std::mutex mu_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
};

Result<std::unique_ptr<RedisStore>> RedisStore::Open(const RedisStoreOptions& options) {
  MIROIR_ASSIGN_OR_RETURN(RedisEndpoint ep, ParseRedisUrl(options.url));
  if (!options.password.empty()) ep.password = options.password;
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return Error(ErrorCode::kInternal, "redis connect and command timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(options, std::move(ep));
  MIROIR_ASSIGN_OR_RETURN(Reply pong, impl->Call({"PING"}));
  if (pong.str != "PONG") return impl->Unexpected("PING", pong);
  return std::unique_ptr<RedisStore>(new RedisStore(std::move(impl)));
}

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisStore::~RedisStore() = default;

const std::string& RedisStore::topology_channel() const { return impl_->channel; }

Result<void> RedisStore::Ping() {
  MIROIR_RETURN_IF_ERROR(impl_->Call({"PING"}));
  return {};
}

// --- tasks ---

Result<uint64_t> RedisStore::NextTaskUid() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Eval(impl_->next_uid, "NextTaskUid",
                                               {impl_->p + "task_uid"},
                                               {Str(impl_->uid_floor.load())}));
  std::optional<uint64_t> counter;
  if (r.kind == Reply::Kind::kInteger && r.integer >= 1) {
    counter = static_cast<uint64_t>(r.integer);
  } else if (r.kind == Reply::Kind::kString) {
    counter = ParseInt<uint64_t>(r.str);
  }
  if (!counter || *counter == 0) return impl_->Unexpected("NextTaskUid", r);
  uint64_t uid = *counter - 1;
  if (uid > kMaxUid) return impl_->Internal("task uid counter passed 2^53");
  impl_->RaiseUidFloor(uid);
  return uid;
}

Result<void> RedisStore::PutTask(const TaskRecord& t) {
  if (t.uid > kMaxUid) {
    return impl_->Internal("task uid " + Str(t.uid) + " is too large (at most 2^53 - 1)");
  }
  std::vector<std::string> argv{impl_->p, Str(t.uid), "uid", Str(t.uid)};
  auto field = [&](const char* name, std::string value) {
    argv.emplace_back(name);
    argv.push_back(std::move(value));
  };
  if (t.index_uid) field("index", *t.index_uid);
  field("type", t.type);
  field("status", std::string(TaskStatusName(t.status)));
  if (t.canceled_by) field("canceled_by", Str(*t.canceled_by));
  field("enq", std::to_string(ToMicros(t.enqueued_at)));
  if (t.started_at) field("start", std::to_string(ToMicros(*t.started_at)));
  if (t.finished_at) field("fin", std::to_string(ToMicros(*t.finished_at)));
  field("payload", codec::TaskPayload(t));
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->put_task, "PutTask", {}, argv));
  impl_->RaiseUidFloor(t.uid);
  return {};
}

Result<std::optional<TaskRecord>> RedisStore::GetTask(uint64_t uid) {
  if (uid > kMaxUid) return std::optional<TaskRecord>();
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HGETALL", impl_->p + "task:" + Str(uid)}));
  if (r.kind != Reply::Kind::kArray) return impl_->Unexpected("HGETALL", r);
  if (r.elements.empty()) return std::optional<TaskRecord>();
  MIROIR_ASSIGN_OR_RETURN(TaskRecord t, impl_->ReadTask(FieldMap(r), Str(uid)));
  return std::optional<TaskRecord>(std::move(t));
}

Result<TaskPage> RedisStore::ListTasks(const TaskQuery& query) { return impl_->List(query); }

Result<std::vector<TaskRecord>> RedisStore::UnfinishedTasks(size_t limit) {
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{TaskStatus::kEnqueued, TaskStatus::kProcessing};
  q.reverse = true;  // oldest first
  q.limit = limit;
  MIROIR_ASSIGN_OR_RETURN(TaskPage page, impl_->List(q));
  return std::move(page.tasks);
}

Result<std::map<TaskStatus, uint64_t>> RedisStore::CountTasks() {
  // The per-status sorted sets kept by PutTask: one ZCARD each.
  std::map<TaskStatus, uint64_t> counts;
  for (TaskStatus s : kAllTaskStatuses) {
    MIROIR_ASSIGN_OR_RETURN(
        Reply r, impl_->Call({"ZCARD", impl_->p + "tasks:status:" + std::string(TaskStatusName(s))}));
    if (r.kind != Reply::Kind::kInteger) return impl_->Unexpected("ZCARD", r);
    counts[s] = static_cast<uint64_t>(r.integer);
  }
  return counts;
}

Result<size_t> RedisStore::PruneTasks(uint64_t uid_begin, uint64_t uid_end,
                                      SystemTime finished_before, size_t limit) {
  uid_end = std::min(uid_end, kMaxUid + 1);
  if (uid_begin >= uid_end || limit == 0) return size_t{0};
  MIROIR_ASSIGN_OR_RETURN(
      int64_t n, impl_->EvalInt(impl_->prune_tasks, "PruneTasks", {},
                                {impl_->p, Str(uid_begin), Str(uid_end),
                                 std::to_string(ToMicros(finished_before)),
                                 Str(std::min<uint64_t>(limit, kMaxUid))}));
  return static_cast<size_t>(n);
}

Result<size_t> RedisStore::DeleteTasks(const std::vector<uint64_t>& uids) {
  std::set<uint64_t> unique;
  for (uint64_t u : uids) {
    if (u <= kMaxUid) unique.insert(u);
  }
  if (unique.empty()) return size_t{0};
  std::vector<std::string> argv{impl_->p};
  for (uint64_t u : unique) argv.push_back(Str(u));
  MIROIR_ASSIGN_OR_RETURN(int64_t n, impl_->EvalInt(impl_->delete_tasks, "DeleteTasks", {}, argv));
  return static_cast<size_t>(n);
}

// --- index catalog: one hash, uid -> JSON ---

namespace {

json IndexToJson(const IndexRecord& r) {
  json j = {{"shardCount", r.shard_count},
            {"createdAt", ToMicros(r.created_at)},
            {"updatedAt", ToMicros(r.updated_at)}};
  if (r.primary_key) j["primaryKey"] = *r.primary_key;
  return j;
}

std::optional<IndexRecord> IndexFromJson(const std::string& uid, std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto shards = j.find("shardCount");
  auto created = j.find("createdAt");
  auto updated = j.find("updatedAt");
  if (shards == j.end() || !shards->is_number_unsigned() || created == j.end() ||
      !created->is_number_integer() || updated == j.end() || !updated->is_number_integer()) {
    return std::nullopt;
  }
  IndexRecord r;
  r.uid = uid;
  r.shard_count = shards->get<uint32_t>();
  r.created_at = FromMicros(created->get<int64_t>());
  r.updated_at = FromMicros(updated->get<int64_t>());
  if (auto pk = j.find("primaryKey"); pk != j.end()) {
    if (!pk->is_string()) return std::nullopt;
    r.primary_key = pk->get<std::string>();
  }
  return r;
}

}  // namespace

Result<std::optional<IndexRecord>> RedisStore::GetIndex(const std::string& uid) {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HGET", impl_->p + "indexes", uid}));
  if (r.is_nil()) return std::optional<IndexRecord>();
  auto rec = IndexFromJson(uid, r.str);
  if (!rec) return impl_->Internal("corrupt index record '" + uid + "'");
  return rec;
}

Result<std::vector<IndexRecord>> RedisStore::ListIndexes() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HGETALL", impl_->p + "indexes"}));
  std::vector<IndexRecord> out;
  for (const auto& [uid, text] : FieldMap(r)) {  // a std::map: ordered by uid
    auto rec = IndexFromJson(uid, text);
    if (!rec) return impl_->Internal("corrupt index record '" + uid + "'");
    out.push_back(std::move(*rec));
  }
  return out;
}

Result<void> RedisStore::PutIndex(const IndexRecord& index) {
  MIROIR_RETURN_IF_ERROR(impl_->ChangeHash("set", "indexes", index.uid, Dump(IndexToJson(index))));
  return {};
}

Result<bool> RedisStore::CreateIndex(const IndexRecord& index) {
  MIROIR_ASSIGN_OR_RETURN(
      int64_t created,
      impl_->ChangeHash("setnx", "indexes", index.uid, Dump(IndexToJson(index))));
  return created == 1;
}

Result<void> RedisStore::DeleteIndex(const std::string& uid) {
  MIROIR_RETURN_IF_ERROR(impl_->ChangeHash("del", "indexes", uid));
  return {};
}

// --- API keys: one hash, uid -> storage JSON ---

Result<std::vector<ApiKey>> RedisStore::ListKeys() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HGETALL", impl_->p + "keys"}));
  std::vector<ApiKey> out;
  for (const auto& [uid, text] : FieldMap(r)) {
    std::optional<ApiKey> key = ApiKeyFromStorage(json::parse(text, nullptr, false));
    if (!key) return impl_->Internal("corrupt API key record '" + uid + "'");
    out.push_back(std::move(*key));
  }
  std::stable_sort(out.begin(), out.end(), [](const ApiKey& a, const ApiKey& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.uid < b.uid;
  });
  return out;
}

Result<void> RedisStore::PutKey(const ApiKey& key) {
  MIROIR_RETURN_IF_ERROR(impl_->ChangeHash("set", "keys", key.uid, Dump(ApiKeyToStorage(key))));
  return {};
}

Result<bool> RedisStore::DeleteKey(const std::string& uid) {
  MIROIR_ASSIGN_OR_RETURN(int64_t deleted, impl_->ChangeHash("del", "keys", uid));
  return deleted > 0;
}

// --- topology ---

Result<std::optional<TopologyRecord>> RedisStore::LoadTopology() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HMGET", impl_->p + "topology", "epoch", "spec"}));
  if (r.kind != Reply::Kind::kArray || r.elements.size() != 2) {
    return impl_->Unexpected("HMGET", r);
  }
  if (r.elements[0].is_nil()) return std::optional<TopologyRecord>();
  TopologyRecord rec;
  auto epoch = ParseInt<uint64_t>(r.elements[0].str);
  rec.spec = json::parse(r.elements[1].str, nullptr, false);
  if (!epoch || rec.spec.is_discarded()) return impl_->Internal("corrupt topology record");
  rec.epoch = *epoch;
  return std::optional<TopologyRecord>(std::move(rec));
}

Result<bool> RedisStore::CompareAndSetTopology(uint64_t expected_epoch,
                                               const TopologyRecord& record) {
  if (record.epoch <= expected_epoch) {
    return impl_->Internal("topology epoch " + Str(record.epoch) + " does not follow epoch " +
                           Str(expected_epoch));
  }
  MIROIR_ASSIGN_OR_RETURN(
      int64_t stored,
      impl_->EvalInt(impl_->topology_cas, "CompareAndSetTopology",
                     {impl_->p + "topology", impl_->generation_key},
                     {Str(expected_epoch), Str(record.epoch), Dump(record.spec), impl_->channel,
                      impl_->changes_channel}));
  return stored == 1;
}

// --- leases ---

Result<std::optional<Lease>> RedisStore::AcquireLease(const std::string& scope,
                                                      const std::string& holder,
                                                      std::chrono::milliseconds ttl) {
  if (scope.empty() || holder.empty() || ttl.count() < 1) {
    return impl_->Internal("AcquireLease needs a scope, a holder and a TTL of at least 1 ms");
  }
  MIROIR_ASSIGN_OR_RETURN(
      Reply r, impl_->Eval(impl_->acquire_lease, "AcquireLease",
                           {impl_->p + "lease:" + scope, impl_->p + "fence:" + scope},
                           {holder, std::to_string(ttl.count())}));
  if (r.is_nil()) return std::optional<Lease>();
  auto token = ParseInt<uint64_t>(r.str);
  if (r.kind != Reply::Kind::kString || !token) return impl_->Unexpected("AcquireLease", r);
  return std::optional<Lease>(Lease{scope, holder, *token});
}

Result<bool> RedisStore::RenewLease(const Lease& lease, std::chrono::milliseconds ttl) {
  if (ttl.count() < 1) return impl_->Internal("RenewLease needs a TTL of at least 1 ms");
  MIROIR_ASSIGN_OR_RETURN(
      int64_t renewed,
      impl_->EvalInt(impl_->renew_lease, "RenewLease", {impl_->p + "lease:" + lease.scope},
                     {impl_->LeaseValue(lease), std::to_string(ttl.count())}));
  return renewed == 1;
}

Result<void> RedisStore::ReleaseLease(const Lease& lease) {
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->release_lease, "ReleaseLease",
                                        {impl_->p + "lease:" + lease.scope},
                                        {impl_->LeaseValue(lease)}));
  return {};
}

Result<std::optional<Lease>> RedisStore::CurrentLease(const std::string& scope) {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"GET", impl_->p + "lease:" + scope}));
  if (r.is_nil()) return std::optional<Lease>();
  size_t sep = r.str.find(':');
  std::optional<uint64_t> token;
  if (sep != std::string::npos) token = ParseInt<uint64_t>(std::string_view(r.str).substr(0, sep));
  if (!token) return impl_->Internal("corrupt lease '" + scope + "'");
  return std::optional<Lease>(Lease{scope, r.str.substr(sep + 1), *token});
}

Result<bool> RedisStore::FencedPut(const std::string& scope, uint64_t token,
                                   const std::string& key, const std::string& value) {
  MIROIR_ASSIGN_OR_RETURN(
      int64_t ok,
      impl_->EvalInt(impl_->fenced_write, "FencedPut",
                     {impl_->p + "fence:" + scope, impl_->p + "state:" + scope},
                     {Str(token), "put", key, value}));
  return ok == 1;
}

Result<bool> RedisStore::FencedDelete(const std::string& scope, uint64_t token,
                                      const std::string& key) {
  MIROIR_ASSIGN_OR_RETURN(
      int64_t ok,
      impl_->EvalInt(impl_->fenced_write, "FencedDelete",
                     {impl_->p + "fence:" + scope, impl_->p + "state:" + scope},
                     {Str(token), "del", key, ""}));
  return ok == 1;
}

Result<std::optional<std::string>> RedisStore::FencedGet(const std::string& scope,
                                                         const std::string& key) {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"HGET", impl_->p + "state:" + scope, key}));
  if (r.is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(r.str));
}

// --- membership ---

Result<void> RedisStore::Heartbeat(const InstanceInfo& self, std::chrono::milliseconds ttl) {
  if (self.id.empty() || ttl.count() < 1) {
    return impl_->Internal("Heartbeat needs an instance id and a TTL of at least 1 ms");
  }
  json j = {{"id", self.id},
            {"address", self.address},
            {"topologyEpoch", self.topology_epoch},
            {"startedAt", ToMicros(self.started_at)}};
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->heartbeat, "Heartbeat",
                                        {impl_->p + "instance:" + self.id, impl_->p + "instances"},
                                        {Dump(j), std::to_string(ttl.count()), self.id}));
  return {};
}

Result<void> RedisStore::Leave(const std::string& instance_id) {
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->leave, "Leave",
                                        {impl_->p + "instance:" + instance_id,
                                         impl_->p + "instances"},
                                        {instance_id}));
  return {};
}

Result<std::vector<InstanceInfo>> RedisStore::LiveInstances() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Eval(impl_->live_instances, "LiveInstances",
                                               {impl_->p + "instances"}, {impl_->p}));
  if (r.kind != Reply::Kind::kArray) return impl_->Unexpected("LiveInstances", r);
  std::vector<InstanceInfo> out;
  for (const auto& e : r.elements) {
    json j = json::parse(e.str, nullptr, false);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
      return impl_->Internal("corrupt instance record");
    }
    InstanceInfo info;
    info.id = j["id"].get<std::string>();
    if (j.contains("address") && j["address"].is_string()) info.address = j["address"];
    if (j.contains("topologyEpoch") && j["topologyEpoch"].is_number_unsigned()) {
      info.topology_epoch = j["topologyEpoch"].get<uint64_t>();
    }
    if (j.contains("startedAt") && j["startedAt"].is_number_integer()) {
      info.started_at = FromMicros(j["startedAt"].get<int64_t>());
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const InstanceInfo& a, const InstanceInfo& b) { return a.id < b.id; });
  return out;
}

}  // namespace miroir::store

namespace miroir::store {

// --- anti-entropy tombstones ---

namespace {

// pks per ZMSCORE: 10,000 pks are ten round trips of a bounded size.
constexpr size_t kFindChunk = 1000;

}  // namespace

Result<void> RedisStore::PutTombstones(const std::string& index_uid, uint32_t shard,
                                       const std::vector<std::string>& pks,
                                       int64_t deleted_at_ms) {
  if (pks.empty()) return {};
  std::vector<std::string> argv;
  argv.reserve(pks.size() + 1);
  argv.push_back(std::to_string(deleted_at_ms));
  argv.insert(argv.end(), pks.begin(), pks.end());
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(
      impl_->put_tombstones, "PutTombstones",
      {impl_->p + "tomb:" + index_uid + ":" + std::to_string(shard), impl_->p + "tomb_keys"},
      argv));
  return {};
}

Result<std::map<std::string, int64_t>> RedisStore::FindTombstones(
    const std::string& index_uid, uint32_t shard, const std::vector<std::string>& pks) {
  std::map<std::string, int64_t> found;
  const std::string key = impl_->p + "tomb:" + index_uid + ":" + std::to_string(shard);
  for (size_t begin = 0; begin < pks.size(); begin += kFindChunk) {
    const size_t end = std::min(pks.size(), begin + kFindChunk);
    std::vector<std::string> args{"ZMSCORE", key};
    args.insert(args.end(), pks.begin() + static_cast<ptrdiff_t>(begin),
                pks.begin() + static_cast<ptrdiff_t>(end));
    MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call(args));
    if (r.kind != Reply::Kind::kArray || r.elements.size() != end - begin) {
      return impl_->Unexpected("ZMSCORE", r);
    }
    for (size_t i = 0; i < r.elements.size(); ++i) {
      if (r.elements[i].is_nil()) continue;
      auto ms = ParseScore(r.elements[i].str);
      if (!ms) return impl_->Unexpected("ZMSCORE", r.elements[i]);
      found[pks[begin + i]] = *ms;
    }
  }
  return found;
}

Result<void> RedisStore::PutFilterTombstone(const std::string& index_uid,
                                            const FilterTombstone& tombstone) {
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->put_tombstones, "PutFilterTombstone",
                                        {impl_->p + "ftomb:" + index_uid, impl_->p + "tomb_keys"},
                                        {std::to_string(tombstone.deleted_at_ms),
                                         tombstone.filter}));
  return {};
}

Result<std::vector<FilterTombstone>> RedisStore::ListFilterTombstones(
    const std::string& index_uid) {
  // A zset orders by score, then by the member's bytes: oldest first.
  MIROIR_ASSIGN_OR_RETURN(
      Reply r, impl_->Call({"ZRANGE", impl_->p + "ftomb:" + index_uid, "0", "-1", "WITHSCORES"}));
  if (r.kind != Reply::Kind::kArray || r.elements.size() % 2 != 0) {
    return impl_->Unexpected("ZRANGE", r);
  }
  std::vector<FilterTombstone> out;
  for (size_t i = 0; i < r.elements.size(); i += 2) {
    auto ms = ParseScore(r.elements[i + 1].str);
    if (!ms) return impl_->Internal("corrupt filter tombstone of index '" + index_uid + "'");
    out.push_back(FilterTombstone{std::move(r.elements[i].str), *ms});
  }
  return out;
}

Result<size_t> RedisStore::PruneTombstones(int64_t before_ms) {
  MIROIR_ASSIGN_OR_RETURN(int64_t n,
                          impl_->EvalInt(impl_->prune_tombstones, "PruneTombstones",
                                         {impl_->p + "tomb_keys"}, {std::to_string(before_ms)}));
  return static_cast<size_t>(n);
}

// --- hinted handoff ---

Result<bool> RedisStore::AppendHint(const Hint& hint, uint64_t max_bytes) {
  MIROIR_ASSIGN_OR_RETURN(
      int64_t seq,
      impl_->EvalInt(impl_->append_hint, "AppendHint", {},
                     {impl_->p, hint.node_id, Str(hint.body.size()),
                      Str(std::min(max_bytes, kMaxUid)), std::to_string(hint.created_at_ms),
                      EncodeHint(hint)}));
  return seq > 0;
}

Result<std::vector<Hint>> RedisStore::PeekHints(const std::string& node_id, size_t limit) {
  std::vector<Hint> out;
  if (limit == 0) return out;  // ZRANGE 0 -1 would mean every hint
  MIROIR_ASSIGN_OR_RETURN(
      Reply r, impl_->Eval(impl_->peek_hints, "PeekHints",
                           {impl_->p + "hint_order:" + node_id, impl_->p + "hints:" + node_id},
                           {Str(std::min<uint64_t>(limit, kMaxUid) - 1)}));
  if (r.kind != Reply::Kind::kArray || r.elements.size() % 2 != 0) {
    return impl_->Unexpected("PeekHints", r);
  }
  for (size_t i = 0; i < r.elements.size(); i += 2) {
    auto seq = ParseInt<uint64_t>(r.elements[i].str);
    auto hint = DecodeHint(r.elements[i + 1].str);
    if (!seq || !hint) {
      return impl_->Internal("corrupt hint " + r.elements[i].str + " of node '" + node_id + "'");
    }
    hint->seq = *seq;
    hint->node_id = node_id;
    out.push_back(std::move(*hint));
  }
  return out;
}

Result<void> RedisStore::DropHints(const std::string& node_id, uint64_t through_seq) {
  if (through_seq == 0) return {};  // seqs start at 1
  MIROIR_RETURN_IF_ERROR(impl_->EvalInt(impl_->remove_hints, "DropHints", {},
                                        {impl_->p, "drop", node_id,
                                         Str(std::min(through_seq, kMaxUid))}));
  return {};
}

Result<std::map<std::string, HintBacklog>> RedisStore::HintBacklogs() {
  MIROIR_ASSIGN_OR_RETURN(Reply r,
                          impl_->Eval(impl_->hint_backlogs, "HintBacklogs", {}, {impl_->p}));
  if (r.kind != Reply::Kind::kArray || r.elements.size() % 4 != 0) {
    return impl_->Unexpected("HintBacklogs", r);
  }
  std::map<std::string, HintBacklog> out;
  for (size_t i = 0; i < r.elements.size(); i += 4) {
    auto bytes = ParseInt<uint64_t>(r.elements[i + 2].str);
    auto oldest = ParseScore(r.elements[i + 3].str);
    if (r.elements[i + 1].kind != Reply::Kind::kInteger || !bytes || !oldest) {
      return impl_->Unexpected("HintBacklogs", r);
    }
    out[r.elements[i].str] =
        HintBacklog{static_cast<uint64_t>(r.elements[i + 1].integer), *bytes, *oldest};
  }
  return out;
}

Result<std::set<std::string>> RedisStore::NodesWithHints() {
  // hint_nodes is kept exact by the append and remove scripts.
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"SMEMBERS", impl_->p + "hint_nodes"}));
  if (r.kind != Reply::Kind::kArray) return impl_->Unexpected("SMEMBERS", r);
  std::set<std::string> out;
  for (const Reply& node : r.elements) out.insert(node.str);
  return out;
}

Result<std::map<std::string, uint64_t>> RedisStore::ExpireHints(int64_t before_ms) {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Eval(impl_->remove_hints, "ExpireHints", {},
                                               {impl_->p, "expire", std::to_string(before_ms)}));
  if (r.kind != Reply::Kind::kArray || r.elements.size() % 2 != 0) {
    return impl_->Unexpected("ExpireHints", r);
  }
  std::map<std::string, uint64_t> out;
  for (size_t i = 0; i < r.elements.size(); i += 2) {
    if (r.elements[i + 1].kind != Reply::Kind::kInteger) {
      return impl_->Unexpected("ExpireHints", r);
    }
    out[r.elements[i].str] = static_cast<uint64_t>(r.elements[i + 1].integer);
  }
  return out;
}

// --- shared-state changes ---

Result<uint64_t> RedisStore::StateGeneration() {
  MIROIR_ASSIGN_OR_RETURN(Reply r, impl_->Call({"GET", impl_->generation_key}));
  if (r.is_nil()) return uint64_t{0};
  auto g = ParseInt<uint64_t>(r.str);
  if (!g) return impl_->Unexpected("GET generation", r);
  return *g;
}

Result<uint64_t> RedisStore::WaitForStateChange(uint64_t seen, std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(impl_->subscriber_mu);
  auto& sub = impl_->subscriber;
  // Subscribe before reading the counter: a change landing between the two
  // is then either in the counter or on the channel, never lost.
  if (!sub || sub->broken()) {
    sub.reset();
    auto conn = Connection::Open(impl_->endpoint, impl_->options.connect_timeout,
                                 impl_->options.command_timeout);
    if (conn) {
      auto ack = (*conn)->Command({"SUBSCRIBE", impl_->changes_channel});
      if (ack && ack->kind == Reply::Kind::kArray) sub = std::move(*conn);
    }
  }
  MIROIR_ASSIGN_OR_RETURN(uint64_t generation, StateGeneration());
  if (generation != seen) return generation;
  if (sub) {
    auto message = sub->WaitForPush(timeout);
    if (!message) sub.reset();  // polled again next call, resubscribed then
  } else {
    // No channel (Redis refused the subscription): poll.
    std::this_thread::sleep_for(timeout);
  }
  return StateGeneration();
}

}  // namespace miroir::store
