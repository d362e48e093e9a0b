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
#include <limits>
#include <map>
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

// --- anti-entropy tombstones ---

TYPED_TEST_P(StoreBehaviourTest, TombstonesKeepTheNewestTimePerPk) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.PutTombstones("movies", 3, {"a", "b"}, 200));
  ASSERT_TRUE(s.PutTombstones("movies", 3, {"a", "c"}, 100));  // older: a keeps 200
  ASSERT_TRUE(s.PutTombstones("movies", 3, {"b"}, 300));       // newer: b moves on
  ASSERT_TRUE(s.PutTombstones("movies", 3, {"c"}, 100));       // same time: no change
  auto found = Value(s.FindTombstones("movies", 3, {"a", "b", "c", "missing"}));
  EXPECT_EQ(found, (std::map<std::string, int64_t>{{"a", 200}, {"b", 300}, {"c", 100}}));
}

TYPED_TEST_P(StoreBehaviourTest, FindTombstonesReturnsOnlyPksWithOneInThatIndexAndShard) {
  Store& s = *this->store_;
  EXPECT_TRUE(Value(s.FindTombstones("movies", 0, {"a", "b"})).empty());
  ASSERT_TRUE(s.PutTombstones("movies", 0, {"a", "x y", "\xc3\xa9t\xc3\xa9"}, 10));
  ASSERT_TRUE(s.PutTombstones("movies", 0, {}, 99));  // nothing to record
  EXPECT_EQ(Value(s.FindTombstones("movies", 0, {"a", "b", "x y", "\xc3\xa9t\xc3\xa9", "a"})),
            (std::map<std::string, int64_t>{{"a", 10}, {"x y", 10}, {"\xc3\xa9t\xc3\xa9", 10}}));
  EXPECT_TRUE(Value(s.FindTombstones("movies", 1, {"a"})).empty());   // another shard
  EXPECT_TRUE(Value(s.FindTombstones("movie", 0, {"a"})).empty());    // another index
  EXPECT_TRUE(Value(s.FindTombstones("movies", 0, {})).empty());
}

TYPED_TEST_P(StoreBehaviourTest, FindTombstonesOfTenThousandPks) {
  Store& s = *this->store_;
  // Tombstones for the even ids 0..19998 (one call), then a lookup of
  // 10,000 ids of which every other one has a tombstone.
  std::vector<std::string> even;
  for (int i = 0; i < 20000; i += 2) even.push_back("doc-" + std::to_string(i));
  ASSERT_TRUE(s.PutTombstones("big", 7, even, 1'700'000'000'000));
  std::vector<std::string> wanted;
  for (int i = 5000; i < 15000; ++i) wanted.push_back("doc-" + std::to_string(i));
  auto found = Value(s.FindTombstones("big", 7, wanted));
  ASSERT_EQ(found.size(), 5000u);
  for (int i = 5000; i < 15000; ++i) {
    auto it = found.find("doc-" + std::to_string(i));
    if (i % 2 == 0) {
      ASSERT_NE(it, found.end()) << i;
      EXPECT_EQ(it->second, 1'700'000'000'000);
    } else {
      EXPECT_EQ(it, found.end()) << i;
    }
  }
}

TYPED_TEST_P(StoreBehaviourTest, FilterTombstonesAreListedOldestFirstPerIndex) {
  Store& s = *this->store_;
  EXPECT_TRUE(Value(s.ListFilterTombstones("movies")).empty());
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"genre = drama\"", 300}));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"", 100}));  // every document
  ASSERT_TRUE(s.PutFilterTombstone("books", {"\"year < 1900\"", 50}));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"year < 2000\"", 300}));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"a = 1\"", 200}));
  const std::vector<FilterTombstone> movies{
      {"", 100}, {"\"a = 1\"", 200}, {"\"genre = drama\"", 300}, {"\"year < 2000\"", 300}};
  EXPECT_EQ(Value(s.ListFilterTombstones("movies")), movies);
  EXPECT_EQ(Value(s.ListFilterTombstones("books")),
            (std::vector<FilterTombstone>{{"\"year < 1900\"", 50}}));
  EXPECT_TRUE(Value(s.ListFilterTombstones("movie")).empty());

  // One tombstone per filter, the newest time winning: a repeat at the same
  // time or an older one changes nothing; a newer one moves it.
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"", 100}));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"a = 1\"", 150}));
  EXPECT_EQ(Value(s.ListFilterTombstones("movies")), movies);
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"", 400}));
  EXPECT_EQ(Value(s.ListFilterTombstones("movies")),
            (std::vector<FilterTombstone>{{"\"a = 1\"", 200},
                                          {"\"genre = drama\"", 300},
                                          {"\"year < 2000\"", 300},
                                          {"", 400}}));
}

