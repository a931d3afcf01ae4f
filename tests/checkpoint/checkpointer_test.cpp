// Checkpointer (checkpoint/checkpointer.h): restore into a fresh store and sources, the barrier,
// refusal of a bad file and --reset-state, and counts continuing after a restore. The file
// format itself is tested in checkpoint_file_test.cpp.
#include "checkpoint/checkpointer.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "checkpoint/checkpoint_file.h"
#include "core/worker_pool.h"

namespace logtally::checkpoint {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Pod names long enough that the exported keys do not fit in a std::string's inline buffer
// (see the report on short keys: a StoreState moved with an inline key arena loses its keys).
constexpr std::string_view kPodA = "web-7f9c4d-abcde";
constexpr std::string_view kPodB = "web-7f9c4d-fghij";

std::string key(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (auto v : values) k.add(v);
  return std::string(k.view());
}

std::vector<core::MetricSpec> specs() {
  core::MetricSpec lines;
  lines.name = "lines_total";
  lines.label_names = {"pod"};
  core::MetricSpec depth;
  depth.name = "depth";
  depth.type = core::MetricType::kGauge;
  depth.mode = core::GaugeMode::kSet;
  return {lines, depth};
}

// A checkpointable source whose state is a decimal position. run() is not used here: tests
// drive the channel themselves and set the position through the on_queued hook.
class FakeSource final : public ingest::Source {
 public:
  explicit FakeSource(std::string name) : name_(std::move(name)) {}
  void run(core::BatchChannel&, const std::atomic<bool>&) override {}
  std::string describe() const override { return "fake " + name_; }
  bool checkpointable() const override { return true; }
  std::string checkpoint_state() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::to_string(position_);
  }
  core::Status restore_state(std::string_view state) override {
    if (refuse_) return core::make_error(core::ErrorCode::kConfig, "state refused");
    restored_ = std::string(state);
    return core::Ok{};
  }
  void checkpoint_durable(uint64_t id, std::string_view state) override {
    std::lock_guard<std::mutex> lock(mu_);
    durable_.emplace_back(id, std::string(state));
  }
  // The on_queued hook: the position covers every byte queued so far.
  static void on_queued(void* ctx, const core::Batch& b) {
    auto* self = static_cast<FakeSource*>(ctx);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->position_ += b.bytes_read;
  }
  void set_position(uint64_t p) {
    std::lock_guard<std::mutex> lock(mu_);
    position_ = p;
  }
  std::vector<std::pair<uint64_t, std::string>> durable() {
    std::lock_guard<std::mutex> lock(mu_);
    return durable_;
  }

  std::string restored_;
  bool refuse_ = false;

 private:
  std::string name_;
  std::mutex mu_;
  uint64_t position_ = 0;
  std::vector<std::pair<uint64_t, std::string>> durable_;
};

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lt-checkpointer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  CheckpointConfig config() const { return {dir_.string(), milliseconds(60000)}; }
  fs::path dir_;
};

// Values for the first store: lines_total{pod=A} 3, {pod=B} 1, depth 9; source counts and
// drops on both sources and pipelines (the store needs two of each).
void fill(core::MetricStore& store) {
  core::MetricShard& s = store.shard(store.shard_count() - 1);
  std::lock_guard<std::mutex> lock(s.mutex());
  s.counter_add(0, s.series(0, key({kPodA})), 3);
  s.counter_add(0, s.series(0, key({kPodB})), 1);
  s.gauge_update(1, s.series(1, key({})), 9, 1);
  s.count_source(0, 10, 100);  // "files"
  s.count_source(1, 20, 200);  // "kafka"
  s.count_dropped(0, core::DropReason::kInvalidJson, 2);
  s.count_dropped(1, core::DropReason::kEmpty, 5);
}

TEST_F(CheckpointerTest, NoFileMeansAFreshStart) {
  core::MetricStore store(specs(), {"files"}, {"p"}, 1);
  core::BatchChannel channel(2, 64);
  FakeSource src("files");
  Checkpointer ck(config(), channel, store, {&src});
  ASSERT_TRUE(ck.restore(false).ok());
  EXPECT_EQ(ck.last_id(), 0u);
  EXPECT_EQ(src.restored_, "");
  EXPECT_TRUE(store.snapshot().metrics[0].series.empty());
}

