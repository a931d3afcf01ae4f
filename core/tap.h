// Tap: the stream of what pipelines make of each record (`logtally tap`, the exporter's
// GET /-/tap; docs/testing.md). Workers write one JSON object per record and pipeline into the
// subscriptions that want that pipeline; readers take them out.
//
// Contract:
// - Cost when nobody taps: the workers ask active() once per batch (one relaxed load, one
//   well-predicted branch); nothing else runs and nothing per record. While a tap is open, the
//   batches go through the traced copy of the pipeline loop (transforms/pipeline.cpp), which
//   allocates and locks per record: a tap is a debugging aid.
// - subscribe() and the reader's calls (wait(), close()) may run on any thread; offer() runs on
//   workers, with their shard locked.
// - A lossless subscription (`logtally tap`: stdout is the only output) makes offer() wait while
//   its queue is full, so the reader's pace holds the workers back (backpressure, nothing lost).
//   A lossy one (an HTTP client, which must never hold a running logtally back) drops what does
//   not fit and counts it (lost()).
// - A subscription ends when `limit` objects were offered, when its reader closes it, or when
//   finish() says no more will come; wait() then returns false once its queue is empty.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace logtally::core {

class TapSubscription {
 public:
  /// `pipeline`: the one pipeline wanted (empty: all); `limit`: objects at most (0: no limit).
  TapSubscription(std::string pipeline, uint64_t limit, bool lossless, size_t max_queued);

  const std::string& pipeline() const noexcept { return pipeline_; }
  bool wants(std::string_view pipeline) const noexcept {
    return pipeline_.empty() || pipeline_ == pipeline;
  }

  // Writer side (workers).
  /// Queues one JSON line (without '\n'); false if the subscription takes no more.
  bool offer(std::string line);
  /// No more lines will come (the run ended).
  void finish();

  // Reader side.
  /// Moves the queued lines into `out` (appended), waiting up to `timeout` for the first. False
  /// once the subscription ended and nothing is left to read.
  bool wait(std::vector<std::string>& out, std::chrono::milliseconds timeout);
  /// The reader goes away: writers stop waiting and offering.
  void close();
  /// True once `limit` objects were offered, or close() or finish() was called.
  bool ended() const;
  /// Objects dropped because the queue was full (lossy subscriptions only).
  uint64_t lost() const;

 private:
  std::string pipeline_;
  uint64_t limit_;
  bool lossless_;
  size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable readable_;  ///< The reader waits here.
  std::condition_variable writable_;  ///< Lossless writers wait here while the queue is full.
  std::deque<std::string> queue_;
  uint64_t offered_ = 0;
  uint64_t lost_ = 0;
  bool closed_ = false;
  bool finished_ = false;
};

class TapHub {
 public:
  /// Per batch, on the workers: is any tap open? (Relaxed: a batch that starts just before a
  /// subscription is simply not traced.)
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  std::shared_ptr<TapSubscription> subscribe(std::string pipeline, uint64_t limit, bool lossless,
                                             size_t max_queued = 4096);
  /// Forgets `sub` (its reader is done with it).
  void unsubscribe(const std::shared_ptr<TapSubscription>& sub);
  /// The open subscriptions that want `pipeline`, into `out` (cleared first); ended ones are
  /// dropped on the way. Called once per batch and pipeline while active().
  void interested(std::string_view pipeline, std::vector<std::shared_ptr<TapSubscription>>& out);
  /// Ends every subscription (finish()): the run is over.
  void finish_all();

 private:
  void update_active();  ///< With mu_ held.
  std::mutex mu_;
  std::vector<std::shared_ptr<TapSubscription>> subs_;
  std::atomic<bool> active_{false};
};

}  // namespace logtally::core
