#include "miroir/store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <variant>

#include "miroir/core/time.hpp"
#include "record_codec.hpp"
#include "sqlite_db.hpp"

namespace miroir::store {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using sqlite::Db;
using sqlite::Statement;
using sqlite::Transaction;

constexpr uint64_t kMaxSqlInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Schema migrations, applied in order; schema_version.version counts those
// applied. Never edit a released entry: append a new one.
//
// Tasks keep the columns GET /tasks filters and sorts on as real columns
// (indexed), and the rest — details, error, node tasks — as one JSON payload
// that can grow fields without a migration. Times are integer microseconds
// since the Unix epoch.
constexpr std::string_view kMigrations[] = {
    R"sql(
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('task_uid', 0);

CREATE TABLE tasks (
  uid         INTEGER PRIMARY KEY,
  index_uid   TEXT,
  type        TEXT NOT NULL,
  status      TEXT NOT NULL,
  canceled_by INTEGER,
  enqueued_at INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  payload     TEXT NOT NULL
);
CREATE INDEX tasks_by_index_uid ON tasks (index_uid, uid);
CREATE INDEX tasks_by_type ON tasks (type, uid);
CREATE INDEX tasks_by_status ON tasks (status, uid);
CREATE INDEX tasks_by_canceled_by ON tasks (canceled_by) WHERE canceled_by IS NOT NULL;
CREATE INDEX tasks_by_enqueued_at ON tasks (enqueued_at);
CREATE INDEX tasks_by_started_at ON tasks (started_at) WHERE started_at IS NOT NULL;
CREATE INDEX tasks_by_finished_at ON tasks (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE indexes (
  uid         TEXT PRIMARY KEY,
  shard_count INTEGER NOT NULL,
  primary_key TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
  uid        TEXT PRIMARY KEY,
  key        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  payload    TEXT NOT NULL
);
CREATE INDEX api_keys_by_key ON api_keys (key);

CREATE TABLE topology (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL,
  spec  TEXT NOT NULL
);
)sql",
    // 2: leases, fencing tokens and fenced state (Coordination), so the
    // leader-only workers run the same code on one instance as on several.
    R"sql(
CREATE TABLE leases (
  scope      TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  token      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE fences (
  scope TEXT PRIMARY KEY,
  token INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE fenced_state (
  scope TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
)sql",
    // 3: anti-entropy tombstones and hinted handoff. Times are milliseconds,
    // as the interface gives them. hint_queues keeps one row per node that
    // ever had a hint, never deleted: its last_seq is what keeps seqs from
    // being reused once the queue has emptied; count and bytes are kept with
    // every change so the bound check and HintBacklogs read no hints.
    // Hints are a rowid table: bodies can be large, which WITHOUT ROWID
    // tables store badly.
    R"sql(
CREATE TABLE tombstones (
  index_uid     TEXT NOT NULL,
  shard         INTEGER NOT NULL,
  pk            TEXT NOT NULL,
  deleted_at_ms INTEGER NOT NULL,
  PRIMARY KEY (index_uid, shard, pk)
) WITHOUT ROWID;
CREATE INDEX tombstones_by_deleted_at ON tombstones (deleted_at_ms);

CREATE TABLE filter_tombstones (
  index_uid     TEXT NOT NULL,
  filter_text   TEXT NOT NULL,
  deleted_at_ms INTEGER NOT NULL,
  PRIMARY KEY (index_uid, filter_text)
);
CREATE INDEX filter_tombstones_by_deleted_at ON filter_tombstones (deleted_at_ms);

CREATE TABLE hint_queues (
  node_id  TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  count    INTEGER NOT NULL,
  bytes    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE hints (
  node_id       TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  method        TEXT NOT NULL,
  target        TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  body          BLOB NOT NULL,
  body_size     INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE INDEX hints_by_created_at ON hints (node_id, created_at_ms);
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// Pks per FindTombstones statement: far below SQLite's bound on parameters
// (32766), large enough that 10,000 pks take 20 statements.
constexpr size_t kFindBatch = 500;

constexpr std::string_view kTaskColumns =
    "uid, index_uid, type, status, canceled_by, enqueued_at, started_at, finished_at, payload";

using codec::Dump;
using codec::FromMicros;
using codec::ToMicros;
using codec::ToMicrosCeil;

std::optional<int64_t> OptionalMicros(const std::optional<SystemTime>& t) {
  if (!t) return std::nullopt;
  return ToMicros(*t);
}

// The exclusive lock on `<db>.lock` that keeps a second Miroir process off
// the database. flock locks belong to the open file description, so a
// second SqliteStore in this process is refused too; the kernel drops the
// lock when the process dies, kill -9 included, so no stale lock survives.
class LockFile {
 public:
  static Result<LockFile> Acquire(const std::string& db_path) {
    // A private in-memory database has no file to share.
    if (db_path == ":memory:") return LockFile(-1);
    std::string path = db_path + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Error(ErrorCode::kMiroirStoreUnavailable,
                   "coordination store '" + db_path + "': cannot open lock file '" + path +
                       "': " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string holder = ReadHolder(fd);
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Error(ErrorCode::kMiroirStoreUnavailable,
                     "coordination store '" + db_path +
                         "' is already in use by another Miroir instance (lock file '" + path +
                         "' is held" + (holder.empty() ? "" : " by pid " + holder) +
                         "); one SQLite file serves one instance — use the redis store to run "
                         "several");
      }
      return Error(ErrorCode::kMiroirStoreUnavailable,
                   "coordination store '" + db_path + "': cannot lock '" + path +
                       "': " + std::strerror(err));
    }
    // The pid is for the operator reading the error above; nothing trusts it.
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    return LockFile(fd);
  }

  LockFile(LockFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  LockFile& operator=(LockFile&&) = delete;
  // Closing the descriptor releases the lock. The file stays: unlinking it
  // would race with a process that opened it and is about to lock it.
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit LockFile(int fd) : fd_(fd) {}

  static std::string ReadHolder(int fd) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  int fd_;
};

// A WHERE clause under construction, with its parameters in order.
class Where {
 public:
  void Add(std::string clause) {
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += clause;
  }
  void Add(std::string clause, int64_t param) {
    Add(std::move(clause));
    params_.emplace_back(param);
  }
  void Add(std::string clause, std::string param) {
    Add(std::move(clause));
    params_.emplace_back(std::move(param));
  }
  // `column IN (values)`, the values passed as one JSON array so the SQL
  // text — and thus the cached statement — depends only on which filters
  // are present, not on how many values each has.
  void AddIn(std::string_view column, const json& values) {
    Add(std::string(column) + " IN (SELECT value FROM json_each(?))", Dump(values));
  }
  const std::string& sql() const { return sql_; }
  // Binds the parameters from index 1; returns the next free index.
  int BindTo(Statement& stmt) const {
    int i = 1;
    for (const auto& p : params_) {
      if (const auto* n = std::get_if<int64_t>(&p)) {
        stmt.Bind(i++, *n);
      } else {
        stmt.Bind(i++, std::string_view(std::get<std::string>(p)));
      }
    }
    return i;
  }

 private:
  std::string sql_;
  std::vector<std::variant<int64_t, std::string>> params_;
};

json UidArray(const std::set<uint64_t>& values) {
  json a = json::array();
  // Larger values cannot be stored, so they cannot match.
  for (uint64_t v : values) {
    if (v <= kMaxSqlInt) a.push_back(static_cast<int64_t>(v));
  }
  return a;
}

json StringArray(const std::set<std::string>& values) {
  json a = json::array();
  for (const auto& v : values) a.push_back(v);
  return a;
}

}  // namespace

class SqliteStore::Impl {
 public:
  Impl(LockFile lock, std::unique_ptr<Db> db) : lock_(std::move(lock)), db_(std::move(db)) {}

  std::mutex mu;  // guards every use of db_

  Result<void> Configure(const SqliteStoreOptions& options) {
    // WAL: readers never block the writer and a commit appends to one file,
    // which is both faster and — with synchronous=FULL — durable per commit.
    MIROIR_ASSIGN_OR_RETURN(std::string mode, db_->QueryText("PRAGMA journal_mode=WAL"));
    // An in-memory database keeps its "memory" journal; it has nothing to lose.
    if (mode != "wal" && db_->path() != ":memory:") {
      return Error(ErrorCode::kMiroirStoreUnavailable,
                   "coordination store '" + db_->path() +
                       "': cannot switch to WAL journal mode (got '" + mode +
                       "'); the file must be on a local file system");
    }
    MIROIR_RETURN_IF_ERROR(db_->Exec(options.durability == Durability::kFull
                                         ? "PRAGMA synchronous=FULL"
                                         : "PRAGMA synchronous=NORMAL"));
    return Migrate();
  }

  Result<uint64_t> NextTaskUid() {
    // One UPDATE ... RETURNING is its own transaction: the increment is
    // committed (and, with kFull, synced) before the uid is handed out, so a
    // restart never hands it out again, deleted tasks or not.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("UPDATE counters SET value = value + 1 WHERE name = 'task_uid' "
                     "RETURNING value - 1"));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return db_->Internal("task uid counter is missing");
    int64_t uid = stmt.Int(0);
    // The commit happens when the statement completes; only then is the uid ours.
    MIROIR_RETURN_IF_ERROR(stmt.Run());
    return static_cast<uint64_t>(uid);
  }

  Result<void> PutTask(const TaskRecord& t) {
    if (t.uid > kMaxSqlInt || (t.canceled_by && *t.canceled_by > kMaxSqlInt)) {
      return db_->Internal("task uid " + std::to_string(t.uid) + " or its canceledBy is too large");
    }
    MIROIR_ASSIGN_OR_RETURN(Statement stmt,
                            db_->Prepare("INSERT OR REPLACE INTO tasks (" +
                                         std::string(kTaskColumns) +
                                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    std::optional<int64_t> canceled_by;
    if (t.canceled_by) canceled_by = static_cast<int64_t>(*t.canceled_by);
    stmt.Bind(1, static_cast<int64_t>(t.uid))
        .Bind(2, t.index_uid)
        .Bind(3, std::string_view(t.type))
        .Bind(4, TaskStatusName(t.status))
        .Bind(5, canceled_by)
        .Bind(6, ToMicros(t.enqueued_at))
        .Bind(7, OptionalMicros(t.started_at))
        .Bind(8, OptionalMicros(t.finished_at))
        .Bind(9, std::string_view(codec::TaskPayload(t)));
    return stmt.Run();
  }

  Result<std::optional<TaskRecord>> GetTask(uint64_t uid) {
    if (uid > kMaxSqlInt) return std::optional<TaskRecord>();
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT " + std::string(kTaskColumns) + " FROM tasks WHERE uid = ?"));
    stmt.Bind(1, static_cast<int64_t>(uid));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<TaskRecord>();
    MIROIR_ASSIGN_OR_RETURN(TaskRecord task, ReadTask(stmt));
    return std::optional<TaskRecord>(std::move(task));
  }

  Result<TaskPage> ListTasks(const TaskQuery& q) {
    Where where;
    if (q.uids) where.AddIn("uid", UidArray(*q.uids));
    if (q.index_uids) where.AddIn("index_uid", StringArray(*q.index_uids));
    if (q.types) where.AddIn("type", StringArray(*q.types));
    if (q.statuses) {
      json names = json::array();
      for (TaskStatus s : *q.statuses) names.push_back(TaskStatusName(s));
      where.AddIn("status", names);
    }
    if (q.canceled_by) where.AddIn("canceled_by", UidArray(*q.canceled_by));
    // Meilisearch's date bounds are exclusive. Stored times are truncated to
    // microseconds, so "after t" is "> floor(t)" and "before t" is "< ceil(t)".
    auto after = [&](std::string_view column, const std::optional<SystemTime>& t) {
      if (t) where.Add(std::string(column) + " > ?", ToMicros(*t));
    };
    auto before = [&](std::string_view column, const std::optional<SystemTime>& t) {
      if (t) where.Add(std::string(column) + " < ?", ToMicrosCeil(*t));
    };
    after("enqueued_at", q.after_enqueued_at);
    before("enqueued_at", q.before_enqueued_at);
    after("started_at", q.after_started_at);
    before("started_at", q.before_started_at);
    after("finished_at", q.after_finished_at);
    before("finished_at", q.before_finished_at);

    TaskPage page;
    {
      MIROIR_ASSIGN_OR_RETURN(Statement count,
                              db_->Prepare("SELECT COUNT(*) FROM tasks" + where.sql()));
      where.BindTo(count);
      MIROIR_ASSIGN_OR_RETURN(bool row, count.Step());
      if (!row) return db_->Internal("COUNT(*) returned no row");
      page.total = static_cast<uint64_t>(count.Int(0));
    }

    // `from` bounds the page, not the total.
    if (q.from) {
      if (!q.reverse) {
        where.Add("uid <= ?", static_cast<int64_t>(std::min(*q.from, kMaxSqlInt)));
      } else if (*q.from > kMaxSqlInt) {
        where.Add("0");
      } else {
        where.Add("uid >= ?", static_cast<int64_t>(*q.from));
      }
    }
    // One row past the page tells whether there is a next page and where it starts.
    uint64_t limit = std::min(q.limit, kMaxSqlInt - 1);
    MIROIR_ASSIGN_OR_RETURN(Statement stmt,
                            db_->Prepare("SELECT " + std::string(kTaskColumns) + " FROM tasks" +
                                         where.sql() + " ORDER BY uid " +
                                         (q.reverse ? "ASC" : "DESC") + " LIMIT ?"));
    int next_param = where.BindTo(stmt);
    stmt.Bind(next_param, static_cast<int64_t>(limit + 1));
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (page.tasks.size() == limit) {
        page.next = static_cast<uint64_t>(stmt.Int(0));
        break;
      }
      MIROIR_ASSIGN_OR_RETURN(TaskRecord task, ReadTask(stmt));
      page.tasks.push_back(std::move(task));
    }
    return page;
  }

  Result<std::vector<TaskRecord>> UnfinishedTasks(size_t limit) {
    // Two range lookups in tasks_by_status (status, uid): the reconciler's
    // scan never touches finished tasks, however many there are.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT " + std::string(kTaskColumns) +
                     " FROM tasks WHERE status IN ('enqueued', 'processing') "
                     "ORDER BY uid ASC LIMIT ?"));
    stmt.Bind(1, static_cast<int64_t>(std::min<uint64_t>(limit, kMaxSqlInt)));
    std::vector<TaskRecord> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      MIROIR_ASSIGN_OR_RETURN(TaskRecord task, ReadTask(stmt));
      out.push_back(std::move(task));
    }
  }

  Result<std::map<TaskStatus, uint64_t>> CountTasks() {
    std::map<TaskStatus, uint64_t> counts;
    for (TaskStatus s : kAllTaskStatuses) counts[s] = 0;
    // Read from the tasks_by_status index alone.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt, db_->Prepare("SELECT status, COUNT(*) FROM tasks GROUP BY status"));
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return counts;
      if (auto status = ParseTaskStatus(stmt.Text(0))) {
        counts[*status] = static_cast<uint64_t>(stmt.Int(1));
      }
    }
  }