// logtally_checkpoint_last_success_timestamp_seconds (the dashboard's checkpoint age): 0 before
// the first checkpoint, then the Unix time the file became durable; a failed one leaves it.
TEST_F(CheckpointerTest, LastSuccessTimestamp) {
  core::MetricStore store(specs(), {"files"}, {"p"}, 1);
  core::BatchChannel channel(2, 64);
  FakeSource src("files");
  Checkpointer ck(config(), channel, store, {&src});
  ASSERT_TRUE(ck.restore(false).ok());
  core::SelfMetrics::Value& ts =
      store.self_metrics().gauge("logtally_checkpoint_last_success_timestamp_seconds", "");
  EXPECT_EQ(ts.get(), 0);
  const auto unix_now = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const double before = unix_now();
  ASSERT_TRUE(ck.checkpoint().ok());
  const double after = unix_now();
  EXPECT_GE(ts.get(), before - 0.001);
  EXPECT_LE(ts.get(), after + 0.001);
  const double first = ts.get();
  // A directory that cannot be written: the checkpoint fails and the timestamp stays.
  fs::remove_all(dir_);
  { std::ofstream(dir_.string()) << "a file where the directory should be"; }
  EXPECT_FALSE(ck.checkpoint().ok());
  EXPECT_EQ(ts.get(), first);
  EXPECT_EQ(store.self_metrics().counter("logtally_checkpoint_failures_total", "").get(), 1);
  fs::remove(dir_);
}

TEST_F(CheckpointerTest, RestoresSeriesCountsAndSourceStatesByName) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
    fill(store);
    FakeSource files("files");
    FakeSource kafka("kafka");
    files.set_position(1234);
    kafka.set_position(77);
    Checkpointer ck(config(), channel, store, {&files, &kafka});
    ASSERT_TRUE(ck.checkpoint().ok());
    ASSERT_TRUE(ck.checkpoint().ok());
    EXPECT_EQ(ck.last_id(), 2u);
    EXPECT_EQ(ck.last_bytes(), fs::file_size(dir_ / kFileName));
    EXPECT_EQ(files.durable(),
              (std::vector<std::pair<uint64_t, std::string>>{{1, "1234"}, {2, "1234"}}));
  }
  // The new config lists the sources and pipelines in another order and adds one of each.
  core::MetricStore store(specs(), {"new", "kafka", "files"}, {"q", "fresh", "p"}, 3);
  FakeSource fresh("new");
  FakeSource kafka("kafka");
  FakeSource files("files");
  Checkpointer ck(config(), channel, store, {&fresh, &kafka, &files});
  ASSERT_TRUE(ck.restore(false).ok());
  EXPECT_EQ(ck.last_id(), 2u);
  EXPECT_EQ(files.restored_, "1234");
  EXPECT_EQ(kafka.restored_, "77");
  EXPECT_EQ(fresh.restored_, "");

  const core::Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 2u);
  EXPECT_EQ(snap.metrics[0].series[0].labels, (std::vector<std::string>{std::string(kPodA)}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 3);
  EXPECT_EQ(snap.metrics[0].series[1].labels, (std::vector<std::string>{std::string(kPodB)}));
  EXPECT_EQ(snap.metrics[0].series[1].value, 1);
  ASSERT_EQ(snap.metrics[1].series.size(), 1u);
  EXPECT_EQ(snap.metrics[1].series[0].value, 9);
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{0, 20, 10}));
  EXPECT_EQ(snap.source_bytes, (std::vector<uint64_t>{0, 200, 100}));
  std::vector<uint64_t> dropped(3 * core::kDropReasonCount, 0);
  dropped[0 * core::kDropReasonCount + static_cast<size_t>(core::DropReason::kEmpty)] = 5;
  dropped[2 * core::kDropReasonCount + static_cast<size_t>(core::DropReason::kInvalidJson)] = 2;
  EXPECT_EQ(snap.dropped, dropped);

  // The next checkpoint continues the numbering.
  ASSERT_TRUE(ck.checkpoint().ok());
  EXPECT_EQ(ck.last_id(), 3u);
}

