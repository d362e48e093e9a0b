#include "miroir/store/sqlite_store.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace miroir::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

SystemTime Micros(int64_t us) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(us)));
}

// The value of a successful Result; a test failure (and T{}) otherwise.
template <class T>
T Value(Result<T> r) {
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : T{};
}

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

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  std::unique_ptr<SqliteStore> Open() {
    auto store = SqliteStore::Open(db_path_);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
  }
  void Reopen() {
    store_.reset();
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  TaskRecord Task(uint64_t uid, std::string index, std::string type, TaskStatus status,
                  int64_t enqueued_us) {
    TaskRecord t;
    t.uid = uid;
    t.index_uid = std::move(index);
    t.type = std::move(type);
    t.status = status;
    t.enqueued_at = Micros(enqueued_us);
    return t;
  }

  void Put(const TaskRecord& t) {
    auto r = store_->PutTask(t);
    ASSERT_TRUE(r) << r.error().message;
  }

  std::vector<uint64_t> Uids(const TaskQuery& q, TaskPage* page_out = nullptr) {
    auto page = store_->ListTasks(q);
    EXPECT_TRUE(page) << (page ? "" : page.error().message);
    if (!page) return {};
    std::vector<uint64_t> uids;
    for (const auto& t : page->tasks) uids.push_back(t.uid);
    if (page_out) *page_out = *page;
    return uids;
  }

  // Ten tasks, uid i enqueued at 1000*i µs, spread over two indexes, three
  // types and every status; started/finished set as the status implies.
  void PutTen() {
    const TaskStatus kStatuses[] = {TaskStatus::kSucceeded, TaskStatus::kFailed,
                                    TaskStatus::kCanceled, TaskStatus::kProcessing,
                                    TaskStatus::kEnqueued};
    const char* kTypes[] = {"documentAdditionOrUpdate", "settingsUpdate", "indexCreation"};
    for (uint64_t i = 0; i < 10; ++i) {
      TaskRecord t = Task(i, i % 2 == 0 ? "movies" : "books", kTypes[i % 3], kStatuses[i % 5],
                          static_cast<int64_t>(1000 * i));
      if (t.status != TaskStatus::kEnqueued) t.started_at = Micros(1000 * i + 100);
      if (IsTerminal(t.status)) t.finished_at = Micros(1000 * i + 200);
      if (t.status == TaskStatus::kCanceled) t.canceled_by = 100 + i;
      Put(t);
    }
  }

  TempDir dir_;
  std::string db_path_ = (dir_.path() / "miroir.db").string();
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, TaskUidsStartAtZeroAndIncrease) {
  for (uint64_t want = 0; want < 5; ++want) {
    auto uid = store_->NextTaskUid();
    ASSERT_TRUE(uid) << uid.error().message;
    EXPECT_EQ(*uid, want);
  }
}

TEST_F(SqliteStoreTest, TaskUidCounterSurvivesReopenAndTaskDeletion) {
  for (int i = 0; i < 3; ++i) {
    auto uid = store_->NextTaskUid();
    ASSERT_TRUE(uid);
    Put(Task(*uid, "movies", "indexCreation", TaskStatus::kSucceeded, 1));
  }
  ASSERT_EQ(*store_->DeleteTasks({0, 1, 2}), 3u);
  Reopen();
  EXPECT_EQ(*store_->NextTaskUid(), 3u);
  Reopen();
  EXPECT_EQ(*store_->NextTaskUid(), 4u);
}