  Result<size_t> DeleteTasks(const std::vector<uint64_t>& uids) {
    std::set<uint64_t> set(uids.begin(), uids.end());
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("DELETE FROM tasks WHERE uid IN (SELECT value FROM json_each(?))"));
    stmt.Bind(1, std::string_view(Dump(UidArray(set))));
    MIROIR_RETURN_IF_ERROR(stmt.Run());
    return static_cast<size_t>(db_->Changes());
  }

  Result<size_t> PruneTasks(uint64_t uid_begin, uint64_t uid_end, SystemTime finished_before,
                            size_t limit) {
    if (uid_begin >= uid_end || uid_begin > kMaxSqlInt) return size_t{0};
    // The uid range walks the primary key; only that range's rows are read.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("DELETE FROM tasks WHERE uid IN (SELECT uid FROM tasks "
                     "WHERE uid >= ? AND uid < ? AND status IN ('succeeded', 'failed', 'canceled') "
                     "AND finished_at < ? ORDER BY uid LIMIT ?)"));
    stmt.Bind(1, static_cast<int64_t>(uid_begin))
        .Bind(2, static_cast<int64_t>(std::min(uid_end, kMaxSqlInt)))
        .Bind(3, ToMicros(finished_before))
        .Bind(4, static_cast<int64_t>(std::min<uint64_t>(limit, kMaxSqlInt)));
    MIROIR_RETURN_IF_ERROR(stmt.Run());
    return static_cast<size_t>(db_->Changes());
  }

  Result<std::optional<IndexRecord>> GetIndex(const std::string& uid) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT uid, shard_count, primary_key, created_at, updated_at FROM indexes "
                     "WHERE uid = ?"));
    stmt.Bind(1, std::string_view(uid));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<IndexRecord>();
    return std::optional<IndexRecord>(ReadIndex(stmt));
  }

  Result<std::vector<IndexRecord>> ListIndexes() {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT uid, shard_count, primary_key, created_at, updated_at FROM indexes "
                     "ORDER BY uid"));
    std::vector<IndexRecord> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out.push_back(ReadIndex(stmt));
    }
  }

  Result<void> PutIndex(const IndexRecord& index) { return InsertIndex(index, "OR REPLACE"); }

  Result<bool> CreateIndex(const IndexRecord& index) {
    MIROIR_RETURN_IF_ERROR(InsertIndex(index, "OR IGNORE"));
    return db_->Changes() == 1;
  }

  // INSERT with `conflict` ("OR REPLACE": overwrite; "OR IGNORE": first wins).
  Result<void> InsertIndex(const IndexRecord& index, std::string_view conflict) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT " + std::string(conflict) +
                     " INTO indexes (uid, shard_count, primary_key, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?)"));
    stmt.Bind(1, std::string_view(index.uid))
        .Bind(2, static_cast<int64_t>(index.shard_count))
        .Bind(3, index.primary_key)
        .Bind(4, ToMicros(index.created_at))
        .Bind(5, ToMicros(index.updated_at));
    return stmt.Run();
  }

  Result<void> DeleteIndex(const std::string& uid) {
    MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM indexes WHERE uid = ?"));
    stmt.Bind(1, std::string_view(uid));
    return stmt.Run();
  }

  Result<std::vector<ApiKey>> ListKeys() {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT uid, payload FROM api_keys ORDER BY created_at, uid"));
    std::vector<ApiKey> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      json j = json::parse(stmt.Text(1), nullptr, false);
      std::optional<ApiKey> key = ApiKeyFromStorage(j);
      if (!key) return db_->Internal("corrupt API key record '" + stmt.Text(0) + "'");
      out.push_back(std::move(*key));
    }
  }

  Result<void> PutKey(const ApiKey& key) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT OR REPLACE INTO api_keys (uid, key, created_at, payload) "
                     "VALUES (?, ?, ?, ?)"));
    stmt.Bind(1, std::string_view(key.uid))
        .Bind(2, std::string_view(key.key))
        .Bind(3, ToMicros(key.created_at))
        .Bind(4, std::string_view(Dump(ApiKeyToStorage(key))));
    return stmt.Run();
  }

  Result<bool> DeleteKey(const std::string& uid) {
    MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM api_keys WHERE uid = ?"));
    stmt.Bind(1, std::string_view(uid));
    MIROIR_RETURN_IF_ERROR(stmt.Run());
    return db_->Changes() > 0;
  }

  Result<std::optional<TopologyRecord>> LoadTopology() {
    MIROIR_ASSIGN_OR_RETURN(Statement stmt,
                            db_->Prepare("SELECT epoch, spec FROM topology WHERE id = 1"));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<TopologyRecord>();
    TopologyRecord rec;
    rec.epoch = static_cast<uint64_t>(stmt.Int(0));
    rec.spec = json::parse(stmt.Text(1), nullptr, false);
    if (rec.spec.is_discarded()) return db_->Internal("corrupt topology record");
    return std::optional<TopologyRecord>(std::move(rec));
  }

  Result<bool> CompareAndSetTopology(uint64_t expected_epoch, const TopologyRecord& record) {
    if (record.epoch <= expected_epoch || record.epoch > kMaxSqlInt) {
      return db_->Internal("topology epoch " + std::to_string(record.epoch) +
                           " does not follow epoch " + std::to_string(expected_epoch));
    }
    // IMMEDIATE: the read and the write happen under the write lock, so no
    // other connection (a shell, say) can slip a write in between.
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    uint64_t stored = 0;
    {
      MIROIR_ASSIGN_OR_RETURN(Statement read,
                              db_->Prepare("SELECT epoch FROM topology WHERE id = 1"));
      MIROIR_ASSIGN_OR_RETURN(bool row, read.Step());
      if (row) stored = static_cast<uint64_t>(read.Int(0));
    }
    if (stored != expected_epoch) return false;  // the destructor rolls back
    {
      MIROIR_ASSIGN_OR_RETURN(
          Statement write,
          db_->Prepare("INSERT OR REPLACE INTO topology (id, epoch, spec) VALUES (1, ?, ?)"));
      write.Bind(1, static_cast<int64_t>(record.epoch))
          .Bind(2, std::string_view(Dump(record.spec)));
      MIROIR_RETURN_IF_ERROR(write.Run());
    }
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return true;
  }

  // --- Coordination: leases and fenced state in tables; times are wall
  // clock microseconds, so leases survive a restart with their deadlines.
  Result<std::optional<Lease>> AcquireLease(const std::string& scope, const std::string& holder,
                                            std::chrono::milliseconds ttl) {
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    const int64_t now = ToMicros(NowMicros());
    const int64_t expires = now + ttl.count() * 1000;
    MIROIR_ASSIGN_OR_RETURN(auto current, ReadLease(scope));
    if (current && current->second > now) {
      if (current->first.holder != holder) return std::optional<Lease>();
      MIROIR_RETURN_IF_ERROR(WriteLease(current->first, expires));
      MIROIR_RETURN_IF_ERROR(tx.Commit());
      return std::optional<Lease>(current->first);
    }
    Lease lease{scope, holder, 0};
    {
      MIROIR_ASSIGN_OR_RETURN(Statement bump,
                              db_->Prepare("INSERT INTO fences (scope, token) VALUES (?, 1) "
                                           "ON CONFLICT (scope) DO UPDATE SET token = token + 1 "
                                           "RETURNING token"));
      bump.Bind(1, std::string_view(scope));
      MIROIR_ASSIGN_OR_RETURN(bool row, bump.Step());
      if (!row) return db_->Internal("no fencing token for " + scope);
      lease.token = static_cast<uint64_t>(bump.Int(0));
      MIROIR_RETURN_IF_ERROR(bump.Run());  // finish the statement before the commit
    }
    MIROIR_RETURN_IF_ERROR(WriteLease(lease, expires));
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return std::optional<Lease>(lease);
  }

  Result<bool> RenewLease(const Lease& lease, std::chrono::milliseconds ttl) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt, db_->Prepare("UPDATE leases SET expires_at = ? WHERE scope = ? AND "
                                     "holder = ? AND token = ? AND expires_at > ?"));
    const int64_t now = ToMicros(NowMicros());
    stmt.Bind(1, now + ttl.count() * 1000)
        .Bind(2, std::string_view(lease.scope))
        .Bind(3, std::string_view(lease.holder))
        .Bind(4, static_cast<int64_t>(lease.token))
        .Bind(5, now);
    MIROIR_RETURN_IF_ERROR(stmt.Run());
    return db_->Changes() == 1;
  }

  Result<void> ReleaseLease(const Lease& lease) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("DELETE FROM leases WHERE scope = ? AND holder = ? AND token = ?"));
    stmt.Bind(1, std::string_view(lease.scope))
        .Bind(2, std::string_view(lease.holder))
        .Bind(3, static_cast<int64_t>(lease.token));
    return stmt.Run();
  }

  Result<std::optional<Lease>> CurrentLease(const std::string& scope) {
    MIROIR_ASSIGN_OR_RETURN(auto current, ReadLease(scope));
    if (!current || current->second <= ToMicros(NowMicros())) return std::optional<Lease>();
    return std::optional<Lease>(current->first);
  }

  Result<bool> FencedWrite(const std::string& scope, uint64_t token, const std::string& key,
                           const std::string* value) {
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    {
      MIROIR_ASSIGN_OR_RETURN(Statement fence,
                              db_->Prepare("SELECT token FROM fences WHERE scope = ?"));
      fence.Bind(1, std::string_view(scope));
      MIROIR_ASSIGN_OR_RETURN(bool row, fence.Step());
      if (!row || static_cast<uint64_t>(fence.Int(0)) != token) return false;
    }
    if (value != nullptr) {
      MIROIR_ASSIGN_OR_RETURN(
          Statement put, db_->Prepare("INSERT OR REPLACE INTO fenced_state (scope, key, value) "
                                      "VALUES (?, ?, ?)"));
      put.Bind(1, std::string_view(scope)).Bind(2, std::string_view(key)).Bind(3, std::string_view(*value));
      MIROIR_RETURN_IF_ERROR(put.Run());
    } else {
      MIROIR_ASSIGN_OR_RETURN(
          Statement del, db_->Prepare("DELETE FROM fenced_state WHERE scope = ? AND key = ?"));
      del.Bind(1, std::string_view(scope)).Bind(2, std::string_view(key));
      MIROIR_RETURN_IF_ERROR(del.Run());
    }
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return true;
  }

  // --- anti-entropy tombstones ---

  Result<void> PutTombstones(const std::string& index_uid, uint32_t shard,
                             const std::vector<std::string>& pks, int64_t deleted_at_ms) {
    if (pks.empty()) return {};
    // One transaction: all of the pks or none, and one commit (one fsync).
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO tombstones (index_uid, shard, pk, deleted_at_ms) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (index_uid, shard, pk) DO UPDATE "
                     "SET deleted_at_ms = excluded.deleted_at_ms "
                     "WHERE excluded.deleted_at_ms > deleted_at_ms"));
    for (const auto& pk : pks) {
      stmt.Bind(1, std::string_view(index_uid))
          .Bind(2, static_cast<int64_t>(shard))
          .Bind(3, std::string_view(pk))
          .Bind(4, deleted_at_ms);
      MIROIR_RETURN_IF_ERROR(stmt.Run());
      stmt.Reset();
    }
    return tx.Commit();
  }

  Result<std::map<std::string, int64_t>> FindTombstones(const std::string& index_uid,
                                                        uint32_t shard,
                                                        const std::vector<std::string>& pks) {
    std::map<std::string, int64_t> found;
    if (pks.empty()) return found;
    // Batches of kFindBatch pks in one IN list; a short last batch is padded
    // with NULLs (which match nothing), so there is one statement text only.
    static const std::string kSql = [] {
      std::string sql =
          "SELECT pk, deleted_at_ms FROM tombstones WHERE index_uid = ? AND shard = ? AND pk IN (";
      for (size_t i = 0; i < kFindBatch; ++i) sql += i == 0 ? "?" : ", ?";
      return sql + ")";
    }();
    MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(kSql));
    for (size_t begin = 0; begin < pks.size(); begin += kFindBatch) {
      stmt.Bind(1, std::string_view(index_uid)).Bind(2, static_cast<int64_t>(shard));
      for (size_t i = 0; i < kFindBatch; ++i) {
        int param = static_cast<int>(3 + i);
        if (begin + i < pks.size()) {
          stmt.Bind(param, std::string_view(pks[begin + i]));
        } else {
          stmt.BindNull(param);
        }
      }
      for (;;) {
        MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        found[stmt.Text(0)] = stmt.Int(1);
      }
      stmt.Reset();
    }
    return found;
  }

  Result<void> PutFilterTombstone(const std::string& index_uid, const FilterTombstone& t) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO filter_tombstones (index_uid, filter_text, deleted_at_ms) "
                     "VALUES (?, ?, ?) ON CONFLICT (index_uid, filter_text) DO UPDATE "
                     "SET deleted_at_ms = excluded.deleted_at_ms "
                     "WHERE excluded.deleted_at_ms > deleted_at_ms"));
    stmt.Bind(1, std::string_view(index_uid))
        .Bind(2, std::string_view(t.filter))
        .Bind(3, t.deleted_at_ms);
    return stmt.Run();
  }

  Result<std::vector<FilterTombstone>> ListFilterTombstones(const std::string& index_uid) {
    // Ties of time are ordered by the filter's bytes, as Redis orders a zset.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT filter_text, deleted_at_ms FROM filter_tombstones "
                     "WHERE index_uid = ? ORDER BY deleted_at_ms, filter_text"));
    stmt.Bind(1, std::string_view(index_uid));
    std::vector<FilterTombstone> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out.push_back(FilterTombstone{stmt.Text(0), stmt.Int(1)});
    }
  }

  Result<size_t> PruneTombstones(int64_t before_ms) {
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    size_t deleted = 0;
    for (const char* sql : {"DELETE FROM tombstones WHERE deleted_at_ms < ?",
                            "DELETE FROM filter_tombstones WHERE deleted_at_ms < ?"}) {
      MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
      stmt.Bind(1, before_ms);
      MIROIR_RETURN_IF_ERROR(stmt.Run());
      deleted += static_cast<size_t>(db_->Changes());
    }
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return deleted;
  }

  // --- hinted handoff ---

  Result<bool> AppendHint(const Hint& hint, uint64_t max_bytes) {
    const uint64_t size = hint.body.size();
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    {
      MIROIR_ASSIGN_OR_RETURN(Statement read,
                              db_->Prepare("SELECT bytes FROM hint_queues WHERE node_id = ?"));
      read.Bind(1, std::string_view(hint.node_id));
      MIROIR_ASSIGN_OR_RETURN(bool row, read.Step());
      const uint64_t bytes = row ? static_cast<uint64_t>(read.Int(0)) : 0;
      if (size > max_bytes || bytes > max_bytes - size) return false;  // rolls back
    }
    int64_t seq = 0;
    {
      MIROIR_ASSIGN_OR_RETURN(
          Statement bump,
          db_->Prepare("INSERT INTO hint_queues (node_id, last_seq, count, bytes) "
                       "VALUES (?, 1, 1, ?) ON CONFLICT (node_id) DO UPDATE "
                       "SET last_seq = last_seq + 1, count = count + 1, "
                       "bytes = bytes + excluded.bytes RETURNING last_seq"));
      bump.Bind(1, std::string_view(hint.node_id)).Bind(2, static_cast<int64_t>(size));
      MIROIR_ASSIGN_OR_RETURN(bool row, bump.Step());
      if (!row) return db_->Internal("no hint seq for node " + hint.node_id);
      seq = bump.Int(0);
      MIROIR_RETURN_IF_ERROR(bump.Run());  // finish the statement before the commit
    }
    {
      MIROIR_ASSIGN_OR_RETURN(
          Statement insert,
          db_->Prepare("INSERT INTO hints (node_id, seq, method, target, content_type, body, "
                       "body_size, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      insert.Bind(1, std::string_view(hint.node_id))
          .Bind(2, seq)
          .Bind(3, std::string_view(hint.method))
          .Bind(4, std::string_view(hint.target))
          .Bind(5, std::string_view(hint.content_type))
          .BindBlob(6, hint.body)
          .Bind(7, static_cast<int64_t>(size))
          .Bind(8, hint.created_at_ms);
      MIROIR_RETURN_IF_ERROR(insert.Run());
    }
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return true;
  }

  Result<std::vector<Hint>> PeekHints(const std::string& node_id, size_t limit) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT seq, method, target, content_type, body, created_at_ms FROM hints "
                     "WHERE node_id = ? ORDER BY seq LIMIT ?"));
    stmt.Bind(1, std::string_view(node_id))
        .Bind(2, static_cast<int64_t>(std::min<uint64_t>(limit, kMaxSqlInt)));
    std::vector<Hint> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      Hint h;
      h.seq = static_cast<uint64_t>(stmt.Int(0));
      h.node_id = node_id;
      h.method = stmt.Text(1);
      h.target = stmt.Text(2);
      h.content_type = stmt.Text(3);
      h.body = stmt.Blob(4);
      h.created_at_ms = stmt.Int(5);
      out.push_back(std::move(h));
    }
  }

  Result<void> DropHints(const std::string& node_id, uint64_t through_seq) {
    if (through_seq == 0) return {};  // seqs start at 1
    const int64_t through = static_cast<int64_t>(std::min(through_seq, kMaxSqlInt));
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    MIROIR_RETURN_IF_ERROR(RemoveHints(
        node_id, "SELECT COUNT(*), COALESCE(SUM(body_size), 0) FROM hints "
                 "WHERE node_id = ? AND seq <= ?",
        "DELETE FROM hints WHERE node_id = ? AND seq <= ?", through));
    return tx.Commit();
  }

  Result<std::map<std::string, HintBacklog>> HintBacklogs() {
    // The oldest time is one lookup in hints_by_created_at per node.
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT q.node_id, q.count, q.bytes, (SELECT MIN(h.created_at_ms) "
                     "FROM hints h WHERE h.node_id = q.node_id) "
                     "FROM hint_queues q WHERE q.count > 0"));
    std::map<std::string, HintBacklog> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out[stmt.Text(0)] = HintBacklog{static_cast<uint64_t>(stmt.Int(1)),
                                      static_cast<uint64_t>(stmt.Int(2)), stmt.Int(3)};
    }
  }

  Result<std::set<std::string>> NodesWithHints() {
    MIROIR_ASSIGN_OR_RETURN(Statement stmt,
                            db_->Prepare("SELECT node_id FROM hint_queues WHERE count > 0"));
    std::set<std::string> out;
    for (;;) {
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out.insert(stmt.Text(0));
    }
  }

  Result<std::map<std::string, uint64_t>> ExpireHints(int64_t before_ms) {
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    std::vector<std::string> nodes;
    {
      MIROIR_ASSIGN_OR_RETURN(Statement stmt,
                              db_->Prepare("SELECT node_id FROM hint_queues WHERE count > 0"));
      for (;;) {
        MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        nodes.push_back(stmt.Text(0));
      }
    }
    std::map<std::string, uint64_t> expired;
    for (const auto& node : nodes) {
      MIROIR_ASSIGN_OR_RETURN(
          uint64_t n,
          RemoveHints(node, "SELECT COUNT(*), COALESCE(SUM(body_size), 0) FROM hints "
                            "WHERE node_id = ? AND created_at_ms < ?",
                      "DELETE FROM hints WHERE node_id = ? AND created_at_ms < ?", before_ms));
      if (n > 0) expired[node] = n;
    }
    MIROIR_RETURN_IF_ERROR(tx.Commit());
    return expired;
  }

  Result<std::optional<std::string>> FencedGet(const std::string& scope, const std::string& key) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT value FROM fenced_state WHERE scope = ? AND key = ?"));
    stmt.Bind(1, std::string_view(scope)).Bind(2, std::string_view(key));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(stmt.Text(0));
  }

 private:
  // The stored lease of a scope and its deadline (µs), expired or not.
  Result<std::optional<std::pair<Lease, int64_t>>> ReadLease(const std::string& scope) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT holder, token, expires_at FROM leases WHERE scope = ?"));
    stmt.Bind(1, std::string_view(scope));
    MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<std::pair<Lease, int64_t>>();
    return std::optional<std::pair<Lease, int64_t>>(
        std::make_pair(Lease{scope, stmt.Text(0), static_cast<uint64_t>(stmt.Int(1))}, stmt.Int(2)));
  }

  Result<void> WriteLease(const Lease& lease, int64_t expires_at) {
    MIROIR_ASSIGN_OR_RETURN(
        Statement stmt, db_->Prepare("INSERT OR REPLACE INTO leases (scope, holder, token, "
                                     "expires_at) VALUES (?, ?, ?, ?)"));
    stmt.Bind(1, std::string_view(lease.scope))
        .Bind(2, std::string_view(lease.holder))
        .Bind(3, static_cast<int64_t>(lease.token))
        .Bind(4, expires_at);
    return stmt.Run();
  }

  // Deletes the node's hints that `count_sql` counts and `delete_sql`
  // deletes (both bound to node id and `bound`), and takes them off the
  // queue's count and bytes; returns how many. REQUIRES: in a transaction.
  Result<uint64_t> RemoveHints(const std::string& node_id, const char* count_sql,
                               const char* delete_sql, int64_t bound) {
    int64_t count = 0;
    int64_t bytes = 0;
    {
      MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(count_sql));
      stmt.Bind(1, std::string_view(node_id)).Bind(2, bound);
      MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (row) {
        count = stmt.Int(0);
        bytes = stmt.Int(1);
      }
    }
    if (count == 0) return uint64_t{0};
    {
      MIROIR_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(delete_sql));
      stmt.Bind(1, std::string_view(node_id)).Bind(2, bound);
      MIROIR_RETURN_IF_ERROR(stmt.Run());
    }
    MIROIR_ASSIGN_OR_RETURN(
        Statement update,
        db_->Prepare("UPDATE hint_queues SET count = count - ?, bytes = bytes - ? "
                     "WHERE node_id = ?"));
    update.Bind(1, count).Bind(2, bytes).Bind(3, std::string_view(node_id));
    MIROIR_RETURN_IF_ERROR(update.Run());
    return static_cast<uint64_t>(count);
  }

  Result<void> Migrate() {
    MIROIR_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    MIROIR_RETURN_IF_ERROR(
        db_->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    int version = 0;
    {
      MIROIR_ASSIGN_OR_RETURN(Statement read,
                              db_->Prepare("SELECT version FROM schema_version"));
      MIROIR_ASSIGN_OR_RETURN(bool row, read.Step());
      if (row) version = static_cast<int>(read.Int(0));
    }
    if (version == kSchemaVersion) return {};  // nothing written; rolled back harmlessly
    if (version > kSchemaVersion) {
      return db_->Internal("schema version " + std::to_string(version) +
                           " was written by a newer Miroir (this one knows up to " +
                           std::to_string(kSchemaVersion) + ")");
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      MIROIR_RETURN_IF_ERROR(db_->Exec(std::string(kMigrations[v])));
    }
    MIROIR_RETURN_IF_ERROR(db_->Exec("DELETE FROM schema_version"));
    MIROIR_RETURN_IF_ERROR(db_->Exec("INSERT INTO schema_version (version) VALUES (" +
                                     std::to_string(kSchemaVersion) + ")"));
    return tx.Commit();
  }

  Result<TaskRecord> ReadTask(const Statement& stmt) {
    TaskRecord t;
    t.uid = static_cast<uint64_t>(stmt.Int(0));
    auto corrupt = [&](std::string_view what) {
      return db_->Internal("corrupt task record " + std::to_string(t.uid) + ": " +
                           std::string(what));
    };
    t.index_uid = stmt.OptionalText(1);
    t.type = stmt.Text(2);
    std::optional<TaskStatus> status = ParseTaskStatus(stmt.Text(3));
    if (!status) return corrupt("unknown status '" + stmt.Text(3) + "'");
    t.status = *status;
    if (auto c = stmt.OptionalInt(4)) t.canceled_by = static_cast<uint64_t>(*c);
    t.enqueued_at = FromMicros(stmt.Int(5));
    if (auto s = stmt.OptionalInt(6)) t.started_at = FromMicros(*s);
    if (auto f = stmt.OptionalInt(7)) t.finished_at = FromMicros(*f);

    if (auto bad = codec::ReadTaskPayload(stmt.Text(8), t)) return corrupt(*bad);
    return t;
  }

  static IndexRecord ReadIndex(const Statement& stmt) {
    IndexRecord r;
    r.uid = stmt.Text(0);
    r.shard_count = static_cast<uint32_t>(stmt.Int(1));
    r.primary_key = stmt.OptionalText(2);
    r.created_at = FromMicros(stmt.Int(3));
    r.updated_at = FromMicros(stmt.Int(4));
    return r;
  }

  // Declared before db_ so that it is released after the database is closed.
  LockFile lock_;
  std::unique_ptr<Db> db_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  // The lock comes first: a refused second instance must not touch the
  // database at all (no WAL recovery, no migration under the first one's feet).
  MIROIR_ASSIGN_OR_RETURN(LockFile lock, LockFile::Acquire(path));
  int busy_ms = static_cast<int>(
      std::min<int64_t>(options.busy_timeout.count(), std::numeric_limits<int>::max()));
  MIROIR_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path, busy_ms));
  auto impl = std::make_unique<Impl>(std::move(lock), std::move(db));
  MIROIR_RETURN_IF_ERROR(impl->Configure(options));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::SchemaVersion() { return kSchemaVersion; }

