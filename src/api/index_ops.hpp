// Index lifecycle steps shared by several resources.
#pragma once

#include "common.hpp"

namespace miroir::api {

// The settings body that makes Miroir's reserved fields filterable, merged
// into a client's filterableAttributes (null or absent means "reset").
json FilterableWithReserved(const json& client_value, bool anti_entropy);

struct EnsuredIndex {
  store::IndexRecord record;
  bool created = false;  // this call created the index (false: it existed, or another
                         // instance created it at the same time)
  std::vector<NodeReply> replies;  // node tasks spawned creating it (empty if it existed)
  bool degraded = false;
};

// Returns the index's catalog record, first creating the index on every node
// (through a settings update that makes _miroir_shard filterable, which
// creates a missing index on a Meilisearch node) when Miroir does not know it.
// Fails with miroir_no_quorum when too few nodes accepted the creation.
awaitable<Result<EnsuredIndex>> EnsureIndex(Services& services, const Topology& topology,
                                            const std::string& uid);

// Records a new index in the store unless another instance created it first,
// and mirrors the record that won in memory; returns that record and
// whether it is `record`.
awaitable<Result<std::pair<store::IndexRecord, bool>>> RegisterIndex(Services& services,
                                                                     store::IndexRecord record);

// When the store is shared with other instances (ApiOptions::shared_store),
// an index this instance does not know may have been created through
// another one a moment ago: looks it up in the store and mirrors it. Does
// nothing when the catalog has it or the store is this instance's alone.
// Fails (miroir_store_unavailable) only when the store could not be asked.
awaitable<Result<void>> LearnIndex(Services& services, const std::string& uid);

// Persists a catalog record and mirrors it in memory.
awaitable<Result<void>> SaveIndex(Services& services, store::IndexRecord record);
awaitable<Result<void>> ForgetIndex(Services& services, const std::string& uid);

}  // namespace miroir::api
