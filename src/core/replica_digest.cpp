#include "miroir/core/replica_digest.hpp"

#include <string>

#include "miroir/core/hash.hpp"

namespace miroir::antientropy {
namespace {

constexpr uint64_t kBucketSeed = 1;

// The hash of a version: its three parts with separators that cannot occur
// in the decimal time, so ("a", 1, "b") and ("a1", 0, "b") differ.
uint64_t VersionHash(const DocumentVersion& v) {
  std::string bytes;
  bytes.reserve(v.pk.size() + v.digest.size() + 24);
  bytes.append(v.pk);
  bytes.push_back('\0');
  bytes.append(std::to_string(v.updated_at_ms));
  bytes.push_back('\0');
  bytes.append(v.digest);
  return Xxh64(bytes);
}

// True when `a` is the newer version.
bool Newer(const DocumentVersion& a, const DocumentVersion& b) {
  if (a.updated_at_ms != b.updated_at_ms) return a.updated_at_ms > b.updated_at_ms;
  return a.digest > b.digest;
}

}  // namespace

uint8_t BucketOf(std::string_view pk) { return static_cast<uint8_t>(Xxh64(pk, kBucketSeed) >> 56); }

void BucketDigests::Add(const DocumentVersion& version) {
  Bucket& b = buckets_[BucketOf(version.pk)];
  ++b.count;
  b.sum += VersionHash(version);  // wraps: unsigned
  ++documents_;
}

std::vector<uint8_t> BucketDigests::Differing(const std::vector<BucketDigests>& replicas) {
  std::vector<uint8_t> out;
  if (replicas.size() < 2) return out;
  for (size_t b = 0; b < kBucketCount; ++b) {
    for (size_t r = 1; r < replicas.size(); ++r) {
      if (replicas[r].buckets_[b] != replicas[0].buckets_[b]) {
        out.push_back(static_cast<uint8_t>(b));
        break;
      }
    }
  }
  return out;
}

DocumentRepair PlanRepair(const DocumentEvidence& evidence) {
  DocumentRepair repair;
  const DocumentVersion* newest = nullptr;
  for (size_t r = 0; r < evidence.replicas.size(); ++r) {
    const auto& held = evidence.replicas[r];
    if (held && (!newest || Newer(*held, *newest))) {
      newest = &*held;
      repair.source = r;
    }
  }
  if (!newest) return repair;  // held nowhere: nothing to do
  if (evidence.deleted_at_ms && *evidence.deleted_at_ms >= newest->updated_at_ms) {
    for (size_t r = 0; r < evidence.replicas.size(); ++r) {
      if (evidence.replicas[r]) repair.targets.push_back(r);
    }
    repair.action = DocumentRepair::Action::kDelete;
    repair.tombstone_won = true;
    repair.source = 0;
    return repair;
  }
  for (size_t r = 0; r < evidence.replicas.size(); ++r) {
    const auto& held = evidence.replicas[r];
    if (!held || *held != *newest) repair.targets.push_back(r);
  }
  if (!repair.targets.empty()) repair.action = DocumentRepair::Action::kCopy;
  return repair;
}

}  // namespace miroir::antientropy
