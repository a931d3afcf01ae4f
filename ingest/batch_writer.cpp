#include "ingest/batch_writer.h"

#include <cstring>

namespace logtally::ingest {

bool BatchWriter::append(std::string_view record) {
  if (batch_ && batch_->capacity() - batch_->size < record.size()) {
    if (!flush()) return false;
  }
  core::Batch* b = batch();
  if (b == nullptr) return false;
  std::memcpy(b->data() + b->size, record.data(), record.size());
  b->spans.push_back(
      core::Span{static_cast<uint32_t>(b->size), static_cast<uint32_t>(record.size())});
  b->size += record.size();
  return true;
}

bool BatchWriter::flush() {
  if (!batch_) return true;
  if (batch_->spans.empty() && batch_->too_long == 0 && batch_->bad_envelope == 0 &&
      batch_->bytes_read == 0) {
    return true;  // Nothing to hand over; keep it for the next records.
  }
  return channel_.push(std::move(batch_));
}

}  // namespace logtally::ingest