TYPED_TEST_P(StoreBehaviourTest, PruneTombstonesDeletesBothKindsOlderThanTheCutoff) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.PutTombstones("movies", 0, {"a", "b"}, 100));
  ASSERT_TRUE(s.PutTombstones("movies", 1, {"c"}, 199));
  ASSERT_TRUE(s.PutTombstones("movies", 1, {"d"}, 200));  // at the cutoff: kept
  ASSERT_TRUE(s.PutTombstones("books", 0, {"e"}, 50));
  ASSERT_TRUE(s.PutTombstones("books", 0, {"f"}, 500));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"x = 1\"", 150}));
  ASSERT_TRUE(s.PutFilterTombstone("movies", {"\"x = 2\"", 250}));
  ASSERT_TRUE(s.PutFilterTombstone("books", {"", 10}));

  EXPECT_EQ(Value(s.PruneTombstones(200)), 6u);  // a, b, c, e and two filters
  EXPECT_TRUE(Value(s.FindTombstones("movies", 0, {"a", "b"})).empty());
  EXPECT_EQ(Value(s.FindTombstones("movies", 1, {"c", "d"})),
            (std::map<std::string, int64_t>{{"d", 200}}));
  EXPECT_EQ(Value(s.FindTombstones("books", 0, {"e", "f"})),
            (std::map<std::string, int64_t>{{"f", 500}}));
  EXPECT_EQ(Value(s.ListFilterTombstones("movies")),
            (std::vector<FilterTombstone>{{"\"x = 2\"", 250}}));
  EXPECT_TRUE(Value(s.ListFilterTombstones("books")).empty());

  EXPECT_EQ(Value(s.PruneTombstones(200)), 0u);  // nothing left that old
  // A shard emptied by a prune takes new tombstones as before.
  ASSERT_TRUE(s.PutTombstones("movies", 0, {"a"}, 600));
  EXPECT_EQ(Value(s.FindTombstones("movies", 0, {"a"})),
            (std::map<std::string, int64_t>{{"a", 600}}));
  EXPECT_EQ(Value(s.PruneTombstones(1000)), 4u);  // d, f, a, "x = 2"
  EXPECT_TRUE(Value(s.FindTombstones("movies", 1, {"d"})).empty());
}

TYPED_TEST_P(StoreBehaviourTest, TombstonesSurviveReopen) {
  ASSERT_TRUE(this->store_->PutTombstones("movies", 2, {"a"}, 42));
  ASSERT_TRUE(this->store_->PutFilterTombstone("movies", {"\"f\"", 43}));
  this->Reopen();
  EXPECT_EQ(Value(this->store_->FindTombstones("movies", 2, {"a"})),
            (std::map<std::string, int64_t>{{"a", 42}}));
  EXPECT_EQ(Value(this->store_->ListFilterTombstones("movies")),
            (std::vector<FilterTombstone>{{"\"f\"", 43}}));
}

// --- hinted handoff ---

inline Hint MakeHint(std::string node, std::string body, int64_t created_at_ms,
                     std::string target = "/indexes/movies/documents") {
  Hint h;
  h.node_id = std::move(node);
  h.method = "POST";
  h.target = std::move(target);
  h.content_type = "application/json";
  h.body = std::move(body);
  h.created_at_ms = created_at_ms;
  return h;
}

// `h` as PeekHints returns it once stored with `seq`.
inline Hint WithSeq(Hint h, uint64_t seq) {
  h.seq = seq;
  return h;
}

constexpr uint64_t kNoBound = uint64_t{1} << 40;

