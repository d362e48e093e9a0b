#include "miroir/core/primary_key.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace miroir::pk {
namespace {

constexpr std::string_view kRules =
    " is invalid. A document identifier can be of type integer or string, only composed of "
    "alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more "
    "than 511 bytes.";

TEST(PrimaryKeyInference, SingleCandidateWins) {
  auto r = Infer({"title", "id", "desc"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "id");
  EXPECT_EQ(Infer({"primary_id", "title", "desc"}).value(), "primary_id");
}

TEST(PrimaryKeyInference, MatchIsACaseInsensitiveSuffixNotASubstring) {
  EXPECT_EQ(Infer({"title", "userID"}).value(), "userID");
  EXPECT_EQ(Infer({"Id"}).value(), "Id");
  // Any name ending in "id" counts, even when it is not an identifier.
  EXPECT_EQ(Infer({"paid", "title"}).value(), "paid");
  EXPECT_EQ(Infer({"android", "name"}).value(), "android");
  EXPECT_EQ(Infer({"identity", "idx", "i_d"}).error().code,
            ErrorCode::kIndexPrimaryKeyNoCandidateFound);
}

TEST(PrimaryKeyInference, NoCandidateIsMeilisearchsError) {
  auto r = Infer({"title", "desc"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIndexPrimaryKeyNoCandidateFound);
  EXPECT_EQ(r.error().code_name(), "index_primary_key_no_candidate_found");
  EXPECT_EQ(r.error().message,
            "The primary key inference failed as the engine did not find any field ending with "
            "`id` in its name. Please specify the primary key manually using the `primaryKey` "
            "query parameter.");
  // An empty batch (no first document) has no candidate either.
  EXPECT_EQ(Infer({}).error().code, ErrorCode::kIndexPrimaryKeyNoCandidateFound);
}

TEST(PrimaryKeyInference, ManyCandidatesReportCountAndFirstTwoInByteOrder) {
  auto r = Infer({"primary_id", "object_id", "id", "title", "desc"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIndexPrimaryKeyMultipleCandidatesFound);
  EXPECT_EQ(r.error().message,
            "The primary key inference failed as the engine found 3 fields ending with `id` in "
            "their names: 'id' and 'object_id'. Please specify the primary key manually using the "
            "`primaryKey` query parameter.");
  // Byte order puts upper case before lower case.
  EXPECT_NE(Infer({"b_id", "a_id", "Z_id"}).error().message.find("found 3 fields ending with "
                                                                  "`id` in their names: 'Z_id' "
                                                                  "and 'a_id'"),
            std::string::npos);
}

TEST(PrimaryKeyInference, RepeatedFieldNamesCountOnce) {
  EXPECT_EQ(Infer({"id", "id", "title"}).value(), "id");
}

TEST(DocumentIdValidation, AcceptsAsciiLettersDigitsDashAndUnderscore) {
  EXPECT_TRUE(ValidateStringId("abc-DEF_123").has_value());
  EXPECT_TRUE(ValidateStringId("0").has_value());
  EXPECT_TRUE(ValidateStringId("-").has_value());
}

TEST(DocumentIdValidation, LengthLimitIs511Bytes) {
  EXPECT_TRUE(ValidateStringId(std::string(511, 'a')).has_value());
  const std::string too_long(512, 'a');
  auto r = ValidateStringId(too_long);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidDocumentId);
  EXPECT_EQ(r.error().message, "Document identifier `\"" + too_long + "\"`" + std::string(kRules));
}

TEST(DocumentIdValidation, RejectsEmptyPunctuationSpacesDotsAndNonAscii) {
  for (std::string_view id : {"", "foo & bar", "a.b", "a/b", "a b", "café", "a:b", "a+b"}) {
    auto r = ValidateStringId(id);
    ASSERT_FALSE(r.has_value()) << id;
    EXPECT_EQ(r.error().code_name(), "invalid_document_id");
    EXPECT_EQ(r.error().status, 400u);
  }
  EXPECT_EQ(ValidateStringId("foo & bar").error().message,
            "Document identifier `\"foo & bar\"`" + std::string(kRules));
}

TEST(DocumentIdValidation, MessageQuotesTheIdAsJson) {
  EXPECT_EQ(ValidateStringId("a\"b\\c\n").error().message,
            "Document identifier `\"a\\\"b\\\\c\\n\"`" + std::string(kRules));
  EXPECT_EQ(ValidateStringId(std::string("\x01", 1)).error().message,
            "Document identifier `\"\\u0001\"`" + std::string(kRules));
}

TEST(CanonicalIds, IntegersPrintInDecimalSoTheyMatchStringIds) {
  EXPECT_EQ(CanonicalId(std::int64_t{1}), "1");
  EXPECT_EQ(CanonicalId(std::int64_t{-42}), "-42");
  EXPECT_EQ(CanonicalId(std::uint64_t{0}), "0");
  EXPECT_EQ(CanonicalId(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(CanonicalId(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  // A canonical integer id is itself a valid string id (or its negative).
  EXPECT_TRUE(ValidateStringId(CanonicalId(std::uint64_t{12345})).has_value());
  EXPECT_TRUE(ValidateStringId(CanonicalId(std::int64_t{-7})).has_value());
}

TEST(DocumentIdErrors, NonIntegerNumbersAndOtherTypes) {
  for (std::string_view json : {"1.5", "true", "null", "[\"doggo\"]", "{\"a\":1}"}) {
    const Error e = InvalidIdError(json);
    EXPECT_EQ(e.code, ErrorCode::kInvalidDocumentId);
    EXPECT_EQ(e.message, "Document identifier `" + std::string(json) + "`" + std::string(kRules));
  }
}

TEST(DocumentIdErrors, MissingIdNamesTheKeyAndShowsTheDocument) {
  const Error e = MissingIdError("docid", R"({"id":"11","content":"foobar"})");
  EXPECT_EQ(e.code, ErrorCode::kMissingDocumentId);
  EXPECT_EQ(e.code_name(), "missing_document_id");
  EXPECT_EQ(e.message,
            R"(Document doesn't have a `docid` attribute: `{"id":"11","content":"foobar"}`.)");
}

TEST(DocumentIdErrors, NestedKeyMatchingTwiceIsAnInvalidId) {
  const Error e = TooManyIdsError("a.b", R"({"a":{"b":1},"a.b":2})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidDocumentId);
  EXPECT_EQ(e.message,
            R"(Document have too many matching `a.b` attribute: `{"a":{"b":1},"a.b":2}`.)");
}

}  // namespace
}  // namespace miroir::pk
