#include "parsers/json_parser.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

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
    if (!parser_) parser_ = std::make_unique<JsonParser>(plan_, validate_);
    record_ = core::Record(plan_.slot_count());
    // The parser contract: kPadding readable bytes after the record. Fill them with bytes that
    // would be wrong to read as part of the record.
    buffer_.assign(text);
    buffer_.append(core::kPadding, pad_);
    return parser_->parse(std::string_view(buffer_.data(), text.size()), record_);
  }
  const FieldValue& slot(uint32_t i) const { return record_.slot(i); }

  JsonValidate validate_ = JsonValidate::kFull;
  char pad_ = '}';
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

TEST_F(JsonParserTest, TouchedStopsReadingOnceEveryPlannedKeyIsSeen) {
  validate_ = JsonValidate::kTouched;
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

TEST_F(JsonParserTest, FullReadsTheWholeRecord) {
  const uint32_t a = plan("a");
  ASSERT_EQ(parse(R"({"a":"x","b":[1,{"c":null,"d":[true,false,-0.5e+3]},"s\u00e9"]} )"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "x");
  EXPECT_EQ(parse(R"({"a":"x","b":[1,,2]})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":"x","b":[1,2)"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":"x"} {"b":1})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"a":"x","b":1}  )"), ParseStatus::kOk);
}

TEST_F(JsonParserTest, DeepValuesAreSkippedWithoutRecursion) {
  // touched: a planned path 4 deep ends at an object 5000 levels deep. The parser recurses
  // only along the plan (4 levels); simdjson skips the rest iteratively, so nothing deep is
  // decoded and the stack is never at risk. The planned leaf is not a scalar, so it is absent.
  validate_ = JsonValidate::kTouched;
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

TEST_F(JsonParserTest, FullValidatesNestingUpToTheDepthLimit) {
  // full validates every value, so the nesting limit (1024, as simdjson's DOM parser) applies
  // to the whole record; the validation's recursion is bounded by it.
  const uint32_t level = plan("level");
  auto nested = [](size_t depth) {  // An object of `depth` levels, the top-level one included.
    std::string s = "{\"level\":\"info\",";
    for (size_t i = 1; i < depth; ++i) s += "\"a\":{";
    s += "\"x\":[]";
    for (size_t i = 1; i < depth; ++i) s += "}";
    return s + "}";
  };
  ASSERT_EQ(parse(nested(1023)), ParseStatus::kOk);  // The array is at depth 1024.
  EXPECT_EQ(slot(level).text, "info");
  EXPECT_EQ(parse(nested(1024)), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(nested(5000)), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse("{\"b\":" + std::string(100000, '[') + std::string(100000, ']') + "}"),
            ParseStatus::kInvalidJson);
}

// Broken records, faults before, between and after the planned keys. full (the default) drops
// every one as invalid_json, whatever the bytes after the record. touched counts those whose
// fault lies only in what it does not read (documented in docs/json.md): unplanned values are
// skipped unvalidated, the object is not read past its last planned key, and then only its last
// byte is checked to be `}`. (touched pads with spaces here: with `}` right after the record,
// simdjson also checks that the brackets balance, see docs/json.md.)
struct Broken {
  std::string line;
  bool touched_counts;  ///< What touched makes of it: true kOk, false kInvalidJson.
};
const std::vector<Broken>& broken_records() {
  static const std::vector<Broken> records = {
      {R"({"a":tru,"level":"info","msg":"m"})", true},
      {R"({"level":"info","a":tru,"msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":tru})", true},
      {R"({"a":nul,"level":"info","msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":falsey})", true},
      {R"({"level":"info","msg":"m","a":True})", true},
      {R"({"a":"\x","level":"info","msg":"m"})", true},
      {R"({"level":"info","a":"\u12G4","msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":"\x"})", true},
      {R"({"level":"info","msg":"m","a":"ends in \"})", false},
      {R"({"level":"info","msg":"m","k\x":1})", true},
      {R"({"level":"info","msg":"m",})", true},
      {R"({"level":"info",,"msg":"m"})", false},
      {R"({"a":[1,2,],"level":"info","msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":{"b":1,}})", true},
      {R"({"level":"info","a":[1,2},"msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":[1,2})", true},
      {R"({"level":"info","msg":"m","a":[1,2]]})", true},
      {R"({"a":[1,"level":"info","msg":"m"})", false},
      {R"({"level":"info","msg":"m"}x)", false},
      {R"({"level":"info","msg":"m"}})", true},
      {R"({"level":"info","msg":"m"} {})", true},
      {R"({"level":"info","msg":"m"}])", false},
      {R"({"a":01,"level":"info","msg":"m"})", true},
      {R"({"level":"info","a":-,"msg":"m"})", true},
      {R"({"level":"info","msg":"m","a":1.})", true},
      {R"({"level":"info","msg":"m","a":.5})", true},
      {R"({"level":"info","msg":"m","a":+1})", true},
      {R"({"level":"info","msg":"m","a":1e})", true},
      {R"({"level":"info","msg":"m","a":0x1F})", true},
      {R"({"level":"info","msg":"m","a":[1,01]})", true},
      {"{\"level\":\"info\",\"msg\":\"m\",\"a\":\"tab\there\"}", false},
      {R"({"level":"info","msg":"m","a" 1})", true},
      {R"({"level":"info","msg":"m","a":1 "b":2})", true},
      {R"({"level":"info","msg":"m",1:2})", true},
      {R"({"level":"info","msg":"m","a":})", true},
      {R"({"level":"info","msg":"m","a":"x})", false},
      {R"({"level":"info","msg":"m","a":[1,,2]})", true},
      {R"({"level":"info","msg":"m","a":{"b"}})", true},
      {R"({"level":"info","msg":"m","a":{"b":1:2}})", true},
      {"{\"a\":\"x\x01y\",\"level\":\"info\",\"msg\":\"m\"}", false},
      {R"({"level":"info","msg":"m","a":1e+})", true},
      {R"({"level":"info","msg":"m","a":-01.5})", true},
      {R"({"level":"info","msg":"m","a":"\u00"})", true},
  };
  return records;
}

