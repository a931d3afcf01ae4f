// SourceFieldBinder: fills a record's `_source.*` slots (core/source_fields.h) from its batch.
//
// Contract:
// - One binder per PipelineRunner (one worker). bind() runs once per batch: it looks each
//   planned source field up by name in the batch's SourceFields table (a few string compares
//   per batch). fill() runs once per record after the parser: it copies a string_view per
//   planned source field; no allocation, lock or atomic.
// - A planned field the batch does not provide stays absent (a label falls back to its next
//   candidate or its default; a value counts as missing_value).
#pragma once

#include <cstdint>
#include <vector>

#include "core/batch.h"
#include "core/record.h"

namespace logtally::transforms {

class SourceFieldBinder {
 public:
  explicit SourceFieldBinder(const core::FieldPlan& plan);

  /// True when the plan uses no source field (the runner can skip fill()).
  bool empty() const noexcept { return fields_.empty(); }

  void bind(const core::Batch& batch) noexcept;
  void fill(const core::Batch& batch, size_t record, core::Record& out) const noexcept;

 private:
  struct Bound {
    uint32_t slot = 0;
    int column = -1;         ///< Record-level column in the batch, or -1.
    bool has_value = false;  ///< A batch-level value exists (used when the column has none).
    std::string_view value;
  };
  const core::FieldPlan& plan_;
  std::vector<Bound> fields_;  ///< One per plan.source_fields(), same order.
};

}  // namespace logtally::transforms
