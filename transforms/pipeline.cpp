#include "transforms/pipeline.h"

#include <re2/re2.h>

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

void PipelineRunner::run(const core::Batch& batch, core::MetricShard& shard) {
  const uint32_t p = pipeline_.index;
  if (batch.too_long > 0) shard.count_dropped(p, DropReason::kTooLong, batch.too_long);
  if (batch.bad_envelope > 0) {
    shard.count_dropped(p, DropReason::kBadEnvelope, batch.bad_envelope);
  }

  // Per-batch local tallies of drops, flushed once at the end.
  uint64_t dropped[core::kDropReasonCount] = {};
  uint64_t filtered = 0;
  const Filter* filter = filter_.get();
  const bool with_source_fields = !source_fields_.empty();
  if (with_source_fields) source_fields_.bind(batch);
  const size_t n = batch.record_count();
  parser_->begin_batch(batch);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view text = batch.record(i);
    if (is_blank(text)) {
      ++dropped[static_cast<size_t>(DropReason::kEmpty)];
      continue;
    }
    switch (parser_->parse(text, record_)) {
      case parsers::ParseStatus::kOk:
        break;
      case parsers::ParseStatus::kInvalidJson:
        ++dropped[static_cast<size_t>(DropReason::kInvalidJson)];
        continue;
      case parsers::ParseStatus::kNotObject:
        ++dropped[static_cast<size_t>(DropReason::kNotObject)];
        continue;
      case parsers::ParseStatus::kNoMatch:
        ++dropped[static_cast<size_t>(DropReason::kNoMatch)];
        continue;
    }
    // After the parser, which cleared the record and never sees `_source.*` slots; before the
    // filter, which may test them.
    if (with_source_fields) source_fields_.fill(batch, i, record_);
    if (filter != nullptr && !filter->matches(record_)) {
      ++filtered;
      continue;
    }
    // Input order across workers: batch sequence in the high bits, record index in the low.
    const uint64_t stamp = (batch.sequence << 32) | static_cast<uint64_t>(i);
    for (const MetricRule& rule : rules_) {
      if (rule.when && !rule.when->matches(record_)) continue;
      switch (apply_rule(rule, record_, stamp, shard, key_)) {
        case RuleStatus::kOk:
          break;
        case RuleStatus::kMissingValue:
          ++dropped[static_cast<size_t>(DropReason::kMissingValue)];
          break;
        case RuleStatus::kNotANumber:
          ++dropped[static_cast<size_t>(DropReason::kNotANumber)];
          break;
        case RuleStatus::kNegativeValue:
          ++dropped[static_cast<size_t>(DropReason::kNegativeValue)];
          break;
      }
    }
  }
  parser_->end_batch();
  for (size_t r = 0; r < core::kDropReasonCount; ++r) {
    if (dropped[r] > 0) shard.count_dropped(p, static_cast<DropReason>(r), dropped[r]);
  }
  if (filtered > 0) shard.count_filtered(p, filtered);
}

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
  for (uint32_t p : pipelines_by_source_[batch.source]) runners_[worker][p].run(batch, shard);
}

}  // namespace logtally::transforms