TEST_F(JsonParserTest, FullDropsEveryBrokenRecord) {
  const uint32_t level = plan("level");
  const uint32_t msg = plan("msg");
  for (const char pad : {'}', ' ', '{', ']', '"', '\\', '\n', '\0'}) {
    pad_ = pad;
    for (const Broken& b : broken_records()) {
      EXPECT_EQ(parse(b.line), ParseStatus::kInvalidJson) << b.line << " padded with " << pad;
      EXPECT_EQ(slot(level).kind, Kind::kAbsent) << b.line;  // Nothing is half-filled.
      EXPECT_EQ(slot(msg).kind, Kind::kAbsent) << b.line;
    }
  }
  ASSERT_EQ(broken_records().size(), 44u);
}

TEST_F(JsonParserTest, FullDropsTheIssueExamples) {
  plan("level");  // Only `level` planned: it is read first, the fault comes before or after.
  for (const char* line : {R"({"a":tru})", R"({"level":"info",})", R"({"level":"info","a":[1,2})",
                           R"({"a":tru,"level":"info"})", R"({"level":"info","a":"\x"})"}) {
    EXPECT_EQ(parse(line), ParseStatus::kInvalidJson) << line;
  }
}

TEST_F(JsonParserTest, TouchedCountsTheBrokenRecordsWhoseFaultItDoesNotRead) {
  validate_ = JsonValidate::kTouched;
  pad_ = ' ';
  const uint32_t level = plan("level");
  const uint32_t msg = plan("msg");
  size_t counted = 0;
  for (const Broken& b : broken_records()) {
    const ParseStatus want = b.touched_counts ? ParseStatus::kOk : ParseStatus::kInvalidJson;
    EXPECT_EQ(parse(b.line), want) << b.line;
    if (want == ParseStatus::kOk && slot(level).text == "info" && slot(msg).text == "m") {
      ++counted;
    }
  }
  EXPECT_EQ(counted, 36u);
}

// Regression (found by fuzz/json_parser_fuzz): a string value left unconsumed was skipped by
// simdjson, whose skip takes a string followed by `:` for a key and then skips by brackets
// alone, reading on into the padding after the record: a nested object with `"value":[...`
// after a string value passed full validation (when the padding did not hold a `}`).
TEST_F(JsonParserTest, AStringValueFollowedByAColonIsInvalid) {
  plan("level");
  const uint32_t id = plan("x.id");
  for (const char pad : {' ', '\n', '}'}) {
    pad_ = pad;
    for (const JsonValidate mode : {JsonValidate::kFull, JsonValidate::kTouched}) {
      validate_ = mode;
      parser_.reset();
      // Planned strings: both modes read them.
      EXPECT_EQ(parse(R"({"x":{"id":"a":[,": "x"}}bxx"}]}})"), ParseStatus::kInvalidJson);
      EXPECT_EQ(parse(R"({"level":"a":[,"b"],"x":{}})"), ParseStatus::kInvalidJson);
    }
    validate_ = JsonValidate::kFull;
    parser_.reset();
    // Unplanned strings: only full validation reads them.
    EXPECT_EQ(parse(R"({"a":{"b":"c":[,": "x"}}bxx"}]}})"), ParseStatus::kInvalidJson);
    EXPECT_EQ(parse(R"({"level":"info","y":{"z":"b":{"c":2}}})"), ParseStatus::kInvalidJson);
    EXPECT_EQ(parse(R"({"level":"info","y":["b":{"c":2}]})"), ParseStatus::kInvalidJson);
    // Still valid: strings as values, keys and array elements.
    EXPECT_EQ(parse(R"({"level":"info","y":{"z":"b","c":["d",":"]},"x":{"id":"e"}})"),
              ParseStatus::kOk);
    EXPECT_EQ(slot(id).text, "e");
  }
}

