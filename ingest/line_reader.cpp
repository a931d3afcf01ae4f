#include "ingest/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace logtally::ingest {

using core::Batch;

LineReader::LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes,
                       EnvelopeFormat format)
    : LineReader(channel, source, max_record_bytes) {
  if (format != EnvelopeFormat::kNone) {
    decoder_ = std::make_unique<EnvelopeDecoder>(format, max_record_bytes);
    writer_ = std::make_unique<BatchWriter>(channel, source);
    writer_->set_fields(envelope_fields(nullptr));
  }
}

bool LineReader::append_decoded(const Decoded& d) {
  const size_t n = writer_->fields()->record_columns.size();
  // The envelope's columns are the last two (envelope_fields() appends them).
  std::string_view cols[16];
  if (n > 16) return writer_->append(d.message);
  cols[n - 2] = d.stream;
  cols[n - 1] = d.time;
  return writer_->append(d.message, cols, n);
}

void LineReader::decode_into_writer(const core::Batch& raw, bool end_of_input, size_t tail_at,
                                    uint64_t position) {
  core::Batch* out = writer_->batch();
  if (out == nullptr) return;  // Stopping.
  out->bytes_read += raw.bytes_read;
  out->too_long += raw.too_long;
  Decoded d;
  const size_t n = raw.record_count();
  // An output batch that fills up is handed over inside append(); it must carry the file
  // position just after the last line it covers (a checkpoint resumes there). Line i ends
  // (newline included) where line i+1 starts in the buffer, the last one at tail_at, which is
  // `position` in the file. Lines skipped as too long left no bytes in the buffer, so then the
  // mapping is unknown and the batch keeps the previous dispatch's position (conservative: a
  // restore re-reads, and may count again, those lines).
  const bool mapped = raw.too_long == 0;
  // A batch's join starts go with its position: both as they stand before line i.
  auto stamp = [&](core::Batch& b, uint64_t pos) {
    b.position = pos;
    uint64_t starts[EnvelopeDecoder::kStreams];
    decoder_->pending_starts(starts);
    std::copy(std::begin(starts), std::end(starts), b.join_start.begin());
  };
  for (size_t i = 0; i < n; ++i) {
    // Unmapped: the line's offset is unknown; the previous dispatch's is a lower bound.
    uint64_t line_start = last_position_;
    if (mapped && (out = writer_->batch()) != nullptr) {
      line_start = position - (tail_at - raw.spans[i].offset);
      stamp(*out, line_start);
    } else if (out != nullptr && out->position == 0) {
      out->position = last_position_;
      std::copy(std::begin(last_join_start_), std::end(last_join_start_), out->join_start.begin());
    }
    switch (decoder_->decode(raw.record(i), d, line_start)) {
      case DecodeStatus::kRecord:
        if (!append_decoded(d)) return;
        break;
      case DecodeStatus::kPartial:
      case DecodeStatus::kReplayed:
        break;
      case DecodeStatus::kBadEnvelope:
        if ((out = writer_->batch()) == nullptr) return;
        ++out->bad_envelope;
        break;
      case DecodeStatus::kTooLong:
        if ((out = writer_->batch()) == nullptr) return;
        ++out->too_long;
        break;
    }
  }
  if (end_of_input) {
    DecodeStatus status;
    while (decoder_->flush(d, status)) {
      if (status == DecodeStatus::kRecord) {
        if (!append_decoded(d)) return;
      } else {
        if ((out = writer_->batch()) == nullptr) return;
        ++out->too_long;
      }
    }
  }
  if ((out = writer_->batch()) != nullptr) {
    stamp(*out, position);
    std::copy(out->join_start.begin(), out->join_start.end(), std::begin(last_join_start_));
  }
  last_position_ = position;
  writer_->flush();
}

bool LineReader::ensure_batch() {
  if (batch_) return true;
  batch_ = channel_.acquire();
  if (!batch_) return false;
  batch_->source = source_;
  batch_->fields = fields_;
  line_start_ = 0;
  scan_from_ = 0;
  return true;
}

size_t LineReader::partial_bytes() const noexcept {
  return batch_ ? batch_->size - line_start_ : 0;
}

