#include "miroir/core/document_batch.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "miroir/core/csv.hpp"
#include "miroir/core/hash.hpp"
#include "miroir/core/primary_key.hpp"

namespace miroir {
namespace {

using OJson = nlohmann::ordered_json;

constexpr uint32_t kShards = 64;

constexpr std::string_view kIdRules =
    " is invalid. A document identifier can be of type integer or string, only composed of "
    "alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more "
    "than 511 bytes.";

ShardedDocuments Split(std::string_view payload, PayloadFormat format = PayloadFormat::kJson,
                       std::optional<std::string> pk = std::string("id"),
                       uint32_t shards = kShards, StampOptions stamp = {}, char delimiter = ',') {
  Result<ShardedDocuments> r = ShardDocuments(payload, format, delimiter, pk, shards, stamp);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? std::move(*r) : ShardedDocuments();
}

Error RequestError(std::string_view payload, PayloadFormat format = PayloadFormat::kJson,
                   std::optional<std::string> pk = std::string("id"), char delimiter = ',') {
  Result<ShardedDocuments> r = ShardDocuments(payload, format, delimiter, pk, kShards, {});
  EXPECT_FALSE(r.has_value()) << "payload was accepted: " << payload;
  return r ? Error() : r.error();
}

Error TaskError(std::string_view payload, PayloadFormat format = PayloadFormat::kJson,
                std::optional<std::string> pk = std::string("id"), char delimiter = ',') {
  ShardedDocuments docs = Split(payload, format, pk, kShards, {}, delimiter);
  EXPECT_TRUE(docs.task_error().has_value()) << "no task error for: " << payload;
  EXPECT_TRUE(docs.shards().empty());
  return docs.task_error().value_or(Error());
}

std::string JsonMalformed(std::string_view detail, std::string_view format = "json") {
  return "The `" + std::string(format) +
         "` payload provided is malformed. `Couldn't serialize document value: " +
         std::string(detail) + "`.";
}

// Every routed document of a JSON or NDJSON split, with the shard it sits in.
std::vector<std::pair<uint32_t, OJson>> AllDocuments(const ShardedDocuments& docs) {
  std::vector<std::pair<uint32_t, OJson>> out;
  for (uint32_t shard : docs.shards()) {
    const std::string body = docs.BuildBody({shard});
    if (docs.format() == PayloadFormat::kJson) {
      for (auto& doc : OJson::parse(body)) out.emplace_back(shard, doc);
    } else {
      // Documents keep their own bytes, line breaks included, so split where
      // a spliced document starts.
      const std::string start = "\n{\"_miroir_shard\":";
      size_t begin = 0;
      while (begin < body.size()) {
        const size_t end = body.find(start, begin);
        out.emplace_back(shard, OJson::parse(body.substr(begin, end - begin)));
        begin = end == std::string::npos ? body.size() : end + 1;
      }
    }
  }
  return out;
}

std::string CanonicalOf(const OJson& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_unsigned()) return pk::CanonicalId(id.get<uint64_t>());
  return pk::CanonicalId(id.get<int64_t>());
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// --- Routing ---------------------------------------------------------------

TEST(ShardDocumentsRouting, EachDocumentLandsOnTheShardOfItsCanonicalId) {
  OJson payload = OJson::array();
  for (int i = 0; i < 300; ++i) {
    OJson doc;
    if (i % 3 == 0) {
      doc["id"] = i;
    } else if (i % 3 == 1) {
      doc["id"] = "doc-" + std::to_string(i);
    } else {
      doc["id"] = -i;
    }
    doc["title"] = "title " + std::to_string(i);
    payload.push_back(doc);
  }
  ShardedDocuments docs = Split(payload.dump());
  EXPECT_EQ(docs.document_count(), 300u);
  EXPECT_EQ(docs.primary_key(), "id");
  EXPECT_FALSE(docs.primary_key_inferred());
  EXPECT_FALSE(docs.task_error().has_value());

  size_t total = 0;
  for (uint32_t shard : docs.shards()) total += docs.CountFor(shard);
  EXPECT_EQ(total, 300u);

  auto all = AllDocuments(docs);
  ASSERT_EQ(all.size(), 300u);
  for (const auto& [shard, doc] : all) {
    EXPECT_EQ(doc["_miroir_shard"], shard);
    EXPECT_EQ(shard, ShardOf(CanonicalOf(doc["id"]), kShards)) << doc.dump();
  }
  // shards() is ascending and lists only shards with documents.
  std::vector<uint32_t> present = docs.shards();
  EXPECT_TRUE(std::is_sorted(present.begin(), present.end()));
  for (uint32_t s = 0; s < kShards; ++s) {
    const bool listed = std::find(present.begin(), present.end(), s) != present.end();
    EXPECT_EQ(listed, docs.CountFor(s) > 0);
  }
  EXPECT_EQ(docs.CountFor(kShards), 0u);
}

TEST(ShardDocumentsRouting, IntegerAndStringIdsOfTheSameValueShareAShard) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"1", pk::CanonicalId(int64_t{1})},
      {"18446744073709551615", pk::CanonicalId(UINT64_MAX)},
      {"-9223372036854775808", pk::CanonicalId(INT64_MIN)},
      {"0", pk::CanonicalId(uint64_t{0})},
  };
  for (const auto& [text, canonical] : pairs) {
    ShardedDocuments as_int = Split("[{\"id\":" + text + "}]");
    ShardedDocuments as_string = Split("[{\"id\":\"" + text + "\"}]");
    const std::vector<uint32_t> expected = {ShardOf(canonical, kShards)};
    EXPECT_EQ(as_int.shards(), expected) << text;
    EXPECT_EQ(as_string.shards(), expected) << text;
  }
}

TEST(ShardDocumentsRouting, DocumentsKeepInputOrderWithinAShard) {
  OJson payload = OJson::array();
  for (int i = 0; i < 200; ++i) payload.push_back({{"id", i}, {"seq", i}});
  ShardedDocuments docs = Split(payload.dump(), PayloadFormat::kJson, "id", 4);
  for (uint32_t shard : docs.shards()) {
    int last = -1;
    for (const auto& doc : OJson::parse(docs.BuildBody({shard}))) {
      EXPECT_GT(doc["seq"].get<int>(), last);
      last = doc["seq"].get<int>();
    }
  }
}

