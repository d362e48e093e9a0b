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
  }
  return out;
}

awaitable<Result<void>> SaveIndex(Services& services, store::IndexRecord record) {
  auto put = co_await StorePutIndex(services, record);
  if (!put) co_return put.error();
  services.catalog.Put(std::move(record));
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
  out.record.uid = uid;
  out.record.shard_count = services.options.default_shards;
  out.record.created_at = out.record.updated_at = NowMicros();
  MIROIR_CO_RETURN_IF_ERROR(co_await SaveIndex(services, out.record));
  co_return out;
}

}  // namespace miroir::api
