// PromQL building blocks for the SLO rules and dashboards: the error ratio of an SLO over a
// window, its error budget, the spellings of a bucket's `le`, the names of the recording rules.
//
// Everything here is pure text generation from a validated config (config/slo.h); nothing
// fails and nothing runs while logtally counts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/slo.h"

namespace logtally::monitoring {

/// The windows the error ratio is recorded over, shortest first: 5m, 30m, 1h, 2h, 6h, 1d, 3d.
const std::vector<std::string_view>& ratio_windows();

/// One multi-window burn-rate condition: the ratio over both `long_window` and
/// `short_window` is above `burn_rate` times the error budget.
struct BurnCondition {
  double burn_rate;
  std::string_view long_window;
  std::string_view short_window;
};
/// The page alert's two conditions (14.4 over 1h and 5m; 6 over 6h and 30m) and the ticket
/// alert's (3 over 1d and 2h; 1 over 3d and 6h), as in the SRE workbook's multi-window,
/// multi-burn-rate alerts.
const std::vector<BurnCondition>& page_conditions();
const std::vector<BurnCondition>& ticket_conditions();

/// `slo:error_ratio:rate5m`: the recording rule of the error ratio over `window`; each SLO's
/// series carries the label `slo="NAME"`.
std::string ratio_record_name(std::string_view window);
/// `slo:error_ratio:rate5m{slo="NAME"}`.
std::string ratio_record_selector(const config::SloConfig& slo, std::string_view window);

/// The share of events that are errors over `range` (a PromQL duration, or a Grafana variable
/// such as `$__range`), computed from the raw series:
///   availability: (sum(rate(ERRORS[r])) or vector(0)) / sum(rate(TOTAL[r]))
///   latency:      1 - sum(rate(H_bucket{..., le=~"3|3\\.0"}[r])) / sum(rate(H_count{...}[r]))
/// With no events at all the ratio is NaN (0/0), which compares false: no alert.
std::string error_ratio_expr(const config::SloConfig& slo, std::string_view range);

/// The error budget as a fraction: 1 - objective/100, rounded to 12 significant digits (99.9 ->
/// 0.001), so the rules say 0.001 and not 0.0010000000000000009.
double error_budget(const config::SloConfig& slo);
/// A number as PromQL and YAML read it: the shortest text of at most 12 significant digits.
std::string format_number(double v);

/// Every way `le` may spell the bound `v`: logtally's own (the shortest round-trip text, `3`,
/// `1e+05`), the Prometheus text format's (Go `%g`: `3`, `100000`) and OpenMetrics' (`3.0`,
/// `100000.0`); without repeats, in that order.
std::vector<std::string> le_spellings(double v);
/// The matcher of the bucket `v`: `le="0.5"` for one spelling, `le=~"3|3\\.0"` for several.
config::LabelMatcher le_matcher(double v);

}  // namespace logtally::monitoring
