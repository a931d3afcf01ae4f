// Batch: the unit a source hands to the workers.
//
// Contract:
// - A Batch owns one buffer holding many records back to back, followed by at least
//   kPadding readable bytes, so a parser may read past the end of any record (simdjson needs
//   SIMDJSON_PADDING bytes after a document). Record spans point into that buffer.
// - A source fills a Batch on its own thread, then moves it into the queue; from then on one
//   worker owns it until it goes back to the pool. No field is shared between threads.
// - Batches are recycled (BatchPool), so after warm-up no allocation happens per batch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "core/source_fields.h"

namespace logtally::core {

/// Readable bytes guaranteed after the end of the data in a Batch buffer.
/// 64 covers simdjson's SIMDJSON_PADDING on every kernel.
inline constexpr size_t kPadding = 64;
/// Batch::join_start of a stream with no join in progress.
inline constexpr uint64_t kNoJoin = UINT64_MAX;

/// A record's place in the batch buffer.
struct Span {
  uint32_t offset;
  uint32_t length;
};

class Batch {
 public:
  /// The buffer is left uninitialised (pages are touched only as data arrives, which keeps an
  /// idle sidecar small); only the padding after the last possible byte is zeroed.
  explicit Batch(size_t capacity) : buffer_(new char[capacity + kPadding]), capacity_(capacity) {
    std::memset(buffer_.get() + capacity, 0, kPadding);
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  /// Bytes that may hold data (the padding comes after these).
  size_t capacity() const noexcept { return capacity_; }
  char* data() noexcept { return buffer_.get(); }
  const char* data() const noexcept { return buffer_.get(); }

  std::string_view record(size_t i) const noexcept {
    return {buffer_.get() + spans[i].offset, spans[i].length};
  }
  size_t record_count() const noexcept { return spans.size(); }

  /// Clears everything but keeps the buffer and the span vector's capacity.
  void reset() noexcept {
    size = 0;
    spans.clear();
    source = 0;
    sequence = 0;
    bytes_read = 0;
    too_long = 0;
    bad_envelope = 0;
    cut_max_lines = 0;
    cut_max_bytes = 0;
    position = 0;
    join_start.fill(kNoJoin);
    fields.reset();
    record_fields.clear();
  }

  /// Record-level source field `column` of record `i` (see core/source_fields.h); empty view
  /// with `present` false when the batch has no such value.
  std::string_view record_field(size_t i, size_t column, bool& present) const noexcept {
    const size_t columns = fields ? fields->record_columns.size() : 0;
    const size_t at = i * columns + column;
    if (column >= columns || at >= record_fields.size() ||
        record_fields[at].length == kAbsentSpan) {
      present = false;
      return {};
    }
    present = true;
    return {buffer_.get() + record_fields[at].offset, record_fields[at].length};
  }

  size_t size = 0;            ///< Bytes of data in the buffer (records and a possible tail).
  std::vector<Span> spans;    ///< Complete records, in input order.
  uint32_t source = 0;        ///< Index of the source that produced the batch.
  uint64_t sequence = 0;      ///< Global dispatch order; orders gauge `set` across workers.
  uint64_t bytes_read = 0;    ///< Bytes the source consumed for this batch (incl. dropped lines).
  uint64_t too_long = 0;      ///< Lines skipped because they exceeded max_record_bytes.
  uint64_t bad_envelope = 0;  ///< Lines not in the source's container envelope format.
  /// Multi-line records in this batch cut at a limit (ingest/multiline.h), by reason; the
  /// source counts them in logtally_records_truncated_total when the batch is queued.
  uint32_t cut_max_lines = 0;
  uint32_t cut_max_bytes = 0;
  uint64_t position = 0;  ///< Source offset just after the last complete line (files).
  /// Container envelopes (files): per stream (stdout, stderr, none), the offset of the first
  /// piece of a join not finished at `position`, or kNoJoin. A restart re-reads from there.
  std::array<uint64_t, 3> join_start{kNoJoin, kNoJoin, kNoJoin};
  /// Source fields of this batch (null: none). Shared, immutable; see core/source_fields.h.
  SourceFieldsPtr fields;
  /// Record-level source field spans, record_count() * fields->record_columns.size(), row-major;
  /// empty when the source has no record-level fields.
  std::vector<Span> record_fields;

 private:
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
};

using BatchPtr = std::unique_ptr<Batch>;

}  // namespace logtally::core
