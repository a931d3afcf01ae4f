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

class PipelineRunner {
 public:
  explicit PipelineRunner(const Pipeline& pipeline);
  void run(const core::Batch& batch, core::MetricShard& shard);
  /// Backfill: updates go to the router's shard for each record's event time (the pipeline
  /// must have a `timestamp`), gauges ordered by that time; `shard` only takes the counts of
  /// drops and filtered records.
  void set_router(TimeRouter* router) noexcept { router_ = router; }

 private:
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

 private:
  core::MetricStore& store_;
  std::vector<std::vector<PipelineRunner>> runners_;        ///< [worker][pipeline]
  std::vector<std::vector<uint32_t>> pipelines_by_source_;  ///< [source] -> pipelines
};

}  // namespace logtally::transforms