TEST(ShardDocumentsRouting, InfersThePrimaryKeyFromTheFirstDocument) {
  ShardedDocuments docs = Split(R"([{"title":"a","userId":5},{"userId":"x","title":"b"}])",
                                PayloadFormat::kJson, std::nullopt);
  EXPECT_EQ(docs.primary_key(), "userId");
  EXPECT_TRUE(docs.primary_key_inferred());
  ASSERT_FALSE(docs.task_error().has_value());
  for (const auto& [shard, doc] : AllDocuments(docs)) {
    EXPECT_EQ(shard, ShardOf(CanonicalOf(doc["userId"]), kShards));
  }
}

TEST(ShardDocumentsRouting, NestedPrimaryKeyFollowsMeilisearchPaths) {
  // `a.b` may be written nested or flattened, at any split point.
  ShardedDocuments docs = Split(
      R"([{"a":{"b":"x1"}},{"a.b":"x2"},{"a":{"c":1,"b":3}},{"a":5,"a.b":"x4"},)"
      R"({"a":{"b":{"c":1}},"z":1}])",
      PayloadFormat::kJson, "a.b.c");
  // With `a.b.c`, only the last document has an id; the others miss it.
  ASSERT_TRUE(docs.task_error().has_value());
  EXPECT_EQ(docs.task_error()->code, ErrorCode::kMissingDocumentId);

  docs = Split(R"([{"a":{"b":"x1"}},{"a.b":"x2"},{"a":{"c":1,"b":3}},{"a":5,"a.b":"x4"}])",
               PayloadFormat::kJson, "a.b");
  ASSERT_FALSE(docs.task_error().has_value()) << docs.task_error()->message;
  std::map<std::string, uint32_t> shard_of;
  for (const auto& [shard, doc] : AllDocuments(docs)) {
    const OJson& id = doc.contains("a.b") ? doc["a.b"] : doc["a"]["b"];
    EXPECT_EQ(shard, ShardOf(CanonicalOf(id), kShards)) << doc.dump();
  }
  EXPECT_EQ(docs.document_count(), 4u);

  // Two matches of the path are too many.
  Error e = TaskError(R"([{"a":{"b":1},"a.b":2}])", PayloadFormat::kJson, "a.b");
  EXPECT_EQ(e.code, ErrorCode::kInvalidDocumentId);
  EXPECT_EQ(e.message,
            R"(Document have too many matching `a.b` attribute: `{"a":{"b":1},"a.b":2}`.)");
}

// --- Splicing --------------------------------------------------------------

TEST(ShardDocumentsSplicing, OutputIsTheInputBytesWithTheReservedFieldAfterTheBrace) {
  const std::string doc =
      "{ \"id\" : \"d1\",\n  \"nested\": {\"a\": [1, 2.5e3, {\"b\": null}], \"c\": true},\n"
      "  \"esc\": \"q\\\"uote \\\\ \\n \\u00e9 \\ud83d\\ude00\",\n"
      "  \"utf8\": \"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\", \"z\": -0.0 }";
  ShardedDocuments docs = Split("[" + doc + "]");
  ASSERT_EQ(docs.shards().size(), 1u);
  const uint32_t shard = docs.shards()[0];
  const std::string body = docs.BuildBody({shard});
  const std::string expected =
      "[{\"_miroir_shard\":" + std::to_string(shard) + "," + doc.substr(1) + "]";
  EXPECT_EQ(body, expected);

  // It parses, keeps the key order, and equals the input plus the field.
  OJson out = OJson::parse(body)[0];
  OJson in = OJson::parse(doc);
  std::vector<std::string> keys;
  for (auto& [key, value] : out.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"_miroir_shard", "id", "nested", "esc", "utf8", "z"}));
  out.erase("_miroir_shard");
  EXPECT_EQ(out, in);
  EXPECT_EQ(OJson::parse(body)[0]["esc"], "q\"uote \\ \n \xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(ShardDocumentsSplicing, SingleObjectPayloadIsOneDocument) {
  ShardedDocuments docs = Split(R"(  {"id":7,"a":{"b":[]}}  )");
  EXPECT_EQ(docs.document_count(), 1u);
  const uint32_t shard = ShardOf("7", kShards);
  ASSERT_EQ(docs.shards(), std::vector<uint32_t>{shard});
  EXPECT_EQ(docs.BuildBody({shard}),
            "[{\"_miroir_shard\":" + std::to_string(shard) + R"(,"id":7,"a":{"b":[]}}])");
}

TEST(ShardDocumentsSplicing, EmptyObjectsHaveNoIdAndAreNeverRouted) {
  Error e = TaskError("[{\"id\":1},{ }]");
  EXPECT_EQ(e.code, ErrorCode::kMissingDocumentId);
  EXPECT_EQ(e.message, "Document doesn't have a `id` attribute: `{}`.");
  // Without a primary key, an empty first document has no candidate.
  e = TaskError("[{}]", PayloadFormat::kJson, std::nullopt);
  EXPECT_EQ(e.code, ErrorCode::kIndexPrimaryKeyNoCandidateFound);
}

TEST(ShardDocumentsSplicing, NdjsonSkipsBlankLinesAndAcceptsWhitespaceSeparatedObjects) {
  const std::string payload =
      "\n{\"id\":1,\"t\":\"a\"}\r\n\r\n   \n{\"id\":2}{\"id\":3}\n{\n  \"id\": 4\n}\n\n";
  ShardedDocuments docs = Split(payload, PayloadFormat::kNdjson);
  EXPECT_EQ(docs.document_count(), 4u);
  EXPECT_EQ(docs.format(), PayloadFormat::kNdjson);
  auto all = AllDocuments(docs);
  ASSERT_EQ(all.size(), 4u);
  std::set<int> ids;
  for (const auto& [shard, doc] : all) {
    EXPECT_EQ(shard, ShardOf(CanonicalOf(doc["id"]), kShards));
    ids.insert(doc["id"].get<int>());
  }
  EXPECT_EQ(ids, (std::set<int>{1, 2, 3, 4}));
  // One document per line, each line ending with '\n'.
  const std::string body = docs.BuildBody(docs.shards());
  EXPECT_EQ(body.back(), '\n');
  const uint32_t s1 = ShardOf("1", kShards);
  EXPECT_EQ(docs.BuildBody({s1}).substr(0, docs.BuildBody({s1}).find('\n') + 1),
            "{\"_miroir_shard\":" + std::to_string(s1) + ",\"id\":1,\"t\":\"a\"}\n");
}

