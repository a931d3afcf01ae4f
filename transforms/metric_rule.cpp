#include "transforms/metric_rule.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/utf8.h"

namespace logtally::transforms {

using core::FieldValue;

RuleStatus read_number(const FieldValue& field, double& out) noexcept {
  switch (field.kind) {
    case FieldValue::Kind::kAbsent:
      return RuleStatus::kMissingValue;
    case FieldValue::Kind::kBool:
      return RuleStatus::kNotANumber;
    case FieldValue::Kind::kNumber:
      if (field.has_number) {
        out = field.number;
        return std::isfinite(out) ? RuleStatus::kOk : RuleStatus::kNotANumber;
      }
      [[fallthrough]];
    case FieldValue::Kind::kString: {
      std::string_view t = field.text;
      // Tolerate surrounding blanks ("  12 ") and a leading '+', which from_chars rejects.
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
      if (!t.empty() && t.front() == '+') t.remove_prefix(1);
      if (t.empty()) return RuleStatus::kNotANumber;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
      if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(out)) {
        return RuleStatus::kNotANumber;
      }
      return RuleStatus::kOk;
    }
  }
  return RuleStatus::kNotANumber;
}

std::string_view rewrite_label(const LabelRule& label, std::string_view value,
                               std::string& scratch) {
  if (label.lowercase) {
    scratch.assign(value);
    for (char& c : scratch) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    value = scratch;
  }
  if (label.replace) {
    // Up to 10 groups (\0..\9); the array lives on the stack, so nothing is allocated.
    re2::StringPiece groups[10];
    const int n = std::min(10, label.replace->NumberOfCapturingGroups() + 1);
    const re2::StringPiece in(value.data(), value.size());
    if (label.replace->Match(in, 0, in.size(), RE2::ANCHOR_BOTH, groups, n)) {
      // `value` may point into `scratch`: build the result after the groups are read, in a
      // second buffer swapped in (the thread_local keeps its capacity between records).
      static thread_local std::string out;
      out.clear();
      const std::string& t = label.replace_with;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') {
          const int g = t[i + 1] - '0';
          if (g < n) out.append(groups[g].data(), groups[g].size());
          ++i;
        } else if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '\\') {
          out += '\\';
          ++i;
        } else {
          out += t[i];
        }
      }
      scratch.swap(out);
      value = scratch;
    }
  }
  if (!label.map.empty()) {
    for (const MapEntry& e : label.map) {
      const bool hit = e.regex
                           ? RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *e.regex)
                           : e.equals == value;
      if (hit) return e.to;
    }
    if (label.has_unmapped) return label.unmapped;
  }
  return value;
}

RuleStatus read_value(const FieldValue& field, ValueUnit unit, double& out) noexcept {
  if (unit == ValueUnit::kNone) return read_number(field, out);
  if (field.kind == FieldValue::Kind::kAbsent) return RuleStatus::kMissingValue;
  if (field.kind == FieldValue::Kind::kBool) return RuleStatus::kNotANumber;
  double v = 0;
  bool ok = false;
  if (unit == ValueUnit::kDuration) {
    // A number is seconds; text may also carry units ("1.5s", "12ms").
    if (field.kind == FieldValue::Kind::kNumber && field.has_number) {
      v = field.number;
      ok = true;
    } else {
      ok = parse_duration(field.text, v);
    }
  } else {
    // A number (or numeric text) is epoch time in s, ms, us or ns; other text is RFC 3339.
    if (read_number(field, v) == RuleStatus::kOk) {
      v = epoch_seconds(v);
      ok = true;
    } else {
      ok = field.kind == FieldValue::Kind::kString && parse_rfc3339(field.text, v);
    }
  }
  if (!ok || !std::isfinite(v)) return RuleStatus::kNotANumber;
  out = v;
  return RuleStatus::kOk;
}

