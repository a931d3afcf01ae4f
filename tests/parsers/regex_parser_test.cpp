#include "parsers/regex_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "core/batch.h"

namespace logtally::parsers {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

// Apache combined log format, the classic text log.
constexpr const char* kCombined =
    R"re(^(?P<host>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) )re"
    R"re((?P<path>\S+) (?P<protocol>[^"]+)" (?P<status>\d{3}) (?P<bytes>\d+|-) )re"
    R"re("(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$)re";

class RegexParserTest : public ::testing::Test {
 protected:
  uint32_t plan(const char* path, uint8_t uses = core::kUseText) {
    return plan_.add(*core::parse_field_path(path), uses);
  }
  ParseStatus parse(std::string_view text) {
    if (!parser_) parser_ = std::make_unique<RegexParser>(patterns_, plan_);
    record_ = core::Record(plan_.slot_count());
    buffer_.assign(text);
    buffer_.append(core::kPadding, 'x');
    return parser_->parse(std::string_view(buffer_.data(), text.size()), record_);
  }
  const FieldValue& slot(uint32_t i) const { return record_.slot(i); }

  std::vector<std::string> patterns_;
  core::FieldPlan plan_;
  std::unique_ptr<RegexParser> parser_;
  core::Record record_;
  std::string buffer_;
};

