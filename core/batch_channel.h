// BatchChannel: the bounded hand-over from sources to workers, plus the pool batches return to.
//
// Contract:
// - Sources call acquire() for an empty batch and push() to hand a full one over. Both block
//   while the channel is at its bound (that is the backpressure: a blocked file source simply
//   stops reading). Both return without blocking once stop() was called (acquire returns null,
//   push returns false and drops nothing that was counted: the batch goes back to the pool).
// - Workers call pop(), which blocks until a batch arrives; it returns null once close() was
//   called and the queue is empty, so every pushed batch is processed exactly once.
// - push() stamps each batch with a global sequence number (input order across workers).
// - At most `max_batches` batches exist at once; they are created lazily and reused, so an idle
//   process holds few buffers and a busy one allocates none per batch.
// - One mutex per channel, taken once per batch operation, never per record.
// - Barrier (checkpoints): pause() makes every later push() wait before queueing; drain() then
//   waits until no batch is queued or being handled by a worker. While paused and drained, the
//   metric store holds exactly the effect of every batch queued so far, and each source's
//   checkpoint state (see push's `on_queued`) describes exactly those batches. resume() lets
//   the waiting pushes through. Sources are never interrupted mid-batch: one blocked in push()
//   still owns its batch, which is not part of the checkpoint and is queued after resume().
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "core/batch.h"

namespace logtally::core {

class BatchChannel {
 public:
  BatchChannel(size_t max_batches, size_t batch_capacity)
      : max_batches_(max_batches), batch_capacity_(batch_capacity) {}

  size_t batch_capacity() const noexcept { return batch_capacity_; }

  /// An empty batch (blocks while all batches are in use); null after stop().
  BatchPtr acquire();
  /// Like acquire(), but gives up (returns null) after `timeout`.
  BatchPtr try_acquire_for(std::chrono::milliseconds timeout);
  /// Queues a filled batch for the workers; false (batch recycled) after stop().
  bool push(BatchPtr batch) { return push(std::move(batch), nullptr, nullptr); }

  /// Called with the channel's lock held, right after a batch was queued: a barrier sees either
  /// the batch and the hook's effect, or neither. A source records "everything up to here is
  /// dispatched" in it (a file offset, Kafka offsets), under its own small lock. It must be
  /// short and must not call the channel.
  using OnQueued = void (*)(void* context, const Batch& batch);
  /// push() that calls `on_queued(context, batch)` once the batch is queued (not when it is
  /// refused after stop()).
  bool push(BatchPtr batch, OnQueued on_queued, void* context);
  /// The next batch to process; null once closed and drained.
  BatchPtr pop();
  /// Returns a processed batch (one from pop()) to the pool; ends its "in a worker's hands".
  void recycle(BatchPtr batch);
  /// Returns a batch from acquire() that will not be pushed (a source that had nothing to
  /// send). Unlike recycle(), it does not touch the count drain() waits on.
  void give_back(BatchPtr batch);

  /// No more pushes will come: workers drain what is queued, then pop() returns null.
  void close();
  /// Unblocks sources waiting in acquire()/push(); used at shutdown.
  void stop();

  /// Barrier, step 1: later pushes wait (acquire() does not). Nests: each pause() needs a
  /// resume().
  void pause();
  /// Barrier, step 2: waits until no batch is queued or in a worker's hands. Call after pause().
  void drain();
  /// Ends a barrier: waiting pushes proceed.
  void resume();
  /// Batches queued or being handled right now.
  size_t in_flight() const;

 private:
  // With mu_ held: true when acquire() can return (stopped, a free batch, or room for one).
  bool can_take() const { return stopped_ || !free_.empty() || created_ < max_batches_; }
  // With mu_ held and can_take() true: the batch acquire() returns (null once stopped).
  // Unlocks `lock` before allocating a new batch.
  BatchPtr take(std::unique_lock<std::mutex>& lock);
  mutable std::mutex mu_;
  std::condition_variable free_cv_;
  std::condition_variable queued_cv_;
  std::condition_variable pause_cv_;    ///< Pushers wait here while paused.
  std::condition_variable drained_cv_;  ///< drain() waits here.
  size_t handling_ = 0;                 ///< Popped, not yet recycled.
  int paused_ = 0;
  std::deque<BatchPtr> queued_;
  std::vector<BatchPtr> free_;
  size_t created_ = 0;
  size_t max_batches_;
  size_t batch_capacity_;
  uint64_t next_sequence_ = 1;
  bool closed_ = false;
  bool stopped_ = false;
};

/// What workers do with each batch. handle() runs on worker `worker` (0..N-1); a worker
/// handles one batch at a time.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  virtual void handle(size_t worker, const Batch& batch) = 0;
};

}  // namespace logtally::core
