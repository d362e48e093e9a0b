#include "sqlite_db.hpp"

#include <sqlite3.h>

#include <climits>

namespace miroir::store::sqlite {
namespace {

// Failures an operator can fix or that go away (disk full, lock held by a
// shell, I/O error, permissions) are 503 store_unavailable, so clients retry;
// everything else (corruption, constraint violations, misuse) means a bug or
// a damaged file and is internal.
ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return ErrorCode::kMiroirStoreUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

// SQL text for an error message: statements can be long (migrations).
std::string Shorten(std::string_view sql) {
  while (!sql.empty() && (sql.front() == '\n' || sql.front() == ' ')) sql.remove_prefix(1);
  if (sql.size() <= 80) return std::string(sql);
  return std::string(sql.substr(0, 77)) + "...";
}

}  // namespace

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies, so callers may bind temporaries.
  int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view value) {
  // A zero-length blob needs a non-null pointer, or SQLite binds NULL.
  static constexpr char kEmpty = 0;
  int rc = sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(), value.size(),
                               SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return db_->Fail("binding parameters", bind_rc_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Fail(Shorten(sqlite3_sql(stmt_)), rc);
}

Result<void> Statement::Run() {
  for (;;) {
    MIROIR_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return {};
  }
}

void Statement::Reset() {
  // Errors of the last step were reported by Step already.
  sqlite3_reset(stmt_);
  bind_rc_ = SQLITE_OK;
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<int64_t> Statement::OptionalInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  // Byte count after the text call, as SQLite documents.
  int n = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

std::optional<std::string> Statement::OptionalText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  int n = sqlite3_column_bytes(stmt_, col);
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* handle = nullptr;
  // NOMUTEX: SqliteStore serializes access itself; SQLite's own mutex would
  // only add a second lock to every call.
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return Error(CodeFor(rc), "coordination store '" + path + "': cannot open: " + msg);
  }
  std::unique_ptr<Db> db(new Db(handle, path));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // close_v2 so a forgotten statement cannot keep the file open for ever
  // unnoticed; with every statement finalized it closes at once.
  sqlite3_close_v2(db_);
}

Result<void> Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Error(CodeFor(rc), "coordination store '" + path_ + "': " + Shorten(sql) + ": " + msg);
  }
  return {};
}

Result<std::string> Db::QueryText(const std::string& sql) {
  MIROIR_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  MIROIR_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(sql + " returned no row");
  return stmt.Text(0);
}

Result<Statement> Db::Prepare(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return Statement(*this, it->second, false);
  bool cache = cache_.size() < kMaxCached;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail("preparing " + Shorten(sql), rc);
  if (cache) cache_.emplace(sql, stmt);
  return Statement(*this, stmt, !cache);
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

Error Db::Fail(std::string_view what, int rc) const {
  std::string msg = "coordination store '" + path_ + "': " + std::string(what) + ": " +
                    sqlite3_errmsg(db_) + " (" + sqlite3_errstr(rc) + ")";
  return Error(CodeFor(rc), std::move(msg));
}

Error Db::Internal(std::string_view what) const {
  return Error(ErrorCode::kInternal, "coordination store '" + path_ + "': " + std::string(what));
}

Result<Transaction> Transaction::Begin(Db& db) {
  MIROIR_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  // A failed ROLLBACK leaves nothing to do: SQLite rolls back on its own
  // when a statement error aborted the transaction.
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Result<void> Transaction::Commit() {
  MIROIR_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  db_ = nullptr;
  return {};
}

}  // namespace miroir::store::sqlite
