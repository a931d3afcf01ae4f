#include "checkpoint/checkpoint_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace logtally::checkpoint {
namespace {

namespace fs = std::filesystem;

std::vector<core::MetricSpec> specs() {
  core::MetricSpec c{"lines_total",         "",      core::MetricType::kCounter,
                     core::GaugeMode::kSet, {"pod"}, {}};
  core::MetricSpec g{"depth", "", core::MetricType::kGauge, core::GaugeMode::kMax, {}, {}};
  core::MetricSpec h{"latency", "",      core::MetricType::kHistogram, core::GaugeMode::kSet,
                     {"route"}, {0.1, 1}};
  return {c, g, h};
}

std::string key(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (auto v : values) k.add(v);
  return std::string(k.view());
}

// Puts known values into the first two shards (both into shard 0 when there is one).
void fill(core::MetricStore& store) {
  for (size_t w = 0; w < 2; ++w) {
    core::MetricShard& s = store.shard(w % store.shard_count());
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 3);
    s.counter_add(0, s.series(0, key({w == 0 ? "b" : "c"})), 1);
    s.gauge_update(1, s.series(1, key({})), w == 0 ? 7 : 5, 1);
    s.histogram_observe(2, s.series(2, key({"/"})), 0.5);
    s.histogram_observe(2, s.series(2, key({"/"})), 2);
    s.count_source(0, 10, 100);
    s.count_dropped(0, core::DropReason::kInvalidJson, 2);
  }
}

TEST(CheckpointFileTest, StoreRoundTripsThroughTheFile) {
  core::MetricStore store(specs(), {"logs"}, {"p"}, 2);
  fill(store);
  CheckpointData d;
  d.id = 7;
  d.fingerprint = config_fingerprint(store.specs());
  d.store = store.export_state();
  d.source_names = {"logs"};
  d.pipeline_names = {"p"};
  d.source_states = {{"logs", std::string("pos\0ition", 9)}};
  const fs::path dir = fs::temp_directory_path() / ("lt-ckpt-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  uint64_t bytes = 0;
  ASSERT_TRUE(write_checkpoint_file(dir, d, &bytes).ok());
  EXPECT_EQ(fs::file_size(dir / kFileName), bytes);
  EXPECT_FALSE(fs::exists(dir / "checkpoint.bin.tmp"));

  ReadResult r = read_checkpoint_file(dir, d.fingerprint);
  ASSERT_EQ(r.error, CheckpointError::kNone) << r.message;
  EXPECT_EQ(r.data.id, 7u);
  ASSERT_EQ(r.data.source_states.size(), 1u);
  EXPECT_EQ(r.data.source_states[0].second, std::string("pos\0ition", 9));

  // Restored into a fresh 3-shard store, then one more update: values continue.
  core::MetricStore again(specs(), {"logs"}, {"p"}, 3);
  again.import_state(r.data.store);
  {
    core::MetricShard& s = again.shard(2);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1);
    s.gauge_update(1, s.series(1, key({})), 6, 5);
  }
  const core::Snapshot snap = again.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 3u);
  EXPECT_EQ(snap.metrics[0].series[0].labels[0], "a");
  EXPECT_EQ(snap.metrics[0].series[0].value, 7);  // 3 + 3 + 1
  EXPECT_EQ(snap.metrics[0].series[1].value, 1);
  EXPECT_EQ(snap.metrics[0].series[2].value, 1);
  EXPECT_EQ(snap.metrics[1].series.at(0).value, 7);  // max gauge keeps the saved 7
  const auto& hist = snap.metrics[2].series.at(0);
  EXPECT_EQ(hist.value, 5);  // 2 * (0.5 + 2)
  EXPECT_EQ(hist.buckets, (std::vector<uint64_t>{0, 2, 2}));
  EXPECT_EQ(snap.source_records[0], 20u);
  EXPECT_EQ(snap.source_bytes[0], 200u);
  EXPECT_EQ(snap.dropped[static_cast<size_t>(core::DropReason::kInvalidJson)], 4u);
  fs::remove_all(dir);
}