TYPED_TEST_P(StoreBehaviourTest, HintsArePeekedInAppendOrderWithIncreasingSeqs) {
  Store& s = *this->store_;
  EXPECT_TRUE(Value(s.PeekHints("n1", 10)).empty());
  // Created-at times out of order: the order is the append order.
  std::vector<Hint> appended{MakeHint("n1", "[1]", 300), MakeHint("n1", "[2]", 100),
                             MakeHint("n1", "[3]", 200, "/indexes/movies/settings")};
  appended[2].method = "PUT";
  for (const auto& h : appended) ASSERT_TRUE(Value(s.AppendHint(h, kNoBound)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n2", "[other]", 1), kNoBound)));

  auto peeked = Value(s.PeekHints("n1", 10));
  ASSERT_EQ(peeked.size(), 3u);
  EXPECT_GE(peeked[0].seq, 1u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(peeked[i], WithSeq(appended[i], peeked[i].seq)) << i;
    if (i > 0) {
      EXPECT_GT(peeked[i].seq, peeked[i - 1].seq);
    }
  }
  // The seq passed in is ignored.
  Hint with_seq = MakeHint("n3", "x", 1);
  with_seq.seq = 777;
  ASSERT_TRUE(Value(s.AppendHint(with_seq, kNoBound)));
  EXPECT_NE(Value(s.PeekHints("n3", 1)).at(0).seq, 777u);

  auto two = Value(s.PeekHints("n1", 2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], peeked[0]);
  EXPECT_EQ(two[1], peeked[1]);
  EXPECT_TRUE(Value(s.PeekHints("n1", 0)).empty());
  EXPECT_EQ(Value(s.PeekHints("n2", 10)).size(), 1u);
  EXPECT_TRUE(Value(s.PeekHints("n4", 10)).empty());
}

TYPED_TEST_P(StoreBehaviourTest, HintFieldsRoundTripByteForByte) {
  Store& s = *this->store_;
  Hint h = MakeHint("node-\xc3\xa9", std::string("a\0b\xff\xfe\x80\0", 7), -5,
                    "/indexes/m/documents?primaryKey=id&x=%00");
  h.method = "DELETE";
  h.content_type = "";  // no body type
  Hint empty = MakeHint("node-\xc3\xa9", "", 0);
  Hint colons = MakeHint("node-\xc3\xa9", "12:34:", 1, "/a:b");
  colons.content_type = "text/csv; charset=utf-8";
  for (const auto& x : {h, empty, colons}) ASSERT_TRUE(Value(s.AppendHint(x, kNoBound)));
  auto peeked = Value(s.PeekHints("node-\xc3\xa9", 10));
  ASSERT_EQ(peeked.size(), 3u);
  EXPECT_EQ(peeked[0], WithSeq(h, peeked[0].seq));
  EXPECT_EQ(peeked[0].body.size(), 7u);
  EXPECT_EQ(peeked[1], WithSeq(empty, peeked[1].seq));
  EXPECT_EQ(peeked[2], WithSeq(colons, peeked[2].seq));
  auto backlog = Value(s.HintBacklogs());
  EXPECT_EQ(backlog["node-\xc3\xa9"], (HintBacklog{3, 7 + 0 + 6, -5}));
}

TYPED_TEST_P(StoreBehaviourTest, AppendHintRefusesPastTheByteBoundAndStoresNothing) {
  Store& s = *this->store_;
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n1", "123456", 1), 10)));
  auto before = Value(s.PeekHints("n1", 10));
  ASSERT_EQ(before.size(), 1u);

  EXPECT_FALSE(Value(s.AppendHint(MakeHint("n1", "12345", 2), 10)));  // 11 > 10
  EXPECT_EQ(Value(s.PeekHints("n1", 10)), before);
  EXPECT_EQ(Value(s.HintBacklogs())["n1"], (HintBacklog{1, 6, 1}));

  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n1", "1234", 3), 10)));  // exactly 10
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n1", "", 4), 10)));      // adds no bytes
  EXPECT_FALSE(Value(s.AppendHint(MakeHint("n1", "1", 5), 10)));
  auto after = Value(s.PeekHints("n1", 10));
  ASSERT_EQ(after.size(), 3u);
  // The refused appends used no seq.
  EXPECT_EQ(after[1].seq, after[0].seq + 1);
  EXPECT_EQ(after[2].seq, after[1].seq + 1);
  EXPECT_EQ(Value(s.HintBacklogs())["n1"], (HintBacklog{3, 10, 1}));

  // The bound is per node; a body larger than the bound is refused even
  // into an empty queue.
  EXPECT_FALSE(Value(s.AppendHint(MakeHint("n2", std::string(11, 'x'), 1), 10)));
  EXPECT_TRUE(Value(s.PeekHints("n2", 10)).empty());
  EXPECT_EQ(Value(s.HintBacklogs()).count("n2"), 0u);
  EXPECT_EQ(Value(s.NodesWithHints()), (std::set<std::string>{"n1"}));
  EXPECT_TRUE(Value(s.AppendHint(MakeHint("n2", std::string(10, 'x'), 1), 10)));
  EXPECT_EQ(Value(s.NodesWithHints()), (std::set<std::string>{"n1", "n2"}));

  // Dropping frees room.
  ASSERT_TRUE(s.DropHints("n1", after[0].seq));  // -6 bytes
  EXPECT_TRUE(Value(s.AppendHint(MakeHint("n1", "123456", 6), 10)));
  EXPECT_EQ(Value(s.HintBacklogs())["n1"], (HintBacklog{3, 10, 3}));
}

TYPED_TEST_P(StoreBehaviourTest, DropHintsRemovesOnlyThroughTheSeq) {
  Store& s = *this->store_;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Value(s.AppendHint(MakeHint("n1", "b" + std::to_string(i), 10 + i), kNoBound)));
  }
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n2", "other", 1), kNoBound)));
  auto all = Value(s.PeekHints("n1", 10));
  ASSERT_EQ(all.size(), 4u);

  ASSERT_TRUE(s.DropHints("n1", 0));  // below every seq: nothing
  EXPECT_EQ(Value(s.PeekHints("n1", 10)).size(), 4u);
  ASSERT_TRUE(s.DropHints("n1", all[1].seq));
  // Appended while the first ones were replayed: stays after the drop.
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("n1", "late", 99), kNoBound)));
  auto rest = Value(s.PeekHints("n1", 10));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0], all[2]);
  EXPECT_EQ(rest[1], all[3]);
  EXPECT_EQ(rest[2].body, "late");
  EXPECT_EQ(Value(s.HintBacklogs())["n1"], (HintBacklog{3, 2 + 2 + 4, 12}));
  EXPECT_EQ(Value(s.PeekHints("n2", 10)).size(), 1u);  // other nodes untouched

  ASSERT_TRUE(s.DropHints("nobody", 100));  // an unknown node: nothing to do
  ASSERT_TRUE(s.DropHints("n1", std::numeric_limits<uint64_t>::max()));
  EXPECT_TRUE(Value(s.PeekHints("n1", 10)).empty());
  auto backlogs = Value(s.HintBacklogs());
  EXPECT_EQ(backlogs.count("n1"), 0u);
  EXPECT_EQ(backlogs.count("n2"), 1u);
  // An emptied queue leaves the set the write path reads.
  EXPECT_EQ(Value(s.NodesWithHints()), (std::set<std::string>{"n2"}));
}

