#include "core/metric_store.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

std::string key_of(std::initializer_list<std::string_view> values) {
  LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

MetricSpec spec(std::string name, MetricType type, std::vector<std::string> labels,
                GaugeMode mode = GaugeMode::kSet, std::vector<double> buckets = {}) {
  MetricSpec s;
  s.name = std::move(name);
  s.type = type;
  s.mode = mode;
  s.label_names = std::move(labels);
  s.buckets = std::move(buckets);
  return s;
}

TEST(LabelKeyTest, RoundTripsAnyBytes) {
  LabelKey k;
  k.add("GET");
  k.add("");
  k.add(std::string_view("a\0b", 3));
  k.add_lowercase("MiXeD-1");
  const auto values = LabelKey::decode(k.view());
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0], "GET");
  EXPECT_EQ(values[1], "");
  EXPECT_EQ(values[2], std::string("a\0b", 3));
  EXPECT_EQ(values[3], "mixed-1");
  // Length prefixes keep ("ab","c") and ("a","bc") apart.
  EXPECT_NE(key_of({"ab", "c"}), key_of({"a", "bc"}));
}

TEST(SeriesIndexTest, FindsEveryKeyAfterGrowing) {
  SeriesIndex index;
  for (uint32_t i = 0; i < 10000; ++i) {
    const std::string k = key_of({std::to_string(i)});
    ASSERT_EQ(index.find(k, std::hash<std::string>{}(k)), SeriesIndex::kNotFound);
    index.insert(k, std::hash<std::string>{}(k), i);
  }
  for (uint32_t i = 0; i < 10000; ++i) {
    const std::string k = key_of({std::to_string(i)});
    EXPECT_EQ(index.find(k, std::hash<std::string>{}(k)), i);
  }
  EXPECT_EQ(index.key_count(), 10000u);
}

TEST(MetricStoreTest, CountersAddAcrossShards) {
  MetricStore store({spec("c", MetricType::kCounter, {"method"})}, {"src"}, {"p"}, 2);
  MetricShard& a = store.shard(0);
  MetricShard& b = store.shard(1);
  a.counter_add(0, a.series(0, key_of({"GET"})), 3);
  b.counter_add(0, b.series(0, key_of({"GET"})), 4);
  b.counter_add(0, b.series(0, key_of({"POST"})), 1.5);
  const Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics.size(), 1u);
  const auto& series = snap.metrics[0].series;
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].labels, std::vector<std::string>{"GET"});
  EXPECT_EQ(series[0].value, 7);
  EXPECT_EQ(series[1].labels, std::vector<std::string>{"POST"});
  EXPECT_EQ(series[1].value, 1.5);
}

TEST(MetricStoreTest, GaugeModesMergeAcrossShards) {
  MetricStore store({spec("set", MetricType::kGauge, {}, GaugeMode::kSet),
                     spec("add", MetricType::kGauge, {}, GaugeMode::kAdd),
                     spec("max", MetricType::kGauge, {}, GaugeMode::kMax),
                     spec("min", MetricType::kGauge, {}, GaugeMode::kMin)},
                    {"src"}, {"p"}, 2);
  const std::string none = key_of({});
  // Shard 0 sees stamps 10 and 30, shard 1 sees stamp 20: `set` must end at stamp 30's value.
  struct Update {
    size_t shard;
    double v;
    uint64_t stamp;
  };
  for (const Update& u : {Update{0, 5, 10}, Update{1, -2, 20}, Update{0, 7, 30}}) {
    MetricShard& s = store.shard(u.shard);
    for (uint32_t m = 0; m < 4; ++m) s.gauge_update(m, s.series(m, none), u.v, u.stamp);
  }
  const Snapshot snap = store.snapshot();
  EXPECT_EQ(snap.metrics[0].series[0].value, 7);   // set: latest in input order
  EXPECT_EQ(snap.metrics[1].series[0].value, 10);  // add: 5 - 2 + 7
  EXPECT_EQ(snap.metrics[2].series[0].value, 7);   // max
  EXPECT_EQ(snap.metrics[3].series[0].value, -2);  // min

  // Set where the later update is in the shard merged first.
  MetricStore later_first({spec("set", MetricType::kGauge, {})}, {"src"}, {"p"}, 2);
  later_first.shard(0).gauge_update(0, later_first.shard(0).series(0, none), 99, 50);
  later_first.shard(1).gauge_update(0, later_first.shard(1).series(0, none), 1, 40);
  EXPECT_EQ(later_first.snapshot().metrics[0].series[0].value, 99);
}

TEST(MetricStoreTest, HistogramBucketsUseLessOrEqual) {
  MetricStore store({spec("h", MetricType::kHistogram, {}, GaugeMode::kSet, {0.1, 1, 10})}, {"src"},
                    {"p"}, 2);
  const std::string none = key_of({});
  const double values[] = {0.05, 0.1, 0.5, 1, 1.0000001, 10, 11, 1e9};
  for (size_t i = 0; i < 8; ++i) {
    MetricShard& s = store.shard(i % 2);
    s.histogram_observe(0, s.series(0, none), values[i]);
  }
  const Snapshot snap = store.snapshot();
  const SeriesSample& h = snap.metrics[0].series[0];
  // Per-bucket (not cumulative): <=0.1: 2, <=1: 2, <=10: 2, +Inf: 2.
  EXPECT_EQ(h.buckets, (std::vector<uint64_t>{2, 2, 2, 2}));
  EXPECT_DOUBLE_EQ(h.value, 0.05 + 0.1 + 0.5 + 1 + 1.0000001 + 10 + 11 + 1e9);
}

TEST(MetricStoreTest, InvalidUtf8KeysBecomeOneRepairedSeries) {
  MetricStore store({spec("c", MetricType::kCounter, {"v"})}, {"src"}, {"p"}, 1);
  MetricShard& s = store.shard(0);
  const uint32_t a = s.series(0, key_of({"x\xFF"}));
  const uint32_t b = s.series(0, key_of({"x\xFE"}));
  const uint32_t c = s.series(0, key_of({"x\xEF\xBF\xBD"}));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(s.series(0, key_of({"x\xFF"})), a);
  s.counter_add(0, a, 1);
  s.counter_add(0, b, 1);
  s.counter_add(0, c, 1);
  const Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  EXPECT_EQ(snap.metrics[0].series[0].labels[0], "x\xEF\xBF\xBD");
  EXPECT_EQ(snap.metrics[0].series[0].value, 3);
}

TEST(MetricStoreTest, SelfMetricsSumAcrossShards) {
  MetricStore store({}, {"a", "b"}, {"p", "q"}, 2);
  store.shard(0).count_source(1, 10, 100);
  store.shard(1).count_source(1, 5, 50);
  store.shard(1).count_dropped(1, DropReason::kTooLong, 2);
  store.shard(0).count_dropped(1, DropReason::kTooLong);
  const Snapshot snap = store.snapshot();
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{0, 15}));
  EXPECT_EQ(snap.source_bytes, (std::vector<uint64_t>{0, 150}));
  EXPECT_EQ(snap.dropped[1 * kDropReasonCount + static_cast<size_t>(DropReason::kTooLong)], 3u);
  EXPECT_EQ(drop_reason_name(DropReason::kTooLong), "too_long");
}

}  // namespace
}  // namespace logtally::core
