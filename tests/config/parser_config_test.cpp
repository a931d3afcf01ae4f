// Config loading of the parser sections: the json and auto parsers' `validate`, regex (and the
// checks that go with it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "parsers/auto_parser.h"
#include "parsers/json_parser.h"
#include "parsers/regex_parser.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

TEST(ParserConfigTest, JsonAndAutoValidateDefaultsToFull) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  plain: { inputs: app, parser: json, metrics: [{ name: a, type: counter }] }
  map: { inputs: app, parser: { type: json }, metrics: [{ name: b, type: counter }] }
  full: { inputs: app, parser: { type: json, validate: full }, metrics: [{ name: c, type: counter }] }
  touched:
    inputs: app
    parser: { type: json, validate: touched }
    metrics: [{ name: d, type: counter }]
  auto: { inputs: app, parser: auto, metrics: [{ name: e, type: counter }] }
  auto_touched:
    inputs: app
    parser: { type: auto, validate: touched }
    metrics: [{ name: f, type: counter }]
)";
  auto cfg = load_config_text(text, "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->pipelines.size(), 6u);
  const parsers::JsonValidate want[] = {parsers::JsonValidate::kFull, parsers::JsonValidate::kFull,
                                        parsers::JsonValidate::kFull,
                                        parsers::JsonValidate::kTouched};
  for (size_t i = 0; i < 4; ++i) {
    const auto* json =
        dynamic_cast<const parsers::JsonParserConfig*>(cfg->pipelines[i].parser.get());
    ASSERT_NE(json, nullptr) << i;
    EXPECT_EQ(json->validate, want[i]) << i;
  }
  const auto* auto_full =
      dynamic_cast<const parsers::AutoParserConfig*>(cfg->pipelines[4].parser.get());
  const auto* auto_touched =
      dynamic_cast<const parsers::AutoParserConfig*>(cfg->pipelines[5].parser.get());
  ASSERT_NE(auto_full, nullptr);
  ASSERT_NE(auto_touched, nullptr);
  EXPECT_EQ(auto_full->validate, parsers::JsonValidate::kFull);
  EXPECT_EQ(auto_touched->validate, parsers::JsonValidate::kTouched);
  // `check` shows the non-default mode only.
  const std::string d = describe(*cfg, compile(*cfg));
  size_t shown = 0;
  for (size_t at = d.find("    validate: touched\n"); at != std::string::npos;
       at = d.find("    validate: touched\n", at + 1)) {
    ++shown;
  }
  EXPECT_EQ(shown, 2u) << d;
}

TEST(ParserConfigTest, JsonValidateRejectsOtherValues) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  a:
    inputs: app
    parser: { type: json, validate: lazy }
    metrics: [{ name: a, type: counter }]
  b:
    inputs: app
    parser: { type: auto, validate: [full] }
    metrics: [{ name: b, type: counter }]
)";
  auto cfg = load_config_text(text, "w.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("w.yaml:6:37: pipeline 'a' parser validate: expected full or "
                           "touched, got \"lazy\""));
  EXPECT_THAT(m, HasSubstr("w.yaml:10:37: pipeline 'b' parser validate:"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 2) << m;
}

TEST(ParserConfigTest, LoadsRegexPatternsInOrder) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser:
      type: regex
      patterns:
        - '^(?P<method>[A-Z]+) (?P<status>\d+)$'
        - 'status=(?P<status>\d+) took=(?P<took>\S+)'
    metrics:
      - name: requests_total
        type: counter
        labels: { method: method, status: status }
      - name: took_seconds
        type: histogram
        value: took
)";
  auto cfg = load_config_text(text, "r.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const PipelineConfig& p = cfg->pipelines[0];
  EXPECT_EQ(p.parser->type_name(), "regex");
  const auto* regex = dynamic_cast<const parsers::RegexParserConfig*>(p.parser.get());
  ASSERT_NE(regex, nullptr);
  EXPECT_EQ(regex->patterns,
            (std::vector<std::string>{R"(^(?P<method>[A-Z]+) (?P<status>\d+)$)",
                                      R"(status=(?P<status>\d+) took=(?P<took>\S+))"}));
  EXPECT_EQ(regex->groups,
            (std::vector<std::vector<std::string>>{{"method", "status"}, {"status", "took"}}));
  const Compiled c = compile(*cfg);
  EXPECT_EQ(c.pipelines[0].parser, p.parser);
  const std::string d = describe(*cfg, c);
  EXPECT_THAT(d, HasSubstr("parser regex\n    pattern 1: ^(?P<method>[A-Z]+) (?P<status>\\d+)$\n"
                           "    pattern 2: status=(?P<status>\\d+) took=(?P<took>\\S+)\n"));
}