TYPED_TEST_P(StoreBehaviourTest, HintSeqsAreNeverReusedAfterDropOrReopen) {
  ASSERT_TRUE(Value(this->store_->AppendHint(MakeHint("n1", "a", 1), kNoBound)));
  ASSERT_TRUE(Value(this->store_->AppendHint(MakeHint("n1", "b", 2), kNoBound)));
  uint64_t last = Value(this->store_->PeekHints("n1", 10)).back().seq;
  ASSERT_TRUE(this->store_->DropHints("n1", last));  // the queue is empty now
  EXPECT_TRUE(Value(this->store_->HintBacklogs()).empty());
  EXPECT_TRUE(Value(this->store_->NodesWithHints()).empty());

  ASSERT_TRUE(Value(this->store_->AppendHint(MakeHint("n1", "c", 3), kNoBound)));
  auto after_drop = Value(this->store_->PeekHints("n1", 10));
  ASSERT_EQ(after_drop.size(), 1u);
  EXPECT_GT(after_drop[0].seq, last);
  last = after_drop[0].seq;
  ASSERT_TRUE(this->store_->DropHints("n1", last));

  this->Reopen();
  ASSERT_TRUE(Value(this->store_->AppendHint(MakeHint("n1", "d", 4), kNoBound)));
  auto after_reopen = Value(this->store_->PeekHints("n1", 10));
  ASSERT_EQ(after_reopen.size(), 1u);
  EXPECT_GT(after_reopen[0].seq, last);
  EXPECT_EQ(after_reopen[0].body, "d");
}

TYPED_TEST_P(StoreBehaviourTest, PendingHintsSurviveReopen) {
  Hint h = MakeHint("n1", std::string("x\0y", 3), 5);
  ASSERT_TRUE(Value(this->store_->AppendHint(h, kNoBound)));
  this->Reopen();
  auto peeked = Value(this->store_->PeekHints("n1", 10));
  ASSERT_EQ(peeked.size(), 1u);
  EXPECT_EQ(peeked[0], WithSeq(h, peeked[0].seq));
  EXPECT_EQ(Value(this->store_->HintBacklogs())["n1"], (HintBacklog{1, 3, 5}));
}

