// The behaviour every Store back end shares, as a typed test suite: the
// same checks run against SqliteStore (sqlite_store_test.cpp) and RedisStore
// (redis_store_test.cpp).
//
// A back end instantiates it with an environment type Env that has
//   std::unique_ptr<Store> Open();   // a store on this test's data; every
//                                    // call opens a new object on the same data
// constructed once per test.
#pragma once

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "miroir/store/store.hpp"

namespace miroir::store::testing {

using nlohmann::json;
using nlohmann::ordered_json;

inline SystemTime Micros(int64_t us) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(us)));
}

// A task record with the fields the listing tests filter on.
inline TaskRecord MakeTask(uint64_t uid, std::string index, std::string type, TaskStatus status,
                           int64_t enqueued_us) {
  TaskRecord t;
  t.uid = uid;
  t.index_uid = std::move(index);
  t.type = std::move(type);
  t.status = status;
  t.enqueued_at = Micros(enqueued_us);
  return t;
}

// The value of a successful Result; a test failure (and T{}) otherwise.
template <class T>
T Value(Result<T> r) {
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : T{};
}

template <class Env>
class StoreBehaviourTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = env_.Open();
    ASSERT_NE(store_, nullptr);
  }

  // A new store object on the same data (SQLite: the same file; Redis: the
  // same server and key prefix).
  void Reopen() {
    store_.reset();
    store_ = env_.Open();
    ASSERT_NE(store_, nullptr);
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
      TaskRecord t = MakeTask(i, i % 2 == 0 ? "movies" : "books", kTypes[i % 3], kStatuses[i % 5],
                          static_cast<int64_t>(1000 * i));
      if (t.status != TaskStatus::kEnqueued) t.started_at = Micros(1000 * i + 100);
      if (IsTerminal(t.status)) t.finished_at = Micros(1000 * i + 200);
      if (t.status == TaskStatus::kCanceled) t.canceled_by = 100 + i;
      Put(t);
    }
  }

  Env env_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreBehaviourTest);

TYPED_TEST_P(StoreBehaviourTest, TaskUidsStartAtZeroAndIncrease) {
  for (uint64_t want = 0; want < 5; ++want) {
    auto uid = this->store_->NextTaskUid();
    ASSERT_TRUE(uid) << uid.error().message;
    EXPECT_EQ(*uid, want);
  }
}

TYPED_TEST_P(StoreBehaviourTest, TaskUidCounterSurvivesReopenAndTaskDeletion) {
  for (int i = 0; i < 3; ++i) {
    auto uid = this->store_->NextTaskUid();
    ASSERT_TRUE(uid);
    this->Put(MakeTask(*uid, "movies", "indexCreation", TaskStatus::kSucceeded, 1));
  }
  ASSERT_EQ(*this->store_->DeleteTasks({0, 1, 2}), 3u);
  this->Reopen();
  EXPECT_EQ(*this->store_->NextTaskUid(), 3u);
  this->Reopen();
  EXPECT_EQ(*this->store_->NextTaskUid(), 4u);
}

