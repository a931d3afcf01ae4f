#include "parsers/json_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "core/batch.h"

namespace logtally::parsers {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

class JsonParserTest : public ::testing::Test {
 protected:
  uint32_t plan(const char* path, uint8_t uses = core::kUseText) {
    return plan_.add(*core::parse_field_path(path), uses);
  }
  ParseStatus parse(std::string_view text) {
    if (!parser_) parser_ = std::make_unique<JsonParser>(plan_);
    record_ = core::Record(plan_.slot_count());
    // The parser contract: kPadding readable bytes after the record. Fill them with bytes that
    // would be wrong to read as part of the record.
    buffer_.assign(text);
    buffer_.append(core::kPadding, '}');
    return parser_->parse(std::string_view(buffer_.data(), text.size()), record_);
  }
  const FieldValue& slot(uint32_t i) const { return record_.slot(i); }

  core::FieldPlan plan_;
  std::unique_ptr<JsonParser> parser_;
  core::Record record_;
  std::string buffer_;
};

TEST_F(JsonParserTest, FillsPlannedScalarsOnly) {
  const uint32_t method = plan("method");
  const uint32_t status = plan("status");
  const uint32_t ok = plan("ok");
  const uint32_t bytes = plan("bytes", core::kUseNumber);
  const uint32_t missing = plan("missing");
  ASSERT_EQ(parse(R"({"method":"GET","status":200,"skip":{"deep":[1,2,{"x":"y"}]},)"
                  R"("ok":true,"bytes":1.5e3 ,"msg":"a \"quoted\" msg"})"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(method).kind, Kind::kString);
  EXPECT_EQ(slot(method).text, "GET");
  EXPECT_EQ(slot(status).kind, Kind::kNumber);
  EXPECT_EQ(slot(status).text, "200");
  EXPECT_FALSE(slot(status).has_number);  // wanted as text only: not converted
  EXPECT_EQ(slot(ok).kind, Kind::kBool);
  EXPECT_EQ(slot(ok).text, "true");
  EXPECT_EQ(slot(bytes).kind, Kind::kNumber);
  EXPECT_EQ(slot(bytes).text, "1.5e3");
  EXPECT_TRUE(slot(bytes).has_number);
  EXPECT_EQ(slot(bytes).number, 1500);
  EXPECT_EQ(slot(missing).kind, Kind::kAbsent);
}

TEST_F(JsonParserTest, ReachesNestedAndQuotedDottedKeys) {
  const uint32_t app = plan("kubernetes.labels.app");
  const uint32_t ns = plan("kubernetes.namespace");
  const uint32_t dotted = plan("\"log.level\"");
  ASSERT_EQ(parse(R"({"log.level":"WARN","kubernetes":{"namespace":"prod","pod":"p-1",)"
                  R"("labels":{"team":"x","app":"checkout"}},"log":{"level":"nested"}})"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(app).text, "checkout");
  EXPECT_EQ(slot(ns).text, "prod");
  EXPECT_EQ(slot(dotted).text, "WARN");
}

TEST_F(JsonParserTest, UnescapesStrings) {
  const uint32_t msg = plan("msg");
  ASSERT_EQ(parse(R"({"msg":"line1\nline2 \"q\" \\ \u00e9 \ud83d\ude00"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(msg).text, "line1\nline2 \"q\" \\ \xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_F(JsonParserTest, FirstDuplicateKeyWins) {
  const uint32_t a = plan("a");
  plan("b");
  ASSERT_EQ(parse(R"({"a":"first","a":"second","b":1})"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "first");
  ASSERT_EQ(parse(R"({"a":"first","b":1,"a":"second"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "first");
}

TEST_F(JsonParserTest, StopsReadingOnceEveryPlannedKeyIsSeen) {
  const uint32_t a = plan("a");
  // Everything after "a" is unread: only the final `}` is checked, so a truncated record is
  // caught but a defect in the unread part is not (the documented cost of reading lazily).
  ASSERT_EQ(parse(R"({"a":"x","b":[1,,2]})"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "x");
  EXPECT_EQ(parse(R"({"a":"x","b":[1,2)"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":"x","b":"unterminated)"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse("{\"a\":\"x\",\"b\":1}  \t"), ParseStatus::kOk);
}

TEST_F(JsonParserTest, NullObjectsAndArraysAreAbsent) {
  const uint32_t a = plan("a");
  const uint32_t b = plan("b");
  const uint32_t c = plan("c");
  const uint32_t inner = plan("a.x");  // `a` is planned as a scalar and as a parent.
  ASSERT_EQ(parse(R"({"a":null,"b":{"k":1},"c":[1,2]})"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).kind, Kind::kAbsent);
  EXPECT_EQ(slot(b).kind, Kind::kAbsent);
  EXPECT_EQ(slot(c).kind, Kind::kAbsent);
  EXPECT_EQ(slot(inner).kind, Kind::kAbsent);
  ASSERT_EQ(parse(R"({"a":{"x":"in"}})"), ParseStatus::kOk);
  EXPECT_EQ(slot(inner).text, "in");
  ASSERT_EQ(parse(R"({"a":"scalar"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "scalar");
}

TEST_F(JsonParserTest, ClassifiesBadRecords) {
  // Two planned keys, and records without "b": every record below is read to its end.
  plan("a");
  plan("b");
  EXPECT_EQ(parse(""), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse("not json"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":1)"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":1}})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":1} {"a":2})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":1,})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":tru})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":"\ud800"})"), ParseStatus::kInvalidJson);  // lone surrogate, planned
  EXPECT_EQ(parse("[1,2]"), ParseStatus::kNotObject);
  EXPECT_EQ(parse("\"str\""), ParseStatus::kNotObject);
  EXPECT_EQ(parse("42"), ParseStatus::kNotObject);
  EXPECT_EQ(parse("[1,]"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(std::string(100000, '[')), ParseStatus::kInvalidJson);
  // After all that the parser still works.
  EXPECT_EQ(parse(R"({"a":"fine"})"), ParseStatus::kOk);
}

TEST_F(JsonParserTest, RepairsInvalidUtf8InsteadOfDroppingTheRecord) {
  const uint32_t level = plan("level");
  const uint32_t msg = plan("msg");
  ASSERT_EQ(parse("{\"level\":\"info\",\"msg\":\"bad \xFF\xFE byte\"}"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "info");
  EXPECT_EQ(slot(msg).text, "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST_F(JsonParserTest, UnplannedLoneSurrogateDoesNotLoseTheRecord) {
  const uint32_t level = plan("level");
  ASSERT_EQ(parse(R"({"level":"info","payload":"\ud83e alone"})"), ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "info");
}

TEST_F(JsonParserTest, DeepValuesAreSkippedWithoutRecursion) {
  // A planned path 4 deep ends at an object 5000 levels deep. The parser recurses only along
  // the plan (4 levels); simdjson skips the rest iteratively, so nothing deep is decoded and
  // the stack is never at risk. The planned leaf is not a scalar, so it is absent.
  const uint32_t leaf = plan("a.a.a.a");
  const uint32_t level = plan("level");
  std::string deep = "{\"level\":\"info\",";
  for (int i = 0; i < 5000; ++i) deep += "\"a\":{";
  deep += "\"x\":1";
  for (int i = 0; i < 5000; ++i) deep += "}";
  deep += "}";
  ASSERT_EQ(parse(deep), ParseStatus::kOk);
  EXPECT_EQ(slot(leaf).kind, Kind::kAbsent);
  EXPECT_EQ(slot(level).text, "info");
  // Unbalanced deep input is still caught.
  EXPECT_EQ(parse("{\"level\":\"info\",\"b\":" + std::string(5000, '[') + "}"),
            ParseStatus::kInvalidJson);
}

}  // namespace
}  // namespace logtally::parsers
