#include "miroir/core/csv.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace miroir::csv {
namespace {

std::vector<std::string> Texts(const Record& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields) out.push_back(f.text);
  return out;
}

// Reads every record; fails the test on a reader error.
std::vector<std::vector<std::string>> ReadAll(std::string_view input, char delimiter = ',') {
  Reader reader(input, delimiter);
  Record r;
  std::vector<std::vector<std::string>> out;
  while (reader.Next(r)) out.push_back(Texts(r));
  EXPECT_FALSE(reader.error().has_value()) << reader.error()->message;
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

// --- Reader -----------------------------------------------------------------

TEST(CsvReader, ReadsHeaderThenRecordsWithRawOffsets) {
  const std::string_view input = "id,title\n1,hello\n22,world";
  Reader reader(input);
  Record r;
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"id", "title"}));
  EXPECT_EQ(r.raw_begin, 0u);
  EXPECT_EQ(r.raw_end, 8u);
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"1", "hello"}));
  EXPECT_EQ(input.substr(r.raw_begin, r.raw_end - r.raw_begin), "1,hello");
  EXPECT_EQ(r.fields[1].raw_begin, 11u);
  EXPECT_EQ(r.fields[1].raw_end, 16u);
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(input.substr(r.raw_begin, r.raw_end - r.raw_begin), "22,world");
  EXPECT_FALSE(reader.Next(r));
  EXPECT_FALSE(reader.error().has_value());
  EXPECT_FALSE(reader.Next(r));
}

TEST(CsvReader, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  const std::string_view input = "a,b\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n";
  Reader reader(input);
  Record r;
  ASSERT_TRUE(reader.Next(r));
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"x, y", "say \"hi\"\nthere"}));
  // Raw offsets cover the quotes, so the bytes can be spliced as they are.
  EXPECT_EQ(input.substr(r.fields[0].raw_begin, r.fields[0].raw_end - r.fields[0].raw_begin),
            "\"x, y\"");
  EXPECT_EQ(input.substr(r.fields[1].raw_begin, r.fields[1].raw_end - r.fields[1].raw_begin),
            "\"say \"\"hi\"\"\nthere\"");
  EXPECT_EQ(r.raw_end, input.size() - 1);
  EXPECT_FALSE(reader.Next(r));
}

TEST(CsvReader, AcceptsCrlfLoneCrAndMissingFinalLineBreak) {
  EXPECT_EQ(ReadAll("a,b\r\n1,2\r\n3,4\r\n"), (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(ReadAll("a,b\r1,2\r3,4"), (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(ReadAll("a,b\n1,2"), (Rows{{"a", "b"}, {"1", "2"}}));
  Reader reader("a,b\r\n1,2\r\n");
  Record r;
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r.raw_end, 3u);  // before the line break
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r.raw_begin, 5u);
}

TEST(CsvReader, SkipsEmptyLinesButNotLinesOfSpaces) {
  EXPECT_EQ(ReadAll("\n\na\n\n1\r\n\r\n2\n\n"), (Rows{{"a"}, {"1"}, {"2"}}));
  EXPECT_EQ(ReadAll("a\n \n"), (Rows{{"a"}, {" "}}));
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("\r\n\n").empty());
}

TEST(CsvReader, UnterminatedQuoteRunsToTheEndWithoutError) {
  // Meilisearch's reader accepts this: the last field swallows the rest.
  EXPECT_EQ(ReadAll("id,title\n1,\"abc\n2,def"), (Rows{{"id", "title"}, {"1", "abc\n2,def"}}));
  EXPECT_EQ(ReadAll("a\n\""), (Rows{{"a"}, {""}}));
}

TEST(CsvReader, StrayQuotesAreLiteralOrJoinTheField) {
  EXPECT_EQ(ReadAll("a,b\nab\"c,d\"e\n"), (Rows{{"a", "b"}, {"ab\"c", "d\"e"}}));
  EXPECT_EQ(ReadAll("a,b\n\"ab\"cd,\"x\"\"\"\n"), (Rows{{"a", "b"}, {"abcd", "x\""}}));
  // A quote only opens a quoted field at the very start of the field.
  EXPECT_EQ(ReadAll("a,b\n \"x,y\"\n"), (Rows{{"a", "b"}, {" \"x", "y\""}}));
}

TEST(CsvReader, TrailingDelimiterAddsAnEmptyField) {
  EXPECT_EQ(ReadAll("a,b,\n1,2,\n"), (Rows{{"a", "b", ""}, {"1", "2", ""}}));
  Reader reader("a,\n1,");
  Record r;
  ASSERT_TRUE(reader.Next(r));
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"1", ""}));
  EXPECT_EQ(r.fields[1].raw_begin, 5u);
  EXPECT_EQ(r.fields[1].raw_end, 5u);
}