double counter_of(const core::Snapshot& snap, std::string_view name) {
  for (const auto& f : snap.self) {
    if (f.name == name && !f.series.empty()) return f.series[0].value;
  }
  return -1;
}

// What readers see (docs/checkpoints.md): before any restore, read() is live; after restore()
// it is exactly the restored state, and afterwards exactly the last durable checkpoint's state,
// whatever was counted since; self counters as that checkpoint saved them.
TEST_F(CheckpointerTest, ReadersSeeOnlyTheLastDurableCheckpoint) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
    fill(store);
    EXPECT_EQ(store.read().metrics[0].series.size(), 2u);  // Live: no checkpointer yet.
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.checkpoint().ok());
  }
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
  core::SelfMetrics::Value& sends = store.self_metrics().counter("sends_total", "Sends.");
  sends.add(5);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  auto count_a = [&] {
    core::MetricShard& s = store.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({kPodA})), 10);
    s.count_source(0, 7, 70);
  };
  count_a();
  sends.add(1);
  core::Snapshot seen = store.read();  // The restored state: 3, not 13.
  EXPECT_EQ(seen.metrics[0].series.at(0).value, 3);
  EXPECT_EQ(seen.source_records, (std::vector<uint64_t>{10, 20}));
  EXPECT_EQ(counter_of(seen, "sends_total"), 5);
  EXPECT_EQ(counter_of(seen, "logtally_checkpoints_total"), 1);
  EXPECT_EQ(store.snapshot().metrics[0].series.at(0).value, 13);  // The live state moved on.

  ASSERT_TRUE(ck.checkpoint().ok());
  count_a();
  seen = store.read();
  EXPECT_EQ(seen.metrics[0].series.at(0).value, 13);
  EXPECT_EQ(seen.source_records, (std::vector<uint64_t>{17, 20}));
  EXPECT_EQ(counter_of(seen, "sends_total"), 6);
  EXPECT_EQ(counter_of(seen, "logtally_checkpoints_total"), 2);  // It counts itself.
  EXPECT_NE(seen.created_unix_ms, 0);
}

// `serve: new_checkpoint`: a read makes a checkpoint first and sees exactly it.
TEST_F(CheckpointerTest, ServeNewCheckpointMakesOnePerRead) {
  core::BatchChannel channel(2, 64);
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  store.set_read_refresh([&ck] { ck.checkpoint_for_read(); });
  fill(store);
  const core::Snapshot seen = store.read();
  EXPECT_EQ(ck.last_id(), 1u);
  ASSERT_EQ(seen.metrics[0].series.size(), 2u);
  EXPECT_EQ(seen.metrics[0].series[0].value, 3);
  EXPECT_EQ(store.read().metrics[0].series[0].value, 3);
  EXPECT_EQ(ck.last_id(), 2u);
}

// The lineage's start survives restarts (OpenMetrics `_created`).
TEST_F(CheckpointerTest, CreationTimeSurvivesARestart) {
  core::BatchChannel channel(2, 64);
  int64_t created = 0;
  {
    core::MetricStore store(specs(), {"files"}, {"p"}, 1);
    store.set_created_unix_ms(1700000000123);
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.restore(false).ok());
    ASSERT_TRUE(ck.checkpoint().ok());
    created = store.read().created_unix_ms;
  }
  EXPECT_EQ(created, 1700000000123);
  core::MetricStore store(specs(), {"files"}, {"p"}, 1);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  EXPECT_EQ(store.read().created_unix_ms, 1700000000123);
}