// Every call holds the mutex for its whole duration: the connection and its
// cached statements are not safe for concurrent use.
#define MIROIR_SQLITE_CALL(call)               \
  std::lock_guard<std::mutex> lock(impl_->mu); \
  return impl_->call

Result<uint64_t> SqliteStore::NextTaskUid() { MIROIR_SQLITE_CALL(NextTaskUid()); }
Result<void> SqliteStore::PutTask(const TaskRecord& task) { MIROIR_SQLITE_CALL(PutTask(task)); }
Result<std::optional<TaskRecord>> SqliteStore::GetTask(uint64_t uid) {
  MIROIR_SQLITE_CALL(GetTask(uid));
}
Result<TaskPage> SqliteStore::ListTasks(const TaskQuery& query) {
  MIROIR_SQLITE_CALL(ListTasks(query));
}
Result<std::vector<TaskRecord>> SqliteStore::UnfinishedTasks(size_t limit) {
  MIROIR_SQLITE_CALL(UnfinishedTasks(limit));
}
Result<std::map<TaskStatus, uint64_t>> SqliteStore::CountTasks() {
  MIROIR_SQLITE_CALL(CountTasks());
}
Result<size_t> SqliteStore::DeleteTasks(const std::vector<uint64_t>& uids) {
  MIROIR_SQLITE_CALL(DeleteTasks(uids));
}
Result<size_t> SqliteStore::PruneTasks(uint64_t uid_begin, uint64_t uid_end,
                                       SystemTime finished_before, size_t limit) {
  MIROIR_SQLITE_CALL(PruneTasks(uid_begin, uid_end, finished_before, limit));
}
Result<std::optional<IndexRecord>> SqliteStore::GetIndex(const std::string& uid) {
  MIROIR_SQLITE_CALL(GetIndex(uid));
}
Result<std::vector<IndexRecord>> SqliteStore::ListIndexes() { MIROIR_SQLITE_CALL(ListIndexes()); }
Result<void> SqliteStore::PutIndex(const IndexRecord& index) {
  MIROIR_SQLITE_CALL(PutIndex(index));
}
Result<bool> SqliteStore::CreateIndex(const IndexRecord& index) {
  MIROIR_SQLITE_CALL(CreateIndex(index));
}
Result<void> SqliteStore::DeleteIndex(const std::string& uid) {
  MIROIR_SQLITE_CALL(DeleteIndex(uid));
}
Result<std::vector<ApiKey>> SqliteStore::ListKeys() { MIROIR_SQLITE_CALL(ListKeys()); }
Result<void> SqliteStore::PutKey(const ApiKey& key) { MIROIR_SQLITE_CALL(PutKey(key)); }
Result<bool> SqliteStore::DeleteKey(const std::string& uid) { MIROIR_SQLITE_CALL(DeleteKey(uid)); }
Result<std::optional<TopologyRecord>> SqliteStore::LoadTopology() {
  MIROIR_SQLITE_CALL(LoadTopology());
}
Result<bool> SqliteStore::CompareAndSetTopology(uint64_t expected_epoch,
                                                const TopologyRecord& record) {
  MIROIR_SQLITE_CALL(CompareAndSetTopology(expected_epoch, record));
}

