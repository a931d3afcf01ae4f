// logtally's own Grafana dashboard (deploy/grafana/logtally.json): its self-metrics
// (docs/metrics.md) per instance: lines and bytes per source, drops by reason, filtered,
// series per metric and overflow, Kafka lag, checkpoint age and duration, sink sends, failures
// and retries. Same builder as `logtally dashboard` (monitoring/dashboard.h).
#pragma once

#include <string>

namespace logtally::monitoring {

/// The dashboard's JSON; the checked-in deploy/grafana/logtally.json is exactly this (a test
/// compares them; regenerate with build/tests/e2e/self_dashboard > deploy/grafana/logtally.json).
std::string self_dashboard_json();

}  // namespace logtally::monitoring