TEST_F(CheckpointerTest, CountsContinueAfterARestore) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
    fill(store);
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.checkpoint().ok());
  }
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 2);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  {
    core::MetricShard& s = store.shard(1);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({kPodA})), 1);
    s.count_source(0, 1, 10);
    s.count_dropped(0, core::DropReason::kInvalidJson, 1);
  }
  const core::Snapshot snap = store.snapshot();
  EXPECT_EQ(snap.metrics[0].series.at(0).value, 4);
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{11, 20}));
  EXPECT_EQ(snap.source_bytes, (std::vector<uint64_t>{110, 200}));
  EXPECT_EQ(snap.dropped[static_cast<size_t>(core::DropReason::kInvalidJson)], 3u);
  EXPECT_EQ(snap.dropped[core::kDropReasonCount + static_cast<size_t>(core::DropReason::kEmpty)],
            5u);
}

// Through restore() (not import_state()): logtally_records_filtered_total and
// logtally_series_overflow_total continue (restore() once dropped them), native buckets come
// back exactly, and every SelfMetrics counter continues: one registered before the restore at
// once, one registered after it (a sink built later) when it registers. Gauges do not.
TEST_F(CheckpointerTest, FilteredOverflowNativeAndSelfCountersContinue) {
  core::MetricSpec lines;
  lines.name = "lines_total";
  lines.label_names = {"pod"};
  lines.max_series = 1;
  lines.exemplar_labels = {"trace_id"};
  core::MetricSpec lat;
  lat.name = "lat";
  lat.type = core::MetricType::kHistogram;
  lat.buckets = {1};
  core::NativeHistogramOptions native;
  native.enabled = true;
  native.schema = 0;
  const core::SelfMetrics::Labels sink{{"sink", "tf"}, {"result", "ok"}};
  core::BatchChannel channel(2, 64);
  std::optional<core::NativeSample> before;
  {
    core::MetricStore store({lines, lat}, {"files"}, {"p"}, 2, native);
    for (size_t sh = 0; sh < 2; ++sh) {
      core::MetricShard& s = store.shard(sh);
      std::lock_guard<std::mutex> lock(s.mutex());
      s.counter_add(0, s.series(0, key({sh == 0 ? kPodA : kPodB})), 1);  // B: overflow
      s.count_filtered(0, 5);
      s.count_exemplar_dropped(0, core::ExemplarDrop::kTooLong);
      if (sh == 1) s.count_exemplar_dropped(0, core::ExemplarDrop::kInvalidUtf8);
      const uint32_t h = s.series(1, key({}));
      for (double v : sh == 0 ? std::vector<double>{0.5, 2, 2, -3, 0} : std::vector<double>{4})
        s.histogram_observe(1, h, v);
    }
    store.self_metrics().counter("logtally_sink_sends_total", "S.", sink).add(7);
    store.self_metrics().gauge("logtally_checkpoint_bytes", "B.").set(5);
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.checkpoint().ok());
    ASSERT_TRUE(ck.checkpoint().ok());
    before = store.snapshot().metrics[1].series.at(0).native;
  }
  core::MetricStore store({lines, lat}, {"files"}, {"p"}, 2, native);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  core::Snapshot snap = store.snapshot();
  EXPECT_EQ(snap.filtered, (std::vector<uint64_t>{10}));
  EXPECT_EQ(snap.overflow, (std::vector<uint64_t>{1, 0}));
  // logtally_exemplars_dropped_total (format 5): [metric * reasons + reason].
  std::vector<uint64_t> exemplar_drops(2 * core::kExemplarDropCount, 0);
  exemplar_drops[static_cast<size_t>(core::ExemplarDrop::kTooLong)] = 2;
  exemplar_drops[static_cast<size_t>(core::ExemplarDrop::kInvalidUtf8)] = 1;
  EXPECT_EQ(snap.exemplars_dropped, exemplar_drops);
  ASSERT_EQ(snap.metrics[0].series.size(), 2u);  // pod A and the overflow series
  ASSERT_TRUE(before.has_value());
  const std::optional<core::NativeSample>& after = snap.metrics[1].series.at(0).native;
  ASSERT_TRUE(after.has_value());
  // Schema 0: 0.5 -> -1, 2 -> 1, 4 -> 2; -3 -> 2 on the negative side; 0 -> zero bucket.
  EXPECT_EQ(after->schema, 0);
  EXPECT_EQ(after->zero_count, 1u);
  EXPECT_EQ(after->offset[0], -1);
  EXPECT_EQ(after->counts[0], (std::vector<uint64_t>{1, 0, 2, 1}));
  EXPECT_EQ(after->offset[1], 2);
  EXPECT_EQ(after->counts[1], (std::vector<uint64_t>{1}));
  EXPECT_EQ(after->counts[0], before->counts[0]);
  EXPECT_EQ(snap.metrics[1].series.at(0).buckets, (std::vector<uint64_t>{3, 3}));
  {
    core::MetricShard& s = store.shard(1);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.histogram_observe(1, s.series(1, key({})), 1);  // index 0
    s.count_filtered(0, 1);
  }
  snap = store.snapshot();
  EXPECT_EQ(snap.metrics[1].series.at(0).native->counts[0], (std::vector<uint64_t>{1, 1, 2, 1}));
  EXPECT_EQ(snap.filtered, (std::vector<uint64_t>{11}));

  core::SelfMetrics& self = store.self_metrics();
  EXPECT_EQ(self.counter("logtally_checkpoints_total", "").get(), 2);         // Registered before.
  EXPECT_EQ(self.gauge("logtally_checkpoint_bytes", "").get(), 0);            // A gauge: not saved.
  EXPECT_EQ(self.counter("logtally_sink_sends_total", "S.", sink).get(), 7);  // Registered now.
  ASSERT_TRUE(ck.checkpoint().ok());
  EXPECT_EQ(self.counter("logtally_checkpoints_total", "").get(), 3);
}

