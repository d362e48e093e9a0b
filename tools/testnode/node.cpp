#include "node.hpp"

#include <algorithm>

#include "miroir/core/crypto.hpp"
#include "miroir/meili/index_requests.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

SystemTime Now() { return std::chrono::system_clock::now(); }

OJson TaskToJournal(const Task& t) {
  OJson j;
  j["uid"] = t.uid;
  j["indexUid"] = t.index_uid ? OJson(*t.index_uid) : OJson(nullptr);
  j["type"] = t.type;
  j["enqueuedAt"] = FormatRfc3339(t.enqueued_at);
  j["details"] = t.details;
  j["payload"] = t.payload;
  return j;
}

std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() < kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  std::string_view token = header.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}


}  // namespace

Node::Node(NodeOptions options) : options_(std::move(options)) {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Create(NodeOptions options) {
  std::unique_ptr<Node> node(new Node(std::move(options)));
  if (!node->options_.db_path.empty()) {
    MIROIR_ASSIGN_OR_RETURN(node->journal_, Journal::Open(node->options_.db_path));
    node->replaying_ = true;
    MIROIR_RETURN_IF_ERROR(
        node->journal_->Replay([&](const OJson& record) { node->ReplayRecord(record); }));
    node->replaying_ = false;
  }
  if (node->has_master_key() && node->keys_.empty()) {
    for (auto& key : DefaultApiKeys(node->options_.master_key, Now())) {
      MIROIR_RETURN_IF_ERROR(
          node->JournalAppend(OJson{{"op", "key_put"}, {"key", ApiKeyToStorage(key)}}));
      node->keys_.push_back(std::move(key));
    }
  }
  node->worker_ = std::thread([n = node.get()] { n->WorkerLoop(); });
  return node;
}

void Node::Stop() {
  {
    std::lock_guard lock(tasks_mu_);
    stopping_ = true;
  }
  tasks_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Result<void> Node::JournalAppend(const OJson& record) {
  if (!journal_ || replaying_) return {};
  return journal_->Append(record);
}

// ---------------------------------------------------------------- replay

void Node::ReplayRecord(const OJson& record) {
  const std::string op = record.value("op", "");
  if (op == "enqueue") {
    const OJson& j = record["task"];
    Task t;
    t.uid = j.value("uid", uint64_t{0});
    if (j["indexUid"].is_string()) t.index_uid = j["indexUid"].get<std::string>();
    t.type = j.value("type", "");
    t.enqueued_at = ParseRfc3339(j.value("enqueuedAt", "")).value_or(Now());
    t.details = j.contains("details") ? j["details"] : OJson();
    t.payload = j.contains("payload") ? j["payload"] : OJson();
    next_task_uid_ = std::max(next_task_uid_, t.uid + 1);
    queued_.insert(t.uid);
    tasks_[t.uid] = std::move(t);
  } else if (op == "finish") {
    auto it = tasks_.find(record.value("uid", uint64_t{0}));
    if (it == tasks_.end()) return;
    Task& t = it->second;
    SystemTime started = ParseRfc3339(record.value("startedAt", "")).value_or(Now());
    SystemTime finished = ParseRfc3339(record.value("finishedAt", "")).value_or(started);
    t.started_at = started;
    t.batch_uid = record.value("batchUid", uint64_t{0});
    next_batch_uid_ = std::max(next_batch_uid_, *t.batch_uid + 1);
    Apply(t, finished);
    t.finished_at = finished;
  } else if (op == "key_put") {
    if (auto key = ApiKeyFromStorage(record["key"])) {
      std::erase_if(keys_, [&](const ApiKey& k) { return k.uid == key->uid; });
      keys_.push_back(std::move(*key));
    }
  } else if (op == "key_delete") {
    std::string uid = record.value("uid", "");
    std::erase_if(keys_, [&](const ApiKey& k) { return k.uid == uid; });
  }
}

// ---------------------------------------------------------------- tasks

Result<OJson> Node::Enqueue(std::optional<std::string> index_uid, std::string type, OJson payload,
                            OJson details) {
  std::unique_lock lock(tasks_mu_);
  Task t;
  t.uid = next_task_uid_;
  t.index_uid = std::move(index_uid);
  t.type = std::move(type);
  t.enqueued_at = Now();
  t.details = std::move(details);
  t.payload = std::move(payload);
  MIROIR_RETURN_IF_ERROR(JournalAppend(OJson{{"op", "enqueue"}, {"task", TaskToJournal(t)}}));
  ++next_task_uid_;
  OJson summary = SummarizedTaskView(t);
  queued_.insert(t.uid);
  tasks_[t.uid] = std::move(t);
  lock.unlock();
  tasks_cv_.notify_all();
  return summary;
}

Result<OJson> Node::GetTask(uint64_t uid) const {
  std::lock_guard lock(tasks_mu_);
  auto it = tasks_.find(uid);
  if (it == tasks_.end()) {
    return Error(ErrorCode::kTaskNotFound, "Task `" + std::to_string(uid) + "` not found.");
  }
  return TaskView(it->second);
}

template <typename Visit>
void Node::ForEachCandidateLocked(const TaskQuery& q, bool newest_first, Visit visit) const {
  auto visit_uids = [&](const auto& uids) {
    auto one = [&](uint64_t uid) {
      if (auto it = tasks_.find(uid); it != tasks_.end()) visit(it->second);
    };
    if (newest_first) {
      std::for_each(uids.rbegin(), uids.rend(), one);
    } else {
      std::for_each(uids.begin(), uids.end(), one);
    }
  };
  if (q.uids) return visit_uids(*q.uids);
  const bool only_active =
      q.statuses && std::all_of(q.statuses->begin(), q.statuses->end(), [](TaskStatus s) {
        return s == TaskStatus::kEnqueued || s == TaskStatus::kProcessing;
      });
  if (only_active) {
    std::set<uint64_t> active = queued_;
    if (processing_uid_) active.insert(*processing_uid_);
    return visit_uids(active);
  }
  if (newest_first) {
    for (auto it = tasks_.rbegin(); it != tasks_.rend(); ++it) visit(it->second);
  } else {
    for (const auto& [uid, t] : tasks_) visit(t);
  }
}

OJson Node::ListTasks(const TaskQuery& q) const {
  std::lock_guard lock(tasks_mu_);
  OJson results = OJson::array();
  uint64_t total = 0;
  std::optional<uint64_t> next;
  ForEachCandidateLocked(q, !q.reverse, [&](const Task& t) {
    if (!TaskMatches(q, t)) return;
    ++total;
    bool in_range = !q.from || (q.reverse ? t.uid >= *q.from : t.uid <= *q.from);
    if (!in_range) return;
    if (results.size() < q.limit) {
      results.push_back(TaskView(t));
    } else if (!next) {
      next = t.uid;
    }
  });
  OJson out;
  out["results"] = std::move(results);
  out["total"] = total;
  out["limit"] = q.limit;
  out["from"] = out["results"].empty() ? OJson(nullptr) : out["results"][0]["uid"];
  out["next"] = next ? OJson(*next) : OJson(nullptr);
  return out;
}

uint64_t Node::CountTasks(const TaskQuery& filter) const {
  std::lock_guard lock(tasks_mu_);
  uint64_t count = 0;
  ForEachCandidateLocked(filter, false, [&](const Task& t) { count += TaskMatches(filter, t); });
  return count;
}

void Node::SetStatusLocked(Task& task, TaskStatus status) {
  if (status == TaskStatus::kEnqueued) {
    queued_.insert(task.uid);
  } else {
    queued_.erase(task.uid);
  }
  task.status = status;
}

Task* Node::NextTaskLocked() {
  Task* first = nullptr;
  Task* deletion = nullptr;
  for (uint64_t uid : queued_) {
    Task& t = tasks_.at(uid);
    if (t.type == "taskCancelation") return &t;
    if (t.type == "taskDeletion" && !deletion) deletion = &t;
    if (!first) first = &t;
  }
  return deletion ? deletion : first;
}

void Node::WorkerLoop() {
  // Whether an enqueued cancelation targets the task being processed.
  auto cancelation_targets = [&](uint64_t uid) {
    return std::any_of(queued_.begin(), queued_.end(), [&](uint64_t queued) {
      const Task& t = tasks_.at(queued);
      if (t.type != "taskCancelation") return false;
      if (!t.payload.contains("uids")) return false;
      for (const auto& target : t.payload["uids"]) {
        if (target.is_number_unsigned() && target.get<uint64_t>() == uid) return true;
      }
      return false;
    });
  };
  std::unique_lock lock(tasks_mu_);
  for (;;) {
    tasks_cv_.wait(lock, [&] { return stopping_ || NextTaskLocked() != nullptr; });
    if (stopping_) return;
    Task* task = NextTaskLocked();
    SetStatusLocked(*task, TaskStatus::kProcessing);
    task->started_at = Now();
    task->batch_uid = next_batch_uid_;
    processing_uid_ = task->uid;
    if (options_.task_delay.count() > 0 && task->type != "taskCancelation") {
      // A cancelation of this task that arrives meanwhile aborts the wait:
      // the task goes back to the queue and the cancelation runs first, as
      // Meilisearch aborts a processing batch whose tasks are canceled.
      const uint64_t uid = task->uid;
      bool interrupted = tasks_cv_.wait_for(
          lock, options_.task_delay, [&] { return stopping_ || cancelation_targets(uid); });
      if (interrupted) {
        SetStatusLocked(*task, TaskStatus::kEnqueued);
        task->started_at.reset();
        task->batch_uid.reset();
        processing_uid_.reset();
        continue;
      }
    }
    ++next_batch_uid_;
    lock.unlock();
    Apply(*task, Now());
    lock.lock();
    processing_uid_.reset();
    OJson record{{"op", "finish"},
                 {"uid", task->uid},
                 {"batchUid", *task->batch_uid},
                 {"startedAt", FormatRfc3339(*task->started_at)},
                 {"finishedAt", FormatRfc3339(*task->finished_at)}};
    (void)JournalAppend(record);  // losing it only means the task re-runs after a restart
  }
}

// Applies a task. Only the worker (or replay, before the worker starts)
// calls this, so the task's own fields are written here under tasks_mu_.
void Node::Apply(Task& task, SystemTime now) {
  OJson details;
  std::optional<Error> error;
  if (task.type == "taskCancelation") {
    details = ApplyTaskCancelation(task, now);
  } else if (task.type == "taskDeletion") {
    details = ApplyTaskDeletion(task);
  } else {
    std::unique_lock state(state_mu_);
    auto result = ApplyToIndexes(task, now);
    if (result) {
      details = std::move(*result);
    } else {
      error = result.error();
    }
  }
  std::unique_lock lock(tasks_mu_, std::defer_lock);
  if (!replaying_) lock.lock();
  if (error) {
    SetStatusLocked(task, TaskStatus::kFailed);
    task.error = std::move(error);
    // A failed task reports what it would have counted as zero.
    for (auto key : {"indexedDocuments", "deletedDocuments"}) {
      if (task.details.is_object() && task.details.contains(key)) task.details[key] = 0;
    }
  } else {
    SetStatusLocked(task, TaskStatus::kSucceeded);
    if (details.is_object()) {
      for (auto& [k, v] : details.items()) task.details[k] = v;
    }
  }
  task.finished_at = now;
  task.payload = nullptr;
}

OJson Node::ApplyTaskCancelation(Task& task, SystemTime now) {
  uint64_t canceled = 0;
  std::unique_lock lock(tasks_mu_, std::defer_lock);
  if (!replaying_) lock.lock();
  const OJson& p = task.payload;
  std::set<uint64_t> targets;
  if (p.contains("uids")) targets = p["uids"].get<std::set<uint64_t>>();
  for (uint64_t uid : targets) {
    auto it = tasks_.find(uid);
    if (it == tasks_.end() || it->first >= task.uid) continue;
    Task& t = it->second;
    if (t.status != TaskStatus::kEnqueued) continue;
    SetStatusLocked(t, TaskStatus::kCanceled);
    t.canceled_by = task.uid;
    t.started_at = now;
    t.finished_at = now;
    t.payload = nullptr;
    for (auto key : {"indexedDocuments", "deletedDocuments"}) {
      if (t.details.is_object() && t.details.contains(key)) t.details[key] = 0;
    }
    ++canceled;
  }
  return OJson{{"canceledTasks", canceled}};
}

OJson Node::ApplyTaskDeletion(Task& task) {
  uint64_t deleted = 0;
  std::unique_lock lock(tasks_mu_, std::defer_lock);
  if (!replaying_) lock.lock();
  const OJson& p = task.payload;
  std::set<uint64_t> targets;
  if (p.contains("uids")) targets = p["uids"].get<std::set<uint64_t>>();
  for (uint64_t uid : targets) {
    auto it = tasks_.find(uid);
    if (it == tasks_.end() || it->first == task.uid || !IsTerminal(it->second.status)) continue;
    tasks_.erase(it);
    ++deleted;
  }
  return OJson{{"deletedTasks", deleted}};
}

Result<OJson> Node::ApplyToIndexes(const Task& task, SystemTime now) {
  const std::string uid = task.index_uid.value_or("");
  const OJson& p = task.payload;
  auto find = [&]() -> IndexEntry* {
    auto it = indexes_.find(uid);
    return it == indexes_.end() ? nullptr : it->second.get();
  };
  auto optional_string = [](const OJson& j, const char* key) -> std::optional<std::string> {
    if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return std::nullopt;
  };
  // Operations that may create their index roll the creation back on failure.
  auto find_or_create = [&](std::optional<std::string> pk, bool& created) -> IndexEntry* {
    if (IndexEntry* e = find()) return e;
    auto entry = std::make_unique<IndexEntry>(uid, std::move(pk));
    entry->created_at = entry->updated_at = now;
    IndexEntry* raw = entry.get();
    indexes_[uid] = std::move(entry);
    created = true;
    return raw;
  };

  if (task.type == "documentAdditionOrUpdate") {
    bool created = false;
    auto pk = optional_string(p, "primaryKey");
    IndexEntry* e = find_or_create(pk, created);
    std::vector<OJson> docs;
    if (p.contains("documents")) {
      docs.reserve(p["documents"].size());
      for (const auto& d : p["documents"]) docs.push_back(d);
    }
    auto r = e->index.AddDocuments(std::move(docs), pk, p.value("replace", true));
    if (!r) {
      if (created) indexes_.erase(uid);
      return r.error();
    }
    e->updated_at = now;
    return OJson{{"indexedDocuments", *r}};
  }
  if (task.type == "settingsUpdate") {
    bool created = false;
    IndexEntry* e = find_or_create(std::nullopt, created);
    auto r = e->index.UpdateSettings(nlohmann::json(p["settings"]));
    if (!r) {
      if (created) indexes_.erase(uid);
      return r.error();
    }
    e->updated_at = now;
    return OJson::object();
  }
  if (task.type == "indexCreation") {
    if (find()) return Error(ErrorCode::kIndexAlreadyExists, "Index `" + uid + "` already exists.");
    bool created = false;
    find_or_create(optional_string(p, "primaryKey"), created);
    return OJson::object();
  }
  IndexEntry* e = find();
  if (task.type == "indexSwap") {
    std::vector<std::string> missing;
    for (const auto& swap : p["swaps"]) {
      const auto& pair = swap["indexes"];
      const bool rename = swap.value("rename", false);
      for (size_t i = 0; i < pair.size(); ++i) {
        const std::string name = pair[i].get<std::string>();
        const bool must_exist = !(rename && i == 1);
        if (must_exist && !indexes_.count(name)) missing.push_back(name);
        if (rename && i == 1 && indexes_.count(name)) {
          return Error(ErrorCode::kIndexAlreadyExists,
                       "Cannot rename `" + pair[0].get<std::string>() + "` to `" + name +
                           "` as the index already exists. Hint: You can remove `" + name +
                           "` first and then do your remove.");
        }
      }
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "`" : ", `") + m + "`";
      return Error(ErrorCode::kIndexNotFound, (missing.size() == 1 ? "Index " : "Indexes ") +
                                                  list + " not found.");
    }
    for (const auto& swap : p["swaps"]) {
      const std::string a = swap["indexes"][0].get<std::string>();
      const std::string b = swap["indexes"][1].get<std::string>();
      if (swap.value("rename", false)) {
        auto node = indexes_.extract(a);
        node.key() = b;
        node.mapped()->index.set_uid(b);
        node.mapped()->updated_at = now;
        indexes_.insert(std::move(node));
      } else {
        std::swap(indexes_[a], indexes_[b]);
        indexes_[a]->index.set_uid(a);
        indexes_[b]->index.set_uid(b);
        indexes_[a]->updated_at = indexes_[b]->updated_at = now;
      }
    }
    return OJson::object();
  }
  if (!e) return meili::IndexNotFoundError(uid);
  if (task.type == "indexUpdate") {
    if (p.contains("primaryKey") && p["primaryKey"].is_string()) {
      std::string pk = p["primaryKey"].get<std::string>();
      if (e->index.document_count() > 0 && e->index.primary_key() != pk) {
        return Error(ErrorCode::kIndexPrimaryKeyAlreadyExists,
                     "Index `" + uid + "`: Index already has a primary key: `" +
                         e->index.primary_key().value_or("") + "`.");
      }
      e->index.set_primary_key(pk);
    }
    if (auto new_uid = optional_string(p, "uid"); new_uid && *new_uid != uid) {
      if (indexes_.count(*new_uid)) {
        return Error(ErrorCode::kIndexAlreadyExists, "Index `" + *new_uid + "` already exists.");
      }
      auto node = indexes_.extract(uid);
      node.key() = *new_uid;
      node.mapped()->index.set_uid(*new_uid);
      indexes_.insert(std::move(node));
      e->updated_at = now;
      return OJson::object();
    }
    e->updated_at = now;
    return OJson::object();
  }
  if (task.type == "indexDeletion") {
    uint64_t count = e->index.document_count();
    indexes_.erase(uid);
    return OJson{{"deletedDocuments", count}};
  }
  if (task.type == "documentDeletion") {
    Result<size_t> r = size_t{0};
    if (p.contains("ids")) {
      r = e->index.DeleteDocuments(p["ids"].get<std::vector<std::string>>());
    } else if (p.contains("filter")) {
      r = e->index.DeleteByFilter(nlohmann::json(p["filter"]));
    } else {
      r = e->index.Clear();
    }
    if (!r) return r.error();
    e->updated_at = now;
    return OJson{{"deletedDocuments", *r}};
  }
  return Error(ErrorCode::kInternal, "unsupported task type " + task.type);
}

// ---------------------------------------------------------------- indexes

bool Node::IndexIsBusy(const std::string& uid) const {
  std::lock_guard lock(tasks_mu_);
  auto for_index = [&](uint64_t task_uid) { return tasks_.at(task_uid).index_uid == uid; };
  return std::any_of(queued_.begin(), queued_.end(), for_index) ||
         (processing_uid_ && for_index(*processing_uid_));
}

Result<OJson> Node::ReadIndex(const std::string& uid,
                              const std::function<Result<OJson>(const Index&)>& fn) const {
  std::shared_lock lock(state_mu_);
  auto it = indexes_.find(uid);
  if (it == indexes_.end()) return meili::IndexNotFoundError(uid);
  return fn(it->second->index);
}

bool Node::IndexExists(const std::string& uid) const {
  std::shared_lock lock(state_mu_);
  return indexes_.count(uid) > 0;
}

namespace {
OJson EntryView(const std::string& uid, SystemTime created, SystemTime updated,
                const std::optional<std::string>& pk) {
  OJson j;
  j["uid"] = uid;
  j["createdAt"] = FormatRfc3339(created);
  j["updatedAt"] = FormatRfc3339(updated);
  j["primaryKey"] = pk ? OJson(*pk) : OJson(nullptr);
  return j;
}
}  // namespace

Result<OJson> Node::IndexView(const std::string& uid) const {
  std::shared_lock lock(state_mu_);
  auto it = indexes_.find(uid);
  if (it == indexes_.end()) return meili::IndexNotFoundError(uid);
  const IndexEntry& e = *it->second;
  return EntryView(uid, e.created_at, e.updated_at, e.index.primary_key());
}

OJson Node::ListIndexes(uint64_t offset, uint64_t limit) const {
  std::shared_lock lock(state_mu_);
  OJson results = OJson::array();
  uint64_t i = 0;
  for (const auto& [uid, e] : indexes_) {
    if (i >= offset && results.size() < limit) {
      results.push_back(EntryView(uid, e->created_at, e->updated_at, e->index.primary_key()));
    }
    ++i;
  }
  OJson out;
  out["results"] = std::move(results);
  out["offset"] = offset;
  out["limit"] = limit;
  out["total"] = indexes_.size();
  return out;
}

OJson Node::IndexStats(const Index& index) const {
  OJson stats = index.Stats();
  OJson out;
  // Meilisearch's key order: numberOfDocuments, rawDocumentDbSize,
  // avgDocumentSize, isIndexing, then the rest.
  for (auto& [k, v] : stats.items()) {
    out[k] = v;
    if (k == "avgDocumentSize") out["isIndexing"] = IndexIsBusy(index.uid());
  }
  if (!out.contains("isIndexing")) out["isIndexing"] = IndexIsBusy(index.uid());
  return out;
}

OJson Node::GlobalStats() const {
  OJson indexes = OJson::object();
  SystemTime last_update{};
  uint64_t db_size = 0;
  {
    std::shared_lock lock(state_mu_);
    for (const auto& [uid, e] : indexes_) {
      OJson s = IndexStats(e->index);
      db_size += s.value("rawDocumentDbSize", uint64_t{0});
      indexes[uid] = std::move(s);
      last_update = std::max(last_update, e->updated_at);
    }
  }
  OJson out;
  out["databaseSize"] = db_size;
  out["usedDatabaseSize"] = db_size;
  out["lastUpdate"] = indexes.empty() ? OJson(nullptr) : OJson(FormatRfc3339(last_update));
  out["indexes"] = std::move(indexes);
  return out;
}

// ---------------------------------------------------------------- auth & keys

bool Node::IsMasterKey(std::string_view authorization) const {
  return has_master_key() &&
         crypto::ConstantTimeEquals(BearerToken(authorization), options_.master_key);
}

Result<void> Node::Authorize(std::string_view authorization, std::string_view action,
                             std::optional<std::string_view> index) const {
  if (!has_master_key()) return {};
  std::string_view token = BearerToken(authorization);
  if (token.empty()) {
    return Error(ErrorCode::kMissingAuthorizationHeader,
                 "The Authorization header is missing. It must use the bearer authorization "
                 "method.");
  }
  if (crypto::ConstantTimeEquals(token, options_.master_key)) return {};
  const Error invalid(ErrorCode::kInvalidApiKey, "The provided API key is invalid.");
  std::lock_guard lock(keys_mu_);
  const ApiKey* key = nullptr;
  for (const auto& k : keys_) {
    if (crypto::ConstantTimeEquals(k.key, token)) key = &k;
  }
  if (!key || ApiKeyExpired(*key, Now()) || !ApiKeyAllowsAction(*key, action)) return invalid;
  if (index && !IndexPatternsAllow(key->indexes, *index)) return invalid;
  return {};
}

const ApiKey* Node::FindKeyLocked(std::string_view uid_or_key) const {
  for (const auto& k : keys_) {
    if (k.uid == uid_or_key || k.key == uid_or_key) return &k;
  }
  return nullptr;
}

namespace {
Error KeyNotFound(std::string_view uid_or_key) {
  return Error(ErrorCode::kApiKeyNotFound, "API key `" + std::string(uid_or_key) + "` not found.");
}
}  // namespace

OJson Node::ListKeys(uint64_t offset, uint64_t limit) const {
  std::lock_guard lock(keys_mu_);
  std::vector<const ApiKey*> sorted;
  for (const auto& k : keys_) sorted.push_back(&k);
  // Newest first, as Meilisearch lists them.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ApiKey* a, const ApiKey* b) { return a->created_at > b->created_at; });
  OJson results = OJson::array();
  for (size_t i = offset; i < sorted.size() && results.size() < limit; ++i) {
    results.push_back(ApiKeyToJson(*sorted[i]));
  }
  OJson out;
  out["results"] = std::move(results);
  out["offset"] = offset;
  out["limit"] = limit;
  out["total"] = sorted.size();
  return out;
}

Result<OJson> Node::GetKey(std::string_view uid_or_key) const {
  std::lock_guard lock(keys_mu_);
  const ApiKey* k = FindKeyLocked(uid_or_key);
  if (!k) return KeyNotFound(uid_or_key);
  return ApiKeyToJson(*k);
}

Result<OJson> Node::CreateKey(const nlohmann::json& body) {
  MIROIR_ASSIGN_OR_RETURN(ApiKey key, ApiKeyFromCreateRequest(body, options_.master_key, Now()));
  std::lock_guard lock(keys_mu_);
  if (FindKeyLocked(key.uid)) {
    return Error(ErrorCode::kApiKeyAlreadyExists,
                 "`uid` field value `" + key.uid + "` is already an existing API key.");
  }
  MIROIR_RETURN_IF_ERROR(JournalAppend(OJson{{"op", "key_put"}, {"key", ApiKeyToStorage(key)}}));
  keys_.push_back(key);
  return ApiKeyToJson(key);
}

Result<OJson> Node::UpdateKey(std::string_view uid_or_key, const nlohmann::json& body) {
  std::lock_guard lock(keys_mu_);
  const ApiKey* found = FindKeyLocked(uid_or_key);
  if (!found) return KeyNotFound(uid_or_key);
  ApiKey updated = *found;
  MIROIR_RETURN_IF_ERROR(ApplyApiKeyUpdate(updated, body, Now()));
  MIROIR_RETURN_IF_ERROR(
      JournalAppend(OJson{{"op", "key_put"}, {"key", ApiKeyToStorage(updated)}}));
  for (auto& k : keys_) {
    if (k.uid == updated.uid) k = updated;
  }
  return ApiKeyToJson(updated);
}

Result<void> Node::DeleteKey(std::string_view uid_or_key) {
  std::lock_guard lock(keys_mu_);
  const ApiKey* found = FindKeyLocked(uid_or_key);
  if (!found) return KeyNotFound(uid_or_key);
  std::string uid = found->uid;
  MIROIR_RETURN_IF_ERROR(JournalAppend(OJson{{"op", "key_delete"}, {"uid", uid}}));
  std::erase_if(keys_, [&](const ApiKey& k) { return k.uid == uid; });
  return {};
}

}  // namespace miroir::testnode
