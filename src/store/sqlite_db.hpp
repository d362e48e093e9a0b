// Thin RAII layer over the SQLite C API for SqliteStore: a connection with a
// prepared-statement cache, a statement cursor that resets itself, and a
// transaction that rolls back unless committed.
//
// Not thread-safe: SqliteStore serializes every use under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "miroir/core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace miroir::store::sqlite {

class Db;

// A cached statement in use. Binds are 1-based, columns 0-based, as in SQLite.
// The destructor resets the statement and clears its bindings, so the next
// user finds it fresh whatever happened to this one.
class Statement {
 public:
  // `owned`: finalize on destruction instead of returning to the cache.
  Statement(Db& db, sqlite3_stmt* stmt, bool owned) : db_(&db), stmt_(stmt), owned_(owned) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), owned_(other.owned_), bind_rc_(other.bind_rc_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  // Bytes as a BLOB: kept and compared byte for byte, never read as text.
  Statement& BindBlob(int index, std::string_view value);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& Bind(int index, const std::optional<std::string>& value);

  // Advances to the next row: true when there is one, false when done.
  Result<bool> Step();
  // Steps to completion, ignoring any rows.
  Result<void> Run();
  // Rewinds the statement to run it again; the bindings stay until rebound.
  // (SQLite refuses binds on a statement stepped since its last reset.)
  void Reset();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  std::optional<int64_t> OptionalInt(int col) const;
  std::string Text(int col) const;
  std::optional<std::string> OptionalText(int col) const;
  // A BLOB column's bytes (a TEXT value's bytes too); empty for NULL.
  std::string Blob(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool owned_;
  int bind_rc_ = 0;  // first failed bind, reported by the next Step
};

class Db {
 public:
  // Opens (creating if needed) the database file, read-write, with
  // extended result codes and the given busy timeout.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without parameters or results.
  Result<void> Exec(const std::string& sql);
  // Runs a statement returning one text value (e.g. a PRAGMA).
  Result<std::string> QueryText(const std::string& sql);
  // A cached prepared statement for `sql`. Statements whose text is built
  // from a query's shape are cached too; past kMaxCached, new texts are
  // prepared for one use and finalized.
  Result<Statement> Prepare(const std::string& sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;

  static constexpr size_t kMaxCached = 256;

  // An Error for SQLite result code `rc`, with the connection's message.
  Error Fail(std::string_view what, int rc) const;
  // An Error that is not SQLite's (corrupt record, misuse).
  Error Internal(std::string_view what) const;
  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

// BEGIN IMMEDIATE on construction (via Begin); ROLLBACK on destruction
// unless Commit succeeded. IMMEDIATE takes the write lock up front, so a
// read-modify-write inside cannot fail half-way with SQLITE_BUSY.
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> Commit();

 private:
  explicit Transaction(Db& db) : db_(&db) {}
  Db* db_;
};

}  // namespace miroir::store::sqlite