ssize_t LineReader::read_from(int fd, int tee_fd) {
  if (!ensure_batch()) {
    errno = ECANCELED;
    return -1;
  }
  Batch& b = *batch_;
  const size_t space = std::min(kReadChunk, b.capacity() - b.size);
  const ssize_t n = ::read(fd, b.data() + b.size, space);
  if (n <= 0) return n;

  if (tee_fd >= 0 && !tee_broken_) {
    const char* p = b.data() + b.size;
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      const ssize_t w = ::write(tee_fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        // The reader of our stdout went away; keep counting, stop copying.
        core::log(core::LogLevel::kWarn, std::string("--tee: writing to stdout failed (") +
                                             std::strerror(errno) + "); no longer copying");
        tee_broken_ = true;
        break;
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
  }

  b.size += static_cast<size_t>(n);
  end_pos_ += static_cast<uint64_t>(n);
  scan();
  if (!b.spans.empty() || b.too_long > 0) dispatch();
  return n;
}

void LineReader::scan() {
  Batch& b = *batch_;
  char* d = b.data();
  const size_t end = b.size;
  size_t pos = scan_from_;
  while (pos < end) {
    const void* hit = std::memchr(d + pos, '\n', end - pos);
    if (hit == nullptr) break;
    const size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - d);
    // Bytes from scan_from_ to `end` are contiguous in the input and end at end_pos_.
    line_end_pos_ = end_pos_ - (end - nl - 1);
    // After a restore inside a join, a line ending by replay_end() was counted before.
    const bool counted_before = line_end_pos_ <= replay_end();
    if (skipping_) {
      skipping_ = false;
      if (!counted_before) ++b.too_long;
    } else {
      size_t len = nl - line_start_;
      if (len > 0 && d[nl - 1] == '\r') --len;
      if (len > max_record_) {
        if (!counted_before) ++b.too_long;
      } else {
        b.spans.push_back(
            core::Span{static_cast<uint32_t>(line_start_), static_cast<uint32_t>(len)});
      }
    }
    line_start_ = nl + 1;
    pos = line_start_;
  }
  scan_from_ = end;

  // The unfinished tail. One byte of slack over the limit leaves room for a '\r' that will be
  // dropped when the line ends.
  if (!skipping_ && end - line_start_ > max_record_ + 1) skipping_ = true;
  if (skipping_) {
    b.size = line_start_;
    scan_from_ = line_start_;
  }
}

void LineReader::dispatch() {
  core::BatchPtr full = std::move(batch_);
  const size_t tail_at = line_start_;
  const size_t tail = full->size - tail_at;
  // Bytes up to replay_end() were counted before a restore (0 without one).
  full->bytes_read =
      std::max(line_end_pos_, replay_end()) - std::max(dispatched_pos_, replay_end());
  if (decoder_) {
    // Decode first and hand the result over, so that at most two batches are held at once.
    decode_into_writer(*full, finishing_, tail_at, line_end_pos_);
  }
  if (tail > 0) {
    if (!ensure_batch()) return;  // Stopping: the unfinished line is abandoned.
    std::memcpy(batch_->data(), full->data() + tail_at, tail);
    batch_->size = tail;
    scan_from_ = tail;  // Already searched: it holds no '\n'.
  }
  full->size = tail_at;
  full->position = line_end_pos_;
  dispatched_pos_ = line_end_pos_;
  if (decoder_) {
    // The physical lines were decoded into the writer's batches; this one is never pushed.
    channel_.give_back(std::move(full));
    return;
  }
  channel_.push(std::move(full), on_queued_, on_queued_context_);
}

void LineReader::finish() {
  if (!batch_ && decoder_) ensure_batch();  // Joins still pending must be handed out.
  if (!batch_) return;
  Batch& b = *batch_;
  if (skipping_) {
    skipping_ = false;
    ++b.too_long;
  } else if (b.size > line_start_) {
    size_t len = b.size - line_start_;
    if (b.data()[b.size - 1] == '\r') --len;
    if (len > max_record_) {
      ++b.too_long;
    } else {
      b.spans.push_back(core::Span{static_cast<uint32_t>(line_start_), static_cast<uint32_t>(len)});
    }
  }
  line_start_ = b.size;
  line_end_pos_ = end_pos_;
  if (!b.spans.empty() || b.too_long > 0 || line_end_pos_ > dispatched_pos_ || decoder_) {
    finishing_ = true;
    dispatch();
    finishing_ = false;
  }
}

void LineReader::set_fields(core::SourceFieldsPtr fields) {
  fields_ = std::move(fields);
  if (batch_) batch_->fields = fields_;
  if (writer_) writer_->set_fields(envelope_fields(fields_));
}

void LineReader::discard_partial() {
  skipping_ = false;
  if (!batch_) return;
  batch_->size = line_start_;
  scan_from_ = line_start_;
}

}  // namespace logtally::ingest
