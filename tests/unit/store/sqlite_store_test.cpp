#include "miroir/store/sqlite_store.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store_behaviour.hpp"

namespace miroir::store {
namespace {

namespace fs = std::filesystem;
using testing::MakeTask;
using testing::Micros;
using testing::Value;

// A fresh directory per test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "miroir-store-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The shared behaviour suite (store_behaviour.hpp) on a file per test.
struct SqliteEnv {
  std::unique_ptr<Store> Open() {
    auto store = SqliteStore::Open(path);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
  }
  TempDir dir;
  std::string path = (dir.path() / "miroir.db").string();
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  std::unique_ptr<SqliteStore> Open() {
    auto store = SqliteStore::Open(db_path_);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
  }


  TempDir dir_;
  std::string db_path_ = (dir_.path() / "miroir.db").string();
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, SecondOpenOfTheSameFileFailsUntilTheFirstCloses) {
  auto second = SqliteStore::Open(db_path_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_NE(second.error().message.find(db_path_), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("already in use"), std::string::npos);
  EXPECT_NE(second.error().message.find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error().message;
  // The refused open left the first store working.
  EXPECT_TRUE(store_->NextTaskUid());

  store_.reset();
  auto third = SqliteStore::Open(db_path_);
  ASSERT_TRUE(third) << third.error().message;
}

TEST_F(SqliteStoreTest, AnotherProcessCannotOpenTheFile) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // In the child: exit 0 only if the open was refused as expected.
    auto other = SqliteStore::Open(db_path_);
    ::_exit(!other && other.error().message.find("already in use") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(SqliteStoreTest, AnAcknowledgedTaskSurvivesKillDashNine) {
  store_.reset();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes, acknowledges, then waits to be killed mid-life.
    ::close(pipe_fds[0]);
    auto store = SqliteStore::Open(db_path_);
    if (!store) ::_exit(1);
    auto uid = (*store)->NextTaskUid();
    if (!uid) ::_exit(2);
    if (!(*store)->PutTask(MakeTask(*uid, "movies", "indexCreation", TaskStatus::kEnqueued, 7))) {
      ::_exit(2);
    }
    char ack = 'k';
    if (::write(pipe_fds[1], &ack, 1) != 1) ::_exit(3);
    for (;;) ::pause();
  }
  ::close(pipe_fds[1]);
  char ack = 0;
  ASSERT_EQ(::read(pipe_fds[0], &ack, 1), 1) << "the child failed before acknowledging";
  ::close(pipe_fds[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  // The kernel dropped the dead process's lock; its commits are all there.
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  auto task = store_->GetTask(0);
  ASSERT_TRUE(task && task->has_value());
  EXPECT_EQ((**task).index_uid, "movies");
  EXPECT_EQ(Value(store_->NextTaskUid()), 1u);
}

TEST_F(SqliteStoreTest, UsesWalJournalAndRecordsTheSchemaVersion) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto text = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  };
  EXPECT_EQ(text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(text("SELECT version FROM schema_version"),
            std::to_string(SqliteStore::SchemaVersion()));
  sqlite3_close(raw);
}

TEST_F(SqliteStoreTest, RefusesAFileFromANewerSchema) {
  store_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE schema_version SET version = 999", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto r = SqliteStore::Open(db_path_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newer Miroir"), std::string::npos) << r.error().message;
}

TEST_F(SqliteStoreTest, MigratesAVersionTwoFileToTombstonesAndHints) {
  // A file as schema 2 left it: the same tables minus those of migration 3.
  ASSERT_TRUE(store_->PutTask(MakeTask(0, "movies", "indexCreation", TaskStatus::kSucceeded, 1)));
  store_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "DROP TABLE tombstones; DROP TABLE filter_tombstones; "
                         "DROP TABLE hints; DROP TABLE hint_queues; "
                         "UPDATE schema_version SET version = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);

  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(Value(store_->GetTask(0)).has_value());
  ASSERT_TRUE(store_->PutTombstones("movies", 0, {"a"}, 5));
  EXPECT_EQ(Value(store_->FindTombstones("movies", 0, {"a"})).at("a"), 5);
  Hint h;
  h.node_id = "n1";
  h.body = "x";
  EXPECT_TRUE(Value(store_->AppendHint(h, 10)));
  EXPECT_EQ(Value(store_->PeekHints("n1", 1)).at(0).seq, 1u);
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  store_.reset();
  std::string junk = (dir_.path() / "junk.db").string();
  FILE* f = std::fopen(junk.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not an SQLite database, not even close; it is just text.\n", f);
  std::fclose(f);
  auto r = SqliteStore::Open(junk);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(junk), std::string::npos) << r.error().message;
}

TEST(SqliteStoreOpenTest, MissingDirectoryIsAClearError) {
  auto r = SqliteStore::Open("/nonexistent-dir-for-miroir-test/miroir.db");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMiroirStoreUnavailable);
  EXPECT_NE(r.error().message.find("/nonexistent-dir-for-miroir-test/miroir.db"),
            std::string::npos);
}

TEST(SqliteStoreOpenTest, InMemoryStoreNeedsNoLockFile) {
  auto a = SqliteStore::Open(":memory:");
  auto b = SqliteStore::Open(":memory:");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*(*a)->NextTaskUid(), 0u);
  EXPECT_EQ(*(*b)->NextTaskUid(), 0u);
}

TEST(SqliteStoreOpenTest, NormalDurabilityOpensToo) {
  TempDir dir;
  SqliteStoreOptions options;
  options.durability = Durability::kNormal;
  auto s = SqliteStore::Open((dir.path() / "n.db").string(), options);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*(*s)->NextTaskUid(), 0u);
}

