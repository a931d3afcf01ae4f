#include "ingest/batch_writer.h"

#include <cstring>

namespace logtally::ingest {

bool BatchWriter::append(std::string_view record, const std::string_view* columns, size_t n) {
  size_t need = record.size();
  for (size_t c = 0; c < n; ++c) need += columns[c].size();
  if (batch_ && batch_->capacity() - batch_->size < need) {
    if (!flush()) return false;
  }
  core::Batch* b = batch();
  if (b == nullptr) return false;
  char* d = b->data();
  std::memcpy(d + b->size, record.data(), record.size());
  b->spans.push_back(
      core::Span{static_cast<uint32_t>(b->size), static_cast<uint32_t>(record.size())});
  b->size += record.size();
  // Column values go after the record; the record is still followed by readable bytes up to
  // the padding after the buffer's capacity, which is all a parser needs.
  for (size_t c = 0; c < n; ++c) {
    if (columns[c].data() == nullptr) {
      b->record_fields.push_back(core::Span{0, core::kAbsentSpan});
      continue;
    }
    std::memcpy(d + b->size, columns[c].data(), columns[c].size());
    b->record_fields.push_back(
        core::Span{static_cast<uint32_t>(b->size), static_cast<uint32_t>(columns[c].size())});
    b->size += columns[c].size();
  }
  return true;
}

bool BatchWriter::set_fields(core::SourceFieldsPtr fields) {
  if (fields == fields_) return true;
  if (batch_ && !batch_->spans.empty()) {
    if (!flush()) return false;
  }
  fields_ = std::move(fields);
  if (batch_) batch_->fields = fields_;
  return true;
}

bool BatchWriter::flush() {
  if (!batch_) return true;
  if (batch_->spans.empty() && batch_->too_long == 0 && batch_->bad_envelope == 0 &&
      batch_->bytes_read == 0) {
    return true;  // Nothing to hand over; keep it for the next records.
  }
  return channel_.push(std::move(batch_), on_queued_, on_queued_context_);
}

}  // namespace logtally::ingest
