// `slos:` (config/slo.h): the selector grammar, what is accepted, and every error at
// file:line:column (inside a selector, the column of the character that is wrong).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "config/slo.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

TEST(SloSelectorTest, ParsesMatchersOfEveryKind) {
  SelectorError err;
  const auto s = parse_selector(
      R"( shop_requests_total{service="checkout", code=~"5..",a!='x\'y', b!~`\d+` ,} )", err);
  ASSERT_TRUE(s.has_value()) << err.column << ": " << err.message;
  EXPECT_EQ(s->metric, "shop_requests_total");
  ASSERT_EQ(s->matchers.size(), 4u);
  EXPECT_EQ(s->matchers[0].name, "service");
  EXPECT_EQ(s->matchers[0].op, MatchOp::kEqual);
  EXPECT_EQ(s->matchers[0].value, "checkout");
  EXPECT_EQ(s->matchers[1].op, MatchOp::kRegex);
  EXPECT_EQ(s->matchers[1].value, "5..");
  EXPECT_EQ(s->matchers[2].op, MatchOp::kNotEqual);
  EXPECT_EQ(s->matchers[2].value, "x'y");
  EXPECT_EQ(s->matchers[3].op, MatchOp::kNotRegex);
  EXPECT_EQ(s->matchers[3].value, "\\d+");
  EXPECT_EQ(to_promql(*s),
            R"(shop_requests_total{service="checkout", code=~"5..", a!="x'y", b!~"\\d+"})");
}

TEST(SloSelectorTest, BareNameAndEscapes) {
  SelectorError err;
  auto s = parse_selector("up", err);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->metric, "up");
  EXPECT_TRUE(s->matchers.empty());
  EXPECT_EQ(to_promql(*s), "up");
  s = parse_selector(R"(m{a="q\"b\\s\n\x41\u00e9"})", err);
  ASSERT_TRUE(s.has_value()) << err.message;
  EXPECT_EQ(s->matchers[0].value, "q\"b\\s\nA\xc3\xa9");
  EXPECT_EQ(to_promql(*s), R"(m{a="q\"b\\s\nAé"})");
  // Invalid UTF-8 goes out as \x escapes, which PromQL reads back as the same bytes.
  EXPECT_EQ(promql_string("a\xff"), R"("a\xff")");
  EXPECT_EQ(promql_string("tab\there\x01"), R"("tab\there\x01")");
}

