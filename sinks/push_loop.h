// PushLoop: the one thread that drives every pushing sink (sinks/sink.h, PushSink). Per tick it
// reads the store ONCE (MetricStore::read(): live, expire and merge; with checkpoints, the last
// durable state) and flushes every sink due at that tick with it; each sink keeps its own
// interval() and the loop sleeps until the next due time. At stop() it reads once more and
// flushes that final state to every sink (final == true), so a `--once` run pushes its final
// result.
//
// Contract:
// - Created by the run loop on the main thread with the started pushing sinks (non-owning: they
//   outlive the loop); start() hands each sink the state at start (PushSink::resume_from()) and
//   starts the thread. Every merge is MetricStore::read(): live, or with checkpoints the last
//   durable state. The first flush of a sink comes one
//   interval() after start() (at start nothing has been counted yet). start() twice is a
//   programming error. With no sinks, start() and stop() do nothing (no merge).
// - Flushes run on the loop's thread only, one at a time, in the order of `sinks`; a slow sink
//   delays the others of its tick by at most its own timeout. A flush asking for a retry
//   (FlushResult::retry_in) is flushed again after that delay with a fresh merge; otherwise at
//   its next interval, on a steady cadence that never catches up on missed ticks.
// - stop() (main thread; idempotent, also run by the destructor) wakes the thread, waits for a
//   flush in progress to return, joins, then makes the final merge and flushes it to every sink
//   on the calling thread. Pending retries are abandoned at once (no backoff is waited out), so
//   stop() is bounded by one flush in progress plus one final flush per sink.
// - The loop never holds a lock a worker waits for, except the shard locks of the merge.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/metric_store.h"
#include "sinks/sink.h"

namespace logtally::sinks {

class PushLoop {
 public:
  PushLoop(const core::MetricStore& store, const std::vector<PushSink*>& sinks);
  ~PushLoop();
  PushLoop(const PushLoop&) = delete;
  PushLoop& operator=(const PushLoop&) = delete;

  void start();
  void stop();
  /// True if stop() flushed (there are sinks and start() ran).
  bool pushed() const noexcept { return pushed_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    PushSink* sink = nullptr;
    std::chrono::milliseconds interval{1};
    Clock::time_point due;     ///< Next flush (the regular one, or a retry).
    Clock::time_point anchor;  ///< Next regular flush; the cadence retries do not move.
  };

  void run();
  /// Expires, then merges: the state every flush of one tick reads.
  core::Snapshot merge() const;

  const core::MetricStore& store_;
  std::vector<Slot> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool stopped_ = false;
  bool pushed_ = false;
  std::thread thread_;
};

}  // namespace logtally::sinks
