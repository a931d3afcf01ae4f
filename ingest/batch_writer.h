// BatchWriter: copies records one by one into batches taken from a BatchChannel, handing a batch
// over when the next record does not fit (or when flush() is called). Used where records do not
// come straight from read(2): decoded container envelopes, Kafka message values.
//
// Contract:
// - Used by one source thread. append() and batch() may block in BatchChannel::acquire() (that
//   is the backpressure); they return false / null once the channel was stopped.
// - Each record is followed by at least core::kPadding readable bytes (the channel's batches
//   have capacity for the longest record plus padding).
// - try_acquire_for() lets a caller that must not block for long (Kafka: it has to keep polling
//   the consumer while the workers are behind) wait for a batch with a time limit.
#pragma once

#include <chrono>
#include <string_view>

#include "core/batch_channel.h"

namespace logtally::ingest {

class BatchWriter {
 public:
  BatchWriter(core::BatchChannel& channel, uint32_t source) : channel_(channel), source_(source) {}
  ~BatchWriter() {
    if (batch_) channel_.recycle(std::move(batch_));
  }
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  /// The batch being filled (acquired if there is none); null once the channel is stopped.
  core::Batch* batch() {
    if (!batch_) {
      batch_ = channel_.acquire();
      if (batch_) batch_->source = source_;
    }
    return batch_.get();
  }

  /// True if a batch is in hand, or one could be taken within `timeout`.
  bool try_acquire_for(std::chrono::milliseconds timeout) {
    if (batch_) return true;
    batch_ = channel_.try_acquire_for(timeout);
    if (batch_) batch_->source = source_;
    return static_cast<bool>(batch_);
  }

  /// Room left in the current batch (0 when there is none in hand).
  size_t room() const noexcept { return batch_ ? batch_->capacity() - batch_->size : 0; }

  /// Appends one record (it must be at most the channel's batch capacity). Hands the current
  /// batch over first if the record does not fit. False if the channel was stopped.
  bool append(std::string_view record);

  /// Hands the current batch over if it holds anything (records, counted drops or bytes).
  /// Returns false if the channel was stopped.
  bool flush();

  bool has_batch() const noexcept { return static_cast<bool>(batch_); }

 private:
  core::BatchChannel& channel_;
  uint32_t source_;
  core::BatchPtr batch_;
};

}  // namespace logtally::ingest
