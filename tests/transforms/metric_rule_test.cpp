#include "transforms/metric_rule.h"

#include <cmath>

#include <gtest/gtest.h>

namespace logtally::transforms {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

FieldValue text(Kind kind, std::string_view t) {
  FieldValue f;
  f.kind = kind;
  f.text = t;
  return f;
}

TEST(ReadNumberTest, AcceptsNumbersAndNumericStrings) {
  double v = 0;
  FieldValue n = text(Kind::kNumber, "12.5");
  n.has_number = true;
  n.number = 12.5;
  EXPECT_EQ(read_number(n, v), RuleStatus::kOk);
  EXPECT_EQ(v, 12.5);
  EXPECT_EQ(read_number(text(Kind::kString, "42"), v), RuleStatus::kOk);
  EXPECT_EQ(v, 42);
  EXPECT_EQ(read_number(text(Kind::kString, " -1e-3 "), v), RuleStatus::kOk);
  EXPECT_EQ(v, -0.001);
  EXPECT_EQ(read_number(text(Kind::kString, "+7"), v), RuleStatus::kOk);
  EXPECT_EQ(v, 7);
}

TEST(ReadNumberTest, RejectsEverythingElse) {
  double v = 0;
  EXPECT_EQ(read_number(FieldValue{}, v), RuleStatus::kMissingValue);
  EXPECT_EQ(read_number(text(Kind::kBool, "true"), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, ""), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, "12ms"), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, "nan"), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, "inf"), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, "1e400"), v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_number(text(Kind::kString, "0x10"), v), RuleStatus::kNotANumber);
}

class ApplyRuleTest : public ::testing::Test {
 protected:
  ApplyRuleTest() : record_(3) {}
  core::MetricStore make_store(core::MetricType type, std::vector<std::string> labels,
                               std::vector<double> buckets = {}) {
    core::MetricSpec s;
    s.name = "m";
    s.type = type;
    s.label_names = std::move(labels);
    s.buckets = std::move(buckets);
    return core::MetricStore({s}, {"src"}, {"p"}, 1);
  }
  core::Record record_;
  core::LabelKey key_;
};

TEST_F(ApplyRuleTest, LabelsFromFirstPresentFieldDefaultConstAndLowercase) {
  core::MetricStore store = make_store(core::MetricType::kCounter, {"level", "env", "route"});
  MetricRule rule;
  rule.labels.resize(3);
  rule.labels[0].slots = {0, 1};
  rule.labels[0].lowercase = true;
  rule.labels[0].default_value = "unknown";
  rule.labels[1].kind = LabelRule::Kind::kConst;
  rule.labels[1].default_value = "prod";
  rule.labels[2].slots = {2};

  record_.slot(1) = text(Kind::kString, "WARN");
  record_.slot(2) = text(Kind::kString, "/a");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  record_.clear();
  record_.slot(0) = text(Kind::kString, "Warn");
  EXPECT_EQ(apply_rule(rule, record_, 2, store.shard(0), key_), RuleStatus::kOk);
  record_.clear();
  EXPECT_EQ(apply_rule(rule, record_, 3, store.shard(0), key_), RuleStatus::kOk);

  const core::Snapshot snap = store.snapshot();
  const auto& series = snap.metrics[0].series;
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].labels, (std::vector<std::string>{"unknown", "prod", ""}));
  EXPECT_EQ(series[0].value, 1);
  EXPECT_EQ(series[1].labels, (std::vector<std::string>{"warn", "prod", ""}));
  EXPECT_EQ(series[1].value, 1);
  EXPECT_EQ(series[2].labels, (std::vector<std::string>{"warn", "prod", "/a"}));
  EXPECT_EQ(series[2].value, 1);
}

TEST_F(ApplyRuleTest, ValuesAreScaledAndCheckedBeforeAnySeriesExists) {
  core::MetricStore store = make_store(core::MetricType::kHistogram, {}, {0.01, 0.1});
  MetricRule rule;
  rule.type = core::MetricType::kHistogram;
  rule.value_slot = 0;
  rule.scale = 0.001;
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kMissingValue);
  record_.slot(0) = text(Kind::kString, "abc");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kNotANumber);
  EXPECT_TRUE(store.snapshot().metrics[0].series.empty());

  record_.slot(0) = text(Kind::kString, "10");  // 10 ms -> 0.01 s: in the first bucket
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  record_.slot(0) = text(Kind::kString, "50");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  record_.slot(0) = text(Kind::kString, "5000");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  // Keep the snapshot alive: a reference into a temporary one dangles.
  const core::Snapshot snap = store.snapshot();
  const auto& h = snap.metrics[0].series.at(0);
  EXPECT_EQ(h.buckets, (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(h.value, 5.06);
}

TEST_F(ApplyRuleTest, CountersRejectNegativeValues) {
  core::MetricStore store = make_store(core::MetricType::kCounter, {});
  MetricRule rule;
  rule.value_slot = 0;
  record_.slot(0) = text(Kind::kString, "-3");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kNegativeValue);
  record_.slot(0) = text(Kind::kString, "3");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  EXPECT_EQ(store.snapshot().metrics[0].series.at(0).value, 3);
}