namespace {

// The two halves of apply_rule(), inlined into it (the per-record path) and also called on
// their own by the traced pipeline loop through rule_value() and rule_update().
[[gnu::always_inline]] inline RuleStatus value_of(const MetricRule& rule,
                                                  const core::Record& record,
                                                  double& value) noexcept {
  value = 1;
  if (rule.value_slot < 0) return RuleStatus::kOk;
  const RuleStatus st =
      read_value(record.slot(static_cast<uint32_t>(rule.value_slot)), rule.unit, value);
  if (st != RuleStatus::kOk) return st;
  if (rule.subtract_slot >= 0) {
    // Read the same way as the value (same unit), then the difference is scaled.
    double minus = 0;
    const RuleStatus sub =
        read_value(record.slot(static_cast<uint32_t>(rule.subtract_slot)), rule.unit, minus);
    if (sub != RuleStatus::kOk) return sub;
    value -= minus;
  }
  value *= rule.scale;
  if (!std::isfinite(value)) return RuleStatus::kNotANumber;
  if (rule.type == core::MetricType::kCounter && value < 0) return RuleStatus::kNegativeValue;
  return RuleStatus::kOk;
}

[[gnu::always_inline]] inline void update_with(const MetricRule& rule, const core::Record& record,
                                               double value, uint64_t stamp,
                                               core::MetricShard& shard, core::LabelKey& key,
                                               int64_t time_ms) {
  key.clear();
  for (const LabelRule& label : rule.labels) {
    const FieldValue* found = nullptr;
    if (label.kind == LabelRule::Kind::kField) {
      for (uint32_t s : label.slots) {
        const FieldValue& f = record.slot(s);
        if (f.kind != FieldValue::Kind::kAbsent) {
          found = &f;
          break;
        }
      }
    }
    if (found == nullptr) {
      key.add(label.default_value);
    } else if (label.rewrites()) {
      // Per-thread scratch for rewritten values: warmed up by the first records, then reused.
      static thread_local std::string scratch;
      key.add(rewrite_label(label, found->text, scratch));
    } else if (label.lowercase) {
      key.add_lowercase(found->text);
    } else {
      key.add(found->text);
    }
  }

  const uint32_t series = shard.series(rule.metric, key.view());
  size_t bucket = 0;
  switch (rule.type) {
    case core::MetricType::kCounter:
      shard.counter_add(rule.metric, series, value);
      break;
    case core::MetricType::kGauge:
      shard.gauge_update(rule.metric, series, value, stamp);
      return;
    case core::MetricType::kHistogram:
      bucket = shard.histogram_observe(rule.metric, series, value);
      break;
  }
  if (!rule.exemplar.empty()) [[unlikely]] {
    record_exemplar(rule, record, value, time_ms, shard,
                    shard.exemplar(rule.metric, series, bucket));
  }
}

// UTF-8 characters of valid UTF-8 text: every byte that does not continue a character.
size_t utf8_chars(std::string_view s) noexcept {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

RuleStatus rule_value(const MetricRule& rule, const core::Record& record, double& value) noexcept {
  return value_of(rule, record, value);
}

void rule_update(const MetricRule& rule, const core::Record& record, double value, uint64_t stamp,
                 core::MetricShard& shard, core::LabelKey& key, int64_t time_ms) {
  update_with(rule, record, value, stamp, shard, key, time_ms);
}

void record_exemplar(const MetricRule& rule, const core::Record& record, double value,
                     int64_t time_ms, core::MetricShard& shard, core::Exemplar& slot) noexcept {
  // The slot keeps the latest record by time (event time when the pipeline has one): an older
  // record, which arrived late, leaves it. Prometheus refuses an exemplar older than the one
  // it last took for a series, so an older one would not be stored anyway.
  if (slot.set && time_ms < slot.unix_ms) return;
  // Checked first, written after: a label set that cannot be kept leaves the slot as it was.
  size_t chars = 0;
  size_t bytes = 0;
  bool any = false;
  for (const ExemplarLabelRule& l : rule.exemplar) {
    const FieldValue& f = record.slot(l.slot);
    bytes += 1;
    if (f.kind == FieldValue::Kind::kAbsent) continue;
    any = true;
    if (!core::is_valid_utf8(f.text)) {
      shard.count_exemplar_dropped(rule.metric, core::ExemplarDrop::kInvalidUtf8);
      return;
    }
    chars += l.name_chars + utf8_chars(f.text);
    bytes += f.text.size();
  }
  if (!any) return;
  if (chars > core::kExemplarMaxChars || bytes > core::Exemplar::kCapacity) {
    shard.count_exemplar_dropped(rule.metric, core::ExemplarDrop::kTooLong);
    return;
  }
  size_t at = 0;
  for (const ExemplarLabelRule& l : rule.exemplar) {
    const FieldValue& f = record.slot(l.slot);
    const std::string_view v = f.kind == FieldValue::Kind::kAbsent ? std::string_view() : f.text;
    slot.data[at] = static_cast<char>(v.size());
    if (!v.empty()) std::memcpy(slot.data + at + 1, v.data(), v.size());
    at += 1 + v.size();
  }
  slot.size = static_cast<uint8_t>(at);
  slot.value = value;
  slot.unix_ms = time_ms;
  slot.set = true;
}

RuleStatus apply_rule(const MetricRule& rule, const core::Record& record, uint64_t stamp,
                      core::MetricShard& shard, core::LabelKey& key, int64_t time_ms) {
  // The value first: a record that cannot supply it must not create a series.
  double value = 1;
  const RuleStatus st = value_of(rule, record, value);
  if (st != RuleStatus::kOk) return st;
  update_with(rule, record, value, stamp, shard, key, time_ms);
  return RuleStatus::kOk;
}

}  // namespace logtally::transforms
