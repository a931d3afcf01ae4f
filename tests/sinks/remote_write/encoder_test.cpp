#include "sinks/remote_write/encoder.h"

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <snappy.h>

#include "remote_write.pb.h"

namespace logtally::sinks {
namespace {

using Labels = std::map<std::string, std::string>;

Labels labels_of(const prompb::TimeSeries& ts) {
  Labels out;
  for (const prompb::Label& l : ts.labels()) out[l.name()] = l.value();
  return out;
}

const prompb::TimeSeries* find(const prompb::WriteRequest& req, const Labels& want) {
  for (const prompb::TimeSeries& ts : req.timeseries()) {
    if (labels_of(ts) == want) return &ts;
  }
  return nullptr;
}

class EncoderTest : public ::testing::Test {
 protected:
  EncoderTest() : store_(specs(), {"in"}, {"p"}, 2, native()) {
    core::MetricShard& a = store_.shard(0);
    core::MetricShard& b = store_.shard(1);
    core::LabelKey k;
    k.add("GET");
    k.add("");  // empty label value: left out
    a.counter_add(0, a.series(0, k.view()), 3);
    b.counter_add(0, b.series(0, k.view()), 4);
    k.clear();
    k.add("/a");
    const uint32_t h = a.series(1, k.view());
    for (double v : {1.0, 1.0, 2.0, 16.0, 1024.0, 0.0, -0.5}) a.histogram_observe(1, h, v);
  }
  static std::vector<core::MetricSpec> specs() {
    core::MetricSpec c;
    c.name = "reqs_total";
    c.type = core::MetricType::kCounter;
    c.label_names = {"method", "zone"};
    core::MetricSpec h;
    h.name = "lat";
    h.type = core::MetricType::kHistogram;
    h.label_names = {"route"};
    h.buckets = {0.5, 2};
    return {c, h};
  }
  static core::NativeHistogramOptions native() {
    core::NativeHistogramOptions o;
    o.enabled = true;
    o.schema = 0;
    return o;
  }
  prompb::WriteRequest encode(const RemoteWriteEncodeOptions& opt) {
    const std::string raw = encode_write_request(store_, store_.snapshot(), opt, 1700000000123);
    prompb::WriteRequest req;
    EXPECT_TRUE(req.ParseFromString(raw));
    return req;
  }
  core::MetricStore store_;
};

TEST_F(EncoderTest, CountersAndClassicHistogramsWithSortedAndExternalLabels) {
  RemoteWriteEncodeOptions opt;
  opt.external_labels = {{"instance", "i1"}, {"route", "ignored"}};
  RemoteWriteEncodeStats stats;
  const std::string raw =
      encode_write_request(store_, store_.snapshot(), opt, 1700000000123, &stats);
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));

  const prompb::TimeSeries* c = find(
      req,
      {{"__name__", "reqs_total"}, {"instance", "i1"}, {"method", "GET"}, {"route", "ignored"}});
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->samples_size(), 1);
  EXPECT_EQ(c->samples(0).value(), 7);  // merged across both shards
  EXPECT_EQ(c->samples(0).timestamp(), 1700000000123);

  // The series' own route wins over the external one.
  const Labels base = {{"instance", "i1"}, {"route", "/a"}};
  const auto bucket = [&](const char* le) {
    Labels l = base;
    l["__name__"] = "lat_bucket";
    l["le"] = le;
    const prompb::TimeSeries* ts = find(req, l);
    return ts == nullptr ? -1.0 : ts->samples(0).value();
  };
  EXPECT_EQ(bucket("0.5"), 2);  // 0, -0.5
  EXPECT_EQ(bucket("2"), 5);    // + 1, 1, 2
  EXPECT_EQ(bucket("+Inf"), 7);
  Labels sum = base;
  sum["__name__"] = "lat_sum";
  ASSERT_NE(find(req, sum), nullptr);
  EXPECT_EQ(find(req, sum)->samples(0).value(), 1.0 + 1 + 2 + 16 + 1024 + 0 - 0.5);
  Labels count = base;
  count["__name__"] = "lat_count";
  ASSERT_NE(find(req, count), nullptr);
  EXPECT_EQ(find(req, count)->samples(0).value(), 7);

  // Labels are sorted by name in every series, __name__ first.
  for (const prompb::TimeSeries& ts : req.timeseries()) {
    for (int i = 1; i < ts.labels_size(); ++i)
      EXPECT_LT(ts.labels(i - 1).name(), ts.labels(i).name());
    EXPECT_EQ(ts.labels(0).name(), "__name__");
  }
  // Self-metrics ride along.
  const prompb::TimeSeries* rec = find(req, {{"__name__", "logtally_records_total"},
                                             {"instance", "i1"},
                                             {"route", "ignored"},
                                             {"source", "in"}});
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->samples(0).value(), 0);
  // No native histogram unless asked for.
  for (const prompb::TimeSeries& ts : req.timeseries()) EXPECT_EQ(ts.histograms_size(), 0);
  EXPECT_EQ(stats.histograms, 0u);
  EXPECT_EQ(stats.samples, static_cast<size_t>(req.timeseries_size()));
}