TEST_F(ApplyRuleTest, SubtractTakesTheSecondFieldFromTheValueBeforeScale) {
  core::MetricStore store = make_store(core::MetricType::kCounter, {"status"});
  MetricRule rule;
  rule.value_slot = 0;
  rule.subtract_slot = 1;
  rule.scale = 0.5;
  rule.labels.resize(1);
  rule.labels[0].slots = {2};
  record_.slot(2) = text(Kind::kString, "200");

  // Neither the subtract field's absence nor a non-number creates a series.
  record_.slot(0) = text(Kind::kString, "1000");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kMissingValue);
  record_.slot(1) = text(Kind::kString, "12ab");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kNotANumber);
  record_.slot(1) = text(Kind::kBool, "true");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kNotANumber);
  // The value is checked first: its own reason wins over the subtract field's.
  record_.slot(0) = FieldValue{};
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kMissingValue);
  EXPECT_TRUE(store.snapshot().metrics[0].series.empty());

  // (1000 - 400) * 0.5 = 300, then a JSON number: (" 90 " - 30) * 0.5 = 30.
  record_.slot(0) = text(Kind::kString, "1000");
  record_.slot(1) = text(Kind::kString, "400");
  EXPECT_EQ(apply_rule(rule, record_, 2, store.shard(0), key_), RuleStatus::kOk);
  record_.slot(0) = text(Kind::kString, " 90 ");
  FieldValue thirty = text(Kind::kNumber, "30");
  thirty.has_number = true;
  thirty.number = 30;
  record_.slot(1) = thirty;
  EXPECT_EQ(apply_rule(rule, record_, 3, store.shard(0), key_), RuleStatus::kOk);
  // A difference of 0 is fine; a negative one is not, for a counter.
  record_.slot(0) = text(Kind::kString, "30");
  EXPECT_EQ(apply_rule(rule, record_, 4, store.shard(0), key_), RuleStatus::kOk);
  record_.slot(0) = text(Kind::kString, "29");
  EXPECT_EQ(apply_rule(rule, record_, 5, store.shard(0), key_), RuleStatus::kNegativeValue);

  const core::Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  EXPECT_EQ(snap.metrics[0].series[0].labels, (std::vector<std::string>{"200"}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 330);
}

TEST_F(ApplyRuleTest, SubtractOnAGaugeMayGoNegativeAndUsesTheValueUnit) {
  core::MetricStore store = make_store(core::MetricType::kGauge, {});
  MetricRule rule;
  rule.type = core::MetricType::kGauge;
  rule.value_slot = 0;
  rule.subtract_slot = 1;
  rule.unit = ValueUnit::kDuration;
  record_.slot(0) = text(Kind::kString, "1.5s");
  record_.slot(1) = text(Kind::kString, "2s");
  EXPECT_EQ(apply_rule(rule, record_, 1, store.shard(0), key_), RuleStatus::kOk);
  EXPECT_EQ(store.snapshot().metrics[0].series.at(0).value, -0.5);
  // Both fields go through the unit: "250ms" from "1s" is 0.75 s; "soon" is not a duration.
  record_.slot(0) = text(Kind::kString, "1s");
  record_.slot(1) = text(Kind::kString, "250ms");
  EXPECT_EQ(apply_rule(rule, record_, 2, store.shard(0), key_), RuleStatus::kOk);
  EXPECT_EQ(store.snapshot().metrics[0].series.at(0).value, 0.75);
  record_.slot(1) = text(Kind::kString, "soon");
  EXPECT_EQ(apply_rule(rule, record_, 3, store.shard(0), key_), RuleStatus::kNotANumber);
  EXPECT_EQ(store.snapshot().metrics[0].series.at(0).value, 0.75);
}

}  // namespace
}  // namespace logtally::transforms
