// MetricRule: how one record updates one metric (its labels, its value, its scale).
//
// Rules are compiled from the config once and shared read-only by all workers. apply_rule()
// runs per record on a worker thread with the worker's shard locked (see core/metric_store.h);
// it builds the label key in the caller's reused LabelKey and allocates only for a new series.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/metric_store.h"
#include "core/record.h"
#include "transforms/filter.h"
#include "transforms/value_units.h"

namespace re2 {
class RE2;
}

namespace logtally::transforms {

/// One row of a label's `map:` table. The first row that matches the value wins.
struct MapEntry {
  std::string equals;                     ///< Exact value to match (when `regex` is null).
  std::shared_ptr<const re2::RE2> regex;  ///< Pattern matched against the whole value.
  std::string to;                         ///< The label value it becomes.
};

struct LabelRule {
  enum class Kind : uint8_t {
    kField,  ///< Value of the first present field among `slots`, else `default_value`.
    kConst,  ///< Always `default_value`.
  };
  Kind kind = Kind::kField;
  std::vector<uint32_t> slots;  ///< Candidate fields, tried in order.
  std::string default_value;    ///< Used when no candidate is present ("" = no label).
  bool lowercase = false;       ///< Lower-case ASCII letters of the field's value.

  // Rewrites of a field's value (not of `default_value`), applied in this order after
  // `lowercase`: `replace`, then `map`.
  std::shared_ptr<const re2::RE2> replace;  ///< Whole-value pattern; null = no replace.
  std::string replace_with;                 ///< Template; \0..\9 are the pattern's groups.
  std::vector<MapEntry> map;                ///< Value table; empty = no map.
  bool has_unmapped = false;                ///< A value no map row matches becomes `unmapped`.
  std::string unmapped;

  /// True if the value needs more than a copy (or a lower-cased copy) into the key.
  bool rewrites() const noexcept { return replace != nullptr || !map.empty(); }
};

/// One label of a metric's exemplar: its name's length in characters and the field it reads.
struct ExemplarLabelRule {
  uint32_t slot = 0;        ///< The field (read as text).
  uint32_t name_chars = 0;  ///< UTF-8 characters of the label's name.
};

struct MetricRule {
  uint32_t metric = 0;  ///< Index into the MetricStore's specs.
  core::MetricType type = core::MetricType::kCounter;
  std::vector<LabelRule> labels;       ///< In the order of the spec's label_names.
  int32_t value_slot = -1;             ///< -1: counters add 1 per record.
  int32_t subtract_slot = -1;          ///< -1: none; else value = value - this field.
  double scale = 1;                    ///< Multiplies the value (e.g. 0.001 for ms -> s).
  ValueUnit unit = ValueUnit::kNone;   ///< Duration/timestamp text -> seconds, before scale.
  std::shared_ptr<const Filter> when;  ///< The metric's own condition; null = every record.
  /// The exemplar's labels in MetricSpec::exemplar_labels order; empty: no exemplars.
  std::vector<ExemplarLabelRule> exemplar;
};

enum class RuleStatus : uint8_t {
  kOk,             ///< The metric was updated.
  kMissingValue,   ///< The value field (or the `subtract` field) is absent.
  kNotANumber,     ///< The value (or `subtract`) is not a finite number (or numeric string).
  kNegativeValue,  ///< A counter value below zero.
};

/// Reads a rule's value from a field: a JSON number, or a string holding a decimal number.
/// Returns kOk and sets `out` (before scaling) or the reason it cannot.
RuleStatus read_number(const core::FieldValue& field, double& out) noexcept;

/// Reads a rule's value in `unit` (see transforms/value_units.h): seconds for durations and
/// timestamps, else as read_number().
RuleStatus read_value(const core::FieldValue& field, ValueUnit unit, double& out) noexcept;

/// Applies a label's lowercase/replace/map rules to a present field value. Returns a view of
/// either `value` itself, a map row's text, or `scratch` (reused: allocates only while it grows).
std::string_view rewrite_label(const LabelRule& label, std::string_view value,
                               std::string& scratch);

/// The value `rule` takes from `record`: its value field read in its unit, minus `subtract`,
/// times `scale` (1 for a rule without a value field), or why there is none.
RuleStatus rule_value(const MetricRule& rule, const core::Record& record, double& value) noexcept;

/// Updates the rule's metric in `shard` with `value` (from rule_value()) under the labels taken
/// from `record`; the encoded labels are left in `key`. `stamp` orders gauge `set` updates.
/// With an exemplar, the series' slot (a histogram: the bucket's) takes the record's exemplar
/// labels, `value` and `time_ms` (Unix ms): written in place, no allocation.
void rule_update(const MetricRule& rule, const core::Record& record, double value, uint64_t stamp,
                 core::MetricShard& shard, core::LabelKey& key, int64_t time_ms = 0);

/// rule_value() then rule_update(): updates the rule's metric in `shard` from `record`.
RuleStatus apply_rule(const MetricRule& rule, const core::Record& record, uint64_t stamp,
                      core::MetricShard& shard, core::LabelKey& key, int64_t time_ms = 0);

/// Writes the exemplar of `record` (the rule's exemplar fields, `value`, `time_ms`) into `slot`
/// unless the slot holds a later one (by time; ties: the newer record wins), or counts it in the
/// shard's logtally_exemplars_dropped_total when it cannot be kept (over 128 characters, or invalid
/// UTF-8). A record with none of the fields leaves the slot as it is.
void record_exemplar(const MetricRule& rule, const core::Record& record, double value,
                     int64_t time_ms, core::MetricShard& shard, core::Exemplar& slot) noexcept;

}  // namespace logtally::transforms
