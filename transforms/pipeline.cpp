#include "transforms/pipeline.h"

#include <re2/re2.h>

#include <chrono>

#include "transforms/tap_record.h"

namespace logtally::transforms {

using core::DropReason;

namespace {

// An empty or all-blank line carries nothing; it is dropped as `empty`, not as broken JSON.
// Only the first byte is looked at for ordinary records.
bool is_blank(std::string_view text) noexcept {
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

namespace {

// A copy of `f` with its own RE2 objects. Recompiling against a copy of the pipeline's plan
// gives the same slots: every field it names is in the plan already.
std::shared_ptr<const Filter> own_copy(const std::shared_ptr<const Filter>& f,
                                       const core::FieldPlan& plan) {
  if (!f) return nullptr;
  core::FieldPlan scratch = plan;
  return std::make_shared<const Filter>(compile_filter(f->text(), scratch).value());
}

std::shared_ptr<const RE2> own_copy(const std::shared_ptr<const RE2>& re) {
  if (!re) return nullptr;
  return std::make_shared<const RE2>(re->pattern(), re->options());
}

}  // namespace

PipelineRunner::PipelineRunner(const Pipeline& pipeline)
    : pipeline_(pipeline),
      parser_(pipeline.parser->make(pipeline.plan)),
      record_(pipeline.plan.slot_count()),
      rules_(pipeline.rules),
      source_fields_(pipeline.plan) {
  slot_names_.reserve(pipeline.plan.slot_count());
  for (uint32_t s = 0; s < pipeline.plan.slot_count(); ++s) {
    slot_names_.push_back(pipeline.plan.path(s).to_string());
  }
  if (pipeline.filter) {
    core::FieldPlan scratch = pipeline.plan;
    filter_ = std::make_unique<Filter>(compile_filter(pipeline.filter->text(), scratch).value());
  }
  for (MetricRule& rule : rules_) {
    rule.when = own_copy(rule.when, pipeline.plan);
    for (LabelRule& label : rule.labels) {
      label.replace = own_copy(label.replace);
      for (MapEntry& e : label.map) e.regex = own_copy(e.regex);
    }
  }
}

// The traced loop's state: the subscriptions of this batch and the object being written.
struct PipelineRunner::Tracer {
  const TapContext& ctx;
  std::vector<std::shared_ptr<core::TapSubscription>> subs;
  TapRecord record;
  DropReason first_drop = DropReason::kCount;  ///< The record's first metric drop (kCount: none).

  void begin(std::string_view pipeline, const std::string_view* text) {
    record.begin(ctx.source, pipeline, text);
    first_drop = DropReason::kCount;
  }
  void drop(std::string_view metric, DropReason reason) {
    record.drop(metric, drop_reason_name(reason));
    if (first_drop == DropReason::kCount) first_drop = reason;
  }
  /// Hands the object to every subscription; false once none takes more.
  bool end(std::string_view outcome, std::string_view reason) {
    const std::string& line = record.end(outcome, reason);
    bool any = false;
    for (const auto& sub : subs) any = sub->offer(line) || any;
    return any;
  }
};

void PipelineRunner::run(const core::Batch& batch, core::MetricShard& shard) {
  run_records<false>(batch, shard, nullptr);
}

void PipelineRunner::run_tapped(const core::Batch& batch, core::MetricShard& shard,
                                const TapContext& tap) {
  Tracer tracer{tap, {}, {}, DropReason::kCount};
  tap.hub.interested(pipeline_.name, tracer.subs);
  if (tracer.subs.empty()) {
    run_records<false>(batch, shard, nullptr);
  } else {
    run_records<true>(batch, shard, &tracer);
  }
}

template <bool kTap>
void PipelineRunner::run_records(const core::Batch& batch, core::MetricShard& shard,
                                 Tracer* tracer) {
  const uint32_t p = pipeline_.index;
  if (batch.too_long > 0) shard.count_dropped(p, DropReason::kTooLong, batch.too_long);
  if (batch.bad_envelope > 0) {
    shard.count_dropped(p, DropReason::kBadEnvelope, batch.bad_envelope);
  }
  // Traced: lines the source could not hand over whole still get an object each.
  [[maybe_unused]] bool tracing = kTap;
  if constexpr (kTap) {
    for (uint64_t k = 0; tracing && k < batch.too_long; ++k) {
      tracer->begin(pipeline_.name, nullptr);
      tracing = tracer->end("dropped", drop_reason_name(DropReason::kTooLong));
    }
    for (uint64_t k = 0; tracing && k < batch.bad_envelope; ++k) {
      tracer->begin(pipeline_.name, nullptr);
      tracing = tracer->end("dropped", drop_reason_name(DropReason::kBadEnvelope));
    }
  }

  // Per-batch local tallies of drops, flushed once at the end.
  uint64_t dropped[core::kDropReasonCount] = {};
  uint64_t filtered = 0;
  uint64_t counted = 0;
  const Filter* filter = filter_.get();
  const TimeFormat* time_format = pipeline_.time_format.get();
  const bool with_source_fields = !source_fields_.empty();
  if (with_source_fields) source_fields_.bind(batch);
  const size_t n = batch.record_count();
  // Exemplars' time without `timestamp:`: when the batch is counted (one clock read a batch).
  const int64_t read_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  parser_->begin_batch(batch);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view text = batch.record(i);
    if constexpr (kTap) {
      if (tracing) tracer->begin(pipeline_.name, &text);
    }
    // Traced: ends the record's object with `outcome` (and `reason`; kCount: none). Untraced,
    // it is empty and nothing of it (not even the reason's name) is evaluated.
    auto trace_end = [&](std::string_view outcome, DropReason reason) {
      if constexpr (kTap) {
        if (tracing) {
          tracing = tracer->end(outcome, reason == DropReason::kCount ? std::string_view()
                                                                      : drop_reason_name(reason));
        }
      }
    };
    // A dropped record is kept in the shard's ring of recent drops (the status page); only
    // drops pay for it. Its order: batch sequence in the high bits, record index in the low.
    auto drop = [&](DropReason reason, uint32_t metric = core::kNoMetric) {
      ++dropped[static_cast<size_t>(reason)];
      shard.sample_drop(p, reason, text, (batch.sequence << 32) | static_cast<uint64_t>(i), metric);
    };
    if (is_blank(text)) {
      drop(DropReason::kEmpty);
      trace_end("dropped", DropReason::kEmpty);
      continue;
    }
    switch (parser_->parse(text, record_)) {
      case parsers::ParseStatus::kOk:
        break;
      case parsers::ParseStatus::kInvalidJson:
        drop(DropReason::kInvalidJson);
        trace_end("dropped", DropReason::kInvalidJson);
        continue;
      case parsers::ParseStatus::kNotObject:
        drop(DropReason::kNotObject);
        trace_end("dropped", DropReason::kNotObject);
        continue;
      case parsers::ParseStatus::kNoMatch:
        drop(DropReason::kNoMatch);
        trace_end("dropped", DropReason::kNoMatch);
        continue;
    }
    // After the parser, which cleared the record and never sees `_source.*` slots; before the
    // filter, which may test them.
    if (with_source_fields) source_fields_.fill(batch, i, record_);
    if constexpr (kTap) {
      if (tracing) tracer->record.fields(record_, slot_names_);
    }
    if (filter != nullptr && !filter->matches(record_)) {
      ++filtered;
      trace_end("filtered", DropReason::kCount);
      continue;
    }
    // Input order across workers: batch sequence in the high bits, record index in the low.
    uint64_t stamp = (batch.sequence << 32) | static_cast<uint64_t>(i);
    core::MetricShard* target = &shard;
    int64_t time_ms = read_ms;
    if (time_format != nullptr) {
      const core::FieldValue& v = record_.slot(static_cast<uint32_t>(pipeline_.time_slot));
      int64_t event_ns = 0;
      if ((v.kind != core::FieldValue::Kind::kString &&
           v.kind != core::FieldValue::Kind::kNumber) ||
          !time_format->parse(v.text, event_ns)) {
        drop(DropReason::kBadTimestamp);
        trace_end("dropped", DropReason::kBadTimestamp);
        continue;
      }
      // Milliseconds, rounded down (also before 1970).
      time_ms = event_ns / 1000000 - (event_ns % 1000000 < 0 ? 1 : 0);
      if (router_ != nullptr) {
        target = &router_->shard_for(event_ns);
        // Gauges keep the value of the latest event time (offset so that it is unsigned).
        stamp = static_cast<uint64_t>(event_ns) ^ (uint64_t{1} << 63);
      }
    }
    ++counted;
    for (const MetricRule& rule : rules_) {
      if (rule.when && !rule.when->matches(record_)) continue;
      RuleStatus st = RuleStatus::kOk;
      if constexpr (kTap) {
        double value = 1;
        st = rule_value(rule, record_, value);
        if (st == RuleStatus::kOk) {
          rule_update(rule, record_, value, stamp, *target, key_, time_ms);
          if (tracing) {
            const core::MetricSpec& spec = tracer->ctx.specs[rule.metric];
            tracer->record.update(spec.name, spec.label_names, key_.view(), value);
          }
        }
      } else {
        st = apply_rule(rule, record_, stamp, *target, key_, time_ms);
      }
      // Traced: a metric that could not use the record.
      auto trace_drop = [&](DropReason reason) {
        if constexpr (kTap) {
          if (tracing) tracer->drop(tracer->ctx.specs[rule.metric].name, reason);
        }
      };
      switch (st) {
        case RuleStatus::kOk:
          break;
        case RuleStatus::kMissingValue:
          drop(DropReason::kMissingValue, rule.metric);
          trace_drop(DropReason::kMissingValue);
          break;
        case RuleStatus::kNotANumber:
          drop(DropReason::kNotANumber, rule.metric);
          trace_drop(DropReason::kNotANumber);
          break;
        case RuleStatus::kNegativeValue:
          drop(DropReason::kNegativeValue, rule.metric);
          trace_drop(DropReason::kNegativeValue);
          break;
      }
    }
    if constexpr (kTap) {
      // Counted if a metric was updated (or none applied); dropped if metrics could not use it
      // and none was updated.
      if (tracing) {
        const bool dropped_only =
            tracer->first_drop != DropReason::kCount && !tracer->record.has_updates();
        trace_end(dropped_only ? "dropped" : "counted",
                  dropped_only ? tracer->first_drop : DropReason::kCount);
      }
    }
  }
  parser_->end_batch();
  for (size_t r = 0; r < core::kDropReasonCount; ++r) {
    if (dropped[r] > 0) shard.count_dropped(p, static_cast<DropReason>(r), dropped[r]);
  }
  if (filtered > 0) shard.count_filtered(p, filtered);
  if (counted > 0) shard.count_counted(p, counted);
}

template void PipelineRunner::run_records<false>(const core::Batch&, core::MetricShard&, Tracer*);
template void PipelineRunner::run_records<true>(const core::Batch&, core::MetricShard&, Tracer*);

}  // namespace logtally::transforms

namespace logtally::transforms {

BatchProcessor::BatchProcessor(const std::vector<Pipeline>& pipelines, core::MetricStore& store,
                               size_t source_count)
    : store_(store), pipelines_by_source_(source_count) {
  runners_.resize(store.shard_count());
  for (auto& worker_runners : runners_) {
    worker_runners.reserve(pipelines.size());
    for (const Pipeline& p : pipelines) worker_runners.emplace_back(p);
  }
  for (const Pipeline& p : pipelines) {
    for (uint32_t s : p.inputs) pipelines_by_source_[s].push_back(p.index);
  }
}

void BatchProcessor::handle(size_t worker, const core::Batch& batch) {
  core::MetricShard& shard = store_.shard(worker);
  std::lock_guard<std::mutex> lock(shard.mutex());
  shard.set_now(core::MetricStore::steady_now_ms());  // expiry's time base: one read per batch
  shard.count_source(batch.source, batch.record_count() + batch.too_long + batch.bad_envelope,
                     batch.bytes_read);
  // The tap's one check per batch (core/tap.h): untraced unless someone taps.
  if (tap_ != nullptr && tap_->active()) [[unlikely]] {
    const TapContext ctx{*tap_, store_.source_names()[batch.source], store_.specs()};
    for (uint32_t p : pipelines_by_source_[batch.source]) {
      runners_[worker][p].run_tapped(batch, shard, ctx);
    }
    return;
  }
  for (uint32_t p : pipelines_by_source_[batch.source]) runners_[worker][p].run(batch, shard);
}

}  // namespace logtally::transforms