TYPED_TEST_P(StoreBehaviourTest, ConcurrentCallersNeverShareATaskUid) {
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([this, &out] {
      for (int i = 0; i < 50; ++i) {
        auto uid = this->store_->NextTaskUid();
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

TYPED_TEST_P(StoreBehaviourTest, PutThenGetRoundTripsEveryField) {
  TaskRecord t =
      MakeTask(7, "movies", "documentAdditionOrUpdate", TaskStatus::kFailed, 1'700'000'000'123'456);
  // Keys deliberately out of alphabetical order: clients see them as written.
  t.details = ordered_json::parse(R"({"receivedDocuments":3,"indexedDocuments":0,"a":[1,"x"]})");
  t.error = ordered_json::parse(
      R"({"message":"boom","code":"internal","type":"internal","link":"https://x"})");
  t.canceled_by = 12;
  t.started_at = Micros(1'700'000'000'223'456);
  t.finished_at = Micros(1'700'000'000'323'456);
  t.node_tasks = {{"node-1", 41}, {"node-2", 0}, {"node-3", UINT64_MAX}};
  this->Put(t);

  auto got = this->store_->GetTask(7);
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

TYPED_TEST_P(StoreBehaviourTest, MinimalTaskRoundTripsWithoutOptionalFields) {
  TaskRecord t;
  t.uid = 0;
  t.type = "dumpCreation";
  t.enqueued_at = Micros(5);
  this->Put(t);
  auto got = this->store_->GetTask(0);
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

TYPED_TEST_P(StoreBehaviourTest, TimesAreKeptToTheMicrosecond) {
  TaskRecord t = MakeTask(1, "movies", "indexCreation", TaskStatus::kEnqueued, 0);
  t.enqueued_at = Micros(123'456'789) + std::chrono::nanoseconds(999);
  this->Put(t);
  EXPECT_EQ((*this->store_->GetTask(1))->enqueued_at, Micros(123'456'789));
}

TYPED_TEST_P(StoreBehaviourTest, PutReplacesTheRecordWithTheSameUid) {
  TaskRecord t = MakeTask(3, "movies", "indexCreation", TaskStatus::kEnqueued, 10);
  t.node_tasks = {{"a", 1}};
  this->Put(t);
  t.status = TaskStatus::kSucceeded;
  t.started_at = Micros(11);
  t.finished_at = Micros(12);
  t.details = ordered_json{{"primaryKey", "id"}};
  t.node_tasks = {{"a", 1}, {"b", 2}};
  this->Put(t);
  auto r = **this->store_->GetTask(3);
  EXPECT_EQ(r.status, TaskStatus::kSucceeded);
  EXPECT_EQ(r.finished_at, Micros(12));
  EXPECT_EQ(r.details["primaryKey"], "id");
  EXPECT_EQ(r.node_tasks.size(), 2u);
  EXPECT_EQ(this->store_->ListTasks({})->total, 1u);
}

TYPED_TEST_P(StoreBehaviourTest, GetOfAnUnknownTaskIsEmpty) {
  auto r = this->store_->GetTask(42);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  auto huge = this->store_->GetTask(UINT64_MAX);
  ASSERT_TRUE(huge);
  EXPECT_FALSE(huge->has_value());
}

TYPED_TEST_P(StoreBehaviourTest, InvalidUtf8InDetailsIsStoredNotRefused) {
  TaskRecord t = MakeTask(1, "movies", "documentAdditionOrUpdate", TaskStatus::kFailed, 1);
  t.error = ordered_json{{"message", std::string("bad \xff byte")}};
  this->Put(t);
  auto r = this->store_->GetTask(1);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_TRUE((**r).error->contains("message"));
}

TYPED_TEST_P(StoreBehaviourTest, ListsNewestFirstByDefaultAndOldestFirstInReverse) {
  this->PutTen();
  TaskQuery q;
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  q.reverse = true;
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TYPED_TEST_P(StoreBehaviourTest, FiltersByUids) {
  this->PutTen();
  TaskQuery q;
  q.uids = std::set<uint64_t>{2, 5, 77, UINT64_MAX};
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{5, 2}));
}

TYPED_TEST_P(StoreBehaviourTest, FiltersByIndexUids) {
  this->PutTen();
  TaskRecord no_index;
  no_index.uid = 10;
  no_index.type = "dumpCreation";
  no_index.enqueued_at = Micros(10'000);
  this->Put(no_index);
  TaskQuery q;
  q.index_uids = std::set<std::string>{"books"};
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{9, 7, 5, 3, 1}));
  q.index_uids = std::set<std::string>{"books", "movies"};
  EXPECT_EQ(this->Uids(q).size(), 10u);  // the task without an index matches neither
  q.index_uids = std::set<std::string>{"nope"};
  EXPECT_TRUE(this->Uids(q).empty());
}

TYPED_TEST_P(StoreBehaviourTest, FiltersByTypes) {
  this->PutTen();
  TaskQuery q;
  q.types = std::set<std::string>{"settingsUpdate"};
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{7, 4, 1}));
}

TYPED_TEST_P(StoreBehaviourTest, FiltersByStatuses) {
  this->PutTen();
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{TaskStatus::kEnqueued, TaskStatus::kProcessing};
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{9, 8, 4, 3}));
}

TYPED_TEST_P(StoreBehaviourTest, FiltersByCanceledBy) {
  this->PutTen();
  TaskQuery q;
  q.canceled_by = std::set<uint64_t>{102, 107, 5};
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{7, 2}));
}

TYPED_TEST_P(StoreBehaviourTest, EnqueuedDateBoundsAreExclusive) {
  this->PutTen();
  TaskQuery q;
  q.after_enqueued_at = Micros(3000);
  q.before_enqueued_at = Micros(6000);
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{5, 4}));
  // A bound between two microseconds still splits the stored times correctly.
  q.after_enqueued_at = Micros(2999) + std::chrono::nanoseconds(500);
  q.before_enqueued_at = Micros(6000) + std::chrono::nanoseconds(500);
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{6, 5, 4, 3}));
}

