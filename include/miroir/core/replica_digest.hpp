// The pure half of anti-entropy (ARCHITECTURE §4): how the replicas of one
// shard are compared, and what a repair of one document must do.
//
// A replica is summarised by 256 bucket digests. Each document it holds is
// reduced to its version — (primary key, `_miroir_updated_at`,
// `_miroir_digest`) — which goes to the bucket picked by its key. A bucket's
// digest is the count and the wrapping sum of its versions' hashes, so it
// does not depend on the order in which a replica lists its documents
// (pages of different replicas come in different orders). Replicas whose
// bucket digests are equal hold the same versions; buckets that differ are
// then listed key by key, and only those.
//
// Pure functions and value types; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::antientropy {

inline constexpr size_t kBucketCount = 256;

// What a replica says about one document. A document written before
// anti-entropy was turned on has neither stamp: time 0 and an empty digest.
struct DocumentVersion {
  std::string pk;  // canonical text of the primary key (pk::CanonicalId)
  int64_t updated_at_ms = 0;
  std::string digest;
  bool operator==(const DocumentVersion&) const = default;
};

// The bucket of a primary key: the top byte of xxh64(pk, seed 1), a seed
// other than the shard hash's so the buckets of one shard are all used.
uint8_t BucketOf(std::string_view pk);

// The 256 bucket digests of one replica of one shard.
class BucketDigests {
 public:
  void Add(const DocumentVersion& version);
  size_t documents() const { return documents_; }
  bool operator==(const BucketDigests&) const = default;

  // Buckets where any two of `replicas` differ, ascending.
  static std::vector<uint8_t> Differing(const std::vector<BucketDigests>& replicas);

 private:
  struct Bucket {
    uint64_t count = 0;
    uint64_t sum = 0;
    bool operator==(const Bucket&) const = default;
  };
  std::array<Bucket, kBucketCount> buckets_{};
  size_t documents_ = 0;
};

// Everything known of one document of a differing bucket.
struct DocumentEvidence {
  // One entry per replica, in the caller's replica order: what it holds.
  std::vector<std::optional<DocumentVersion>> replicas;
  // The newest delete of this key: its tombstone, or a filter tombstone
  // (or delete-all) that matches the document. Empty when none.
  std::optional<int64_t> deleted_at_ms;
};

struct DocumentRepair {
  enum class Action {
    kNone,    // every replica already holds the winning state
    kCopy,    // write the newest version (held by `source`) to `targets`
    kDelete,  // delete the document from `targets` (the replicas holding it)
  };
  Action action = Action::kNone;
  size_t source = 0;            // kCopy: a replica holding the winning version
  std::vector<size_t> targets;  // replicas to write to or delete from, ascending
  bool tombstone_won = false;   // kDelete: a delete beat every version held
};

// The repair for one document (ARCHITECTURE §4): the newest
// `_miroir_updated_at` wins (ties broken by the larger digest, so every
// instance picks the same version); a delete at or after that time beats
// it, and the document is deleted wherever it is held.
DocumentRepair PlanRepair(const DocumentEvidence& evidence);

// What the admin API asks of the reconciler (workers/anti_entropy.hpp),
// which the application provides.
class ReplicaVerifier {
 public:
  virtual ~ReplicaVerifier() = default;
  // Starts a pass over `index_uid` (every index when empty) that repairs
  // when `repair`, else only reports. Its report, still running;
  // miroir_verify_in_progress when a pass runs already.
  virtual Result<nlohmann::json> Verify(const std::optional<std::string>& index_uid,
                                        bool repair) = 0;
  // {"current": null | report, "last": null | report}.
  virtual Result<nlohmann::json> Status() = 0;
};

}  // namespace miroir::antientropy
