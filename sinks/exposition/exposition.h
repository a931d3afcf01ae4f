// Exposition: a merged Snapshot as prometheus-cpp MetricFamily values (user metrics in config
// order, then logtally's self-metrics), and as Prometheus text format 0.0.4.
//
// Self-metrics:
//   logtally_records_total{source}             lines read (including dropped ones)
//   logtally_bytes_total{source}               bytes read
//   logtally_records_dropped_total{pipeline,reason}  every reason, zeros included
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

/// For to_openmetrics(): each user metric's MetricSample::created_unix_ms, every other family's
/// Snapshot::created_unix_ms, in seconds; nullopt when unknown (0). Holds a copy of the times.
CreatedLookup created_times(const core::Snapshot& snapshot);

/// Text format 0.0.4 of what a reader sees now (MetricStore::read()).
std::string to_text(const core::MetricStore& store);

}  // namespace logtally::sinks
