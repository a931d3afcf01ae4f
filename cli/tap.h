// `logtally tap [--config FILE] [--pipeline NAME] [--limit N]`: reads the inputs like --once and
// prints, instead of the metrics, one JSON object per record and pipeline (docs/testing.md).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"

namespace logtally::cli {

/// Runs the config's sources to their end (or until `limit` objects were printed; 0: no limit)
/// with no checkpoint and no sink, printing the tap stream of `pipeline` (empty: every
/// pipeline) to stdout. Returns the exit code.
int run_tap(const config::Config& config, const std::string& pipeline, uint64_t limit);

}  // namespace logtally::cli
