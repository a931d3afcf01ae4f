// The JSON a tap writes for one record and pipeline (docs/testing.md):
//   {"source":"app","pipeline":"api","record":"<the line>","fields":{"status":200},
//    "outcome":"counted","updates":[{"metric":"m","labels":{"status":"200"},"value":1}]}
// `outcome` is counted, filtered or dropped (then `reason`, a drop counter reason); a metric
// that could not use the record adds {"metric","reason"} to `drops`. Strings are JSON-escaped
// and invalid UTF-8 is replaced by U+FFFD, so every line is valid JSON whatever the input.
// Used only by the traced pipeline loop (transforms/pipeline.cpp), never on the hot path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace logtally::transforms {

/// Appends `s` as a JSON string (quotes included).
void append_json_string(std::string& out, std::string_view s);
/// Appends a field's value: a JSON number, true/false, or a string.
void append_json_field(std::string& out, const core::FieldValue& v);
/// Appends a finite number in its shortest exact form.
void append_json_number(std::string& out, double v);

/// Builds one tap object, piece by piece, in a reused buffer.
class TapRecord {
 public:
  /// Starts an object: source, pipeline and the record's text (null: a line that was never
  /// read whole, too long or without its envelope).
  void begin(std::string_view source, std::string_view pipeline, const std::string_view* record);
  /// The planned fields present in `record`, named by `names` (one per slot).
  void fields(const core::Record& record, const std::vector<std::string>& names);
  void update(std::string_view metric, const std::vector<std::string>& label_names,
              std::string_view encoded_labels, double value);
  void drop(std::string_view metric, std::string_view reason);
  /// Ends the object with its outcome (and `reason` when not empty); returns the JSON line.
  const std::string& end(std::string_view outcome, std::string_view reason);
  bool has_updates() const noexcept { return !updates_.empty(); }

 private:
  std::string out_;
  std::string updates_;
  std::string drops_;
  bool has_fields_ = false;
};

}  // namespace logtally::transforms
