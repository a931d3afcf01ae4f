// Pipeline: a compiled pipeline (inputs, parser, field plan, metric rules) and the per-worker
// runner that applies it to batches.
//
// Contract:
// - A Pipeline is built once from the config and is immutable; all workers share it.
// - Each worker owns one PipelineRunner per pipeline (its parser, record and label-key scratch).
//   run() is called with the worker's shard locked, once per batch from an input of the
//   pipeline; it never throws on bad input: every record ends in a metric or in
//   logtally_records_dropped_total{pipeline, reason}.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/batch_channel.h"
#include "core/metric_store.h"
#include "core/record.h"
#include "core/tap.h"
#include "parsers/json_parser.h"
#include "parsers/parser.h"
#include "transforms/event_time.h"
#include "transforms/filter.h"
#include "transforms/metric_rule.h"
#include "transforms/source_fields.h"

namespace logtally::transforms {

struct Pipeline {
  std::string name;
  uint32_t index = 0;            ///< Position among pipelines (indexes dropped counters).
  std::vector<uint32_t> inputs;  ///< Source indices.
  /// Makes each worker's parser; JSON unless the config says otherwise.
  std::shared_ptr<const parsers::ParserSpec> parser = parsers::json_parser_spec();
  core::FieldPlan plan;
  std::shared_ptr<const Filter> filter;  ///< Records it rejects are counted, not dropped.
  std::vector<MetricRule> rules;
  /// The record's own time (`timestamp:`): its slot and format; -1/null without one.
  int32_t time_slot = -1;
  std::shared_ptr<const TimeFormat> time_format;
};

/// Where a pipeline's updates go in `logtally backfill`: the shard of the step its event time
/// falls in. One per worker; called on that worker only.
class TimeRouter {
 public:
  virtual ~TimeRouter() = default;
  virtual core::MetricShard& shard_for(int64_t unix_ns) = 0;
};

/// What the traced loop needs beyond the batch: the tap, the batch's source name, the metrics.
struct TapContext {
  core::TapHub& hub;
  std::string_view source;
  const std::vector<core::MetricSpec>& specs;
};

class PipelineRunner {
 public:
  explicit PipelineRunner(const Pipeline& pipeline);
  void run(const core::Batch& batch, core::MetricShard& shard);
  /// Backfill: updates go to the router's shard for each record's event time (the pipeline
  /// must have a `timestamp`), gauges ordered by that time; `shard` only takes the counts of
  /// drops and filtered records.
  void set_router(TimeRouter* router) noexcept { router_ = router; }
  /// run(), also writing one tap object per record into the subscriptions that want this
  /// pipeline (core/tap.h). Counts exactly what run() counts.
  void run_tapped(const core::Batch& batch, core::MetricShard& shard, const TapContext& tap);

 private:
  struct Tracer;
  /// The loop over the batch's records; with kTap, each record's path is written to `tracer`
  /// (the untraced instantiation has none of that code).
  template <bool kTap>
  void run_records(const core::Batch& batch, core::MetricShard& shard, Tracer* tracer);

  const Pipeline& pipeline_;
  std::unique_ptr<parsers::Parser> parser_;
  core::Record record_;
  core::LabelKey key_;
  // This worker's own copies of the filter and rules: every RE2 object in them (=~, map,
  // replace) belongs to this worker alone. RE2 guards its lazily built DFA cache with a
  // reader-writer lock taken on each search; shared objects would make every worker touch the
  // same lock per record.
  std::unique_ptr<Filter> filter_;
  std::vector<MetricRule> rules_;
  SourceFieldBinder source_fields_;
  TimeRouter* router_ = nullptr;
  std::vector<std::string> slot_names_;  ///< Each slot's path as configured (tap "fields").
};

}  // namespace logtally::transforms

namespace logtally::transforms {

/// The workers' BatchHandler: for a batch from source S it locks the worker's shard once,
/// counts the batch in the source's self-metrics, and runs every pipeline that reads from S.
class BatchProcessor final : public core::BatchHandler {
 public:
  BatchProcessor(const std::vector<Pipeline>& pipelines, core::MetricStore& store,
                 size_t source_count);
  void handle(size_t worker, const core::Batch& batch) override;
  /// Batches are traced into `hub` while it has subscriptions (null: never). Before workers run.
  void set_tap(core::TapHub* hub) noexcept { tap_ = hub; }

 private:
  core::MetricStore& store_;
  core::TapHub* tap_ = nullptr;
  std::vector<std::vector<PipelineRunner>> runners_;        ///< [worker][pipeline]
  std::vector<std::vector<uint32_t>> pipelines_by_source_;  ///< [source] -> pipelines
};

}  // namespace logtally::transforms
