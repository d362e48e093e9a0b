#include "miroir/log/log.hpp"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace miroir::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { Configure(Level::kInfo, Format::kText); }
  std::ostringstream out_;
};

TEST_F(LogTest, JsonLinesAreObjectsWithTimeLevelMessageAndTypedFields) {
  ConfigureForTest(Level::kInfo, Format::kJson, out_);
  Warn("node call failed")
      .Str("node", "n1")
      .Int("status", -1)
      .Uint("bytes", 42)
      .Num("seconds", 0.25)
      .Bool("retried", true);
  const auto line = nlohmann::json::parse(out_.str());
  EXPECT_EQ(line["level"], "warn");
  EXPECT_EQ(line["msg"], "node call failed");
  EXPECT_EQ(line["node"], "n1");
  EXPECT_EQ(line["status"], -1);
  EXPECT_EQ(line["bytes"], 42);
  EXPECT_DOUBLE_EQ(line["seconds"].get<double>(), 0.25);
  EXPECT_EQ(line["retried"], true);
  const std::string time = line["time"];
  ASSERT_EQ(time.size(), 24u) << time;  // 2026-11-23T21:40:00.123Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(out_.str().back(), '\n');
}

TEST_F(LogTest, JsonEscapesQuotesControlCharactersAndInvalidUtf8) {
  ConfigureForTest(Level::kInfo, Format::kJson, out_);
  const std::string hostile = std::string("a\"b\\c\n\x01") + "\xff" + "é";
  Info("request").Str("path", hostile).Num("nan", 0.0 / 0.0);
  const auto line = nlohmann::json::parse(out_.str());
  EXPECT_EQ(line["path"], "a\"b\\c\n\x01\xEF\xBF\xBD\xC3\xA9");
  EXPECT_TRUE(line["nan"].is_null());
}

TEST_F(LogTest, TextLinesQuoteAmbiguousValuesOnly) {
  ConfigureForTest(Level::kInfo, Format::kText, out_);
  Error("write refused").Str("index", "movies").Str("detail", "no quorum").Str("empty", "");
  const std::string line = out_.str();
  EXPECT_NE(line.find("Z error write refused index=movies detail=\"no quorum\" empty=\"\"\n"),
            std::string::npos)
      << line;
}

TEST_F(LogTest, LinesBelowTheLevelAreNotWritten) {
  ConfigureForTest(Level::kWarn, Format::kText, out_);
  Info("quiet").Str("k", "v");
  Debug("quieter");
  EXPECT_TRUE(out_.str().empty());
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Warn("loud");
  EXPECT_NE(out_.str().find(" warn loud"), std::string::npos);
}

TEST_F(LogTest, OffWritesNothing) {
  ConfigureForTest(Level::kOff, Format::kJson, out_);
  Error("anything");
  EXPECT_TRUE(out_.str().empty());
}

}  // namespace
}  // namespace miroir::log