TEST_F(RegexParserTest, FillsPlannedNamedGroups) {
  patterns_ = {kCombined};
  const uint32_t method = plan("method");
  const uint32_t status = plan("status");
  const uint32_t bytes = plan("bytes", core::kUseNumber);
  const uint32_t agent = plan("agent");
  const uint32_t nope = plan("not_a_group");
  ASSERT_EQ(parse(R"(10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 )"
                  R"x("http://x.example/" "Mozilla/4.08 [en] (Win98; I ;Nav)")x"),
            ParseStatus::kOk);
  EXPECT_EQ(slot(method).kind, Kind::kString);
  EXPECT_EQ(slot(method).text, "GET");
  EXPECT_EQ(slot(status).text, "200");
  EXPECT_EQ(slot(bytes).text, "2326");
  EXPECT_FALSE(slot(bytes).has_number);  // Text: metric rules parse it.
  EXPECT_EQ(slot(agent).text, "Mozilla/4.08 [en] (Win98; I ;Nav)");
  EXPECT_EQ(slot(nope).kind, Kind::kAbsent);
  // The text is a view into the record, not a copy.
  EXPECT_GE(slot(method).text.data(), buffer_.data());
  EXPECT_LT(slot(method).text.data(), buffer_.data() + buffer_.size());
}

TEST_F(RegexParserTest, NoMatchClearsTheRecord) {
  patterns_ = {kCombined};
  const uint32_t method = plan("method");
  ASSERT_EQ(parse(R"(1.2.3.4 - - [x] "GET / HTTP/1.1" 200 1 "-" "-")"), ParseStatus::kOk);
  EXPECT_EQ(slot(method).text, "GET");
  EXPECT_EQ(parse("this is not an access log line"), ParseStatus::kNoMatch);
  EXPECT_EQ(slot(method).kind, Kind::kAbsent);
  // Fully anchored: a valid line with a suffix does not match.
  EXPECT_EQ(parse(R"(1.2.3.4 - - [x] "GET / HTTP/1.1" 200 1 "-" "-" trailing)"),
            ParseStatus::kNoMatch);
  EXPECT_EQ(parse(""), ParseStatus::kNoMatch);
}

TEST_F(RegexParserTest, UnanchoredPatternMatchesAnywhere) {
  patterns_ = {R"(status=(?P<status>\d+))"};
  const uint32_t status = plan("status");
  ASSERT_EQ(parse("prefix text status=503 suffix"), ParseStatus::kOk);
  EXPECT_EQ(slot(status).text, "503");
  EXPECT_EQ(parse("status=abc"), ParseStatus::kNoMatch);
}

TEST_F(RegexParserTest, FirstMatchingPatternWinsInListOrder) {
  // Both the second and the third pattern match "GET /x 200"; the second is first in order.
  patterns_ = {R"(^ERROR (?P<msg>.*)$)", R"(^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+)$)",
               R"(^(?P<method>\S+) (?P<rest>.*)$)"};
  const uint32_t msg = plan("msg");
  const uint32_t method = plan("method");
  const uint32_t status = plan("status");
  const uint32_t rest = plan("rest");
  ASSERT_EQ(parse("GET /x 200"), ParseStatus::kOk);
  EXPECT_EQ(slot(method).text, "GET");
  EXPECT_EQ(slot(status).text, "200");
  EXPECT_EQ(slot(rest).kind, Kind::kAbsent);
  EXPECT_EQ(slot(msg).kind, Kind::kAbsent);
  ASSERT_EQ(parse("get /x 200"), ParseStatus::kOk);  // Only the third matches.
  EXPECT_EQ(slot(method).text, "get");
  EXPECT_EQ(slot(rest).text, "/x 200");
  EXPECT_EQ(slot(status).kind, Kind::kAbsent);
  ASSERT_EQ(parse("ERROR disk full"), ParseStatus::kOk);  // First and third match.
  EXPECT_EQ(slot(msg).text, "disk full");
  EXPECT_EQ(slot(method).kind, Kind::kAbsent);
  EXPECT_EQ(parse("   "), ParseStatus::kNoMatch);
}

TEST_F(RegexParserTest, GroupThatDidNotParticipateIsAbsent) {
  patterns_ = {R"(^(?P<verb>\w+)(?: code=(?P<code>\d+))?(?: (?P<empty>x*))?$)"};
  const uint32_t verb = plan("verb");
  const uint32_t code = plan("code");
  const uint32_t empty = plan("empty");
  ASSERT_EQ(parse("open"), ParseStatus::kOk);
  EXPECT_EQ(slot(verb).text, "open");
  EXPECT_EQ(slot(code).kind, Kind::kAbsent);
  EXPECT_EQ(slot(empty).kind, Kind::kAbsent);
  ASSERT_EQ(parse("open code=7 "), ParseStatus::kOk);
  EXPECT_EQ(slot(code).text, "7");
  // A group that took part but matched nothing is present and empty.
  EXPECT_EQ(slot(empty).kind, Kind::kString);
  EXPECT_EQ(slot(empty).text, "");
}

TEST_F(RegexParserTest, LinearTimeOnPathologicalInput) {
  // The classic catastrophic-backtracking pattern; RE2 has no backtracking to go wrong.
  patterns_ = {R"(^(a+)+$)"};
  plan("x");
  std::string evil(100000, 'a');
  evil += '!';
  EXPECT_EQ(parse(evil), ParseStatus::kNoMatch);
}

TEST_F(RegexParserTest, InvalidUtf8AndNulBytes) {
  patterns_ = {R"(^(?P<a>\S+) (?P<b>.*)$)"};
  const uint32_t a = plan("a");
  const uint32_t b = plan("b");
  ASSERT_EQ(parse(std::string("k\0y v", 5)), ParseStatus::kOk);
  EXPECT_EQ(slot(a).text, std::string_view("k\0y", 3));
  EXPECT_EQ(slot(b).text, "v");
  // An invalid UTF-8 byte matches no character class.
  EXPECT_EQ(parse("k v\xff"), ParseStatus::kNoMatch);
}

// The bench's pattern (6 named groups), matched by DeterministicRegex: the same fields and the
// same no-match drops as RE2 gave, on lines that match, almost match or hold odd bytes.
TEST_F(RegexParserTest, ApacheCombinedFieldsAndDrops) {
  patterns_ = {
      R"re(^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" )re"
      R"re((?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$)re"};
  const uint32_t client = plan("client");
  const uint32_t method = plan("method");
  const uint32_t status = plan("status");
  const uint32_t bytes = plan("bytes", core::kUseNumber);
  const uint32_t referer = plan("referer");
  const uint32_t agent = plan("agent");
  ASSERT_EQ(
      parse(R"x(10.1.2.3 - - [14/May/2024:09:00:00 +0000] "GET /a?b=c HTTP/1.1" 404 - "" "")x"),
      ParseStatus::kOk);
  EXPECT_EQ(slot(client).text, "10.1.2.3");
  EXPECT_EQ(slot(method).text, "GET");
  EXPECT_EQ(slot(status).text, "404");
  EXPECT_EQ(slot(bytes).text, "-");
  EXPECT_EQ(slot(referer).kind, Kind::kString);  // Empty, but present.
  EXPECT_EQ(slot(referer).text, "");
  EXPECT_EQ(slot(agent).kind, Kind::kString);
  EXPECT_EQ(slot(agent).text, "");
  ASSERT_EQ(parse("::1 - u [t] \"PUT / HTTP/2\" 201 12 \"https://x/\" \"caf\xC3\xA9 (a; b)\""),
            ParseStatus::kOk);
  EXPECT_EQ(slot(client).text, "::1");
  EXPECT_EQ(slot(bytes).text, "12");
  EXPECT_EQ(slot(referer).text, "https://x/");
  EXPECT_EQ(slot(agent).text, "caf\xC3\xA9 (a; b)");
  // Almost: a 2-digit status, a lower-case method, text after the last quote, a missing field,
  // the literals in the right places but a quote inside the agent, an invalid UTF-8 byte or a
  // cut multi-byte character inside a quoted field (RE2's classes take neither).
  for (const std::string line : {
           R"x(10.1.2.3 - - [t] "GET / HTTP/1.1" 40 - "" "")x",
           R"x(10.1.2.3 - - [t] "get / HTTP/1.1" 404 - "" "")x",
           R"x(10.1.2.3 - - [t] "GET / HTTP/1.1" 404 - "" "" )x",
           R"x(10.1.2.3 - [t] "GET / HTTP/1.1" 404 - "" "")x",
           R"x(10.1.2.3 - - [t] "GET / HTTP/1.1" 404 - "" "a"b")x",
           "10.1.2.3 - - [t] \"GET / HTTP/1.1\" 404 - \"\" \"\xFF\"",
           "10.1.2.3 - - [t] \"GET / HTTP/1.1\" 404 - \"\xC3\" \"\"",
       }) {
    EXPECT_EQ(parse(line), ParseStatus::kNoMatch) << line;
    EXPECT_EQ(slot(client).kind, Kind::kAbsent) << line;
  }
}

TEST(InspectPatterns, ReportsErrorsAndGroups) {
  const auto infos = inspect_patterns({R"((?P<a>x)(?P<b>y)(z))", "(unclosed", "a**"});
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].error, "");
  EXPECT_EQ(infos[0].groups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(infos[1].error, "missing ): (unclosed");
  EXPECT_TRUE(infos[1].groups.empty());
  EXPECT_EQ(infos[2].error, "bad repetition operator: **");
}

}  // namespace
}  // namespace logtally::parsers