TEST_F(SqliteStoreTest, ConcurrentCallersNeverShareATaskUid) {
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([this, &out] {
      for (int i = 0; i < 50; ++i) {
        auto uid = store_->NextTaskUid();
        if (uid) out.push_back(*uid);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(*all.rbegin(), 199u);
}

TEST_F(SqliteStoreTest, PutThenGetRoundTripsEveryField) {
  TaskRecord t =
      Task(7, "movies", "documentAdditionOrUpdate", TaskStatus::kFailed, 1'700'000'000'123'456);
  // Keys deliberately out of alphabetical order: clients see them as written.
  t.details = ordered_json::parse(R"({"receivedDocuments":3,"indexedDocuments":0,"a":[1,"x"]})");
  t.error = ordered_json::parse(
      R"({"message":"boom","code":"internal","type":"internal","link":"https://x"})");
  t.canceled_by = 12;
  t.started_at = Micros(1'700'000'000'223'456);
  t.finished_at = Micros(1'700'000'000'323'456);
  t.node_tasks = {{"node-1", 41}, {"node-2", 0}, {"node-3", UINT64_MAX}};
  Put(t);

  auto got = store_->GetTask(7);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const TaskRecord& r = **got;
  EXPECT_EQ(r.uid, 7u);
  EXPECT_EQ(r.index_uid, "movies");
  EXPECT_EQ(r.type, "documentAdditionOrUpdate");
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.details.dump(), R"({"receivedDocuments":3,"indexedDocuments":0,"a":[1,"x"]})");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->dump(), t.error->dump());
  EXPECT_EQ(r.canceled_by, 12u);
  EXPECT_EQ(r.enqueued_at, t.enqueued_at);
  EXPECT_EQ(r.started_at, t.started_at);
  EXPECT_EQ(r.finished_at, t.finished_at);
  EXPECT_EQ(r.node_tasks, t.node_tasks);
}

TEST_F(SqliteStoreTest, MinimalTaskRoundTripsWithoutOptionalFields) {
  TaskRecord t;
  t.uid = 0;
  t.type = "dumpCreation";
  t.enqueued_at = Micros(5);
  Put(t);
  auto got = store_->GetTask(0);
  ASSERT_TRUE(got && got->has_value());
  const TaskRecord& r = **got;
  EXPECT_FALSE(r.index_uid);
  EXPECT_TRUE(r.details.is_null());
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.canceled_by);
  EXPECT_FALSE(r.started_at);
  EXPECT_FALSE(r.finished_at);
  EXPECT_TRUE(r.node_tasks.empty());
  EXPECT_EQ(r.status, TaskStatus::kEnqueued);
}

TEST_F(SqliteStoreTest, TimesAreKeptToTheMicrosecond) {
  TaskRecord t = Task(1, "movies", "indexCreation", TaskStatus::kEnqueued, 0);
  t.enqueued_at = Micros(123'456'789) + std::chrono::nanoseconds(999);
  Put(t);
  EXPECT_EQ((*store_->GetTask(1))->enqueued_at, Micros(123'456'789));
}

TEST_F(SqliteStoreTest, PutReplacesTheRecordWithTheSameUid) {
  TaskRecord t = Task(3, "movies", "indexCreation", TaskStatus::kEnqueued, 10);
  t.node_tasks = {{"a", 1}};
  Put(t);
  t.status = TaskStatus::kSucceeded;
  t.started_at = Micros(11);
  t.finished_at = Micros(12);
  t.details = ordered_json{{"primaryKey", "id"}};
  t.node_tasks = {{"a", 1}, {"b", 2}};
  Put(t);
  auto r = **store_->GetTask(3);
  EXPECT_EQ(r.status, TaskStatus::kSucceeded);
  EXPECT_EQ(r.finished_at, Micros(12));
  EXPECT_EQ(r.details["primaryKey"], "id");
  EXPECT_EQ(r.node_tasks.size(), 2u);
  EXPECT_EQ(store_->ListTasks({})->total, 1u);
}

TEST_F(SqliteStoreTest, GetOfAnUnknownTaskIsEmpty) {
  auto r = store_->GetTask(42);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  auto huge = store_->GetTask(UINT64_MAX);
  ASSERT_TRUE(huge);
  EXPECT_FALSE(huge->has_value());
}

TEST_F(SqliteStoreTest, InvalidUtf8InDetailsIsStoredNotRefused) {
  TaskRecord t = Task(1, "movies", "documentAdditionOrUpdate", TaskStatus::kFailed, 1);
  t.error = ordered_json{{"message", std::string("bad \xff byte")}};
  Put(t);
  auto r = store_->GetTask(1);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_TRUE((**r).error->contains("message"));
}

TEST_F(SqliteStoreTest, ListsNewestFirstByDefaultAndOldestFirstInReverse) {
  PutTen();
  TaskQuery q;
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  q.reverse = true;
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(SqliteStoreTest, FiltersByUids) {
  PutTen();
  TaskQuery q;
  q.uids = std::set<uint64_t>{2, 5, 77, UINT64_MAX};
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{5, 2}));
}

TEST_F(SqliteStoreTest, FiltersByIndexUids) {
  PutTen();
  TaskRecord no_index;
  no_index.uid = 10;
  no_index.type = "dumpCreation";
  no_index.enqueued_at = Micros(10'000);
  Put(no_index);
  TaskQuery q;
  q.index_uids = std::set<std::string>{"books"};
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{9, 7, 5, 3, 1}));
  q.index_uids = std::set<std::string>{"books", "movies"};
  EXPECT_EQ(Uids(q).size(), 10u);  // the task without an index matches neither
  q.index_uids = std::set<std::string>{"nope"};
  EXPECT_TRUE(Uids(q).empty());
}

TEST_F(SqliteStoreTest, FiltersByTypes) {
  PutTen();
  TaskQuery q;
  q.types = std::set<std::string>{"settingsUpdate"};
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{7, 4, 1}));
}

