// monitoring/: the PromQL of the SLO rules (exact text), the spellings of `le`, the rules file
// and the dashboard's JSON. What Prometheus makes of them is tested with promtool in
// tests/e2e/slo_rules.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

#include "config/config.h"
#include "monitoring/dashboard.h"
#include "monitoring/json_writer.h"
#include "monitoring/promql.h"
#include "monitoring/rules.h"

namespace logtally::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LeSpellingsTest, TextAndOpenMetrics) {
  EXPECT_THAT(le_spellings(3), ElementsAre("3", "3.0"));
  EXPECT_THAT(le_spellings(0.5), ElementsAre("0.5"));
  EXPECT_THAT(le_spellings(2.5), ElementsAre("2.5"));
  EXPECT_THAT(le_spellings(10), ElementsAre("10", "10.0"));
  EXPECT_THAT(le_spellings(0.005), ElementsAre("0.005"));
  EXPECT_THAT(le_spellings(1e-05), ElementsAre("1e-05"));
  // std::to_chars picks the shorter of 1e+05 and 100000; Go's %g writes 100000 up to 1e+06.
  EXPECT_THAT(le_spellings(100000), ElementsAre("1e+05", "100000", "100000.0"));
  EXPECT_THAT(le_spellings(1e6), ElementsAre("1e+06"));
  EXPECT_THAT(le_spellings(1234567), ElementsAre("1234567", "1.234567e+06"));
}

TEST(LeSpellingsTest, Matcher) {
  config::LabelMatcher m = le_matcher(3);
  EXPECT_EQ(m.name, "le");
  EXPECT_EQ(m.op, config::MatchOp::kRegex);
  EXPECT_EQ(m.value, "3|3\\.0");
  m = le_matcher(0.5);
  EXPECT_EQ(m.op, config::MatchOp::kEqual);
  EXPECT_EQ(m.value, "0.5");
  EXPECT_EQ(le_matcher(2.5).value, "2.5");
  EXPECT_EQ(le_matcher(10).value, "10|10\\.0");
  EXPECT_EQ(le_matcher(100000).value, "1e\\+05|100000|100000\\.0");
}

TEST(PromqlTest, NumbersAndBudget) {
  EXPECT_EQ(format_number(14.4), "14.4");
  EXPECT_EQ(format_number(1 - 99.9 / 100), "0.001");
  EXPECT_EQ(format_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_number(100), "100");
  config::SloConfig s;
  s.objective = 99.9;
  EXPECT_EQ(error_budget(s), 0.001);
  s.objective = 99.95;
  EXPECT_EQ(error_budget(s), 0.0005);
  s.objective = 99;
  EXPECT_EQ(error_budget(s), 0.01);
}

constexpr const char* kConfig = R"(
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
slos:
  - name: avail
    objective: 99.9
    total: req_total{service="checkout"}
    errors: req_total{service="checkout", code=~"5.."}
  - name: lat
    objective: 99
    histogram: dur_seconds{service="checkout"}
    good_le: 3
)";