TEST(ShardDocumentsSplicing, ZeroDocumentsIsAValidEmptyBatch) {
  for (auto [payload, format] :
       std::vector<std::pair<std::string, PayloadFormat>>{{"[]", PayloadFormat::kJson},
                                                          {" [ ] trailing", PayloadFormat::kJson},
                                                          {"\n \n", PayloadFormat::kNdjson},
                                                          {"id,name\n", PayloadFormat::kCsv},
                                                          {"\n\n", PayloadFormat::kCsv}}) {
    ShardedDocuments docs = Split(payload, format, std::nullopt);
    EXPECT_EQ(docs.document_count(), 0u) << payload;
    EXPECT_TRUE(docs.shards().empty());
    EXPECT_FALSE(docs.task_error().has_value());
    EXPECT_EQ(docs.primary_key(), "");
  }
  EXPECT_EQ(Split("[]").BuildBody({}), "[]");
}

// --- CSV -------------------------------------------------------------------

std::vector<std::vector<std::string>> ReadCsv(std::string_view text, char delimiter = ',') {
  std::vector<std::vector<std::string>> rows;
  csv::Reader reader(text, delimiter);
  csv::Record record;
  while (reader.Next(record)) {
    std::vector<std::string> row;
    for (const auto& field : record.fields) row.push_back(field.text);
    rows.push_back(row);
  }
  EXPECT_FALSE(reader.error().has_value());
  return rows;
}

TEST(ShardDocumentsCsv, AppendsTypedColumnsAndKeepsQuotingAndDelimiter) {
  const std::string payload =
      "\xEF\xBB\xBFid;title:string;price:number;\"note;x\"\r\n"
      "1;\"Le \"\"Grand\"\" Bleu\";9.5;\"multi\nline;with delimiter\"\r\n"
      "abc;plain;;\r\n";
  ShardedDocuments docs = Split(payload, PayloadFormat::kCsv, "id", kShards, {}, ';');
  ASSERT_FALSE(docs.task_error().has_value()) << docs.task_error()->message;
  EXPECT_EQ(docs.document_count(), 2u);
  EXPECT_EQ(docs.csv_delimiter(), ';');
  const uint32_t s1 = ShardOf("1", kShards);
  const uint32_t s2 = ShardOf("abc", kShards);
  const std::string body = docs.BuildBody(docs.shards());
  // The header loses its byte-order mark and gains the typed shard column.
  EXPECT_EQ(body.substr(0, body.find('\n')),
            "id;title:string;price:number;\"note;x\";_miroir_shard:number");
  auto rows = ReadCsv(body, ';');
  ASSERT_EQ(rows.size(), 3u);
  std::map<std::string, std::vector<std::string>> by_id;
  for (size_t i = 1; i < rows.size(); ++i) by_id[rows[i][0]] = rows[i];
  EXPECT_EQ(by_id["1"], (std::vector<std::string>{"1", "Le \"Grand\" Bleu", "9.5",
                                                  "multi\nline;with delimiter",
                                                  std::to_string(s1)}));
  EXPECT_EQ(by_id["abc"], (std::vector<std::string>{"abc", "plain", "", "", std::to_string(s2)}));
  // Records are copied byte for byte.
  EXPECT_NE(docs.BuildBody({s1}).find("1;\"Le \"\"Grand\"\" Bleu\";9.5;\"multi\nline;with "
                                      "delimiter\";" + std::to_string(s1) + "\n"),
            std::string::npos);
}

TEST(ShardDocumentsCsv, NumberIdsRouteLikeJsonIntegers) {
  ShardedDocuments docs = Split("id:number,name\n 42 ,a\n", PayloadFormat::kCsv);
  ASSERT_FALSE(docs.task_error().has_value());
  EXPECT_EQ(docs.shards(), std::vector<uint32_t>{ShardOf("42", kShards)});
  // Meilisearch turns these cells into floats, booleans or null.
  EXPECT_EQ(TaskError("id:number,name\n1.5,a\n", PayloadFormat::kCsv).message,
            "Document identifier `1.5`" + std::string(kIdRules));
  EXPECT_EQ(TaskError("id:number,name\n,a\n", PayloadFormat::kCsv).message,
            "Document identifier `null`" + std::string(kIdRules));
  EXPECT_EQ(TaskError("id,name\n,a\n", PayloadFormat::kCsv).message,
            "Document identifier `null`" + std::string(kIdRules));
  EXPECT_EQ(TaskError("id:boolean,name\ntrue,a\n", PayloadFormat::kCsv).message,
            "Document identifier `true`" + std::string(kIdRules));
  EXPECT_EQ(TaskError("id,name\nfoo & bar,a\n", PayloadFormat::kCsv).message,
            "Document identifier `\"foo & bar\"`" + std::string(kIdRules));
}

TEST(ShardDocumentsCsv, InfersTheKeyFromTheHeaderAndReportsMissingIds) {
  ShardedDocuments docs = Split("name,bookId\na,7\n", PayloadFormat::kCsv, std::nullopt);
  EXPECT_EQ(docs.primary_key(), "bookId");
  EXPECT_TRUE(docs.primary_key_inferred());
  EXPECT_EQ(docs.shards(), std::vector<uint32_t>{ShardOf("7", kShards)});

  Error e = TaskError("name,price:number\na,1\n", PayloadFormat::kCsv, "id");
  EXPECT_EQ(e.code, ErrorCode::kMissingDocumentId);
  EXPECT_EQ(e.message, R"(Document doesn't have a `id` attribute: `{"name":"a","price":1}`.)");
}

TEST(ShardDocumentsCsv, UnterminatedQuoteAtTheEndIsClosedBeforeTheNewColumns) {
  ShardedDocuments docs = Split("id,name\n1,\"abc", PayloadFormat::kCsv);
  auto rows = ReadCsv(docs.BuildBody(docs.shards()));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1],
            (std::vector<std::string>{"1", "abc", std::to_string(ShardOf("1", kShards))}));
}

