// Exposition: a merged Snapshot as prometheus-cpp MetricFamily values (user metrics in config
// order, then logtally's self-metrics), and as Prometheus text format 0.0.4.
//
// Self-metrics:
//   logtally_records_total{source}             lines read (including dropped ones)
//   logtally_bytes_total{source}               bytes read
//   logtally_records_dropped_total{pipeline,reason}  every reason, zeros included
//   logtally_series_overflow_total{metric}     metrics with max_series only
//   logtally_exemplars_dropped_total{metric,reason}  metrics with an exemplar only
//   logtally_series{metric}                    series currently held per metric
//   logtally_build_info{version}               always 1
// then the families sources and sinks registered in MetricStore::self_metrics(), as the
// snapshot carries them (Snapshot::self).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "core/metric_store.h"
#include "sinks/exposition/openmetrics.h"

namespace logtally::sinks {

std::vector<prometheus::MetricFamily> to_families(const core::MetricStore& store,
                                                  const core::Snapshot& snapshot);

/// What logtally's own families (every family after the user metrics) are built from.
struct OwnFamiliesInput {
  const std::vector<std::string>& source_names;
  const std::vector<uint64_t>& source_records;
  const std::vector<uint64_t>& source_bytes;
  const std::vector<std::string>& pipeline_names;
  const std::vector<uint64_t>& dropped;
  const std::vector<uint64_t>& filtered;
  const std::vector<uint64_t>& overflow;
  const std::vector<uint64_t>& exemplars_dropped;  ///< [metric * kExemplarDropCount + reason]
  std::vector<const core::MetricSpec*> specs;      ///< The user metrics, in config order.
  std::vector<size_t> series_counts;               ///< [metric]: series held (logtally_series).
  const std::vector<core::SelfMetrics::FamilySample>& self;
};
/// Appends logtally's own families, as to_families() does after the user metrics.
void append_own_families(const OwnFamiliesInput& in, std::vector<prometheus::MetricFamily>& out);

/// A user's `help:` escaped for text 0.0.4 (`\\` and `\n`; prometheus-cpp writes HELP verbatim).
std::string escape_help(std::string_view help);

/// For to_openmetrics(): each user metric's MetricSample::created_unix_ms, every other family's
/// Snapshot::created_unix_ms, in seconds; nullopt when unknown (0). Holds a copy of the times.
CreatedLookup created_times(const core::Snapshot& snapshot);

/// Text format 0.0.4 of what a reader sees now (MetricStore::read()).
std::string to_text(const core::MetricStore& store);

}  // namespace logtally::sinks
