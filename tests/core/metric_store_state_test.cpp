// MetricStore::export_state() / import_state() (core/metric_store_state.cpp): the store's side of
// a checkpoint. The file format around it is tested in tests/checkpoint/.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/metric_store.h"

namespace logtally::core {
namespace {

std::string key(std::initializer_list<std::string_view> values) {
  LabelKey k;
  for (auto v : values) k.add(v);
  return std::string(k.view());
}

MetricSpec counter(std::string name, std::vector<std::string> labels) {
  MetricSpec s;
  s.name = std::move(name);
  s.type = MetricType::kCounter;
  s.label_names = std::move(labels);
  return s;
}

MetricSpec gauge(std::string name, GaugeMode mode) {
  MetricSpec s;
  s.name = std::move(name);
  s.type = MetricType::kGauge;
  s.mode = mode;
  return s;
}

MetricSpec histogram(std::string name, std::vector<double> buckets) {
  MetricSpec s;
  s.name = std::move(name);
  s.type = MetricType::kHistogram;
  s.label_names = {"route"};
  s.buckets = std::move(buckets);
  return s;
}

// The exported series of metric `mi` whose key is `k` (fails the test when absent).
const StoreState::Series* find(const StoreState& st, size_t mi, const std::string& k) {
  for (const auto& s : st.metrics.at(mi)) {
    if (s.key == k) return &s;
  }
  ADD_FAILURE() << "no series with that key in metric " << mi;
  return nullptr;
}

TEST(MetricStoreStateTest, AnEmptyStoreExportsZeroesSizedLikeTheStore) {
  MetricStore store({counter("a", {}), counter("b", {"x"})}, {"s1", "s2", "s3"}, {"p1", "p2"}, 2);
  const StoreState st = store.export_state();
  ASSERT_EQ(st.metrics.size(), 2u);
  EXPECT_TRUE(st.metrics[0].empty());
  EXPECT_TRUE(st.metrics[1].empty());
  EXPECT_EQ(st.source_records, (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_EQ(st.source_bytes, (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_EQ(st.dropped, std::vector<uint64_t>(2 * kDropReasonCount, 0));
  EXPECT_EQ(st.filtered, (std::vector<uint64_t>{0, 0}));
  EXPECT_EQ(st.overflow, (std::vector<uint64_t>{0, 0}));
  EXPECT_TRUE(st.key_arena.empty());
}

TEST(MetricStoreStateTest, CountersAndSelfCountsAreSummedOverShards) {
  MetricStore store({counter("hits", {"pod"})}, {"in"}, {"p", "q"}, 3);
  for (size_t w = 0; w < 3; ++w) {
    MetricShard& s = store.shard(w);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1.5);
    if (w == 2) s.counter_add(0, s.series(0, key({"only-in-2"})), 4);
    s.count_source(0, 10 + w, 100);
    s.count_dropped(1, DropReason::kNotANumber, w + 1);
    s.count_filtered(0, 2);
  }
  const StoreState st = store.export_state();
  ASSERT_EQ(st.metrics[0].size(), 2u);
  const auto* a = find(st, 0, key({"a"}));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->value, 4.5);
  EXPECT_TRUE(a->buckets.empty());
  const auto* only = find(st, 0, key({"only-in-2"}));
  ASSERT_NE(only, nullptr);
  EXPECT_EQ(only->value, 4);
  EXPECT_EQ(st.source_records, (std::vector<uint64_t>{33}));
  EXPECT_EQ(st.source_bytes, (std::vector<uint64_t>{300}));
  std::vector<uint64_t> dropped(2 * kDropReasonCount, 0);
  dropped[kDropReasonCount + static_cast<size_t>(DropReason::kNotANumber)] = 6;
  EXPECT_EQ(st.dropped, dropped);
  EXPECT_EQ(st.filtered, (std::vector<uint64_t>{6, 0}));
  // Keys are not copied: they point into the shards' key arenas, which the state shares.
  EXPECT_TRUE(st.key_arena.empty());
  EXPECT_FALSE(st.key_chunks.empty());
}

TEST(MetricStoreStateTest, HistogramBucketsAndSumsAreMerged) {
  MetricStore store({histogram("lat", {0.1, 1})}, {"in"}, {"p"}, 2);
  for (size_t w = 0; w < 2; ++w) {
    MetricShard& s = store.shard(w);
    std::lock_guard<std::mutex> lock(s.mutex());
    const uint32_t series = s.series(0, key({"/"}));
    s.histogram_observe(0, series, 0.05);           // le 0.1
    s.histogram_observe(0, series, 1);              // le 1 (bounds are inclusive)
    if (w == 1) s.histogram_observe(0, series, 7);  // +Inf
  }
  const StoreState st = store.export_state();
  ASSERT_EQ(st.metrics[0].size(), 1u);
  EXPECT_EQ(st.metrics[0][0].key, key({"/"}));
  EXPECT_DOUBLE_EQ(st.metrics[0][0].value, 9.1);
  EXPECT_EQ(st.metrics[0][0].buckets, (std::vector<uint64_t>{2, 2, 1}));
}

TEST(MetricStoreStateTest, GaugesMergeByTheirMode) {
  MetricStore store({gauge("set", GaugeMode::kSet), gauge("add", GaugeMode::kAdd),
                     gauge("max", GaugeMode::kMax), gauge("min", GaugeMode::kMin)},
                    {"in"}, {"p"}, 2);
  // Shard 0 holds the later `set` update (stamp 9) although its value is the smaller one.
  const double values[2] = {3, 8};
  const uint64_t stamps[2] = {9, 4};
  for (size_t w = 0; w < 2; ++w) {
    MetricShard& s = store.shard(w);
    std::lock_guard<std::mutex> lock(s.mutex());
    for (uint32_t mi = 0; mi < 4; ++mi)
      s.gauge_update(mi, s.series(mi, key({})), values[w], stamps[w]);
  }
  const StoreState st = store.export_state();
  for (size_t mi = 0; mi < 4; ++mi) ASSERT_EQ(st.metrics[mi].size(), 1u) << mi;
  EXPECT_EQ(st.metrics[0][0].value, 3);   // set: the update with the later stamp
  EXPECT_EQ(st.metrics[1][0].value, 11);  // add
  EXPECT_EQ(st.metrics[2][0].value, 8);   // max
  EXPECT_EQ(st.metrics[3][0].value, 3);   // min
}

TEST(MetricStoreStateTest, ImportContinuesCountersAndHistogramsAndRestoresGauges) {
  std::vector<MetricSpec> specs = {counter("hits", {"pod"}), gauge("depth", GaugeMode::kSet),
                                   histogram("lat", {0.1, 1})};
  MetricStore before(specs, {"in"}, {"p"}, 2);
  {
    MetricShard& s = before.shard(1);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 5);
    s.gauge_update(1, s.series(1, key({})), 42, 100);
    s.histogram_observe(2, s.series(2, key({"/x"})), 0.5);
    s.count_source(0, 7, 70);
    s.count_dropped(0, DropReason::kInvalidJson, 3);
    s.count_filtered(0, 4);
  }
  const StoreState saved = before.export_state();

  MetricStore after(specs, {"in"}, {"p"}, 3);
  after.import_state(saved);
  {
    // Updates after the restore, on another shard than the restored values (shard 0).
    MetricShard& s = after.shard(2);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1);
    s.counter_add(0, s.series(0, key({"b"})), 2);
    s.histogram_observe(2, s.series(2, key({"/x"})), 0.05);
    s.count_source(0, 1, 10);
    s.count_dropped(0, DropReason::kInvalidJson, 1);
    s.count_filtered(0, 1);
  }
  const Snapshot snap = after.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 2u);
  EXPECT_EQ(snap.metrics[0].series[0].labels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 6);
  EXPECT_EQ(snap.metrics[0].series[1].labels, (std::vector<std::string>{"b"}));
  EXPECT_EQ(snap.metrics[0].series[1].value, 2);
  ASSERT_EQ(snap.metrics[1].series.size(), 1u);
  EXPECT_EQ(snap.metrics[1].series[0].value, 42);
  ASSERT_EQ(snap.metrics[2].series.size(), 1u);
  EXPECT_DOUBLE_EQ(snap.metrics[2].series[0].value, 0.55);
  EXPECT_EQ(snap.metrics[2].series[0].buckets, (std::vector<uint64_t>{1, 1, 0}));
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{8}));
  EXPECT_EQ(snap.source_bytes, (std::vector<uint64_t>{80}));
  EXPECT_EQ(snap.dropped[static_cast<size_t>(DropReason::kInvalidJson)], 4u);
  EXPECT_EQ(snap.filtered, (std::vector<uint64_t>{5}));
}