// Valid UTF-8 takes a fast scanner that must cut exactly the records and
// fields csv::Reader cuts: compare the bodies with ones built from the reader.
TEST(ShardDocumentsCsv, FastScannerCutsRecordsExactlyLikeTheReader) {
  std::mt19937 rng(7);
  int accepted = 0;
  int refused = 0;
  auto pick = [&](const std::vector<std::string>& options) {
    return options[rng() % options.size()];
  };
  for (int round = 0; round < 2000; ++round) {
    const char delimiter = ",;\t|"[rng() % 4];
    const std::string d(1, delimiter);
    const size_t width = 1 + rng() % 4;
    std::string payload = rng() % 5 == 0 ? "\xEF\xBB\xBF" : "";
    payload += rng() % 2 ? "id" : "\"id\"";
    for (size_t c = 1; c < width; ++c) {
      payload += d + pick({"a", "\"b\"\"q\"", "c:string", "\"x" + d + "y\""});
    }
    const size_t records = rng() % 8;
    const bool open_end = width > 1 && rng() % 8 == 0;  // the last field never closes its quote
    for (size_t r = 0; r < records; ++r) {
      payload += pick({"\n", "\r\n", "\r", "\n\n", "\r\n\r\n"});
      payload += pick({"id1", "\"id2\"", "\"i\"d3", "k" + std::to_string(rng() % 1000)});
      // Now and then a record of the wrong width.
      const size_t fields = rng() % 40 == 0 ? width + 1 : width;
      for (size_t c = 1; c < fields; ++c) {
        if (open_end && r + 1 == records && c + 1 == fields) {
          payload += d + "\"unterminated " + d + " tail\n";
          continue;
        }
        payload += d + pick({"", "plain", "caf\xc3\xa9", "\"quoted " + d + " and \n newline\"",
                             "\"dou\"\"bled\"", "\"ab\"cd", "ab\"c", "\"\"", "\" sp \""});
      }
    }
    if (!open_end && rng() % 2) payload += "\n";

    // The reference: csv::Reader's records, routed by hand.
    csv::Reader reader(payload, delimiter);
    csv::Record record;
    ASSERT_TRUE(reader.Next(record));
    std::string header(payload.substr(record.raw_begin, record.raw_end - record.raw_begin));
    std::map<uint32_t, std::string> expected;
    while (reader.Next(record)) {
      const uint32_t shard = ShardOf(record.fields[0].text, 8);
      const std::string_view raw =
          std::string_view(payload).substr(record.raw_begin, record.raw_end - record.raw_begin);
      const std::string_view last = std::string_view(payload).substr(
          record.fields.back().raw_begin,
          record.fields.back().raw_end - record.fields.back().raw_begin);
      const bool open_quote = record.raw_end == payload.size() && !last.empty() &&
                              last[0] == '"' && last.find('"', 1) == std::string_view::npos;
      expected[shard] += std::string(raw) + (open_quote ? "\"" : "") + d +
                         std::to_string(shard) + "\n";
    }
    Result<ShardedDocuments> docs = ShardDocuments(payload, PayloadFormat::kCsv, delimiter,
                                                   std::string("id"), 8, {});
    ++(reader.error() ? refused : accepted);
    if (reader.error()) {
      ASSERT_FALSE(docs.has_value()) << payload;
      EXPECT_EQ(docs.error().message, reader.error()->message);
      continue;
    }
    ASSERT_TRUE(docs.has_value()) << docs.error().message << "\n" << payload;
    ASSERT_FALSE(docs->task_error().has_value()) << docs->task_error()->message;
    std::vector<uint32_t> shards;
    for (const auto& [shard, body] : expected) shards.push_back(shard);
    EXPECT_EQ(docs->shards(), shards) << payload;
    for (const auto& [shard, body] : expected) {
      EXPECT_EQ(docs->BuildBody({shard}), header + d + "_miroir_shard:number\n" + body)
          << payload;
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 50);
}

TEST(ShardDocumentsCsv, InvalidUtf8IsTheReadersError) {
  Error e = RequestError("id,name\n1,caf\xc3\n", PayloadFormat::kCsv);
  EXPECT_EQ(e.code, ErrorCode::kMalformedPayload);
  csv::Reader reader("id,name\n1,caf\xc3\n");
  csv::Record record;
  while (reader.Next(record)) {
  }
  ASSERT_TRUE(reader.error().has_value());
  EXPECT_EQ(e.message, reader.error()->message);
}

TEST(ShardDocumentsCsv, MalformedRecordsAreRequestErrors) {
  Error e = RequestError("id,name\n1,a,b\n", PayloadFormat::kCsv);
  EXPECT_EQ(e.code, ErrorCode::kMalformedPayload);
  EXPECT_EQ(e.message,
            "The `csv` payload provided is malformed: `CSV error: record 1 (line: 2, byte: 8): "
            "found record with 3 fields, but the previous record has 2 fields`.");
  e = RequestError("id,price:number\n1,doggo\n", PayloadFormat::kCsv);
  EXPECT_EQ(e.message,
            "The `csv` payload provided is malformed: `Error parsing number \"doggo\" at line 1: "
            "invalid float literal`.");
  // A malformed record after an invalid id still wins: it is found before any task exists.
  e = RequestError("id,ok:boolean\nbad id,true\n2,maybe\n", PayloadFormat::kCsv);
  EXPECT_EQ(e.message,
            "The `csv` payload provided is malformed: `Error parsing boolean \"maybe\" at line "
            "2: provided string was not `true` or `false``.");
}

// --- Request errors --------------------------------------------------------

TEST(ShardDocumentsRequestErrors, EmptyBodyIsMissingPayload) {
  for (auto [format, name] : std::vector<std::pair<PayloadFormat, std::string>>{
           {PayloadFormat::kJson, "json"},
           {PayloadFormat::kNdjson, "ndjson"},
           {PayloadFormat::kCsv, "csv"}}) {
    Error e = RequestError("", format);
    EXPECT_EQ(e.code, ErrorCode::kMissingPayload);
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.message, "A " + name + " payload is missing.");
  }
}

struct MalformedCase {
  std::string payload;
  PayloadFormat format;
  std::string detail;
};