// Label values short enough that all keys fit in a std::string's inline buffer: the exported
// keys must still point at them after the state is moved (checkpoint() moves it into the data
// it writes). They came back empty once.
TEST_F(CheckpointerTest, ShortLabelValuesSurviveACheckpoint) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
    {
      core::MetricShard& s = store.shard(0);
      std::lock_guard<std::mutex> lock(s.mutex());
      s.counter_add(0, s.series(0, key({"a"})), 3);
      s.counter_add(0, s.series(0, key({"b"})), 1);
    }
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.checkpoint().ok());
    ASSERT_TRUE(ck.checkpoint().ok());  // The second moves into state the first left behind.
  }
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
  Checkpointer ck(config(), channel, store, {});
  ASSERT_TRUE(ck.restore(false).ok());
  {
    core::MetricShard& s = store.shard(0);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({"a"})), 1);
  }
  const core::Snapshot snap = store.snapshot();
  ASSERT_EQ(snap.metrics[0].series.size(), 2u);
  EXPECT_EQ(snap.metrics[0].series[0].labels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(snap.metrics[0].series[0].value, 4);
  EXPECT_EQ(snap.metrics[0].series[1].labels, (std::vector<std::string>{"b"}));
  EXPECT_EQ(snap.metrics[0].series[1].value, 1);
}

// Counts what a worker would: one line and its bytes per batch into the store.
class Counter final : public core::BatchHandler {
 public:
  explicit Counter(core::MetricStore& store) : store_(store) {}
  void handle(size_t worker, const core::Batch& b) override {
    core::MetricShard& s = store_.shard(worker);
    std::lock_guard<std::mutex> lock(s.mutex());
    s.counter_add(0, s.series(0, key({kPodA})), 1);
    s.count_source(0, 1, b.bytes_read);
  }

 private:
  core::MetricStore& store_;
};