TEST_F(JsonParserTest, FullAcceptsEveryValidRecord) {
  const uint32_t level = plan("level");
  for (const char* line : {
           R"({"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00","level":"info"})",
           R"({"a":"lone \ud800 surrogate","k\u00e9y\n":1,"level":"info"})",
           R"( { "a" : [ ] , "b" : { } , "c" : [ { } , [ null ] ] , "level" : "info" } )",
           R"({"n":[0,-0,1.5,-2.5e10,1E+2,0.0e-0,123456789012345678901234567890],"level":"info"})",
           R"({"t":true,"f":false,"z":null,"level":"info","after":[1,{"x":"y"}]})",
           "{\"a\":\"\xC3\xA9\xF0\x9F\x98\x80\",\r\n\t\"level\":\"info\"}\r\n",
       }) {
    ASSERT_EQ(parse(line), ParseStatus::kOk) << line;
    EXPECT_EQ(slot(level).text, "info") << line;
  }
}

// Regression: a 64-bit mask of planned keys per object lost the 65th planned key and later
// ones. Any number of fields may be read from one object.
TEST_F(JsonParserTest, ReadsAnyNumberOfFieldsOfOneObject) {
  for (const JsonValidate mode : {JsonValidate::kFull, JsonValidate::kTouched}) {
    validate_ = mode;
    plan_ = core::FieldPlan();
    parser_.reset();
    std::vector<uint32_t> top, nested;
    std::string line = "{";
    std::string inner = "{";
    std::string last_key;
    for (int i = 0; i < 200; ++i) {
      // Keys sharing first bytes, of lengths on both sides of the 32 pre-encoded bytes.
      const std::string key = "f" + std::to_string(i) + std::string(size_t(i % 40), 'x');
      top.push_back(plan(key.c_str(), core::kUseText | core::kUseNumber));
      nested.push_back(plan(("n." + key).c_str()));
      line += "\"" + key + "\":" + std::to_string(i * 3) + ",";
      inner += std::string(i ? "," : "") + "\"" + key + "\":\"v" + std::to_string(i) + "\"";
      last_key = key;
    }
    line += "\"n\":" + inner + "}}";
    ASSERT_EQ(parse(line), ParseStatus::kOk);
    for (size_t i = 0; i < 200; ++i) {
      ASSERT_EQ(slot(top[i]).kind, Kind::kNumber) << i;
      EXPECT_EQ(slot(top[i]).text, std::to_string(i * 3)) << i;
      EXPECT_EQ(slot(top[i]).number, double(i * 3)) << i;
      EXPECT_EQ(slot(nested[i]).text, "v" + std::to_string(i)) << i;
    }
    // A repeated key past the 64th: the first occurrence still wins.
    ASSERT_EQ(parse("{\"" + last_key + "\":1," + line.substr(1)), ParseStatus::kOk);
    EXPECT_EQ(slot(top[199]).text, "1");
    EXPECT_EQ(slot(top[198]).text, "594");
  }
}

TEST_F(JsonParserTest, NumbersAreCorrectlyRoundedAndTooLargeIsInvalid) {
  const uint32_t v = plan("v", core::kUseNumber);
  const std::pair<const char*, double> cases[] = {
      {"0", 0},
      {"-0.0", -0.0},
      {"59.314", 59.314},
      {"373", 373},
      {"0.1", 0.1},
      {"-2.5E+3", -2500},
      {"1e-400", 0},
      {"123456789012345678901", 123456789012345678901.0},
      {"9007199254740993", 9007199254740993.0},
      {"0.30000000000000004", 0.30000000000000004},
  };
  for (const auto& [text, want] : cases) {
    ASSERT_EQ(parse(std::string(R"({"v":)") + text + "}"), ParseStatus::kOk) << text;
    EXPECT_TRUE(slot(v).has_number) << text;
    EXPECT_EQ(slot(v).number, want) << text;
    EXPECT_EQ(std::signbit(slot(v).number), std::signbit(want)) << text;
  }
  EXPECT_EQ(parse(R"({"v":1e400})"), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(R"({"v":-1e400})"), ParseStatus::kInvalidJson);
}