// Expected texts checked against serde_json 1.0.150 driven the way
// Meilisearch drives it (array elements and NDJSON values read raw, a lone
// object read as a Value).
TEST(ShardDocumentsRequestErrors, MalformedJsonGivesSerdeJsonsMessageAndPosition) {
  const std::vector<MalformedCase> cases = {
      {R"([{"id": 1}, {id: 2}])", PayloadFormat::kJson, "key must be a string at line 1 column 14"},
      {"{\"id\": 1}\n{id: 2}", PayloadFormat::kNdjson, "key must be a string at line 2 column 2"},
      {R"([{"id":1})", PayloadFormat::kJson, "EOF while parsing a list at line 1 column 9"},
      {R"([{"id":1)", PayloadFormat::kJson, "EOF while parsing an object at line 1 column 8"},
      {R"([{"id":"ab)", PayloadFormat::kJson, "EOF while parsing a string at line 1 column 10"},
      {R"([{"id":)", PayloadFormat::kJson, "EOF while parsing a value at line 1 column 7"},
      {"  ", PayloadFormat::kJson, "EOF while parsing a value at line 1 column 2"},
      {R"([{"id":1,}])", PayloadFormat::kJson, "key must be a string at line 1 column 10"},
      {R"({"id":1,})", PayloadFormat::kJson, "trailing comma at line 1 column 9"},
      {R"([{"id":1},])", PayloadFormat::kJson, "trailing comma at line 1 column 11"},
      {R"([{"id":[1,]}])", PayloadFormat::kJson, "expected value at line 1 column 11"},
      {R"({"id":[1,]})", PayloadFormat::kJson, "trailing comma at line 1 column 10"},
      {R"([{"id":1} {"id":2}])", PayloadFormat::kJson, "expected `,` or `]` at line 1 column 11"},
      {R"([{"id":1 "a":2}])", PayloadFormat::kJson, "expected `,` or `}` at line 1 column 10"},
      {R"([{"id" 1}])", PayloadFormat::kJson, "expected `:` at line 1 column 8"},
      {R"({"id":1} x)", PayloadFormat::kJson, "trailing characters at line 1 column 10"},
      {R"([{"id":01}])", PayloadFormat::kJson, "invalid number at line 1 column 9"},
      {R"([{"id":-}])", PayloadFormat::kJson, "invalid number at line 1 column 9"},
      {R"([{"id":1.}])", PayloadFormat::kJson, "invalid number at line 1 column 10"},
      {R"([{"id":1e}])", PayloadFormat::kJson, "invalid number at line 1 column 10"},
      {R"({"id":1e)", PayloadFormat::kJson, "EOF while parsing a value at line 1 column 8"},
      {R"({"id":1e999})", PayloadFormat::kJson, "number out of range at line 1 column 11"},
      {R"([{"id":tru}])", PayloadFormat::kJson, "expected ident at line 1 column 11"},
      {R"([{"id":nul)", PayloadFormat::kJson, "EOF while parsing a value at line 1 column 10"},
      {R"([{"id":"\x"}])", PayloadFormat::kJson, "invalid escape at line 1 column 10"},
      {R"([{"id":"\u12G4"}])", PayloadFormat::kJson, "invalid escape at line 1 column 14"},
      {"[{\"id\":\"a\tb\"}]", PayloadFormat::kJson,
       "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 9"},
      {"[\n  {\"id\": 1},\n  {\"id\" 2}\n]", PayloadFormat::kJson,
       "expected `:` at line 3 column 9"},
      {R"(x)", PayloadFormat::kJson, "expected value at line 1 column 1"},
      {R"([1, {"id":1}])", PayloadFormat::kJson, "trailing characters at line 1 column 5"},
      {R"([1,])", PayloadFormat::kJson, "trailing comma at line 1 column 4"},
      {"1x", PayloadFormat::kNdjson, "trailing characters at line 1 column 2"},
      {"{\"id\":1}\n{\"id\":2", PayloadFormat::kNdjson,
       "EOF while parsing an object at line 2 column 7"},
      // A lone object is read as a Value: strings are validated, numbers must fit an f64.
      {"{\"id\":1,\"t\":\"a\tb\"}", PayloadFormat::kJson,
       "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 15"},
      {R"({"id":1,"t":"\ud800"})", PayloadFormat::kJson,
       "unexpected end of hex escape at line 1 column 20"},
      {R"({"id":1,"t":"\udc00"})", PayloadFormat::kJson,
       "lone leading surrogate in hex escape at line 1 column 19"},
      {R"({"id":1,"t":"\ud800\u0041"})", PayloadFormat::kJson,
       "lone leading surrogate in hex escape at line 1 column 25"},
      {R"({"id":1,"n":123456e78901234567890})", PayloadFormat::kJson,
       "number out of range at line 1 column 29"},
      {R"({"id":1,"n":1.7976931348623159e308})", PayloadFormat::kJson,
       "number out of range at line 1 column 34"},
      // Meilisearch re-reads each raw document as a map: keys (and scalar
      // elements) are validated then, with positions inside the element...
      {R"([{"\ud800x":1}])", PayloadFormat::kJson,
       "unexpected end of hex escape at line 1 column 9"},
      {"{\"id\":1}\n{\"\\ud800\":2}", PayloadFormat::kNdjson,
       "unexpected end of hex escape at line 1 column 9"},
      {R"(["\ud800"])", PayloadFormat::kJson, "unexpected end of hex escape at line 1 column 8"},
      {R"([1e400])", PayloadFormat::kJson, "number out of range at line 1 column 5"},
      // ...and in an array, what follows the refused element may win.
      {R"([{"id":1,"\ud800x":1},{"id":2}])", PayloadFormat::kJson,
       "trailing characters at line 1 column 23"},
      // Not documents at all.
      {R"("kefir")", PayloadFormat::kJson, "data are neither an object nor a list of objects"},
      {R"([1])", PayloadFormat::kJson, "data are neither an object nor a list of objects"},
      {R"([{"id":1},"x"])", PayloadFormat::kJson,
       "data are neither an object nor a list of objects"},
      {"{\"id\":1}\n[]", PayloadFormat::kNdjson,
       "data are neither an object nor a list of objects"},
  };
  for (const MalformedCase& c : cases) {
    Error e = RequestError(c.payload, c.format);
    EXPECT_EQ(e.code, ErrorCode::kMalformedPayload) << c.payload;
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.message,
              JsonMalformed(c.detail, c.format == PayloadFormat::kJson ? "json" : "ndjson"))
        << c.payload;
  }
}

