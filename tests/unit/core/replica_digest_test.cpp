#include "miroir/core/replica_digest.hpp"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

namespace miroir::antientropy {
namespace {

using Action = DocumentRepair::Action;

DocumentVersion V(std::string pk, int64_t at, std::string digest = "d") {
  return DocumentVersion{std::move(pk), at, std::move(digest)};
}

TEST(BucketDigestsTest, OrderOfListingDoesNotMatter) {
  std::vector<DocumentVersion> docs;
  for (int i = 0; i < 500; ++i) docs.push_back(V("doc-" + std::to_string(i), 1000 + i));
  BucketDigests a;
  for (const auto& d : docs) a.Add(d);
  std::shuffle(docs.begin(), docs.end(), std::mt19937(7));
  BucketDigests b;
  for (const auto& d : docs) b.Add(d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.documents(), 500u);
  EXPECT_TRUE(BucketDigests::Differing({a, b}).empty());
}

TEST(BucketDigestsTest, EachKindOfDriftShowsInExactlyTheDocumentsBucket) {
  std::vector<DocumentVersion> docs;
  for (int i = 0; i < 300; ++i) docs.push_back(V(std::to_string(i), 5));
  BucketDigests clean;
  for (const auto& d : docs) clean.Add(d);

  auto drifted = [&](auto&& edit) {
    auto copy = docs;
    edit(copy);
    BucketDigests out;
    for (const auto& d : copy) out.Add(d);
    return BucketDigests::Differing({clean, out});
  };
  const std::vector<uint8_t> bucket_of_42{BucketOf("42")};
  // Missing, stale time, other digest, extra document.
  EXPECT_EQ(drifted([](auto& c) { c.erase(c.begin() + 42); }), bucket_of_42);
  EXPECT_EQ(drifted([](auto& c) { c[42].updated_at_ms = 4; }), bucket_of_42);
  EXPECT_EQ(drifted([](auto& c) { c[42].digest = "other"; }), bucket_of_42);
  EXPECT_EQ(drifted([](auto& c) { c.push_back(V("extra", 5)); }),
            std::vector<uint8_t>{BucketOf("extra")});
}

TEST(BucketDigestsTest, SeparatorsKeepNeighbouringFieldsApart) {
  BucketDigests a, b;
  a.Add(V("a", 11, "x"));
  b.Add(V("a", 1, "1x"));
  EXPECT_FALSE(a == b);
}

TEST(BucketDigestsTest, ThreeReplicasReportABucketWhereOnlyOneDiffers) {
  BucketDigests a, b, c;
  for (auto* r : {&a, &b, &c}) r->Add(V("same", 1));
  c.Add(V("only-on-c", 1));
  EXPECT_EQ(BucketDigests::Differing({a, b, c}), std::vector<uint8_t>{BucketOf("only-on-c")});
  EXPECT_TRUE(BucketDigests::Differing({a}).empty());
}

TEST(BucketDigestsTest, KeysSpreadOverAllBuckets) {
  std::vector<int> seen(kBucketCount, 0);
  for (int i = 0; i < 20000; ++i) ++seen[BucketOf(std::to_string(i))];
  for (size_t b = 0; b < kBucketCount; ++b) EXPECT_GT(seen[b], 30) << "bucket " << b;
}

TEST(PlanRepairTest, MissingDocumentIsCopiedFromAHolder) {
  DocumentEvidence e{{V("1", 10), std::nullopt, V("1", 10)}, std::nullopt};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.action, Action::kCopy);
  EXPECT_TRUE(r.source == 0 || r.source == 2);
  EXPECT_EQ(r.targets, std::vector<size_t>{1});
}

TEST(PlanRepairTest, NewestVersionWinsOverStaleOnes) {
  DocumentEvidence e{{V("1", 10, "old"), V("1", 20, "new"), V("1", 10, "old")}, std::nullopt};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.action, Action::kCopy);
  EXPECT_EQ(r.source, 1u);
  EXPECT_EQ(r.targets, (std::vector<size_t>{0, 2}));
}

TEST(PlanRepairTest, EqualTimesPickTheLargerDigestEverywhere) {
  DocumentEvidence e{{V("1", 10, "a"), V("1", 10, "b")}, std::nullopt};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.source, 1u);
  EXPECT_EQ(r.targets, std::vector<size_t>{0});
  // The same answer whatever the replica order.
  DocumentEvidence swapped{{V("1", 10, "b"), V("1", 10, "a")}, std::nullopt};
  EXPECT_EQ(PlanRepair(swapped).source, 0u);
}

TEST(PlanRepairTest, ANewerTombstoneDeletesEveryCopy) {
  DocumentEvidence e{{V("1", 10), std::nullopt, V("1", 5)}, 11};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.action, Action::kDelete);
  EXPECT_TRUE(r.tombstone_won);
  EXPECT_EQ(r.targets, (std::vector<size_t>{0, 2}));
}

TEST(PlanRepairTest, ATombstoneAtTheSameMillisecondStillWins) {
  DocumentEvidence e{{V("1", 10), std::nullopt}, 10};
  EXPECT_EQ(PlanRepair(e).action, Action::kDelete);
}

TEST(PlanRepairTest, AWriteAfterTheDeleteBringsTheDocumentBack) {
  DocumentEvidence e{{V("1", 30), std::nullopt}, 20};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.action, Action::kCopy);
  EXPECT_EQ(r.targets, std::vector<size_t>{1});
}

TEST(PlanRepairTest, DocumentsFromBeforeAntiEntropyCountAsTimeZero) {
  DocumentEvidence e{{V("1", 0, ""), V("1", 7, "x")}, std::nullopt};
  auto r = PlanRepair(e);
  EXPECT_EQ(r.source, 1u);
  EXPECT_EQ(r.targets, std::vector<size_t>{0});
  DocumentEvidence deleted{{V("1", 0, ""), std::nullopt}, 1};
  EXPECT_EQ(PlanRepair(deleted).action, Action::kDelete);
}

TEST(PlanRepairTest, AgreementOrAbsenceNeedsNothing) {
  EXPECT_EQ(PlanRepair({{V("1", 3), V("1", 3)}, std::nullopt}).action, Action::kNone);
  EXPECT_EQ(PlanRepair({{std::nullopt, std::nullopt}, 9}).action, Action::kNone);
}

}  // namespace
}  // namespace miroir::antientropy
