// Checkpointer: takes checkpoints (a barrier plus one durable file) and restores the last one.
//
// Contract:
// - restore() runs on the main thread after the store and sources exist and before any thread
//   starts: it reads `<dir>/checkpoint.bin`, imports the series and the store's own counters
//   into the store (shard 0), hands every core::SelfMetrics counter back to the registry
//   (those of components built after the restore wait there until they register) and hands
//   each checkpointable source its saved state. With no file it
//   does nothing. A corrupt, other-version or incompatible file is an Error that says what
//   happened and how to proceed, unless `reset_state` is set: then the file is moved aside to
//   checkpoint.bin.bad-<unix seconds>, logged, and the run starts fresh. Nothing is ever
//   half-restored.
// - checkpoint() is the barrier (docs/checkpoints.md): pause the channel (sources stop between
//   batches), drain it (workers finish what was queued), export the store and every
//   checkpointable source's state, resume, then write the file durably and tell each source
//   (checkpoint_durable). Dispatch resumes before the file is written: what happens after the
//   barrier is simply not in this checkpoint. Runs on the checkpoint thread or, at exit, on the
//   main thread; never concurrently with itself (a mutex serialises calls).
// - Readers see only durable state (docs/checkpoints.md, "What readers see"): restore()
//   publishes the restored (or empty) state before any thread starts, and every checkpoint
//   publishes its own state once its file is durable (MetricStore::publish()); scrapes and
//   pushes read that (MetricStore::read()). Expiry runs before each barrier.
// - start() runs checkpoint() every `interval` on its own thread until stop().
// - Self-metrics: logtally_checkpoints_total, logtally_checkpoint_failures_total,
//   logtally_checkpoint_duration_seconds (last total), logtally_checkpoint_pause_seconds (last
//   barrier), logtally_checkpoint_bytes (last file size),
//   logtally_checkpoint_last_success_timestamp_seconds (when the last one became durable).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint_file.h"
#include "core/batch_channel.h"
#include "core/metric_store.h"
#include "core/result.h"
#include "ingest/source.h"

namespace logtally::checkpoint {

struct CheckpointConfig {
  std::string dir;                           ///< Where checkpoint.bin lives.
  std::chrono::milliseconds interval{5000};  ///< Between periodic checkpoints.
  /// `serve: new_checkpoint`: every MetricStore::read() makes a checkpoint first.
  bool checkpoint_per_read = false;
};

class Checkpointer {
 public:
  Checkpointer(CheckpointConfig config, core::BatchChannel& channel, core::MetricStore& store,
               std::vector<ingest::Source*> sources);
  ~Checkpointer() { stop(); }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  [[nodiscard]] core::Status restore(bool reset_state);
  [[nodiscard]] core::Status checkpoint();
  /// For a reader (`serve: new_checkpoint`): returns once a checkpoint that began after the
  /// call is durable and published; makes one unless another reader's does. A failure is
  /// logged and the reader gets the last published state.
  void checkpoint_for_read();
  void start();
  void stop();

  /// Continues the numbering of another checkpointer's checkpoints (a reload builds a new one).
  void continue_from(uint64_t last_id) noexcept { last_id_ = last_id; }
  /// Id of the last checkpoint written or restored (0: none).
  uint64_t last_id() const noexcept { return last_id_.load(); }
  /// Duration of the last barrier (pause to resume) and of the last whole checkpoint.
  std::chrono::nanoseconds last_pause() const noexcept {
    return std::chrono::nanoseconds(last_pause_ns_.load());
  }
  std::chrono::nanoseconds last_duration() const noexcept {
    return std::chrono::nanoseconds(last_total_ns_.load());
  }
  uint64_t last_bytes() const noexcept { return last_bytes_.load(); }

 private:
  CheckpointConfig config_;
  core::BatchChannel& channel_;
  core::MetricStore& store_;
  std::vector<ingest::Source*> sources_;
  uint64_t fingerprint_;
  [[nodiscard]] core::Status restore_file(bool reset_state);
  /// checkpoint() without taking checkpoint_mu_ (held by the caller).
  [[nodiscard]] core::Status checkpoint_locked();
  /// Makes `d`'s store and self counters what readers see (MetricStore::publish()).
  void publish(CheckpointData& d);

  std::mutex checkpoint_mu_;
  std::atomic<uint64_t> begun_{0};  ///< Checkpoints begun (barrier entered), this run.
  uint64_t published_seq_ = 0;      ///< begun_ number of the last published one (under the mutex).
  std::atomic<uint64_t> last_id_{0};
  std::atomic<int64_t> last_pause_ns_{0};
  std::atomic<int64_t> last_total_ns_{0};
  std::atomic<uint64_t> last_bytes_{0};

  std::thread thread_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  bool stopping_ = false;

  core::SelfMetrics::Value& written_;
  core::SelfMetrics::Value& failures_;
  core::SelfMetrics::Value& duration_;
  core::SelfMetrics::Value& pause_;
  core::SelfMetrics::Value& bytes_;
  core::SelfMetrics::Value& last_success_;
};

}  // namespace logtally::checkpoint