TEST_F(SqliteStoreTest, FiltersByStatuses) {
  PutTen();
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{TaskStatus::kEnqueued, TaskStatus::kProcessing};
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{9, 8, 4, 3}));
}

TEST_F(SqliteStoreTest, FiltersByCanceledBy) {
  PutTen();
  TaskQuery q;
  q.canceled_by = std::set<uint64_t>{102, 107, 5};
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{7, 2}));
}

TEST_F(SqliteStoreTest, EnqueuedDateBoundsAreExclusive) {
  PutTen();
  TaskQuery q;
  q.after_enqueued_at = Micros(3000);
  q.before_enqueued_at = Micros(6000);
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{5, 4}));
  // A bound between two microseconds still splits the stored times correctly.
  q.after_enqueued_at = Micros(2999) + std::chrono::nanoseconds(500);
  q.before_enqueued_at = Micros(6000) + std::chrono::nanoseconds(500);
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{6, 5, 4, 3}));
}

TEST_F(SqliteStoreTest, StartedAndFinishedBoundsSkipTasksWithoutThoseDates) {
  PutTen();
  TaskQuery q;
  q.after_started_at = Micros(0);
  // 4 and 9 are enqueued: never started.
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{8, 7, 6, 5, 3, 2, 1, 0}));
  q = {};
  q.before_finished_at = Micros(5000);
  // Finished: 0, 1, 2 (terminal) and 5, 6, 7 — only those before 5000 µs.
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{2, 1, 0}));
  q = {};
  q.after_finished_at = Micros(2200);  // exclusive: 2 finished at exactly 2200
  q.before_started_at = Micros(7101);
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{7, 6, 5}));
}

TEST_F(SqliteStoreTest, CombinedFiltersAreAnded) {
  PutTen();
  TaskQuery q;
  q.index_uids = std::set<std::string>{"movies"};
  q.statuses = std::set<TaskStatus>{TaskStatus::kSucceeded, TaskStatus::kCanceled,
                                    TaskStatus::kEnqueued};
  q.types = std::set<std::string>{"documentAdditionOrUpdate", "indexCreation"};
  // movies: 0 2 4 6 8; those statuses: 0 2 4; types of 0 2 4: doc, index, settings.
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{2, 0}));
  q.after_enqueued_at = Micros(0);
  EXPECT_EQ(Uids(q), (std::vector<uint64_t>{2}));
}

TEST_F(SqliteStoreTest, EmptyFilterSetsMatchNothing) {
  PutTen();
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{};
  TaskPage page;
  EXPECT_TRUE(Uids(q, &page).empty());
  EXPECT_EQ(page.total, 0u);
}

TEST_F(SqliteStoreTest, PagesNewestFirstWithFromNextAndTotal) {
  PutTen();
  TaskQuery q;
  q.limit = 4;
  TaskPage page;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{9, 8, 7, 6}));
  EXPECT_EQ(page.total, 10u);
  ASSERT_EQ(page.next, 5u);
  q.from = page.next;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{5, 4, 3, 2}));
  EXPECT_EQ(page.total, 10u);  // from does not narrow the total
  ASSERT_EQ(page.next, 1u);
  q.from = page.next;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{1, 0}));
  EXPECT_FALSE(page.next);
}