TEST(ShardDocumentsRequestErrors, InvalidUtf8InAStringIsMalformed) {
  // serde_json skips string bytes it does not keep, so Meilisearch would only
  // fail later, in the task; Miroir refuses it up front.
  EXPECT_EQ(RequestError("[{\"id\":1,\"t\":\"a\xff\"}]").message,
            JsonMalformed("invalid unicode code point at line 1 column 16"));
  EXPECT_EQ(RequestError("{\"id\":1}\n{\"id\":2,\"t\":\"\xc3\"}", PayloadFormat::kNdjson).message,
            JsonMalformed("invalid unicode code point at line 2 column 14", "ndjson"));
  // An error before the bad byte is reported first.
  EXPECT_EQ(RequestError("[{\"id\" 1,\"t\":\"\xff\"}]").message,
            JsonMalformed("expected `:` at line 1 column 8"));
}

TEST(ShardDocumentsRequestErrors, BytesAfterAnArrayAreIgnoredLikeMeilisearch) {
  ShardedDocuments docs = Split(R"([{"id":1}] garbage {)");
  EXPECT_EQ(docs.document_count(), 1u);
}

TEST(ShardDocumentsRequestErrors, NestingDepthIsOnlyLimitedForALoneObject) {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  EXPECT_EQ(Split("[{\"id\":1,\"a\":" + deep + "}]").document_count(), 1u);
  Error e = RequestError("{\"id\":1,\"a\":" + deep + "}");
  // The 128th container (the object is the first) is refused where it opens.
  EXPECT_EQ(e.message, JsonMalformed("recursion limit exceeded at line 1 column 139"));
}

TEST(ShardDocumentsRequestErrors, ReservedTopLevelFieldsAreRefused) {
  Error e = RequestError(R"([{"id":1},{"id":2,"_miroir_shard":3}])");
  EXPECT_EQ(e.code, ErrorCode::kMiroirReservedField);
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.message,
            "The document at index 1 has the field `_miroir_shard`, but fields starting with "
            "`_miroir_` are reserved by Miroir (`_miroir_expires_at` aside).");
  // Escaped spellings are the same field.
  EXPECT_EQ(RequestError(R"({"id":1,"\u005fmiroir_x":1})").code,
            ErrorCode::kMiroirReservedField);
  EXPECT_EQ(RequestError("{\"id\":1}\n{\"_miroir_\":1}", PayloadFormat::kNdjson).code,
            ErrorCode::kMiroirReservedField);
  // Nested fields and look-alikes are the client's.
  EXPECT_EQ(Split(R"([{"id":1,"a":{"_miroir_shard":1},"_miroir":1,"_Miroir_x":2}])")
                .document_count(),
            1u);
  e = RequestError("id,_miroir_digest:string\n1,x\n", PayloadFormat::kCsv);
  EXPECT_EQ(e.code, ErrorCode::kMiroirReservedField);
  EXPECT_EQ(e.message,
            "The CSV header has the column `_miroir_digest`, but fields starting with "
            "`_miroir_` are reserved by Miroir (`_miroir_expires_at` aside).");
}

TEST(ShardDocumentsRequestErrors, TheExpiryTimeIsTheOneReservedFieldClientsMayWrite) {
  ShardedDocuments docs = Split(R"([{"id":1,"_miroir_expires_at":1700000000000}])");
  EXPECT_EQ(docs.document_count(), 1u);
  EXPECT_NE(docs.BuildBody(docs.shards()).find(R"("_miroir_expires_at":1700000000000)"),
            std::string::npos);
  EXPECT_EQ(Split("id,_miroir_expires_at:number\n1,5\n", PayloadFormat::kCsv).document_count(),
            1u);
  EXPECT_EQ(RequestError(R"({"id":1,"_miroir_expires_after":1})").code,
            ErrorCode::kMiroirReservedField);
}

TEST(ShardDocumentsRequestErrors, RequestErrorsWinOverEarlierTaskErrors) {
  // Document 0 has an invalid id, document 2 is malformed: Meilisearch
  // refuses the payload before a task exists.
  Error e = RequestError(R"([{"id":1.5},{"id":2},{"id":3,}])");
  EXPECT_EQ(e.code, ErrorCode::kMalformedPayload);
  e = RequestError(R"([{"title":"no id"},{"id":1,"_miroir_shard":1}])", PayloadFormat::kJson,
                   std::nullopt);
  EXPECT_EQ(e.code, ErrorCode::kMiroirReservedField);
}

// --- Task errors -----------------------------------------------------------

TEST(ShardDocumentsTaskErrors, MissingIdQuotesTheDocumentAsMeilisearchPrintsIt) {
  ShardedDocuments docs = Split(R"([{"id":1},{ "title" : "x", "n": 1e2, "s": "\u0041" }])");
  ASSERT_TRUE(docs.task_error().has_value());
  EXPECT_EQ(docs.task_error()->code, ErrorCode::kMissingDocumentId);
  EXPECT_EQ(docs.task_error()->message,
            R"(Document doesn't have a `id` attribute: `{"title":"x","n":100.0,"s":"A"}`.)");
  EXPECT_EQ(docs.document_count(), 2u);
  EXPECT_TRUE(docs.shards().empty());
  EXPECT_EQ(docs.BuildBody({0, 1, 2}), "[]");
}

TEST(ShardDocumentsTaskErrors, OnlyIntegersAndValidStringsAreIds) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.5", "1.5"},
      {"1.0", "1.0"},
      {"1e2", "100.0"},
      {"-0", "-0.0"},
      {"18446744073709551616", "1.8446744073709552e+19"},
      {"-9223372036854775809", "-9.223372036854776e+18"},
      {"true", "true"},
      {"null", "null"},
      {"[1, \"a\"]", "[1,\"a\"]"},
      {"{\"a\" : 1}", "{\"a\":1}"},
      {"\"foo & bar\"", "\"foo & bar\""},
      {"\"\"", "\"\""},
      {"\"a\\/b\"", "\"a/b\""},
      {"\"" + std::string(512, 'a') + "\"", "\"" + std::string(512, 'a') + "\""},
  };
  for (const auto& [value, printed] : cases) {
    Error e = TaskError("[{\"id\":" + value + "}]");
    EXPECT_EQ(e.code, ErrorCode::kInvalidDocumentId) << value;
    EXPECT_EQ(e.message, "Document identifier `" + printed + "`" + std::string(kIdRules));
  }
  // The limits that pass.
  for (const std::string& value :
       {std::string("\"") + std::string(511, 'a') + "\"", std::string("\"A-z_09\""),
        std::string("\"\\u0041b\""), std::string("0"), std::string("-9223372036854775808")}) {
    ShardedDocuments docs = Split("[{\"id\":" + value + "}]");
    EXPECT_FALSE(docs.task_error().has_value()) << value;
  }
  // An escaped string id routes by its decoded text.
  EXPECT_EQ(Split(R"([{"id":"\u0041b"}])").shards(), std::vector<uint32_t>{ShardOf("Ab", kShards)});
}