TEST(MetricStoreStateTest, AGaugeSetAfterARestoreReplacesTheRestoredValue) {
  // Stamps are not saved: any update after the restore is later than the restored value.
  MetricStore before({gauge("g", GaugeMode::kSet)}, {"in"}, {"p"}, 1);
  {
    MetricShard& s = before.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.gauge_update(0, s.series(0, key({})), 10, 1000);
  }
  MetricStore after({gauge("g", GaugeMode::kSet)}, {"in"}, {"p"}, 2);
  after.import_state(before.export_state());
  {
    MetricShard& s = after.shard(1);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.gauge_update(0, s.series(0, key({})), 2, 1);
  }
  const Snapshot snap = after.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  EXPECT_EQ(snap.metrics[0].series[0].value, 2);
}

TEST(MetricStoreStateTest, OverflowSeriesAndCountRoundTrip) {
  MetricSpec limited = counter("users_total", {"user"});
  limited.max_series = 1;
  MetricStore before({limited}, {"in"}, {"p"}, 1);
  {
    MetricShard& s = before.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    for (const char* u : {"a", "b", "c", "a"}) s.counter_add(0, s.series(0, key({u})), 1);
  }
  const StoreState saved = before.export_state();
  EXPECT_EQ(saved.overflow, (std::vector<uint64_t>{2}));  // b and c
  ASSERT_EQ(saved.metrics[0].size(), 2u);
  const auto* over = find(saved, 0, key({kOverflowLabel}));
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over->value, 2);

  MetricStore after({limited}, {"in"}, {"p"}, 1);
  after.import_state(saved);
  {
    MetricShard& s = after.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1);  // Still admitted.
    s.counter_add(0, s.series(0, key({"d"})), 1);  // The one place is taken: overflow.
  }
  const Snapshot snap = after.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 2u);
  EXPECT_EQ(snap.metrics[0].series[0].labels,
            (std::vector<std::string>{std::string(kOverflowLabel)}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 3);
  EXPECT_EQ(snap.metrics[0].series[1].labels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(snap.metrics[0].series[1].value, 3);
  EXPECT_EQ(snap.overflow, (std::vector<uint64_t>{3}));
}

// A metric without labels has one label set, whose key is empty: so is the overflow key of a
// metric without labels. The restore must take the saved series as that label set, not as the
// overflow series, or the next record creates a second series with the same (empty) key.
TEST(MetricStoreStateTest, ALabelLessSeriesWithALimitRestoresAsItself) {
  MetricSpec plain = counter("lines_total", {});
  plain.max_series = 10;
  MetricStore before({plain}, {"in"}, {"p"}, 1);
  {
    MetricShard& s = before.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({})), 2);
  }
  MetricStore after({plain}, {"in"}, {"p"}, 1);
  after.import_state(before.export_state());
  {
    MetricShard& s = after.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({})), 1);
  }
  const Snapshot snap = after.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  EXPECT_EQ(snap.metrics[0].series[0].value, 3);
  EXPECT_EQ(snap.overflow, (std::vector<uint64_t>{0}));
}