TEST_F(EncoderTest, NativeHistogramSpansAndDeltas) {
  RemoteWriteEncodeOptions opt;
  opt.native_histograms = true;
  opt.native_schema = 8;  // finer than recorded: left at the recorded schema 0
  const prompb::WriteRequest req = encode(opt);
  const prompb::TimeSeries* ts = find(req, {{"__name__", "lat"}, {"route", "/a"}});
  ASSERT_NE(ts, nullptr);
  ASSERT_EQ(ts->histograms_size(), 1);
  const prompb::Histogram& h = ts->histograms(0);
  EXPECT_EQ(h.count_int(), 7u);
  EXPECT_EQ(h.sum(), 1043.5);
  EXPECT_EQ(h.schema(), 0);
  EXPECT_EQ(h.zero_count_int(), 1u);
  EXPECT_EQ(h.zero_threshold(), 2.938735877055719e-39);
  EXPECT_EQ(h.timestamp(), 1700000000123);
  // Positive: 1,1 -> index 0; 2 -> 1; 16 -> 4; 1024 -> 10. Two empty buckets (2, 3) stay inside
  // the first span; five (5..9) start a new one.
  ASSERT_EQ(h.positive_spans_size(), 2);
  EXPECT_EQ(h.positive_spans(0).offset(), 0);
  EXPECT_EQ(h.positive_spans(0).length(), 5u);
  EXPECT_EQ(h.positive_spans(1).offset(), 5);
  EXPECT_EQ(h.positive_spans(1).length(), 1u);
  const std::vector<int64_t> deltas(h.positive_deltas().begin(), h.positive_deltas().end());
  EXPECT_EQ(deltas, (std::vector<int64_t>{2, -1, -1, 0, 1, 0}));
  // Negative: -0.5 -> index -1.
  ASSERT_EQ(h.negative_spans_size(), 1);
  EXPECT_EQ(h.negative_spans(0).offset(), -1);
  EXPECT_EQ(h.negative_spans(0).length(), 1u);
  ASSERT_EQ(h.negative_deltas_size(), 1);
  EXPECT_EQ(h.negative_deltas(0), 1);

  // A coarser sink schema downscales: at -1, indices 0,1,4,10 -> 0,1,2,5.
  opt.native_schema = -1;
  const prompb::WriteRequest coarse = encode(opt);
  const prompb::Histogram& c = find(coarse, {{"__name__", "lat"}, {"route", "/a"}})->histograms(0);
  EXPECT_EQ(c.schema(), -1);
  ASSERT_EQ(c.positive_spans_size(), 1);  // 0,1,2 then two empty (3,4) then 5: one span
  EXPECT_EQ(c.positive_spans(0).offset(), 0);
  EXPECT_EQ(c.positive_spans(0).length(), 6u);
  const std::vector<int64_t> cd(c.positive_deltas().begin(), c.positive_deltas().end());
  EXPECT_EQ(cd, (std::vector<int64_t>{2, -1, 0, -1, 0, 1}));
}

// The request is written without the generated classes (see the encoder): its bytes must be
// exactly what protobuf's own serializer makes of the same messages.
TEST_F(EncoderTest, BytesEqualTheGeneratedSerializer) {
  RemoteWriteEncodeOptions opt;
  opt.external_labels = {{"instance", "i1"}};
  opt.native_histograms = true;
  const std::string raw = encode_write_request(store_, store_.snapshot(), opt, 1700000000123);
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  EXPECT_GT(req.timeseries_size(), 10);
  EXPECT_EQ(req.SerializeAsString(), raw);
}

TEST(SnappyTest, RoundTrips) {
  std::string raw;
  for (int i = 0; i < 10000; ++i) raw += "series_" + std::to_string(i % 97);
  const std::string z = snappy_compress(raw);
  EXPECT_LT(z.size(), raw.size() / 3);
  std::string back;
  ASSERT_TRUE(snappy::Uncompress(z.data(), z.size(), &back));
  EXPECT_EQ(back, raw);
}

}  // namespace
}  // namespace logtally::sinks