TEST(ShardDocumentsTaskErrors, InferenceFailuresAreMeilisearchsErrors) {
  Error e = TaskError(R"([{"title":"11","desc":"foobar"},{"id":1}])", PayloadFormat::kJson,
                      std::nullopt);
  EXPECT_EQ(e.code, ErrorCode::kIndexPrimaryKeyNoCandidateFound);
  EXPECT_EQ(e.message,
            "The primary key inference failed as the engine did not find any field ending with "
            "`id` in its name. Please specify the primary key manually using the `primaryKey` "
            "query parameter.");
  e = TaskError(R"({"primary_id":"12","object_id":"42","id":"124","title":"11"})",
                PayloadFormat::kJson, std::nullopt);
  EXPECT_EQ(e.code, ErrorCode::kIndexPrimaryKeyMultipleCandidatesFound);
  EXPECT_EQ(e.message,
            "The primary key inference failed as the engine found 3 fields ending with `id` in "
            "their names: 'id' and 'object_id'. Please specify the primary key manually using "
            "the `primaryKey` query parameter.");
  ShardedDocuments docs =
      Split(R"([{"title":"x"}])", PayloadFormat::kJson, std::nullopt);
  EXPECT_EQ(docs.primary_key(), "");
  EXPECT_FALSE(docs.primary_key_inferred());
}

TEST(ShardDocumentsTaskErrors, ARepeatedIdFieldIsTooManyOnlyInNdjson) {
  // Meilisearch stores a JSON document through a map (last value wins), and
  // an NDJSON document as sent, so only the latter has two ids.
  ShardedDocuments json = Split(R"([{"id":1.5,"id":2}])");
  ASSERT_FALSE(json.task_error().has_value());
  EXPECT_EQ(json.shards(), std::vector<uint32_t>{ShardOf("2", kShards)});
  Error e = TaskError(R"({"id":1,"t":0,"id":2})", PayloadFormat::kNdjson);
  EXPECT_EQ(e.code, ErrorCode::kInvalidDocumentId);
  EXPECT_EQ(e.message, R"(Document have too many matching `id` attribute: `{"id":2,"t":0}`.)");
  // Inside a nested object, both formats keep every key.
  e = TaskError(R"([{"a":{"b":1,"b":2}}])", PayloadFormat::kJson, "a.b");
  EXPECT_EQ(e.message, R"(Document have too many matching `a.b` attribute: `{"a":{"b":2}}`.)");
}

// --- Bodies ----------------------------------------------------------------

TEST(ShardedDocumentsBody, BuildBodyHoldsExactlyTheDocumentsOfTheChosenShards) {
  OJson payload = OJson::array();
  for (int i = 0; i < 100; ++i) payload.push_back({{"id", i}, {"n", i}});
  ShardedDocuments docs = Split(payload.dump(), PayloadFormat::kJson, "id", 8);
  const std::vector<uint32_t> chosen = {6, 1, 99, 6};  // unknown and repeated shards are skipped
  const std::string body = docs.BuildBody(chosen);
  EXPECT_EQ(body.size(), docs.BodySize(chosen));
  OJson parsed = OJson::parse(body);
  EXPECT_EQ(parsed.size(), docs.CountFor(1) + docs.CountFor(6));
  for (const auto& doc : parsed) {
    const uint32_t shard = doc["_miroir_shard"].get<uint32_t>();
    EXPECT_TRUE(shard == 1 || shard == 6);
    EXPECT_EQ(shard, ShardOf(CanonicalOf(doc["id"]), 8));
  }
  std::string reused = "prefix";
  docs.AppendBody({1}, &reused);
  EXPECT_EQ(reused, "prefix" + docs.BuildBody({1}));
  EXPECT_EQ(docs.BuildBody({}), "[]");
}

TEST(ShardedDocumentsBody, NdjsonAndCsvBodiesForASubset) {
  std::string ndjson;
  std::string csv_payload = "id,v\n";
  for (int i = 0; i < 50; ++i) {
    ndjson += "{\"id\":" + std::to_string(i) + "}\n";
    csv_payload += std::to_string(i) + ",x\n";
  }
  ShardedDocuments nd = Split(ndjson, PayloadFormat::kNdjson, "id", 4);
  ShardedDocuments cs = Split(csv_payload, PayloadFormat::kCsv, "id", 4);
  for (uint32_t shard = 0; shard < 4; ++shard) {
    const std::string nd_body = nd.BuildBody({shard});
    EXPECT_EQ(static_cast<size_t>(std::count(nd_body.begin(), nd_body.end(), '\n')),
              nd.CountFor(shard));
    EXPECT_EQ(nd_body.size(), nd.BodySize({shard}));
    const auto rows = ReadCsv(cs.BuildBody({shard}));
    ASSERT_EQ(rows.size(), cs.CountFor(shard) + 1);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "v", "_miroir_shard:number"}));
    for (size_t r = 1; r < rows.size(); ++r) EXPECT_EQ(rows[r][2], std::to_string(shard));
  }
  EXPECT_EQ(nd.BuildBody({}), "");
  EXPECT_EQ(cs.BuildBody({}), "id,v,_miroir_shard:number\n");
}

// --- Anti-entropy ----------------------------------------------------------