// A checkpoint taken while a source pushes batches holds exactly the counts of the batches its
// saved position covers: never a batch counted but not covered, nor covered but not counted.
TEST_F(CheckpointerTest, TheBarrierCutsCountsAndPositionsAtTheSamePlace) {
  constexpr uint64_t kBatches = 2000;
  core::MetricStore store(specs(), {"files"}, {"p"}, 2);
  core::BatchChannel channel(4, 64);
  Counter counter(store);
  core::WorkerPool pool(channel, counter, 2);
  FakeSource src("files");
  Checkpointer ck(config(), channel, store, {&src});

  // The source pauses halfway until one checkpoint has been taken in the middle of the stream,
  // so the test cannot pass with every checkpoint taken before or after the pushes.
  std::mutex mu;
  std::condition_variable cv;
  bool mid_stream_checkpoint = false;
  bool source_done = false;
  bool source_gave_up = false;
  std::thread source([&] {
    for (uint64_t i = 1; i <= kBatches; ++i) {
      if (i == kBatches / 2) {
        std::unique_lock<std::mutex> lock(mu);
        if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return mid_stream_checkpoint; }))
          source_gave_up = true;
      }
      core::BatchPtr b = channel.acquire();
      if (!b) break;
      b->bytes_read = 3;  // Every batch is 3 bytes: the position is 3 * batches queued.
      channel.push(std::move(b), &FakeSource::on_queued, &src);
    }
    std::lock_guard<std::mutex> lock(mu);
    source_done = true;
  });

  int checked = 0;
  int mid_stream = 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (source_done) break;
    }
    ASSERT_TRUE(ck.checkpoint().ok());
    ReadResult r = read_checkpoint_file(dir_.string(), config_fingerprint(store.specs()));
    ASSERT_EQ(r.error, CheckpointError::kNone) << r.message;
    ASSERT_EQ(r.data.source_states.size(), 1u);
    const uint64_t position = std::stoull(r.data.source_states[0].second);
    const uint64_t lines = r.data.store.metrics[0].empty()
                               ? 0
                               : static_cast<uint64_t>(r.data.store.metrics[0][0].value);
    EXPECT_EQ(position, 3 * lines) << "checkpoint #" << r.data.id;
    EXPECT_EQ(r.data.store.source_bytes, (std::vector<uint64_t>{position}));
    EXPECT_EQ(r.data.store.source_records, (std::vector<uint64_t>{lines}));
    ++checked;
    if (lines > 0 && lines < kBatches) {
      ++mid_stream;
      std::lock_guard<std::mutex> lock(mu);
      mid_stream_checkpoint = true;
      cv.notify_all();
    }
  }
  source.join();
  channel.close();
  pool.join();
  EXPECT_FALSE(source_gave_up) << "no checkpoint was taken while the source was pushing";
  EXPECT_GT(mid_stream, 0);
  EXPECT_GE(checked, mid_stream);
  // And a last checkpoint after the end covers everything.
  ASSERT_TRUE(ck.checkpoint().ok());
  ReadResult r = read_checkpoint_file(dir_.string(), config_fingerprint(store.specs()));
  ASSERT_EQ(r.error, CheckpointError::kNone) << r.message;
  EXPECT_EQ(r.data.source_states.at(0).second, std::to_string(3 * kBatches));
  EXPECT_EQ(r.data.store.metrics[0].at(0).value, static_cast<double>(kBatches));
}

TEST_F(CheckpointerTest, ACorruptFileIsRefusedAndResetStateMovesItAside) {
  fs::create_directories(dir_);
  const std::string garbage = "this is not a checkpoint";
  std::ofstream(dir_ / kFileName) << garbage;
  core::MetricStore store(specs(), {"files"}, {"p"}, 1);
  core::BatchChannel channel(2, 64);
  FakeSource src("files");
  Checkpointer ck(config(), channel, store, {&src});

  const core::Status refused = ck.restore(false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--reset-state"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(fs::exists(dir_ / kFileName));  // Left in place without --reset-state.

  ASSERT_TRUE(ck.restore(true).ok());
  EXPECT_FALSE(fs::exists(dir_ / kFileName));
  std::vector<fs::path> aside;
  for (const auto& e : fs::directory_iterator(dir_)) aside.push_back(e.path());
  ASSERT_EQ(aside.size(), 1u);
  const std::string name = aside[0].filename().string();
  const std::string prefix = std::string(kFileName) + ".bad-";
  ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
  EXPECT_EQ(name.find_first_not_of("0123456789", prefix.size()), std::string::npos) << name;
  std::ifstream in(aside[0]);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);
  EXPECT_EQ(ck.last_id(), 0u);
  EXPECT_EQ(src.restored_, "");
  EXPECT_TRUE(store.snapshot().metrics[0].series.empty());
}