TEST(MetricStoreStateTest, ImportAddsToWhatTheStoreAlreadyHolds) {
  MetricStore store({counter("c", {})}, {"in"}, {"p"}, 1);
  {
    MetricShard& s = store.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({})), 2);
    s.count_source(0, 1, 1);
  }
  const StoreState st = store.export_state();
  store.import_state(st);
  const Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  EXPECT_EQ(snap.metrics[0].series[0].value, 4);
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{2}));
}

// Hot reload (MetricStore::reconfigure): unchanged metrics keep every series and value, a
// metric whose identity changed and a new one start empty, removed ones go; per-source and
// per-pipeline counters follow their names; each metric keeps its creation time, new ones get
// the reload's; a snapshot taken before stays valid.
TEST(MetricStoreStateTest, ReconfigureKeepsUnchangedMetricsByIdentity) {
  MetricStore store(
      {counter("hits_total", {"code"}), histogram("lat", {0.1, 1}), counter("gone_total", {})},
      {"a", "b"}, {"p", "q"}, 2);
  store.set_created_unix_ms(1000);
  {
    MetricShard& s = store.shard(1);
    std::lock_guard lock(s.mutex());
    s.counter_add(0, s.series(0, key({"200"})), 7);
    s.histogram_observe(1, s.series(1, key({"/"})), 0.5);
    s.counter_add(2, s.series(2, key({})), 3);
    s.count_source(0, 10, 100);
    s.count_source(1, 20, 200);
    s.count_dropped(1, DropReason::kEmpty, 4);
  }
  const Snapshot before = store.snapshot();

  // New order; lat's buckets changed; gone_total removed; fresh_total added; source "a"
  // removed, "c" added; pipeline "q" kept, "r" added; three shards now.
  MetricStore next(
      {counter("fresh_total", {}), histogram("lat", {0.5}), counter("hits_total", {"code"})},
      {"c", "b"}, {"r", "q"}, 3);
  const int64_t reload_time = next.created_unix_ms();
  store.reconfigure(std::move(next));

  EXPECT_EQ(store.shard_count(), 3u);
  const Snapshot after = store.snapshot();
  ASSERT_EQ(after.metrics.size(), 3u);
  EXPECT_EQ(after.metrics[0].spec->name, "fresh_total");
  EXPECT_TRUE(after.metrics[0].series.empty());
  EXPECT_EQ(after.metrics[0].created_unix_ms, reload_time);
  EXPECT_TRUE(after.metrics[1].series.empty());  // Other buckets: another metric.
  EXPECT_EQ(after.metrics[1].created_unix_ms, reload_time);
  ASSERT_EQ(after.metrics[2].series.size(), 1u);
  EXPECT_EQ(after.metrics[2].series[0].labels, (std::vector<std::string>{"200"}));
  EXPECT_EQ(after.metrics[2].series[0].value, 7);
  EXPECT_EQ(after.metrics[2].created_unix_ms, 1000);
  EXPECT_EQ(after.source_names, (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(after.source_records, (std::vector<uint64_t>{0, 20}));
  EXPECT_EQ(after.source_bytes, (std::vector<uint64_t>{0, 200}));
  EXPECT_EQ(after.dropped[kDropReasonCount + static_cast<size_t>(DropReason::kEmpty)], 4u);
  EXPECT_EQ(after.dropped[static_cast<size_t>(DropReason::kEmpty)], 0u);

  // Counting goes on in the new layout, in any shard.
  {
    MetricShard& s = store.shard(2);
    std::lock_guard lock(s.mutex());
    s.counter_add(2, s.series(2, key({"200"})), 1);
    s.histogram_observe(1, s.series(1, key({"/"})), 0.2);
  }
  const Snapshot later = store.snapshot();
  EXPECT_EQ(later.metrics[2].series.at(0).value, 8);
  EXPECT_EQ(later.metrics[1].series.at(0).buckets, (std::vector<uint64_t>{1, 0}));
  // The snapshot from before still describes the old metrics.
  ASSERT_EQ(before.metrics.size(), 3u);
  EXPECT_EQ(before.metrics[2].spec->name, "gone_total");
  EXPECT_EQ(before.metrics[2].series.at(0).value, 3);
}

// With native buckets, the shards of the new layout record into the store's own options.
TEST(MetricStoreStateTest, ReconfigureKeepsNativeBuckets) {
  NativeHistogramOptions native;
  native.enabled = true;
  MetricStore store({histogram("lat", {1})}, {"a"}, {"p"}, 1, native);
  {
    MetricShard& s = store.shard(0);
    std::lock_guard lock(s.mutex());
    s.histogram_observe(0, s.series(0, key({"/"})), 0.5);
  }
  store.reconfigure(MetricStore({histogram("lat", {1})}, {"a"}, {"p"}, 2, native));
  {
    MetricShard& s = store.shard(1);
    std::lock_guard lock(s.mutex());
    s.histogram_observe(0, s.series(0, key({"/"})), 0.5);
  }
  const Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 1u);
  ASSERT_TRUE(snap.metrics[0].series[0].native.has_value());
  EXPECT_EQ(snap.metrics[0].series[0].buckets, (std::vector<uint64_t>{2, 0}));
  uint64_t native_count = snap.metrics[0].series[0].native->zero_count;
  for (const auto& side : snap.metrics[0].series[0].native->counts) {
    for (uint64_t c : side) native_count += c;
  }
  EXPECT_EQ(native_count, 2u);
}

// Readers (a scrape on another thread) run while reloads reconfigure the store: each snapshot
// is of one layout, whole (run under TSan by scripts/sanitize.sh).
TEST(MetricStoreStateTest, ReadersDuringReconfigureSeeOneLayoutOrTheOther) {
  MetricStore store({counter("a_total", {}), counter("b_total", {})}, {"in"}, {"p"}, 2);
  {
    MetricShard& s = store.shard(0);
    std::lock_guard lock(s.mutex());
    s.counter_add(0, s.series(0, key({})), 5);
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const Snapshot snap = store.read();
        // a_total is in every layout, with its value; the layouts have 2 or 3 metrics.
        const bool ok =
            (snap.metrics.size() == 2 || snap.metrics.size() == 3) &&
            snap.metrics[0].spec->name == "a_total" && snap.metrics[0].series.size() == 1 &&
            snap.metrics[0].series[0].value == 5 && snap.specs->size() == snap.metrics.size();
        if (!ok) ++bad;
        ++reads;
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    std::vector<MetricSpec> specs = {counter("a_total", {}), counter("b_total", {})};
    if (round % 2 == 0) specs.push_back(counter("c_total", {}));
    store.reconfigure(MetricStore(std::move(specs), {"in"}, {"p"}, 1 + round % 3));
  }
  while (reads.load() < 50) std::this_thread::yield();
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace logtally::core

namespace logtally::core {
namespace {

// A capture is the cut at the moment it is taken: the merge after it sees neither the series
// nor the values that came later, and reads the captured keys even after new series filled
// further arena chunks and an expiry rebuilt the shards (the chunks are shared, not copied).
TEST(MetricStoreCaptureTest, TheMergeOfACaptureIsTheCutItWasTakenAt) {
  MetricSpec c = counter("c_total", {"k"});
  c.expire_after_ms = 1;
  MetricStore store({c}, {"in"}, {"p"}, 2);
  for (size_t si = 0; si < 2; ++si) {
    MetricShard& s = store.shard(si);
    s.set_now(0);
    s.counter_add(0, s.series(0, key({"a"})), 1);
    s.counter_add(0, s.series(0, key({si == 0 ? "only-0" : "only-1"})), 2);
    s.count_source(0, 10, 100);
  }
  StoreCapture capture;
  store.capture(capture);
  // After the cut: more of the same, 10,000 new series (new arena chunks), then an expiry that
  // removes every series (the shards' arenas are replaced).
  MetricShard& s0 = store.shard(0);
  s0.counter_add(0, s0.series(0, key({"a"})), 100);
  for (int i = 0; i < 10000; ++i) s0.counter_add(0, s0.series(0, key({std::to_string(i)})), 1);
  s0.count_source(0, 5, 5);
  EXPECT_EQ(store.expire(1000), 10003u);
  EXPECT_TRUE(store.export_state().metrics[0].empty());

  StoreState st = store.merge_capture(capture);
  sort_series(st);
  ASSERT_EQ(st.metrics[0].size(), 3u);
  EXPECT_EQ(st.metrics[0][0].key, key({"a"}));
  EXPECT_EQ(st.metrics[0][0].value, 2);
  EXPECT_EQ(st.metrics[0][1].key, key({"only-0"}));
  EXPECT_EQ(st.metrics[0][1].value, 2);
  EXPECT_EQ(st.metrics[0][2].key, key({"only-1"}));
  EXPECT_EQ(st.metrics[0][2].value, 2);
  EXPECT_EQ(st.source_records, (std::vector<uint64_t>{20}));
  EXPECT_EQ(st.source_bytes, (std::vector<uint64_t>{200}));
}

// The order of Snapshot's series (vectors of label values compared as strings) and of
// ReadView::order: value by value, bytes unsigned, shorter first on a common prefix; not the
// order of the encoded bytes (whose length prefixes would put "9" before "10").
TEST(MetricStoreCaptureTest, KeyLessIsTheOrderOfTheLabelValues) {
  const std::vector<std::vector<std::string>> tuples = {
      {"", ""},      {"", "a"},  {"10", ""},    {"9", ""},   {"a", "b"},
      {"a\xff", ""}, {"ab", ""}, {"a", "b\0c"}, {"a", "bc"}, {std::string("a\0", 2), ""}};
  for (const auto& x : tuples) {
    for (const auto& y : tuples) {
      LabelKey kx;
      LabelKey ky;
      for (const auto& v : x) kx.add(v);
      for (const auto& v : y) ky.add(v);
      EXPECT_EQ(key_less(kx.view(), ky.view()), x < y)
          << x[0] << "|" << x[1] << " vs " << y[0] << "|" << y[1];
    }
  }
}

// Readers of a live store get the series sorted, whatever order the shards hold them in.
TEST(MetricStoreCaptureTest, ALiveReadViewListsSeriesInLabelOrder) {
  MetricStore store({counter("c_total", {"k"})}, {"in"}, {"p"}, 2);
  const std::vector<std::string> values = {"b", "10", "a", "9", ""};
  for (size_t i = 0; i < values.size(); ++i) {
    MetricShard& s = store.shard(i % 2);
    s.counter_add(0, s.series(0, key({values[i]})), static_cast<double>(i));
  }
  const std::shared_ptr<const ReadView> view = store.read_view();
  std::vector<std::string> listed;
  for (const uint32_t at : view->order[0]) {
    listed.push_back(LabelKey::decode(view->state.metrics[0][at].key).at(0));
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"", "10", "9", "a", "b"}));
}

}  // namespace
}  // namespace logtally::core
