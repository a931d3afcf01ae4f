// LineReader: turns bytes read from a file descriptor into batches of line records.
//
// - Lines end at '\n'; a '\r' right before it is dropped; a final line without '\n' is a
//   record once finish() is called (end of input).
// - A line longer than max_record_bytes is never buffered whole: once its unfinished part
//   exceeds the limit, its bytes are discarded as they arrive and, when it ends, it is counted
//   in the batch's `too_long` (the workers count it as dropped, reason too_long).
// - A batch's bytes_read is the input it consumed up to its position: its complete lines (too
//   long ones included), not an unfinished tail. So the byte count always matches the records
//   and the saved position, and a tail read again (a file source's next turn, a restart from a
//   checkpoint) is never counted twice.
// - A batch is handed to the channel after each read that completed at least one line, so a
//   slow pipe (a sidecar's app) is counted promptly and a fast file goes in ~1 MiB batches. The
//   unfinished tail moves to the next batch (one memcpy of at most max_record_bytes).
// - With `multiline` (ingest/multiline.h), lines (after the envelope, if any) are joined into
//   records before they are handed over; records in progress live in the joins of the input
//   (set_joins()), each batch's join_start covers them, and expire() hands over those that got
//   no line for the timeout. Records cut at a limit are counted in the batch, and in
//   logtally_records_truncated_total when the batch is queued.
// Used by one source thread; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <memory>

#include "core/batch_channel.h"
#include "ingest/batch_writer.h"
#include "ingest/envelope.h"
#include "ingest/multiline.h"