TEST(ParserConfigTest, BadPatternsAreReportedAtTheirLineAndColumn) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser:
      type: regex
      patterns:
        - '^(?P<ok>\w+)$'
        - '(?P<unclosed>\d+'
        - "x**"
    metrics:
      - name: c
        type: counter
  q:
    inputs: app
    parser: { type: regex, patterns: ['(?P<x>a)', '[z-a]'] }
    metrics:
      - name: d
        type: counter
)";
  auto cfg = load_config_text(text, "bad.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("bad.yaml:10:11: pipeline 'p' parser pattern 2: invalid regular "
                           "expression (RE2): missing ): (?P<unclosed>\\d+"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:11:11: pipeline 'p' parser pattern 3: invalid regular "
                           "expression (RE2): bad repetition operator: **"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:17:51: pipeline 'q' parser pattern 2: invalid regular "
                           "expression (RE2): invalid character class range: z-a"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 3) << m;
}

TEST(ParserConfigTest, RegexShapeErrors) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  a:
    inputs: app
    parser: regex
    metrics: [{ name: a, type: counter }]
  b:
    inputs: app
    parser: { type: regex, patterns: [] }
    metrics: [{ name: b, type: counter }]
  c:
    inputs: app
    parser: { type: regex }
    metrics: [{ name: c, type: counter }]
  d:
    inputs: app
    parser: { type: json, patterns: ['x'] }
    metrics: [{ name: d, type: counter }]
)";
  auto cfg = load_config_text(text, "s.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("s.yaml:6:13: pipeline 'a' parser: regex needs a map with 'type: "
                           "regex' and 'patterns'"));
  EXPECT_THAT(m, HasSubstr("s.yaml:10:38: pipeline 'b' parser patterns: expected a non-empty "
                           "list of RE2 patterns"));
  EXPECT_THAT(m, HasSubstr("s.yaml:14:13: pipeline 'c' parser: missing required key 'patterns'"));
  EXPECT_THAT(m, HasSubstr("s.yaml:18:27: pipeline 'd' parser: unknown key 'patterns'"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 4) << m;
}

TEST(ParserConfigTest, RegexMetricFieldsMustBeGroupNames) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser:
      type: regex
      patterns: ['(?P<method>\w+) (?P<code>\d+)', '(?P<size>\d+)']
    metrics:
      - name: ok_total
        type: counter
        value: size
        labels: { method: method, code: { field: [status, code] } }
      - name: bad_total
        type: counter
        labels: { svc: kubernetes.app }
)";
  auto cfg = load_config_text(text, "g.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("g.yaml:10:9: metric 'ok_total' label 'code': no pattern of pipeline "
                           "'p' has a group named 'status'; groups are: code, method, size"));
  EXPECT_THAT(m, HasSubstr("g.yaml:14:9: metric 'bad_total' label 'svc': 'kubernetes.app' is a "
                           "nested path, but regex fields are named groups"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 2) << m;
}

TEST(ParserConfigTest, UnknownParserTypeListsTheKnownOnes) {
  const char* text = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser: xml
    metrics: [{ name: c, type: counter }]
)";
  auto cfg = load_config_text(text, "u.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "u.yaml:6:13: pipeline 'p' parser: unknown parser type 'xml'; expected json, logfmt, "
            "auto or regex");
}

