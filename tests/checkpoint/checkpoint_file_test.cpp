#include "checkpoint/checkpoint_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "checkpoint/checkpointer.h"

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

TEST(CheckpointerTest, CorruptFileIsRefusedUnlessResetState) {
  const fs::path dir = fs::temp_directory_path() / ("lt-ckpt2-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / kFileName) << "garbage";
  core::MetricStore store(specs(), {"logs"}, {"p"}, 1);
  core::BatchChannel channel(4, 64);
  Checkpointer ck({dir.string(), std::chrono::milliseconds(1000)}, channel, store, {});
  core::Status st = ck.restore(false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("--reset-state"), std::string::npos);
  EXPECT_NE(st.error().message.find("bad magic"), std::string::npos);
  EXPECT_TRUE(ck.restore(true).ok());
  EXPECT_FALSE(fs::exists(dir / kFileName));  // moved aside
  // A checkpoint written now is read back.
  fill(store);
  ASSERT_TRUE(ck.checkpoint().ok());
  EXPECT_EQ(ck.last_id(), 1u);
  core::MetricStore again(specs(), {"logs"}, {"p"}, 1);
  Checkpointer ck2({dir.string(), std::chrono::milliseconds(1000)}, channel, again, {});
  ASSERT_TRUE(ck2.restore(false).ok());
  EXPECT_EQ(ck2.last_id(), 1u);
  EXPECT_EQ(again.snapshot().metrics[0].series.at(0).value, 6);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace logtally::checkpoint