TEST(TaskStatusTest, NamesRoundTrip) {
  for (TaskStatus s : {TaskStatus::kEnqueued, TaskStatus::kProcessing, TaskStatus::kSucceeded,
                       TaskStatus::kFailed, TaskStatus::kCanceled}) {
    EXPECT_EQ(ParseTaskStatus(TaskStatusName(s)), s);
  }
  EXPECT_EQ(TaskStatusName(TaskStatus::kCanceled), "canceled");
  EXPECT_FALSE(ParseTaskStatus("done"));
}

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreBehaviourTest, SqliteEnv);
}  // namespace testing

}  // namespace miroir::store

namespace miroir::store {
namespace {

// The embedded store's Coordination: what the leader-only workers rely on
// when one instance runs alone.
class SqliteCoordinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("miroir-sqlite-coord-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = SqliteStore::Open((dir_ / "m.db").string());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteCoordinationTest, LeasesFenceOlderHoldersAndTokensSurviveARestart) {
  auto a = store_->AcquireLease("migration", "a", std::chrono::milliseconds(100));
  ASSERT_TRUE(a && a->has_value()) << (a ? "" : a.error().message);
  EXPECT_FALSE(store_->AcquireLease("migration", "b", std::chrono::milliseconds(100))->has_value());
  EXPECT_EQ((*store_->AcquireLease("migration", "a", std::chrono::milliseconds(100)))->token,
            (*a)->token) << "the holder re-acquires with the same token";
  EXPECT_TRUE(*store_->FencedPut("migration", (*a)->token, "state", "1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(*store_->RenewLease(**a, std::chrono::milliseconds(100))) << "expired";
  auto b = store_->AcquireLease("migration", "b", std::chrono::milliseconds(10'000));
  ASSERT_TRUE(b && b->has_value());
  EXPECT_GT((*b)->token, (*a)->token);
  EXPECT_FALSE(*store_->FencedPut("migration", (*a)->token, "state", "stale"));
  EXPECT_FALSE(*store_->FencedDelete("migration", (*a)->token, "state"));
  EXPECT_EQ(**store_->FencedGet("migration", "state"), "1");
  EXPECT_TRUE(*store_->FencedPut("migration", (*b)->token, "state", "2"));

  Reopen();  // a restart keeps the lease, its token and the state
  EXPECT_EQ((*store_->CurrentLease("migration"))->holder, "b");
  EXPECT_EQ(**store_->FencedGet("migration", "state"), "2");
  ASSERT_TRUE(store_->ReleaseLease(**b));
  EXPECT_FALSE(store_->CurrentLease("migration")->has_value());
  auto c = store_->AcquireLease("migration", "c", std::chrono::milliseconds(1000));
  EXPECT_GT((*c)->token, (*b)->token);
  EXPECT_TRUE(*store_->FencedDelete("migration", (*c)->token, "state"));
  EXPECT_FALSE(store_->FencedGet("migration", "state")->has_value());
}

TEST_F(SqliteCoordinationTest, MembershipIsTheInstanceItself) {
  InstanceInfo self;
  self.id = "solo";
  self.topology_epoch = 4;
  ASSERT_TRUE(store_->Heartbeat(self, std::chrono::milliseconds(1000)));
  auto live = store_->LiveInstances();
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].topology_epoch, 4u);
  ASSERT_TRUE(store_->Leave("solo"));
  EXPECT_TRUE(store_->LiveInstances()->empty());
}

}  // namespace
}  // namespace miroir::store