TEST_F(CheckpointerTest, CorruptFileIsRefusedUnlessResetState) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / kFileName) << "garbage";
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
  core::BatchChannel channel(4, 64);
  Checkpointer ck(config(), channel, store, {});
  core::Status st = ck.restore(false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("--reset-state"), std::string::npos);
  EXPECT_NE(st.error().message.find("bad magic"), std::string::npos);
  EXPECT_TRUE(ck.restore(true).ok());
  EXPECT_FALSE(fs::exists(dir_ / kFileName));  // moved aside
  // A checkpoint written now is read back.
  fill(store);
  ASSERT_TRUE(ck.checkpoint().ok());
  EXPECT_EQ(ck.last_id(), 1u);
  core::MetricStore again(specs(), {"files", "kafka"}, {"p", "q"}, 1);
  Checkpointer ck2(config(), channel, again, {});
  ASSERT_TRUE(ck2.restore(false).ok());
  EXPECT_EQ(ck2.last_id(), 1u);
  EXPECT_EQ(again.snapshot().metrics[0].series.at(0).value, 3);
}

TEST_F(CheckpointerTest, AStateASourceRefusesRestoresNothing) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
    fill(store);
    FakeSource files("files");
    FakeSource kafka("kafka");
    Checkpointer ck(config(), channel, store, {&files, &kafka});
    ASSERT_TRUE(ck.checkpoint().ok());
  }
  core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
  FakeSource files("files");
  FakeSource kafka("kafka");
  kafka.refuse_ = true;
  Checkpointer ck(config(), channel, store, {&files, &kafka});
  const core::Status st = ck.restore(false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("source fake kafka: state refused"), std::string::npos)
      << st.error().message;
  const core::Snapshot snap = store.snapshot();
  EXPECT_TRUE(snap.metrics[0].series.empty());
  EXPECT_EQ(snap.source_records, (std::vector<uint64_t>{0, 0}));
  EXPECT_EQ(ck.last_id(), 0u);
}

TEST_F(CheckpointerTest, AFileForOtherMetricsIsRefused) {
  core::BatchChannel channel(2, 64);
  {
    core::MetricStore store(specs(), {"files", "kafka"}, {"p", "q"}, 1);
    fill(store);
    Checkpointer ck(config(), channel, store, {});
    ASSERT_TRUE(ck.checkpoint().ok());
  }
  auto other = specs();
  other[0].label_names = {"namespace"};
  core::MetricStore store(other, {"files", "kafka"}, {"p", "q"}, 1);
  Checkpointer ck(config(), channel, store, {});
  const core::Status st = ck.restore(false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("written for other metrics"), std::string::npos)
      << st.error().message;
  EXPECT_TRUE(store.snapshot().metrics[0].series.empty());
}

TEST_F(CheckpointerTest, PeriodicCheckpointsUntilStopped) {
  core::MetricStore store(specs(), {"files"}, {"p"}, 1);
  core::BatchChannel channel(2, 64);
  Checkpointer ck({dir_.string(), milliseconds(10)}, channel, store, {});
  ck.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ck.last_id() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
  ck.stop();
  const uint64_t written = ck.last_id();
  ASSERT_GE(written, 3u) << "fewer than 3 periodic checkpoints within 10 s";
  ReadResult r = read_checkpoint_file(dir_.string(), 0);
  ASSERT_EQ(r.error, CheckpointError::kNone) << r.message;
  EXPECT_EQ(r.data.id, written);
  double total = -1;
  for (const auto& fam : store.self_metrics().collect()) {
    if (fam.name == "logtally_checkpoints_total") total = fam.series.at(0).value;
  }
  EXPECT_EQ(total, static_cast<double>(written));
  ck.stop();  // Idempotent.
  EXPECT_EQ(ck.last_id(), written);
}

}  // namespace
}  // namespace logtally::checkpoint