// A batch of lines as a LineReader makes it: records separated by "\n" (or "\r\n", the '\r' not
// in the span), the padding after the buffer's capacity.
core::BatchPtr make_batch(const std::vector<std::string>& lines, bool crlf) {
  size_t bytes = 0;
  for (const std::string& l : lines) bytes += l.size() + 2;
  auto batch = std::make_unique<core::Batch>(bytes);
  for (const std::string& l : lines) {
    std::memcpy(batch->data() + batch->size, l.data(), l.size());
    batch->spans.push_back(
        core::Span{static_cast<uint32_t>(batch->size), static_cast<uint32_t>(l.size())});
    batch->size += l.size();
    if (crlf) batch->data()[batch->size++] = '\r';
    batch->data()[batch->size++] = '\n';
  }
  return batch;
}

struct Outcome {
  ParseStatus status;
  std::vector<FieldValue> slots;
};

// Every record of `batch` parsed by one parser told about the batch, and by another one record
// at a time: the outcomes must be identical, field values included.
void expect_batch_matches_records(const core::Batch& batch, JsonValidate validate,
                                  bool expect_indexed) {
  core::FieldPlan plan;
  for (const char* f : {"level", "msg", "kubernetes.labels.app", "a"}) {
    plan.add(*core::parse_field_path(f), core::kUseText);
  }
  for (const char* f : {"status", "bytes", "duration_ms"}) {
    plan.add(*core::parse_field_path(f), core::kUseText | core::kUseNumber);
  }
  JsonParser batched(plan, validate);
  JsonParser alone(plan, validate);
  core::Record a(plan.slot_count());
  core::Record b(plan.slot_count());
  batched.begin_batch(batch);
  EXPECT_EQ(batched.batch_indexed(), expect_indexed);
  for (size_t i = 0; i < batch.record_count(); ++i) {
    if (i % 7 == 3) continue;  // Records may be skipped (the pipeline skips blank ones).
    const std::string_view r = batch.record(i);
    // The one-at-a-time parser gets its own copy, so nothing of the batch can help it.
    std::string copy(r);
    copy.append(core::kPadding, ' ');
    const ParseStatus sa = batched.parse(r, a);
    const ParseStatus sb = alone.parse(std::string_view(copy.data(), r.size()), b);
    ASSERT_EQ(sa, sb) << "record " << i << ": " << r;
    for (uint32_t s = 0; s < plan.slot_count(); ++s) {
      const FieldValue& x = a.slot(s);
      const FieldValue& y = b.slot(s);
      EXPECT_EQ(x.kind, y.kind) << "record " << i << " slot " << s;
      if (x.kind == Kind::kAbsent || x.kind != y.kind) continue;  // text: a stale view
      EXPECT_EQ(x.text, y.text) << "record " << i << " slot " << s;
      EXPECT_EQ(x.has_number, y.has_number) << "record " << i << " slot " << s;
      if (x.has_number && y.has_number) {
        EXPECT_EQ(x.number, y.number) << "record " << i << " slot " << s;
      }
    }
  }
  batched.end_batch();
  EXPECT_FALSE(batched.batch_indexed());
}

std::vector<std::string> varied_lines() {
  return {
      R"({"level":"info","status":200,"bytes":512,"duration_ms":59.314,"msg":"ok"})",
      R"({"level":"warn","msg":"a \"quoted\" \u00e9 msg","status":"404","bytes":"12"})",
      R"(  {"kubernetes":{"pod":"p","labels":{"app":"catalog"}},"status":503}  )",
      R"({"a":tru,"level":"info"})",
      R"({"level":"info",})",
      R"({"level":"info","a":[1,2}})",
      R"({"level":"info","n":01})",
      R"({"level":"info"}})",
      R"({"level":"info"} {"level":"debug"})",
      R"([1,2,3])",
      R"(42)",
      R"("just a string")",
      R"()",
      R"(   )",
      R"({"msg":"lone \ud800 surrogate","level":"x"})",
      R"({"level":"lone \udc00 planned"})",
      R"({"level":"bad \x escape"})",
      R"({"bytes":1e400,"level":"big"})",
      R"({"bytes":1e-400,"duration_ms":-0.0,"status":2.50})",
      R"({"a":{"b":[{"c":null},true,false,-1.5E+3]},"level":null})",
      R"({"level":"info","status":200,"bytes":512,"duration_ms":59.314,"msg":"ok"})",
      R"({"level":"info" , "a" : "spaced" , "status" : 7 })",
      R"({"a":"x":1})",
      R"({"a":[1,,2],"level":"info"})",
      R"({"level":"info","a":{"b":1,"c":[]},"z":{}})",
      R"({"level":true,"status":false,"msg":"\\"})",
      R"({"level":"info")",
      R"({"level":"info","x":[{"y":[{"z":"deep"}]}]})",
  };
}