TEST_F(SqliteStoreTest, PagesOldestFirstInReverse) {
  PutTen();
  TaskQuery q;
  q.reverse = true;
  q.limit = 3;
  q.from = 4;
  TaskPage page;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(page.total, 10u);
  ASSERT_EQ(page.next, 7u);
  q.from = page.next;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_FALSE(page.next);  // exactly full: nothing after
}

TEST_F(SqliteStoreTest, PagingAppliesToFilteredTasks) {
  PutTen();
  TaskQuery q;
  q.index_uids = std::set<std::string>{"movies"};  // 8 6 4 2 0
  q.limit = 2;
  q.from = 7;
  TaskPage page;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{6, 4}));
  EXPECT_EQ(page.total, 5u);
  EXPECT_EQ(page.next, 2u);
}

TEST_F(SqliteStoreTest, FromBeyondEveryUid) {
  PutTen();
  TaskQuery q;
  q.from = UINT64_MAX;
  q.limit = 1;
  TaskPage page;
  EXPECT_EQ(Uids(q, &page), (std::vector<uint64_t>{9}));
  q.reverse = true;
  EXPECT_TRUE(Uids(q, &page).empty());
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.next);
}

TEST_F(SqliteStoreTest, LimitZeroReturnsNoTasksButTheNextUid) {
  PutTen();
  TaskQuery q;
  q.limit = 0;
  TaskPage page;
  EXPECT_TRUE(Uids(q, &page).empty());
  EXPECT_EQ(page.total, 10u);
  EXPECT_EQ(page.next, 9u);
}

TEST_F(SqliteStoreTest, UnfinishedTasksAreOldestFirstAndLimited) {
  PutTen();  // unfinished: 3, 4, 8, 9
  auto all = store_->UnfinishedTasks(100);
  ASSERT_TRUE(all);
  std::vector<uint64_t> uids;
  for (const auto& t : *all) uids.push_back(t.uid);
  EXPECT_EQ(uids, (std::vector<uint64_t>{3, 4, 8, 9}));
  auto two = store_->UnfinishedTasks(2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].uid, 4u);
}

TEST_F(SqliteStoreTest, DeleteTasksCountsOnlyExistingOnes) {
  PutTen();
  auto n = store_->DeleteTasks({1, 3, 3, 50, UINT64_MAX});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(store_->GetTask(1)->has_value());
  EXPECT_EQ(store_->ListTasks({})->total, 8u);
  EXPECT_EQ(*store_->DeleteTasks({}), 0u);
}

TEST_F(SqliteStoreTest, IndexCatalogCrud) {
  EXPECT_TRUE(store_->ListIndexes()->empty());
  IndexRecord movies{"movies", 64, "id", Micros(1), Micros(2)};
  IndexRecord books{"books", 8, std::nullopt, Micros(3), Micros(3)};
  ASSERT_TRUE(store_->PutIndex(movies));
  ASSERT_TRUE(store_->PutIndex(books));

  auto got = store_->GetIndex("movies");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->shard_count, 64u);
  EXPECT_EQ((*got)->primary_key, "id");
  EXPECT_EQ((*got)->created_at, Micros(1));
  EXPECT_EQ((*got)->updated_at, Micros(2));

  auto list = store_->ListIndexes();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].uid, "books");  // by uid
  EXPECT_FALSE((*list)[0].primary_key);

  books.primary_key = "isbn";
  books.updated_at = Micros(9);
  ASSERT_TRUE(store_->PutIndex(books));
  EXPECT_EQ((*store_->GetIndex("books"))->primary_key, "isbn");

  ASSERT_TRUE(store_->DeleteIndex("movies"));
  EXPECT_FALSE(store_->GetIndex("movies")->has_value());
  EXPECT_TRUE(store_->DeleteIndex("movies"));  // deleting nothing is fine
  EXPECT_EQ(store_->ListIndexes()->size(), 1u);
}