TEST(SloSelectorTest, ErrorsNameTheColumn) {
  struct Case {
    const char* text;
    int column;
    const char* message;
  };
  const Case cases[] = {
      {"", 1, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"},
      {"9abc", 1, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"},
      {"m x", 3, "expected '{' or the end after the metric name"},
      {"m{a}", 4, "expected =, !=, =~ or !~ after label 'a'"},
      {"m{a=b}", 5, "expected a quoted label value (\"...\")"},
      {"m{a=\"b}", 5, "unterminated label value (no closing \")"},
      {"m{a=\"b\" c=\"d\"}", 9, "expected ',' or '}' after a matcher"},
      {"m{a=\"b\"", 8, "expected '}' to close the matchers"},
      {"m{a=\"b\"} x", 10, "unexpected text after '}'"},
      {"m{a=\"\\q\"}", 6, "unknown escape sequence \\q"},
      {"m{a=\"\\x4\"}", 6, "expected 2 hex digits after \\x"},
      {"m{:a=\"b\"}", 3, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'"},
  };
  for (const Case& c : cases) {
    SelectorError err;
    EXPECT_FALSE(parse_selector(c.text, err).has_value()) << c.text;
    EXPECT_EQ(err.column, c.column) << c.text;
    EXPECT_EQ(err.message, c.message) << c.text;
  }
}

TEST(SloSelectorTest, PromqlDuration) {
  EXPECT_EQ(promql_duration(30LL * 86400000), "30d");
  EXPECT_EQ(promql_duration(5400000), "1h30m");
  EXPECT_EQ(promql_duration(90000), "1m30s");
  EXPECT_EQ(promql_duration(250), "250ms");
}

// Line 1 is the empty line after R"(.
constexpr const char* kMetrics = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: req_total, type: counter, labels: { service: service, code: status } }
      - name: dur_seconds
        type: histogram
        value: ms
        buckets: [0.5, 2.5, 3, 10]
        labels: { service: service }
      - { name: depth, type: gauge, value: d }
)";

TEST(SloConfigTest, LoadsBothKinds) {
  const std::string text = std::string(kMetrics) + R"(slos:
  - name: avail
    objective: 99.9
    total: req_total{service="checkout"}
    errors: 'req_total{service="checkout", code=~"5.."}'
  - name: lat
    objective: 99
    window: 7d
    histogram: dur_seconds_count
    histogram: dur_seconds{service="checkout"}
    good_le: 3
)";
  // A duplicate key is an error: check it, then load without it.
  auto bad = load_config_text(text, "slo.yaml");
  ASSERT_FALSE(bad.ok());
  // (yaml-cpp reads the first of two equal keys.)
  EXPECT_EQ(bad.error().message,
            "slo.yaml:24:5: slo 'lat': duplicate key 'histogram'\n"
            "slo.yaml:23:16: slo 'lat' histogram: no histogram named 'dur_seconds_count' in the "
            "config; histograms are dur_seconds");
  std::string good = text;
  good.erase(good.find("    histogram: dur_seconds_count\n"), 33);
  auto cfg = load_config_text(good, "slo.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->slos.size(), 2u);
  const SloConfig& a = cfg->slos[0];
  EXPECT_EQ(a.name, "avail");
  EXPECT_FALSE(a.latency);
  EXPECT_EQ(a.objective, 99.9);
  EXPECT_EQ(a.window_ms, 30LL * 86400000);  // the default
  EXPECT_EQ(to_promql(a.total), R"(req_total{service="checkout"})");
  EXPECT_EQ(to_promql(a.errors), R"(req_total{service="checkout", code=~"5.."})");
  const SloConfig& l = cfg->slos[1];
  EXPECT_TRUE(l.latency);
  EXPECT_EQ(l.window_ms, 7LL * 86400000);
  EXPECT_EQ(l.good_le, 3);
  EXPECT_EQ(to_promql(l.histogram), R"(dur_seconds{service="checkout"})");
  const std::string described = describe(*cfg, compile(*cfg));
  EXPECT_THAT(described,
              HasSubstr("slos:\n"
                        "  avail: 99.9% over 30d, errors req_total{service=\"checkout\", "
                        "code=~\"5..\"} of req_total{service=\"checkout\"}\n"
                        "  lat: 99% over 7d, latency: dur_seconds{service=\"checkout\"} at or "
                        "under le 3\n"
                        "sinks:"));
}

TEST(SloConfigTest, HistogramCountIsATotal) {
  auto cfg = load_config_text(std::string(kMetrics) + R"(slos:
  - { name: a, objective: 90, total: dur_seconds_count, errors: 'req_total{code="500"}' }
)",
                              "slo.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->slos[0].total.metric, "dur_seconds_count");
}

TEST(SloConfigTest, EveryErrorWithLineAndColumn) {
  // Line numbers continue after kMetrics' 14 lines; line 15 is `slos:`.
  const std::string text = std::string(kMetrics) + R"(slos:
  - name: bad name
    objective: 100
    total: nope_total
    errors: req_total{service="a", zone="b"}
  - name: g
    objective: 0
    window: soon
    total: depth
    errors: dur_seconds{code="5"}
  - name: lat
    objective: 99
    histogram: dur_seconds{le="3"}
    good_le: 2
  - name: lat
    objective: 99.5
    histogram: req_total
    good_le: 1
  - name: both
    objective: 99
    total: req_total
    good_le: 1
  - name: half
    objective: 99
    errors: req_total{code=~"5.."}
  - name: syntax
    objective: 99
    total: req_total{code="5"
    errors: "req_total{code=~'(5'}"
  - name: extra
    objective: 99
    typo: 1
    histogram: dur_seconds
    good_le: 10
  - just a string
)";
  auto cfg = load_config_text(text, "slo.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("slo.yaml:16:11: slo 'bad name' name: expected [a-zA-Z_][a-zA-Z0-9_]* "
                           "not starting with __ (it names rules and is the value of their slo "
                           "label)\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:17:16: slo 'bad name' objective: expected a percentage "
                           "above 0 and below 100 (99.9 means 99.9% of events are good), got "
                           "100\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:18:12: slo 'bad name' total: no counter named 'nope_total' "
                           "in the config; counters are req_total, histogram counts are "
                           "dur_seconds_count\n"));
  // `errors: req_total{service="a", zone="b"}`: the value starts at column 13, zone at 24 of it.
  EXPECT_THAT(m, HasSubstr("slo.yaml:19:36: slo 'bad name' errors: metric 'req_total' has no "
                           "label 'zone'; its labels are service, code\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:21:16: slo 'g' objective: expected a percentage above 0 "
                           "and below 100"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:22:13: slo 'g' window: expected"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:23:12: slo 'g' total: 'depth' is a gauge; total and errors "
                           "count events: name a counter or a histogram's NAME_count\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:24:13: slo 'g' errors: 'dur_seconds' is a histogram; count "
                           "its events with dur_seconds_count\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:27:28: slo 'lat' histogram: leave 'le' out: good_le says "
                           "which bucket is good\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:28:14: slo 'lat' good_le: 2 is not a bucket of histogram "
                           "'dur_seconds'; its buckets are 0.5, 2.5, 3, 10\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:29:11: slo 'lat': another SLO has this name\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:31:16: slo 'lat' histogram: 'req_total' is not a histogram; "
                           "histograms are dur_seconds\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:33:5: slo 'both': expected either 'total' and 'errors' (an "
                           "availability SLO) or 'histogram' and 'good_le' (a latency SLO)\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:37:5: slo 'half': missing 'total' (an availability SLO "
                           "needs total and errors)\n"));
  // The selector starts at column 12; its end (column 19 of it) is where '}' is missing.
  EXPECT_THAT(m, HasSubstr("slo.yaml:42:30: slo 'syntax' total: expected '}' to close the "
                           "matchers (in \"req_total{code=\"5\"\", column 19)\n"));
  // In a quoted scalar the text starts after the quote (column 14); `code` is at 11 of it.
  EXPECT_THAT(m, HasSubstr("slo.yaml:43:24: slo 'syntax' errors: label 'code': invalid regex: "
                           "missing ): (5\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:46:5: slo 'extra': unknown key 'typo'; expected one of: "
                           "name, objective, window, total, errors, histogram, good_le\n"));
  EXPECT_THAT(m, HasSubstr("slo.yaml:49:5: slo: expected a map with keys name, objective, "
                           "window, total, errors, histogram, good_le"));
}

TEST(SloConfigTest, NotAList) {
  auto cfg = load_config_text(std::string(kMetrics) + "slos: { a: 1 }\n", "slo.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "slo.yaml:15:7: slos: expected a list of SLOs (maps with name, objective, ...)");
}

}  // namespace
}  // namespace logtally::config
