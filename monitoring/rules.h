// `logtally rules`: the Prometheus rules file of a config's SLOs (docs/slos.md).
//
// Per SLO, one rule group `slo:NAME` holding:
// - recording rules `slo:error_ratio:rateW{slo="NAME"}` for W in 5m 30m 1h 2h 6h 1d 3d;
// - the alert `NAME_burn_rate_page` (severity page): the ratio above 14.4 times the error
//   budget over 1h and 5m, or above 6 times over 6h and 30m;
// - the alert `NAME_burn_rate_ticket` (severity ticket): above 3 times over 1d and 2h, or above
//   once over 3d and 6h.
// Pure text generation from a validated config; the output is deterministic.
#pragma once

#include <string>

#include "config/config.h"

namespace logtally::monitoring {

/// The rules file (YAML) for every SLO of `config`; a file with `groups: []` when it has none.
std::string rules_yaml(const config::Config& config);

}  // namespace logtally::monitoring
