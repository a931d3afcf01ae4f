#include "transforms/event_time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace logtally::transforms {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kS = 1'000'000'000;

int64_t parse_or_die(const TimeFormat& f, std::string_view text) {
  int64_t ns = 0;
  EXPECT_TRUE(f.parse(text, ns)) << f.format() << ": " << text;
  return ns;
}

TimeFormat format(std::string_view f, std::string_view zone = "") {
  auto r = TimeFormat::compile(f, zone);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(*r);
}

TEST(EventTimeTest, Rfc3339WithAndWithoutFractionAndZone) {
  const TimeFormat f = format("rfc3339");
  // 2024-03-01T12:34:56Z is 1709296496.
  EXPECT_EQ(parse_or_die(f, "2024-03-01T12:34:56Z"), 1709296496 * kS);
  EXPECT_EQ(parse_or_die(f, "2024-03-01t12:34:56z"), 1709296496 * kS);
  EXPECT_EQ(parse_or_die(f, "2024-03-01 12:34:56.123456789+02:00"),
            (1709296496 - 7200) * kS + 123456789);
  EXPECT_EQ(parse_or_die(f, "2024-03-01T12:34:56.5"), 1709296496 * kS + 500000000);
  EXPECT_EQ(parse_or_die(f, "  2024-03-01T12:34:56,25-0130 "),
            (1709296496 + 5400) * kS + 250000000);
  // Digits past nanoseconds are read and dropped.
  EXPECT_EQ(parse_or_die(f, "2024-03-01T12:34:56.1234567891Z"), 1709296496 * kS + 123456789);
  int64_t ns = 0;
  for (const char* bad : {"2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-03-01T24:00:00Z",
                          "2024-03-01", "2024-03-01T12:34:56Zjunk", "2024-03-01T12:34:56.Z",
                          "2024-03-01T12:34:56+2", "", "yesterday"}) {
    EXPECT_FALSE(f.parse(bad, ns)) << bad;
  }
  EXPECT_TRUE(f.parse("2024-02-29T00:00:00Z", ns));  // A leap year.
  // Beyond what int64 nanoseconds hold (1677-2262): refused, not wrapped (found by fuzzing).
  EXPECT_FALSE(f.parse("4048-03-31T02:30:00Z", ns));
  EXPECT_FALSE(format("%Y-%m-%d %H:%M:%S", "Europe/Berlin").parse("4048-03-31 02:30:00", ns));
  EXPECT_FALSE(f.parse("1600-01-01T00:00:00Z", ns));
  EXPECT_EQ(parse_or_die(f, "2262-04-11T23:47:16Z"), 9223372036 * kS);
  EXPECT_FALSE(f.parse("2023-02-29T00:00:00Z", ns));
}