TEST(ShardDocumentsStamping, AntiEntropyAddsTimeAndDigestOfTheCanonicalDocument) {
  const std::string pretty = "{ \"id\" : 1,\n \"t\" : \"a b\" , \"n\": [ 1, 2 ] }";
  const std::string compact = R"({"id":1,"t":"a b","n":[1,2]})";
  StampOptions stamp{true, 1700000000123};
  const std::string digest = Hex(Xxh64(compact));

  for (const std::string& doc : {pretty, compact}) {
    ShardedDocuments docs = Split("[" + doc + "]", PayloadFormat::kJson, "id", kShards, stamp);
    const uint32_t shard = ShardOf("1", kShards);
    EXPECT_EQ(docs.BuildBody({shard}),
              "[{\"_miroir_shard\":" + std::to_string(shard) +
                  ",\"_miroir_updated_at\":1700000000123,\"_miroir_digest\":\"" + digest + "\"," +
                  doc.substr(1) + "]");
  }
  // Off: the shard only.
  ShardedDocuments plain = Split("[" + compact + "]");
  OJson doc = OJson::parse(plain.BuildBody(plain.shards()))[0];
  EXPECT_FALSE(doc.contains("_miroir_updated_at"));
  EXPECT_FALSE(doc.contains("_miroir_digest"));
}

TEST(ShardDocumentsStamping, CsvDigestIsOverTheRecordBytes) {
  StampOptions stamp{true, 42};
  ShardedDocuments docs = Split("id,t\r\n7,\"a,b\"\r\n", PayloadFormat::kCsv, "id", kShards, stamp);
  const std::string shard = std::to_string(ShardOf("7", kShards));
  EXPECT_EQ(docs.BuildBody(docs.shards()),
            "id,t,_miroir_shard:number,_miroir_updated_at:number,_miroir_digest:string\n"
            "7,\"a,b\"," + shard + ",42," + Hex(Xxh64("7,\"a,b\"")) + "\n");
}

// --- Content types ---------------------------------------------------------

TEST(PayloadFormatFromContentType, AcceptsTheThreeMeilisearchTypes) {
  EXPECT_EQ(PayloadFormatFromContentType("application/json").value(), PayloadFormat::kJson);
  EXPECT_EQ(PayloadFormatFromContentType("application/json; charset=utf-8").value(),
            PayloadFormat::kJson);
  EXPECT_EQ(PayloadFormatFromContentType("Application/JSON;charset=\"utf-8\"").value(),
            PayloadFormat::kJson);
  EXPECT_EQ(PayloadFormatFromContentType("application/x-ndjson").value(), PayloadFormat::kNdjson);
  EXPECT_EQ(PayloadFormatFromContentType("text/csv").value(), PayloadFormat::kCsv);
  EXPECT_EQ(PayloadFormatFromContentType("text/csv; charset=utf-8", true).value(),
            PayloadFormat::kCsv);
  EXPECT_EQ(PayloadContentType(PayloadFormat::kNdjson), "application/x-ndjson");
  EXPECT_EQ(PayloadFormatName(PayloadFormat::kCsv), "csv");
}

TEST(PayloadFormatFromContentType, RefusesOthersWithMeilisearchsMessages) {
  const std::string accepted =
      "Accepted values for the Content-Type header are: `application/json`, "
      "`application/x-ndjson`, `text/csv`";
  Error e = PayloadFormatFromContentType(std::nullopt).error();
  EXPECT_EQ(e.code, ErrorCode::kMissingContentType);
  EXPECT_EQ(e.status, 415u);
  EXPECT_EQ(e.message, "A Content-Type header is missing. " + accepted);

  e = PayloadFormatFromContentType("text/plain").error();
  EXPECT_EQ(e.code, ErrorCode::kInvalidContentType);
  EXPECT_EQ(e.status, 415u);
  EXPECT_EQ(e.message, "The Content-Type `text/plain` is invalid. " + accepted);
  // A parsed type is shown lowercase without parameters; an unparsable one raw.
  EXPECT_EQ(PayloadFormatFromContentType("Text/Plain; charset=utf-8").error().message,
            "The Content-Type `text/plain` is invalid. " + accepted);
  EXPECT_EQ(PayloadFormatFromContentType("json").error().message,
            "The Content-Type `json` is invalid. " + accepted);
  EXPECT_EQ(PayloadFormatFromContentType("").error().message,
            "The Content-Type `` is invalid. " + accepted);
  EXPECT_EQ(PayloadFormatFromContentType("application/json+x").error().message,
            "The Content-Type `application/json+x` is invalid. " + accepted);

  e = PayloadFormatFromContentType("application/json", true).error();
  EXPECT_EQ(e.code, ErrorCode::kInvalidContentType);
  EXPECT_EQ(e.message,
            "The Content-Type `application/json` does not support the use of a csv delimiter. "
            "The csv delimiter can only be used with the Content-Type `text/csv`.");
}

// --- Deletes by id ---------------------------------------------------------

TEST(ShardIds, GroupsCanonicalIdsByShard) {
  const auto ids = nlohmann::json::parse(R"([1, "1", "abc", 1.5, true, -3, "x y"])");
  auto grouped = ShardIds(ids, kShards);
  ASSERT_TRUE(grouped.has_value());
  size_t total = 0;
  for (const auto& [shard, list] : *grouped) {
    for (const std::string& id : list) EXPECT_EQ(shard, ShardOf(id, kShards));
    total += list.size();
  }
  EXPECT_EQ(total, 7u);
  EXPECT_EQ((*grouped)[ShardOf("1", kShards)].size() >= 2, true);
  EXPECT_EQ(DeleteIdText(nlohmann::json(1.5)), "1.5");
  EXPECT_EQ(DeleteIdText(nlohmann::json(1.0)), "1.0");
  EXPECT_EQ(DeleteIdText(nlohmann::json(true)), "true");
  EXPECT_EQ(DeleteIdText(nlohmann::json(-3)), "-3");
  EXPECT_EQ(DeleteIdText(nlohmann::json("a b")), "a b");
}

TEST(ShardIds, ANonArrayBodyIsBadRequest) {
  Error e = ShardIds(nlohmann::json("doggo"), kShards).error();
  EXPECT_EQ(e.code, ErrorCode::kBadRequest);
  EXPECT_EQ(e.message,
            "Json deserialize error: invalid type: string \"doggo\", expected a sequence");
  EXPECT_EQ(ShardIds(nlohmann::json::object(), kShards).error().message,
            "Json deserialize error: invalid type: map, expected a sequence");
}

}  // namespace
}  // namespace miroir
