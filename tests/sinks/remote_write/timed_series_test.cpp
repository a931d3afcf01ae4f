// encode_timed_series(): many samples per series at their own times (logtally backfill).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "remote_write.pb.h"
#include "sinks/remote_write/encoder.h"

namespace logtally::sinks {
namespace {

TEST(TimedSeriesEncoderTest, DecodesToTheSeriesSamplesAndSortedLabels) {
  std::vector<TimedSeries> in(2);
  in[0].labels = {{"__name__", "reqs_total"}, {"status", "500"}, {"empty", ""}, {"a", "x"}};
  in[0].samples = {{1767225900000, 0}, {1767226200000, 7}, {1767226500000, 1e300}};
  in[1].labels = {{"le", "+Inf"}, {"__name__", "dur_seconds_bucket"}};
  in[1].samples = {{1767225900000, -2.5}};
  size_t samples = 0;
  const std::string raw = encode_timed_series(in, &samples);
  EXPECT_EQ(samples, 4u);
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.timeseries_size(), 2);

  const prompb::TimeSeries& a = req.timeseries(0);
  ASSERT_EQ(a.labels_size(), 3);  // The empty label is left out; the rest sorted by name.
  EXPECT_EQ(a.labels(0).name(), "__name__");
  EXPECT_EQ(a.labels(0).value(), "reqs_total");
  EXPECT_EQ(a.labels(1).name(), "a");
  EXPECT_EQ(a.labels(1).value(), "x");
  EXPECT_EQ(a.labels(2).name(), "status");
  EXPECT_EQ(a.labels(2).value(), "500");
  ASSERT_EQ(a.samples_size(), 3);
  EXPECT_EQ(a.samples(0).timestamp(), 1767225900000);
  EXPECT_EQ(a.samples(0).value(), 0);
  EXPECT_EQ(a.samples(1).timestamp(), 1767226200000);
  EXPECT_EQ(a.samples(1).value(), 7);
  EXPECT_EQ(a.samples(2).timestamp(), 1767226500000);
  EXPECT_EQ(a.samples(2).value(), 1e300);

  const prompb::TimeSeries& b = req.timeseries(1);
  ASSERT_EQ(b.labels_size(), 2);
  EXPECT_EQ(b.labels(0).name(), "__name__");
  EXPECT_EQ(b.labels(0).value(), "dur_seconds_bucket");
  EXPECT_EQ(b.labels(1).name(), "le");
  EXPECT_EQ(b.labels(1).value(), "+Inf");
  ASSERT_EQ(b.samples_size(), 1);
  EXPECT_EQ(b.samples(0).value(), -2.5);

  // The same bytes protobuf's own serializer writes for that message.
  EXPECT_EQ(req.SerializeAsString(), raw);
}

TEST(TimedSeriesEncoderTest, NoSeriesIsAnEmptyRequest) {
  size_t samples = 9;
  EXPECT_EQ(encode_timed_series({}, &samples), "");
  EXPECT_EQ(samples, 0u);
}

}  // namespace
}  // namespace logtally::sinks