Result<std::optional<Lease>> SqliteStore::AcquireLease(const std::string& scope,
                                                       const std::string& holder,
                                                       std::chrono::milliseconds ttl) {
  if (scope.empty() || holder.empty() || ttl.count() < 1) {
    return Error(ErrorCode::kInternal, "AcquireLease needs a scope, a holder and a TTL >= 1 ms");
  }
  MIROIR_SQLITE_CALL(AcquireLease(scope, holder, ttl));
}
Result<bool> SqliteStore::RenewLease(const Lease& lease, std::chrono::milliseconds ttl) {
  MIROIR_SQLITE_CALL(RenewLease(lease, ttl));
}
Result<void> SqliteStore::ReleaseLease(const Lease& lease) {
  MIROIR_SQLITE_CALL(ReleaseLease(lease));
}
Result<std::optional<Lease>> SqliteStore::CurrentLease(const std::string& scope) {
  MIROIR_SQLITE_CALL(CurrentLease(scope));
}
Result<bool> SqliteStore::FencedPut(const std::string& scope, uint64_t token,
                                    const std::string& key, const std::string& value) {
  MIROIR_SQLITE_CALL(FencedWrite(scope, token, key, &value));
}
Result<bool> SqliteStore::FencedDelete(const std::string& scope, uint64_t token,
                                       const std::string& key) {
  MIROIR_SQLITE_CALL(FencedWrite(scope, token, key, nullptr));
}
Result<std::optional<std::string>> SqliteStore::FencedGet(const std::string& scope,
                                                          const std::string& key) {
  MIROIR_SQLITE_CALL(FencedGet(scope, key));
}

