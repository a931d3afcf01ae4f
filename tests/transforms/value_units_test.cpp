#include "transforms/value_units.h"

#include <gtest/gtest.h>

#include "transforms/metric_rule.h"

namespace logtally::transforms {
namespace {

using core::FieldValue;
using Kind = core::FieldValue::Kind;

double duration(std::string_view t) {
  double s = -12345;
  EXPECT_TRUE(parse_duration(t, s)) << t;
  return s;
}
bool not_duration(std::string_view t) {
  double s = 0;
  return !parse_duration(t, s);
}
double rfc3339(std::string_view t) {
  double s = -12345;
  EXPECT_TRUE(parse_rfc3339(t, s)) << t;
  return s;
}
bool not_rfc3339(std::string_view t) {
  double s = 0;
  return !parse_rfc3339(t, s);
}

TEST(ValueUnitsTest, Durations) {
  EXPECT_DOUBLE_EQ(duration("12ms"), 0.012);
  EXPECT_DOUBLE_EQ(duration("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(duration("2m"), 120);
  EXPECT_DOUBLE_EQ(duration("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(duration("1h2m3.5s4ms"), 3723.504);
  EXPECT_DOUBLE_EQ(duration("250us"), 0.00025);
  EXPECT_DOUBLE_EQ(duration("250\xC2\xB5s"), 0.00025);  // µs (micro sign)
  EXPECT_DOUBLE_EQ(duration("250\xCE\xBCs"), 0.00025);  // μs (Greek mu)
  EXPECT_DOUBLE_EQ(duration("100ns"), 1e-7);
  EXPECT_DOUBLE_EQ(duration("2d"), 172800);
  EXPECT_DOUBLE_EQ(duration("-3s"), -3);
  EXPECT_DOUBLE_EQ(duration(" .5s "), 0.5);
  EXPECT_DOUBLE_EQ(duration("42"), 42);  // A bare number is seconds.
  EXPECT_DOUBLE_EQ(duration("0"), 0);
  EXPECT_TRUE(not_duration(""));
  EXPECT_TRUE(not_duration("s"));
  EXPECT_TRUE(not_duration("1h30"));  // A number without a unit only on its own.
  EXPECT_TRUE(not_duration("12 ms"));
  EXPECT_TRUE(not_duration("1.5e3s"));
  EXPECT_TRUE(not_duration("3x"));
  EXPECT_TRUE(not_duration("1.s.s"));
  EXPECT_TRUE(not_duration("--1s"));
}

TEST(ValueUnitsTest, Rfc3339) {
  EXPECT_EQ(rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(rfc3339("2026-04-22T12:00:00Z"), 1776859200);
  EXPECT_EQ(rfc3339("2026-04-22t12:00:00z"), 1776859200);
  EXPECT_EQ(rfc3339("2026-04-22 14:00:00+02:00"), 1776859200);
  EXPECT_EQ(rfc3339("2026-04-22T06:30:00-05:30"), 1776859200);
  EXPECT_DOUBLE_EQ(rfc3339("2024-05-14T09:00:00.125Z"), 1715677200.125);
  EXPECT_EQ(rfc3339("2024-02-29T00:00:00Z"), 1709164800);  // Leap day.
  EXPECT_EQ(rfc3339("2016-12-31T23:59:60Z"), 1483228800);  // Leap second: the next second.
  EXPECT_EQ(rfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_TRUE(not_rfc3339("2026-04-22T12:00:00"));  // No zone.
  EXPECT_TRUE(not_rfc3339("2023-02-29T00:00:00Z"));
  EXPECT_TRUE(not_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_TRUE(not_rfc3339("2026-04-22T24:00:00Z"));
  EXPECT_TRUE(not_rfc3339("2026-04-22T12:00:00.Z"));
  EXPECT_TRUE(not_rfc3339("2026-04-22T12:00:00+0200"));
  EXPECT_TRUE(not_rfc3339("2026-04-22T12:00:00Z trailing"));
  EXPECT_TRUE(not_rfc3339("22/Apr/2026:12:00:00 +0000"));
  EXPECT_TRUE(not_rfc3339(""));
}

TEST(ValueUnitsTest, EpochUnitByMagnitude) {
  EXPECT_EQ(epoch_seconds(1776859200), 1776859200);
  EXPECT_EQ(epoch_seconds(1776859200123.0), 1776859200.123);
  EXPECT_EQ(epoch_seconds(1776859200123456.0), 1776859200.123456);
  EXPECT_EQ(epoch_seconds(1776859200123456789.0), 1776859200.123456789);
  EXPECT_EQ(epoch_seconds(99999999999.0), 99999999999.0);  // Just below 1e11: seconds.
  EXPECT_EQ(epoch_seconds(100000000000.0), 100000000.0);   // 1e11: milliseconds.
  EXPECT_EQ(epoch_seconds(1.5), 1.5);
}

FieldValue text(std::string_view t, Kind kind = Kind::kString) {
  FieldValue f;
  f.kind = kind;
  f.text = t;
  return f;
}
FieldValue number(double d, std::string_view t) {
  FieldValue f = text(t, Kind::kNumber);
  f.has_number = true;
  f.number = d;
  return f;
}

TEST(ValueUnitsTest, ReadValueByUnit) {
  double v = 0;
  EXPECT_EQ(read_value(text("12ms"), ValueUnit::kDuration, v), RuleStatus::kOk);
  EXPECT_DOUBLE_EQ(v, 0.012);
  EXPECT_EQ(read_value(number(3, "3"), ValueUnit::kDuration, v), RuleStatus::kOk);
  EXPECT_EQ(v, 3);
  EXPECT_EQ(read_value(text("12ms"), ValueUnit::kNone, v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_value(text("soon"), ValueUnit::kDuration, v), RuleStatus::kNotANumber);
  EXPECT_EQ(read_value(FieldValue{}, ValueUnit::kDuration, v), RuleStatus::kMissingValue);
  EXPECT_EQ(read_value(text("true", Kind::kBool), ValueUnit::kTimestamp, v),
            RuleStatus::kNotANumber);
  EXPECT_EQ(read_value(text("2026-04-22T12:00:00Z"), ValueUnit::kTimestamp, v), RuleStatus::kOk);
  EXPECT_EQ(v, 1776859200);
  EXPECT_EQ(read_value(number(1776859200123.0, "1776859200123"), ValueUnit::kTimestamp, v),
            RuleStatus::kOk);
  EXPECT_DOUBLE_EQ(v, 1776859200.123);
  EXPECT_EQ(read_value(text("1776859200"), ValueUnit::kTimestamp, v), RuleStatus::kOk);
  EXPECT_EQ(v, 1776859200);
  // Text of a number that was not converted (planned as text too) still reads.
  EXPECT_EQ(read_value(text("1.5", Kind::kNumber), ValueUnit::kDuration, v), RuleStatus::kOk);
  EXPECT_EQ(v, 1.5);
  EXPECT_EQ(read_value(text("yesterday"), ValueUnit::kTimestamp, v), RuleStatus::kNotANumber);
}

}  // namespace
}  // namespace logtally::transforms
