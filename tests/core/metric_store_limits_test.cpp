// The store's cardinality limit (max_series + overflow), expiry and predeclared series, across
// several shards: the limits hold for the MERGED result.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "core/metric_store.h"

namespace logtally::core {
namespace {

std::string key_of(std::initializer_list<std::string_view> values) {
  LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

std::map<std::string, double> merged(const Snapshot& s, size_t metric) {
  std::map<std::string, double> out;
  for (const SeriesSample& ss : s.metrics[metric].series) {
    std::string k;
    for (const std::string& l : ss.labels) k += (k.empty() ? "" : ",") + l;
    out[k] = ss.value;
  }
  return out;
}

MetricSpec counter(std::string name, size_t max_series, std::vector<std::string> labels) {
  MetricSpec s;
  s.name = std::move(name);
  s.label_names = std::move(labels);
  s.max_series = max_series;
  return s;
}

TEST(MetricStoreLimitsTest, TheLimitHoldsForTheMergedResultAcrossShards) {
  MetricStore store({counter("m", 3, {"a", "b"})}, {"src"}, {"p"}, 3);
  // Shard 0 admits x and y; shard 1 sees y (admitted elsewhere: a series here too) and z (the
  // 3rd); shard 2 sees w and v (over the limit) and x (admitted: counted in its own series).
  auto add = [&](size_t shard, std::string_view v, double n) {
    MetricShard& s = store.shard(shard);
    s.counter_add(0, s.series(0, key_of({v, "1"})), n);
  };
  add(0, "x", 1);
  add(0, "y", 2);
  add(1, "y", 4);
  add(1, "z", 8);
  add(2, "w", 16);
  add(2, "v", 32);
  add(2, "x", 64);
  add(2, "w", 128);
  add(1, "v", 256);  // shard 1 has not seen the limit yet: it asks the admission under its lock
  add(0, "z", 512);  // admitted by shard 1
  const Snapshot s = store.snapshot();
  EXPECT_EQ(merged(s, 0), (std::map<std::string, double>{
                              {"x,1", 65},
                              {"y,1", 6},
                              {"z,1", 520},
                              {"__overflow__,__overflow__", 16 + 32 + 128 + 256},
                          }));
  EXPECT_EQ(s.overflow, (std::vector<uint64_t>{4}));  // four updates went to overflow
}

TEST(MetricStoreLimitsTest, ConcurrentShardsAdmitExactlyTheLimit) {
  constexpr size_t kLimit = 100;
  constexpr int kShards = 4;
  constexpr int kPerShard = 5000;
  MetricStore store({counter("m", kLimit, {"v"})}, {"src"}, {"p"}, kShards);
  std::vector<std::thread> threads;
  for (int t = 0; t < kShards; ++t) {
    threads.emplace_back([&, t] {
      MetricShard& s = store.shard(t);
      std::lock_guard<std::mutex> lock(s.mutex());
      for (int i = 0; i < kPerShard; ++i) {
        // Values overlap between shards: i % 1000 and t * 300 + i.
        const std::string v = std::to_string(i % 2 == 0 ? i % 1000 : t * 300 + i);
        s.counter_add(0, s.series(0, key_of({v})), 1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const Snapshot s = store.snapshot();
  ASSERT_EQ(s.metrics[0].series.size(), kLimit + 1);
  double total = 0;
  double overflow_value = 0;
  for (const SeriesSample& ss : s.metrics[0].series) {
    total += ss.value;
    if (ss.labels[0] == kOverflowLabel) overflow_value = ss.value;
  }
  EXPECT_EQ(total, kShards * kPerShard);  // nothing lost
  EXPECT_EQ(static_cast<double>(s.overflow[0]), overflow_value);
  EXPECT_GT(s.overflow[0], 0u);
}

TEST(MetricStoreLimitsTest, NoLimitMeansNoOverflow) {
  MetricStore store({counter("m", 0, {"v"})}, {"src"}, {"p"}, 1);
  MetricShard& sh = store.shard(0);
  for (int i = 0; i < 5000; ++i) sh.counter_add(0, sh.series(0, key_of({std::to_string(i)})), 1);
  const Snapshot s = store.snapshot();
  EXPECT_EQ(s.metrics[0].series.size(), 5000u);
  EXPECT_EQ(s.overflow[0], 0u);
}

TEST(MetricStoreLimitsTest, InitialSeriesExistAtZeroAndCountAgainstTheLimit) {
  MetricSpec spec = counter("m", 2, {"status"});
  spec.initial = {{"500"}};
  MetricStore store({spec}, {"src"}, {"p"}, 2);
  EXPECT_EQ(merged(store.snapshot(), 0), (std::map<std::string, double>{{"500", 0}}));
  MetricShard& s1 = store.shard(1);
  s1.counter_add(0, s1.series(0, key_of({"500"})), 1);  // same series, other shard
  s1.counter_add(0, s1.series(0, key_of({"200"})), 1);
  s1.counter_add(0, s1.series(0, key_of({"404"})), 1);  // 3rd label set: overflow
  EXPECT_EQ(merged(store.snapshot(), 0),
            (std::map<std::string, double>{{"500", 1}, {"200", 1}, {"__overflow__", 1}}));
}

TEST(MetricStoreLimitsTest, ExpiryRemovesASeriesOnlyWhenNoShardUpdatedIt) {
  MetricSpec spec = counter("m", 3, {"v"});
  spec.expire_after_ms = 1000;
  spec.initial = {{"pinned"}};
  MetricStore store({spec, counter("kept", 0, {"v"})}, {"src"}, {"p"}, 2);
  MetricShard& s0 = store.shard(0);
  MetricShard& s1 = store.shard(1);
  s0.set_now(10'000);
  s1.set_now(10'000);
  s0.counter_add(0, s0.series(0, key_of({"a"})), 1);
  s1.counter_add(0, s1.series(0, key_of({"b"})), 1);  // the limit (3 with "pinned") is reached
  s1.counter_add(0, s1.series(0, key_of({"c"})), 1);  // overflow
  s1.counter_add(1, s1.series(1, key_of({"b"})), 7);  // a metric without expire_after
  s1.set_now(10'800);
  s1.counter_add(0, s1.series(0, key_of({"a"})), 5);  // "a" is fresh in shard 1

  EXPECT_EQ(store.expire(10'900), 0u);  // nothing is 1000 ms old yet
  EXPECT_EQ(
      merged(store.snapshot(), 0),
      (std::map<std::string, double>{{"pinned", 0}, {"a", 6}, {"b", 1}, {"__overflow__", 1}}));
  // "b" (10'000) is stale; "a" was updated at 10'800 by shard 1.
  EXPECT_EQ(store.expire(11'500), 1u);
  const Snapshot s = store.snapshot();
  // "a" keeps shard 0's part (1) too: no shard's copy goes while another is fresh. "pinned"
  // (initial) never expires; the overflow series stays.
  EXPECT_EQ(merged(s, 0),
            (std::map<std::string, double>{{"pinned", 0}, {"a", 6}, {"__overflow__", 1}}));
  EXPECT_EQ(merged(s, 1), (std::map<std::string, double>{{"b", 7}}));
  EXPECT_EQ(store.expire(20'000), 1u);  // "a"
  EXPECT_EQ(merged(store.snapshot(), 0),
            (std::map<std::string, double>{{"pinned", 0}, {"__overflow__", 1}}));
  EXPECT_EQ(store.expire(20'000), 0u);  // nothing left to remove
}

TEST(MetricStoreLimitsTest, ExpiryFreesRoomUnderTheLimit) {
  MetricSpec spec = counter("m", 2, {"v"});
  spec.expire_after_ms = 1000;
  MetricStore store({spec}, {"src"}, {"p"}, 2);
  MetricShard& s0 = store.shard(0);
  MetricShard& s1 = store.shard(1);
  s0.counter_add(0, s0.series(0, key_of({"a"})), 1);
  s1.counter_add(0, s1.series(0, key_of({"b"})), 1);
  s1.counter_add(0, s1.series(0, key_of({"c"})), 1);  // overflow: limit 2 reached
  s0.set_now(900);
  s0.counter_add(0, s0.series(0, key_of({"a"})), 1);
  EXPECT_EQ(store.expire(1500), 1u);  // "b" (0) goes; "a" (900) stays
  s1.set_now(1500);
  s1.counter_add(0, s1.series(0, key_of({"c"})), 10);  // room again: "c" gets its own series
  s1.counter_add(0, s1.series(0, key_of({"d"})), 1);   // and "d" overflows
  EXPECT_EQ(store.expire(1600), 0u);
  const Snapshot s = store.snapshot();
  EXPECT_EQ(merged(s, 0),
            (std::map<std::string, double>{{"a", 2}, {"c", 10}, {"__overflow__", 2}}));
  EXPECT_EQ(s.overflow[0], 2u);
}

}  // namespace
}  // namespace logtally::core
