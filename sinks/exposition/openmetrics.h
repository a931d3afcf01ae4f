// OpenMetrics 1.0.0 text exposition of prometheus-cpp MetricFamily values, and the choice
// between it and the Prometheus text format 0.0.4 from a scraper's `Accept` header.
//
// prometheus-cpp 1.0.1 writes only text 0.0.4, so the exporter serves OpenMetrics itself
// (see docs/sinks.md). Differences from 0.0.4 that matter here:
// - a counter family is named without `_total` and its sample carries it; a counter whose
//   name lacks `_total` is typed `unknown`, so the series name is the same in both formats;
// - HELP escapes `"` too; the body ends with `# EOF`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace logtally::sinks {

enum class ExpositionFormat : uint8_t {
  kText004,         ///< text/plain; version=0.0.4
  kOpenMetrics100,  ///< application/openmetrics-text; version=1.0.0
};

inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// OpenMetrics when the Accept header asks for `application/openmetrics-text` with a q-value
/// above zero and at least that of `text/plain` and `*/*`; text 0.0.4 otherwise (also for an
/// absent or empty header).
ExpositionFormat negotiate_format(std::string_view accept);

/// A sample value as OpenMetrics writes it: `NaN`, `+Inf`, `-Inf`, else std::to_chars' shortest.
void append_openmetrics_number(std::string& out, double v);

/// Since when a family counts (Unix seconds), by its name; nullopt: unknown.
using CreatedLookup = std::function<std::optional<double>(const std::string& family)>;

/// `families` as OpenMetrics text. HELP strings are taken as already escaped for text 0.0.4
/// (`\\` and `\n`, as sinks/exposition/exposition.cpp does); `"` is escaped here. With
/// `created`, every series of a counter (a family typed `counter`) or histogram whose time is
/// known also carries `<family>_created`: since when it counts, so a reader can tell a restart
/// or a re-created metric (a new `_created`) from a counter that went down.
std::string to_openmetrics(const std::vector<prometheus::MetricFamily>& families,
                           const CreatedLookup& created = {});

}  // namespace logtally::sinks
