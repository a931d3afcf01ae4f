// The body of a scrape, written straight from a MetricStore::read_view(): the user metrics'
// series go from the merged state to text with no MetricFamily, ClientMetric or decoded label
// vector per series (at 1M series those cost seconds and hundreds of MiB), then logtally's own
// families as to_families() builds them. The bytes are exactly what TextSerializer (text 0.0.4)
// or to_openmetrics() (with created_times()) give for to_families() of the same state
// (tests/sinks/exposition/scrape_body_test.cpp compares them), except exemplars: only this
// writes them (OpenMetrics only, `# {trace_id="..."} VALUE TIME` after a counter's sample and
// each histogram bucket; text 0.0.4 cannot carry them).
//
// Runs on the exporter's request thread; takes no lock of the store (the view is immutable).
#pragma once

#include <string>

#include "core/metric_store.h"
#include "sinks/exposition/openmetrics.h"

namespace logtally::sinks {

std::string scrape_body(const core::ReadView& view, ExpositionFormat format);

}  // namespace logtally::sinks