TEST(CheckpointFileTest, DamageVersionAndConfigChangesAreDetected) {
  core::MetricStore store(specs(), {"logs"}, {"p"}, 1);
  fill(store);
  CheckpointData d;
  d.fingerprint = config_fingerprint(store.specs());
  d.store = store.export_state();
  const std::string good = encode_checkpoint(d);
  EXPECT_EQ(decode_checkpoint(good, d.fingerprint).error, CheckpointError::kNone);

  for (size_t at : {size_t{0}, size_t{20}, good.size() / 2, good.size() - 1}) {
    std::string bad = good;
    bad[at] ^= 0x10;
    EXPECT_EQ(decode_checkpoint(bad, d.fingerprint).error, CheckpointError::kCorrupt) << at;
  }
  EXPECT_EQ(decode_checkpoint(good.substr(0, good.size() - 9), d.fingerprint).error,
            CheckpointError::kCorrupt);
  EXPECT_EQ(decode_checkpoint("", d.fingerprint).error, CheckpointError::kCorrupt);

  auto other = specs();
  other[2].buckets = {0.1, 2};
  EXPECT_NE(config_fingerprint(other), d.fingerprint);
  EXPECT_EQ(decode_checkpoint(good, config_fingerprint(other)).error,
            CheckpointError::kIncompatible);
  other = specs();
  other[0].label_names = {"namespace"};
  EXPECT_NE(config_fingerprint(other), d.fingerprint);
}

// The fingerprint is stored in every checkpoint file: its value for a given config must never
// change, or every saved checkpoint would be refused as made for another config.
TEST(CheckpointFileTest, ConfigFingerprintValuesAreStable) {
  std::vector<core::MetricSpec> specs(2);
  specs[0].name = "http_requests_total";
  specs[0].type = core::MetricType::kCounter;
  specs[0].label_names = {"method", "status"};
  specs[1].name = "latency_seconds";
  specs[1].type = core::MetricType::kHistogram;
  specs[1].buckets = {0.1, 1, 10};
  EXPECT_EQ(config_fingerprint(specs), 0x528de916643e808fULL);
  EXPECT_EQ(config_fingerprint({}), 0xa8c7f832281a39c5ULL);
}

// The cardinality limit's state survives a restart: the overflow series stays the overflow
// series (it does not take one of the max_series places), and logtally_series_overflow_total and
// logtally_records_filtered_total continue from their saved values.
TEST(CheckpointFileTest, OverflowAndFilteredCountsContinue) {
  core::MetricSpec limited{"reqs_total",          "",       core::MetricType::kCounter,
                           core::GaugeMode::kSet, {"user"}, {}};
  limited.max_series = 2;
  core::MetricStore store({limited}, {"logs"}, {"p"}, 2);
  for (size_t w = 0; w < 2; ++w) {
    core::MetricShard& s = store.shard(w);
    std::lock_guard<std::mutex> lock(s.mutex());
    // Shard 0 admits a and b; every other user of either shard goes to overflow.
    for (const char* u : {"a", "b", "c", "d"}) s.counter_add(0, s.series(0, key({u})), 1);
    s.count_filtered(0, 5);
  }
  CheckpointData d;
  d.fingerprint = config_fingerprint(store.specs());
  d.store = store.export_state();
  d.source_names = {"logs"};
  d.pipeline_names = {"p"};
  ReadResult r = decode_checkpoint(encode_checkpoint(d), d.fingerprint);
  ASSERT_EQ(r.error, CheckpointError::kNone) << r.message;
  EXPECT_EQ(r.data.store.overflow, (std::vector<uint64_t>{4}));
  EXPECT_EQ(r.data.store.filtered, (std::vector<uint64_t>{10}));

  core::MetricStore again({limited}, {"logs"}, {"p"}, 1);
  again.import_state(r.data.store);
  {
    core::MetricShard& s = again.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1);  // admitted before: its own series
    s.counter_add(0, s.series(0, key({"e"})), 1);  // new: the limit is still full
    s.count_filtered(0, 1);
  }
  const core::Snapshot snap = again.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 3u);
  EXPECT_EQ(snap.metrics[0].series[0].labels,
            (std::vector<std::string>{std::string(core::kOverflowLabel)}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 5);
  EXPECT_EQ(snap.metrics[0].series[1].labels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(snap.metrics[0].series[1].value, 3);
  EXPECT_EQ(snap.metrics[0].series[2].labels, (std::vector<std::string>{"b"}));
  EXPECT_EQ(snap.metrics[0].series[2].value, 2);
  EXPECT_EQ(snap.overflow, (std::vector<uint64_t>{5}));
  EXPECT_EQ(snap.filtered, (std::vector<uint64_t>{11}));
}

}  // namespace
}  // namespace logtally::checkpoint
