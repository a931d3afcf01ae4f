// Build: turns a validated Config into the runtime objects (metric specs, compiled pipelines,
// sources, sinks). Type names map to factories here, in plain tables filled explicitly (no
// static-initializer registration, which static libraries silently drop).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/metric_store.h"
#include "ingest/source.h"
#include "sinks/sink.h"
#include "transforms/pipeline.h"

namespace logtally::config {

struct Compiled {
  std::vector<core::MetricSpec> specs;
  std::vector<transforms::Pipeline> pipelines;
  std::vector<std::string> source_names;
  std::vector<std::string> pipeline_names;
  /// Native histogram recording for the store: on when a remote_write sink asks for it, with
  /// the finest schema any of them asks for (sinks with a coarser one downscale when encoding).
  core::NativeHistogramOptions native;
};

/// Metric specs and pipelines with their field plans. Cannot fail on a loaded Config.
Compiled compile(const Config& config);

/// `self_metrics` (may be null) receives the sources' own metrics (Kafka lag, rebalances).
std::vector<std::unique_ptr<ingest::Source>> make_sources(const Config& config,
                                                          ingest::SourceMode mode);
/// Same, registering the sources' own self-metrics (files watched, rotations) in `self_metrics`.
std::vector<std::unique_ptr<ingest::Source>> make_sources(const Config& config,
                                                          ingest::SourceMode mode,
                                                          core::SelfMetrics* self_metrics);
std::vector<std::unique_ptr<sinks::Sink>> make_sinks(const Config& config,
                                                     const core::MetricStore& store);

/// What `logtally check` prints: sources, pipelines with their planned fields and rules, sinks.
std::string describe(const Config& config, const Compiled& compiled);

}  // namespace logtally::config