TEST(ParserConfigTest, MetricUnits) {
  const char* good = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser: logfmt
    metrics:
      - { name: took_seconds, type: histogram, value: took, unit: duration }
      - { name: last_seen, type: gauge, value: ts, unit: timestamp, mode: max, scale: 1000 }
)";
  auto cfg = load_config_text(good, "units.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->pipelines[0].parser->type_name(), "logfmt");
  EXPECT_EQ(cfg->pipelines[0].metrics[0].unit, transforms::ValueUnit::kDuration);
  EXPECT_EQ(cfg->pipelines[0].metrics[1].unit, transforms::ValueUnit::kTimestamp);
  const Compiled c = compile(*cfg);
  EXPECT_EQ(c.pipelines[0].rules[1].unit, transforms::ValueUnit::kTimestamp);
  const std::string d = describe(*cfg, c);
  EXPECT_THAT(d, HasSubstr("parser logfmt\n"));
  EXPECT_THAT(d, HasSubstr("value took as duration in seconds"));
  EXPECT_THAT(d, HasSubstr("value ts as timestamp in seconds * 1000"));

  const char* bad = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser: auto
    metrics:
      - { name: a, type: histogram, value: took, unit: seconds }
      - { name: b, type: counter, unit: duration }
)";
  auto err = load_config_text(bad, "units.yaml");
  ASSERT_FALSE(err.ok());
  const std::string& m = err.error().message;
  EXPECT_THAT(m, HasSubstr("units.yaml:8:56: metric 'a' unit: expected duration or timestamp, "
                           "got \"seconds\""));
  EXPECT_THAT(m, HasSubstr("units.yaml:9:41: metric 'b': 'unit' needs a 'value' field to read"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 2) << m;
}

TEST(ParserConfigTest, MetricSubtract) {
  const char* good = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser:
      type: regex
      patterns: ['(?P<total>\d+) (?P<body>\d+) (?P<took>\S+) (?P<wait>\S+)']
    metrics:
      - { name: header_bytes, type: counter, value: total, subtract: body }
      - { name: work_seconds, type: histogram, value: took, subtract: wait, unit: duration, scale: 2 }
)";
  auto cfg = load_config_text(good, "sub.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_TRUE(cfg->pipelines[0].metrics[0].subtract.has_value());
  EXPECT_EQ(cfg->pipelines[0].metrics[0].subtract->to_string(), "body");
  const Compiled c = compile(*cfg);
  const auto& rules = c.pipelines[0].rules;
  ASSERT_EQ(rules.size(), 2u);
  ASSERT_GE(rules[0].subtract_slot, 0);
  EXPECT_NE(rules[0].subtract_slot, rules[0].value_slot);
  EXPECT_EQ(c.pipelines[0].plan.path(static_cast<uint32_t>(rules[0].subtract_slot)).to_string(),
            "body");
  EXPECT_EQ(c.pipelines[0].plan.path(static_cast<uint32_t>(rules[1].subtract_slot)).to_string(),
            "wait");
  const std::string d = describe(*cfg, c);
  EXPECT_THAT(d, HasSubstr("header_bytes counter value (total - body) labels {"));
  EXPECT_THAT(d, HasSubstr("value (took - wait) as duration in seconds * 2"));

  const char* bad = R"(sources:
  app: { type: stdin }
pipelines:
  p:
    inputs: app
    parser:
      type: regex
      patterns: ['(?P<total>\d+) (?P<body>\d+)']
    metrics:
      - { name: a, type: counter, subtract: body }
      - { name: b, type: counter, value: total, subtract: bdy }
      - { name: c, type: counter, value: total, subtract: [body] }
)";
  auto err = load_config_text(bad, "sub.yaml");
  ASSERT_FALSE(err.ok());
  const std::string& m = err.error().message;
  EXPECT_THAT(m, HasSubstr("sub.yaml:10:45: metric 'a': 'subtract' needs a 'value' field to "
                           "subtract from"));
  EXPECT_THAT(m, HasSubstr("sub.yaml:11:9: metric 'b' subtract: no pattern of pipeline 'p' has "
                           "a group named 'bdy'; groups are: body, total"));
  EXPECT_THAT(m, HasSubstr("sub.yaml:12:59: metric 'c' subtract: expected a string"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 3) << m;
}

}  // namespace
}  // namespace logtally::config