TYPED_TEST_P(StoreBehaviourTest, HintBacklogsSummarizeEveryNodeWithPendingHints) {
  Store& s = *this->store_;
  EXPECT_TRUE(Value(s.HintBacklogs()).empty());
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "123", 500), kNoBound)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "4567", 400), kNoBound)));  // older, appended later
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("b", "", 1'700'000'000'123), kNoBound)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("c", "gone", 7), kNoBound)));
  ASSERT_TRUE(s.DropHints("c", Value(s.PeekHints("c", 1)).at(0).seq));
  EXPECT_EQ(Value(s.HintBacklogs()),
            (std::map<std::string, HintBacklog>{{"a", {2, 7, 400}},
                                                {"b", {1, 0, 1'700'000'000'123}}}));
}

TYPED_TEST_P(StoreBehaviourTest, ExpireHintsDeletesOldHintsAndCountsPerNode) {
  Store& s = *this->store_;
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "100", 100), 20)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "300", 300), 20)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "200", 200), 20)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("a", "250", 250), 20)));  // at the cutoff: kept
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("b", "50", 50), 20)));
  ASSERT_TRUE(Value(s.AppendHint(MakeHint("c", "500", 500), 20)));

  EXPECT_EQ(Value(s.ExpireHints(250)), (std::map<std::string, uint64_t>{{"a", 2}, {"b", 1}}));
  auto a = Value(s.PeekHints("a", 10));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].body, "300");
  EXPECT_EQ(a[1].body, "250");
  EXPECT_TRUE(Value(s.PeekHints("b", 10)).empty());
  EXPECT_EQ(Value(s.HintBacklogs()),
            (std::map<std::string, HintBacklog>{{"a", {2, 6, 250}}, {"c", {1, 3, 500}}}));
  EXPECT_EQ(Value(s.NodesWithHints()), (std::set<std::string>{"a", "c"}));
  // The freed bytes count as free: a's queue (6 of 20) takes 14 more.
  EXPECT_TRUE(Value(s.AppendHint(MakeHint("a", std::string(14, 'x'), 600), 20)));
  EXPECT_FALSE(Value(s.AppendHint(MakeHint("a", "x", 600), 20)));

  EXPECT_TRUE(Value(s.ExpireHints(250)).empty());  // nothing that old is left
  EXPECT_EQ(Value(s.ExpireHints(1000)),
            (std::map<std::string, uint64_t>{{"a", 3}, {"c", 1}}));
  EXPECT_TRUE(Value(s.HintBacklogs()).empty());
  EXPECT_TRUE(Value(s.NodesWithHints()).empty());
  // An emptied queue takes hints again, up to the full bound.
  EXPECT_TRUE(Value(s.AppendHint(MakeHint("a", std::string(20, 'y'), 700), 20)));
}

TYPED_TEST_P(StoreBehaviourTest, ConcurrentAppendsNeverShareASeq) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        auto ok = this->store_->AppendHint(
            MakeHint("n1", std::to_string(t) + ":" + std::to_string(i), i), kNoBound);
        EXPECT_TRUE(ok && *ok);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto all = Value(this->store_->PeekHints("n1", 1000));
  ASSERT_EQ(all.size(), 100u);
  std::set<std::string> bodies;
  for (size_t i = 0; i < all.size(); ++i) {
    bodies.insert(all[i].body);
    if (i > 0) {
      EXPECT_GT(all[i].seq, all[i - 1].seq);
    }
  }
  EXPECT_EQ(bodies.size(), 100u);
  uint64_t bytes = 0;
  for (const auto& h : all) bytes += h.body.size();
  EXPECT_EQ(Value(this->store_->HintBacklogs())["n1"].bytes, bytes);
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
                            EverythingSurvivesReopen,
                            TombstonesKeepTheNewestTimePerPk,
                            FindTombstonesReturnsOnlyPksWithOneInThatIndexAndShard,
                            FindTombstonesOfTenThousandPks,
                            FilterTombstonesAreListedOldestFirstPerIndex,
                            PruneTombstonesDeletesBothKindsOlderThanTheCutoff,
                            TombstonesSurviveReopen,
                            HintsArePeekedInAppendOrderWithIncreasingSeqs,
                            HintFieldsRoundTripByteForByte,
                            AppendHintRefusesPastTheByteBoundAndStoresNothing,
                            DropHintsRemovesOnlyThroughTheSeq,
                            HintSeqsAreNeverReusedAfterDropOrReopen,
                            PendingHintsSurviveReopen,
                            HintBacklogsSummarizeEveryNodeWithPendingHints,
                            ExpireHintsDeletesOldHintsAndCountsPerNode,
                            ConcurrentAppendsNeverShareASeq);

}  // namespace miroir::store::testing
