#include "transforms/filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "parsers/json_parser.h"

namespace logtally::transforms {
namespace {

using ::testing::HasSubstr;

// Compiles `expr` and counts how many of `lines` (JSON objects) it accepts.
size_t count_matches(const std::string& expr, const std::vector<std::string>& lines) {
  core::FieldPlan plan;
  core::Result<Filter> f = compile_filter(expr, plan);
  EXPECT_TRUE(f.ok()) << expr << ": " << (f.ok() ? "" : f.error().message);
  if (!f.ok()) return SIZE_MAX;
  auto parser = parsers::json_parser_spec()->make(plan);
  core::Record record(plan.slot_count());
  size_t n = 0;
  for (const std::string& l : lines) {
    // The parser may read up to kPadding bytes past the end.
    std::string padded = l + std::string(64, ' ');
    EXPECT_EQ(parser->parse(std::string_view(padded.data(), l.size()), record),
              parsers::ParseStatus::kOk)
        << l;
    if (f->matches(record)) ++n;
  }
  return n;
}

bool accepts(const std::string& expr, const std::string& line) {
  return count_matches(expr, {line}) == 1;
}

std::string compile_error(const std::string& expr) {
  core::FieldPlan plan;
  core::Result<Filter> f = compile_filter(expr, plan);
  EXPECT_FALSE(f.ok()) << expr;
  return f.ok() ? "" : f.error().message;
}

const std::vector<std::string> kLogs = {
    R"({"status":200,"path":"/api/users","dur":0.12,"level":"info"})",
    R"({"status":"201","path":"/api/orders","dur":"1.5","level":"INFO"})",
    R"({"status":404,"path":"/favicon.ico","dur":0.001,"level":"warn"})",
    R"({"status":500,"path":"/api/users","dur":3,"level":"error","user":{"id":7}})",
    R"({"status":503,"path":"/healthz","level":"error"})",
    R"({"status":"oops","path":"/x","dur":"slow"})",
    R"({"path":"/nostatus","dur":null})",
    R"({"status":true,"path":"/bool"})",
};

TEST(FilterTest, NumberComparisonsOnNumbersAndNumericStrings) {
  EXPECT_EQ(count_matches("status >= 500", kLogs), 2u);
  EXPECT_EQ(count_matches("status < 300", kLogs), 2u);   // 200 and "201"
  EXPECT_EQ(count_matches("status == 201", kLogs), 1u);  // the string "201" is numeric
  EXPECT_EQ(count_matches("status != 200", kLogs), 4u);  // "oops", true, absent: not numeric
  EXPECT_EQ(count_matches("dur > 1", kLogs), 2u);        // "1.5" and 3; "slow"/null never
  EXPECT_EQ(count_matches("dur <= 0.12", kLogs), 2u);
  EXPECT_EQ(count_matches("status > -1e3", kLogs), 5u);
  EXPECT_EQ(count_matches("user.id == 7", kLogs), 1u);
}

TEST(FilterTest, StringComparisonsAreByteWise) {
  EXPECT_EQ(count_matches(R"(level == "error")", kLogs), 2u);
  EXPECT_EQ(count_matches(R"(level == 'INFO')", kLogs), 1u);   // case matters
  EXPECT_EQ(count_matches(R"(status == "200")", kLogs), 1u);   // a number's text as written
  EXPECT_EQ(count_matches(R"(status == "true")", kLogs), 1u);  // a boolean's text
  EXPECT_EQ(count_matches(R"(level < "f")", kLogs), 3u);       // "error" x2, "INFO" ('I' < 'f')
  EXPECT_EQ(count_matches(R"(level != "error")", kLogs), 3u);  // absent level is not counted
}

TEST(FilterTest, AbsentFieldsMakeEveryComparisonFalse) {
  const std::string line = R"({"a":1})";
  for (const char* expr : {"b == 1", "b != 1", R"(b == "x")", R"(b != "x")", "b < 1", "b >= 1",
                           R"(b =~ ".*")", R"(b !~ "x")", "a == b", "a != b"}) {
    EXPECT_FALSE(accepts(expr, line)) << expr;
  }
  EXPECT_TRUE(accepts("!(b == 1)", line));
  EXPECT_TRUE(accepts("!exists(b)", line));
  EXPECT_TRUE(accepts("exists(a)", line));
  EXPECT_FALSE(accepts("exists(a.b)", line));  // a is a number, not an object
  EXPECT_FALSE(accepts("exists(n)", R"({"n":null})"));
  EXPECT_FALSE(accepts("exists(o)", R"({"o":{"x":1}})"));  // objects are not scalars
}

TEST(FilterTest, RegexMatchesTheWholeValue) {
  EXPECT_EQ(count_matches(R"(path =~ "/api/.*")", kLogs), 3u);
  EXPECT_EQ(count_matches(R"(path =~ "/api")", kLogs), 0u);  // anchored
  EXPECT_EQ(count_matches(R"(path !~ "/api/.*")", kLogs), 5u);
  EXPECT_EQ(count_matches(R"(status =~ "5\d\d")", kLogs), 2u);  // a number's text
  EXPECT_EQ(count_matches(R"(level =~ "(?i)info")", kLogs), 2u);
  EXPECT_TRUE(accepts(R"(q =~ "a\"b")", R"({"q":"a\"b"})"));  // \" inside the literal
}

TEST(FilterTest, BooleanOperatorsPrecedenceAndParentheses) {
  // && binds tighter than ||.
  EXPECT_EQ(count_matches(R"(status == 404 || status >= 500 && path != "/healthz")", kLogs), 2u);
  EXPECT_EQ(count_matches(R"((status == 404 || status >= 500) && path != "/healthz")", kLogs), 2u);
  EXPECT_EQ(count_matches(R"(status == 404 || status >= 500 && level == "warn")", kLogs), 1u);
  EXPECT_EQ(count_matches(R"((status == 404 || status >= 500) && level == "error")", kLogs), 2u);
  EXPECT_EQ(count_matches("!!(status == 200)", kLogs), 1u);
  EXPECT_EQ(count_matches("!(status >= 300)", kLogs), 5u);                // 8 - (404, 500, 503)
  EXPECT_EQ(count_matches("exists(status) && !exists(dur)", kLogs), 2u);  // 503 and true
  EXPECT_EQ(count_matches("dur > 1 && dur < 2 || status == 404", kLogs), 2u);
}

TEST(FilterTest, FieldAgainstField) {
  EXPECT_TRUE(accepts("a < b", R"({"a":9,"b":10})"));       // numbers: 9 < 10
  EXPECT_TRUE(accepts("a < b", R"({"a":"9","b":"10"})"));   // numeric strings: still numbers
  EXPECT_FALSE(accepts("a < b", R"({"a":"9","b":"1x"})"));  // one is not: text, "9" > "1x"
  EXPECT_TRUE(accepts("a == b", R"({"a":"x","b":"x"})"));
}

TEST(FilterTest, FieldsEnterThePlan) {
  core::FieldPlan plan;
  auto f = compile_filter(R"(a.b == 1 && exists(c) || d =~ "x" && a.b > 0)", plan);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(plan.slot_count(), 3u);
  EXPECT_EQ(plan.path(0).to_string(), "a.b");
  EXPECT_EQ(plan.path(1).to_string(), "c");
  EXPECT_EQ(plan.path(2).to_string(), "d");
}

TEST(FilterTest, SyntaxErrorsNameTheColumn) {
  EXPECT_THAT(compile_error("status >= "), HasSubstr("column 11: unexpected end of expression"));
  EXPECT_THAT(compile_error("status 500"),
              HasSubstr("column 8: unexpected number 500; expected a comparison"));
  EXPECT_THAT(compile_error("(a == 1"), HasSubstr("column 8: unexpected end of expression; "
                                                  "expected ) to close the ( at column 1"));
  EXPECT_THAT(compile_error("a == 1 b == 2"), HasSubstr("column 8: unexpected field 'b'"));
  EXPECT_THAT(compile_error("a == 1 & b == 2"), HasSubstr("column 8: unexpected '&'"));
  EXPECT_THAT(compile_error(R"(a == "open)"), HasSubstr("column 6: unterminated string"));
  EXPECT_THAT(compile_error(R"(path =~ "(unclosed")"),
              HasSubstr("column 9: invalid regular expression \"(unclosed\": missing )"));
  EXPECT_THAT(compile_error("path =~ 5"),
              HasSubstr("column 9: expected a string holding a regular expression after =~"));
  EXPECT_THAT(compile_error("exists(1)"), HasSubstr("column 8: unexpected number 1"));
  EXPECT_THAT(compile_error(""), HasSubstr("column 1: empty expression"));
  EXPECT_THAT(compile_error("a == 1e999"), HasSubstr("column 6: malformed number 1e999"));
  EXPECT_THAT(compile_error("a == 1 ||"), HasSubstr("column 10: unexpected end of expression"));
  EXPECT_THAT(compile_error(std::string(100000, '(') + "a == 1"),
              HasSubstr("column 201: expression nested deeper than 200 levels"));
  EXPECT_THAT(compile_error(std::string(100000, '!') + "a == 1"),
              HasSubstr("column 201: expression nested deeper than 200 levels"));
  EXPECT_EQ(count_matches(std::string(150, '(') + "a == 1" + std::string(150, ')'), {R"({"a":1})"}),
            1u);
}

// Regression (found by fuzzing): `a < 1 && ` 100,000 times passed `check` and then crashed the
// process on the first record, evaluation recursing once per `&&`. Chains of any length now
// evaluate, with short-circuit, and only real nesting is limited (above).
TEST(FilterTest, ChainsOfAnyLengthEvaluate) {
  std::string all_and;
  for (int i = 0; i < 100000; ++i) all_and += "a < 1 && ";
  all_and += "b == 2";
  EXPECT_EQ(count_matches(all_and, {R"({"a":0,"b":2})", R"({"a":0,"b":3})", R"({"a":1,"b":2})",
                                    R"({"b":2})", R"({"a":-5,"b":2,"c":1})"}),
            2u);

  std::string any_or;
  for (int i = 0; i < 100000; ++i) any_or += "a == " + std::to_string(i) + " || ";
  any_or += "b == 2";
  EXPECT_EQ(count_matches(any_or, {R"({"a":0})", R"({"a":99999})", R"({"a":100000})",
                                   R"({"a":100000,"b":2})", R"({"b":1})"}),
            3u);

  // Mixed, with && binding tighter: (a == 1 && b == 1) || (a == 2 && b == 2) || ... || c == 1.
  std::string mixed;
  for (int i = 1; i <= 50000; ++i) {
    mixed += "a == " + std::to_string(i) + " && b == " + std::to_string(i) + " || ";
  }
  mixed += "c == 1";
  EXPECT_EQ(count_matches(mixed, {R"({"a":7,"b":7})", R"({"a":50000,"b":50000})",
                                  R"({"a":7,"b":8})", R"({"a":50001,"b":50001})", R"({"c":1})"}),
            3u);

  // A long chain inside nesting, and nesting inside a long chain.
  const std::string nested =
      std::string(150, '(') + all_and + std::string(150, ')') + " || !(" + any_or + ")";
  EXPECT_EQ(count_matches(nested, {R"({"a":0,"b":2})", R"({"a":100000,"b":1})", R"({"a":3})"}), 2u);
}

}  // namespace
}  // namespace logtally::transforms
