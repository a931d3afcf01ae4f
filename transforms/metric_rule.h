// MetricRule: how one record updates one metric (its labels, its value, its scale).
//
// Rules are compiled from the config once and shared read-only by all workers. apply_rule()
// runs per record on a worker thread with the worker's shard locked (see core/metric_store.h);
// it builds the label key in the caller's reused LabelKey and allocates only for a new series.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/metric_store.h"
#include "core/record.h"
#include "transforms/value_units.h"

namespace logtally::transforms {

struct LabelRule {
  enum class Kind : uint8_t {
    kField,  ///< Value of the first present field among `slots`, else `default_value`.
    kConst,  ///< Always `default_value`.
  };
  Kind kind = Kind::kField;
  std::vector<uint32_t> slots;  ///< Candidate fields, tried in order.
  std::string default_value;    ///< Used when no candidate is present ("" = no label).
  bool lowercase = false;       ///< Lower-case ASCII letters of the field's value.
};

struct MetricRule {
  uint32_t metric = 0;  ///< Index into the MetricStore's specs.
  core::MetricType type = core::MetricType::kCounter;
  std::vector<LabelRule> labels;      ///< In the order of the spec's label_names.
  int32_t value_slot = -1;            ///< -1: counters add 1 per record.
  double scale = 1;                   ///< Multiplies the value (e.g. 0.001 for ms -> s).
  ValueUnit unit = ValueUnit::kNone;  ///< Duration/timestamp text -> seconds, before scale.
};

enum class RuleStatus : uint8_t {
  kOk,             ///< The metric was updated.
  kMissingValue,   ///< The value field is absent.
  kNotANumber,     ///< The value is not a finite number (or numeric string).
  kNegativeValue,  ///< A counter value below zero.
};

/// Reads a rule's value from a field: a JSON number, or a string holding a decimal number.
/// Returns kOk and sets `out` (before scaling) or the reason it cannot.
RuleStatus read_number(const core::FieldValue& field, double& out) noexcept;

/// Reads a rule's value in `unit` (see transforms/value_units.h): seconds for durations and
/// timestamps, else as read_number().
RuleStatus read_value(const core::FieldValue& field, ValueUnit unit, double& out) noexcept;

/// Updates the rule's metric in `shard` from `record`. `stamp` orders gauge `set` updates.
RuleStatus apply_rule(const MetricRule& rule, const core::Record& record, uint64_t stamp,
                      core::MetricShard& shard, core::LabelKey& key);

}  // namespace logtally::transforms