TEST(JsonParserBatchTest, OneStageOneForTheBatchGivesTheSameResultsAsPerRecord) {
  for (const bool crlf : {false, true}) {
    const core::BatchPtr batch = make_batch(varied_lines(), crlf);
    expect_batch_matches_records(*batch, JsonValidate::kFull, true);
    expect_batch_matches_records(*batch, JsonValidate::kTouched, true);
  }
}

TEST(JsonParserBatchTest, ARecordCutAfterAColonDoesNotReadTheNextRecordsValue) {
  // Found by the json_parser fuzz target: in a batch, the token after `{"level":` is the next
  // line's string, past the record's end; reading it as the value read out of bounds.
  for (const char* value : {R"("D.2&y"  )", "12", "true", "{\"a\":1}", "[1]"}) {
    const core::BatchPtr batch =
        make_batch({R"({"level":)", value, R"({"status":)", value, R"({"msg":"ok"})"}, false);
    expect_batch_matches_records(*batch, JsonValidate::kFull, true);
    expect_batch_matches_records(*batch, JsonValidate::kTouched, true);
    core::FieldPlan plan;
    plan.add(*core::parse_field_path("level"), core::kUseText);
    plan.add(*core::parse_field_path("status"), core::kUseNumber);
    JsonParser parser(plan);
    core::Record out(plan.slot_count());
    parser.begin_batch(*batch);
    EXPECT_EQ(parser.parse(batch->record(0), out), ParseStatus::kInvalidJson) << value;
    EXPECT_EQ(parser.parse(batch->record(2), out), ParseStatus::kInvalidJson) << value;
    EXPECT_EQ(parser.parse(batch->record(4), out), ParseStatus::kOk) << value;
    parser.end_batch();
  }
}

TEST(JsonParserBatchTest, ABatchStageOneRejectsIsReadPerRecordWithTheSameResults) {
  // An unclosed string, invalid UTF-8 and a raw control character: stage 1 over the batch
  // fails, so every record is indexed alone (and the bad UTF-8 one repaired).
  for (const std::string& bad :
       {std::string(R"({"level":"unclosed)"), std::string("{\"level\":\"caf\xe9\"}"),
        std::string("{\"level\":\"tab\there\"}")}) {
    std::vector<std::string> lines = varied_lines();
    lines.insert(lines.begin() + 5, bad);
    const core::BatchPtr batch = make_batch(lines, false);
    expect_batch_matches_records(*batch, JsonValidate::kFull, false);
    expect_batch_matches_records(*batch, JsonValidate::kTouched, false);
  }
}

TEST(JsonParserBatchTest, RecordsNotSeparatedByLineEndsAreReadPerRecord) {
  // As a BatchWriter fills a batch (envelopes, Kafka): records back to back.
  auto batch = std::make_unique<core::Batch>(256);
  for (const std::string_view r : {R"({"level":"a"})", R"({"level":"b"})", R"({"level":"c)"}) {
    std::memcpy(batch->data() + batch->size, r.data(), r.size());
    batch->spans.push_back(
        core::Span{static_cast<uint32_t>(batch->size), static_cast<uint32_t>(r.size())});
    batch->size += r.size();
  }
  expect_batch_matches_records(*batch, JsonValidate::kFull, false);
  core::FieldPlan plan;
  const uint32_t level = plan.add(*core::parse_field_path("level"), core::kUseText);
  JsonParser parser(plan);
  core::Record out(plan.slot_count());
  parser.begin_batch(*batch);
  EXPECT_EQ(parser.parse(batch->record(0), out), ParseStatus::kOk);
  EXPECT_EQ(out.slot(level).text, "a");
  EXPECT_EQ(parser.parse(batch->record(1), out), ParseStatus::kOk);
  EXPECT_EQ(out.slot(level).text, "b");
  EXPECT_EQ(parser.parse(batch->record(2), out), ParseStatus::kInvalidJson);
  parser.end_batch();
}

}  // namespace
}  // namespace logtally::parsers
