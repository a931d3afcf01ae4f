#include "core/native_histogram.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/metric_store.h"

namespace logtally::core {
namespace {

TEST(NativeBoundsTableTest, IndexFollowsThePrometheusBucketScheme) {
  const NativeBoundsTable t;
  // Schema 0: bucket i is (2^(i-1), 2^i]; powers of two are upper bounds.
  EXPECT_EQ(t.index(1.0, 0), 0);
  EXPECT_EQ(t.index(2.0, 0), 1);
  EXPECT_EQ(t.index(3.0, 0), 2);
  EXPECT_EQ(t.index(0.75, 0), 0);
  EXPECT_EQ(t.index(0.5, 0), -1);
  // Schema 3: 8 buckets per power of two; 0.25 = 2^-2 is the upper bound of bucket -16.
  EXPECT_EQ(t.index(0.25, 3), -16);
  EXPECT_EQ(t.index(1.0, 3), 0);
  EXPECT_EQ(t.index(3.0, 3), 13);  // (2^(12/8), 2^(13/8)] = (2.83, 3.08]
  // Schema -1: bucket i is (4^(i-1), 4^i].
  EXPECT_EQ(t.index(1.0, -1), 0);
  EXPECT_EQ(t.index(2.0, -1), 1);
  EXPECT_EQ(t.index(4.0, -1), 1);
  EXPECT_EQ(t.index(5.0, -1), 2);
  EXPECT_EQ(t.index(0.2, -1), -1);  // (1/16, 1/4]
  EXPECT_EQ(t.index(2.0, 8), 256);
  EXPECT_EQ(t.index(1e-300, -4), -62);  // 2^-996.6: schema 0 index -996, ceil(-996/16) = -62
}

TEST(NativeBoundsTableTest, EveryValueLiesInsideItsBucket) {
  const NativeBoundsTable t;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-40, 40);
  for (int schema = -4; schema <= 8; ++schema) {
    for (int k = 0; k < 2000; ++k) {
      const double v = std::exp2(exponent(rng));
      const int32_t i = t.index(v, schema);
      const double upper = std::exp2(std::ldexp(double(i), -schema));
      const double lower = std::exp2(std::ldexp(double(i - 1), -schema));
      EXPECT_LE(v, upper * (1 + 1e-12)) << "schema " << schema << " v " << v;
      EXPECT_GT(v, lower * (1 - 1e-12)) << "schema " << schema << " v " << v;
    }
  }
}

struct Series {
  explicit Series(NativeHistogramOptions o)
      : opt(o), counts(2 * o.max_buckets), scratch(o.max_buckets) {
    s.schema = opt.schema;
  }
  void observe(double v) { native_observe(opt, table, s, counts.data(), scratch.data(), v); }
  NativeSample sample() const { return native_sample(opt, s, counts.data()); }
  NativeHistogramOptions opt;
  NativeBoundsTable table;
  NativeSeries s;
  std::vector<uint64_t> counts;
  std::vector<uint64_t> scratch;
};

TEST(NativeObserveTest, CountsZeroPositiveAndNegativeBuckets) {
  NativeHistogramOptions o;
  o.enabled = true;
  o.schema = 0;
  o.zero_threshold = 0.001;
  Series h(o);
  for (double v : {1.0, 1.0, 2.0, 16.0, 0.0, 0.0005, -0.0005, -3.0}) h.observe(v);
  const NativeSample n = h.sample();
  EXPECT_EQ(n.schema, 0);
  EXPECT_EQ(n.zero_count, 3u);
  EXPECT_EQ(n.offset[0], 0);
  EXPECT_EQ(n.counts[0], (std::vector<uint64_t>{2, 1, 0, 0, 1}));
  EXPECT_EQ(n.offset[1], 2);
  EXPECT_EQ(n.counts[1], (std::vector<uint64_t>{1}));
}

TEST(NativeObserveTest, MovesTheWindowWhenTheSpanStillFits) {
  NativeHistogramOptions o;
  o.enabled = true;
  o.schema = 0;
  o.max_buckets = 16;
  Series h(o);
  h.observe(1);              // index 0, window centred on it: [-7, 8]
  h.observe(std::exp2(14));  // index 14: outside, but the span 0..14 fits in 16
  h.observe(std::exp2(-1));  // index -1: span -1..14 is exactly 16
  const NativeSample n = h.sample();
  EXPECT_EQ(n.schema, 0);
  EXPECT_EQ(n.offset[0], -1);
  ASSERT_EQ(n.counts[0].size(), 16u);
  EXPECT_EQ(n.counts[0][0], 1u);
  EXPECT_EQ(n.counts[0][1], 1u);
  EXPECT_EQ(n.counts[0][15], 1u);
}

TEST(NativeObserveTest, HalvesTheResolutionWhenTheSpanDoesNotFit) {
  NativeHistogramOptions o;
  o.enabled = true;
  o.schema = 3;
  o.max_buckets = 16;
  Series h(o);
  h.observe(1);   // schema 3 index 0
  h.observe(8);   // schema 3 index 24: span 25 > 16 -> schema 2: indices 0 and 12
  h.observe(-8);  // negative side shares the schema: index 12 at schema 2
  NativeSample n = h.sample();
  EXPECT_EQ(n.schema, 2);
  EXPECT_EQ(n.offset[0], 0);
  ASSERT_EQ(n.counts[0].size(), 13u);
  EXPECT_EQ(n.counts[0].front(), 1u);
  EXPECT_EQ(n.counts[0].back(), 1u);
  EXPECT_EQ(n.offset[1], 12);
  EXPECT_EQ(n.counts[1], (std::vector<uint64_t>{1}));
  // A much wider range keeps halving: 2^-20 .. 2^20 at schema s spans 40 * 2^s + 1 indices.
  h.observe(std::exp2(-20));
  h.observe(std::exp2(20));
  n = h.sample();
  EXPECT_EQ(n.schema, -2);  // 40 / 4 + 1 = 11 <= 16; schema -1 would need 21
  uint64_t total = 0;
  for (uint64_t c : n.counts[0]) total += c;
  EXPECT_EQ(total, 4u);  // 1, 8, 2^-20, 2^20
}

TEST(NativeSampleTest, MergeBringsBothToTheLowerSchema) {
  NativeSample a;
  a.schema = 1;
  a.offset[0] = 1;
  a.counts[0] = {1, 1, 1};  // indices 1, 2, 3 at schema 1 -> 1, 1, 2 at schema 0
  a.zero_count = 2;
  NativeSample b;
  b.schema = 0;
  b.offset[0] = 2;
  b.counts[0] = {5};
  b.zero_count = 1;
  a.merge(b);
  EXPECT_EQ(a.schema, 0);
  EXPECT_EQ(a.zero_count, 3u);
  EXPECT_EQ(a.offset[0], 1);
  EXPECT_EQ(a.counts[0], (std::vector<uint64_t>{2, 6}));
}

TEST(NativeStoreTest, SnapshotMergesShardsAndMatchesClassicCount) {
  MetricSpec h;
  h.name = "lat";
  h.type = MetricType::kHistogram;
  h.label_names = {"route"};
  h.buckets = {1};
  NativeHistogramOptions o;
  o.enabled = true;
  o.schema = 0;
  MetricStore store({h}, {"in"}, {"p"}, 2, o);
  LabelKey key;
  key.add("/a");
  for (size_t sh = 0; sh < 2; ++sh) {
    MetricShard& shard = store.shard(sh);
    const uint32_t s = shard.series(0, key.view());
    for (double v : {1.0, 2.0, 0.0}) shard.histogram_observe(0, s, v * double(sh + 1));
  }
  const Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  const SeriesSample& s = snap.metrics[0].series[0];
  ASSERT_TRUE(s.native.has_value());
  EXPECT_EQ(s.native->zero_count, 2u);
  EXPECT_EQ(s.native->offset[0], 0);
  // Shard 0: 1, 2 -> indices 0, 1; shard 1: 2, 4 -> indices 1, 2.
  EXPECT_EQ(s.native->counts[0], (std::vector<uint64_t>{1, 2, 1}));
  EXPECT_EQ(s.buckets, (std::vector<uint64_t>{3, 3}));  // classic: le=1 holds 1, 0, 0
}

TEST(NativeStoreTest, OffByDefault) {
  MetricSpec h;
  h.name = "lat";
  h.type = MetricType::kHistogram;
  h.buckets = {1};
  MetricStore store({h}, {"in"}, {"p"}, 1);
  const uint32_t s = store.shard(0).series(0, "");
  store.shard(0).histogram_observe(0, s, 3);
  EXPECT_FALSE(store.snapshot().metrics[0].series[0].native.has_value());
}

}  // namespace
}  // namespace logtally::core
