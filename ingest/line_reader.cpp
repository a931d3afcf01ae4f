#include "ingest/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/log.h"

namespace logtally::ingest {

using core::Batch;

LineReader::LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes,
                       EnvelopeFormat format)
    : LineReader(channel, source, max_record_bytes, format, nullptr) {}

LineReader::LineReader(core::BatchChannel& channel, uint32_t source, size_t max_record_bytes,
                       EnvelopeFormat format, const MultilineConfig* multiline,
                       TruncatedCounters truncated)
    : LineReader(channel, source, max_record_bytes) {
  truncated_ = truncated;
  if (format != EnvelopeFormat::kNone || multiline != nullptr) {
    // Without an envelope, the kNone decoder passes lines through and keeps the joins.
    decoder_ = std::make_unique<EnvelopeDecoder>(format, max_record_bytes);
    writer_ = std::make_unique<BatchWriter>(channel, source);
    writer_->set_fields(format != EnvelopeFormat::kNone ? envelope_fields(nullptr) : nullptr);
    writer_->set_on_queued(&LineReader::writer_queued, this);
  }
  if (multiline != nullptr) {
    const size_t limit = multiline->max_bytes != 0
                             ? std::min(multiline->max_bytes, max_record_bytes)
                             : max_record_bytes;
    joiner_ = std::make_unique<MultilineJoiner>(*multiline, limit, /*reserve=*/true);
  }
}

LineReader::~LineReader() = default;

void LineReader::writer_queued(void* context, const core::Batch& batch) {
  auto* self = static_cast<LineReader*>(context);
  // Once per batch, and only for batches holding cut records: no atomic per record.
  if (batch.cut_max_lines > 0 && self->truncated_.max_lines != nullptr) {
    self->truncated_.max_lines->add(batch.cut_max_lines);
  }
  if (batch.cut_max_bytes > 0 && self->truncated_.max_bytes != nullptr) {
    self->truncated_.max_bytes->add(batch.cut_max_bytes);
  }
  if (self->on_queued_ != nullptr) self->on_queued_(self->on_queued_context_, batch);
}

bool LineReader::append_decoded(const Decoded& d) {
  const size_t n = writer_->fields() ? writer_->fields()->record_columns.size() : 0;
  if (decoder_->format() == EnvelopeFormat::kNone) {
    // No envelope columns; other record-level columns (none today) stay absent.
    std::string_view cols[16];
    if (n == 0 || n > 16) return writer_->append(d.message);
    return writer_->append(d.message, cols, n);
  }
  // The envelope's columns are the last two (envelope_fields() appends them).
  std::string_view cols[16];
  if (n > 16 || n < 2) return writer_->append(d.message);
  cols[n - 2] = d.stream;
  cols[n - 1] = d.time;
  return writer_->append(d.message, cols, n);
}

bool LineReader::emit_record(MultilineJoiner::Pending& p, size_t s) {
  static constexpr std::string_view kStreamNames[] = {"stdout", "stderr", std::string_view()};
  const MultilineJoiner::Record r = joiner_->take(p);
  Decoded d{r.text, kStreamNames[s], r.time, static_cast<uint8_t>(s), p.start};
  if (!append_decoded(d)) return false;
  if (r.cut != CutReason::kNone) {
    core::Batch* b = writer_->batch();  // The one the record went into.
    if (b == nullptr) return false;
    if (r.cut == CutReason::kMaxLines) {
      ++b->cut_max_lines;
    } else {
      ++b->cut_max_bytes;
    }
  }
  return true;
}

bool LineReader::join_line(const Decoded& d, std::chrono::steady_clock::time_point now) {
  MultilineJoiner::Pending& p = decoder_->joins().multiline[d.stream_index];
  if (joiner_->ends_record(p, d.message) && !emit_record(p, d.stream_index)) return false;
  joiner_->add(p, d.message, d.start, d.time, now);
  return true;
}

std::chrono::steady_clock::time_point LineReader::next_expiry() const noexcept {
  auto t = std::chrono::steady_clock::time_point::max();
  if (!joiner_) return t;
  for (const MultilineJoiner::Pending& p : decoder_->joins().multiline) {
    t = std::min(t, joiner_->deadline(p));
  }
  return t;
}

void LineReader::expire(std::chrono::steady_clock::time_point now, bool all) {
  if (!joiner_) return;
  EnvelopeDecoder::Joins& joins = decoder_->joins();
  bool any = false;
  for (const MultilineJoiner::Pending& p : joins.multiline) {
    any = any || (p.active && (all || joiner_->expired(p, now)));
  }
  if (!any) return;
  // The records handed over go with the position of the last line read; a batch handed over
  // on the way (full) keeps the records not yet handed over in its join starts.
  auto stamp = [&]() {
    core::Batch* out = writer_->batch();
    if (out == nullptr) return false;
    out->position = last_position_;
    uint64_t starts[EnvelopeDecoder::kStreams];
    decoder_->pending_starts(starts);
    std::copy(std::begin(starts), std::end(starts), out->join_start.begin());
    return true;
  };
  if (!stamp()) return;
  for (size_t s = 0; s < EnvelopeDecoder::kStreams; ++s) {
    MultilineJoiner::Pending& p = joins.multiline[s];
    if (!p.active || !(all || joiner_->expired(p, now))) continue;
    if (!emit_record(p, s) || !stamp()) return;
  }
  std::copy(writer_->batch()->join_start.begin(), writer_->batch()->join_start.end(),
            std::begin(last_join_start_));
  writer_->flush();
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
  // Multi-line records: one clock read per batch of lines, not per line.
  const auto now =
      joiner_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
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
        if (!(joiner_ ? join_line(d, now) : append_decoded(d))) return;
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
        // Its final piece read again after a restore: it was counted before the checkpoint
        // (it was not held in a multi-line record, which takes only whole messages).
        if (line_start >= replay_end()) ++out->too_long;
        break;
    }
  }
  if (end_of_input) {
    DecodeStatus status;
    while (decoder_->flush(d, status)) {
      if (status == DecodeStatus::kRecord) {
        if (!(joiner_ ? join_line(d, now) : append_decoded(d))) return;
      } else {
        if ((out = writer_->batch()) == nullptr) return;
        ++out->too_long;
      }
    }
    if (joiner_) {
      EnvelopeDecoder::Joins& joins = decoder_->joins();
      for (size_t s = 0; s < EnvelopeDecoder::kStreams; ++s) {
        if (joins.multiline[s].active && !emit_record(joins.multiline[s], s)) return;
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
  if (writer_) {
    writer_->set_fields(decoder_->format() != EnvelopeFormat::kNone ? envelope_fields(fields_)
                                                                    : fields_);
  }
}

void LineReader::discard_partial() {
  skipping_ = false;
  if (!batch_) return;
  batch_->size = line_start_;
  scan_from_ = line_start_;
}

}  // namespace logtally::ingest