// Membership of the one instance an embedded store serves: kept in memory.
Result<void> SqliteStore::Heartbeat(const InstanceInfo& self, std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(members_mu_);
  members_[self.id] = {self, std::chrono::steady_clock::now() + ttl};
  return {};
}
Result<void> SqliteStore::Leave(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(members_mu_);
  members_.erase(instance_id);
  return {};
}
Result<std::vector<InstanceInfo>> SqliteStore::LiveInstances() {
  std::lock_guard<std::mutex> lock(members_mu_);
  std::vector<InstanceInfo> out;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [id, member] : members_) {
    if (member.second > now) out.push_back(member.first);
  }
  return out;
}
// One instance: nobody else changes the state it mirrors.
Result<uint64_t> SqliteStore::StateGeneration() { return uint64_t{0}; }
Result<uint64_t> SqliteStore::WaitForStateChange(uint64_t seen, std::chrono::milliseconds timeout) {
  std::this_thread::sleep_for(timeout);
  return seen;
}

Result<void> SqliteStore::PutTombstones(const std::string& index_uid, uint32_t shard,
                                        const std::vector<std::string>& pks,
                                        int64_t deleted_at_ms) {
  MIROIR_SQLITE_CALL(PutTombstones(index_uid, shard, pks, deleted_at_ms));
}
Result<std::map<std::string, int64_t>> SqliteStore::FindTombstones(
    const std::string& index_uid, uint32_t shard, const std::vector<std::string>& pks) {
  MIROIR_SQLITE_CALL(FindTombstones(index_uid, shard, pks));
}
Result<void> SqliteStore::PutFilterTombstone(const std::string& index_uid,
                                             const FilterTombstone& tombstone) {
  MIROIR_SQLITE_CALL(PutFilterTombstone(index_uid, tombstone));
}
Result<std::vector<FilterTombstone>> SqliteStore::ListFilterTombstones(
    const std::string& index_uid) {
  MIROIR_SQLITE_CALL(ListFilterTombstones(index_uid));
}
Result<size_t> SqliteStore::PruneTombstones(int64_t before_ms) {
  MIROIR_SQLITE_CALL(PruneTombstones(before_ms));
}
Result<bool> SqliteStore::AppendHint(const Hint& hint, uint64_t max_bytes) {
  MIROIR_SQLITE_CALL(AppendHint(hint, max_bytes));
}
Result<std::vector<Hint>> SqliteStore::PeekHints(const std::string& node_id, size_t limit) {
  MIROIR_SQLITE_CALL(PeekHints(node_id, limit));
}
Result<void> SqliteStore::DropHints(const std::string& node_id, uint64_t through_seq) {
  MIROIR_SQLITE_CALL(DropHints(node_id, through_seq));
}
Result<std::map<std::string, HintBacklog>> SqliteStore::HintBacklogs() {
  MIROIR_SQLITE_CALL(HintBacklogs());
}
Result<std::set<std::string>> SqliteStore::NodesWithHints() {
  MIROIR_SQLITE_CALL(NodesWithHints());
}
Result<std::map<std::string, uint64_t>> SqliteStore::ExpireHints(int64_t before_ms) {
  MIROIR_SQLITE_CALL(ExpireHints(before_ms));
}

#undef MIROIR_SQLITE_CALL

}  // namespace miroir::store
