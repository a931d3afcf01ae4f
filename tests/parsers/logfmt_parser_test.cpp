#include "parsers/logfmt_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "core/batch.h"

namespace logtally::parsers {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

template <typename P>
class ParserFixture : public ::testing::Test {
 protected:
  uint32_t plan(const char* path, uint8_t uses = core::kUseText) {
    return plan_.add(*core::parse_field_path(path), uses);
  }
  ParseStatus parse(std::string_view text) {
    if (!parser_) parser_ = std::make_unique<P>(plan_);
    record_ = core::Record(plan_.slot_count());
    // Padding bytes that would be wrong to read as part of the record.
    buffer_.assign(text);
    buffer_.append(core::kPadding, '"');
    return parser_->parse(std::string_view(buffer_.data(), text.size()), record_);
  }
  const FieldValue& slot(uint32_t i) const { return record_.slot(i); }

  core::FieldPlan plan_;
  std::unique_ptr<P> parser_;
  core::Record record_;
  std::string buffer_;
};

using LogfmtParserTest = ParserFixture<LogfmtParser>;

TEST_F(LogfmtParserTest, PairsQuotedValuesAndBareKeys) {
  const uint32_t level = plan("level");
  const uint32_t msg = plan("msg");
  const uint32_t status = plan("status");
  const uint32_t debug = plan("debug");
  const uint32_t missing = plan("missing");
  ASSERT_EQ(parse(R"(ts=2026-04-22T12:00:00Z level=info msg="api request completed status=200 )"
                  R"(route=/orders/1" debug user_id=u-1)"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(level).kind, Kind::kString);
  EXPECT_EQ(slot(level).text, "info");
  EXPECT_EQ(slot(msg).kind, Kind::kString);
  EXPECT_EQ(slot(msg).text, "api request completed status=200 route=/orders/1");
  // `status=200` inside the quoted msg is not a pair of its own.
  EXPECT_EQ(slot(status).kind, Kind::kAbsent);
  EXPECT_EQ(slot(debug).kind, Kind::kBool);
  EXPECT_EQ(slot(debug).text, "true");
  EXPECT_EQ(slot(missing).kind, Kind::kAbsent);
  // Views into the record, not copies.
  EXPECT_EQ(slot(level).text.data(), buffer_.data() + 30);
}

TEST_F(LogfmtParserTest, EscapesInQuotedValues) {
  const uint32_t a = plan("a");
  const uint32_t b = plan("b");
  const uint32_t c = plan("c");
  const uint32_t d = plan("d");
  ASSERT_EQ(parse(R"(a="say \"hi\" \\ done" b="tab\there\nnl \u00e9 \ud83d\ude00 \ud83d x" )"
                  R"(c="keep \q and \u12" d="")"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, R"(say "hi" \ done)");
  EXPECT_EQ(slot(b).text, "tab\there\nnl \xC3\xA9 \xF0\x9F\x98\x80 \xEF\xBF\xBD x");
  EXPECT_EQ(slot(c).text, R"(keep \q and \u12)");
  EXPECT_EQ(slot(d).kind, Kind::kString);
  EXPECT_EQ(slot(d).text, "");
}

TEST_F(LogfmtParserTest, RepeatedKeyLastWins) {
  const uint32_t a = plan("a");
  ASSERT_EQ(parse(R"(a=1 a="two \"2\"" b=x a=three)"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "three");
  ASSERT_EQ(parse(R"(a=1 a="two \"2\"")"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, R"(two "2")");
  ASSERT_EQ(parse("a=1 a"), ParseStatus::kOk);
  EXPECT_EQ(slot(a).kind, Kind::kBool);
}

TEST_F(LogfmtParserTest, TypesOfBareValues) {
  const uint32_t i = plan("i", core::kUseNumber);
  const uint32_t f = plan("f", core::kUseNumber);
  const uint32_t e = plan("e", core::kUseNumber | core::kUseText);
  const uint32_t plus = plan("plus", core::kUseNumber);
  const uint32_t text_only = plan("t");
  const uint32_t not_num = plan("n", core::kUseNumber);
  const uint32_t dur = plan("dur", core::kUseNumber);
  const uint32_t yes = plan("yes");
  const uint32_t quoted = plan("q", core::kUseNumber);
  const uint32_t empty = plan("empty");
  ASSERT_EQ(parse("i=-42 f=.5 e=1.5e3 plus=+7 t=200 n=1.2.3 dur=12ms yes=false q=\"9\" empty="),
            ParseStatus::kOk);
  EXPECT_EQ(slot(i).kind, Kind::kNumber);
  EXPECT_TRUE(slot(i).has_number);
  EXPECT_EQ(slot(i).number, -42);
  EXPECT_EQ(slot(f).number, 0.5);
  EXPECT_EQ(slot(e).number, 1500);
  EXPECT_EQ(slot(e).text, "1.5e3");
  EXPECT_EQ(slot(plus).number, 7);
  EXPECT_EQ(slot(text_only).kind, Kind::kNumber);
  EXPECT_FALSE(slot(text_only).has_number);  // Wanted as text only: not converted.
  EXPECT_EQ(slot(not_num).kind, Kind::kString);
  EXPECT_EQ(slot(dur).kind, Kind::kString);
  EXPECT_EQ(slot(dur).text, "12ms");
  EXPECT_EQ(slot(yes).kind, Kind::kBool);
  EXPECT_EQ(slot(yes).text, "false");
  EXPECT_EQ(slot(quoted).kind, Kind::kString);  // Quoted: always a string.
  EXPECT_EQ(slot(quoted).text, "9");
  EXPECT_EQ(slot(empty).kind, Kind::kString);
  EXPECT_EQ(slot(empty).text, "");
}

TEST_F(LogfmtParserTest, DottedKeysMatchNestedAndQuotedPaths) {
  const uint32_t nested = plan("http.method");
  const uint32_t flat = plan("\"http.method\"");
  const uint32_t app = plan("kubernetes.labels.app");
  ASSERT_EQ(parse("http.method=GET kubernetes.labels.app=cart kubernetes.pod=x"), ParseStatus::kOk);
  EXPECT_EQ(slot(nested).text, "GET");
  EXPECT_EQ(slot(flat).text, "GET");
  EXPECT_EQ(slot(app).text, "cart");
}

TEST_F(LogfmtParserTest, FreeTextAndOddInputNeverStopTheScan) {
  const uint32_t level = plan("level");
  const uint32_t x = plan("x");
  const uint32_t eq = plan("a");
  // A quoted string where a key should be, a lone '=', a key glued to a quote, '=' in a bare
  // value, tabs and CR: all defined, and the pairs after them are still found.
  ASSERT_EQ(parse("starting \"free text level=bad\" = v =\"q\" foo\"bar\" a=b=c\tx=1\r level=warn"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(level).text, "warn");
  EXPECT_EQ(slot(x).text, "1");
  EXPECT_EQ(slot(eq).text, "b=c");
  // An unclosed quote runs to the end of the record.
  ASSERT_EQ(parse(R"(x="never closed level=error)"), ParseStatus::kOk);
  EXPECT_EQ(slot(x).text, "never closed level=error");
  EXPECT_EQ(slot(level).kind, Kind::kAbsent);
  ASSERT_EQ(parse(R"(x="ends in backslash\)"), ParseStatus::kOk);
  EXPECT_EQ(slot(x).text, "ends in backslash\\");
  ASSERT_EQ(parse(""), ParseStatus::kOk);
  EXPECT_EQ(slot(x).kind, Kind::kAbsent);
  ASSERT_EQ(parse(std::string("x=\xff\0z level=\"a\0"
                              "b\"",
                              18)),
            ParseStatus::kOk);
  EXPECT_EQ(slot(x).text, std::string_view("\xff", 1));  // NUL (<= 0x20) ends a bare value.
  EXPECT_EQ(slot(level).text, std::string_view("a\0b", 3));
}

TEST_F(LogfmtParserTest, ManyPlannedKeys) {
  std::vector<uint32_t> slots;
  for (int i = 0; i < 70; ++i) slots.push_back(plan(("k" + std::to_string(i)).c_str()));
  ASSERT_EQ(parse("k0=a k63=b k64=c k69=d kx=e"), ParseStatus::kOk);
  EXPECT_EQ(slot(slots[0]).text, "a");
  EXPECT_EQ(slot(slots[63]).text, "b");
  EXPECT_EQ(slot(slots[64]).text, "c");
  EXPECT_EQ(slot(slots[69]).text, "d");
  EXPECT_EQ(slot(slots[1]).kind, Kind::kAbsent);
}

TEST_F(LogfmtParserTest, KeyNamedByTwoPathsIsUnescapedOnce) {
  // Both paths read the key `a.b`; a long escaped value must still fit the scratch memory
  // (sized to the record), so it may be unescaped only once.
  const uint32_t nested = plan("a.b");
  const uint32_t flat = plan("\"a.b\"");
  const std::string plain(6000, 'x');
  ASSERT_EQ(parse("a.b=\"\\n" + plain + "\""), ParseStatus::kOk);
  EXPECT_EQ(slot(nested).text, "\n" + plain);
  EXPECT_EQ(slot(flat).text.data(), slot(nested).text.data());
}

TEST_F(LogfmtParserTest, LongRecordWithEscapesGrowsScratchOnce) {
  const uint32_t a = plan("a");
  const uint32_t b = plan("b");
  std::string long_value(10000, 'v');
  ASSERT_EQ(parse("a=\"x\\\"" + long_value + "\" b=\"y\\\\z\""), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, "x\"" + long_value);
  EXPECT_EQ(slot(b).text, "y\\z");
}

// Random records over an alphabet of the bytes that matter (quotes, backslashes, '=', blanks,
// NUL, \u escapes, invalid UTF-8): the scan always finishes, and every value it returns lies
// inside the record or is an unescaped copy no longer than the record.
TEST_F(LogfmtParserTest, RandomRecordsAreAlwaysScanned) {
  const uint32_t a = plan("a");
  const uint32_t b = plan("b", core::kUseNumber);
  const uint32_t ab = plan("a.b");
  const uint32_t ab_flat = plan("\"a.b\"");
  static constexpr char kAlphabet[] = {'a', 'b', '.', '=', '"', '\\', ' ',    '\t',   '\0', 'u',
                                       'd', '8', '0', '1', 'e', '-',  '\xff', '\xc3', '{',  'x'};
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text.clear();
    const uint32_t n = next() % 80;
    for (uint32_t k = 0; k < n; ++k) text += kAlphabet[next() % sizeof(kAlphabet)];
    ASSERT_EQ(parse(text), ParseStatus::kOk);
    for (uint32_t s : {a, b, ab, ab_flat}) {
      const FieldValue& f = slot(s);
      if (f.kind == Kind::kAbsent) continue;
      if (f.kind == Kind::kBool) {  // A bare key's "true" is a constant, not in the record.
        ASSERT_TRUE(f.text == "true" || f.text == "false") << i;
        continue;
      }
      const bool in_record = f.text.data() >= buffer_.data() &&
                             f.text.data() + f.text.size() <= buffer_.data() + text.size();
      ASSERT_TRUE(in_record || f.text.size() <= text.size()) << i;
      if (f.has_number) {
        ASSERT_EQ(f.kind, Kind::kNumber);
      }
    }
  }
}

}  // namespace
}  // namespace logtally::parsers