TYPED_TEST_P(StoreBehaviourTest, StartedAndFinishedBoundsSkipTasksWithoutThoseDates) {
  this->PutTen();
  TaskQuery q;
  q.after_started_at = Micros(0);
  // 4 and 9 are enqueued: never started.
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{8, 7, 6, 5, 3, 2, 1, 0}));
  q = {};
  q.before_finished_at = Micros(5000);
  // Finished: 0, 1, 2 (terminal) and 5, 6, 7 — only those before 5000 µs.
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{2, 1, 0}));
  q = {};
  q.after_finished_at = Micros(2200);  // exclusive: 2 finished at exactly 2200
  q.before_started_at = Micros(7101);
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{7, 6, 5}));
}

TYPED_TEST_P(StoreBehaviourTest, CombinedFiltersAreAnded) {
  this->PutTen();
  TaskQuery q;
  q.index_uids = std::set<std::string>{"movies"};
  q.statuses = std::set<TaskStatus>{TaskStatus::kSucceeded, TaskStatus::kCanceled,
                                    TaskStatus::kEnqueued};
  q.types = std::set<std::string>{"documentAdditionOrUpdate", "indexCreation"};
  // movies: 0 2 4 6 8; those statuses: 0 2 4; types of 0 2 4: doc, index, settings.
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{2, 0}));
  q.after_enqueued_at = Micros(0);
  EXPECT_EQ(this->Uids(q), (std::vector<uint64_t>{2}));
}

TYPED_TEST_P(StoreBehaviourTest, EmptyFilterSetsMatchNothing) {
  this->PutTen();
  TaskQuery q;
  q.statuses = std::set<TaskStatus>{};
  TaskPage page;
  EXPECT_TRUE(this->Uids(q, &page).empty());
  EXPECT_EQ(page.total, 0u);
}

TYPED_TEST_P(StoreBehaviourTest, PagesNewestFirstWithFromNextAndTotal) {
  this->PutTen();
  TaskQuery q;
  q.limit = 4;
  TaskPage page;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{9, 8, 7, 6}));
  EXPECT_EQ(page.total, 10u);
  ASSERT_EQ(page.next, 5u);
  q.from = page.next;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{5, 4, 3, 2}));
  EXPECT_EQ(page.total, 10u);  // from does not narrow the total
  ASSERT_EQ(page.next, 1u);
  q.from = page.next;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{1, 0}));
  EXPECT_FALSE(page.next);
}

TYPED_TEST_P(StoreBehaviourTest, PagesOldestFirstInReverse) {
  this->PutTen();
  TaskQuery q;
  q.reverse = true;
  q.limit = 3;
  q.from = 4;
  TaskPage page;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(page.total, 10u);
  ASSERT_EQ(page.next, 7u);
  q.from = page.next;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_FALSE(page.next);  // exactly full: nothing after
}

TYPED_TEST_P(StoreBehaviourTest, PagingAppliesToFilteredTasks) {
  this->PutTen();
  TaskQuery q;
  q.index_uids = std::set<std::string>{"movies"};  // 8 6 4 2 0
  q.limit = 2;
  q.from = 7;
  TaskPage page;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{6, 4}));
  EXPECT_EQ(page.total, 5u);
  EXPECT_EQ(page.next, 2u);
}