TEST_F(SqliteStoreTest, ApiKeysCrudRoundTripsEveryField) {
  ApiKey k;
  k.uid = "01b4bc42-eb33-4041-b481-254d00cce834";
  k.key = "d0552b41536279a0ad88bd595327b96f01176a60c2243e906c52ac02375f9bc4";
  k.name = "Search";
  k.description = "for the front end";
  k.actions = {"search", "documents.get"};
  k.indexes = {"movies", "b*"};
  k.expires_at = Micros(1'900'000'000'000'000);
  k.created_at = Micros(1'700'000'000'000'001);
  k.updated_at = Micros(1'700'000'000'000'002);
  ApiKey older;
  older.uid = "ffffffff-eb33-4041-b481-254d00cce834";
  older.key = "ab";
  older.actions = {"*"};
  older.indexes = {"*"};
  older.created_at = Micros(1'600'000'000'000'000);
  older.updated_at = older.created_at;
  ASSERT_TRUE(store_->PutKey(k));
  ASSERT_TRUE(store_->PutKey(older));

  auto keys = store_->ListKeys();
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].uid, older.uid);  // by creation time
  EXPECT_FALSE((*keys)[0].name);
  EXPECT_FALSE((*keys)[0].expires_at);
  const ApiKey& r = (*keys)[1];
  EXPECT_EQ(r.uid, k.uid);
  EXPECT_EQ(r.key, k.key);
  EXPECT_EQ(r.name, k.name);
  EXPECT_EQ(r.description, k.description);
  EXPECT_EQ(r.actions, k.actions);
  EXPECT_EQ(r.indexes, k.indexes);
  EXPECT_EQ(r.expires_at, k.expires_at);
  EXPECT_EQ(r.created_at, k.created_at);
  EXPECT_EQ(r.updated_at, k.updated_at);

  k.name = "Renamed";
  ASSERT_TRUE(store_->PutKey(k));
  keys = store_->ListKeys();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].name, "Renamed");

  EXPECT_TRUE(Value(store_->DeleteKey(k.uid)));
  EXPECT_FALSE(Value(store_->DeleteKey(k.uid)));
  EXPECT_EQ(store_->ListKeys()->size(), 1u);
}

TEST_F(SqliteStoreTest, TopologyCompareAndSetFollowsTheEpoch) {
  auto none = store_->LoadTopology();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  TopologyRecord first{1, json{{"nodes", json::array({"a", "b"})}}};
  EXPECT_FALSE(Value(store_->CompareAndSetTopology(1, TopologyRecord{2, json::object()})))
      << "nothing stored yet, so only expected epoch 0 may write";
  EXPECT_TRUE(Value(store_->CompareAndSetTopology(0, first)));
  EXPECT_FALSE(Value(store_->CompareAndSetTopology(0, TopologyRecord{1, json{{"x", 1}}})))
      << "a second first writer loses";

  TopologyRecord second{2, json{{"nodes", json::array({"a", "b", "c"})}}};
  EXPECT_TRUE(Value(store_->CompareAndSetTopology(1, second)));
  EXPECT_FALSE(Value(store_->CompareAndSetTopology(1, TopologyRecord{2, json::object()})))
      << "stale expected epoch";

  auto loaded = store_->LoadTopology();
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->epoch, 2u);
  EXPECT_EQ((*loaded)->spec, second.spec);
}

TEST_F(SqliteStoreTest, TopologyEpochMustGrow) {
  ASSERT_TRUE(Value(store_->CompareAndSetTopology(0, TopologyRecord{3, json::object()})));
  auto r = store_->CompareAndSetTopology(3, TopologyRecord{3, json::object()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ((*store_->LoadTopology())->epoch, 3u);
}

TEST_F(SqliteStoreTest, EverythingSurvivesReopen) {
  PutTen();
  ASSERT_TRUE(store_->PutIndex({"movies", 16, "id", Micros(1), Micros(1)}));
  ApiKey k;
  k.uid = "u";
  k.key = "k";
  ASSERT_TRUE(store_->PutKey(k));
  ASSERT_TRUE(Value(store_->CompareAndSetTopology(0, {5, json{{"v", 5}}})));
  Reopen();
  EXPECT_EQ(store_->ListTasks({})->total, 10u);
  EXPECT_EQ((**store_->GetTask(2)).canceled_by, 102u);
  EXPECT_EQ((*store_->GetIndex("movies"))->shard_count, 16u);
  EXPECT_EQ(store_->ListKeys()->size(), 1u);
  EXPECT_EQ((*store_->LoadTopology())->epoch, 5u);
}

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
    if (!(*store)->PutTask(Task(*uid, "movies", "indexCreation", TaskStatus::kEnqueued, 7))) {
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
}  // namespace miroir::store