config::Config load() {
  auto cfg = config::load_config_text(kConfig, "/etc/shop/slo.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  return *cfg;
}

TEST(PromqlTest, ErrorRatio) {
  const config::Config cfg = load();
  EXPECT_EQ(error_ratio_expr(cfg.slos[0], "5m"),
            "(sum(rate(req_total{service=\"checkout\", code=~\"5..\"}[5m])) or vector(0))\n"
            "/\n"
            "sum(rate(req_total{service=\"checkout\"}[5m]))");
  EXPECT_EQ(error_ratio_expr(cfg.slos[1], "1h"),
            "1 - (\n"
            "  sum(rate(dur_seconds_bucket{service=\"checkout\", le=~\"3|3\\\\.0\"}[1h]))\n"
            "  /\n"
            "  sum(rate(dur_seconds_count{service=\"checkout\"}[1h]))\n"
            ")");
  EXPECT_EQ(ratio_record_selector(cfg.slos[0], "3d"), "slo:error_ratio:rate3d{slo=\"avail\"}");
}

TEST(RulesTest, GroupPerSloWithRecordsAndTwoAlerts) {
  const std::string y = rules_yaml(load());
  EXPECT_THAT(y,
              HasSubstr("groups:\n  - name: \"slo:avail\"\n    rules:\n"
                        "      - record: slo:error_ratio:rate5m\n"
                        "        expr: |-\n"
                        "          (sum(rate(req_total{service=\"checkout\", code=~\"5..\"}[5m])) "
                        "or vector(0))\n"
                        "          /\n"
                        "          sum(rate(req_total{service=\"checkout\"}[5m]))\n"
                        "        labels:\n"
                        "          slo: avail\n"));
  for (const char* w : {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}) {
    EXPECT_THAT(y, HasSubstr(std::string("record: slo:error_ratio:rate") + w + "\n"));
  }
  EXPECT_THAT(y, HasSubstr("      - alert: avail_burn_rate_page\n"
                           "        expr: |-\n"
                           "          (\n"
                           "            slo:error_ratio:rate1h{slo=\"avail\"} > 14.4 * 0.001\n"
                           "          and\n"
                           "            slo:error_ratio:rate5m{slo=\"avail\"} > 14.4 * 0.001\n"
                           "          )\n"
                           "          or\n"
                           "          (\n"
                           "            slo:error_ratio:rate6h{slo=\"avail\"} > 6 * 0.001\n"
                           "          and\n"
                           "            slo:error_ratio:rate30m{slo=\"avail\"} > 6 * 0.001\n"
                           "          )\n"
                           "        labels:\n"
                           "          severity: page\n"
                           "          slo: avail\n"));
  EXPECT_THAT(y, HasSubstr("      - alert: lat_burn_rate_ticket\n"
                           "        expr: |-\n"
                           "          (\n"
                           "            slo:error_ratio:rate1d{slo=\"lat\"} > 3 * 0.01\n"
                           "          and\n"
                           "            slo:error_ratio:rate2h{slo=\"lat\"} > 3 * 0.01\n"
                           "          )\n"
                           "          or\n"
                           "          (\n"
                           "            slo:error_ratio:rate3d{slo=\"lat\"} > 1 * 0.01\n"
                           "          and\n"
                           "            slo:error_ratio:rate6h{slo=\"lat\"} > 1 * 0.01\n"
                           "          )\n"
                           "        labels:\n"
                           "          severity: ticket\n"
                           "          slo: lat\n"));
  EXPECT_THAT(y, HasSubstr("description: \"The error ratio of SLO avail (objective 99.9% over "
                           "30d) is above 14.4 times its error budget over 1h and 5m (2% of the "
                           "30d budget spent in 1h), or 6 times its error budget over 6h "
                           "and 30m (5% of the 30d budget spent in 6h).\"\n"));
  // 7 records and 2 alerts per SLO.
  size_t records = 0;
  size_t alerts = 0;
  for (size_t at = y.find("- record:"); at != std::string::npos; at = y.find("- record:", at + 1))
    ++records;
  for (size_t at = y.find("- alert:"); at != std::string::npos; at = y.find("- alert:", at + 1))
    ++alerts;
  EXPECT_EQ(records, 14u);
  EXPECT_EQ(alerts, 4u);
}

TEST(RulesTest, NoSlos) {
  auto cfg = config::load_config_text(config::default_config_text(), "<default config>");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(rules_yaml(*cfg),
            "# Prometheus rules for the SLOs of <default config>, generated by `logtally rules`\n"
            "# (docs/slos.md): error ratios over 5m..3d and multi-window, multi-burn-rate "
            "alerts.\n"
            "groups: []\n");
}

TEST(JsonTest, EscapesAndLayout) {
  Json j = Json::object();
  j.set("s", "a\"b\\c\nd\x01\xff").set("n", 0.25).set("i", 3).set("b", true).set("z", Json());
  j.set("a", Json::array().push(1).push("x")).set("e", Json::array()).set("n", 2);
  EXPECT_EQ(j.dump(),
            "{\n"
            "  \"s\": \"a\\\"b\\\\c\\nd\\u0001\xef\xbf\xbd\",\n"
            "  \"n\": 2,\n"
            "  \"i\": 3,\n"
            "  \"b\": true,\n"
            "  \"z\": null,\n"
            "  \"a\": [\n"
            "    1,\n"
            "    \"x\"\n"
            "  ],\n"
            "  \"e\": []\n"
            "}\n");
}

// The dashboard is valid JSON with a panel per SLO part and per metric, in order, each with its
// queries; every id is unique and every panel fits the 24 columns.
TEST(DashboardTest, PanelsAndQueries) {
  const std::string text = config_dashboard_json(load());
  simdjson::dom::parser parser;
  simdjson::dom::element d;
  ASSERT_EQ(parser.parse(text).get(d), simdjson::SUCCESS) << text;
  EXPECT_EQ(std::string_view(d["title"]), "logtally: slo.yaml");
  EXPECT_EQ(std::string_view(d["uid"]), "logtally-slo");
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> exprs;
  std::set<int64_t> ids;
  for (simdjson::dom::element p : d["panels"].get_array()) {
    EXPECT_TRUE(ids.insert(int64_t(p["id"])).second);
    EXPECT_LE(int64_t(p["gridPos"]["x"]) + int64_t(p["gridPos"]["w"]), 24);
    titles.emplace_back(std::string_view(p["title"]));
    exprs.emplace_back();
    simdjson::dom::array targets;
    if (p["targets"].get(targets) == simdjson::SUCCESS) {
      for (simdjson::dom::element t : targets)
        exprs.back().emplace_back(std::string_view(t["expr"]));
    }
  }
  EXPECT_THAT(titles, ElementsAre("SLO avail: 99.9% over 30d", "avail: error budget left (30d)",
                                  "avail: burn rate", "SLO lat: 99% over 30d",
                                  "lat: error budget left (30d)", "lat: burn rate", "Metrics",
                                  "req_total (per second)", "dur_seconds (percentiles)", "depth"));
  EXPECT_THAT(exprs[1], ElementsAre("1 - (\n(sum(rate(req_total{service=\"checkout\", "
                                    "code=~\"5..\"}[30d])) or vector(0))\n/\n"
                                    "sum(rate(req_total{service=\"checkout\"}[30d]))\n) / 0.001"));
  ASSERT_EQ(exprs[2].size(), 7u);
  EXPECT_EQ(exprs[2][0], "slo:error_ratio:rate5m{slo=\"avail\"} / 0.001");
  EXPECT_EQ(exprs[5][6], "slo:error_ratio:rate3d{slo=\"lat\"} / 0.01");
  EXPECT_THAT(exprs[7], ElementsAre("sum by (service, code) (rate(req_total[$__rate_interval]))"));
  EXPECT_THAT(exprs[8],
              ElementsAre("histogram_quantile(0.5, sum by (le) (rate(dur_seconds_bucket[$__rate_"
                          "interval])))",
                          "histogram_quantile(0.9, sum by (le) (rate(dur_seconds_bucket[$__rate_"
                          "interval])))",
                          "histogram_quantile(0.99, sum by (le) (rate(dur_seconds_bucket[$__rate_"
                          "interval])))"));
  EXPECT_THAT(exprs[9], ElementsAre("depth"));
}

}  // namespace
}  // namespace logtally::monitoring
