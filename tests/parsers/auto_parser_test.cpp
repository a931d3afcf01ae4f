#include "parsers/auto_parser.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/batch.h"
#include "parsers/parser.h"

namespace logtally::parsers {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

class AutoParserTest : public ::testing::Test {
 protected:
  uint32_t plan(const char* path, uint8_t uses = core::kUseText) {
    return plan_.add(*core::parse_field_path(path), uses);
  }
  ParseStatus parse(std::string_view text) {
    if (!parser_) parser_ = std::make_unique<AutoParser>(plan_);
    record_ = core::Record(plan_.slot_count());
    // Padding bytes that would be wrong to read as part of the record.
    buffer_.assign(text);
    buffer_.append(core::kPadding, '"');
    return parser_->parse(std::string_view(buffer_.data(), text.size()), record_);
  }
  const FieldValue& slot(uint32_t i) const { return record_.slot(i); }

  core::FieldPlan plan_;
  std::unique_ptr<AutoParser> parser_;
  core::Record record_;
  std::string buffer_;
};

TEST_F(AutoParserTest, JsonForObjectsLogfmtForTheRest) {
  const uint32_t level = plan("level");
  ASSERT_EQ(parse(R"(  {"level":"error"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "error");
  ASSERT_EQ(parse("level=warn msg=x"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "warn");
  ASSERT_EQ(parse("plain text line"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).kind, Kind::kAbsent);
  EXPECT_EQ(parse(R"({"level":"error")"), ParseStatus::kInvalidJson);  // Not retried as logfmt.
  ASSERT_EQ(parse(R"([1] level=info)"), ParseStatus::kOk);             // Only `{` means JSON.
  EXPECT_EQ(slot(level).text, "info");
}

TEST_F(AutoParserTest, LeadingWhitespaceIsSkipped) {
  const uint32_t level = plan("level");
  ASSERT_EQ(parse("\t\r\n {\"level\":\"debug\"}"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).kind, Kind::kString);
  EXPECT_EQ(slot(level).text, "debug");
  // JSON syntax proves the JSON parser ran: as logfmt, `{level=x}` would not be an error.
  EXPECT_EQ(parse(" \t{level=x}"), ParseStatus::kInvalidJson);
  // A JSON-looking record that starts with another byte is logfmt, so `level` is its own key.
  ASSERT_EQ(parse(R"(x{"level":"debug"} level=trace)"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "trace");
}

TEST_F(AutoParserTest, ScalarsArraysAndEmptyRecordsAreLogfmtNotJsonErrors) {
  const uint32_t level = plan("level");
  for (std::string_view text : {"42", "\"level\"", "[\"level=x\"]", "", "   ", "null"}) {
    EXPECT_EQ(parse(text), ParseStatus::kOk) << text;
  }
  // Inside the array the pair is a logfmt token: `["level=x"]` holds the key `["level`.
  ASSERT_EQ(parse(R"(["level=x"])"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).kind, Kind::kAbsent);
}

TEST_F(AutoParserTest, NestedPathsAndNumbersFromEitherFormat) {
  const uint32_t ms = plan("http.duration_ms", core::kUseNumber);
  const uint32_t route = plan("http.route");
  ASSERT_EQ(parse(R"({"http":{"duration_ms":12.5,"route":"/a"}})"), ParseStatus::kOk);
  EXPECT_EQ(slot(ms).kind, Kind::kNumber);
  ASSERT_TRUE(slot(ms).has_number);
  EXPECT_EQ(slot(ms).number, 12.5);
  EXPECT_EQ(slot(route).text, "/a");
  ASSERT_EQ(parse("http.duration_ms=7 http.route=/b"), ParseStatus::kOk);
  EXPECT_EQ(slot(ms).kind, Kind::kNumber);
  ASSERT_TRUE(slot(ms).has_number);
  EXPECT_EQ(slot(ms).number, 7);
  EXPECT_EQ(slot(route).text, "/b");
}

TEST_F(AutoParserTest, NothingCarriesOverFromTheOtherFormat) {
  const uint32_t level = plan("level");
  const uint32_t user = plan("user");
  ASSERT_EQ(parse(R"({"level":"info","user":"ann"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(user).text, "ann");
  ASSERT_EQ(parse("level=warn"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "warn");
  EXPECT_EQ(slot(user).kind, Kind::kAbsent);
  ASSERT_EQ(parse(R"({"user":"bob"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).kind, Kind::kAbsent);
  EXPECT_EQ(slot(user).text, "bob");
}

TEST(AutoParserFactoryTest, SpecBuildsTheAutoParser) {
  core::FieldPlan plan;
  const uint32_t level = plan.add(*core::parse_field_path("level"), core::kUseText);
  std::unique_ptr<Parser> p = auto_parser_spec()->make(plan);
  ASSERT_NE(p, nullptr);
  EXPECT_NE(dynamic_cast<AutoParser*>(p.get()), nullptr);
  EXPECT_EQ(auto_parser_spec()->type_name(), "auto");
  EXPECT_EQ(auto_parser_entry().type, "auto");
  std::string buffer = std::string("{\"level\":\"x\"}") + std::string(core::kPadding, ' ');
  core::Record r(plan.slot_count());
  ASSERT_EQ(p->parse(std::string_view(buffer.data(), 13), r), ParseStatus::kOk);
  EXPECT_EQ(r.slot(level).text, "x");
}

}  // namespace
}  // namespace logtally::parsers