TYPED_TEST_P(StoreBehaviourTest, FromBeyondEveryUid) {
  this->PutTen();
  TaskQuery q;
  q.from = UINT64_MAX;
  q.limit = 1;
  TaskPage page;
  EXPECT_EQ(this->Uids(q, &page), (std::vector<uint64_t>{9}));
  q.reverse = true;
  EXPECT_TRUE(this->Uids(q, &page).empty());
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.next);
}

TYPED_TEST_P(StoreBehaviourTest, LimitZeroReturnsNoTasksButTheNextUid) {
  this->PutTen();
  TaskQuery q;
  q.limit = 0;
  TaskPage page;
  EXPECT_TRUE(this->Uids(q, &page).empty());
  EXPECT_EQ(page.total, 10u);
  EXPECT_EQ(page.next, 9u);
}

TYPED_TEST_P(StoreBehaviourTest, UnfinishedTasksAreOldestFirstAndLimited) {
  this->PutTen();  // unfinished: 3, 4, 8, 9
  auto all = this->store_->UnfinishedTasks(100);
  ASSERT_TRUE(all);
  std::vector<uint64_t> uids;
  for (const auto& t : *all) uids.push_back(t.uid);
  EXPECT_EQ(uids, (std::vector<uint64_t>{3, 4, 8, 9}));
  auto two = this->store_->UnfinishedTasks(2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].uid, 4u);
}

TYPED_TEST_P(StoreBehaviourTest, CountTasksCountsEveryStatusAndFollowsChanges) {
  auto empty = this->store_->CountTasks();
  ASSERT_TRUE(empty);
  ASSERT_EQ(empty->size(), 5u);
  for (const auto& [status, n] : *empty) EXPECT_EQ(n, 0u) << TaskStatusName(status);
  this->PutTen();  // two of each status
  auto ten = this->store_->CountTasks();
  ASSERT_TRUE(ten);
  for (const auto& [status, n] : *ten) EXPECT_EQ(n, 2u) << TaskStatusName(status);
  // A status change moves the task between counts; a deletion removes it.
  auto task = this->store_->GetTask(4);  // enqueued
  ASSERT_TRUE(task && *task);
  (*task)->status = TaskStatus::kSucceeded;
  this->Put(**task);
  ASSERT_TRUE(this->store_->DeleteTasks({0}));  // succeeded
  auto after = this->store_->CountTasks();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->at(TaskStatus::kEnqueued), 1u);
  EXPECT_EQ(after->at(TaskStatus::kSucceeded), 2u);
  EXPECT_EQ(after->at(TaskStatus::kFailed), 2u);
}

TYPED_TEST_P(StoreBehaviourTest, DeleteTasksCountsOnlyExistingOnes) {
  this->PutTen();
  auto n = this->store_->DeleteTasks({1, 3, 3, 50, UINT64_MAX});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(this->store_->GetTask(1)->has_value());
  EXPECT_EQ(this->store_->ListTasks({})->total, 8u);
  EXPECT_EQ(*this->store_->DeleteTasks({}), 0u);
}

