#include "miroir/workers/membership.hpp"

#include <algorithm>

#include "miroir/core/hash.hpp"

namespace miroir::workers {

std::string RendezvousOwner(std::string_view partition,
                            const std::vector<std::string>& instance_ids) {
  std::string best;
  uint64_t best_score = 0;
  std::string key;
  for (const auto& id : instance_ids) {
    key.assign(partition);
    key.push_back('\0');  // "ab"+"c" and "a"+"bc" must not collide
    key.append(id);
    const uint64_t score = Xxh64(key);
    // Ties (astronomically rare) go to the smaller id, so every instance agrees.
    if (best.empty() || score > best_score || (score == best_score && id < best)) {
      best = id;
      best_score = score;
    }
  }
  return best;
}

Membership::Membership(store::InstanceInfo self)
    : coordination_(nullptr), self_(std::move(self)), live_{self_} {}

Membership::Membership(store::Coordination& coordination, store::InstanceInfo self,
                       std::function<uint64_t()> epoch, MembershipOptions options)
    : coordination_(&coordination),
      self_(std::move(self)),
      epoch_(std::move(epoch)),
      options_(options) {}

Membership::~Membership() { Stop(); }

Result<void> Membership::Start() {
  if (coordination_ == nullptr) return {};
  MIROIR_RETURN_IF_ERROR(Beat());
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void Membership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  (void)coordination_->Leave(self_.id);
  std::lock_guard<std::mutex> lock(mu_);
  live_.clear();
}

void Membership::BeatSoon() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    beat_soon_ = true;
  }
  cv_.notify_all();
}

std::vector<store::InstanceInfo> Membership::LiveInstances() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

bool Membership::Owns(std::string_view partition) const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ids.reserve(live_.size());
    for (const auto& i : live_) ids.push_back(i.id);
  }
  if (std::find(ids.begin(), ids.end(), self_.id) == ids.end()) return false;
  return RendezvousOwner(partition, ids) == self_.id;
}

Result<void> Membership::Beat() {
  store::InstanceInfo me = self_;
  me.topology_epoch = epoch_();
  const auto sent = std::chrono::steady_clock::now();
  MIROIR_RETURN_IF_ERROR(coordination_->Heartbeat(me, options_.ttl));
  MIROIR_ASSIGN_OR_RETURN(auto live, coordination_->LiveInstances());
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ = std::move(live);
  }
  if (options_.on_renewed) options_.on_renewed(sent);
  return {};
}

void Membership::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait_for(lock, options_.interval, [this] { return stopping_ || beat_soon_; });
    if (stopping_) return;
    beat_soon_ = false;
    lock.unlock();
    (void)Beat();
    lock.lock();
  }
}

}  // namespace miroir::workers
