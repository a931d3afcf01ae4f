// Source fields: values a source knows beside the record's own bytes (the file a line came
// from, the named groups of its path pattern, a Kafka topic and partition, a container
// envelope's stream and time). Pipelines use them like any field, under the reserved first
// segment `_source`: `_source.path`, `_source.pod`, `_source.stream`.
//
// Contract:
// - Two kinds travel in a core::Batch:
//   * batch-level fields, constant for the whole batch: a name and a value in a SourceFields
//     table the source builds once (per file, per partition) and shares between its batches
//     through a shared_ptr (one reference-count step per batch, nothing per record);
//   * record-level fields: the table names its columns (`record_columns`); the batch holds
//     record_count() * record_columns.size() spans into its own buffer, row-major, in
//     `Batch::record_fields`. A span whose length is kAbsentSpan means "absent for this
//     record". A source that decodes an envelope (CRI, docker json-file) in its own thread
//     points the record span at the message and the column spans at `stream`, `time`.
// - Names are stored without the `_source.` prefix ("path", "pod", "stream"). A name may be
//   both a batch field and a column; the column wins for records where it is present.
// - Parsers never see source fields: a FieldPlan keeps `_source.*` paths out of the parse trie
//   (core/record.h), and the pipeline fills those slots after parsing
//   (transforms/source_fields.h). So a JSON key `_source` in the record itself is shadowed:
//   `_source.x` always means the source's field x, never the record's {"_source":{"x":..}}.
// - Values are text; a metric value taken from one (`value: _source.partition`) is parsed as
//   a number the way a numeric string in JSON is.
// - The table is immutable once a batch refers to it: to change a value (a new file, a
//   rotation onto a path with other groups), a source builds a new table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logtally::core {

/// The first path segment that names source fields.
inline constexpr std::string_view kSourceFieldPrefix = "_source";

/// Span length meaning "this record has no value for this column".
inline constexpr uint32_t kAbsentSpan = UINT32_MAX;

struct SourceFields {
  /// Batch-level fields: (name without prefix, value).
  std::vector<std::pair<std::string, std::string>> values;
  /// Names of the record-level columns, in the order of Batch::record_fields rows.
  std::vector<std::string> record_columns;

  /// Index into `values`, or -1.
  int find_value(std::string_view name) const noexcept {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].first == name) return static_cast<int>(i);
    }
    return -1;
  }
  /// Index into `record_columns`, or -1.
  int find_column(std::string_view name) const noexcept {
    for (size_t i = 0; i < record_columns.size(); ++i) {
      if (record_columns[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

using SourceFieldsPtr = std::shared_ptr<const SourceFields>;

}  // namespace logtally::core