TYPED_TEST_P(StoreBehaviourTest, PruneDeletesOnlyFinishedTasksOfTheRangeBeforeTheCutoff) {
  this->PutTen();  // terminal tasks finish at 1000 * uid + 200 µs; 3, 4, 8, 9 are unfinished
  // Range [2, 9), finished before uid 7's finish time: 2, 5, 6 go (3, 4 are
  // unfinished, 7 finished at the cutoff, which is not before it).
  auto n = this->store_->PruneTasks(2, 9, Micros(7200), 100);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 3u);
  std::vector<uint64_t> left;
  TaskQuery all;
  all.reverse = true;
  auto page = this->store_->ListTasks(all);
  ASSERT_TRUE(page);
  for (const auto& t : page->tasks) left.push_back(t.uid);
  EXPECT_EQ(left, (std::vector<uint64_t>{0, 1, 3, 4, 7, 8, 9}));
  // The limit caps one call, lowest uids first.
  auto one = this->store_->PruneTasks(0, 100, Micros(100'000), 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1u);
  EXPECT_FALSE(this->store_->GetTask(0)->has_value());
  EXPECT_TRUE(this->store_->GetTask(1)->has_value());
  // Deleted records leave the filtered listings too.
  TaskQuery by_index;
  by_index.index_uids = std::set<std::string>{"movies"};
  EXPECT_EQ(this->store_->ListTasks(by_index)->total, 2u);  // 4 and 8, both unfinished
  EXPECT_EQ(*this->store_->PruneTasks(5, 5, Micros(100'000), 10), 0u);  // empty range
}

TYPED_TEST_P(StoreBehaviourTest, CreateIndexKeepsTheFirstRecord) {
  IndexRecord first{"movies", 64, "id", Micros(1), Micros(1)};
  IndexRecord second{"movies", 8, "isbn", Micros(2), Micros(2)};
  auto created = this->store_->CreateIndex(first);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(*created);
  auto again = this->store_->CreateIndex(second);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto got = this->store_->GetIndex("movies");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->shard_count, 64u);
  EXPECT_EQ((*got)->primary_key, "id");
  ASSERT_TRUE(this->store_->DeleteIndex("movies"));
  EXPECT_TRUE(*this->store_->CreateIndex(second));  // free again once deleted
  EXPECT_EQ((*this->store_->GetIndex("movies"))->shard_count, 8u);
}

TYPED_TEST_P(StoreBehaviourTest, IndexCatalogCrud) {
  EXPECT_TRUE(this->store_->ListIndexes()->empty());
  IndexRecord movies{"movies", 64, "id", Micros(1), Micros(2)};
  IndexRecord books{"books", 8, std::nullopt, Micros(3), Micros(3)};
  ASSERT_TRUE(this->store_->PutIndex(movies));
  ASSERT_TRUE(this->store_->PutIndex(books));

  auto got = this->store_->GetIndex("movies");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->shard_count, 64u);
  EXPECT_EQ((*got)->primary_key, "id");
  EXPECT_EQ((*got)->created_at, Micros(1));
  EXPECT_EQ((*got)->updated_at, Micros(2));

  auto list = this->store_->ListIndexes();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].uid, "books");  // by uid
  EXPECT_FALSE((*list)[0].primary_key);

  books.primary_key = "isbn";
  books.updated_at = Micros(9);
  ASSERT_TRUE(this->store_->PutIndex(books));
  EXPECT_EQ((*this->store_->GetIndex("books"))->primary_key, "isbn");

  ASSERT_TRUE(this->store_->DeleteIndex("movies"));
  EXPECT_FALSE(this->store_->GetIndex("movies")->has_value());
  EXPECT_TRUE(this->store_->DeleteIndex("movies"));  // deleting nothing is fine
  EXPECT_EQ(this->store_->ListIndexes()->size(), 1u);
}

TYPED_TEST_P(StoreBehaviourTest, ApiKeysCrudRoundTripsEveryField) {
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
  ASSERT_TRUE(this->store_->PutKey(k));
  ASSERT_TRUE(this->store_->PutKey(older));

  auto keys = this->store_->ListKeys();
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
  ASSERT_TRUE(this->store_->PutKey(k));
  keys = this->store_->ListKeys();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].name, "Renamed");

  EXPECT_TRUE(Value(this->store_->DeleteKey(k.uid)));
  EXPECT_FALSE(Value(this->store_->DeleteKey(k.uid)));
  EXPECT_EQ(this->store_->ListKeys()->size(), 1u);
}

