// Config errors of the transforms keys: every one names file:line:column (for an expression, the
// column inside the expression mapped into the YAML line), and all are reported at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

// Columns below are counted in these raw strings; line 1 is the empty line after R"(.
constexpr const char* kBad = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    filter: status >= && ok
    metrics:
      - name: a_total
        type: counter
        when: "path =~ '(open'"
        labels:
          s:
            field: status
            map:
              - { regex: '2\d\d(', to: 2xx }
              - { equals: "1", regex: "1", to: one }
          r: { field: path, replace: { regex: '[z-a]', with: x } }
        expire_after: 10 minutes
        initial: [ { s: "500" }, { nope: "1" } ]
      - name: b_total
        type: counter
        when: |
          exists(a) &&
        max_series: -1
  q:
    inputs: [in]
    parser: json
    filter: 'a == 1 || (b == 2'
    metrics: [ { name: c_total, type: counter, when: "a == 'x' b" } ]
)";

TEST(TransformsConfigTest, EveryErrorWithLineAndColumn) {
  auto cfg = load_config_text(kBad, "bad.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  // `filter: status >= && ok`: the scalar starts at column 13; "&&" is at column 11 of it.
  EXPECT_THAT(m, HasSubstr("bad.yaml:7:23: pipeline 'p' filter: unexpected '&&'; expected a "
                           "field, a string, a number, exists(...), ! or ( (in \"status >= && "
                           "ok\", column 11)"));
  // `when: "path =~ '(open'"`: the quote is at column 15, the text starts at 16; the regex
  // literal at column 9 of it. Errors come in the order the loader meets them (labels first).
  EXPECT_THAT(m, HasSubstr("bad.yaml:11:24: metric 'a_total' when: invalid regular expression "
                           "\"(open\": missing ): (open"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:16:26: metric 'a_total' label 's' map entry: invalid regular "
                           "expression \"2\\d\\d(\": missing ): 2\\d\\d( (RE2 syntax)"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:17:17: metric 'a_total' label 's' map entry: expected "
                           "exactly one of 'regex' or 'equals'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:18:47: metric 'a_total' label 'r' replace regex: invalid "
                           "regular expression \"[z-a]\": invalid character class range: z-a"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:19:23: metric 'a_total' expire_after: expected a positive "
                           "duration such as 90s, 10m, 1h30m or 500ms, got \"10 minutes\""));
  // The first row lacks 'r'; the second names an unknown label and lacks both real ones.
  EXPECT_THAT(m, HasSubstr("bad.yaml:20:20: metric 'a_total' initial: missing label 'r'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:20:36: metric 'a_total' initial: the metric has no label "
                           "'nope'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:20:34: metric 'a_total' initial: missing label 's'"));
  // A block scalar: its text starts on the next line (24), indented by 11 columns; the end of
  // "exists(a) &&\n" is at column 14 of the text.
  EXPECT_THAT(m, HasSubstr("bad.yaml:24:24: metric 'b_total' when: unexpected end of expression"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:25:21: metric 'b_total' max_series: expected an integer "
                           "from 0 to 2147483648, got \"-1\""));
  EXPECT_THAT(m, HasSubstr("bad.yaml:29:31: pipeline 'q' filter: unexpected end of expression; "
                           "expected ) to close the ( at column 11"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:30:64: metric 'c_total' when: unexpected field 'b'; "
                           "expected && or || or the end"));
}

TEST(TransformsConfigTest, GoodTransformsCompile) {
  auto cfg = load_config_text(R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    filter: 'level != "debug"'
    metrics:
      - name: a_total
        type: counter
        max_series: 50
        expire_after: 1h30m
        when: exists(user)
        labels:
          s: { field: status, map: { "200": ok, "404": missing }, unmapped: other }
          k: { const: x }
        initial: [ { s: ok }, { s: missing, k: x } ]
      - { name: b_total, type: counter }
max_series: 7
)",
                              "good.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const MetricConfig& a = cfg->pipelines[0].metrics[0];
  EXPECT_EQ(a.max_series, 50u);
  EXPECT_EQ(a.expire_after_ms, 90 * 60 * 1000);
  EXPECT_EQ(a.when, "exists(user)");
  EXPECT_EQ(a.initial, (std::vector<std::vector<std::string>>{{"ok", "x"}, {"missing", "x"}}));
  EXPECT_EQ(a.labels[0].map.size(), 2u);
  EXPECT_EQ(a.labels[0].unmapped, "other");
  EXPECT_EQ(cfg->pipelines[0].metrics[1].max_series, 7u);  // the top-level default
  const Compiled c = compile(*cfg);
  EXPECT_EQ(c.specs[0].max_series, 50u);
  EXPECT_EQ(c.specs[1].max_series, 7u);
  ASSERT_NE(c.pipelines[0].filter, nullptr);
  ASSERT_NE(c.pipelines[0].rules[0].when, nullptr);
  // Fields of the filter and of when: are planned: status (label), level, user.
  EXPECT_EQ(c.pipelines[0].plan.slot_count(), 3u);
}

TEST(TransformsConfigTest, DurationsParse) {
  EXPECT_EQ(parse_duration("500ms")->count(), 500);
  EXPECT_EQ(parse_duration("90s")->count(), 90'000);
  EXPECT_EQ(parse_duration("10m")->count(), 600'000);
  EXPECT_EQ(parse_duration("1h30m")->count(), 5'400'000);
  EXPECT_EQ(parse_duration("2d")->count(), 172'800'000);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("1x"));
}

TEST(TransformsConfigTest, SharedMetricsFeedOneMetricFromSeveralEntries) {
  auto cfg = load_config_text(R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: io_total, type: counter, shared: true, value: sent, labels: { op: { const: sent } } }
      - { name: io_total, type: counter, shared: true, value: recv, labels: { op: { const: recv } } }
  q:
    inputs: [in]
    parser: json
    metrics:
      - { name: io_total, type: counter, shared: true, labels: { op: { const: lines } } }
)",
                              "s.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const Compiled c = compile(*cfg);
  ASSERT_EQ(c.specs.size(), 1u);
  EXPECT_EQ(c.pipelines[0].rules[0].metric, 0u);
  EXPECT_EQ(c.pipelines[0].rules[1].metric, 0u);
  EXPECT_EQ(c.pipelines[1].rules[0].metric, 0u);

  auto bad = load_config_text(R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: a, type: counter, shared: true, labels: { x: x } }
      - { name: a, type: gauge, shared: true, value: v, labels: { x: x } }
      - { name: a, type: counter, labels: { x: x } }
      - { name: a, type: counter, shared: true, labels: { y: x } }
      - { name: a, type: counter, shared: true, max_series: 3, labels: { x: x } }
)",
                              "s.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message;
  EXPECT_THAT(m, HasSubstr("s.yaml:9:9: metric 'a': a shared metric needs the same type, mode, "
                           "buckets and label names in the same order in every entry (first "
                           "defined at line 8)"));
  EXPECT_THAT(m, HasSubstr("s.yaml:10:17: metric 'a': already defined at line 8 (write shared: "
                           "true on every entry"));
  EXPECT_THAT(m, HasSubstr("s.yaml:10:9: metric 'a': every entry of a shared metric needs "
                           "shared: true"));
  EXPECT_THAT(m, HasSubstr("s.yaml:11:9: metric 'a': a shared metric needs the same type"));
  EXPECT_THAT(m, HasSubstr("s.yaml:12:9: metric 'a': help, max_series, expire_after and initial "
                           "of a shared metric belong on its first entry"));
}

}  // namespace
}  // namespace logtally::config
