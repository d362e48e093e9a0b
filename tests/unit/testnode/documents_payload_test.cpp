#include "documents_payload.hpp"

#include <gtest/gtest.h>

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

TEST(DocumentsPayload, JsonArrayKeepsFieldOrder) {
  auto docs = ParseDocumentsPayload("application/json", R"([{"z":1,"a":2},{"id":"x"}])");
  ASSERT_TRUE(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].dump(), R"({"z":1,"a":2})");
}

TEST(DocumentsPayload, JsonSingleObjectIsOneDocument) {
  auto docs = ParseDocumentsPayload("application/json; charset=utf-8", R"({"id":1})");
  ASSERT_TRUE(docs);
  EXPECT_EQ(docs->size(), 1u);
}

TEST(DocumentsPayload, JsonSyntaxErrorsUseSerdeWording) {
  auto docs = ParseDocumentsPayload("application/json", R"([{"id": 1}, {id: 2}])");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code, ErrorCode::kMalformedPayload);
  EXPECT_EQ(docs.error().message,
            "The `json` payload provided is malformed. `Couldn't serialize document value: key "
            "must be a string at line 1 column 14`.");
  auto eof = ParseDocumentsPayload("application/json", R"({"malormed": "payload")");
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().message,
            "The `json` payload provided is malformed. `Couldn't serialize document value: EOF "
            "while parsing an object at line 1 column 22`.");
}

TEST(DocumentsPayload, JsonNonObjectsAreRefused) {
  auto docs = ParseDocumentsPayload("application/json", R"("doggo")");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().message,
            "The `json` payload provided is malformed. `Couldn't serialize document value: data "
            "are neither an object nor a list of objects`.");
}

TEST(DocumentsPayload, EmptyBodyIsMissingPayload) {
  auto json = ParseDocumentsPayload("application/json", "");
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().code, ErrorCode::kMissingPayload);
  EXPECT_EQ(json.error().message, "A json payload is missing.");
  auto csv = ParseDocumentsPayload("text/csv", "");
  ASSERT_FALSE(csv);
  EXPECT_EQ(csv.error().message, "A csv payload is missing.");
  auto ndjson = ParseDocumentsPayload("application/x-ndjson", "");
  ASSERT_FALSE(ndjson);
  EXPECT_EQ(ndjson.error().message, "A ndjson payload is missing.");
}

TEST(DocumentsPayload, ContentTypeErrors) {
  auto missing = ParseDocumentsPayload(std::nullopt, "{}", std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kMissingContentType);
  EXPECT_EQ(missing.error().status, 415u);
  EXPECT_EQ(missing.error().message,
            "A Content-Type header is missing. Accepted values for the Content-Type header are: "
            "`application/json`, `application/x-ndjson`, `text/csv`");
  auto invalid = ParseDocumentsPayload(std::string_view("text/plain"), "{}", std::nullopt);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidContentType);
  EXPECT_EQ(invalid.error().message,
            "The Content-Type `text/plain` is invalid. Accepted values for the Content-Type "
            "header are: `application/json`, `application/x-ndjson`, `text/csv`");
  auto garbage = ParseDocumentsPayload(std::string_view("doggo"), "{}", std::nullopt);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message,
            "The Content-Type `doggo` is invalid. Accepted values for the Content-Type header "
            "are: `application/json`, `application/x-ndjson`, `text/csv`");
  auto delimiter = ParseDocumentsPayload(std::string_view("application/json"), "{}",
                                         std::optional<char>(';'));
  ASSERT_FALSE(delimiter);
  EXPECT_EQ(delimiter.error().code, ErrorCode::kInvalidContentType);
  EXPECT_EQ(delimiter.error().message,
            "The Content-Type `application/json` does not support the use of a csv delimiter. "
            "The csv delimiter can only be used with the Content-Type `text/csv`.");
}

TEST(DocumentsPayload, Ndjson) {
  auto docs = ParseDocumentsPayload("application/x-ndjson", "{\"id\":1}\n\n{\"id\":2}\n");
  ASSERT_TRUE(docs);
  EXPECT_EQ(docs->size(), 2u);
  auto bad = ParseDocumentsPayload("application/x-ndjson", "{\"id\": 1}\n{id: 2}");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "The `ndjson` payload provided is malformed. `Couldn't serialize document value: key "
            "must be a string at line 2 column 2`.");
}

TEST(DocumentsPayload, CsvTypedColumns) {
  auto docs = ParseDocumentsPayload(
      "text/csv", "id,price:number,ok:boolean,title:string,note\n1,3.5,true,Hello,\n2,,,,x\n");
  ASSERT_TRUE(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].dump(), R"({"id":"1","price":3.5,"ok":true,"title":"Hello","note":null})");
  EXPECT_EQ((*docs)[1].dump(), R"({"id":"2","price":null,"ok":null,"title":null,"note":"x"})");
}

TEST(DocumentsPayload, CsvDelimiterAndErrors) {
  auto docs = ParseDocumentsPayload("text/csv", "id;n:number\n1;42\n", ';');
  ASSERT_TRUE(docs);
  EXPECT_EQ((*docs)[0]["n"], 42);
  auto bad = ParseDocumentsPayload("text/csv", "id,n:number\n1,doggo\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "The `csv` payload provided is malformed: `Error parsing number \"doggo\" at line 1: "
            "invalid float literal`.");
  auto boolean = ParseDocumentsPayload("text/csv", "id,b:boolean\n1,doggo\n");
  ASSERT_FALSE(boolean);
  EXPECT_EQ(boolean.error().message,
            "The `csv` payload provided is malformed: `Error parsing boolean \"doggo\" at line 1: "
            "provided string was not `true` or `false``.");
}

}  // namespace
}  // namespace miroir::testnode