namespace logtally::ingest {

/// Bytes asked of each read(2).
inline constexpr size_t kReadChunk = 256 << 10;

/// Batch capacity a channel needs for a given record limit (one chunk after a maximal tail).
inline size_t batch_capacity_for(size_t max_record_bytes) {
  return kReadChunk + max_record_bytes + 1;
}

class LineReader {
 public:
  LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes)
      : channel_(channel), source_(source), max_record_(max_record_bytes) {}
  /// With a container envelope (`format:` cri or docker): each batch of physical lines is
  /// decoded and joined (see EnvelopeDecoder) into a second batch, which is what the workers
  /// get; the batch of physical lines goes straight back to the pool. A source holds at most
  /// two batches at a time.
  LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes,
             EnvelopeFormat format);
  /// With multi-line records (`multiline` null: none), joined after the envelope (`format`
  /// may be kNone). Records cut at a limit are added to `truncated` when queued.
  LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes,
             EnvelopeFormat format, const MultilineConfig* multiline,
             TruncatedCounters truncated = {});
  ~LineReader();

  /// One read(2) from `fd` into the current batch. Returns bytes read, 0 at end of input, or
  /// -1 with errno set (EAGAIN included). If `tee_fd` >= 0, the bytes are first written there
  /// unchanged. Returns -1 with errno ECANCELED if the channel was stopped.
  ssize_t read_from(int fd, int tee_fd = -1);

  /// End of input: the unterminated last line (if any) becomes a record, and everything
  /// pending is handed over.
  void finish();

  /// Multi-line records: hands over the records in progress that got no line for the timeout
  /// up to `now` (all of them with `all`), with the position of the last complete line read.
  /// Call where the input's joins and position are current (after a read). No-op without
  /// `multiline`.
  void expire(std::chrono::steady_clock::time_point now, bool all = false);
  /// When the earliest record in progress expires (time_point::max() when none).
  std::chrono::steady_clock::time_point next_expiry() const noexcept;
  /// True if records are joined (`multiline`), so the input needs its own joins.
  bool joins_records() const noexcept { return static_cast<bool>(joiner_); }

  /// Forgets the unfinished line (the input was truncated and is read again from the start).
  void discard_partial();

  /// Bytes of an unfinished line currently held.
  size_t partial_bytes() const noexcept;

  /// Input stream offset of the next byte read (a file offset). Call when no unfinished line
  /// is held. Each dispatched batch's `position` is the offset just after its last complete
  /// line (too-long lines included), so a source can resume exactly there.
  void set_position(uint64_t offset) noexcept {
    end_pos_ = offset;
    line_end_pos_ = offset;
    dispatched_pos_ = offset;
    last_position_ = offset;
  }
  /// Offset just after the last byte read.
  uint64_t end_position() const noexcept { return end_pos_; }
  /// Offset just after the last complete line seen (dispatched or about to be).
  uint64_t line_end_position() const noexcept { return line_end_pos_; }

  /// Source fields for the batches handed over from now on (core/source_fields.h). Call when
  /// no unfinished line of the previous input is held (after finish() or discard_partial()).
  void set_fields(core::SourceFieldsPtr fields);

  /// Envelope joins of the input read from now on (a file source keeps one per file; null: the
  /// decoder's own). Call where set_position() is called. With an envelope, each batch's
  /// join_start says where the joins unfinished at its `position` began (core/batch.h), and
  /// lines before the joins' replay_end that were counted before a restore are skipped: not
  /// counted again, their bytes neither.
  void set_joins(EnvelopeDecoder::Joins* joins) noexcept {
    if (decoder_) decoder_->use_joins(joins);
    // The reader's own joins (one input) reserve their buffers once; a file's grow as needed.
    if (joiner_) joiner_->set_reserve(joins == nullptr);
  }

  /// Passed to BatchChannel::push for every batch (a source's checkpoint position update).
  void set_on_queued(core::BatchChannel::OnQueued hook, void* context) {
    on_queued_ = hook;
    on_queued_context_ = context;
  }

 private:
  bool ensure_batch();
  void scan();
  void dispatch();
  // Envelope path: decodes the complete lines of `raw` into writer_ and hands them over.
  void decode_into_writer(const core::Batch& raw, bool end_of_input, size_t tail_at,
                          uint64_t position);
  bool append_decoded(const Decoded& d);
  // Multi-line: feeds a decoded message to its stream's record; false if the channel stopped.
  bool join_line(const Decoded& d, std::chrono::steady_clock::time_point now);
  // Hands over the record in progress in `p` (stream `s`); false if the channel stopped.
  bool emit_record(MultilineJoiner::Pending& p, size_t s);
  // The writer's hook: counts cut records, then calls on_queued_.
  static void writer_queued(void* context, const core::Batch& batch);

  core::BatchChannel& channel_;
  uint32_t source_;
  size_t max_record_;
  core::BatchPtr batch_;
  size_t line_start_ = 0;  ///< Start of the unfinished line in batch_.
  size_t scan_from_ = 0;   ///< Where the search for the next '\n' resumes.
  bool skipping_ = false;  ///< Inside a too-long line: discard until its '\n'.
  bool tee_broken_ = false;
  std::unique_ptr<EnvelopeDecoder> decoder_;  ///< Null without an envelope.
  std::unique_ptr<BatchWriter> writer_;
  std::unique_ptr<MultilineJoiner> joiner_;  ///< Null without `multiline`.
  TruncatedCounters truncated_;
  bool finishing_ = false;
  uint64_t last_position_ = 0;  ///< Position of the last decoded batch handed over.
  uint64_t last_join_start_[EnvelopeDecoder::kStreams] = {core::kNoJoin, core::kNoJoin,
                                                          core::kNoJoin};  ///< Its join starts.
  // Offset up to which the input was counted before a restore (0 without an envelope).
  uint64_t replay_end() const noexcept { return decoder_ ? decoder_->replay_end() : 0; }
  core::SourceFieldsPtr fields_;
  uint64_t end_pos_ = 0;         ///< Stream offset after the last byte read.
  uint64_t line_end_pos_ = 0;    ///< Stream offset after the last '\n' scanned.
  uint64_t dispatched_pos_ = 0;  ///< line_end_pos_ at the last dispatch.
  core::BatchChannel::OnQueued on_queued_ = nullptr;
  void* on_queued_context_ = nullptr;
};

}  // namespace logtally::ingest