TEST(EventTimeTest, EpochFormats) {
  EXPECT_EQ(parse_or_die(format("unix"), "1709296496"), 1709296496 * kS);
  EXPECT_EQ(parse_or_die(format("unix"), "1709296496.25"), 1709296496 * kS + 250000000);
  EXPECT_EQ(parse_or_die(format("unix"), "-1.5"), -1500000000);
  EXPECT_EQ(parse_or_die(format("unix_ms"), "1709296496123"), 1709296496123 * 1'000'000);
  EXPECT_EQ(parse_or_die(format("unix_ms"), "1709296496123.5"), 1709296496123 * 1'000'000 + 500000);
  EXPECT_EQ(parse_or_die(format("unix_us"), "1709296496123456"), 1709296496123456 * 1'000);
  EXPECT_EQ(parse_or_die(format("unix_ns"), "1709296496123456789"), 1709296496123456789);
  int64_t ns = 0;
  for (const char* bad : {"", "12a", "1.", ".5", "1e9", "99999999999999999999"}) {
    EXPECT_FALSE(format("unix").parse(bad, ns)) << bad;
  }
  EXPECT_FALSE(format("unix").parse("9999999999999", ns));           // Beyond int64 ns: refused.
  EXPECT_FALSE(format("unix_ns").parse("9555555555555555555", ns));  // Beyond int64 (fuzzing).
  EXPECT_EQ(parse_or_die(format("unix_ns"), "9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_or_die(format("unix"), "9000000000"), 9000000000 * kS);  // Year 2255.
}

TEST(EventTimeTest, ApacheAndNginxPattern) {
  const TimeFormat f = format("%d/%b/%Y:%H:%M:%S %z");
  // Apache's example: 10/Oct/2000:13:55:36 -0700 is 2000-10-10T20:55:36Z = 971211336.
  EXPECT_EQ(parse_or_die(f, "10/Oct/2000:13:55:36 -0700"), 971211336 * kS);
  EXPECT_EQ(parse_or_die(f, "10/oct/2000:13:55:36 -07:00"), 971211336 * kS);
  EXPECT_EQ(parse_or_die(f, "10/October/2000:20:55:36 +0000"), 971211336 * kS);
  int64_t ns = 0;
  EXPECT_FALSE(f.parse("10/Oct/2000:13:55:36", ns));  // The pattern asks for the zone.
  EXPECT_FALSE(f.parse("10/Okt/2000:13:55:36 -0700", ns));
  EXPECT_FALSE(f.parse("32/Oct/2000:13:55:36 -0700", ns));
}

TEST(EventTimeTest, PatternWithATimezoneAndFractions) {
  const TimeFormat utc = format("%Y-%m-%d %H:%M:%S");
  EXPECT_EQ(parse_or_die(utc, "2024-03-01 12:34:56"), 1709296496 * kS);
  EXPECT_EQ(parse_or_die(utc, "2024-03-01 12:34:56.75"), 1709296496 * kS + 750000000);
  EXPECT_EQ(parse_or_die(utc, "2024-03-01   12:34:56"), 1709296496 * kS);  // Blanks: any run.
  const TimeFormat plus2 = format("%Y-%m-%d %H:%M:%S", "+02:00");
  EXPECT_EQ(parse_or_die(plus2, "2024-03-01 12:34:56"), (1709296496 - 7200) * kS);
  const TimeFormat ms = format("%Y-%m-%dT%H:%M:%S.%fZ");
  EXPECT_EQ(parse_or_die(ms, "2024-03-01T12:34:56.042Z"), 1709296496 * kS + 42000000);
  const TimeFormat t = format("%F %T");
  EXPECT_EQ(parse_or_die(t, "2024-03-01 12:34:56"), 1709296496 * kS);
  const TimeFormat ampm = format("%a %b %e %I:%M:%S %p %Y");
  EXPECT_EQ(parse_or_die(ampm, "Fri Mar  1 12:34:56 PM 2024"), 1709296496 * kS);
  EXPECT_EQ(parse_or_die(ampm, "Fri Mar  1 12:34:56 AM 2024"), (1709296496 - 43200) * kS);
  const TimeFormat epoch = format("ts=%s");
  EXPECT_EQ(parse_or_die(epoch, "ts=1709296496"), 1709296496 * kS);
  const TimeFormat yday = format("%Y.%j %H:%M:%S");
  EXPECT_EQ(parse_or_die(yday, "2024.061 12:34:56"), 1709296496 * kS);  // Day 61 is March 1.
}

TEST(EventTimeTest, IanaZonesFollowDaylightSaving) {
  auto berlin = TimeFormat::compile("%Y-%m-%d %H:%M:%S", "Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.error().message;
  // Winter: UTC+1; summer: UTC+2.
  EXPECT_EQ(parse_or_die(*berlin, "2024-01-15 12:00:00"), 1705316400 * kS);
  EXPECT_EQ(parse_or_die(*berlin, "2024-07-15 12:00:00"), 1721044800 * kS - 7200 * kS);
  // 2024-03-31 02:30 does not exist in Berlin (02:00 -> 03:00): the offset before (+1) applies.
  EXPECT_EQ(parse_or_die(*berlin, "2024-03-31 02:30:00"), 1711848600 * kS);
  // Later that day: +2.
  EXPECT_EQ(parse_or_die(*berlin, "2024-03-31 12:00:00"), (1711886400 - 7200) * kS);
  // 2024-10-27 02:30 happens twice (03:00 -> 02:00): the first, at +2, is taken.
  EXPECT_EQ(parse_or_die(*berlin, "2024-10-27 02:30:00"), (1729996200 - 7200) * kS);
  // An explicit zone in the text wins over the configured one.
  auto rfc = TimeFormat::compile("rfc3339", "Europe/Berlin");
  ASSERT_TRUE(rfc.ok());
  EXPECT_EQ(parse_or_die(*rfc, "2024-07-15T12:00:00Z"), 1721044800 * kS);
  EXPECT_EQ(parse_or_die(*rfc, "2024-07-15T12:00:00"), (1721044800 - 7200) * kS);
}

TEST(EventTimeTest, CompileErrorsSayWhatAndWhere) {
  auto r = TimeFormat::compile("%d/%q/%Y", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("column 4: unknown directive '%q'"));
  r = TimeFormat::compile("%H:%M:%S", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("a pattern needs the year"));
  r = TimeFormat::compile("iso", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("expected rfc3339, unix, unix_ms, unix_us, unix_ns"));
  r = TimeFormat::compile("rfc3339", "Mars/Olympus_Mons");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("timezone 'Mars/Olympus_Mons'"));
  r = TimeFormat::compile("rfc3339", "../../etc/passwd");
  ASSERT_FALSE(r.ok());
  r = TimeFormat::compile("rfc3339", "Europe");  // A folder of zones (found by fuzzing).
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("timezone 'Europe'"));
  r = TimeFormat::compile("rfc3339", "+25:00");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("expected UTC, an offset"));
  r = TimeFormat::compile("%Y%", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("column 3"));
}

}  // namespace
}  // namespace logtally::transforms