TEST(CsvReader, CustomDelimiter) {
  EXPECT_EQ(ReadAll("#id|name|race\n0|jean|bernese mountain\n1|jorts|orange cat", '|'),
            (Rows{{"#id", "name", "race"}, {"0", "jean", "bernese mountain"},
                  {"1", "jorts", "orange cat"}}));
  EXPECT_EQ(ReadAll("a;b\n\"x;y\";z", ';'), (Rows{{"a", "b"}, {"x;y", "z"}}));
}

TEST(CsvReader, ByteOrderMarkIsSkippedButCountedInOffsets) {
  const std::string input = "\xEF\xBB\xBF\"id\",name\n1,x";
  Reader reader(input);
  Record r;
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(r.raw_begin, 3u);
  EXPECT_EQ(r.fields[0].raw_end, 7u);
}

TEST(CsvReader, RecordWithWrongFieldCountIsMeilisearchsError) {
  Reader reader("id, content\n1234, hello, world\n12, hello world");
  Record r;
  ASSERT_TRUE(reader.Next(r));
  EXPECT_FALSE(reader.Next(r));
  ASSERT_TRUE(reader.error().has_value());
  EXPECT_EQ(reader.error()->code, ErrorCode::kMalformedPayload);
  EXPECT_EQ(reader.error()->message,
            "The `csv` payload provided is malformed: `CSV error: record 1 (line: 2, byte: 12): "
            "found record with 3 fields, but the previous record has 2 fields`.");
  // The reader stays stopped.
  EXPECT_FALSE(reader.Next(r));
  EXPECT_TRUE(r.fields.empty());
}

TEST(CsvReader, ErrorPositionsCountLikeMeilisearchAfterBlankLinesAndCrlf) {
  // The position is where the previous record's read stopped: after its
  // line break, before skipped empty lines...
  Reader blank("a,b\n1,2\n\n\n1,2,3\n");
  Record r;
  while (blank.Next(r)) {
  }
  ASSERT_TRUE(blank.error().has_value());
  EXPECT_NE(blank.error()->message.find("record 2 (line: 3, byte: 8): found record with 3 fields"),
            std::string::npos)
      << blank.error()->message;
  // ... and with CRLF, between the '\r' and the '\n'.
  Reader crlf("a,b\r\n1,2,3\r\n");
  while (crlf.Next(r)) {
  }
  ASSERT_TRUE(crlf.error().has_value());
  EXPECT_NE(crlf.error()->message.find("record 1 (line: 1, byte: 4)"), std::string::npos)
      << crlf.error()->message;
}

TEST(CsvReader, InvalidUtf8IsMeilisearchsError) {
  Reader reader("a,b\n1,x\xFFy\n");
  Record r;
  ASSERT_TRUE(reader.Next(r));
  EXPECT_FALSE(reader.Next(r));
  ASSERT_TRUE(reader.error().has_value());
  EXPECT_EQ(reader.error()->message,
            "The `csv` payload provided is malformed: `CSV parse error: record 1 (line 2, field: "
            "1, byte: 4): invalid utf-8: invalid UTF-8 in field 1 near byte index 1`.");
}

// --- Header -----------------------------------------------------------------

Record HeaderOf(std::string_view line) {
  Reader reader(line);
  Record r;
  EXPECT_TRUE(reader.Next(r));
  return r;
}

TEST(CsvHeader, KnownTypeSuffixesAreStripped) {
  auto cols = ParseHeader(HeaderOf("id:number,title:string,ok:boolean,plain"));
  ASSERT_TRUE(cols.has_value());
  ASSERT_EQ(cols->size(), 4u);
  EXPECT_EQ((*cols)[0].name, "id");
  EXPECT_EQ((*cols)[0].type, ColumnType::kNumber);
  EXPECT_EQ((*cols)[1].name, "title");
  EXPECT_EQ((*cols)[1].type, ColumnType::kString);
  EXPECT_EQ((*cols)[2].name, "ok");
  EXPECT_EQ((*cols)[2].type, ColumnType::kBoolean);
  EXPECT_EQ((*cols)[3].name, "plain");
  EXPECT_EQ((*cols)[3].type, ColumnType::kString);
}

TEST(CsvHeader, UnknownOrMissingTypeKeepsTheWholeNameAsAString) {
  // Meilisearch does not reject these: the colon and suffix stay in the name.
  auto cols = ParseHeader(HeaderOf("price:float,name:,kind:Number,a:b:number,:number"));
  ASSERT_TRUE(cols.has_value());
  ASSERT_EQ(cols->size(), 5u);
  EXPECT_EQ((*cols)[0].name, "price:float");
  EXPECT_EQ((*cols)[0].type, ColumnType::kString);
  EXPECT_EQ((*cols)[1].name, "name:");
  EXPECT_EQ((*cols)[2].name, "kind:Number");
  EXPECT_EQ((*cols)[2].type, ColumnType::kString);
  // Only the last colon splits.
  EXPECT_EQ((*cols)[3].name, "a:b");
  EXPECT_EQ((*cols)[3].type, ColumnType::kNumber);
  EXPECT_EQ((*cols)[4].name, "");
  EXPECT_EQ((*cols)[4].type, ColumnType::kNumber);
}