TYPED_TEST_P(StoreBehaviourTest, TopologyCompareAndSetFollowsTheEpoch) {
  auto none = this->store_->LoadTopology();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  TopologyRecord first{1, json{{"nodes", json::array({"a", "b"})}}};
  EXPECT_FALSE(Value(this->store_->CompareAndSetTopology(1, TopologyRecord{2, json::object()})))
      << "nothing stored yet, so only expected epoch 0 may write";
  EXPECT_TRUE(Value(this->store_->CompareAndSetTopology(0, first)));
  EXPECT_FALSE(Value(this->store_->CompareAndSetTopology(0, TopologyRecord{1, json{{"x", 1}}})))
      << "a second first writer loses";

  TopologyRecord second{2, json{{"nodes", json::array({"a", "b", "c"})}}};
  EXPECT_TRUE(Value(this->store_->CompareAndSetTopology(1, second)));
  EXPECT_FALSE(Value(this->store_->CompareAndSetTopology(1, TopologyRecord{2, json::object()})))
      << "stale expected epoch";

  auto loaded = this->store_->LoadTopology();
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->epoch, 2u);
  EXPECT_EQ((*loaded)->spec, second.spec);
}

TYPED_TEST_P(StoreBehaviourTest, TopologyEpochMustGrow) {
  ASSERT_TRUE(Value(this->store_->CompareAndSetTopology(0, TopologyRecord{3, json::object()})));
  auto r = this->store_->CompareAndSetTopology(3, TopologyRecord{3, json::object()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ((*this->store_->LoadTopology())->epoch, 3u);
}

TYPED_TEST_P(StoreBehaviourTest, EverythingSurvivesReopen) {
  this->PutTen();
  ASSERT_TRUE(this->store_->PutIndex({"movies", 16, "id", Micros(1), Micros(1)}));
  ApiKey k;
  k.uid = "u";
  k.key = "k";
  ASSERT_TRUE(this->store_->PutKey(k));
  ASSERT_TRUE(Value(this->store_->CompareAndSetTopology(0, {5, json{{"v", 5}}})));
  this->Reopen();
  EXPECT_EQ(this->store_->ListTasks({})->total, 10u);
  EXPECT_EQ((**this->store_->GetTask(2)).canceled_by, 102u);
  EXPECT_EQ((*this->store_->GetIndex("movies"))->shard_count, 16u);
  EXPECT_EQ(this->store_->ListKeys()->size(), 1u);
  EXPECT_EQ((*this->store_->LoadTopology())->epoch, 5u);
}

REGISTER_TYPED_TEST_SUITE_P(StoreBehaviourTest,
                            TaskUidsStartAtZeroAndIncrease,
                            TaskUidCounterSurvivesReopenAndTaskDeletion,
                            ConcurrentCallersNeverShareATaskUid,
                            PutThenGetRoundTripsEveryField,
                            MinimalTaskRoundTripsWithoutOptionalFields,
                            TimesAreKeptToTheMicrosecond,
                            PutReplacesTheRecordWithTheSameUid,
                            GetOfAnUnknownTaskIsEmpty,
                            InvalidUtf8InDetailsIsStoredNotRefused,
                            ListsNewestFirstByDefaultAndOldestFirstInReverse,
                            FiltersByUids,
                            FiltersByIndexUids,
                            FiltersByTypes,
                            FiltersByStatuses,
                            FiltersByCanceledBy,
                            EnqueuedDateBoundsAreExclusive,
                            StartedAndFinishedBoundsSkipTasksWithoutThoseDates,
                            CombinedFiltersAreAnded,
                            EmptyFilterSetsMatchNothing,
                            PagesNewestFirstWithFromNextAndTotal,
                            PagesOldestFirstInReverse,
                            PagingAppliesToFilteredTasks,
                            FromBeyondEveryUid,
                            LimitZeroReturnsNoTasksButTheNextUid,
                            UnfinishedTasksAreOldestFirstAndLimited,
                            CountTasksCountsEveryStatusAndFollowsChanges,
                            DeleteTasksCountsOnlyExistingOnes,
                            PruneDeletesOnlyFinishedTasksOfTheRangeBeforeTheCutoff,
                            CreateIndexKeepsTheFirstRecord,
                            IndexCatalogCrud,
                            ApiKeysCrudRoundTripsEveryField,
                            TopologyCompareAndSetFollowsTheEpoch,
                            TopologyEpochMustGrow,
                            EverythingSurvivesReopen);

}  // namespace miroir::store::testing
