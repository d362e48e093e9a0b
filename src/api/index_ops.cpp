#include "index_ops.hpp"

namespace miroir::api {

json FilterableWithReserved(const json& client_value, bool anti_entropy) {
  json out = client_value.is_array() ? client_value : json::array();
  auto add = [&](std::string_view field) {
    for (const auto& v : out) {
      if (v.is_string() && v.get<std::string>() == field) return;
    }
    out.push_back(field);
  };
  add(kShardField);
  if (anti_entropy) {
    add("_miroir_updated_at");
    add("_miroir_digest");
    add("_miroir_expires_at");  // the expiry sweep filters on it
  }
  return out;
}

awaitable<Result<void>> SaveIndex(Services& services, store::IndexRecord record) {
  auto put = co_await StorePutIndex(services, record);
  if (!put) co_return put.error();
  services.catalog.Put(std::move(record));
  co_return Result<void>{};
}

awaitable<Result<std::pair<store::IndexRecord, bool>>> RegisterIndex(Services& services,
                                                                     store::IndexRecord record) {
  auto created = co_await StoreCreateIndex(services, record);
  if (!created) co_return created.error();
  if (!*created) {
    auto winner = co_await StoreGetIndex(services, record.uid);
    if (!winner) co_return winner.error();
    // Deleted again in between: ours is as good as any; store it.
    if (!winner->has_value()) co_return co_await RegisterIndex(services, std::move(record));
    record = std::move(**winner);
  }
  services.catalog.Put(record);
  co_return std::make_pair(std::move(record), *created);
}

awaitable<Result<void>> LearnIndex(Services& services, const std::string& uid) {
  if (!services.options.shared_store || services.catalog.Get(uid)) co_return Result<void>{};
  auto stored = co_await StoreGetIndex(services, uid);
  if (!stored) co_return stored.error();
  if (stored->has_value()) services.catalog.Put(std::move(**stored));
  co_return Result<void>{};
}

awaitable<Result<void>> ForgetIndex(Services& services, const std::string& uid) {
  auto del = co_await StoreDeleteIndex(services, uid);
  if (!del) co_return del.error();
  services.catalog.Erase(uid);
  co_return Result<void>{};
}

awaitable<Result<EnsuredIndex>> EnsureIndex(Services& services, const Topology& topology,
                                            const std::string& uid) {
  EnsuredIndex out;
  if (auto existing = services.catalog.Get(uid)) {
    out.record = std::move(*existing);
    co_return out;
  }
  json settings = {{"filterableAttributes",
                    FilterableWithReserved(json(), services.options.anti_entropy)}};
  out.replies = co_await Broadcast(
      services, topology,
      MakeRequest(http::Method::kPatch, "/indexes/" + EncodeSegment(uid) + "/settings",
                  settings.dump(), services.options.write_timeout));
  if (!BroadcastReachedQuorum(topology, out.replies, out.degraded)) {
    co_return Error(ErrorCode::kMiroirNoQuorum,
                    "Index `" + uid + "` could not be created on enough nodes.");
  }
  store::IndexRecord record;
  record.uid = uid;
  record.shard_count = services.options.default_shards;
  record.created_at = record.updated_at = NowMicros();
  auto registered = co_await RegisterIndex(services, std::move(record));
  if (!registered) co_return registered.error();
  out.record = std::move(registered->first);
  out.created = registered->second;
  co_return out;
}

}  // namespace miroir::api
