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
    if (batch_) channel_.give_back(std::move(batch_));  // Acquired, never pushed.
  }
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  /// The batch being filled (acquired if there is none); null once the channel is stopped.
  core::Batch* batch() {
    if (!batch_) {
      batch_ = channel_.acquire();
      if (batch_) init(*batch_);
    }
    return batch_.get();
  }

  /// True if a batch is in hand, or one could be taken within `timeout`.
  bool try_acquire_for(std::chrono::milliseconds timeout) {
    if (batch_) return true;
    batch_ = channel_.try_acquire_for(timeout);
    if (batch_) init(*batch_);
    return static_cast<bool>(batch_);
  }

  /// Source fields of the batches from now on (core/source_fields.h). A batch holding records
  /// under other fields is handed over first. False if the channel was stopped.
  bool set_fields(core::SourceFieldsPtr fields);
  const core::SourceFieldsPtr& fields() const noexcept { return fields_; }

  /// Passed to BatchChannel::push for every batch (a source's checkpoint position update).
  void set_on_queued(core::BatchChannel::OnQueued hook, void* context) {
    on_queued_ = hook;
    on_queued_context_ = context;
  }

  /// Room left in the current batch (0 when there is none in hand).
  size_t room() const noexcept { return batch_ ? batch_->capacity() - batch_->size : 0; }

  /// Appends one record (it must be at most the channel's batch capacity). Hands the current
  /// batch over first if the record does not fit. False if the channel was stopped.
  bool append(std::string_view record) { return append(record, nullptr, 0); }
  /// With record-level source fields: `columns[i]` is the value of fields()->record_columns[i]
  /// (a view with a null data() pointer: absent). `n` must equal that column count.
  bool append(std::string_view record, const std::string_view* columns, size_t n);

  /// Hands the current batch over if it holds anything (records, counted drops or bytes).
  /// Returns false if the channel was stopped.
  bool flush();

  bool has_batch() const noexcept { return static_cast<bool>(batch_); }

 private:
  void init(core::Batch& b) {
    b.source = source_;
    b.fields = fields_;
  }

  core::BatchChannel& channel_;
  uint32_t source_;
  core::BatchPtr batch_;
  core::SourceFieldsPtr fields_;
  core::BatchChannel::OnQueued on_queued_ = nullptr;
  void* on_queued_context_ = nullptr;
};

}  // namespace logtally::ingest