// --- Typed values -----------------------------------------------------------

std::string J(std::string_view text, ColumnType type) {
  auto r = FieldToJson(text, type, 1);
  EXPECT_TRUE(r.has_value()) << text << ": " << r.error().message;
  return r ? *r : "";
}

TEST(CsvValues, StringsAreVerbatimAndEmptyIsNull) {
  EXPECT_EQ(J("hello", ColumnType::kString), "\"hello\"");
  EXPECT_EQ(J("  padded ", ColumnType::kString), "\"  padded \"");
  EXPECT_EQ(J("", ColumnType::kString), "null");
  EXPECT_EQ(J("say \"hi\"\n", ColumnType::kString), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(J("42", ColumnType::kString), "\"42\"");
}

TEST(CsvValues, NumbersAreIntegersWhenTheyFitElseFloats) {
  EXPECT_EQ(J("42", ColumnType::kNumber), "42");
  EXPECT_EQ(J(" -2 ", ColumnType::kNumber), "-2");
  EXPECT_EQ(J("+7", ColumnType::kNumber), "7");
  EXPECT_EQ(J("2.5", ColumnType::kNumber), "2.5");
  EXPECT_EQ(J("1.0", ColumnType::kNumber), "1.0");
  EXPECT_EQ(J("1e3", ColumnType::kNumber), "1000.0");
  EXPECT_EQ(J("1e20", ColumnType::kNumber), "1e+20");
  EXPECT_EQ(J("0.00015", ColumnType::kNumber), "0.00015");
  EXPECT_EQ(J("1.5e-7", ColumnType::kNumber), "1.5e-7");
  EXPECT_EQ(J(".5", ColumnType::kNumber), "0.5");
  EXPECT_EQ(J("5.", ColumnType::kNumber), "5.0");
  EXPECT_EQ(J("-0.0", ColumnType::kNumber), "-0.0");
  EXPECT_EQ(J("9223372036854775808", ColumnType::kNumber), "9.223372036854776e+18");
  EXPECT_EQ(J("1e400", ColumnType::kNumber), "null");
  EXPECT_EQ(J("1e-400", ColumnType::kNumber), "0.0");
}

TEST(CsvValues, BlankNumbersAndNonFiniteNumbersAreNull) {
  EXPECT_EQ(J("", ColumnType::kNumber), "null");
  EXPECT_EQ(J("   ", ColumnType::kNumber), "null");
  EXPECT_EQ(J("NaN", ColumnType::kNumber), "null");
  EXPECT_EQ(J("-inf", ColumnType::kNumber), "null");
  EXPECT_EQ(J("Infinity", ColumnType::kNumber), "null");
}

TEST(CsvValues, BadNumberIsMeilisearchsError) {
  auto r = FieldToJson("doggo", ColumnType::kNumber, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedPayload);
  EXPECT_EQ(r.error().message,
            "The `csv` payload provided is malformed: `Error parsing number \"doggo\" at line 1: "
            "invalid float literal`.");
  for (std::string_view bad : {"1,5", "0x10", "1e", "1_000", "--1", "."}) {
    EXPECT_FALSE(FieldToJson(bad, ColumnType::kNumber, 3).has_value()) << bad;
  }
  // The untrimmed text is quoted, Rust-debug style.
  EXPECT_EQ(FieldToJson(" a\"b ", ColumnType::kNumber, 7).error().message,
            "The `csv` payload provided is malformed: `Error parsing number \" a\\\"b \" at line "
            "7: invalid float literal`.");
}

TEST(CsvValues, BooleansAreExactlyTrueOrFalse) {
  EXPECT_EQ(J("true", ColumnType::kBoolean), "true");
  EXPECT_EQ(J(" false ", ColumnType::kBoolean), "false");
  EXPECT_EQ(J("", ColumnType::kBoolean), "null");
  auto r = FieldToJson("doggo", ColumnType::kBoolean, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "The `csv` payload provided is malformed: `Error parsing boolean \"doggo\" at line 1: "
            "provided string was not `true` or `false``.");
  EXPECT_FALSE(FieldToJson("True", ColumnType::kBoolean, 1).has_value());
  EXPECT_FALSE(FieldToJson("1", ColumnType::kBoolean, 1).has_value());
}

}  // namespace
}  // namespace miroir::csv
